//! Values read on one cluster for another (agent CAs, the cluster-gateway CA): what an export
//! does with the plan's placeholders for them.
//!
//! No GitOps engine can carry a value read on one cluster into a manifest for another, and a
//! placeholder must never land in a field the engine keeps re-applying. So, for Argo CD and
//! Flux (docs/gitops.md):
//! - a plane's `clusterAgent.clientCA` becomes a `secretKeyRef` to the Secret
//!   [`agent_ca_secret`] on the control plane, which the cluster gateway reads at every agent
//!   handshake: Git stays static and a renewed agent certificate only needs the Secret updated;
//! - objects that carry a read value as data (the `cluster-gateway-ca` ConfigMaps) are left out
//!   of the export;
//! - both are written by `copy-cas.sh` ([`copy_script`]): server-side apply under its own field
//!   manager, of objects the engine does not own.
//!
//! helmfile runs imperatively, like choreoctl, and reads the value when the step that carries
//! it runs: an apply step's hook, or a release's sync ([`Reads::vals_ref`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::bail;
use serde_json::{Value, json};

use crate::names::CA_COPY_FIELD_MANAGER;
use crate::plan::{Action, Plan, Step};

/// Namespace, on the control plane, of the Secrets holding the planes' agent CAs (the cluster
/// gateway's namespace).
pub const CA_NAMESPACE: &str = "openchoreo-control-plane";

/// Where a read step reads its value.
#[derive(Debug, Clone)]
pub struct Source {
    /// The plane read.
    pub plane: String,
    /// Its context.
    pub context: Option<String>,
    /// Kind of the object (`Secret` or `ConfigMap`).
    pub kind: String,
    /// Namespace of the object.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The key in its data.
    pub key: String,
}

/// Every read step's source, by the placeholder later steps carry.
#[derive(Debug, Default)]
pub struct Reads(BTreeMap<String, Source>);

/// One copy `copy-cas.sh` makes.
#[derive(Debug, Clone)]
pub struct Copy {
    /// What is read.
    pub from: Source,
    /// Context written to.
    pub context: Option<String>,
    /// `secret` or `configmap`.
    pub kind: &'static str,
    /// Namespace written to.
    pub namespace: String,
    /// Name written to.
    pub name: String,
    /// Key written.
    pub key: String,
}

impl Reads {
    /// The read steps of `plan`.
    pub fn of(plan: &Plan) -> Self {
        let mut reads = BTreeMap::new();
        for step in &plan.steps {
            if let Action::Read(read) = &step.action {
                reads.insert(
                    read.placeholder.clone(),
                    Source {
                        plane: step.plane.clone(),
                        context: step.context.clone(),
                        kind: read.resource.kind.clone(),
                        namespace: read.resource.namespace.clone().unwrap_or_default(),
                        name: read.resource.name.clone(),
                        key: read.key.clone(),
                    },
                );
            }
        }
        Self(reads)
    }

    /// The source a string stands for, when it is (or contains) a placeholder.
    pub fn find(&self, text: &str) -> Option<(&str, &Source)> {
        self.0
            .iter()
            .find(|(placeholder, _)| text.contains(placeholder.as_str()))
            .map(|(placeholder, source)| (placeholder.as_str(), source))
    }

    /// Whether any string inside `value` carries a placeholder.
    pub fn carried_by(&self, value: &Value) -> bool {
        match value {
            Value::String(text) => self.find(text).is_some(),
            Value::Array(items) => items.iter().any(|item| self.carried_by(item)),
            Value::Object(map) => map.values().any(|item| self.carried_by(item)),
            _ => false,
        }
    }

