//! The values and manifests choreoctl renders, checked against the real upstream charts and CRDs
//! at the pinned versions (`../shared/real-charts`, see its README), for every helm release and
//! apply step of every preset × edition and of the all-modules profile:
//!
//! - the values, merged over the chart's defaults as helm merges them, pass the chart's
//!   `values.schema.json`, and each subchart's values (under its key) pass the subchart's schema;
//! - every key path choreoctl sets exists in the chart's `values.yaml` (or a subchart's, under its
//!   key), except below maps the chart leaves free-form and the entries of [`NOT_IN_VALUES_YAML`];
//! - values the real charts' templates require (they `fail` without them) are set;
//! - every rendered manifest passes a server-side dry-run with strict field validation against
//!   the real CRDs, on the sandbox.
//!
//! Without `../shared/real-charts` (a checkout outside this workspace; `CHOREOCTL_REAL_CHARTS`
//! names another place) each test prints that it was skipped and passes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Map, Value};

use crate::fixtures::every_plan;

/// Keys choreoctl sets that the chart reads but its `values.yaml` does not declare.
/// Each entry: chart, key path (a prefix: everything below is allowed too), why.
const NOT_IN_VALUES_YAML: &[(&str, &[&str], &str)] = &[
    (
        "cilium",
        &["policyAuditMode"],
        "commented out in values.yaml; templates/cilium-configmap.yaml reads it \
         (`hasKey .Values \"policyAuditMode\"`) into policy-audit-mode",
    ),
    (
        "argo-cd",
        &["configs", "params", "server.insecure"],
        "configs.params is copied key by key into argocd-cmd-params-cm; values.yaml lists only \
         `create` and `annotations` and documents the others in Argo CD's argocd-cmd-params-cm.yaml",
    ),
    (
        "docker-registry",
        &["fullnameOverride"],
        "read by the chart's docker-registry.fullname helper, not declared in values.yaml; \
         OpenChoreo's values-registry.yaml sets it too",
    ),
    (
        "gateway-helm",
        &["config", "envoyGateway", "extensionManager"],
        "config.envoyGateway is Envoy Gateway's EnvoyGateway configuration, rendered as is; \
         Envoy AI Gateway's envoy-gateway-values.yaml sets extensionManager",
    ),
    (
        "observability-events-otel-collector",
        &["exporters", "opensearch"],
        "exporters is the collector's map of exporters by name (default: `debug`); OpenChoreo's \
         install scripts add `opensearch` the same way",
    ),
];

/// Values the real charts' templates `fail` without (the templates are not in the data):
/// chart, a boolean that enables the check (absent = true), the key that must be a non-empty
/// string.
const REQUIRED_BY_TEMPLATES: &[(&str, &[&str], &[&str])] = &[
    (
        "observability-logs-opensearch",
        &["openSearchSetup", "enabled"],
        &["openSearchSetup", "openSearchSecretName"],
    ),
    (
        "observability-tracing-opensearch",
        &["openSearchSetup", "enabled"],
        &["openSearchSetup", "openSearchSecretName"],
    ),
];

/// Subcharts whose values key is an alias (Chart.yaml `dependencies[].alias`), by chart and
/// subchart directory; every other subchart's key is its name.
const ALIASES: &[(&str, &str, &str)] = &[
    ("observability-logs-opensearch", "opensearch", "openSearch"),
    (
        "observability-tracing-opensearch",
        "opensearch",
        "openSearch",
    ),
];

/// `../shared/real-charts` (or `$CHOREOCTL_REAL_CHARTS`, for a checkout elsewhere, e.g. a git
/// worktree), or `None` after printing why the test is skipped.
fn real_charts(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("CHOREOCTL_REAL_CHARTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-charts"),
        PathBuf::from,
    );
    if dir.join("README.md").is_file() {
        Some(dir)
    } else {
        println!(
            "{test}: skipped: {} is absent (the real charts' values and CRDs live beside the \
             repository only in the project's workspace)",
            dir.display()
        );
        None
    }
}

