//! `choreoctl diff`: what an install would change on the live clusters, as unified diffs.
//!
//! From the live plan ([`engine::preview`](crate::engine::preview)), every helm and apply step that
//! would change something is compared:
//!
//! - helm: the release's values (`helm get values`) against the values the plan renders, and its
//!   manifest (`helm get manifest`) against `helm upgrade --install --dry-run=server` with the
//!   new values, object by object;
//! - apply: each object as it is live against a server-side dry-run apply of it.
//!
//! Secrets never show ([`redact`]). `--exit-code` ends with exit 10 when anything would change.

mod redact;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use crate::catalog::Catalog;
use crate::cli::DiffArgs;
use crate::engine::helm::{Helm, HelmBinary, HelmError, HelmProcess, Redactor, ReleaseRef};
use crate::engine::preview::{Change, InspectOptions, Inspected, Inspection};
use crate::engine::steps::apply::split;
use crate::engine::steps::helm::upgrade_request;
use crate::error::Error;
use crate::plan::{Action, Plan, Step};
use crate::settings::GlobalSettings;

/// How long a `helm upgrade --dry-run=server` may take.
const DRY_RUN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// The changes of one step.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepDiff {
    /// Step id.
    step: String,
    /// `helm` or `apply`.
    kind: &'static str,
    /// Plane and its context.
    plane: String,
    context: String,
    /// What an install would do, and why.
    change: Change,
    #[serde(skip_serializing_if = "String::is_empty")]
    reason: String,
    /// helm: `namespace/release`.
    #[serde(skip_serializing_if = "Option::is_none")]
    release: Option<String>,
    /// helm: the values that change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    values: Vec<ValueChange>,
    /// The objects that change (helm: of the manifest).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<ObjectDiff>,
    /// What could not be compared.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// Unified diff of the values (text output only).
    #[serde(skip)]
    values_diff: String,
}

/// One value that changes: its dotted path, before and after (`null`: absent).
#[derive(Debug, PartialEq, Serialize)]
struct ValueChange {
    path: String,
    before: Value,
    after: Value,
}

/// One object that changes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectDiff {
    /// `Kind namespace/name`.
    object: String,
    /// `create`, `update` or `delete`.
    action: &'static str,
    /// Its fields that change.
    changes: Vec<ValueChange>,
    /// Unified diff of its YAML (text output only).
    #[serde(skip)]
    diff: String,
}

/// The JSON/YAML document of `diff -o json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DiffReport {
    /// Whether an install would change anything.
    changed: bool,
    /// Steps per change.
    counts: BTreeMap<String, usize>,
    /// The steps that would change something.
    steps: Vec<StepDiff>,
    /// Planes that could not be reached, and other notes.
    notes: Vec<String>,
}

/// Runs `diff`.
pub fn run(catalog: &Catalog, args: &DiffArgs, global: &GlobalSettings) -> Result<(), Error> {
    let printer = &global.printer;
    let kubeconfig = global.kubeconfig();
    let helm = global.helm();
    let loaded = super::load_profile(catalog, &args.profile, &args.mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, kubeconfig)?;
    let plan = crate::plan::build(catalog, &resolved)?;
    let options = InspectOptions {
        kubeconfig: kubeconfig.map(Path::to_path_buf),
        manifests_plain_http: resolved.manifests.plain_http,
    };
    let Some(live) = super::plan::read_live(&plan, &options, printer)? else {
        return Err(Error::Unreachable {
            message: "diff needs the clusters, and no cluster of the plan is reachable".into(),
            help: "check the contexts with `kubectl --context CTX get --raw /version`; \
                   `choreoctl plan --offline` shows the steps without them"
                .into(),
        });
    };
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let report = runtime.block_on(compare(&plan, &live, helm))?;
    printer.emit(&report, |out| text(&report, out))?;
    let unreachable = live
        .steps
        .iter()
        .filter(|step| step.change == Change::Unreachable)
        .count();
    if args.exit_code && report.changed {
        return Err(Error::Changes {
            steps: report.steps.len() + unreachable,
        });
    }
    Ok(())
}

