//! Digests: of a profile, and of a step's rendered inputs (what the journal compares to tell
//! whether a step changed since it last finished).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::plan::{Action, ApplyAction, Step};

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
/// wait or read looks at). Not its context (the cluster is checked by
/// [`check_cluster`](super::check_cluster)), nor how
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
        Action::Remove(remove) => json!({"of": remove.of, "remove": remove.what}),
        Action::Restart(restart) => json!({"mounts": restart.mounts}),
    };
    Digest::of_json(&json!({
        "kind": step.kind(),
        "namespace": step.namespace,
        "action": action,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
                external: None,
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
}