/// A real chart: its defaults, its schema and its subcharts by values key.
struct Chart {
    defaults: Value,
    schema: Option<Value>,
    subcharts: BTreeMap<String, Chart>,
}

fn load_chart(name: &str, dir: &Path) -> Chart {
    let text = std::fs::read_to_string(dir.join("values.yaml"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    // Whole-line comments go first: the parser buffers only so many while looking ahead, and
    // the large charts document every key in comment blocks. Keys and types stay as they are.
    let text: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    let defaults: Value = serde_saphyr::from_str::<Option<Value>>(&text)
        .unwrap_or_else(|e| panic!("{}/values.yaml: {e}", dir.display()))
        .unwrap_or(Value::Object(Map::new()));
    let schema = std::fs::read_to_string(dir.join("values.schema.json"))
        .ok()
        .map(|text| serde_json::from_str(&text).unwrap());
    let mut subcharts = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("charts")) {
        for entry in entries {
            let sub = entry.unwrap().file_name().into_string().unwrap();
            let key = ALIASES
                .iter()
                .find(|(chart, dir, _)| *chart == name && *dir == sub)
                .map_or(sub.clone(), |(_, _, alias)| alias.to_string());
            subcharts.insert(key, load_chart(&sub, &dir.join("charts").join(&sub)));
        }
    }
    Chart {
        defaults,
        schema,
        subcharts,
    }
}

/// helm's coalescing: `values` over `defaults`, maps merged key by key, `null` deletes a key.
fn coalesce(values: &Value, defaults: &Value) -> Value {
    match (values, defaults) {
        (Value::Object(values), Value::Object(defaults)) => {
            let mut merged = defaults.clone();
            for (key, value) in values {
                if value.is_null() {
                    merged.remove(key);
                } else {
                    let below = merged.get(key).cloned().unwrap_or(Value::Null);
                    merged.insert(key.clone(), coalesce(value, &below));
                }
            }
            Value::Object(merged)
        }
        (values, _) => values.clone(),
    }
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, key| value.get(key))
}

/// Schema errors of `values` (what the user gave) in a chart and its enabled subcharts.
fn schema_errors(chart: &Chart, values: &Value, prefix: &str, errors: &mut Vec<String>) {
    let merged = coalesce(values, &chart.defaults);
    if let Some(schema) = &chart.schema {
        let validator = jsonschema::validator_for(schema).expect("the chart's schema compiles");
        for error in validator.iter_errors(&merged) {
            errors.push(format!(
                "{prefix}{}: {error}",
                error
                    .instance_path()
                    .to_string()
                    .trim_start_matches('/')
                    .replace('/', ".")
            ));
        }
    }
    for (key, sub) in &chart.subcharts {
        let mut values = merged
            .get(key)
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if values.get("enabled") == Some(&Value::Bool(false)) {
            continue;
        }
        // helm hands every subchart the parent's `global`.
        if let (Some(global), Value::Object(map)) = (merged.get("global"), &mut values) {
            let own = map.get("global").cloned().unwrap_or(Value::Null);
            map.insert("global".into(), coalesce(&own, global));
        }
        schema_errors(sub, &values, &format!("{prefix}{key}."), errors);
    }
}

/// The chart's defaults with each subchart's defaults under its key.
fn all_defaults(chart: &Chart) -> Value {
    let mut defaults = chart.defaults.clone();
    for (key, sub) in &chart.subcharts {
        let own = defaults.get(key).cloned().unwrap_or(Value::Null);
        let merged = coalesce(&own, &all_defaults(sub));
        defaults
            .as_object_mut()
            .unwrap()
            .insert(key.clone(), merged);
    }
    defaults
}