async fn compare(plan: &Plan, live: &Inspection, helm: Option<&Path>) -> Result<DiffReport, Error> {
    let mut helm_process = None;
    let mut steps = Vec::new();
    for (step, inspected) in plan.steps.iter().zip(&live.steps) {
        if matches!(inspected.change, Change::NoOp | Change::Unreachable) {
            continue;
        }
        let context = step.context.clone().unwrap_or_else(|| "(current)".into());
        let mut diff = StepDiff {
            step: step.id.clone(),
            kind: step.kind().as_str(),
            plane: step.plane.clone(),
            context,
            change: inspected.change,
            reason: inspected.reason.clone(),
            release: None,
            values: Vec::new(),
            objects: Vec::new(),
            notes: Vec::new(),
            values_diff: String::new(),
        };
        match &inspected.rendered.action {
            Action::Helm(_) => {
                if helm_process.is_none() {
                    helm_process = Some(
                        HelmProcess::new(HelmBinary::locate(helm).map_err(engine)?)
                            .map_err(engine)?,
                    );
                }
                let helm = helm_process.as_ref().expect("located above");
                compare_release(helm, live, step, inspected, &plan.name, &mut diff).await;
            }
            Action::Apply(_) => compare_objects(inspected, &mut diff),
            Action::Wait(_) | Action::Read(_) | Action::Remove(_) | Action::Restart(_) => continue,
        }
        steps.push(diff);
    }
    let mut notes = live.notes.clone();
    let unreachable = live
        .steps
        .iter()
        .filter(|step| step.change == Change::Unreachable)
        .count();
    if unreachable > 0 {
        notes.push(format!(
            "{unreachable} step(s) are on unreachable clusters and were not compared"
        ));
    }
    Ok(DiffReport {
        changed: !steps.is_empty() || unreachable > 0,
        counts: live
            .counts()
            .into_iter()
            .map(|(change, count)| (change.label().to_owned(), count))
            .collect(),
        steps,
        notes,
    })
}

fn engine(error: HelmError) -> Error {
    crate::engine::EngineError::from(error).into()
}

/// Values and manifest of a helm release, live against planned.
async fn compare_release(
    helm: &HelmProcess,
    live: &Inspection,
    step: &Step,
    inspected: &Inspected,
    installation: &str,
    diff: &mut StepDiff,
) {
    let Action::Helm(action) = &inspected.rendered.action else {
        return;
    };
    let namespace = inspected
        .rendered
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    diff.release = Some(format!("{namespace}/{}", action.release));
    let Some(target) = live
        .plane(&step.plane)
        .and_then(|plane| plane.helm_target.clone())
    else {
        diff.notes
            .push("helm cannot be told which kubeconfig holds this context".into());
        return;
    };
    let release = ReleaseRef {
        target,
        namespace,
        name: action.release.clone(),
    };
    let exists = inspected.change != Change::Install;
    let mut before = Value::Object(serde_json::Map::new());
    let mut before_manifest = String::new();
    if exists {
        match helm.get_values(&release).await {
            Ok(values) => before = values,
            Err(error) => diff.notes.push(format!("live values: {error}")),
        }
        match helm.get_manifest(&release).await {
            Ok(manifest) => before_manifest = manifest,
            Err(error) => diff.notes.push(format!("live manifest: {error}")),
        }
    }
    // Secret values of either side, to redact them from manifests too.
    let redactor = Redactor::from_values([&before, &action.values]);
    let mut after = action.values.clone();
    redact::values_pair(&mut before, &mut after);
    diff.values = value_changes("", &before, &after);
    diff.values_diff = unified(
        &yaml(&before),
        &yaml(&after),
        "live values",
        "planned values",
    );

    let dry_run = upgrade_request(action, release, DRY_RUN_TIMEOUT, true, installation);
    let after_manifest = match helm.upgrade(&dry_run).await {
        Ok(release) => release.manifest,
        Err(error) => {
            diff.notes.push(format!("helm dry run: {error}"));
            return;
        }
    };
    match (documents(&before_manifest), documents(&after_manifest)) {
        (Ok(old), Ok(new)) => diff.objects = compare_documents(old, new, &redactor),
        (Err(error), _) | (_, Err(error)) => diff.notes.push(format!("manifest: {error}")),
    }
}

