//! What an install would change, read from the live clusters without changing anything (`plan`
//! and `diff` against live state).
//!
//! Every plane's cluster is connected (an unreachable one is noted, not fatal), the journal is
//! read from the control plane's cluster and helm's release state in bulk, once per cluster.
//! Then the steps are walked in plan order, each one annotated with the [`Change`] an install
//! would make:
//!
//! - **helm**: the engine's own decision ([`decide_step`] on [`step_input_digest`] of the step
//!   rendered with the outputs read) — `no-op` exactly when `install` would skip it;
//! - **apply**: each object compared with a server-side dry-run apply of it (the engine applies
//!   every time; `no-op` means the apply would change nothing);
//! - **wait**: `no-op` when the condition holds now;
//! - **read**: the value is read (public data only, as the engine reads it) and flows into later
//!   steps like it does in a run.
//!
//! A step whose inputs use an output that cannot be read yet is `install` when what it creates
//! is absent, else `unknown`; its reason names the read step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kube::api::DynamicObject;
use serde::Serialize;
use serde_json::Value;

use super::conditions::{Readiness, readiness};
use super::helm::{KubeTarget, ReleaseStates, StoredRelease, read_release_states};
use super::journal::{
    Journal, JournalStore, LiveRelease, RunReason, StepDecision, decide_step, step_input_digest,
};
use super::kube::{ApplyOptions, Cluster, Clusters, KubeError, Target, describe};
use super::outputs::Outputs;
use super::steps::{apply, read};
use crate::plan::{Action, ApplyAction, Plan, Step};
use crate::profile::model::PlaneType;

/// What an install would do to one step's object(s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Absent (release or object): it would be created.
    Install,
    /// Present but different: it would be changed.
    Upgrade,
    /// Cannot tell before an earlier step runs (an output not readable yet, a condition that
    /// does not hold now).
    Unknown,
    /// Nothing would change.
    NoOp,
    /// The plane's cluster cannot be reached.
    Unreachable,
}

impl Change {
    /// How the change is written: `install`, `upgrade`, `no-op`, `unknown`, `unreachable`.
    pub fn label(self) -> &'static str {
        match self {
            Change::Install => "install",
            Change::Upgrade => "upgrade",
            Change::NoOp => "no-op",
            Change::Unknown => "unknown",
            Change::Unreachable => "unreachable",
        }
    }
}

/// One step, as the live clusters show it.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// What an install would do.
    pub change: Change,
    /// Why, for the user (empty for a plain no-op).
    pub reason: String,
    /// The step with every output read so far in place of its placeholder.
    pub rendered: Step,
    /// Apply steps: each object as it is live and as the apply would leave it.
    pub objects: Vec<ObjectState>,
}

/// An object of an apply step, live and after a server-side dry-run apply.
#[derive(Debug, Clone)]
pub struct ObjectState {
    /// `Kind namespace/name`.
    pub label: String,
    /// The object as the cluster has it (`None`: absent), without server bookkeeping.
    pub live: Option<Value>,
    /// The object as the apply would leave it (`None`: could not be dry-run; see the step's
    /// reason), without server bookkeeping.
    pub applied: Option<Value>,
}

/// A plane's cluster as reached (or not).
pub struct LivePlane {
    /// Plane name.
    pub name: String,
    /// The connected cluster, or why it could not be reached.
    pub cluster: Result<Arc<Cluster>, String>,
    /// Whether its kubeconfig and context were found (else nothing was contacted).
    pub configured: bool,
    /// The same cluster as helm is told it, when it could be determined.
    pub helm_target: Option<KubeTarget>,
}

/// The live state of every step of a plan.
pub struct Inspection {
    /// Per plan step, in plan order.
    pub steps: Vec<Inspected>,
    /// The planes and their clusters.
    pub planes: Vec<LivePlane>,
    /// Things the user should know (an unreachable cluster, an unreadable journal).
    pub notes: Vec<String>,
}

impl Inspection {
    /// Whether a cluster was tried at all: some plane has a kubeconfig and context.
    pub fn any_configured(&self) -> bool {
        self.planes.iter().any(|plane| plane.configured)
    }

