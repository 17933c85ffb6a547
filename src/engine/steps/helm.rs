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
//! - **Skipped** ([`decide`]) when the journal has the step with the same input digest and the
//!   release is still `deployed` at the journaled revision.
//! - **Someone else's** ([`is_external`]): a release of a prerequisite (cert-manager, External
//!   Secrets) that another tool installed under the step's name and namespace is used as it
//!   is when its chart version is one the catalog calls compatible — not upgraded, journaled
//!   as external so no removal takes it — and fails the step, naming the fix, when it is not.
//!   Every release choreoctl runs carries the label [`INSTALLATION_LABEL`] (`--labels`), so a
//!   release choreoctl installed is never mistaken for someone else's, even when the run died
//!   before journaling it.
//! - **Dry run**: `helm upgrade --install --dry-run=server` (renders the chart against the cluster
//!   and validates it; no revision is stored).
//! - **Preview**: the skip rule itself — `no-op` exactly when a run would skip the step.

use std::time::Duration;

use super::{Change, Known, Preview, RunReason, StepDecision, StepDone, StepEnv, StepError, Undo};
use crate::engine::helm::read_stored_revision;
use crate::engine::helm::{
    ChartSource, Helm, ReleaseRef, ReleaseStatus, RollbackRequest, StoredRelease, UninstallRequest,
    UpgradeRequest,
};
use crate::engine::journal::{Digest, StepRecord};
use crate::engine::namespaces;
use crate::names::INSTALLATION_LABEL;
use crate::plan::HelmAction;

/// How long a recovery or undo (rollback, uninstall) may take.
const UNDO_TIMEOUT: Duration = Duration::from_secs(300);

/// Whether the journal lets a helm step be skipped: its `record` has the same input `digest`
/// and its `release` is still `deployed` at the journaled revision.
pub fn decide(
    record: Option<&StepRecord>,
    digest: &Digest,
    release: Option<&StoredRelease>,
) -> StepDecision {
    let Some(record) = record else {
        return StepDecision::Run(RunReason::NotJournaled);
    };
    if &record.input_digest != digest {
        return StepDecision::Run(RunReason::InputsChanged);
    }
    let Some(live) = release else {
        return StepDecision::Run(RunReason::ReleaseMissing);
    };
    if live.status.is_pending() {
        return StepDecision::Run(RunReason::ReleasePending {
            status: live.status.as_str().to_owned(),
            revision: live.revision,
        });
    }
    if live.status != ReleaseStatus::Deployed {
        return StepDecision::Run(RunReason::ReleaseNotDeployed {
            status: live.status.as_str().to_owned(),
        });
    }
    match record.revision {
        Some(journaled) if journaled == live.revision => StepDecision::Skip,
        Some(journaled) => StepDecision::Run(RunReason::ReleaseMoved {
            journaled,
            live: live.revision,
        }),
        None => StepDecision::Run(RunReason::NotJournaled),
    }
}

/// Whether `live`, the release of `action`, is someone else's to be used as it is: the chart
/// may be ([`HelmAction::external`]), the release exists without the label of `installation`,
/// and the journal does not record the step as choreoctl's (it has no record, or one of an
/// external release).
pub fn is_external(
    action: &HelmAction,
    installation: &str,
    record: Option<&StepRecord>,
    live: Option<&StoredRelease>,
) -> bool {
    let Some(live) = live else {
        return false;
    };
    action.external.is_some()
        && live.installation.as_deref() != Some(installation)
        && record.is_none_or(|record| record.external)
}

/// What a run would do to the release: installed when absent; `unknown` while its values
/// still carry an output that cannot be read yet; otherwise [`decide`]'s answer.
pub fn preview(known: Known<'_>) -> Preview {
    if known.release.is_none() {
        return Preview::new(Change::Install, "release absent");
    }
    if let Some(read) = known.waiting_for {
        return Preview::new(
            Change::Unknown,
            format!("its values use the output of {read}, not readable yet"),
        );
    }
    match known.decision {
        StepDecision::Skip => Preview::new(Change::NoOp, ""),
        StepDecision::External => Preview::new(
            Change::NoOp,
            "installed by someone else: used as it is, never upgraded",
        ),
        StepDecision::Run(reason) => Preview::new(Change::Upgrade, reason.to_string()),
    }
}

