//! The journal of runs of one installation, kept on the control plane's cluster as the Secret
//! `choreoctl-<installation>` in [`SYSTEM_NAMESPACE`] (a Secret, because the resolved profile it
//! holds may contain secret values). It records:
//!
//! - the profile the last run used, and its digest, so later commands need no file;
//! - per finished step: the digest of its rendered inputs, the helm revision it produced, when;
//! - the outputs read (step id → value: public CA data, endpoints);
//! - each plane's cluster identity (the `kube-system` namespace UID), recorded at first install;
//! - the current run: in progress (run id, start, who) or finished.
//!
//! It is saved with optimistic concurrency (`resourceVersion`) and stored as gzip-compressed
//! JSON, which keeps even a large installation far below a Secret's 1 MiB limit.
//!
//! The decisions made from it are pure functions, tested without a cluster:
//! [`decide_step`] (skip a step or run it), [`decide_run_start`] (start, resume or refuse: exit 6)
//! and [`check_cluster`] (same cluster as recorded, or refused: exit 4).
//!
//! **Which steps are skipped.** Only helm steps: one whose input digest equals the journaled one
//! and whose live release is `deployed` at the journaled revision. A helm process costs seconds;
//! release storage tells cheaply whether anyone changed the release since. Apply, wait and read
//! steps always run: each costs one request per object, a server-side apply of unchanged objects
//! changes nothing (no new generation, no rollout), a satisfied wait returns at once, and running
//! them is what repairs drift (a deleted plane resource, an edited ClusterSecretStore, a rotated
//! agent CA read afresh). So a no-op run makes no helm calls and still converges.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, ListParams, PostParams};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::lock::{INSTALLATION_LABEL, SYSTEM_NAMESPACE, ensure_system_namespace};
use crate::plan::{Action, ApplyAction, Step};

/// Version of the journal's stored form; a journal written by a newer choreoctl is refused.
pub const JOURNAL_FORMAT: u32 = 1;

/// Key of the Secret's data holding the gzip-compressed JSON journal.
pub const JOURNAL_KEY: &str = "journal.json.gz";

/// `type` of the journal Secret.
pub const JOURNAL_SECRET_TYPE: &str = "choreoctl.openchoreo.dev/journal";

/// Largest compressed journal saved: a Secret holds at most 1 MiB, metadata included.
pub const MAX_JOURNAL_BYTES: usize = 1_000_000;

/// `sha256:<hex>` of canonical JSON (object keys sorted), so equal inputs have equal digests
/// however their maps were ordered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Digest(String);

impl Digest {
    /// Digest of a JSON value, independent of the order of its object keys.
    pub fn of_json(value: &Value) -> Self {
        let mut hasher = Sha256::new();
        write_canonical(value, &mut hasher);
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self(format!("sha256:{hex}"))
    }

    /// The digest as written: `sha256:<64 hex digits>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn write_canonical(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            hasher.update(b"{");
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    hasher.update(b",");
                }
                hasher.update(Value::from(key.as_str()).to_string().as_bytes());
                hasher.update(b":");
                write_canonical(value, hasher);
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    hasher.update(b",");
                }
                write_canonical(item, hasher);
            }
            hasher.update(b"]");
        }
        scalar => hasher.update(scalar.to_string().as_bytes()),
    }
}

