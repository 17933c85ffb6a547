//! Why a pod is not ready, in words a timeout message can show.

use serde_json::Value;

use super::object::{find_condition, str_at};

/// Why a pod is not ready (phase, then a container's waiting or failed state, or why it is not
/// scheduled); `None` when it is ready.
pub fn pod_problem(pod: &Value) -> Option<String> {
    if find_condition(pod, "Ready").is_some_and(|c| c.status == Some("True")) {
        return None;
    }
    let phase = str_at(pod, "/status/phase").unwrap_or("Pending");
    let mut containers = ["/status/initContainerStatuses", "/status/containerStatuses"]
        .into_iter()
        .filter_map(|pointer| pod.pointer(pointer)?.as_array())
        .flatten();
    let container_problem = containers.find_map(|container| {
        let name = container.get("name").and_then(Value::as_str).unwrap_or("?");
        let waiting = container.pointer("/state/waiting");
        let failed = container
            .pointer("/state/terminated")
            .filter(|t| t.get("exitCode").and_then(Value::as_i64).unwrap_or(0) != 0);
        let state = waiting.or(failed)?;
        let reason = state
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("Waiting");
        Some(match state.get("message").and_then(Value::as_str) {
            Some(message) if !message.is_empty() => {
                format!("container {name} {reason}: {}", message.trim())
            }
            _ => format!("container {name} {reason}"),
        })
    });
    let detail = container_problem
        .or_else(|| {
            find_condition(pod, "PodScheduled")
                .filter(|c| c.status == Some("False"))
                .map(|c| c.describe())
        })
        .or_else(|| find_condition(pod, "Ready").map(|c| c.describe()));
    Some(match detail {
        Some(detail) => format!("{phase}: {detail}"),
        None => phase.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::conditions::fixtures::yaml;

    #[test]
    fn pod_problems_name_the_waiting_container_or_the_scheduler() {
        let unschedulable = yaml(
            "
metadata: {name: web-1}
status:
  phase: Pending
  conditions:
  - type: PodScheduled
    status: 'False'
    reason: Unschedulable
    message: '0/2 nodes are available: 2 node(s) didn''t match Pod''s node affinity/selector.'
",
        );
        assert_eq!(
            pod_problem(&unschedulable).unwrap(),
            "Pending: PodScheduled=False (Unschedulable: 0/2 nodes are available: 2 node(s) \
             didn't match Pod's node affinity/selector.)"
        );

        let pulling = yaml(
            "
metadata: {name: web-2}
status:
  phase: Pending
  conditions:
  - {type: PodScheduled, status: 'True'}
  - {type: Ready, status: 'False', reason: ContainersNotReady}
  containerStatuses:
  - name: web
    ready: false
    state: {waiting: {reason: ImagePullBackOff, message: 'Back-off pulling image \"web:9\"'}}
",
        );
        assert_eq!(
            pod_problem(&pulling).unwrap(),
            "Pending: container web ImagePullBackOff: Back-off pulling image \"web:9\""
        );

        let ready = yaml(
            "
status:
  phase: Running
  conditions:
  - {type: Ready, status: 'True'}
",
        );
        assert_eq!(pod_problem(&ready), None);
    }
}