/// The objects of an apply step whose dry-run apply differs from the live object.
fn compare_objects(inspected: &Inspected, diff: &mut StepDiff) {
    for object in &inspected.objects {
        let Some(applied) = &object.applied else {
            if object.live.is_none() {
                diff.objects.push(ObjectDiff {
                    object: object.label.clone(),
                    action: "create",
                    changes: Vec::new(),
                    diff: String::new(),
                });
            }
            continue;
        };
        if Some(applied) == object.live.as_ref() {
            continue;
        }
        let mut before = object.live.clone().unwrap_or(Value::Null);
        let mut after = applied.clone();
        redact::object_pair(&mut before, &mut after);
        diff.objects.push(object_diff(&object.label, before, after));
    }
    // New objects of a rendered step: show them whole (redacted).
    if let Action::Apply(crate::plan::ApplyAction::Objects(rendered)) = &inspected.rendered.action {
        for created in diff.objects.iter_mut().filter(|o| o.action == "create") {
            if let Some(object) = rendered.iter().find(|object| {
                label(object, inspected.rendered.namespace.as_deref()) == created.object
            }) {
                let mut before = Value::Null;
                let mut after = object.clone();
                redact::object_pair(&mut before, &mut after);
                *created = object_diff(&created.object, before, after);
            }
        }
    }
}

fn object_diff(label: &str, before: Value, after: Value) -> ObjectDiff {
    let action = match (&before, &after) {
        (Value::Null, _) => "create",
        (_, Value::Null) => "delete",
        _ => "update",
    };
    ObjectDiff {
        object: label.to_owned(),
        action,
        changes: value_changes("", &before, &after),
        diff: unified(&yaml(&before), &yaml(&after), "live", "planned"),
    }
}

/// `Kind namespace/name` of a manifest object.
fn label(object: &Value, namespace: Option<&str>) -> String {
    crate::engine::kube::describe(
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["namespace"].as_str().or(namespace),
        object["metadata"]["name"].as_str().unwrap_or("?"),
    )
}

/// A manifest's objects by `Kind namespace/name`.
fn documents(manifest: &str) -> Result<BTreeMap<String, Value>, String> {
    Ok(split(manifest)?
        .into_iter()
        .map(|object| (label(&object, None), object))
        .collect())
}

/// The objects that differ between two manifests, redacted.
fn compare_documents(
    mut old: BTreeMap<String, Value>,
    mut new: BTreeMap<String, Value>,
    redactor: &Redactor,
) -> Vec<ObjectDiff> {
    let labels: std::collections::BTreeSet<String> =
        old.keys().chain(new.keys()).cloned().collect();
    let mut diffs = Vec::new();
    for label in labels {
        let mut before = old.remove(&label).unwrap_or(Value::Null);
        let mut after = new.remove(&label).unwrap_or(Value::Null);
        if before == after {
            continue;
        }
        redact::object_pair(&mut before, &mut after);
        let mut diff = object_diff(&label, before, after);
        diff.diff = redactor.redact(&diff.diff);
        for change in &mut diff.changes {
            for side in [&mut change.before, &mut change.after] {
                if let Value::String(text) = side {
                    *text = redactor.redact(text);
                }
            }
        }
        diffs.push(diff);
    }
    diffs
}

