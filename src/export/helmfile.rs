//! The helmfile export: one `helmfile.yaml` whose releases carry their `kubeContext` and
//! `needs:` (`[KUBECONTEXT/]NAMESPACE/NAME`) along the plan's DAG, across contexts.
//!
//! - Helm steps are releases of their chart with their values file.
//! - Apply steps are releases of the local chart `charts/objects` (written into the export),
//!   which renders the step's objects from its values file, so helm orders, upgrades and
//!   removes them like any release. A pinned remote manifest is applied by a `presync` hook
//!   (`kubectl apply --server-side`) of an empty release of that chart.
//! - Wait steps are `postsync` hooks (`kubectl wait` / `rollout status`) of the releases they
//!   follow: a failing hook fails its release and stops later groups.
//! - A value read from a cluster (agent CA, cluster-gateway CA) is a vals reference in a
//!   `.gotmpl` values file, `fetchSecretValue "ref+k8s://…"`, read when that release syncs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::bail;
use serde_json::{Value, json};

use super::cross_cluster::Reads;
use super::dag::Dag;
use super::{File, layout};
use crate::catalog::model::WaitCondition;
use crate::output::to_yaml;
use crate::plan::{Action, ApplyAction, Plan, Step, WaitAction};

/// Field manager of the remote-manifest hooks.
pub const FIELD_MANAGER: &str = "choreoctl-helmfile";
/// Namespace of the releases of cluster-scoped apply steps.
const CLUSTER_SCOPED_NAMESPACE: &str = "kube-system";

/// The local chart rendering an apply step's objects from `.Values.objects`.
const OBJECTS_CHART: [(&str, &str); 2] = [
    (
        "charts/objects/Chart.yaml",
        "apiVersion: v2\nname: objects\nversion: 1.0.0\n\
         description: The objects of one choreoctl apply step, from .Values.objects.\n",
    ),
    (
        "charts/objects/templates/objects.yaml",
        "{{- range .Values.objects }}\n---\n{{ toYaml . }}\n{{- end }}\n",
    ),
];