    /// The objects of an apply step as Argo CD and Flux get them, and the copies `copy-cas.sh`
    /// makes instead: `clientCA.value` becomes a `secretKeyRef`, a ConfigMap whose data are read
    /// values is left to the script. Any other place a read value appears is an error (the
    /// export would otherwise carry a placeholder).
    ///
    /// # Errors
    ///
    /// A read value anywhere else than those two places; `render` ends with exit 1
    /// (`Unexpected`).
    pub fn detach(
        &self,
        step: &Step,
        objects: &[Value],
    ) -> anyhow::Result<(Vec<Value>, Vec<Copy>)> {
        let mut kept = Vec::new();
        let mut copies = Vec::new();
        for object in objects {
            let mut object = object.clone();
            if let Some(copy) = self.client_ca_to_ref(step, &mut object) {
                copies.push(copy);
            }
            if !self.carried_by(&object) {
                kept.push(object);
                continue;
            }
            match self.config_map_copies(step, &object) {
                Some(found) => copies.extend(found),
                None => bail!(
                    "{}: a value read from a cluster appears in {} {} where no export can carry it",
                    step.id,
                    object["kind"].as_str().unwrap_or("an object"),
                    object["metadata"]["name"].as_str().unwrap_or("")
                ),
            }
        }
        Ok((kept, copies))
    }

    /// Rewrites `spec.clusterAgent.clientCA: {value: <placeholder>}` to a `secretKeyRef`.
    fn client_ca_to_ref(&self, step: &Step, object: &mut Value) -> Option<Copy> {
        let client_ca = object.pointer_mut("/spec/clusterAgent/clientCA")?;
        let (_, source) = self.find(client_ca.get("value")?.as_str()?)?;
        let name = agent_ca_secret(&source.plane);
        *client_ca =
            json!({"secretKeyRef": {"name": name, "namespace": CA_NAMESPACE, "key": "ca.crt"}});
        Some(Copy {
            from: source.clone(),
            context: step.context.clone(),
            kind: "secret",
            namespace: CA_NAMESPACE.into(),
            name,
            key: "ca.crt".into(),
        })
    }

    /// The copies that replace a ConfigMap whose every data value is a placeholder.
    fn config_map_copies(&self, step: &Step, object: &Value) -> Option<Vec<Copy>> {
        if object["kind"] != "ConfigMap" {
            return None;
        }
        let namespace = object["metadata"]["namespace"].as_str()?;
        let name = object["metadata"]["name"].as_str()?;
        object["data"]
            .as_object()?
            .iter()
            .map(|(key, value)| {
                let text = value.as_str()?;
                let (placeholder, source) = self.find(text)?;
                (text == placeholder).then(|| Copy {
                    from: source.clone(),
                    context: step.context.clone(),
                    kind: "configmap",
                    namespace: namespace.into(),
                    name: name.into(),
                    key: key.clone(),
                })
            })
            .collect()
    }

    /// helmfile's reference to the value (vals' Kubernetes provider), read when the hook or the
    /// release that carries it runs.
    pub fn vals_ref(source: &Source) -> String {
        let mut reference = format!(
            "ref+k8s://v1/{}/{}/{}/{}",
            source.kind, source.namespace, source.name, source.key
        );
        if let Some(context) = &source.context {
            write!(reference, "?kubeContext={context}").expect("writing to a String");
        }
        reference
    }
}

/// The Secret, in [`CA_NAMESPACE`] on the control plane, holding `plane`'s agent CA.
pub fn agent_ca_secret(plane: &str) -> String {
    super::layout::dns_label(&format!("{plane}-agent-ca"))
}