/// Every leaf that differs between `before` and `after`, by dotted path (`a.b[2].c`).
fn value_changes(path: &str, before: &Value, after: &Value) -> Vec<ValueChange> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
            keys.into_iter()
                .flat_map(|key| {
                    value_changes(
                        &join(key),
                        old.get(key).unwrap_or(&Value::Null),
                        new.get(key).unwrap_or(&Value::Null),
                    )
                })
                .collect()
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => old
            .iter()
            .zip(new)
            .enumerate()
            .flat_map(|(index, (old, new))| value_changes(&format!("{path}[{index}]"), old, new))
            .collect(),
        (old, new) if old == new => Vec::new(),
        (old, new) => vec![ValueChange {
            path: path.to_owned(),
            before: old.clone(),
            after: new.clone(),
        }],
    }
}

/// YAML of `value` with map keys sorted, so that key order (helm sorts, profiles do not) is no
/// difference.
fn yaml(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        value => crate::output::to_yaml(&sorted(value)).unwrap_or_default(),
    }
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.clone(), sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A unified diff (3 lines of context) between two texts.
fn unified(before: &str, after: &str, old_name: &str, new_name: &str) -> String {
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

fn text(report: &DiffReport, out: &mut dyn Write) -> std::io::Result<()> {
    for step in &report.steps {
        write!(
            out,
            "{} {} (plane {}, context {}",
            step.change.label(),
            step.step,
            step.plane,
            step.context
        )?;
        if let Some(release) = &step.release {
            write!(out, ", release {release}")?;
        }
        write!(out, ")")?;
        if !step.reason.is_empty() {
            write!(out, ": {}", step.reason)?;
        }
        writeln!(out)?;
        if !step.values_diff.is_empty() {
            writeln!(out, "values:")?;
            write!(out, "{}", step.values_diff)?;
        }
        for object in &step.objects {
            writeln!(out, "{} {}:", object.action, object.object)?;
            write!(out, "{}", object.diff)?;
        }
        for note in &step.notes {
            writeln!(out, "note: {note}")?;
        }
        writeln!(out)?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    let counts: Vec<String> = report
        .counts
        .iter()
        .map(|(change, count)| format!("{count} {change}"))
        .collect();
    if report.changed {
        writeln!(
            out,
            "{} step(s) would change; steps: {}",
            report.steps.len(),
            counts.join(", ")
        )
    } else {
        writeln!(out, "No changes; steps: {}", counts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn changed_leaves_are_listed_by_path() {
        let before = json!({"a": {"b": 1, "c": [1, 2]}, "gone": true});
        let after = json!({"a": {"b": 2, "c": [1, 3]}, "new": "x"});
        let paths: Vec<(String, Value, Value)> = value_changes("", &before, &after)
            .into_iter()
            .map(|c| (c.path, c.before, c.after))
            .collect();
        assert_eq!(
            paths,
            [
                ("a.b".into(), json!(1), json!(2)),
                ("a.c[1]".into(), json!(2), json!(3)),
                ("gone".into(), json!(true), Value::Null),
                ("new".into(), Value::Null, json!("x")),
            ]
        );
    }

    #[test]
    fn manifests_are_compared_object_by_object_with_secrets_hidden() {
        let old = documents(
            "---\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {k: v1}\n\
             ---\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata: {p: b2xk}\n\
             ---\nkind: Service\nmetadata: {name: same, namespace: ns}\n",
        )
        .unwrap();
        let new = documents(
            "---\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {k: v2}\n\
             ---\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata: {p: bmV3}\n\
             ---\nkind: Service\nmetadata: {name: same, namespace: ns}\n",
        )
        .unwrap();
        let diffs = compare_documents(old, new, &Redactor::default());
        let labels: Vec<&str> = diffs.iter().map(|d| d.object.as_str()).collect();
        assert_eq!(labels, ["ConfigMap ns/a", "Secret ns/s"]);
        assert!(
            diffs[0].diff.contains("-  k: v1\n+  k: v2\n"),
            "{}",
            diffs[0].diff
        );
        assert!(!diffs[1].diff.contains("b2xk") && !diffs[1].diff.contains("bmV3"));
        assert!(
            diffs[1].diff.contains(redact::REDACTED_CHANGED),
            "{}",
            diffs[1].diff
        );
    }
}