/// Digest of a step's rendered inputs: what it installs or applies and with which values
/// (chart reference and version, release, namespace, values; objects or manifest URL; what a
/// wait or read looks at). Not its context (the cluster is checked by [`check_cluster`]), nor how
/// helm waits, nor the plan's ordering: those do not change what ends up in the cluster.
/// Give it the step as rendered with the run's outputs.
pub fn step_input_digest(step: &Step) -> Digest {
    let action = match &step.action {
        Action::Helm(helm) => json!({
            "release": helm.release,
            "chart": {"reference": helm.chart.reference, "repo": helm.chart.repo},
            "version": helm.version,
            "values": helm.values,
        }),
        Action::Apply(ApplyAction::Objects(objects)) => json!({"objects": objects}),
        Action::Apply(ApplyAction::Remote(remote)) => {
            json!({"url": remote.url, "version": remote.version})
        }
        Action::Wait(wait) => json!({"resource": wait.resource, "condition": wait.condition}),
        Action::Read(read) => json!({"resource": read.resource, "key": read.key}),
    };
    Digest::of_json(&json!({
        "kind": step.kind(),
        "namespace": step.namespace,
        "action": action,
    }))
}

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
    /// Where it is.
    pub status: RunStatus,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Timestamp>,
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
    /// [`step_input_digest`] of what it ran with.
    pub input_digest: Digest,
    /// For helm steps: the release revision it produced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    /// When it finished.
    pub finished: Timestamp,
    /// The run that ran it.
    pub run: String,
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
    /// The journal of a first install, its run in progress.
    pub fn new(installation: &str, profile: Value, by: &str, now: Timestamp) -> Self {
        Self {
            format: JOURNAL_FORMAT,
            installation: installation.to_owned(),
            profile_digest: Digest::of_json(&profile),
            profile,
            run: Run::start(by, now),
            steps: BTreeMap::new(),
            outputs: BTreeMap::new(),
            clusters: BTreeMap::new(),
        }
    }

    /// Starts a new run with `profile`, replacing the last (finished or discarded) one. The
    /// records of finished steps stay: they are facts about the clusters, and [`decide_step`]
    /// checks them against live release state.
    pub fn begin_run(&mut self, profile: Value, by: &str, now: Timestamp) {
        self.profile_digest = Digest::of_json(&profile);
        self.profile = profile;
        self.run = Run::start(by, now);
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
        };
        self.steps.insert(step_id.to_owned(), record);
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

    /// Ends the current run.
    pub fn finish(&mut self, status: RunStatus, now: Timestamp) {
        self.run.status = status;
        self.run.finished = Some(now);
    }
}

impl Run {
    fn start(by: &str, now: Timestamp) -> Self {
        Self {
            id: format!("{}-{}", now.strftime("%Y%m%dT%H%M%SZ"), std::process::id()),
            by: by.to_owned(),
            started: now,
            status: RunStatus::InProgress,
            finished: None,
        }
    }
}

/// A helm release as its storage shows it: the labels of its highest revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRelease {
    /// `status` label: `deployed`, `failed`, `pending-upgrade`, ...
    pub status: String,
    /// `version` label: the revision.
    pub revision: u32,
}

/// Whether a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepDecision {
    /// Journaled with the same inputs and still in place: nothing to do.
    Skip,
    /// Run it, and why.
    Run(RunReason),
}

/// Why a step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunReason {
    /// Apply, wait and read steps run every time (cheap; they repair drift).
    AlwaysRuns,
    /// Never finished before.
    NotJournaled,
    /// Its rendered inputs changed since it last finished.
    InputsChanged,
    /// The journal says it was installed, but the release is gone.
    ReleaseMissing,
    /// The release was left `pending-*` (a dead run): recover it first.
    ReleasePending {
        /// The pending status.
        status: String,
        /// Its revision.
        revision: u32,
    },
    /// The release's last revision is not `deployed` (failed, uninstalled, ...).
    ReleaseNotDeployed {
        /// Its status.
        status: String,
    },
    /// Someone upgraded or rolled the release back since.
    ReleaseMoved {
        /// The revision this step produced.
        journaled: u32,
        /// The live revision.
        live: u32,
    },
}

/// Decides whether a step runs: see the module documentation for the rule.
/// `kind` is the step's kind ([`Step::kind`]); `live` is the step's release in helm's storage
/// (helm steps only; `None`: no release).
pub fn decide_step(
    kind: &str,
    record: Option<&StepRecord>,
    digest: &Digest,
    live: Option<&LiveRelease>,
) -> StepDecision {
    if kind != "helm" {
        return StepDecision::Run(RunReason::AlwaysRuns);
    }
    let Some(record) = record else {
        return StepDecision::Run(RunReason::NotJournaled);
    };
    if &record.input_digest != digest {
        return StepDecision::Run(RunReason::InputsChanged);
    }
    let Some(live) = live else {
        return StepDecision::Run(RunReason::ReleaseMissing);
    };
    if live.status.starts_with("pending-") {
        return StepDecision::Run(RunReason::ReleasePending {
            status: live.status.clone(),
            revision: live.revision,
        });
    }
    if live.status != "deployed" {
        return StepDecision::Run(RunReason::ReleaseNotDeployed {
            status: live.status.clone(),
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

/// An interrupted run exists and the profile changed since: the user must say what to do.
/// Exit code 6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "run {run_id} of installation '{installation}' (by {by}, started {started:.0}) was \
     interrupted, and the profile changed since"
)]
#[diagnostic(help(
    "--resume finishes that run with the profile it started with; --discard drops it and \
     installs the current profile"
))]
pub struct InterruptedRun {
    /// Installation name.
    pub installation: String,
    /// The interrupted run.
    pub run_id: String,
    /// Who ran it.
    pub by: String,
    /// When it started.
    pub started: Timestamp,
}