/// Checks the release of `action` with `helm upgrade --install --dry-run=server`: the chart is
/// rendered against the cluster and validated, nothing is stored.
///
/// # Errors
///
/// [`StepError::Helm`] when helm refuses it (the release is untouched).
pub async fn dry_run(
    env: &StepEnv<'_>,
    action: &HelmAction,
    namespace: &str,
) -> Result<StepDone, StepError> {
    let (helm, target) = env.helm();
    let timeout = env.timeout(action.helm.timeout);
    let request = upgrade_request(
        action,
        release_ref(target, action, namespace),
        timeout,
        true,
        env.installation,
    );
    match helm.upgrade(&request).await {
        Ok(release) => Ok(StepDone {
            notes: vec![format!(
                "helm would make revision {} of {}/{}",
                release.revision, release.namespace, release.name
            )],
            ..StepDone::default()
        }),
        Err(error) => Err(StepError::Helm {
            error,
            undo: Undo::Untouched,
        }),
    }
}

fn release_ref(
    target: &crate::engine::helm::KubeTarget,
    action: &HelmAction,
    namespace: &str,
) -> ReleaseRef {
    ReleaseRef {
        target: target.clone(),
        namespace: namespace.to_owned(),
        name: action.release.clone(),
    }
}

/// The `helm upgrade --install` of `action`: complete values, helm's own wait as the plan says
/// (never in a dry run: nothing is deployed to wait for), at most `timeout`, the release
/// labelled as `installation`'s.
pub fn upgrade_request(
    action: &HelmAction,
    release: ReleaseRef,
    timeout: Duration,
    dry_run: bool,
    installation: &str,
) -> UpgradeRequest {
    UpgradeRequest {
        release,
        chart: ChartSource {
            reference: action.chart.reference.clone(),
            version: action.version.clone(),
            plain_http: action.chart.plain_http,
        },
        values: vec![action.values.clone()],
        wait: action.helm.wait && !dry_run,
        timeout,
        rollback_on_failure: false,
        dry_run,
        labels: vec![(INSTALLATION_LABEL.to_owned(), installation.to_owned())],
    }
}

/// Installs or upgrades the release of `action` in `namespace`. `live` is the release's latest
/// revision in helm's storage before the run (read in bulk), `None` if it has none.
///
/// # Errors
///
/// [`StepError::Recover`] when a `pending-*` release cannot be recovered first;
/// [`StepError::Helm`] when the upgrade fails (the release is undone as it says). Both end the
/// run as a partial failure (exit 3).
pub async fn run(
    env: &StepEnv<'_>,
    action: &HelmAction,
    namespace: &str,
    known: Known<'_>,
) -> Result<StepDone, StepError> {
    let live = known.release;
    if let (StepDecision::External, Some(live)) = (known.decision, live) {
        return use_external(env, action, live).await;
    }
    let (helm, target) = env.helm();
    let release = release_ref(target, action, namespace);
    // Made here rather than by helm's --create-namespace, so it is marked as choreoctl's and
    // a removal deletes it (src/engine/namespaces.rs).
    namespaces::create_unless_present(env.cluster, namespace).await?;
    let mut notes = Vec::new();
    // The revision to return to if the upgrade fails; `None`: uninstall instead.
    let mut before = live
        .filter(|live| has_deployed_history(live))
        .map(|live| live.revision);
    if let Some(live) = live.filter(|live| live.status.is_pending()) {
        let note = recover(helm, &release, live)
            .await
            .map_err(|error| StepError::Recover { error })?;
        // A rollback is stored as a new revision.
        before = note.rolled_back.then_some(live.revision + 1);
        notes.push(note.message);
    }
    let timeout = env.timeout(action.helm.timeout);
    let request = upgrade_request(action, release.clone(), timeout, false, env.installation);
    match helm.upgrade(&request).await {
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
            let undo = undo(helm, &release, before).await;
            Err(StepError::Helm { error, undo })
        }
    }
}

