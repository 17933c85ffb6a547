//! Waiting for an object to satisfy a wait condition, on a watch.
//!
//! The wait tolerates what happens during an install: the object not existing yet (operators
//! create some a while after their chart is installed), its kind not being served yet (the CRD
//! comes later), and watch errors (retried with kube-runtime's backoff, never fatal). Only the
//! deadline ends it; the timeout then says what is not ready and why: the reason from
//! [`conditions`](super::conditions), the workload's pods that are not ready, and the object's
//! latest events.

use std::fmt;
use std::pin::pin;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, DynamicObject, ListParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::watch_object;
use miette::Diagnostic;
use serde_json::Value;

use super::conditions::{Readiness, pod_problem, readiness};
use super::kube::{Cluster, chain, describe};
use crate::catalog::model::{ResourceRef, WaitCondition};

/// Longest pause between two looks for a kind that is not served yet.
const KIND_POLL_MAX: Duration = Duration::from_secs(5);
/// How long gathering pods and events for a timeout message may take.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);
/// At most this many pods and events are shown.
const SHOWN: usize = 5;

/// Waits until `resource` (its name already rendered) satisfies `condition` on `cluster`, for at
/// most `timeout`. Returns the object as it was when it became ready.
///
/// # Errors
///
/// [`WaitTimeout`] when `timeout` passes first, with the last reason the object was not
/// ready, its pods' problems and recent events; the wait step fails (exit 3 for the run).
pub async fn wait_for(
    cluster: &Cluster,
    resource: &ResourceRef,
    condition: WaitCondition,
    timeout: Duration,
) -> Result<DynamicObject, WaitTimeout> {
    let mut progress = Progress {
        reason: "it has not been looked at yet".into(),
        last_error: None,
        latest: None,
    };
    let watching = watch_until_ready(cluster, resource, condition, &mut progress);
    match tokio::time::timeout(timeout, watching).await {
        Ok(object) => Ok(object),
        Err(_) => Err(WaitTimeout::gather(cluster, resource, condition, timeout, progress).await),
    }
}

/// What the wait knew when it last looked.
struct Progress {
    /// Why the object is not ready.
    reason: String,
    /// The last watch or discovery error, cleared by the next good answer.
    last_error: Option<String>,
    /// The object as last seen.
    latest: Option<Value>,
}

