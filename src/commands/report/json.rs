//! `--log-format json`: one JSON object per line on stderr (NDJSON), each with `ts` (RFC 3339,
//! UTC, milliseconds) and `event`; the schema is documented in docs/engine.md.

use std::io::Write;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::SummaryDocument;
use crate::engine::steps::{StepDone, StepError};
use crate::engine::{Reporter, Summary};
use crate::plan::{Action, Plan, Step};

/// Writes events to stderr, one per line.
pub struct JsonReporter {
    installation: String,
}

impl JsonReporter {
    /// Events of a run of `plan`.
    pub fn new(plan: &Plan) -> Self {
        Self {
            installation: plan.name.clone(),
        }
    }

    /// `run_started`: the installation, its planes with their contexts and step counts.
    pub fn run_started(&self, plan: &Plan) {
        let planes: Vec<Value> = plan
            .planes
            .iter()
            .map(|plane| {
                json!({
                    "plane": plane.name,
                    "type": plane.plane_type.to_string(),
                    "context": plane.context_label(),
                    "steps": plan.steps.iter().filter(|step| step.plane == plane.name).count(),
                })
            })
            .collect();
        self.event(
            "run_started",
            json!({
                "installation": plan.name,
                "version": plan.version,
                "edition": plan.edition,
                "modules": plan.modules,
                "steps": plan.steps.len(),
                "planes": planes,
            }),
        );
    }

    fn event(&self, name: &str, fields: Value) {
        write_event(name, fields);
    }
}

/// Writes `{"ts": …, "event": name, …fields}` as one line on stderr (`fields` is an object).
pub fn write_event(name: &str, fields: Value) {
    let mut event = Map::new();
    event.insert(
        "ts".into(),
        Value::String(
            Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        ),
    );
    event.insert("event".into(), Value::String(name.into()));
    if let Value::Object(fields) = fields {
        event.extend(fields);
    }
    let line = Value::Object(event).to_string();
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The fields every step event carries: `step`, `plane`, `context`, `kind`, and `release` for
/// helm steps.
fn step_fields(step: &Step) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("step".into(), json!(step.id));
    fields.insert("plane".into(), json!(step.plane));
    fields.insert("context".into(), json!(super::context_of(step)));
    fields.insert("kind".into(), json!(step.kind()));
    if let Action::Helm(helm) = &step.action {
        fields.insert("release".into(), json!(helm.release));
    }
    fields
}

fn millis(duration: Duration) -> u128 {
    duration.as_millis()
}

impl Reporter for JsonReporter {
    fn note(&self, message: &str) {
        self.event("note", json!({ "message": message }));
    }

    fn step_started(&self, step: &Step) {
        self.event("step_started", Value::Object(step_fields(step)));
    }

    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>) {
        let mut fields = step_fields(step);
        match result {
            Ok(done) => {
                for note in &done.notes {
                    self.event("note", json!({ "step": step.id, "message": note }));
                }
                let status = if done.unchanged { "unchanged" } else { "done" };
                fields.insert("status".into(), json!(status));
                fields.insert("duration_ms".into(), json!(millis(elapsed)));
                fields.insert("revision".into(), json!(done.revision));
            }
            Err(error) => {
                fields.insert("status".into(), json!("failed"));
                fields.insert("duration_ms".into(), json!(millis(elapsed)));
                fields.insert("error".into(), json!(error.to_string()));
                fields.insert("undo".into(), json!(error.undo().map(ToString::to_string)));
            }
        }
        self.event("step_finished", Value::Object(fields));
    }

    fn step_skipped(&self, step: &Step, because: Option<&str>) {
        let mut fields = step_fields(step);
        fields.insert("because".into(), json!(because));
        self.event("step_skipped", Value::Object(fields));
    }

    fn summary(&self, summary: &Summary) {
        let document = SummaryDocument::new(&self.installation, summary);
        self.event(
            "summary",
            serde_json::to_value(document).unwrap_or(Value::Null),
        );
    }
}
