//! Outputs of read steps flowing into later steps (docs/engine.md, "Outputs"): when a read step
//! finishes with value V, every later step whose values or objects contain that step's
//! placeholder gets V in its place, before it runs and before its input digest is computed. A
//! value that could not be read (a dry run or preview before the object exists) is remembered
//! as unread, so later steps that still carry its placeholder can say which read they wait for.
//!
//! Substitution happens inside JSON string values only, so an output can never change the shape
//! of a document (add keys, close a string). Outputs are public data: read steps read only CA
//! certificates and endpoints (see [`super::steps::read`]).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::plan::{Action, ApplyAction, Step};

/// The outputs read so far, keyed by the placeholder later steps carry.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    by_placeholder: BTreeMap<String, String>,
    /// Placeholders whose read step found nothing to read, with that step's id.
    unread: BTreeMap<String, String>,
}

impl Outputs {
    /// Records that `placeholder` stands for `value` from now on.
    pub fn insert(&mut self, placeholder: &str, value: String) {
        self.by_placeholder.insert(placeholder.to_owned(), value);
    }

    /// Records that read step `step_id` could not read the value of `placeholder`.
    pub fn insert_unread(&mut self, placeholder: &str, step_id: &str) {
        self.unread
            .insert(placeholder.to_owned(), step_id.to_owned());
    }

    /// The read step whose unread output `step` still carries as a placeholder, if any.
    pub fn waiting_for(&self, step: &Step) -> Option<String> {
        let inputs: Vec<&Value> = match &step.action {
            Action::Helm(helm) => vec![&helm.values],
            Action::Apply(ApplyAction::Objects(objects)) => objects.iter().collect(),
            Action::Apply(ApplyAction::Remote(_))
            | Action::Wait(_)
            | Action::Read(_)
            | Action::Remove(_)
            | Action::Restart(_) => Vec::new(),
        };
        self.unread
            .iter()
            .find(|(placeholder, _)| inputs.iter().any(|value| contains_text(value, placeholder)))
            .map(|(_, id)| id.clone())
    }

    /// `step` with every known placeholder replaced in its helm values or applied objects.
    pub fn render(&self, step: &Step) -> Step {
        let mut step = step.clone();
        if self.by_placeholder.is_empty() {
            return step;
        }
        match &mut step.action {
            Action::Helm(helm) => self.substitute(&mut helm.values),
            Action::Apply(ApplyAction::Objects(objects)) => {
                objects
                    .iter_mut()
                    .for_each(|object| self.substitute(object));
            }
            Action::Apply(ApplyAction::Remote(_))
            | Action::Wait(_)
            | Action::Read(_)
            | Action::Remove(_)
            | Action::Restart(_) => {}
        }
        step
    }

    fn substitute(&self, value: &mut Value) {
        match value {
            Value::String(text) => {
                for (placeholder, output) in &self.by_placeholder {
                    if text.contains(placeholder.as_str()) {
                        *text = text.replace(placeholder.as_str(), output);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.substitute(item)),
            Value::Object(map) => map.values_mut().for_each(|item| self.substitute(item)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

fn contains_text(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(text) => text.contains(needle),
        Value::Array(items) => items.iter().any(|item| contains_text(item, needle)),
        Value::Object(map) => map.values().any(|item| contains_text(item, needle)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Outputs, contains_text};
    use crate::engine::journal::step_input_digest;
    use crate::plan::{Action, ApplyAction, Step};

    const PLACEHOLDER: &str = "<from plane dp: secret ns/cluster-agent-tls ca.crt>";

    fn register(objects: Vec<serde_json::Value>) -> Step {
        Step {
            id: "secure-core/register@dp".into(),
            module: "secure-core".into(),
            plane: "control".into(),
            subject: "dp".into(),
            context: Some("cp".into()),
            kubeconfig: None,
            namespace: None,
            action: Action::Apply(ApplyAction::Objects(objects)),
            needs: vec![],
        }
    }

    fn objects(step: &Step) -> &[serde_json::Value] {
        match &step.action {
            Action::Apply(ApplyAction::Objects(objects)) => objects,
            _ => unreachable!(),
        }
    }

    #[test]
    fn replaces_placeholders_inside_strings_only() {
        let step = register(vec![json!({
            "kind": "ClusterDataPlane",
            "spec": {"clusterAgent": {"clientCA": {"value": PLACEHOLDER}},
                     "notes": [format!("ca: {PLACEHOLDER}"), 3, true]},
        })]);
        let mut outputs = Outputs::default();
        outputs.insert(PLACEHOLDER, "-----BEGIN CERTIFICATE-----\nMII\"x".into());
        let rendered = outputs.render(&step);
        assert_eq!(
            objects(&rendered)[0]["spec"],
            json!({"clusterAgent": {"clientCA": {"value": "-----BEGIN CERTIFICATE-----\nMII\"x"}},
                   "notes": ["ca: -----BEGIN CERTIFICATE-----\nMII\"x", 3, true]})
        );
        assert_ne!(step_input_digest(&step), step_input_digest(&rendered));
    }

    #[test]
    fn leaves_steps_without_known_placeholders_alone() {
        let step = register(vec![json!({"data": {"ca.crt": PLACEHOLDER}})]);
        let rendered = Outputs::default().render(&step);
        assert_eq!(objects(&rendered), objects(&step));
    }

    #[test]
    fn finds_placeholders_at_any_depth() {
        let values = json!({"a": [{"b": "x <from plane dp: ca> y"}], "c": 3});
        assert!(contains_text(&values, "<from plane dp: ca>"));
        assert!(!contains_text(&values, "<from plane obs: ca>"));
    }
}