/// Whether a schema node is a free-form map: `additionalProperties` is a schema, or `true`
/// without declared properties. (Schema generators add `additionalProperties: true` next to
/// the declared properties of ordinary objects; those keys are still checked.)
fn free_form(node: &Value) -> bool {
    match node.get("additionalProperties") {
        Some(Value::Object(_)) => true,
        Some(Value::Bool(true)) => node
            .get("properties")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty),
        _ => false,
    }
}

/// Whether a schema (of the chart or a subchart) leaves the map at `path`, or one above it,
/// open to any key.
fn schema_open(chart: &Chart, path: &[String]) -> bool {
    let in_own_schema = chart.schema.as_ref().is_some_and(|schema| {
        let mut node = schema;
        for key in path {
            if free_form(node) {
                return true;
            }
            match node.get("properties").and_then(|p| p.get(key)) {
                Some(next) => node = next,
                None => return false,
            }
        }
        free_form(node)
    });
    in_own_schema
        || path.split_first().is_some_and(|(key, rest)| {
            chart
                .subcharts
                .get(key)
                .is_some_and(|sub| schema_open(sub, rest))
        })
}

/// Key paths in `values` that the chart does not know.
fn unknown_keys(
    chart_name: &str,
    chart: &Chart,
    values: &Value,
    defaults: &Value,
    path: &mut Vec<String>,
    unknown: &mut Vec<String>,
) {
    let Value::Object(values) = values else {
        return;
    };
    for (key, value) in values {
        path.push(key.clone());
        match defaults.get(key) {
            // Free-form: the chart's default is `{}` or null.
            Some(Value::Null) => {}
            Some(Value::Object(map)) if map.is_empty() => {}
            Some(default) => unknown_keys(chart_name, chart, value, default, path, unknown),
            None => {
                let allowed = NOT_IN_VALUES_YAML.iter().any(|(chart, prefix, _)| {
                    *chart == chart_name
                        && prefix.len() <= path.len()
                        && prefix.iter().zip(path.iter()).all(|(a, b)| a == b)
                });
                if !allowed && !schema_open(chart, &path[..path.len() - 1]) {
                    unknown.push(path.join("."));
                }
            }
        }
        path.pop();
    }
}

fn helm_steps(plan: &Value) -> impl Iterator<Item = &Value> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step["kind"] == "helm")
}

/// Failures collected across cases, each told once with the cases it occurs in.
#[derive(Default)]
struct Findings(BTreeMap<String, Vec<String>>);

impl Findings {
    fn add(&mut self, finding: String, case: &str) {
        self.0.entry(finding).or_default().push(case.to_string());
    }

    fn assert_none(self, what: &str) {
        let report: Vec<String> = self
            .0
            .iter()
            .map(|(finding, cases)| format!("- {finding}\n  in {}", cases.join(", ")))
            .collect();
        assert!(report.is_empty(), "{what}:\n{}", report.join("\n"));
    }
}

fn for_each_release(test: &str, mut check: impl FnMut(&str, &Value, &str, &Chart, &Value)) {
    let Some(real) = real_charts(test) else {
        return;
    };
    let mut charts: BTreeMap<(String, String), Option<Chart>> = BTreeMap::new();
    let mut checked = BTreeSet::new();
    for (case, plan) in every_plan() {
        for step in helm_steps(&plan) {
            let name = step["chart"]["name"].as_str().unwrap().to_string();
            let version = step["version"].as_str().unwrap().to_string();
            let chart = charts
                .entry((name.clone(), version.clone()))
                .or_insert_with(|| {
                    let dir = real.join(&name).join(&version);
                    dir.join("values.yaml")
                        .is_file()
                        .then(|| load_chart(&name, &dir))
                });
            let Some(chart) = chart else {
                continue;
            };
            checked.insert(format!("{name} {version}"));
            let release = format!(
                "release {} ({} {}, step {})",
                step["release"].as_str().unwrap(),
                name,
                version,
                step["id"].as_str().unwrap()
            );
            check(&case, step, &release, chart, &step["values"]);
        }
    }
    let missing: Vec<String> = charts
        .iter()
        .filter(|(_, chart)| chart.is_none())
        .map(|((name, version), _)| format!("{name} {version}"))
        .collect();
    if !missing.is_empty() {
        println!(
            "{test}: no real values for {} (see ../shared/real-charts/README.md)",
            missing.join(", ")
        );
    }
    assert!(checked.len() > 20, "only {checked:?} checked");
}