/// Decides how a run starts. The caller holds the lock, so an in-progress run in the journal is
/// an interrupted one. `--resume` or `--discard` without an interrupted run change nothing.
pub fn decide_run_start(
    journal: Option<&Journal>,
    profile_digest: &Digest,
    choice: InterruptedRunChoice,
) -> Result<RunStart, InterruptedRun> {
    let Some(journal) = journal else {
        return Ok(RunStart::FirstInstall);
    };
    if journal.run.status != RunStatus::InProgress {
        return Ok(RunStart::NewRun);
    }
    let run_id = journal.run.id.clone();
    let unchanged = &journal.profile_digest == profile_digest;
    match choice {
        InterruptedRunChoice::Discard => Ok(RunStart::DiscardAndRun { run_id }),
        _ if unchanged => Ok(RunStart::Resume { run_id }),
        InterruptedRunChoice::Resume => Ok(RunStart::ResumeWithJournaledProfile { run_id }),
        InterruptedRunChoice::Unspecified => Err(InterruptedRun {
            installation: journal.installation.clone(),
            run_id,
            by: journal.run.by.clone(),
            started: journal.run.started,
        }),
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

/// The identity of the cluster `client` reaches: its `kube-system` namespace's UID (the
/// namespace cannot be deleted, so the UID lives as long as the cluster).
pub async fn cluster_uid(client: &Client) -> Result<String, kube::Error> {
    let namespace = Api::<Namespace>::all(client.clone())
        .get("kube-system")
        .await?;
    Ok(namespace.metadata.uid.unwrap_or_default())
}

/// Why the journal could not be loaded or saved.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum JournalError {
    /// Someone else saved the journal since it was loaded.
    #[error(
        "the journal of installation '{installation}' was changed by someone else since it was read"
    )]
    #[diagnostic(help("another choreoctl run may be working on it: check `choreoctl status`"))]
    Conflict {
        /// Installation name.
        installation: String,
    },
    /// The journal does not fit in a Secret.
    #[error(
        "the journal of installation '{installation}' is {bytes} bytes compressed, more than the \
         {MAX_JOURNAL_BYTES} a Secret can hold"
    )]
    TooLarge {
        /// Installation name.
        installation: String,
        /// Its compressed size.
        bytes: usize,
    },
    /// The Secret exists but is not a journal this choreoctl can read.
    #[error(
        "the journal of installation '{installation}' (Secret {SYSTEM_NAMESPACE}/{secret}) cannot \
         be read: {reason}"
    )]
    Unreadable {
        /// Installation name.
        installation: String,
        /// Secret name.
        secret: String,
        /// What is wrong.
        reason: String,
    },
    /// The cluster refused or failed a request.
    #[error("journal of installation '{installation}': cannot {action}")]
    Kube {
        /// Installation name.
        installation: String,
        /// What was attempted.
        action: &'static str,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// A journal as loaded, with the `resourceVersion` to save it against.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The journal.
    pub journal: Journal,
    /// The Secret's `resourceVersion` when read.
    pub resource_version: String,
}

/// Where the journal of one installation is kept.
#[derive(Debug, Clone)]
pub struct JournalStore {
    api: Api<Secret>,
    installation: String,
}

/// The journal Secret's name for an installation.
pub fn secret_name(installation: &str) -> String {
    format!("choreoctl-{installation}")
}

