//! The pure decisions made from the journal: how a run starts (fresh, resumed, or refused
//! because another run was interrupted: exit 6) and whether a plane is still on the cluster it
//! was installed on (exit 4 unless rebound).

use k8s_openapi::jiff::Timestamp;

use super::digest::Digest;
use super::model::{Journal, Operation, RunStatus};

/// What the user asked about an interrupted run (`install --resume` / `--discard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InterruptedRunChoice {
    /// Neither flag: resume if the profile is unchanged, else refuse (exit 6).
    #[default]
    Unspecified,
    /// `--resume`: finish the interrupted run with the profile it started with.
    Resume,
    /// `--discard`: drop the interrupted run and run the current profile.
    Discard,
}

/// How a run starts, given the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunStart {
    /// No journal: a first install ([`Journal::new`]).
    FirstInstall,
    /// The last run finished: a new run with the current profile ([`Journal::begin_run`]).
    NewRun,
    /// Continue the interrupted run: the profile is unchanged; finished steps are skipped.
    Resume {
        /// The interrupted run.
        run_id: String,
    },
    /// Continue the interrupted run with the profile it started with ([`Journal::profile`]),
    /// not the current one (`--resume` after the profile changed).
    ResumeWithJournaledProfile {
        /// The interrupted run.
        run_id: String,
    },
    /// Drop the interrupted run and start a new one with the current profile (`--discard`).
    DiscardAndRun {
        /// The dropped run.
        run_id: String,
    },
}

/// An interrupted run stands in the way of this one: the user must say what to do. Exit code 6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum InterruptedRun {
    /// The interrupted run is of the same operation, and the profile changed since.
    #[error(
        "run {} of installation '{}' (by {}, started {:.0}) was interrupted, and the profile \
         changed since",
        _0.run_id, _0.installation, _0.by, _0.started
    )]
    #[diagnostic(help(
        "--resume finishes that run with the profile it started with; --discard drops it and \
         installs the current profile"
    ))]
    ProfileChanged(Box<Interrupted>),
    /// The interrupted run is of another operation.
    #[error(
        "run {} of installation '{}' (by {}, started {:.0}) was interrupted during `{}`; this \
         run would {}",
        interrupted.run_id, interrupted.installation, interrupted.by, interrupted.started,
        interrupted.operation, asked
    )]
    #[diagnostic(help(
        "run the interrupted command again to finish it, or add --discard to drop it and go on"
    ))]
    OtherOperation {
        /// The interrupted run.
        interrupted: Box<Interrupted>,
        /// What this run was asked to do.
        asked: Operation,
    },
}

impl InterruptedRun {
    /// The interrupted run.
    pub fn interrupted(&self) -> &Interrupted {
        match self {
            InterruptedRun::ProfileChanged(run) => run,
            InterruptedRun::OtherOperation { interrupted, .. } => interrupted,
        }
    }
}

/// The run that was interrupted, as the journal has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// Installation name.
    pub installation: String,
    /// The interrupted run.
    pub run_id: String,
    /// What it was doing.
    pub operation: Operation,
    /// Who ran it.
    pub by: String,
    /// When it started.
    pub started: Timestamp,
}

/// Decides how a run of `operation` starts. The caller holds the lock, so an in-progress run in
/// the journal is an interrupted one. `--resume` or `--discard` without an interrupted run
/// change nothing.
///
/// # Errors
///
/// [`InterruptedRun`] (exit 6) when a run is interrupted and this one may neither resume it nor
/// replace it unasked: it was of another operation (unless `--discard`), or of the same one with
/// another profile (unless `--resume` or `--discard`).
pub fn decide_run_start(
    journal: Option<&Journal>,
    profile_digest: &Digest,
    operation: &Operation,
    choice: InterruptedRunChoice,
) -> Result<RunStart, InterruptedRun> {
    let Some(journal) = journal else {
        return Ok(RunStart::FirstInstall);
    };
    if journal.run.status != RunStatus::InProgress {
        return Ok(RunStart::NewRun);
    }
    let run_id = journal.run.id.clone();
    let interrupted = || {
        Box::new(Interrupted {
            installation: journal.installation.clone(),
            run_id: run_id.clone(),
            operation: journal.run.operation.clone(),
            by: journal.run.by.clone(),
            started: journal.run.started,
        })
    };
    let unchanged = &journal.profile_digest == profile_digest;
    match choice {
        InterruptedRunChoice::Discard => Ok(RunStart::DiscardAndRun { run_id }),
        _ if &journal.run.operation != operation => Err(InterruptedRun::OtherOperation {
            interrupted: interrupted(),
            asked: operation.clone(),
        }),
        _ if unchanged => Ok(RunStart::Resume { run_id }),
        InterruptedRunChoice::Resume => Ok(RunStart::ResumeWithJournaledProfile { run_id }),
        InterruptedRunChoice::Unspecified => Err(InterruptedRun::ProfileChanged(interrupted())),
    }
}

