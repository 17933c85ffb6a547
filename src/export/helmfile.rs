//! The helmfile export: one `helmfile.yaml` whose releases carry their `kubeContext` and
//! `needs:` (`[KUBECONTEXT/]NAMESPACE/NAME`) along the plan's DAG, across contexts.
//!
//! - Helm steps are releases of their chart with their values file.
//! - Apply steps are not helm releases of their objects: an apply step may write into an object
//!   a chart owns (publish-ca's ConfigMap `cluster-gateway-ca` is the control plane's), which
//!   helm refuses to adopt. Each is an empty release of the local chart `charts/step` (a node of
//!   the DAG that owns nothing) whose `postsync` hook server-side applies the step's objects
//!   (`manifests/<plane>/<module>.<step>/objects.yaml`, or a pinned manifest's URL) with
//!   kubectl under choreoctl's own field manager, taking over conflicting fields as
//!   `choreoctl install` does.
//! - Wait steps are `postsync` hooks (`kubectl wait --for=create`, then the condition) of the
//!   releases they follow, after their apply hook: a failing hook fails its release and stops
//!   the releases that need it.
//! - A value read from a cluster (agent CA, cluster-gateway CA) is a vals reference,
//!   `fetchSecretValue "ref+k8s://…"`, in a `.gotmpl` file rendered when it is used: a values
//!   file when its release syncs, an objects file by its apply hook.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::bail;
use serde_json::{Value, json};

use super::cross_cluster::Reads;
use super::dag::Dag;
use super::{File, layout};
use crate::catalog::model::WaitCondition;
use crate::names::FIELD_MANAGER;
use crate::output::to_yaml;
use crate::plan::{Action, ApplyAction, Plan, Step, WaitAction};

/// Namespace of the releases of cluster-scoped apply steps.
const CLUSTER_SCOPED_NAMESPACE: &str = "kube-system";

/// The local chart of every apply step's release: no templates, so the release owns nothing.
const STEP_CHART: &str = "./charts/step";

/// [`STEP_CHART`]'s only file.
const STEP_CHART_FILE: (&str, &str) = (
    "charts/step/Chart.yaml",
    "apiVersion: v2\nname: step\nversion: 1.0.0\n\
     description: A choreoctl apply step. Renders nothing; its helmfile hooks apply the step's \
     objects with kubectl.\n",
);

/// The `sh -c` script of an apply hook whose objects carry values read from clusters: its
/// first argument is the objects as helmfile rendered them, the rest kubectl's arguments.
const APPLY_RENDERED: &str = "objects=$1; shift; printf '%s\\n' \"$objects\" | kubectl \"$@\" -f -";