async fn watch_until_ready(
    cluster: &Cluster,
    resource: &ResourceRef,
    condition: WaitCondition,
    progress: &mut Progress,
) -> DynamicObject {
    let mut pause = Duration::from_millis(250);
    let kind = loop {
        match cluster
            .kind(&resource.api_version, &resource.kind, Duration::ZERO)
            .await
        {
            Ok(Some(kind)) => break kind,
            Ok(None) => {
                progress.reason = format!(
                    "{} {} is not served by the cluster yet (its CRD is not installed)",
                    resource.api_version, resource.kind
                );
                progress.last_error = None;
            }
            Err(e) => progress.last_error = Some(e.to_string()),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(KIND_POLL_MAX);
    };
    let api = cluster.api(&kind, resource.namespace.as_deref());
    let mut events = pin!(watch_object(api, &resource.name).default_backoff());
    while let Some(event) = events.next().await {
        match event {
            Ok(object) => {
                progress.last_error = None;
                let value = object.as_ref().and_then(|o| serde_json::to_value(o).ok());
                match (readiness(condition, &resource.kind, value.as_ref()), object) {
                    (Readiness::Ready, Some(object)) => return object,
                    (Readiness::Ready, None) => {}
                    (Readiness::NotReady(reason), _) => progress.reason = reason,
                }
                progress.latest = value;
            }
            Err(e) => progress.last_error = Some(chain(&e)),
        }
    }
    // A watcher stream does not end; should it, only the deadline ends the wait.
    std::future::pending().await
}

/// A wait that ran out of time, with what was found about why.
#[derive(Debug, Diagnostic)]
pub struct WaitTimeout {
    /// The context of the cluster.
    pub context: String,
    /// The object, e.g. `Deployment demo/web`.
    pub object: String,
    /// The condition waited for.
    pub condition: WaitCondition,
    /// How long it was waited for.
    pub waited: Duration,
    /// Why it is not ready (from the last look at it).
    pub reason: String,
    /// The last watch error, if the last answer was one.
    pub last_error: Option<String>,
    /// Pods of the workload that are not ready, each with why.
    pub pods: Vec<String>,
    /// The object's newest events, newest first.
    pub events: Vec<String>,
    /// What the user can do about it (the wait step's `hint`).
    pub hint: Option<String>,
}

impl fmt::Display for WaitTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out after {} s waiting for {} on context `{}` to be {:?}: {}",
            self.waited.as_secs(),
            self.object,
            self.context,
            self.condition,
            self.reason
        )?;
        if let Some(error) = &self.last_error {
            write!(f, "\n  last error: {error}")?;
        }
        if !self.pods.is_empty() {
            write!(f, "\n  pods not ready:")?;
            for pod in &self.pods {
                write!(f, "\n    {pod}")?;
            }
        }
        if !self.events.is_empty() {
            write!(f, "\n  latest events:")?;
            for event in &self.events {
                write!(f, "\n    {event}")?;
            }
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint:")?;
            for line in hint.trim().lines() {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for WaitTimeout {}

impl WaitTimeout {
    async fn gather(
        cluster: &Cluster,
        resource: &ResourceRef,
        condition: WaitCondition,
        waited: Duration,
        progress: Progress,
    ) -> WaitTimeout {
        let namespace = resource.namespace.as_deref();
        let latest = progress.latest.as_ref();
        let (pods, events) = tokio::join!(
            bounded(pods_not_ready(cluster, namespace, latest)),
            bounded(latest_events(cluster, resource, latest)),
        );
        WaitTimeout {
            context: cluster.context().to_owned(),
            object: describe(&resource.kind, namespace, &resource.name),
            condition,
            waited,
            reason: progress.reason,
            last_error: progress.last_error,
            pods,
            events,
            hint: None,
        }
    }
}

/// Runs a best-effort lookup for a timeout message: nothing if it fails or takes too long.
async fn bounded(lookup: impl Future<Output = Result<Vec<String>, kube::Error>>) -> Vec<String> {
    match tokio::time::timeout(GATHER_TIMEOUT, lookup).await {
        Ok(Ok(lines)) => lines,
        Ok(Err(_)) | Err(_) => Vec::new(),
    }
}

/// The workload's pods (matching its `spec.selector`) that are not ready, with why.
async fn pods_not_ready(
    cluster: &Cluster,
    namespace: Option<&str>,
    workload: Option<&Value>,
) -> Result<Vec<String>, kube::Error> {
    let (Some(namespace), Some(selector)) = (
        namespace,
        workload
            .and_then(|w| w.pointer("/spec/selector"))
            .and_then(label_selector),
    ) else {
        return Ok(Vec::new());
    };
    let pods: Api<Pod> = Api::namespaced(cluster.client().clone(), namespace);
    let list = pods.list(&ListParams::default().labels(&selector)).await?;
    Ok(list
        .items
        .iter()
        .filter_map(|pod| {
            let name = pod.metadata.name.as_deref()?;
            let problem = pod_problem(&serde_json::to_value(pod).ok()?)?;
            Some(format!("{name}: {problem}"))
        })
        .take(SHOWN)
        .collect())
}

/// The object's newest core/v1 Events, newest first.
async fn latest_events(
    cluster: &Cluster,
    resource: &ResourceRef,
    latest: Option<&Value>,
) -> Result<Vec<String>, kube::Error> {
    // Events about cluster-scoped objects are recorded in `default`.
    let namespace = resource.namespace.as_deref().unwrap_or("default");
    let mut fields = format!(
        "involvedObject.kind={},involvedObject.name={}",
        resource.kind, resource.name
    );
    if let Some(uid) = latest.and_then(|o| o.pointer("/metadata/uid")?.as_str()) {
        fields.push_str(&format!(",involvedObject.uid={uid}"));
    }
    let events: Api<Event> = Api::namespaced(cluster.client().clone(), namespace);
    let mut list = events
        .list(&ListParams::default().fields(&fields))
        .await?
        .items;
    list.sort_by_key(|event| std::cmp::Reverse(event_time(event)));
    Ok(list.iter().take(SHOWN).map(describe_event).collect())
}

fn event_time(event: &Event) -> Option<k8s_openapi::jiff::Timestamp> {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// `Warning ProvisioningFailed: storageclass "fast" not found (x4)`.
fn describe_event(event: &Event) -> String {
    let mut line = format!(
        "{} {}: {}",
        event.type_.as_deref().unwrap_or("Normal"),
        event.reason.as_deref().unwrap_or("-"),
        event.message.as_deref().unwrap_or_default().trim()
    );
    if let Some(count) = event.count.filter(|count| *count > 1) {
        line.push_str(&format!(" (x{count})"));
    }
    line
}

/// A `metav1.LabelSelector` as a label-selector string (`app=web,tier in (a,b)`).
fn label_selector(selector: &Value) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (key, value) in labels {
            terms.push(format!("{key}={}", value.as_str()?));
        }
    }
    if let Some(expressions) = selector.get("matchExpressions").and_then(Value::as_array) {
        for expression in expressions {
            let key = expression.get("key")?.as_str()?;
            let values: Vec<&str> = expression
                .get("values")
                .and_then(Value::as_array)
                .map(|vs| vs.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            terms.push(match expression.get("operator")?.as_str()? {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.to_owned(),
                "DoesNotExist" => format!("!{key}"),
                _ => return None,
            });
        }
    }
    (!terms.is_empty()).then(|| terms.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_become_label_selector_strings() {
        assert_eq!(
            label_selector(&json!({"matchLabels": {"app": "web", "tier": "front"}})).as_deref(),
            Some("app=web,tier=front")
        );
        assert_eq!(
            label_selector(&json!({
                "matchLabels": {"app": "web"},
                "matchExpressions": [
                    {"key": "zone", "operator": "In", "values": ["a", "b"]},
                    {"key": "canary", "operator": "DoesNotExist"}
                ]
            }))
            .as_deref(),
            Some("app=web,zone in (a,b),!canary")
        );
        assert_eq!(label_selector(&json!({})), None);
    }

    #[test]
    fn timeout_message_names_object_reason_pods_and_events() {
        let timeout = WaitTimeout {
            context: "dp1".into(),
            object: "Deployment demo/web".into(),
            condition: WaitCondition::Available,
            waited: Duration::from_secs(60),
            reason: "0 of 1 updated replicas available".into(),
            last_error: None,
            pods: vec!["web-1: Pending: PodScheduled=False (Unschedulable: no nodes)".into()],
            events: vec!["Normal ScalingReplicaSet: Scaled up replica set web-5d8f to 1".into()],
            hint: None,
        };
        assert_eq!(
            timeout.to_string(),
            "timed out after 60 s waiting for Deployment demo/web on context `dp1` to be \
             Available: 0 of 1 updated replicas available\n  \
             pods not ready:\n    web-1: Pending: PodScheduled=False (Unschedulable: no nodes)\n  \
             latest events:\n    Normal ScalingReplicaSet: Scaled up replica set web-5d8f to 1"
        );
    }

    #[test]
    fn timeout_message_ends_with_the_steps_hint_indented() {
        let timeout = WaitTimeout {
            context: "dp1".into(),
            object: "ExternalSecret ns/creds".into(),
            condition: WaitCondition::Ready,
            waited: Duration::from_secs(120),
            reason: "Ready=False (SecretSyncedError: could not get secret data from provider)"
                .into(),
            last_error: None,
            pods: Vec::new(),
            events: Vec::new(),
            hint: Some("Put the key into this cluster's store:\n  bao kv put secret/x\n".into()),
        };
        assert_eq!(
            timeout.to_string(),
            "timed out after 120 s waiting for ExternalSecret ns/creds on context `dp1` to be \
             Ready: Ready=False (SecretSyncedError: could not get secret data from provider)\n  \
             hint:\n    Put the key into this cluster's store:\n      bao kv put secret/x"
        );
    }
}