/// Names of the installations whose journal is kept on the cluster `client` reaches, sorted.
pub async fn list_installations(client: &Client) -> Result<Vec<String>, kube::Error> {
    let api: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let secrets = api
        .list_metadata(&ListParams::default().labels(INSTALLATION_LABEL))
        .await?;
    let mut names: Vec<String> = secrets
        .items
        .into_iter()
        .filter_map(|secret| {
            let name = secret.metadata.name?;
            let installation = secret.metadata.labels?.remove(INSTALLATION_LABEL)?;
            (name == secret_name(&installation)).then_some(installation)
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

impl JournalStore {
    /// The journal of `installation` on the control plane's cluster.
    pub fn new(client: &Client, installation: &str) -> Self {
        Self {
            api: Api::namespaced(client.clone(), SYSTEM_NAMESPACE),
            installation: installation.to_owned(),
        }
    }

    /// Reads the journal; `None` before the first install.
    pub async fn load(&self) -> Result<Option<Stored>, JournalError> {
        let name = secret_name(&self.installation);
        let Some(secret) = self
            .api
            .get_opt(&name)
            .await
            .map_err(self.kube_error("read the journal Secret"))?
        else {
            return Ok(None);
        };
        let unreadable = |reason: String| JournalError::Unreadable {
            installation: self.installation.clone(),
            secret: name.clone(),
            reason,
        };
        let payload = secret
            .data
            .as_ref()
            .and_then(|data| data.get(JOURNAL_KEY))
            .ok_or_else(|| unreadable(format!("it has no key {JOURNAL_KEY}")))?;
        let journal = decode(&payload.0).map_err(unreadable)?;
        Ok(Some(Stored {
            journal,
            resource_version: secret.metadata.resource_version.unwrap_or_default(),
        }))
    }

    /// Saves the journal: created when `resource_version` is `None`, else replaced only if the
    /// Secret is still at that version. Returns the new version, to pass to the next save.
    pub async fn save(
        &self,
        journal: &Journal,
        resource_version: Option<&str>,
    ) -> Result<String, JournalError> {
        let payload = encode(journal);
        if payload.len() > MAX_JOURNAL_BYTES {
            return Err(JournalError::TooLarge {
                installation: self.installation.clone(),
                bytes: payload.len(),
            });
        }
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(secret_name(&self.installation)),
                labels: Some(
                    [
                        (INSTALLATION_LABEL.to_owned(), self.installation.clone()),
                        (
                            "app.kubernetes.io/managed-by".to_owned(),
                            "choreoctl".to_owned(),
                        ),
                    ]
                    .into(),
                ),
                resource_version: resource_version.map(str::to_owned),
                ..ObjectMeta::default()
            },
            type_: Some(JOURNAL_SECRET_TYPE.to_owned()),
            data: Some([(JOURNAL_KEY.to_owned(), ByteString(payload))].into()),
            ..Secret::default()
        };
        let params = PostParams::default();
        let written = match resource_version {
            None => {
                ensure_system_namespace(&self.api.clone().into_client())
                    .await
                    .map_err(self.kube_error("create namespace choreoctl-system"))?;
                self.api.create(&params, &secret).await
            }
            Some(_) => {
                self.api
                    .replace(&secret_name(&self.installation), &params, &secret)
                    .await
            }
        };
        match written {
            Ok(secret) => Ok(secret.metadata.resource_version.unwrap_or_default()),
            Err(kube::Error::Api(s))
                if s.is_conflict() || s.is_already_exists() || s.is_not_found() =>
            {
                Err(JournalError::Conflict {
                    installation: self.installation.clone(),
                })
            }
            Err(e) => Err(self.kube_error("save the journal Secret")(e)),
        }
    }

    fn kube_error(&self, action: &'static str) -> impl FnOnce(kube::Error) -> JournalError {
        let installation = self.installation.clone();
        move |source| JournalError::Kube {
            installation,
            action,
            source,
        }
    }
}

/// The stored form: gzip-compressed JSON.
fn encode(journal: &Journal) -> Vec<u8> {
    let json = serde_json::to_vec(journal).expect("a journal serializes to JSON");
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(&json)
        .and_then(|()| gzip.finish())
        .expect("compressing into memory cannot fail")
}

fn decode(payload: &[u8]) -> Result<Journal, String> {
    let mut json = Vec::new();
    GzDecoder::new(payload)
        .read_to_end(&mut json)
        .map_err(|e| format!("not gzip data: {e}"))?;
    let value: Value = serde_json::from_slice(&json).map_err(|e| format!("not JSON: {e}"))?;
    let format = value.get("format").and_then(Value::as_u64).unwrap_or(0);
    if format > u64::from(JOURNAL_FORMAT) {
        return Err(format!(
            "written in format {format} by a newer choreoctl (this one reads {JOURNAL_FORMAT})"
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("not a journal: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: &str) -> Timestamp {
        time.parse().unwrap()
    }

    fn digest(s: &str) -> Digest {
        Digest::of_json(&json!(s))
    }

    fn record(input: &str, revision: Option<u32>) -> StepRecord {
        StepRecord {
            input_digest: digest(input),
            revision,
            finished: at("2026-08-21T10:00:00Z"),
            run: "r1".into(),
        }
    }

    fn live(status: &str, revision: u32) -> LiveRelease {
        LiveRelease {
            status: status.into(),
            revision,
        }
    }

    fn journal(status: RunStatus) -> Journal {
        let mut journal = Journal::new(
            "acme",
            json!({"edition": "cilium"}),
            "ana@box pid 7",
            at("2026-08-21T10:00:00Z"),
        );
        journal.run.status = status;
        journal
    }

    #[test]
    fn digests_ignore_key_order_but_not_values() {
        let a: Value =
            serde_json::from_str(r#"{"a": 1, "b": {"x": [1, "2"], "y": null}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"b": {"y": null, "x": [1, "2"]}, "a": 1}"#).unwrap();
        let c: Value = serde_json::from_str(r#"{"a": 1, "b": {"x": [1, 2], "y": null}}"#).unwrap();
        assert_eq!(Digest::of_json(&a), Digest::of_json(&b));
        assert_ne!(Digest::of_json(&a), Digest::of_json(&c));
        assert!(Digest::of_json(&a).as_str().starts_with("sha256:"));
        assert_eq!(Digest::of_json(&a).as_str().len(), "sha256:".len() + 64);
    }

    fn helm_step(context: &str, values: Value) -> Step {
        Step {
            id: "secure-core/control-plane@cp".into(),
            module: "secure-core".into(),
            plane: "cp".into(),
            subject: "cp".into(),
            context: Some(context.into()),
            kubeconfig: None,
            namespace: Some("openchoreo-control-plane".into()),
            action: Action::Helm(crate::plan::HelmAction {
                chart: crate::plan::ChartRef {
                    name: "openchoreo-control-plane".into(),
                    reference: "oci://ghcr.io/openchoreo/helm-charts/openchoreo-control-plane"
                        .into(),
                    repo: None,
                    plain_http: false,
                },
                release: "openchoreo-control-plane".into(),
                version: "1.0.0".into(),
                helm: crate::plan::HelmSettings {
                    wait: false,
                    timeout: 300,
                },
                values,
            }),
            needs: vec![],
        }
    }

    #[test]
    fn a_step_digest_changes_with_what_is_installed_not_with_where_or_how_helm_waits() {
        let base = helm_step("cp", json!({"replicas": 1, "domain": "a.example"}));
        let mut elsewhere = helm_step("cp-admin", json!({"domain": "a.example", "replicas": 1}));
        elsewhere.needs = vec!["cert-manager@cp".into()];
        if let Action::Helm(helm) = &mut elsewhere.action {
            helm.helm = crate::plan::HelmSettings {
                wait: true,
                timeout: 900,
            };
        }
        assert_eq!(step_input_digest(&base), step_input_digest(&elsewhere));
        let changed_values = helm_step("cp", json!({"replicas": 2, "domain": "a.example"}));
        assert_ne!(step_input_digest(&base), step_input_digest(&changed_values));
        let mut upgraded = base.clone();
        if let Action::Helm(helm) = &mut upgraded.action {
            helm.version = "1.0.1".into();
        }
        assert_ne!(step_input_digest(&base), step_input_digest(&upgraded));
    }

    #[test]
    fn a_helm_step_is_skipped_only_with_equal_inputs_and_the_journaled_release_deployed() {
        let d = digest("values v1");
        let done = || Some(record("values v1", Some(3)));
        let decide = |record: Option<StepRecord>, live: Option<LiveRelease>| {
            decide_step("helm", record.as_ref(), &d, live.as_ref())
        };
        assert_eq!(
            decide(done(), Some(live("deployed", 3))),
            StepDecision::Skip
        );
        let runs =
            |record, live, reason| assert_eq!(decide(record, live), StepDecision::Run(reason));
        runs(None, Some(live("deployed", 3)), RunReason::NotJournaled);
        runs(
            Some(record("values v0", Some(3))),
            Some(live("deployed", 3)),
            RunReason::InputsChanged,
        );
        runs(done(), None, RunReason::ReleaseMissing);
        runs(
            done(),
            Some(live("deployed", 4)),
            RunReason::ReleaseMoved {
                journaled: 3,
                live: 4,
            },
        );
        runs(
            done(),
            Some(live("failed", 3)),
            RunReason::ReleaseNotDeployed {
                status: "failed".into(),
            },
        );
        runs(
            done(),
            Some(live("pending-upgrade", 4)),
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
        for kind in ["apply", "wait", "read"] {
            assert_eq!(
                decide_step(kind, Some(&done), &d, None),
                StepDecision::Run(RunReason::AlwaysRuns),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_run_starts_fresh_without_journal_and_anew_after_a_finished_run() {
        let d = digest("profile");
        for choice in [
            InterruptedRunChoice::Unspecified,
            InterruptedRunChoice::Resume,
            InterruptedRunChoice::Discard,
        ] {
            assert_eq!(
                decide_run_start(None, &d, choice),
                Ok(RunStart::FirstInstall)
            );
            for status in [RunStatus::Succeeded, RunStatus::Failed] {
                assert_eq!(
                    decide_run_start(Some(&journal(status)), &d, choice),
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
                decide_run_start(Some(&interrupted), &same, choice),
                Ok(RunStart::Resume {
                    run_id: run_id.clone()
                })
            );
        }
        assert_eq!(
            decide_run_start(Some(&interrupted), &same, InterruptedRunChoice::Discard),
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
            InterruptedRunChoice::Unspecified,
        )
        .unwrap_err();
        assert_eq!(refused.run_id, run_id);
        assert_eq!(refused.by, "ana@box pid 7");
        let message = refused.to_string();
        assert!(message.contains("interrupted"), "{message}");
        let help = miette::Diagnostic::help(&refused).unwrap().to_string();
        assert!(
            help.contains("--resume") && help.contains("--discard"),
            "{help}"
        );
        assert_eq!(
            decide_run_start(Some(&interrupted), &changed, InterruptedRunChoice::Resume),
            Ok(RunStart::ResumeWithJournaledProfile {
                run_id: run_id.clone()
            })
        );
        assert_eq!(
            decide_run_start(Some(&interrupted), &changed, InterruptedRunChoice::Discard),
            Ok(RunStart::DiscardAndRun { run_id })
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

    #[test]
    fn a_journal_round_trips_through_its_stored_form() {
        let mut j = journal(RunStatus::InProgress);
        j.record_step(
            "secure-core/control-plane@cp",
            digest("v"),
            Some(2),
            at("2026-08-21T10:01:00Z"),
        );
        j.record_output(
            "secure-core/agent-ca@dp1",
            "-----BEGIN CERTIFICATE-----".into(),
        );
        j.bind_cluster("cp", "uid-cp", Some("cp"), at("2026-08-21T10:00:00Z"));
        j.finish(RunStatus::Succeeded, at("2026-08-21T10:02:00Z"));
        assert_eq!(decode(&encode(&j)), Ok(j));
    }

    #[test]
    fn a_journal_from_a_newer_choreoctl_or_garbage_is_refused_with_a_reason() {
        let mut value = serde_json::to_value(journal(RunStatus::Succeeded)).unwrap();
        value["format"] = json!(JOURNAL_FORMAT + 1);
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(value.to_string().as_bytes()).unwrap();
        let newer = decode(&gzip.finish().unwrap()).unwrap_err();
        assert!(newer.contains("newer choreoctl"), "{newer}");
        assert!(decode(b"{}").unwrap_err().contains("not gzip"));
    }

    #[test]
    fn run_ids_name_their_start_time() {
        let j = journal(RunStatus::InProgress);
        assert!(j.run.id.starts_with("20260821T100000Z-"), "{}", j.run.id);
    }
}