/// Someone else's release `live`: used as it is when its chart version is one `action` may
/// use.
async fn use_external(
    env: &StepEnv<'_>,
    action: &HelmAction,
    live: &StoredRelease,
) -> Result<StepDone, StepError> {
    let compatible = action
        .external
        .as_ref()
        .expect("only a chart that may be used as it is is external");
    let stored = read_stored_revision(
        env.cluster.client(),
        &live.namespace,
        &live.name,
        live.revision,
    )
    .await
    .ok()
    .flatten();
    let version = stored.map_or_else(|| "(unknown version)".to_owned(), |s| s.chart.version);
    if !usable(&version, compatible) {
        return Err(StepError::Incompatible {
            chart: action.chart.name.clone(),
            version,
            namespace: live.namespace.clone(),
            release: live.name.clone(),
            compatible: compatible.to_string(),
        });
    }
    Ok(StepDone {
        revision: Some(live.revision),
        notes: vec![format!(
            "uses {} {version} that someone else installed (release {}/{}, revision {}): \
             choreoctl neither upgrades nor uninstalls it; `adopt: [{}]` in the profile takes \
             it over",
            action.chart.name, live.namespace, live.name, live.revision, action.chart.name
        )],
        // Nothing ran: told as unchanged, not counted as a helm upgrade.
        unchanged: true,
        external: true,
        ..StepDone::default()
    })
}

