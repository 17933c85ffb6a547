//! `install --dry-run`: every step checked against its cluster, nothing changed.
//!
//! No lock is taken and no journal written. The DAG runs as in a real run (same order, same
//! concurrency), but each step only asks:
//!
//! - helm: `helm upgrade --install --dry-run=server` (renders the chart against the cluster and
//!   validates it; no revision is stored);
//! - apply: a server-side dry-run apply of each object (validated and defaulted by the server,
//!   nothing stored); an object whose kind or namespace does not exist yet (an earlier step
//!   would create it) is not checked, and the step says so;
//! - wait: whether the condition holds now (nothing is waited for: nothing changes);
//! - read: the value, when it exists; otherwise it is unknown in a dry run, later steps keep its
//!   placeholder, and the run carries on.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::Options;
use super::conditions::{Readiness, readiness};
use super::executor::{Limits, Node, execute};
use super::helm::{ChartSource, Helm, HelmProcess, UpgradeRequest};
use super::kube::{Cluster, KubeError, describe};
use super::live::dry_run_apply;
use super::outputs::Outputs;
use super::run::{Outcome, PlaneCluster, Reporter, Summary, summarize};
use super::steps::{StepDone, StepError, Undo, apply, read};
use crate::plan::{Action, ApplyAction, HelmAction, Plan, ReadAction, Step, WaitAction};

/// Runs `plan` as a dry run; see the module documentation.
pub(super) async fn run(
    plan: &Plan,
    options: &Options,
    reporter: &dyn Reporter,
    helm: &HelmProcess,
    planes: &[PlaneCluster],
) -> Outcome {
    reporter.note("dry run: nothing is changed on any cluster (no lock, no journal)");
    let plane = |name: &str| {
        planes
            .iter()
            .find(|plane| plane.name == name)
            .expect("every step's plane is connected")
    };
    let nodes: Vec<Node> = plan
        .steps
        .iter()
        .map(|step| Node {
            id: step.id.clone(),
            needs: step.needs.clone(),
            cluster: format!("{:p}", std::sync::Arc::as_ptr(&plane(&step.plane).cluster)),
            cost: if step.kind() == "helm" { 3 } else { 1 },
        })
        .collect();
    let outputs = Mutex::new(Outputs::default());
    let stop = AtomicBool::new(false);
    let begun = Instant::now();
    let results = execute(
        &nodes,
        Limits {
            per_cluster: options.concurrency.max(1),
        },
        &stop,
        |index| {
            let step = &plan.steps[index];
            let outputs = &outputs;
            let plane = plane(&step.plane);
            async move {
                let rendered = outputs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .render(step);
                reporter.step_started(step);
                let started = Instant::now();
                let result = check(options, helm, plane, &rendered).await;
                if let (Ok(done), Action::Read(read)) = (&result, &step.action)
                    && let Some(value) = &done.output
                {
                    outputs
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(&read.placeholder, value.clone());
                }
                reporter.step_finished(step, started.elapsed(), &result);
                result
            }
        },
    )
    .await;
    let mut summary: Summary = summarize(plan, planes, &nodes, &results, begun.elapsed(), reporter);
    summary.dry_run = true;
    summary.helm_upgrades = 0;
    reporter.summary(&summary);
    Outcome { summary }
}

async fn check(
    options: &Options,
    helm: &HelmProcess,
    plane: &PlaneCluster,
    step: &Step,
) -> Result<StepDone, StepError> {
    let namespace = step.namespace.as_deref();
    match &step.action {
        Action::Helm(action) => check_release(options, helm, plane, action, namespace).await,
        Action::Apply(action) => check_objects(options, &plane.cluster, action, namespace).await,
        Action::Wait(action) => check_wait(&plane.cluster, action, namespace).await,
        Action::Read(action) => Ok(check_read(&plane.cluster, action, namespace).await),
    }
}

async fn check_release(
    options: &Options,
    helm: &HelmProcess,
    plane: &PlaneCluster,
    action: &HelmAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let request = UpgradeRequest {
        release: super::helm::ReleaseRef {
            target: plane.helm_target.clone(),
            namespace: namespace.unwrap_or("default").to_owned(),
            name: action.release.clone(),
        },
        chart: ChartSource {
            reference: action.chart.reference.clone(),
            version: action.version.clone(),
            plain_http: action.chart.plain_http,
        },
        values: vec![action.values.clone()],
        wait: false,
        timeout: options
            .timeout
            .unwrap_or(Duration::from_secs(action.helm.timeout)),
        rollback_on_failure: false,
        dry_run: true,
    };
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

async fn check_objects(
    options: &Options,
    cluster: &Cluster,
    action: &ApplyAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let objects = match action {
        ApplyAction::Objects(objects) => objects.clone(),
        ApplyAction::Remote(remote) => apply::fetch(remote, options.manifests_plain_http).await?,
    };
    let mut notes = Vec::new();
    for object in objects {
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let label = describe(
            &kind,
            object["metadata"]["namespace"].as_str().or(namespace),
            object["metadata"]["name"].as_str().unwrap_or_default(),
        );
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        if cluster
            .kind(api_version, &kind, Duration::ZERO)
            .await?
            .is_none()
        {
            notes.push(format!(
                "{label} not checked: {kind} is not served yet (an earlier step installs it)"
            ));
            continue;
        }
        match dry_run_apply(cluster, object, namespace).await {
            Ok(_) => {}
            Err(KubeError::Api {
                source: kube::Error::Api(status),
                ..
            }) if status.code == 404 => notes.push(format!(
                "{label} not checked: {} (an earlier step creates it)",
                status.message
            )),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(StepDone {
        notes,
        ..StepDone::default()
    })
}

async fn check_wait(
    cluster: &Cluster,
    action: &WaitAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let resource = &action.resource;
    let namespace = resource.namespace.as_deref().or(namespace);
    let label = describe(&resource.kind, namespace, &resource.name);
    let object = match cluster
        .kind(&resource.api_version, &resource.kind, Duration::ZERO)
        .await?
    {
        Some(kind) => cluster
            .api(&kind, namespace.filter(|_| kind.namespaced))
            .get_opt(&resource.name)
            .await
            .map_err(|e| cluster.api_error("reading", &label, e))?
            .map(|object| serde_json::to_value(object).unwrap_or_default()),
        None => None,
    };
    let note = match readiness(action.condition, &resource.kind, object.as_ref()) {
        Readiness::Ready => format!("{label} is {:?} already", action.condition),
        Readiness::NotReady(why) => format!("not waited for in a dry run: {label}: {why}"),
    };
    Ok(StepDone {
        notes: vec![note],
        ..StepDone::default()
    })
}

async fn check_read(cluster: &Cluster, action: &ReadAction, namespace: Option<&str>) -> StepDone {
    match read::read_value(cluster, action, namespace).await {
        Ok(value) => StepDone {
            output: Some(value),
            ..StepDone::default()
        },
        Err(error) => StepDone {
            notes: vec![format!(
                "{error}: the value is unknown in a dry run; later steps keep its placeholder"
            )],
            ..StepDone::default()
        },
    }
}
