//! Whether a plane's cluster agent is connected to the control plane, as the plane resource
//! (`Cluster<Type>Plane`) on the control plane reports it: OpenChoreo's controller writes
//! `status.agentConnection` (`connected`, `connectedAgents`, `lastHeartbeatTime`, `message`);
//! a condition of type `AgentConnected` is read too. When nothing has written either, the
//! answer is "not reported", never a guess. Pure.

use serde::Serialize;
use serde_json::Value;

/// The agent's connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    /// `true`/`false` as reported; `null` when not reported or not readable.
    pub connected: Option<bool>,
    /// What the status says, or why there is no answer.
    pub detail: String,
}

/// Reads the connection from the plane resource's `status` (`None`: the resource has none).
pub fn agent_state(status: Option<&Value>) -> Agent {
    let status = status.unwrap_or(&Value::Null);
    let connection = &status["agentConnection"];
    if let Some(connected) = connection["connected"].as_bool() {
        let mut facts = Vec::new();
        if let Some(count) = connection["connectedAgents"].as_u64() {
            facts.push(format!("{count} agent(s) connected"));
        }
        if let Some(beat) = connection["lastHeartbeatTime"].as_str() {
            facts.push(format!("last heartbeat {beat}"));
        }
        if let Some(message) = connection["message"].as_str().filter(|m| !m.is_empty()) {
            facts.push(message.to_owned());
        }
        return Agent {
            connected: Some(connected),
            detail: facts.join("; "),
        };
    }
    let condition = status["conditions"].as_array().and_then(|conditions| {
        conditions
            .iter()
            .find(|c| c["type"].as_str() == Some("AgentConnected"))
    });
    if let Some(condition) = condition {
        let connected = match condition["status"].as_str() {
            Some("True") => Some(true),
            Some("False") => Some(false),
            _ => None,
        };
        let detail = [&condition["reason"], &condition["message"]]
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        return Agent { connected, detail };
    }
    Agent {
        connected: None,
        detail: "not reported: nothing has set status.agentConnection of the plane resource \
                 (OpenChoreo's controller sets it once an agent connects)"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_agent_connection_status_is_read_as_written() {
        let status = json!({"agentConnection": {
            "connected": true, "connectedAgents": 1, "lastHeartbeatTime": "2026-11-24T07:00:00Z"
        }});
        let agent = agent_state(Some(&status));
        assert_eq!(agent.connected, Some(true));
        assert_eq!(
            agent.detail,
            "1 agent(s) connected; last heartbeat 2026-11-24T07:00:00Z"
        );
        let down = json!({"agentConnection": {"connected": false, "connectedAgents": 0,
                                              "message": "no agent connected"}});
        assert_eq!(agent_state(Some(&down)).connected, Some(false));
    }

    #[test]
    fn an_agent_connected_condition_is_read_when_there_is_no_connection_status() {
        let status = json!({"conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "AgentConnected", "status": "False", "reason": "Disconnected",
             "message": "agent went away"},
        ]});
        let agent = agent_state(Some(&status));
        assert_eq!(agent.connected, Some(false));
        assert_eq!(agent.detail, "Disconnected: agent went away");
    }

    #[test]
    fn no_status_is_not_reported_rather_than_guessed() {
        for status in [None, Some(json!({})), Some(json!({"conditions": []}))] {
            let agent = agent_state(status.as_ref());
            assert_eq!(agent.connected, None);
            assert!(agent.detail.starts_with("not reported"), "{}", agent.detail);
        }
    }
}