    /// Whether at least one plane's cluster answered.
    pub fn any_reachable(&self) -> bool {
        self.planes.iter().any(|plane| plane.cluster.is_ok())
    }

    /// How many steps have each change, in [`Change`] order.
    pub fn counts(&self) -> BTreeMap<Change, usize> {
        let mut counts = BTreeMap::new();
        for step in &self.steps {
            *counts.entry(step.change).or_default() += 1;
        }
        counts
    }

    /// The plane named `name`.
    pub fn plane(&self, name: &str) -> Option<&LivePlane> {
        self.planes.iter().find(|plane| plane.name == name)
    }
}

/// How to reach the clusters.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// Whether `http://` manifest URLs may be fetched (plain-HTTP manifest mirror).
    pub manifests_plain_http: bool,
}

/// Reads what an install of `plan` would change; see the module documentation.
pub async fn inspect(plan: &Plan, options: &InspectOptions) -> Inspection {
    let clusters = Clusters::new(options.kubeconfig.clone());
    let connecting = plan.planes.iter().map(|plane| {
        let target = Target {
            kubeconfig: plane
                .kubeconfig
                .as_deref()
                .map(|path| crate::kubeconfig::expand_home(Path::new(path))),
            context: plane.context.clone(),
        };
        let clusters = &clusters;
        async move {
            let connected = clusters.connect(&target).await;
            let configured = !matches!(
                connected,
                Err(KubeError::Kubeconfig { .. } | KubeError::NoContext { .. })
            );
            let cluster = connected.map_err(|error| error.to_string());
            let helm_target = super::run::helm_target(&target, options.kubeconfig.as_deref()).ok();
            LivePlane {
                name: plane.name.clone(),
                cluster,
                configured,
                helm_target,
            }
        }
    });
    let planes: Vec<LivePlane> = futures::future::join_all(connecting).await;
    let mut notes = Vec::new();
    for plane in &planes {
        if let Err(reason) = &plane.cluster {
            notes.push(format!("plane {} is unreachable: {reason}", plane.name));
        }
    }
    if !planes.iter().any(|plane| plane.cluster.is_ok()) {
        return Inspection {
            steps: Vec::new(),
            planes,
            notes,
        };
    }
    let journal = load_journal(plan, &planes, &mut notes).await;
    let releases = read_releases(&planes, &mut notes).await;
    let mut walk = Walk {
        options,
        planes: &planes,
        journal: journal.as_ref(),
        releases: &releases,
        outputs: Outputs::default(),
        unread: BTreeMap::new(),
    };
    let mut steps = Vec::with_capacity(plan.steps.len());
    for step in &plan.steps {
        steps.push(walk.step(step).await);
    }
    Inspection {
        steps,
        planes,
        notes,
    }
}

async fn load_journal(
    plan: &Plan,
    planes: &[LivePlane],
    notes: &mut Vec<String>,
) -> Option<Journal> {
    let control = plan
        .planes
        .iter()
        .find(|plane| plane.plane_type == PlaneType::Control)?;
    let cluster = planes
        .iter()
        .find(|plane| plane.name == control.name)?
        .cluster
        .as_ref()
        .ok()?;
    match JournalStore::new(cluster.client(), &plan.name).load().await {
        Ok(stored) => stored.map(|stored| stored.journal),
        Err(error) => {
            notes.push(format!("the journal could not be read: {error}"));
            None
        }
    }
}

/// helm's release state per plane (shared per cluster: read once each).
async fn read_releases(
    planes: &[LivePlane],
    notes: &mut Vec<String>,
) -> BTreeMap<String, ReleaseStates> {
    let mut read: Vec<(Arc<Cluster>, ReleaseStates)> = Vec::new();
    let mut by_plane = BTreeMap::new();
    for plane in planes {
        let Ok(cluster) = &plane.cluster else {
            continue;
        };
        if let Some((_, states)) = read.iter().find(|(c, _)| Arc::ptr_eq(c, cluster)) {
            by_plane.insert(plane.name.clone(), states.clone());
            continue;
        }
        match read_release_states(cluster.client()).await {
            Ok(states) => {
                read.push((cluster.clone(), states.clone()));
                by_plane.insert(plane.name.clone(), states);
            }
            Err(error) => notes.push(format!(
                "helm releases on context {} could not be listed: {}",
                cluster.context(),
                super::kube::chain(&error)
            )),
        }
    }
    by_plane
}

