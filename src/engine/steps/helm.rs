//! Helm steps: `helm upgrade --install` of one release with its complete values.
//!
//! - **Recover first.** A release whose latest revision is `pending-install/upgrade/rollback`
//!   was left by a helm that died mid-operation (kill -9, lost connection); helm refuses every
//!   further operation on it. It is rolled back when it has an earlier revision, else
//!   uninstalled, and the step says so.
//! - **Run.** Values go through files (the helm layer); helm waits itself only when the plan says
//!   so (the control plane runs without `--wait`, then explicit wait steps).
//! - **Undo on failure.** A failed upgrade is rolled back to the revision deployed before; a release
//!   that did not exist before is uninstalled. helm's own `--atomic` is not used, so the undo is
//!   reported like any other step.

use std::time::Duration;

use super::{StepDone, StepEnv, StepError, Undo};
use crate::engine::helm::{
    ChartSource, Helm, ReleaseRef, ReleaseStatus, RollbackRequest, StoredRelease, UninstallRequest,
    UpgradeRequest,
};
use crate::plan::HelmAction;

/// How long a recovery or undo (rollback, uninstall) may take.
const UNDO_TIMEOUT: Duration = Duration::from_secs(300);

/// Installs or upgrades the release of `action` in `namespace`. `live` is the release's latest
/// revision in helm's storage before the run (read in bulk), `None` if it has none.
pub async fn run(
    env: &StepEnv<'_>,
    action: &HelmAction,
    namespace: &str,
    live: Option<&StoredRelease>,
) -> Result<StepDone, StepError> {
    let release = ReleaseRef {
        target: env.helm_target.clone(),
        namespace: namespace.to_owned(),
        name: action.release.clone(),
    };
    let mut notes = Vec::new();
    // The revision to return to if the upgrade fails; `None`: uninstall instead.
    let mut before = live
        .filter(|live| has_deployed_history(live))
        .map(|live| live.revision);
    if let Some(live) = live.filter(|live| live.status.is_pending()) {
        let note = recover(env.helm, &release, live)
            .await
            .map_err(|error| StepError::Recover { error })?;
        // A rollback is stored as a new revision.
        before = note.rolled_back.then_some(live.revision + 1);
        notes.push(note.message);
    }
    let request = UpgradeRequest {
        release: release.clone(),
        chart: ChartSource {
            reference: action.chart.reference.clone(),
            version: action.version.clone(),
            plain_http: action.chart.plain_http,
        },
        values: vec![action.values.clone()],
        wait: action.helm.wait,
        timeout: env.timeout(action.helm.timeout),
        rollback_on_failure: false,
        dry_run: false,
    };
    match env.helm.upgrade(&request).await {
        Ok(installed) => {
            // A chart may have installed CRDs that later steps apply objects of.
            env.cluster.refresh_kinds().await;
            Ok(StepDone {
                revision: Some(installed.revision),
                notes,
                ..StepDone::default()
            })
        }
        Err(error) => {
            let undo = undo(env.helm, &release, before).await;
            Err(StepError::Helm { error, undo })
        }
    }
}

/// Whether the release has a revision to roll back to: its latest one is not its first
/// install attempt, or it was deployed.
fn has_deployed_history(live: &StoredRelease) -> bool {
    match live.status {
        ReleaseStatus::Deployed | ReleaseStatus::Superseded => true,
        ReleaseStatus::Uninstalled | ReleaseStatus::Uninstalling => false,
        _ => live.revision > 1,
    }
}

/// A `pending-*` release recovered.
struct Recovered {
    /// Rolled back (it keeps a deployed revision) rather than uninstalled.
    rolled_back: bool,
    /// What was done, for the user.
    message: String,
}

async fn recover(
    helm: &impl Helm,
    release: &ReleaseRef,
    live: &StoredRelease,
) -> Result<Recovered, crate::engine::helm::HelmError> {
    let left = format!(
        "release {}/{} was left {} at revision {} by an interrupted run",
        release.namespace,
        release.name,
        live.status.as_str(),
        live.revision
    );
    if live.revision > 1 {
        helm.rollback(&RollbackRequest {
            release: release.clone(),
            revision: None,
            wait: false,
            timeout: UNDO_TIMEOUT,
        })
        .await?;
        Ok(Recovered {
            rolled_back: true,
            message: format!("{left}: rolled back to revision {}", live.revision - 1),
        })
    } else {
        uninstall(helm, release).await?;
        Ok(Recovered {
            rolled_back: false,
            message: format!("{left}: uninstalled, then installed again"),
        })
    }
}

/// Undoes a failed upgrade: back to revision `before`, or uninstalled if there was none. An
/// upgrade that failed before storing a revision (a chart that does not render) changed
/// nothing and is left alone: rolling back then would go one revision too far.
async fn undo(helm: &impl Helm, release: &ReleaseRef, before: Option<u32>) -> Undo {
    let latest = match helm.history(release).await {
        Ok(history) => history.last().map(|revision| revision.revision),
        Err(error) if error.is_release_not_found() => None,
        Err(error) => return Undo::Failed(error.to_string()),
    };
    let result = match (before, latest) {
        (_, None) => Ok(Undo::Untouched),
        (Some(before), Some(latest)) if latest <= before => Ok(Undo::Untouched),
        (Some(before), Some(_)) => helm
            .rollback(&RollbackRequest {
                release: release.clone(),
                revision: Some(before),
                wait: false,
                timeout: UNDO_TIMEOUT,
            })
            .await
            .map(|()| Undo::RolledBack),
        (None, Some(_)) => uninstall(helm, release).await.map(|()| Undo::Uninstalled),
    };
    result.unwrap_or_else(|error| Undo::Failed(error.to_string()))
}

/// Uninstalls `release` and waits until its objects are gone: a CRD still terminating when the
/// release is installed again would be adopted by helm and then vanish under its update
/// ("customresourcedefinitions ... not found").
async fn uninstall(
    helm: &impl Helm,
    release: &ReleaseRef,
) -> Result<(), crate::engine::helm::HelmError> {
    match helm
        .uninstall(&UninstallRequest {
            release: release.clone(),
            wait: true,
            timeout: UNDO_TIMEOUT,
        })
        .await
    {
        Err(error) if error.is_release_not_found() => Ok(()),
        other => other,
    }
}