#[test]
fn rendered_values_pass_the_real_charts_schemas() {
    let mut findings = Findings::default();
    for_each_release(
        "rendered_values_pass_the_real_charts_schemas",
        |case, _, release, chart, values| {
            let mut errors = Vec::new();
            schema_errors(chart, values, "", &mut errors);
            for error in errors {
                findings.add(format!("{release}: schema: {error}"), case);
            }
        },
    );
    findings.assert_none("the real charts refuse these values");
}

#[test]
fn every_key_choreoctl_sets_exists_in_the_real_chart() {
    let mut findings = Findings::default();
    for_each_release(
        "every_key_choreoctl_sets_exists_in_the_real_chart",
        |case, step, release, chart, values| {
            let name = step["chart"]["name"].as_str().unwrap();
            let mut unknown = Vec::new();
            let defaults = all_defaults(chart);
            unknown_keys(
                name,
                chart,
                values,
                &defaults,
                &mut Vec::new(),
                &mut unknown,
            );
            for key in unknown {
                findings.add(
                    format!(
                        "{release}: key `{key}` is not in the chart's values.yaml: helm ignores it"
                    ),
                    case,
                );
            }
            let merged = coalesce(values, &defaults);
            for (chart_name, when, required) in REQUIRED_BY_TEMPLATES {
                let enabled = at(&merged, when).is_none_or(|v| v == &Value::Bool(true));
                let set = at(&merged, required)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.is_empty());
                if *chart_name == name && enabled && !set {
                    findings.add(
                        format!(
                            "{release}: `{}` is required by the chart's templates (when `{}`)",
                            required.join("."),
                            when.join(".")
                        ),
                        case,
                    );
                }
            }
        },
    );
    findings.assert_none("settings the real charts do not have");
}

/// Suffix for the groups of the real CRDs in the sandbox, so they cannot clash with the CRDs
/// of the stand-in charts that other tests install in the same clusters. Validation depends only
/// on the CRD's schema, which is unchanged. The kinds keep their names, so another test that
/// reads one of them on this context with kubectl must name its group
/// (`clusterdataplanes.openchoreo.dev`): a bare kind may resolve to these copies.
const GROUP_SUFFIX: &str = ".real-charts.test";
/// The namespace every namespaced object is checked in (a dry-run creates nothing).
const NAMESPACE: &str = "real-charts";
const CONTEXT: &str = "cp";

/// Whether a group is served by every kube-apiserver (no CRD needed).
fn built_in(group: &str) -> bool {
    !group.contains('.')
        || matches!(
            group,
            "rbac.authorization.k8s.io"
                | "networking.k8s.io"
                | "policy.k8s.io"
                | "storage.k8s.io"
                | "scheduling.k8s.io"
                | "admissionregistration.k8s.io"
                | "apiextensions.k8s.io"
        )
}

/// `kubectl apply --server-side <extra> -f -` of one object on the sandbox.
fn kubectl_apply(
    sandbox: &crate::sandbox::Sandbox,
    extra: &[&str],
    object: &Value,
) -> Result<(), String> {
    let mut child = sandbox
        .kubectl(CONTEXT)
        .args(["apply", "--server-side", "--field-manager", "choreoctl"])
        .args(extra)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(object.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_string())
    }
}