/// Whether chart version `version` (`v1.19.4` or `1.19.4`) is in `compatible`; one that is not
/// a version at all is not.
pub fn usable(version: &str, compatible: &semver::VersionReq) -> bool {
    semver::Version::parse(version.trim_start_matches('v'))
        .is_ok_and(|parsed| compatible.matches(&parsed))
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

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;
    use serde_json::json;

    use super::*;
    use crate::plan::{StepKind, fixtures};

    fn digest(s: &str) -> Digest {
        Digest::of_json(&json!(s))
    }

    fn record(input: &str, revision: Option<u32>) -> StepRecord {
        StepRecord {
            input_digest: digest(input),
            revision,
            finished: "2026-08-21T10:00:00Z".parse::<Timestamp>().unwrap(),
            run: "r1".into(),
            made: None,
            needs: Vec::new(),
            external: false,
        }
    }

    fn live(status: ReleaseStatus, revision: u32) -> StoredRelease {
        StoredRelease {
            namespace: "ns".into(),
            name: "release".into(),
            revision,
            status,
            installation: Some("lab".into()),
        }
    }

    #[test]
    fn a_helm_step_is_skipped_only_with_equal_inputs_and_the_journaled_release_deployed() {
        let d = digest("values v1");
        let done = || Some(record("values v1", Some(3)));
        let decide = |record: Option<StepRecord>, live: Option<StoredRelease>| {
            decide(record.as_ref(), &d, live.as_ref())
        };
        assert_eq!(
            decide(done(), Some(live(ReleaseStatus::Deployed, 3))),
            StepDecision::Skip
        );
        let runs =
            |record, live, reason| assert_eq!(decide(record, live), StepDecision::Run(reason));
        runs(
            None,
            Some(live(ReleaseStatus::Deployed, 3)),
            RunReason::NotJournaled,
        );
        runs(
            Some(record("values v0", Some(3))),
            Some(live(ReleaseStatus::Deployed, 3)),
            RunReason::InputsChanged,
        );
        runs(done(), None, RunReason::ReleaseMissing);
        runs(
            done(),
            Some(live(ReleaseStatus::Deployed, 4)),
            RunReason::ReleaseMoved {
                journaled: 3,
                live: 4,
            },
        );
        runs(
            done(),
            Some(live(ReleaseStatus::Failed, 3)),
            RunReason::ReleaseNotDeployed {
                status: "failed".into(),
            },
        );
        runs(
            done(),
            Some(live(ReleaseStatus::PendingUpgrade, 4)),
            RunReason::ReleasePending {
                status: "pending-upgrade".into(),
                revision: 4,
            },
        );
    }

    #[test]
    fn apply_wait_and_read_steps_always_run_so_drift_is_repaired() {
        let d = digest("objects");
        let done = record("objects", None);
        let plan = fixtures::plan(&fixtures::profile("generic", ""));
        for kind in [StepKind::Apply, StepKind::Wait, StepKind::Read] {
            let step = plan.steps.iter().find(|step| step.kind() == kind).unwrap();
            assert_eq!(
                super::super::decide(&step.action, "lab", Some(&done), &d, None),
                StepDecision::Run(RunReason::AlwaysRuns),
                "{kind}"
            );
        }
    }

    /// The plan's cert-manager step: the catalog lets someone else's cert-manager be used.
    fn cert_manager() -> HelmAction {
        let plan = fixtures::plan(&fixtures::profile("generic", ""));
        fixtures::helm(&plan, "secure-core/cert-manager@control").clone()
    }

    #[test]
    fn a_chart_version_is_usable_only_inside_the_catalogs_range() {
        let range = cert_manager().external.unwrap();
        assert!(usable("v1.19.4", &range));
        assert!(usable("1.17.0", &range));
        assert!(!usable("v1.12.3", &range));
        assert!(!usable("v2.0.0", &range));
        assert!(!usable("(unknown version)", &range));
    }

    #[test]
    fn only_an_unlabelled_unjournaled_release_of_a_compatible_chart_is_someone_elses() {
        let action = cert_manager();
        assert!(action.external.is_some());
        let theirs = StoredRelease {
            installation: None,
            ..live(ReleaseStatus::Deployed, 4)
        };
        assert!(is_external(&action, "lab", None, Some(&theirs)));
        // Another installation's on a shared cluster is not this one's either.
        let other = StoredRelease {
            installation: Some("other".into()),
            ..theirs.clone()
        };
        assert!(is_external(&action, "lab", None, Some(&other)));
        // Labelled by this installation: choreoctl's, even without a journal record (a run
        // that died before journaling it).
        assert!(!is_external(
            &action,
            "lab",
            None,
            Some(&live(ReleaseStatus::Deployed, 4))
        ));
        // Journaled as choreoctl's (installed before releases were labelled).
        assert!(!is_external(
            &action,
            "lab",
            Some(&record("x", Some(4))),
            Some(&theirs)
        ));
        let external = StepRecord {
            external: true,
            ..record("x", Some(4))
        };
        assert!(is_external(&action, "lab", Some(&external), Some(&theirs)));
        // Absent: installed by choreoctl.
        assert!(!is_external(&action, "lab", None, None));
        // A chart the catalog gives no compatible range (or the profile adopts) is taken over.
        let adopted = HelmAction {
            external: None,
            ..action
        };
        assert!(!is_external(&adopted, "lab", None, Some(&theirs)));
    }

    #[test]
    fn a_preview_says_what_a_run_would_do_to_the_release() {
        let deployed = live(ReleaseStatus::Deployed, 3);
        let skip = StepDecision::Skip;
        let changed = StepDecision::Run(RunReason::InputsChanged);
        let known = |release, decision, waiting_for| Known {
            release,
            decision,
            waiting_for,
        };
        let absent = preview(known(None, &changed, None));
        assert_eq!(
            (absent.change, absent.reason.as_str()),
            (Change::Install, "release absent")
        );
        assert_eq!(
            preview(known(Some(&deployed), &skip, None)).change,
            Change::NoOp
        );
        let upgrade = preview(known(Some(&deployed), &changed, None));
        assert_eq!(upgrade.change, Change::Upgrade);
        assert_eq!(upgrade.reason, "its inputs changed since the last install");
        let waiting = preview(known(
            Some(&deployed),
            &skip,
            Some("secure-core/agent-ca@dp"),
        ));
        assert_eq!(waiting.change, Change::Unknown);
        assert!(
            waiting.reason.contains("secure-core/agent-ca@dp"),
            "{}",
            waiting.reason
        );
    }
}