/// The export's files.
///
/// # Errors
///
/// When a read value would have to be written into a manifest for another cluster (the
/// export would carry a placeholder) or a file cannot be serialized; `render` ends with exit 1
/// (`Unexpected`).
pub fn export(plan: &Plan) -> anyhow::Result<Vec<File>> {
    let reads = Reads::of(plan);
    let dag = Dag::new(plan, layout::is_exported);
    let mut files = vec![File {
        path: STEP_CHART_FILE.0.into(),
        body: STEP_CHART_FILE.1.into(),
    }];
    let mut repositories = BTreeMap::new();
    let mut releases: Vec<Value> = Vec::new();
    let mut position = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        match &step.action {
            Action::Helm(helm) => {
                let (path, body) = with_reads(
                    step,
                    &layout::values_file(step),
                    &helm.values,
                    &reads,
                    |values| layout::values_body(step, values),
                )?;
                files.push(File {
                    path: path.clone(),
                    body,
                });
                let mut release = base(
                    step,
                    &helm.release,
                    step.namespace.as_deref().unwrap_or("default"),
                );
                match &helm.chart.repo {
                    Some(repo) => {
                        let name = layout::dns_label(&helm.chart.name);
                        repositories.insert(name.clone(), json!({"name": name, "url": repo}));
                        release["chart"] = json!(format!("{name}/{}", helm.chart.name));
                    }
                    None => release["chart"] = json!(helm.chart.reference),
                }
                release["version"] = json!(helm.version);
                if helm.chart.plain_http {
                    release["plainHttp"] = json!(true);
                }
                release["wait"] = json!(helm.helm.wait);
                release["timeout"] = json!(helm.helm.timeout);
                release["values"] = json!([path]);
                position.insert(index, releases.len());
                releases.push(release);
            }
            Action::Apply(apply) => {
                let namespace = step
                    .namespace
                    .as_deref()
                    .unwrap_or(CLUSTER_SCOPED_NAMESPACE);
                let mut release = base(step, &apply_release_name(step), namespace);
                release["chart"] = json!(STEP_CHART);
                let hook = match apply {
                    ApplyAction::Objects(objects) => {
                        let (path, body) = with_reads(
                            step,
                            &format!("{}/objects.yaml", layout::manifest_dir(step)),
                            &Value::Array(objects.clone()),
                            &reads,
                            |objects| {
                                layout::yaml_stream(objects.as_array().map_or(&[], Vec::as_slice))
                            },
                        )?;
                        let hook = apply_hook(step, &path);
                        files.push(File { path, body });
                        hook
                    }
                    ApplyAction::Remote(remote) => apply_hook(step, &remote.url),
                };
                release["hooks"] = json!([hook]);
                position.insert(index, releases.len());
                releases.push(release);
            }
            Action::Wait(wait) => {
                for &parent in &dag.needs[index] {
                    let release = &mut releases[position[&parent]];
                    let mut hooks = release["hooks"].as_array().cloned().unwrap_or_default();
                    hooks.extend(wait_hooks(step, wait));
                    release["hooks"] = json!(hooks);
                }
            }
            Action::Read(_) | Action::Remove(_) | Action::Restart(_) => {}
        }
    }
    for (&index, &at) in &position {
        let needs: BTreeSet<String> = dag.needs[index]
            .iter()
            .map(|&parent| release_id(&releases[position[&parent]]))
            .collect();
        if !needs.is_empty() {
            releases[at]["needs"] = json!(needs);
        }
    }
    let mut helmfile = json!({
        "helmDefaults": {"createNamespace": true, "historyMax": 10},
        "releases": releases,
    });
    if !repositories.is_empty() {
        helmfile["repositories"] = json!(repositories.into_values().collect::<Vec<_>>());
    }
    let mut body = format!(
        "# OpenChoreo `{}` (edition {}, OpenChoreo {}), written by `choreoctl render --format helmfile`.\n\
         # README.md says what runs when; first install: `helmfile sync`.\n",
        plan.name, plan.edition, plan.version
    );
    body.push_str(&to_yaml(&helmfile)?);
    files.push(File {
        path: "helmfile.yaml".into(),
        body,
    });
    files.push(File {
        path: "README.md".into(),
        body: readme(plan),
    });
    Ok(files)
}

/// The fields every release has.
fn base(step: &Step, name: &str, namespace: &str) -> Value {
    let mut release = json!({
        "name": name,
        "namespace": namespace,
        "labels": {"module": step.module, "plane": step.subject, "step": step.id.split(['/', '@']).nth(1).unwrap_or_default()},
    });
    if let Some(context) = &step.context {
        release["kubeContext"] = json!(context);
    }
    release
}

/// helmfile's id of a release in `needs:`: `[KUBECONTEXT/]NAMESPACE/NAME`.
fn release_id(release: &Value) -> String {
    let mut id = String::new();
    if let Some(context) = release["kubeContext"].as_str() {
        let _ = write!(id, "{context}/");
    }
    let _ = write!(
        id,
        "{}/{}",
        release["namespace"].as_str().unwrap_or_default(),
        release["name"].as_str().unwrap_or_default()
    );
    id
}

/// A helm release name (at most 53 characters) for an apply step.
fn apply_release_name(step: &Step) -> String {
    let name = layout::dns_label(&format!("choreoctl-{}", layout::object_name(step)));
    if name.len() <= 53 {
        return name;
    }
    let short = layout::dns_label(&format!("{}{}", "x".repeat(64), name));
    format!(
        "{}-{}",
        name[..44].trim_end_matches('-'),
        &short[short.len() - 8..]
    )
}

/// kubectl's `--context` for the step's cluster (none: the current context).
fn context_args(step: &Step) -> Vec<String> {
    match &step.context {
        Some(context) => vec!["--context".to_owned(), context.clone()],
        None => Vec::new(),
    }
}

