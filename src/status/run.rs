//! The journal's last run as `status` shows it: an in-progress run whose lock is no longer held
//! by a live process was interrupted, and the next `choreoctl install` resumes it. Pure.

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use crate::engine::journal::{Run, RunStatus};

/// Where the last run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Finished, every step done or unchanged.
    Succeeded,
    /// Finished with failed steps (rolled back) and skipped dependents.
    Failed,
    /// Running now: its lock is held and renewed.
    Running,
    /// Started and never finished (killed, lost its connection): `install` resumes it.
    Interrupted,
}

/// The last run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    /// Run id (`<start>-<pid>`).
    pub id: String,
    /// Where it is.
    pub status: RunState,
    /// Who ran it (`user@host pid N`).
    pub by: String,
    /// When it started.
    pub started: Timestamp,
    /// When it finished.
    pub finished: Option<Timestamp>,
    /// What to do about it, when something is to be done.
    pub hint: Option<String>,
}

/// The report of `run`, given the holder of the installation's lock if a live run holds it.
pub fn run_report(run: &Run, live_holder: Option<&str>) -> RunReport {
    let (status, hint) = match (run.status, live_holder) {
        (RunStatus::Succeeded, _) => (RunState::Succeeded, None),
        (RunStatus::Failed, _) => (
            RunState::Failed,
            Some("fix the failed step and run `choreoctl install` again: finished steps are not repeated".into()),
        ),
        (RunStatus::InProgress, Some(holder)) => {
            (RunState::Running, Some(format!("running now, held by {holder}")))
        }
        (RunStatus::InProgress, None) => (
            RunState::Interrupted,
            Some("`choreoctl install` resumes it (`--discard` drops it)".into()),
        ),
    };
    RunReport {
        id: run.id.clone(),
        status,
        by: run.by.clone(),
        started: run.started,
        finished: run.finished,
        hint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: RunStatus) -> Run {
        Run {
            id: "20261124T070000Z-42".into(),
            by: "ana@box pid 42".into(),
            started: "2026-11-24T07:00:00Z".parse().unwrap(),
            operation: crate::engine::journal::Operation::Install,
            status,
            finished: None,
        }
    }

    #[test]
    fn an_unfinished_run_without_a_live_lock_is_interrupted_and_install_resumes_it() {
        let report = run_report(&run(RunStatus::InProgress), None);
        assert_eq!(report.status, RunState::Interrupted);
        assert!(
            report
                .hint
                .unwrap()
                .contains("`choreoctl install` resumes it")
        );
    }

    #[test]
    fn an_unfinished_run_whose_lock_is_held_is_running() {
        let report = run_report(&run(RunStatus::InProgress), Some("bo@ci pid 7"));
        assert_eq!(report.status, RunState::Running);
        assert!(report.hint.unwrap().contains("bo@ci pid 7"));
    }

    #[test]
    fn finished_runs_say_how_they_ended() {
        assert_eq!(
            run_report(&run(RunStatus::Succeeded), None).status,
            RunState::Succeeded
        );
        let failed = run_report(&run(RunStatus::Failed), None);
        assert_eq!(failed.status, RunState::Failed);
        assert!(failed.hint.unwrap().contains("choreoctl install"));
    }
}