/// How a plane's cluster compares with the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterCheck {
    /// Not recorded yet (first install of this plane): record it.
    FirstSeen,
    /// The recorded cluster.
    Same,
    /// Another cluster, accepted with `--rebind`: record the new one.
    Rebound {
        /// The UID recorded before.
        previous_uid: String,
    },
}

/// A plane's context now points at another cluster than the one it was installed on.
/// Exit code 4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "plane '{plane}' was installed on the cluster whose kube-system namespace has UID \
     {recorded_uid} (recorded {recorded_at:.0}), but its context {} now reaches a cluster with \
     UID {live_uid}",
    context.as_deref().map_or_else(|| "(current)".to_owned(), |c| format!("'{c}'"))
)]
#[diagnostic(help(
    "check that the kubeconfig context points at the right cluster; if the plane really moved, \
     run again with --rebind"
))]
pub struct ClusterChanged {
    /// The plane.
    pub plane: String,
    /// Its context now.
    pub context: Option<String>,
    /// The recorded cluster's UID.
    pub recorded_uid: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// The reached cluster's UID.
    pub live_uid: String,
}

/// Checks that `plane`, reached through `context`, is on the cluster the journal recorded.
///
/// # Errors
///
/// [`ClusterChanged`] (exit 4) when it is on another cluster and `rebind` is not set.
pub fn check_cluster(
    journal: Option<&Journal>,
    plane: &str,
    context: Option<&str>,
    live_uid: &str,
    rebind: bool,
) -> Result<ClusterCheck, ClusterChanged> {
    let Some(recorded) = journal.and_then(|j| j.clusters.get(plane)) else {
        return Ok(ClusterCheck::FirstSeen);
    };
    if recorded.uid == live_uid {
        return Ok(ClusterCheck::Same);
    }
    if rebind {
        return Ok(ClusterCheck::Rebound {
            previous_uid: recorded.uid.clone(),
        });
    }
    Err(ClusterChanged {
        plane: plane.to_owned(),
        context: context.map(str::to_owned),
        recorded_uid: recorded.uid.clone(),
        recorded_at: recorded.recorded,
        live_uid: live_uid.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::journal::fixtures::{at, digest, journal};

    #[test]
    fn a_run_starts_fresh_without_journal_and_anew_after_a_finished_run() {
        let d = digest("profile");
        for choice in [
            InterruptedRunChoice::Unspecified,
            InterruptedRunChoice::Resume,
            InterruptedRunChoice::Discard,
        ] {
            assert_eq!(
                decide_run_start(None, &d, &Operation::Install, choice),
                Ok(RunStart::FirstInstall)
            );
            for status in [RunStatus::Succeeded, RunStatus::Failed] {
                assert_eq!(
                    decide_run_start(Some(&journal(status)), &d, &Operation::Install, choice),
                    Ok(RunStart::NewRun)
                );
            }
        }
    }

    #[test]
    fn an_interrupted_run_with_the_same_profile_is_resumed_unasked() {
        let interrupted = journal(RunStatus::InProgress);
        let same = interrupted.profile_digest.clone();
        let run_id = interrupted.run.id.clone();
        for choice in [
            InterruptedRunChoice::Unspecified,
            InterruptedRunChoice::Resume,
        ] {
            assert_eq!(
                decide_run_start(Some(&interrupted), &same, &Operation::Install, choice),
                Ok(RunStart::Resume {
                    run_id: run_id.clone()
                })
            );
        }
        assert_eq!(
            decide_run_start(
                Some(&interrupted),
                &same,
                &Operation::Install,
                InterruptedRunChoice::Discard
            ),
            Ok(RunStart::DiscardAndRun { run_id })
        );
    }

    #[test]
    fn an_interrupted_run_with_a_changed_profile_needs_resume_or_discard() {
        let interrupted = journal(RunStatus::InProgress);
        let changed = digest("another profile");
        let run_id = interrupted.run.id.clone();
        let refused = decide_run_start(
            Some(&interrupted),
            &changed,
            &Operation::Install,
            InterruptedRunChoice::Unspecified,
        )
        .unwrap_err();
        assert_eq!(refused.interrupted().run_id, run_id);
        assert_eq!(refused.interrupted().by, "ana@box pid 7");
        let message = refused.to_string();
        assert!(message.contains("interrupted"), "{message}");
        let help = miette::Diagnostic::help(&refused).unwrap().to_string();
        assert!(
            help.contains("--resume") && help.contains("--discard"),
            "{help}"
        );
        assert_eq!(
            decide_run_start(
                Some(&interrupted),
                &changed,
                &Operation::Install,
                InterruptedRunChoice::Resume
            ),
            Ok(RunStart::ResumeWithJournaledProfile {
                run_id: run_id.clone()
            })
        );
        assert_eq!(
            decide_run_start(
                Some(&interrupted),
                &changed,
                &Operation::Install,
                InterruptedRunChoice::Discard
            ),
            Ok(RunStart::DiscardAndRun { run_id })
        );
    }

    #[test]
    fn an_interrupted_run_of_another_operation_is_named_and_refused_unless_discarded() {
        let mut interrupted = journal(RunStatus::InProgress);
        interrupted.run.operation = Operation::Upgrade { to: "1.2.3".into() };
        let same = interrupted.profile_digest.clone();
        for choice in [
            InterruptedRunChoice::Unspecified,
            InterruptedRunChoice::Resume,
        ] {
            let refused = decide_run_start(Some(&interrupted), &same, &Operation::Install, choice)
                .unwrap_err();
            let message = refused.to_string();
            assert!(
                message.contains("during `upgrade to 1.2.3`") && message.contains("would install"),
                "{message}"
            );
            let help = miette::Diagnostic::help(&refused).unwrap().to_string();
            assert!(help.contains("--discard"), "{help}");
        }
        assert_eq!(
            decide_run_start(
                Some(&interrupted),
                &same,
                &Operation::Install,
                InterruptedRunChoice::Discard
            ),
            Ok(RunStart::DiscardAndRun {
                run_id: interrupted.run.id.clone()
            })
        );
        assert_eq!(
            decide_run_start(
                Some(&interrupted),
                &same,
                &Operation::Upgrade { to: "1.2.3".into() },
                InterruptedRunChoice::Unspecified
            ),
            Ok(RunStart::Resume {
                run_id: interrupted.run.id.clone()
            })
        );
    }

    #[test]
    fn a_plane_on_another_cluster_is_refused_unless_rebound() {
        let mut j = journal(RunStatus::Succeeded);
        assert_eq!(
            check_cluster(Some(&j), "dp1", Some("dp1"), "uid-1", false),
            Ok(ClusterCheck::FirstSeen)
        );
        assert_eq!(
            check_cluster(None, "dp1", Some("dp1"), "uid-1", false),
            Ok(ClusterCheck::FirstSeen)
        );
        j.bind_cluster("dp1", "uid-1", Some("dp1"), at("2026-08-21T10:00:00Z"));
        assert_eq!(
            check_cluster(Some(&j), "dp1", Some("dp1"), "uid-1", false),
            Ok(ClusterCheck::Same)
        );
        let refused = check_cluster(Some(&j), "dp1", Some("dp1"), "uid-2", false).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("'dp1'") && message.contains("uid-1") && message.contains("uid-2"),
            "{message}"
        );
        assert_eq!(
            check_cluster(Some(&j), "dp1", Some("dp1"), "uid-2", true),
            Ok(ClusterCheck::Rebound {
                previous_uid: "uid-1".into()
            })
        );
    }
}