/// The state of a walk through the steps in plan order.
struct Walk<'a> {
    options: &'a InspectOptions,
    planes: &'a [LivePlane],
    journal: Option<&'a Journal>,
    releases: &'a BTreeMap<String, ReleaseStates>,
    outputs: Outputs,
    /// Placeholders of read steps whose value could not be read, by placeholder: the step id.
    unread: BTreeMap<String, String>,
}

impl Walk<'_> {
    async fn step(&mut self, step: &Step) -> Inspected {
        let rendered = self.outputs.render(step);
        let cluster = match self
            .planes
            .iter()
            .find(|plane| plane.name == step.plane)
            .map(|plane| &plane.cluster)
        {
            Some(Ok(cluster)) => cluster.clone(),
            Some(Err(_)) | None => {
                if let Action::Read(read) = &step.action {
                    self.unread
                        .insert(read.placeholder.clone(), step.id.clone());
                }
                return inspected(Change::Unreachable, "its cluster is unreachable", rendered);
            }
        };
        let waiting_for = self.unread_output(&rendered);
        let namespace = rendered.namespace.clone();
        match &rendered.action {
            Action::Helm(action) => {
                let namespace = namespace.as_deref().unwrap_or("default");
                let live = self
                    .releases
                    .get(&step.plane)
                    .and_then(|states| states.get(namespace, &action.release));
                let (change, reason) = self.helm_change(step, &rendered, live, waiting_for);
                inspected(change, &reason, rendered)
            }
            Action::Apply(action) => {
                let action = action.clone();
                self.apply_change(
                    &cluster,
                    &action,
                    namespace.as_deref(),
                    waiting_for,
                    rendered,
                )
                .await
            }
            Action::Wait(wait) => {
                let mut resource = wait.resource.clone();
                if resource.namespace.is_none() {
                    resource.namespace = namespace.clone();
                }
                let (change, reason) = match get(
                    &cluster,
                    &resource.api_version,
                    &resource.kind,
                    resource.namespace.as_deref(),
                    &resource.name,
                )
                .await
                {
                    Err(reason) => (Change::Unknown, reason),
                    Ok(None) => (
                        Change::Install,
                        format!(
                            "{} does not exist yet",
                            describe(
                                &resource.kind,
                                resource.namespace.as_deref(),
                                &resource.name
                            )
                        ),
                    ),
                    Ok(Some(object)) => {
                        match readiness(wait.condition, &resource.kind, Some(&object)) {
                            Readiness::Ready => (Change::NoOp, String::new()),
                            Readiness::NotReady(why) => {
                                (Change::Unknown, format!("not ready now: {why}"))
                            }
                        }
                    }
                };
                inspected(change, &reason, rendered)
            }
            Action::Read(action) => {
                match read::read_value(&cluster, action, namespace.as_deref()).await {
                    Ok(value) => {
                        self.outputs.insert(&action.placeholder, value);
                        inspected(Change::NoOp, "", rendered)
                    }
                    Err(error) => {
                        self.unread
                            .insert(action.placeholder.clone(), step.id.clone());
                        inspected(
                            Change::Install,
                            &format!("not readable yet ({error})"),
                            rendered,
                        )
                    }
                }
            }
        }
    }

    /// The read step whose output `step` still carries as a placeholder, if any.
    fn unread_output(&self, step: &Step) -> Option<String> {
        let inputs = match &step.action {
            Action::Helm(helm) => vec![&helm.values],
            Action::Apply(ApplyAction::Objects(objects)) => objects.iter().collect(),
            _ => Vec::new(),
        };
        self.unread
            .iter()
            .find(|(placeholder, _)| inputs.iter().any(|value| contains_text(value, placeholder)))
            .map(|(_, id)| id.clone())
    }

    fn helm_change(
        &self,
        step: &Step,
        rendered: &Step,
        live: Option<&StoredRelease>,
        waiting_for: Option<String>,
    ) -> (Change, String) {
        let Some(live) = live else {
            return (Change::Install, "release absent".into());
        };
        if let Some(read) = waiting_for {
            return (
                Change::Unknown,
                format!("its values use the output of {read}, not readable yet"),
            );
        }
        let record = self.journal.and_then(|journal| journal.steps.get(&step.id));
        let live = LiveRelease {
            status: live.status.as_str().to_owned(),
            revision: live.revision,
        };
        match decide_step("helm", record, &step_input_digest(rendered), Some(&live)) {
            StepDecision::Skip => (Change::NoOp, String::new()),
            StepDecision::Run(reason) => (Change::Upgrade, describe_reason(&reason)),
        }
    }

    async fn apply_change(
        &self,
        cluster: &Cluster,
        action: &ApplyAction,
        namespace: Option<&str>,
        waiting_for: Option<String>,
        rendered: Step,
    ) -> Inspected {
        let objects = match action {
            ApplyAction::Objects(objects) => objects.clone(),
            ApplyAction::Remote(remote) => {
                match apply::fetch(remote, self.options.manifests_plain_http).await {
                    Ok(objects) => objects,
                    Err(error) => return inspected(Change::Unknown, &error.to_string(), rendered),
                }
            }
        };
        let mut states = Vec::new();
        let mut change = Change::NoOp;
        let mut reasons = Vec::new();
        for object in objects {
            let (state, object_change, reason) =
                object_change(cluster, object, namespace, waiting_for.as_deref()).await;
            if object_change != Change::NoOp {
                change = change.min(object_change);
                reasons.push(format!("{}: {reason}", state.label));
            }
            states.push(state);
        }
        let mut inspected = inspected(change, &summarize(&reasons), rendered);
        inspected.objects = states;
        inspected
    }
}