/// A `postsync` hook running `command` with `args`.
fn postsync(command: &str, args: Vec<String>) -> Value {
    json!({"events": ["postsync"], "showlogs": true, "command": command, "args": args})
}

/// The hook server-side applying `manifest` (a file of the export or a URL) on the step's
/// cluster, as `choreoctl install` applies it. A `.gotmpl` file is rendered by helmfile when the
/// hook runs (its vals references read then) and piped to kubectl.
fn apply_hook(step: &Step, manifest: &str) -> Value {
    let mut kubectl = context_args(step);
    kubectl.extend([
        "apply".to_owned(),
        "--server-side".to_owned(),
        "--force-conflicts".to_owned(),
        format!("--field-manager={FIELD_MANAGER}"),
    ]);
    if !manifest.ends_with(".gotmpl") {
        kubectl.extend(["-f".to_owned(), manifest.to_owned()]);
        return postsync("kubectl", kubectl);
    }
    let mut args = vec![
        "-c".to_owned(),
        APPLY_RENDERED.to_owned(),
        "sh".to_owned(),
        format!("{{{{ tpl (readFile \"{manifest}\") . }}}}"),
    ];
    args.extend(kubectl);
    postsync("sh", args)
}

/// The hooks of a wait step: the object exists (operators create some of them a while after
/// their chart is installed), then its condition holds.
fn wait_hooks(step: &Step, wait: &WaitAction) -> Vec<Value> {
    let resource = &wait.resource;
    let group = resource
        .api_version
        .split_once('/')
        .map(|(group, _)| group)
        .unwrap_or("");
    let kind = if group.is_empty() {
        resource.kind.to_lowercase()
    } else {
        format!("{}.{group}", resource.kind.to_lowercase())
    };
    let mut object = context_args(step);
    if let Some(namespace) = &resource.namespace {
        object.extend(["-n".to_owned(), namespace.clone()]);
    }
    let target = format!("{kind}/{}", resource.name);
    let timeout = format!("--timeout={}s", wait.timeout);
    let kubectl = |args: [&str; 2]| {
        let mut all = object.clone();
        all.extend(args.map(str::to_owned));
        all.extend([target.clone(), timeout.clone()]);
        postsync("kubectl", all)
    };
    let exists = kubectl(["wait", "--for=create"]);
    let condition = match wait.condition {
        WaitCondition::Exists => return vec![exists],
        WaitCondition::RolledOut => kubectl(["rollout", "status"]),
        WaitCondition::Available => kubectl(["wait", "--for=condition=Available"]),
        WaitCondition::Ready => kubectl(["wait", "--for=condition=Ready"]),
        WaitCondition::Established => kubectl(["wait", "--for=condition=Established"]),
        WaitCondition::Complete => kubectl(["wait", "--for=condition=Complete"]),
        WaitCondition::Addressed => {
            kubectl(["wait", "--for=jsonpath={.status.loadBalancer.ingress}"])
        }
    };
    vec![exists, condition]
}

/// A file of `value` rendered by `render`: `.gotmpl`, its values read from clusters as vals
/// references, when it carries any.
fn with_reads(
    step: &Step,
    path: &str,
    value: &Value,
    reads: &Reads,
    render: impl Fn(&Value) -> anyhow::Result<String>,
) -> anyhow::Result<(String, String)> {
    if !reads.carried_by(value) {
        return Ok((path.to_owned(), render(value)?));
    }
    let mut tokens = Vec::new();
    let value = tokenize(value, reads, &mut tokens, step)?;
    let mut body = render(&value)?;
    if body.contains("{{") {
        bail!(
            "{}: its values hold `{{{{` and a value read from a cluster; helmfile cannot template them",
            step.id
        );
    }
    for (token, reference) in tokens {
        body = body.replace(
            &token,
            &format!("{{{{ fetchSecretValue \"{reference}\" | quote }}}}"),
        );
    }
    Ok((format!("{path}.gotmpl"), body))
}

/// `values` with every placeholder replaced by a token, and the tokens' vals references.
fn tokenize(
    value: &Value,
    reads: &Reads,
    tokens: &mut Vec<(String, String)>,
    step: &Step,
) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(text) => match reads.find(text) {
            Some((placeholder, source)) if placeholder == text => {
                let token = format!("CHOREOCTL_READ_VALUE_{}", tokens.len());
                tokens.push((token.clone(), Reads::vals_ref(source)));
                Value::String(token)
            }
            Some(_) => bail!(
                "{}: a value read from a cluster is part of a longer string",
                step.id
            ),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| tokenize(item, reads, tokens, step))
                .collect::<anyhow::Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), tokenize(item, reads, tokens, step)?)))
                .collect::<anyhow::Result<_>>()?,
        ),
        _ => value.clone(),
    })
}

