//! The serialized form of a step: flat, with the action's `kind` second and its fields between
//! the common ones and `needs`, exactly as docs/plan-format.md documents it. Written out by hand
//! because serde's `tag` + `flatten` would put `kind` with the action's fields, after
//! `namespace`.

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::Value;

use super::{Action, ApplyAction, Step};

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// `manifest` of an apply step: `{objects: […]}` or `{url: …}`.
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        enum ManifestField<'a> {
            Objects(&'a [Value]),
            Url(&'a str),
        }

        let action_fields = match &self.action {
            Action::Helm(_) => 5,
            Action::Apply(ApplyAction::Objects(_)) => 1,
            Action::Apply(ApplyAction::Remote(_)) => 2,
            Action::Wait(_) | Action::Read(_) | Action::Remove(_) | Action::Restart(_) => 1,
        };
        // id, kind, module, plane, subject, context, namespace, needs; kubeconfig when set.
        let fields = 8 + usize::from(self.kubeconfig.is_some()) + action_fields;
        let mut out = serializer.serialize_struct("Step", fields)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("kind", &self.kind())?;
        out.serialize_field("module", &self.module)?;
        out.serialize_field("plane", &self.plane)?;
        out.serialize_field("subject", &self.subject)?;
        out.serialize_field("context", &self.context)?;
        match &self.kubeconfig {
            Some(kubeconfig) => out.serialize_field("kubeconfig", kubeconfig)?,
            None => out.skip_field("kubeconfig")?,
        }
        out.serialize_field("namespace", &self.namespace)?;
        match &self.action {
            Action::Helm(helm) => {
                out.serialize_field("chart", &helm.chart)?;
                out.serialize_field("release", &helm.release)?;
                out.serialize_field("version", &helm.version)?;
                out.serialize_field("helm", &helm.helm)?;
                out.serialize_field("values", &helm.values)?;
            }
            Action::Apply(ApplyAction::Objects(objects)) => {
                out.serialize_field("manifest", &ManifestField::Objects(objects))?;
            }
            Action::Apply(ApplyAction::Remote(remote)) => {
                out.serialize_field("version", &remote.version)?;
                out.serialize_field("manifest", &ManifestField::Url(&remote.url))?;
            }
            Action::Wait(wait) => out.serialize_field("wait", wait)?,
            Action::Read(read) => out.serialize_field("read", read)?,
            Action::Remove(remove) => out.serialize_field("remove", remove)?,
            Action::Restart(restart) => out.serialize_field("restart", restart)?,
        }
        out.serialize_field("needs", &self.needs)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::RemoteManifest;

    fn step(kubeconfig: Option<&str>, action: Action) -> Step {
        Step {
            id: "m/s@eu".into(),
            module: "m".into(),
            plane: "control".into(),
            subject: "eu".into(),
            context: Some("cp".into()),
            kubeconfig: kubeconfig.map(str::to_string),
            namespace: None,
            action,
            needs: vec!["m/r@eu".into()],
        }
    }

    #[test]
    fn a_remote_manifest_puts_its_version_before_the_manifest_and_kubeconfig_after_context() {
        let remote = ApplyAction::Remote(RemoteManifest {
            name: "crds".into(),
            url: "https://example.com/crds.yaml".into(),
            version: "v1.5.1".into(),
        });
        let json = serde_json::to_string(&step(Some("~/eu.yaml"), Action::Apply(remote))).unwrap();
        assert_eq!(
            json,
            r#"{"id":"m/s@eu","kind":"apply","module":"m","plane":"control","subject":"eu","context":"cp","kubeconfig":"~/eu.yaml","namespace":null,"version":"v1.5.1","manifest":{"url":"https://example.com/crds.yaml"},"needs":["m/r@eu"]}"#
        );
    }

    #[test]
    fn rendered_objects_carry_no_version_and_the_default_kubeconfig_is_left_out() {
        let objects = ApplyAction::Objects(vec![serde_json::json!({"kind": "Namespace"})]);
        let json = serde_json::to_string(&step(None, Action::Apply(objects))).unwrap();
        assert_eq!(
            json,
            r#"{"id":"m/s@eu","kind":"apply","module":"m","plane":"control","subject":"eu","context":"cp","namespace":null,"manifest":{"objects":[{"kind":"Namespace"}]},"needs":["m/r@eu"]}"#
        );
    }
}