/// The export's files.
pub fn export(plan: &Plan) -> anyhow::Result<Vec<File>> {
    let reads = Reads::of(plan);
    let dag = Dag::new(plan, layout::is_exported);
    let mut files: Vec<File> = OBJECTS_CHART
        .iter()
        .map(|(path, body)| File {
            path: (*path).into(),
            body: (*body).into(),
        })
        .collect();
    let mut repositories = BTreeMap::new();
    let mut releases: Vec<Value> = Vec::new();
    let mut position = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        match &step.action {
            Action::Helm(helm) => {
                let (path, body) =
                    values_file(step, &layout::values_file(step), &helm.values, &reads)?;
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
                release["chart"] = json!("./charts/objects");
                let objects: Vec<Value> = match apply {
                    ApplyAction::Objects(objects) => objects
                        .iter()
                        .filter(|object| !is_namespace(object, step.namespace.as_deref()))
                        .cloned()
                        .collect(),
                    ApplyAction::Remote(remote) => {
                        release["hooks"] = json!([hook(
                            "presync",
                            step,
                            vec![
                                "apply".into(),
                                "--server-side".into(),
                                "--force-conflicts".into(),
                                format!("--field-manager={FIELD_MANAGER}"),
                                "-f".into(),
                                remote.url.clone(),
                            ]
                        )]);
                        Vec::new()
                    }
                };
                let (path, body) = values_file(
                    step,
                    &format!("values/{}.objects.yaml", layout::stem(step)),
                    &json!({"objects": objects}),
                    &reads,
                )?;
                files.push(File {
                    path: path.clone(),
                    body,
                });
                release["values"] = json!([path]);
                position.insert(index, releases.len());
                releases.push(release);
            }
            Action::Wait(wait) => {
                for &parent in &dag.needs[index] {
                    let release = &mut releases[position[&parent]];
                    let mut hooks = release["hooks"].as_array().cloned().unwrap_or_default();
                    hooks.push(hook("postsync", step, wait_args(wait)));
                    release["hooks"] = json!(hooks);
                }
            }
            Action::Read(_) => {}
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

/// The release's own namespace (helm creates it; two releases may not both own it).
fn is_namespace(object: &Value, namespace: Option<&str>) -> bool {
    object["kind"] == "Namespace"
        && object["apiVersion"] == "v1"
        && object["metadata"]["name"].as_str() == namespace
}

/// A hook running kubectl against the step's context.
fn hook(event: &str, step: &Step, args: Vec<String>) -> Value {
    let mut all = Vec::new();
    if let Some(context) = &step.context {
        all.push("--context".to_owned());
        all.push(context.clone());
    }
    all.extend(args);
    json!({"events": [event], "showlogs": true, "command": "kubectl", "args": all})
}

/// kubectl's arguments for a wait step.
fn wait_args(wait: &WaitAction) -> Vec<String> {
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
    let mut args = Vec::new();
    if let Some(namespace) = &resource.namespace {
        args.extend(["-n".to_owned(), namespace.clone()]);
    }
    let target = format!("{kind}/{}", resource.name);
    let timeout = format!("--timeout={}s", wait.timeout);
    match wait.condition {
        WaitCondition::RolledOut => {
            args.extend(["rollout".into(), "status".into(), target, timeout])
        }
        condition => {
            let what = match condition {
                WaitCondition::Available => "--for=condition=Available",
                WaitCondition::Ready => "--for=condition=Ready",
                WaitCondition::Established => "--for=condition=Established",
                WaitCondition::Complete => "--for=condition=Complete",
                WaitCondition::Addressed => "--for=jsonpath={.status.loadBalancer.ingress}",
                WaitCondition::Exists | WaitCondition::RolledOut => "--for=create",
            };
            args.extend(["wait".into(), what.into(), target, timeout]);
        }
    }
    args
}

/// A values file; `.gotmpl` with vals references when it carries values read from clusters.
fn values_file(
    step: &Step,
    path: &str,
    values: &Value,
    reads: &Reads,
) -> anyhow::Result<(String, String)> {
    if !reads.carried_by(values) {
        return Ok((path.to_owned(), layout::values_body(step, values)?));
    }
    let mut tokens = Vec::new();
    let values = tokenize(values, reads, &mut tokens, step)?;
    let mut body = layout::values_body(step, &values)?;
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
         `postsync` hooks for the plan's waits (`kubectl wait`).\n\
         - `values/<plane>/<module>.<step>.values.yaml`: the complete values of each release; \
         `…objects.yaml` the objects of each apply step, rendered by the local chart \
         `charts/objects`. Pinned remote manifests are applied by a `presync` hook \
         (`kubectl apply --server-side --field-manager={FIELD_MANAGER}`).\n\
         - `*.gotmpl` values files read a value from another cluster when their release syncs \
         (`fetchSecretValue \"ref+k8s://v1/Secret/NAMESPACE/NAME/KEY?kubeContext=CONTEXT\"`).\n\n\
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
         1. `helmfile sync` (helmfile v1, helm, kubectl; your kubeconfig names the contexts \
         above). Releases run group by group (`helmfile show-dag`): a group starts once every \
         release it needs has synced and its `postsync` waits have passed. The `.gotmpl` values \
         files are rendered when their group starts, after the releases that create what they \
         read (an agent's CA, the cluster gateway's CA).\n\
         2. Later changes: `helmfile sync` again (or `helmfile apply`, which needs helm-diff and \
         renders every release first, so only once everything exists). After an agent \
         certificate renews (every 75 days), `helmfile sync` copies the new CA.\n\n\
         `helmfile lint` and `helmfile template` render every release up front, so the values \
         read from clusters must already exist there (an installed platform).\n\n\
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
        assert_eq!(
            register["values"][0],
            "values/dev/secure-core.register.objects.yaml.gotmpl"
        );
        let values = &files["values/dev/secure-core.register.objects.yaml.gotmpl"];
        assert!(values.contains(
            "{{ fetchSecretValue \"ref+k8s://v1/Secret/openchoreo-data-plane/cluster-agent-tls/ca.crt?kubeContext=dp1\" | quote }}"
        ), "{values}");
        for (path, body) in &files {
            assert!(
                !body.contains("<from plane"),
                "{path} carries a placeholder"
            );
        }
    }
}