fn readme(plan: &Plan) -> String {
    let mut contexts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for plane in &plan.planes {
        contexts
            .entry(plane.context_label().to_owned())
            .or_default()
            .push(plane.name.clone());
    }
    let mut text = format!(
        "# OpenChoreo `{name}` for helmfile\n\n\
         Written by `choreoctl render --format helmfile` from profile `{name}` (edition \
         {edition}, OpenChoreo {version}). docs/gitops.md explains every choice.\n\n\
         ## Files\n\n\
         - `helmfile.yaml`: one release per helm or apply step, each with its `kubeContext`, \
         `needs:` along the install DAG (`[KUBECONTEXT/]NAMESPACE/NAME`, across contexts), and \
         `postsync` hooks: the plan's waits (`kubectl wait`) and the apply steps' objects.\n\
         - `values/<plane>/<module>.<step>.values.yaml`: the complete values of each release.\n\
         - `manifests/<plane>/<module>.<step>/objects.yaml`: the objects of each apply step. An \
         apply step is a release of the empty local chart `charts/step` (it owns nothing) whose \
         first `postsync` hook applies them: `kubectl apply --server-side --force-conflicts \
         --field-manager={FIELD_MANAGER}`, as `choreoctl install` does, so a step may write into \
         an object a chart owns (the `cluster-gateway-ca` ConfigMaps). Pinned remote manifests \
         are applied the same way from their URL.\n\
         - `*.gotmpl` files read a value from another cluster when they are used \
         (`fetchSecretValue \"ref+k8s://v1/Secret/NAMESPACE/NAME/KEY?kubeContext=CONTEXT\"`): \
         a values file when its release syncs, an objects file when its hook runs (rendered by \
         helmfile's `tpl` and piped to kubectl by `sh`).\n\n\
         ## Contexts\n\n",
        name = plan.name,
        edition = plan.edition,
        version = plan.version,
    );
    for (context, planes) in &contexts {
        let _ = writeln!(text, "- `{context}`: {}", planes.join(", "));
    }
    text.push_str(
        "\n## What runs when\n\n\
         1. `helmfile sync` (helmfile v1, helm, kubectl and sh on PATH; your kubeconfig names \
         the contexts above). Releases run group by group (`helmfile show-dag`): a group starts \
         once every release it needs has synced and its `postsync` hooks have passed. Each \
         release's hooks run in order after helm: an apply step's objects first, then the waits \
         that follow it (`kubectl wait --for=create`, then the condition or `rollout status`). \
         Values read from clusters are read then, after the releases that create them (an \
         agent's CA, the cluster gateway's CA).\n\
         2. Later changes: `helmfile sync` again (it upgrades every release and re-runs every \
         hook; the apply steps' releases stay empty). After an agent certificate renews (every \
         75 days), `helmfile sync` copies the new CA. `helmfile apply` needs helm-diff and runs \
         a release's hooks only when its diff is not empty, so it does not re-apply the steps' \
         objects.\n\n\
         `helmfile lint` and `helmfile template` run no hook: they render the charts only, not \
         the apply steps' objects.\n\n\
         Secrets: no secret value is in this export; releases read theirs from the secret store \
         through ExternalSecrets, as `choreoctl install` does.\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures::{files, preset_plan};

    #[test]
    fn multi_plane_helmfile() {
        let files = files(export(&preset_plan("multi-plane")).expect("exports"));
        insta::assert_snapshot!("helmfile_multi_plane", files["helmfile.yaml"]);
    }

    #[test]
    fn needs_cross_contexts_and_reads_are_vals_references() {
        let files = files(export(&preset_plan("multi-plane")).expect("exports"));
        let helmfile: Value = serde_saphyr::from_str(&files["helmfile.yaml"]).expect("YAML");
        let releases = helmfile["releases"].as_array().expect("releases");
        let find = |context: &str, name: &str| {
            releases
                .iter()
                .find(|r| r["kubeContext"] == context && r["name"] == name)
                .unwrap_or_else(|| panic!("{context}/{name}"))
        };
        let plane_ca = find("dp1", "choreoctl-dev-secure-core-plane-ca");
        let needs = plane_ca["needs"].to_string();
        assert!(
            needs.contains(
                "\"cp/openchoreo-control-plane/choreoctl-control-secure-core-publish-ca\""
            ),
            "{needs}"
        );
        let data_plane = find("dp1", "openchoreo-data-plane");
        assert!(
            data_plane["needs"]
                .to_string()
                .contains("\"dp1/openchoreo-data-plane/choreoctl-dev-secure-core-plane-ca\"")
        );
        assert!(
            data_plane["hooks"]
                .to_string()
                .contains("certificate.cert-manager.io/cluster-agent-dataplane-tls")
        );
        let register = find("cp", "choreoctl-dev-secure-core-register");
        assert!(
            register["needs"]
                .to_string()
                .contains("\"dp1/openchoreo-data-plane/openchoreo-data-plane\"")
        );
        let apply = &register["hooks"][0];
        assert_eq!(apply["command"], "sh");
        assert!(
            apply["args"].to_string().contains(
                "{{ tpl (readFile \\\"manifests/dev/secure-core.register/objects.yaml.gotmpl\\\") . }}"
            ),
            "{apply}"
        );
        let objects = &files["manifests/dev/secure-core.register/objects.yaml.gotmpl"];
        assert!(objects.contains(
            "{{ fetchSecretValue \"ref+k8s://v1/Secret/openchoreo-data-plane/cluster-agent-tls/ca.crt?kubeContext=dp1\" | quote }}"
        ), "{objects}");
        for (path, body) in &files {
            assert!(
                !body.contains("<from plane"),
                "{path} carries a placeholder"
            );
        }
    }

    /// An apply step may write into an object a chart owns (publish-ca's ConfigMap is the
    /// control plane's), so no apply step is a release of its objects: its release renders
    /// nothing and its first hook server-side applies them, before the waits that follow it.
    #[test]
    fn apply_steps_are_kubectl_hooks_of_releases_that_own_nothing() {
        let plan = preset_plan("multi-plane");
        let files = files(export(&plan).expect("exports"));
        // The step chart has no templates: its releases own no object.
        let chart: Vec<&String> = files
            .keys()
            .filter(|path| path.starts_with("charts/"))
            .collect();
        assert_eq!(chart, ["charts/step/Chart.yaml"]);
        let helmfile: Value = serde_saphyr::from_str(&files["helmfile.yaml"]).expect("YAML");
        let releases = helmfile["releases"].as_array().expect("releases");
        let applies = plan
            .steps
            .iter()
            .filter(|step| matches!(step.action, Action::Apply(_)))
            .count();
        let on_step_chart: Vec<&Value> = releases
            .iter()
            .filter(|release| release["chart"] == STEP_CHART)
            .collect();
        assert_eq!(on_step_chart.len(), applies);
        for release in on_step_chart {
            assert!(release.get("values").is_none(), "{release}");
            let hooks = release["hooks"].as_array().expect("hooks");
            let apply = hooks[0]["args"].to_string();
            for flag in [
                "\"apply\"",
                "\"--server-side\"",
                "\"--force-conflicts\"",
                "\"--field-manager=choreoctl\"",
            ] {
                assert!(apply.contains(flag), "{apply}");
            }
            assert!(
                hooks
                    .iter()
                    .all(|hook| hook["events"] == json!(["postsync"]))
            );
        }
        let publish = releases
            .iter()
            .find(|release| release["name"] == "choreoctl-control-secure-core-publish-ca")
            .expect("publish-ca");
        assert_eq!(publish["namespace"], "openchoreo-control-plane");
        let secret_store = releases
            .iter()
            .find(|release| release["name"] == "choreoctl-control-secure-core-secret-store")
            .expect("secret-store");
        let hooks = secret_store["hooks"].to_string();
        let applied = hooks
            .find("manifests/control/secure-core.secret-store/objects.yaml")
            .expect("applies its objects");
        let waited = hooks
            .find("clustersecretstore.external-secrets.io/default")
            .expect("waits for the store");
        assert!(applied < waited, "{hooks}");
    }
}
