//! Wait steps: a condition on one object, watched until it holds or the step's timeout (or
//! `--timeout`) runs out ([`wait_for`](crate::engine::wait::wait_for)). A condition that already
//! holds returns at once, so a re-run costs one request.
//!
//! A dry run and a preview wait for nothing (nothing changes): they say whether the condition
//! holds now.

use super::{Change, Preview, StepDone, StepEnv, StepError};
use crate::catalog::model::ResourceRef;
use crate::engine::conditions::{Readiness, readiness};
use crate::engine::kube::describe;
use crate::engine::wait::{WaitTimeout, wait_for};
use crate::plan::WaitAction;

/// Waits for `action`'s condition; an object given without a namespace is looked for in
/// `namespace` (ignored for cluster-scoped kinds).
///
/// # Errors
///
/// [`StepError::Wait`] when the condition does not hold in time (with the step's hint);
/// [`StepError::Kube`] when the cluster cannot be watched. Both end the run as a partial
/// failure (exit 3).
pub async fn run(
    env: &StepEnv<'_>,
    action: &WaitAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let resource = resource(action, namespace);
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

/// Whether the condition holds now, as a note (a dry run waits for nothing).
///
/// # Errors
///
/// [`StepError::Kube`] when the cluster cannot answer.
pub async fn dry_run(
    env: &StepEnv<'_>,
    action: &WaitAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let resource = resource(action, namespace);
    let label = label(&resource);
    let object = current(env, &resource).await?;
    let note = match readiness(action.condition, &resource.kind, object.as_ref()) {
        Readiness::Ready => format!("{label} is {:?} already", action.condition),
        Readiness::NotReady(why) => format!("not waited for in a dry run: {label}: {why}"),
    };
    Ok(StepDone {
        notes: vec![note],
        ..StepDone::default()
    })
}

/// `no-op` when the condition holds now; `install` when the object does not exist yet;
/// `unknown` otherwise (an earlier step may change it).
pub async fn preview(env: &StepEnv<'_>, action: &WaitAction, namespace: Option<&str>) -> Preview {
    let resource = resource(action, namespace);
    match current(env, &resource).await {
        Err(error) => Preview::new(Change::Unknown, error.to_string()),
        Ok(None) => Preview::new(
            Change::Install,
            format!("{} does not exist yet", label(&resource)),
        ),
        Ok(Some(object)) => match readiness(action.condition, &resource.kind, Some(&object)) {
            Readiness::Ready => Preview::new(Change::NoOp, ""),
            Readiness::NotReady(why) => {
                Preview::new(Change::Unknown, format!("not ready now: {why}"))
            }
        },
    }
}

/// The object waited on, in `namespace` unless it names its own.
fn resource(action: &WaitAction, namespace: Option<&str>) -> ResourceRef {
    let mut resource = action.resource.clone();
    if resource.namespace.is_none() {
        resource.namespace = namespace.map(str::to_owned);
    }
    resource
}

/// The object waited on as it is now, if it exists.
async fn current(
    env: &StepEnv<'_>,
    resource: &ResourceRef,
) -> Result<Option<serde_json::Value>, crate::engine::kube::KubeError> {
    env.cluster
        .get_value(
            &resource.api_version,
            &resource.kind,
            resource.namespace.as_deref(),
            &resource.name,
        )
        .await
}

fn label(resource: &ResourceRef) -> String {
    describe(
        &resource.kind,
        resource.namespace.as_deref(),
        &resource.name,
    )
}
