//! The journal's model: the installation's last profile, its current run and what that run
//! was asked to do, the steps finished, the outputs read, and each plane's cluster.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::digest::Digest;
use super::store::JOURNAL_FORMAT;
use crate::catalog::model::ResourceRef;

/// The journal of one installation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    /// [`JOURNAL_FORMAT`] of the writer.
    pub format: u32,
    /// Installation name.
    pub installation: String,
    /// The resolved profile the current (or last) run uses.
    pub profile: Value,
    /// [`Digest::of_json`] of `profile`.
    pub profile_digest: Digest,
    /// The current or last run.
    pub run: Run,
    /// Finished steps by step id.
    #[serde(default)]
    pub steps: BTreeMap<String, StepRecord>,
    /// Outputs read, by read step id.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// Cluster identity of each plane, by plane name.
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterIdentity>,
}

/// One run of `install` (or another command that changes the installation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// `<start time>-<pid>`, e.g. `20260821T100000Z-4242`.
    pub id: String,
    /// Who runs it: the lock holder's identity (`user@host pid N`).
    pub by: String,
    /// When it started.
    pub started: Timestamp,
    /// What it was asked to do (journals written before runs recorded it: an install).
    #[serde(default)]
    pub operation: Operation,
    /// Where it is.
    pub status: RunStatus,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
}

/// What a run was asked to do, recorded when it starts: a resume continues the same operation,
/// and a run of another operation is refused while one is interrupted
/// ([`decide_run_start`](super::decide_run_start)).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Operation {
    /// Bring the clusters to the profile (`install`; `module add` and `plane add` edit the
    /// profile, then install it).
    #[default]
    Install,
    /// Move to another OpenChoreo release.
    Upgrade {
        /// The target release.
        to: String,
    },
    /// Take part of the installation away (a module, a plane).
    Remove {
        /// What, as the user named it: `module observe`, `plane obs`.
        what: String,
    },
    /// Take the whole installation away.
    Uninstall,
    /// Move a plane's cluster to another CNI.
    Migrate {
        /// The plane whose cluster moves.
        plane: String,
    },
    /// Register the planes' live CAs and copy the gateway's again (`plane sync-ca`).
    SyncCa,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operation::Install => f.write_str("install"),
            Operation::Upgrade { to } => write!(f, "upgrade to {to}"),
            Operation::Remove { what } => write!(f, "remove {what}"),
            Operation::Uninstall => f.write_str("uninstall"),
            Operation::Migrate { plane } => write!(f, "migrate plane {plane}"),
            Operation::SyncCa => f.write_str("plane sync-ca"),
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Running, or interrupted (killed, lost its connection) if its lock is gone.
    InProgress,
    /// Finished, every step done or skipped.
    Succeeded,
    /// Finished with failed steps (rolled back, dependents skipped).
    Failed,
}

/// A finished step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    /// [`step_input_digest`](super::step_input_digest) of what it ran with.
    pub input_digest: Digest,
    /// For helm steps: the release revision it produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    /// When it finished.
    pub finished: Timestamp,
    /// The run that ran it.
    pub run: String,
    /// What it made that a removal takes away (helm and apply steps); journals written before
    /// choreoctl recorded it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<Made>,
    /// The steps it needed, so that a removal undoes steps in reverse order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// Helm steps: the release is someone else's, used as it is (never upgraded nor removed
    /// by choreoctl).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// What a finished step made, as a removal finds it again (src/engine/removal.rs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Made {
    /// A helm release.
    Release {
        /// The plane whose cluster has it.
        plane: String,
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// Objects applied server-side, in the order they were applied.
    Objects {
        /// The plane whose cluster has them.
        plane: String,
        /// Each object, with the namespace the cluster gave it.
        objects: Vec<ResourceRef>,
    },
}

/// The cluster a plane was first installed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterIdentity {
    /// UID of the cluster's `kube-system` namespace.
    pub uid: String,
    /// The kubeconfig context it was reached through then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// When it was recorded.
    pub recorded: Timestamp,
}

impl Journal {
    /// The journal of a first run of `operation`, in progress.
    pub fn new(
        installation: &str,
        profile: Value,
        operation: Operation,
        by: &str,
        now: Timestamp,
    ) -> Self {
        Self {
            format: JOURNAL_FORMAT,
            installation: installation.to_owned(),
            profile_digest: Digest::of_json(&profile),
            profile,
            run: Run::start(operation, by, now),
            steps: BTreeMap::new(),
            outputs: BTreeMap::new(),
            clusters: BTreeMap::new(),
        }
    }

    /// Starts a new run of `operation` with `profile`, replacing the last (finished or
    /// discarded) one. The records of finished steps stay: they are facts about the clusters,
    /// and each step kind's skip rule checks them against live state.
    pub fn begin_run(&mut self, profile: Value, operation: Operation, by: &str, now: Timestamp) {
        self.profile_digest = Digest::of_json(&profile);
        self.profile = profile;
        self.run = Run::start(operation, by, now);
    }