/// `copy-cas.sh`: reads every source once it exists and server-side applies each copy under
/// [`CA_COPY_FIELD_MANAGER`]. Idempotent; the export's README says when it runs.
pub fn copy_script(copies: &[Copy]) -> String {
    let mut script = String::from(
        "#!/bin/sh\n\
         # Written by `choreoctl render`: copies the CAs that cross clusters, which no GitOps\n\
         # engine can carry (README.md, \"What runs when\"). Idempotent: run it once the sync has\n\
         # started, and on a schedule (agent certificates renew every 75 days).\n\
         # Uses kubectl and your kubeconfig (KUBECONFIG); waits up to CHOREOCTL_CA_WAIT seconds\n\
         # (default 1800) for each source to exist. Prints no certificate.\n\
         set -eu\n\
         wait_for=\"${CHOREOCTL_CA_WAIT:-1800}\"\n\n\
         # read_key CONTEXT KIND NAMESPACE NAME JSONPATH_KEY\n\
         read_key() {\n\
         \x20 waited=0\n\
         \x20 until kubectl ${1:+--context \"$1\"} -n \"$3\" get \"$2\" \"$4\" >/dev/null 2>&1; do\n\
         \x20   [ \"$waited\" -lt \"$wait_for\" ] || { echo \"copy-cas.sh: $2 $3/$4 not found on ${1:-the current context}\" >&2; exit 1; }\n\
         \x20   sleep 10; waited=$((waited + 10))\n\
         \x20 done\n\
         \x20 if [ \"$2\" = secret ]; then\n\
         \x20   kubectl ${1:+--context \"$1\"} -n \"$3\" get secret \"$4\" -o \"jsonpath={.data.$5}\" | base64 -d\n\
         \x20 else\n\
         \x20   kubectl ${1:+--context \"$1\"} -n \"$3\" get configmap \"$4\" -o \"jsonpath={.data.$5}\"\n\
         \x20 fi\n\
         }\n\n\
         # write_key CONTEXT KIND NAMESPACE NAME KEY FILE\n\
         write_key() {\n\
         \x20 kubectl ${1:+--context \"$1\"} create namespace \"$3\" --dry-run=client -o yaml \\\n\
         \x20   | kubectl ${1:+--context \"$1\"} apply --server-side --field-manager=",
    );
    script.push_str(CA_COPY_FIELD_MANAGER);
    script.push_str(
        " -f - >/dev/null\n\
         \x20 if [ \"$2\" = secret ]; then kind=\"secret generic\"; else kind=configmap; fi\n\
         \x20 kubectl ${1:+--context \"$1\"} -n \"$3\" create $kind \"$4\" --from-file=\"$5=$6\" --dry-run=client -o yaml \\\n\
         \x20   | kubectl ${1:+--context \"$1\"} apply --server-side --force-conflicts --field-manager=",
    );
    script.push_str(CA_COPY_FIELD_MANAGER);
    script.push_str(
        " -f -\n\
         }\n\n\
         tmp=$(mktemp)\n\
         trap 'rm -f \"$tmp\"' EXIT\n",
    );
    for copy in copies {
        let from = &copy.from;
        let _ = write!(
            script,
            "\n# {from_plane}'s {from_kind} {from_ns}/{from_name} {from_key} -> {kind} {ns}/{name} {key}\n\
             read_key '{from_ctx}' {from_kind_lower} {from_ns} {from_name} '{jsonpath}' >\"$tmp\"\n\
             write_key '{ctx}' {kind} {ns} {name} {key} \"$tmp\"\n",
            from_plane = from.plane,
            from_kind = from.kind,
            from_kind_lower = from.kind.to_lowercase(),
            from_ns = from.namespace,
            from_name = from.name,
            from_key = from.key,
            from_ctx = from.context.as_deref().unwrap_or(""),
            jsonpath = from.key.replace('.', "\\."),
            kind = copy.kind,
            ctx = copy.context.as_deref().unwrap_or(""),
            ns = copy.namespace,
            name = copy.name,
            key = copy.key,
        );
    }
    script
}

/// Copies in a stable order, without repeats (co-located planes share ConfigMaps).
pub fn dedup(copies: &mut Vec<Copy>) {
    let mut seen = std::collections::BTreeSet::new();
    copies.retain(|copy| {
        seen.insert((
            copy.context.clone(),
            copy.kind,
            copy.namespace.clone(),
            copy.name.clone(),
            copy.key.clone(),
        ))
    });
}