/// One object: absent (install), same after a dry-run apply (no-op) or not (upgrade).
async fn object_change(
    cluster: &Cluster,
    object: Value,
    namespace: Option<&str>,
    waiting_for: Option<&str>,
) -> (ObjectState, Change, String) {
    let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let object_namespace = object["metadata"]["namespace"]
        .as_str()
        .map(str::to_owned)
        .or(namespace.map(str::to_owned));
    let mut state = ObjectState {
        label: describe(&kind, object_namespace.as_deref(), &name),
        live: None,
        applied: None,
    };
    let namespaced = match cluster.kind(&api_version, &kind, Duration::ZERO).await {
        Ok(Some(served)) => served.namespaced,
        Ok(None) => return (state, Change::Install, format!("{kind} is not served yet")),
        Err(error) => return (state, Change::Unknown, error.to_string()),
    };
    let object_namespace = object_namespace.filter(|_| namespaced);
    state.label = describe(&kind, object_namespace.as_deref(), &name);
    let live = match get(
        cluster,
        &api_version,
        &kind,
        object_namespace.as_deref(),
        &name,
    )
    .await
    {
        Ok(live) => live,
        Err(reason) => return (state, Change::Unknown, reason),
    };
    state.live = live.as_ref().map(without_bookkeeping);
    let Some(_) = live else {
        return (state, Change::Install, "absent".into());
    };
    if let Some(read) = waiting_for {
        return (
            state,
            Change::Unknown,
            format!("uses the output of {read}, not readable yet"),
        );
    }
    match dry_run_apply(cluster, object, object_namespace.as_deref()).await {
        Ok(applied) => {
            let applied = without_bookkeeping(&applied);
            let change = if Some(&applied) == state.live.as_ref() {
                Change::NoOp
            } else {
                Change::Upgrade
            };
            state.applied = Some(applied);
            (state, change, "differs from the live object".into())
        }
        Err(error) => (
            state,
            Change::Unknown,
            format!("dry-run apply failed: {error}"),
        ),
    }
}