    /// Records a finished step of the current run.
    pub fn record_step(
        &mut self,
        step_id: &str,
        input_digest: Digest,
        revision: Option<u32>,
        now: Timestamp,
    ) {
        let record = StepRecord {
            input_digest,
            revision,
            finished: now,
            run: self.run.id.clone(),
            made: None,
            needs: Vec::new(),
            external: false,
        };
        self.steps.insert(step_id.to_owned(), record);
    }

    /// Marks step `id` as using a release someone else installed (after
    /// [`Self::record_step`]).
    pub fn record_external(&mut self, step_id: &str) {
        if let Some(record) = self.steps.get_mut(step_id) {
            record.external = true;
        }
    }

    /// Records what a finished step made and the steps it needed (after [`Self::record_step`];
    /// for a skipped step, whose journal entry from an older choreoctl may lack them). `true`
    /// when the record changed.
    pub fn record_made(&mut self, step_id: &str, made: Option<Made>, needs: &[String]) -> bool {
        let Some(record) = self.steps.get_mut(step_id) else {
            return false;
        };
        if record.made == made && record.needs == needs {
            return false;
        }
        record.made = made;
        record.needs = needs.to_vec();
        true
    }

    /// Records the value a read step found.
    pub fn record_output(&mut self, step_id: &str, value: String) {
        self.outputs.insert(step_id.to_owned(), value);
    }

    /// Records (or, after a rebind, replaces) the cluster a plane is on.
    pub fn bind_cluster(&mut self, plane: &str, uid: &str, context: Option<&str>, now: Timestamp) {
        let identity = ClusterIdentity {
            uid: uid.to_owned(),
            context: context.map(str::to_owned),
            recorded: now,
        };
        self.clusters.insert(plane.to_owned(), identity);
    }

    /// Forgets a step (what it installed was removed): its record and any output it read.
    pub fn forget_step(&mut self, step_id: &str) {
        self.steps.remove(step_id);
        self.outputs.remove(step_id);
    }

    /// Forgets the cluster a plane was on (the plane was removed from the installation).
    pub fn unbind_cluster(&mut self, plane: &str) {
        self.clusters.remove(plane);
    }

    /// Ends the current run.
    pub fn finish(&mut self, status: RunStatus, now: Timestamp) {
        self.run.status = status;
        self.run.finished = Some(now);
    }
}

impl Run {
    fn start(operation: Operation, by: &str, now: Timestamp) -> Self {
        Self {
            id: format!("{}-{}", now.strftime("%Y%m%dT%H%M%SZ"), std::process::id()),
            by: by.to_owned(),
            started: now,
            operation,
            status: RunStatus::InProgress,
            finished: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(time: &str) -> Timestamp {
        time.parse().unwrap()
    }

    fn journal() -> Journal {
        Journal::new(
            "acme",
            json!({"edition": "cilium"}),
            Operation::Install,
            "ana@box pid 7",
            at("2026-08-21T10:00:00Z"),
        )
    }

    #[test]
    fn run_ids_name_their_start_time() {
        let j = journal();
        assert!(j.run.id.starts_with("20260821T100000Z-"), "{}", j.run.id);
    }

    #[test]
    fn a_run_records_its_operation_and_older_journals_read_as_installs() {
        let mut j = journal();
        j.begin_run(
            json!({"edition": "cilium"}),
            Operation::Upgrade { to: "1.2.3".into() },
            "ana@box pid 8",
            at("2026-08-22T10:00:00Z"),
        );
        assert_eq!(j.run.operation.to_string(), "upgrade to 1.2.3");
        let mut stored = serde_json::to_value(&j).unwrap();
        assert_eq!(
            stored["run"]["operation"],
            json!({"kind": "upgrade", "to": "1.2.3"})
        );
        stored["run"].as_object_mut().unwrap().remove("operation");
        let older: Journal = serde_json::from_value(stored).unwrap();
        assert_eq!(older.run.operation, Operation::Install);
    }

    #[test]
    fn a_removed_step_and_plane_are_forgotten() {
        let mut j = journal();
        let now = at("2026-08-21T10:01:00Z");
        j.record_step(
            "observe/agent-ca@obs",
            Digest::of_json(&json!(1)),
            None,
            now,
        );
        j.record_output("observe/agent-ca@obs", "CA".into());
        j.record_step(
            "secure-core/thunder@cp",
            Digest::of_json(&json!(2)),
            Some(1),
            now,
        );
        j.bind_cluster("obs", "uid-obs", Some("obs"), now);
        j.bind_cluster("cp", "uid-cp", Some("cp"), now);
        j.forget_step("observe/agent-ca@obs");
        j.unbind_cluster("obs");
        assert_eq!(
            j.steps.keys().collect::<Vec<_>>(),
            ["secure-core/thunder@cp"]
        );
        assert!(j.outputs.is_empty());
        assert_eq!(j.clusters.keys().collect::<Vec<_>>(), ["cp"]);
    }
}
