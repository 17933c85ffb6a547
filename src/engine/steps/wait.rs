//! Wait steps: a condition on one object, watched until it holds or the step's timeout (or
//! `--timeout`) runs out ([`wait_for`](crate::engine::wait::wait_for)). A condition that already
//! holds returns at once, so a re-run costs one request.

use super::{StepDone, StepEnv, StepError};
use crate::engine::wait::{WaitTimeout, wait_for};
use crate::plan::WaitAction;

/// Waits for `action`'s condition; an object given without a namespace is looked for in
/// `namespace` (ignored for cluster-scoped kinds).
pub async fn run(
    env: &StepEnv<'_>,
    action: &WaitAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let mut resource = action.resource.clone();
    if resource.namespace.is_none() {
        resource.namespace = namespace.map(str::to_owned);
    }
    wait_for(
        env.cluster,
        &resource,
        action.condition,
        env.timeout(action.timeout),
    )
    .await
    .map_err(|timeout| WaitTimeout {
        hint: action.hint.clone(),
        ..timeout
    })?;
    Ok(StepDone::default())
}