#[test]
fn rendered_manifests_pass_the_real_crds_in_the_sandbox() {
    let test = "rendered_manifests_pass_the_real_crds_in_the_sandbox";
    let Some(real) = real_charts(test) else {
        return;
    };
    // The real CRDs, by the group/kind of the objects they define.
    let mut crds: BTreeMap<(String, String), Value> = BTreeMap::new();
    let manifest = std::fs::read_to_string(real.join("crds/manifest.tsv")).unwrap();
    for line in manifest.lines().skip(1) {
        let file = line.split('\t').next().unwrap();
        let text = std::fs::read_to_string(real.join("crds").join(file)).unwrap();
        let crd: Value = serde_saphyr::from_str(&text).unwrap();
        let group = crd["spec"]["group"].as_str().unwrap().to_string();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap().to_string();
        crds.insert((group, kind), crd);
    }

    // Distinct objects of apply steps, with the cases and steps they come from.
    let mut objects: BTreeMap<String, (Value, BTreeSet<String>)> = BTreeMap::new();
    let mut without_crd = BTreeSet::new();
    for (name, plan) in every_plan() {
        for step in plan["steps"].as_array().unwrap() {
            let Some(list) = step["manifest"]["objects"].as_array() else {
                continue;
            };
            for object in list {
                let api_version = object["apiVersion"].as_str().unwrap();
                let kind = object["kind"].as_str().unwrap();
                let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
                let mut object = object.clone();
                if crds.contains_key(&(group.to_string(), kind.to_string())) {
                    object["apiVersion"] = Value::String(api_version.replacen(
                        group,
                        &format!("{group}{GROUP_SUFFIX}"),
                        1,
                    ));
                } else if !built_in(group) {
                    without_crd.insert(format!("{api_version} {kind}"));
                    continue;
                }
                if object["metadata"].get("namespace").is_some() {
                    object["metadata"]["namespace"] = Value::String(NAMESPACE.into());
                }
                objects
                    .entry(object.to_string())
                    .or_insert_with(|| (object, BTreeSet::new()))
                    .1
                    .insert(format!("{} in {}", step["id"].as_str().unwrap(), name));
            }
        }
    }
    if !without_crd.is_empty() {
        println!(
            "{test}: not checked, no real CRD in ../shared/real-charts/crds: {}",
            without_crd.into_iter().collect::<Vec<_>>().join(", ")
        );
    }

    let sandbox = crate::sandbox::sandbox();
    let mut setup = vec![serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}
    })];
    for ((group, _), crd) in &crds {
        let mut crd = crd.clone();
        let plural = crd["spec"]["names"]["plural"].as_str().unwrap().to_string();
        crd["spec"]["group"] = Value::String(format!("{group}{GROUP_SUFFIX}"));
        crd["metadata"] = serde_json::json!({"name": format!("{plural}.{group}{GROUP_SUFFIX}")});
        setup.push(crd);
    }
    for object in &setup {
        kubectl_apply(sandbox, &["--force-conflicts"], object)
            .unwrap_or_else(|error| panic!("setting up the real CRDs: {error}"));
    }
    let names: Vec<String> = setup[1..]
        .iter()
        .map(|crd| format!("crd/{}", crd["metadata"]["name"].as_str().unwrap()))
        .collect();
    crate::sandbox::run(
        sandbox
            .kubectl(CONTEXT)
            .args(["wait", "--for=condition=Established", "--timeout=60s"])
            .args(&names),
    );

    let mut failures = Vec::new();
    for (object, origins) in objects.values() {
        let result = kubectl_apply(sandbox, &["--dry-run=server", "--validate=strict"], object);
        if let Err(error) = result {
            failures.push(format!(
                "- {} {}: {error}\n  from {}",
                object["kind"].as_str().unwrap(),
                object["metadata"]["name"].as_str().unwrap_or("?"),
                origins.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    println!("{test}: {} distinct objects checked", objects.len());
    assert!(objects.len() > 20, "only {} objects", objects.len());
    assert!(
        failures.is_empty(),
        "the real CRDs refuse these manifests (strict server-side dry-run):\n{}",
        failures.join("\n")
    );
}