/// Server-side dry-run apply, taking over fields only helm owns as the apply step does.
pub async fn dry_run_apply(
    cluster: &Cluster,
    object: Value,
    namespace: Option<&str>,
) -> Result<Value, KubeError> {
    let mut object: DynamicObject =
        serde_json::from_value(object).map_err(|e| KubeError::Invalid {
            object: "a rendered object".into(),
            reason: e.to_string(),
        })?;
    if object.metadata.namespace.is_none() {
        object.metadata.namespace = namespace.map(str::to_owned);
    }
    let options = ApplyOptions {
        force_conflicts: false,
        dry_run: true,
    };
    let applied = match cluster.apply(&object, &options).await {
        Err(KubeError::Conflict { conflicts, .. })
            if conflicts.iter().all(|conflict| conflict.manager == "helm") =>
        {
            let forced = ApplyOptions {
                force_conflicts: true,
                ..options
            };
            cluster.apply(&object, &forced).await?
        }
        other => other?,
    };
    serde_json::to_value(&applied).map_err(|e| KubeError::Invalid {
        object: "the dry-run result".into(),
        reason: e.to_string(),
    })
}

/// The object named, if it exists; an error only when the cluster could not answer. A kind
/// that is not served yet means the object does not exist.
async fn get(
    cluster: &Cluster,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Option<Value>, String> {
    let served = cluster
        .kind(api_version, kind, Duration::ZERO)
        .await
        .map_err(|error| error.to_string())?;
    let Some(served) = served else {
        return Ok(None);
    };
    let object = cluster
        .api(&served, namespace)
        .get_opt(name)
        .await
        .map_err(|e| {
            cluster
                .api_error("reading", &describe(kind, namespace, name), e)
                .to_string()
        })?;
    Ok(object.map(|object| serde_json::to_value(object).unwrap_or_default()))
}

/// `object` without what the server changes on every write (`managedFields`,
/// `resourceVersion`, `generation`) and without `status`: what is compared and diffed.
pub fn without_bookkeeping(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in ["managedFields", "resourceVersion", "generation"] {
            metadata.remove(field);
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    object
}

fn inspected(change: Change, reason: &str, rendered: Step) -> Inspected {
    Inspected {
        change,
        reason: reason.to_owned(),
        rendered,
        objects: Vec::new(),
    }
}

/// Why the engine would run a helm step, in words.
fn describe_reason(reason: &RunReason) -> String {
    match reason {
        RunReason::AlwaysRuns => "runs every time".into(),
        RunReason::NotJournaled => "not installed by choreoctl before".into(),
        RunReason::InputsChanged => "its inputs changed since the last install".into(),
        RunReason::ReleaseMissing => "release absent".into(),
        RunReason::ReleasePending { status, revision } => {
            format!("release left {status} at revision {revision}")
        }
        RunReason::ReleaseNotDeployed { status } => format!("release is {status}"),
        RunReason::ReleaseMoved { journaled, live } => {
            format!("release moved from revision {journaled} (last install) to {live}")
        }
    }
}

/// The first reasons, and how many more.
fn summarize(reasons: &[String]) -> String {
    match reasons {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

fn contains_text(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(text) => text.contains(needle),
        Value::Array(items) => items.iter().any(|item| contains_text(item, needle)),
        Value::Object(map) => map.values().any(|item| contains_text(item, needle)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bookkeeping_is_not_a_change() {
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "7",
            "generation": 2, "managedFields": [{}], "uid": "u"}, "data": {"k": "v"},
            "status": {"x": 1}});
        let applied = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "8",
            "uid": "u"}, "data": {"k": "v"}});
        assert_eq!(without_bookkeeping(&live), without_bookkeeping(&applied));
    }

    #[test]
    fn finds_placeholders_at_any_depth() {
        let values = json!({"a": [{"b": "x <from plane dp: ca> y"}], "c": 3});
        assert!(contains_text(&values, "<from plane dp: ca>"));
        assert!(!contains_text(&values, "<from plane obs: ca>"));
    }

    #[test]
    fn the_most_urgent_change_wins() {
        assert_eq!(Change::NoOp.min(Change::Upgrade), Change::Upgrade);
        assert_eq!(Change::NoOp.min(Change::Unknown), Change::Unknown);
        assert_eq!(Change::Upgrade.min(Change::Install), Change::Install);
        assert_eq!(Change::Install.label(), "install");
        assert_eq!(serde_json::to_value(Change::NoOp).unwrap(), json!("no-op"));
    }

    #[test]
    fn reasons_are_summarized() {
        assert_eq!(summarize(&[]), "");
        assert_eq!(
            summarize(&["a: absent".into(), "b: absent".into()]),
            "a: absent (and 1 more)"
        );
    }
}
