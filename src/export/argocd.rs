//! The Argo CD export: one Application per exported step, sync waves from the DAG, an
//! app-of-apps root, and ApplicationSets for the steps that go to every data plane.
//!
//! Destinations name clusters as Argo CD's cluster Secrets do. `argocd cluster add CTX` names a
//! cluster after its kubeconfig context, so a plane's destination is its context; the cluster
//! Argo CD itself runs in is `in-cluster`: the control plane's cluster when the profile installs
//! Argo CD (module `cd`), and a plane bound to the current context (no `context:`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{File, GitSource, StepFiles, layout};
use crate::names::{CA_COPY_FIELD_MANAGER, MANAGED_BY, MANAGED_BY_LABEL};
use crate::output::to_yaml;
use crate::plan::{Action, HelmAction, Plan, Step};
use crate::profile::model::PlaneType;

/// Namespace of Argo CD's own objects.
pub const NAMESPACE: &str = "argocd";
/// The name Argo CD gives the cluster it runs in.
pub const IN_CLUSTER: &str = "in-cluster";
/// Cluster-Secret label naming the plane a cluster hosts (ApplicationSet form).
pub const PLANE_LABEL: &str = "openchoreo.dev/plane";
/// Cluster-Secret label naming that plane's type.
pub const PLANE_TYPE_LABEL: &str = "openchoreo.dev/plane-type";

/// The export's files.
///
/// # Errors
///
/// When a read value would have to be written into a manifest for another cluster (the
/// export would carry a placeholder) or a file cannot be serialized; `render` ends with exit 1
/// (`Unexpected`).
pub fn export(plan: &Plan, git: &GitSource) -> anyhow::Result<Vec<File>> {
    let shared = StepFiles::of(plan)?;
    let dag = shared.dag(plan);
    let clusters = Clusters::of(plan);
    let groups = every_data_plane(plan, &shared, &clusters);
    let grouped: BTreeMap<&str, &str> = groups
        .iter()
        .flat_map(|(key, members)| {
            members
                .iter()
                .map(move |&i| (plan.steps[i].id.as_str(), key.as_str()))
        })
        .collect();

    let mut files = shared.files.clone();
    for (index, step) in plan.steps.iter().enumerate() {
        if !shared.exported.contains(&step.id) {
            continue;
        }
        let application = application(step, dag.waves[index], &clusters.destination(step), git);
        let dir = if grouped.contains_key(step.id.as_str()) {
            "per-plane"
        } else {
            "applications"
        };
        files.push(File {
            path: format!("argocd/{dir}/{}.yaml", layout::object_name(step)),
            body: to_yaml(&application)?,
        });
    }
    for (key, members) in &groups {
        let wave = members.iter().map(|&i| dag.waves[i]).max().unwrap_or(0);
        files.push(File {
            path: format!("argocd/applicationsets/{key}.yaml"),
            body: to_yaml(&application_set(
                plan,
                key,
                &plan.steps[members[0]],
                wave,
                git,
            ))?,
        });
    }
    files.push(root(
        plan,
        git,
        "root.yaml",
        &[
            Some("applications"),
            (!groups.is_empty()).then_some("per-plane"),
        ],
    )?);
    if !groups.is_empty() {
        files.push(root(
            plan,
            git,
            "root-applicationsets.yaml",
            &[Some("applications"), Some("applicationsets")],
        )?);
    }
    files.extend(shared.script());
    files.push(File {
        path: "README.md".into(),
        body: readme(plan, git, &clusters, &groups, &shared),
    });
    Ok(files)
}

/// Which Argo CD cluster each plane's context is.
struct Clusters {
    /// The context of the cluster Argo CD runs in, when the profile installs it.
    argocd_context: Option<Option<String>>,
}

impl Clusters {
    fn of(plan: &Plan) -> Self {
        let argocd_context = plan
            .steps
            .iter()
            .find(|step| matches!(&step.action, Action::Helm(helm) if helm.chart.name == "argo-cd"))
            .map(|step| step.context.clone());
        Self { argocd_context }
    }

    /// The destination cluster name of a context.
    fn name(&self, context: Option<&str>) -> String {
        match context {
            None => IN_CLUSTER.into(),
            Some(context)
                if self
                    .argocd_context
                    .as_ref()
                    .is_some_and(|c| c.as_deref() == Some(context)) =>
            {
                IN_CLUSTER.into()
            }
            Some(context) => context.into(),
        }
    }

    fn destination(&self, step: &Step) -> String {
        self.name(step.context.as_deref())
    }
}

/// The Application of one step.
fn application(step: &Step, wave: usize, cluster: &str, git: &GitSource) -> Value {
    let mut destination = json!({"name": cluster});
    if let Some(namespace) = &step.namespace {
        destination["namespace"] = json!(namespace);
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": layout::object_name(step),
            "namespace": NAMESPACE,
            "labels": labels(step),
            "annotations": {"argocd.argoproj.io/sync-wave": wave.to_string(), "choreoctl.openchoreo.dev/step": step.id},
        },
        "spec": spec(step, destination, &layout::values_file(step), &layout::manifest_dir(step), git),
    })
}

fn labels(step: &Step) -> Value {
    json!({
        MANAGED_BY_LABEL: MANAGED_BY,
        "openchoreo.dev/module": step.module,
        PLANE_LABEL: step.subject,
    })
}

/// An Application's spec: a helm chart with values from Git, or a directory of objects.
fn spec(
    step: &Step,
    destination: Value,
    values_file: &str,
    manifest_dir: &str,
    git: &GitSource,
) -> Value {
    let mut sync_options = Vec::new();
    if step.namespace.is_some() {
        sync_options.push("CreateNamespace=true");
    }
    let sources = match &step.action {
        Action::Helm(helm) => json!([chart_source(helm, values_file, git), {
            "repoURL": git.url, "targetRevision": git.revision, "ref": "values",
        }]),
        _ => {
            sync_options.push("ServerSideApply=true");
            json!([{"repoURL": git.url, "targetRevision": git.revision, "path": git.join(manifest_dir)}])
        }
    };
    json!({
        "project": "default",
        "destination": destination,
        "sources": sources,
        "syncPolicy": {
            "automated": {"prune": true, "selfHeal": true},
            "syncOptions": sync_options,
            "retry": {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
        },
    })
}

/// The chart source: an OCI repository is named without its scheme and chart, a classic
/// repository by its URL.
fn chart_source(helm: &HelmAction, values_file: &str, git: &GitSource) -> Value {
    let repo_url = match &helm.chart.repo {
        Some(repo) => repo.clone(),
        None => {
            let reference = helm.chart.reference.trim_start_matches("oci://");
            reference
                .strip_suffix(&format!("/{}", helm.chart.name))
                .unwrap_or(reference)
                .to_owned()
        }
    };
    json!({
        "repoURL": repo_url,
        "chart": helm.chart.name,
        "targetRevision": helm.version,
        "helm": {
            "releaseName": helm.release,
            "valueFiles": [format!("$values/{}", git.join(values_file))],
        },
    })
}

/// Steps (by `<module>-<step>`) that go to every data plane and can be one ApplicationSet: run
/// on each data plane of the plan, each plane alone on a cluster Argo CD reaches by a Secret.
fn every_data_plane(
    plan: &Plan,
    shared: &StepFiles,
    clusters: &Clusters,
) -> BTreeMap<String, Vec<usize>> {
    let data_planes: Vec<&crate::resolve::Plane> = plan
        .planes
        .iter()
        .filter(|plane| plane.plane_type == PlaneType::Data)
        .collect();
    let mut names: Vec<String> = data_planes
        .iter()
        .map(|plane| clusters.name(plane.context.as_deref()))
        .collect();
    let before = names.len();
    names.sort();
    names.dedup();
    if data_planes.is_empty()
        || names.len() != before
        || names.iter().any(|name| name == IN_CLUSTER)
    {
        return BTreeMap::new();
    }
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        if shared.exported.contains(&step.id) && step.plane == step.subject {
            let key = layout::dns_label(step.id.split('@').next().unwrap_or(&step.id));
            groups.entry(key).or_default().push(index);
        }
    }
    groups.retain(|_, members| {
        let mut planes: Vec<&str> = members
            .iter()
            .map(|&i| plan.steps[i].plane.as_str())
            .collect();
        planes.sort_unstable();
        let mut wanted: Vec<&str> = data_planes
            .iter()
            .map(|plane| plane.name.as_str())
            .collect();
        wanted.sort_unstable();
        let namespace = &plan.steps[members[0]].namespace;
        planes == wanted
            && members
                .iter()
                .all(|&i| &plan.steps[i].namespace == namespace)
    });
    groups
}

/// The ApplicationSet standing for every data plane's instance of one step.
fn application_set(plan: &Plan, key: &str, example: &Step, wave: usize, git: &GitSource) -> Value {
    let plane = format!("{{{{index .metadata.labels \"{PLANE_LABEL}\"}}}}");
    let per_plane =
        |path: String| path.replacen(&format!("/{}/", example.subject), &format!("/{plane}/"), 1);
    let mut destination = json!({"name": "{{.name}}"});
    if let Some(namespace) = &example.namespace {
        destination["namespace"] = json!(namespace);
    }
    let mut labels = labels(example);
    labels[PLANE_LABEL] = json!(plane);
    let name = layout::object_name(example).replacen(&example.subject, &plane, 1);
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": key, "namespace": NAMESPACE, "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"clusters": {"selector": {"matchLabels": {PLANE_TYPE_LABEL: "data", "app.kubernetes.io/part-of": plan.name}}}}],
            "template": {
                "metadata": {
                    "name": name,
                    "labels": labels,
                    "annotations": {"argocd.argoproj.io/sync-wave": wave.to_string()},
                },
                "spec": spec(example, destination, &per_plane(layout::values_file(example)),
                             &per_plane(layout::manifest_dir(example)), git),
            },
        },
    })
}

/// An app-of-apps Application applying the Applications of `dirs` below `argocd/`.
fn root(plan: &Plan, git: &GitSource, file: &str, dirs: &[Option<&str>]) -> anyhow::Result<File> {
    let sources: Vec<Value> = dirs
        .iter()
        .flatten()
        .map(|dir| json!({"repoURL": git.url, "targetRevision": git.revision, "path": git.join(&format!("argocd/{dir}"))}))
        .collect();
    let root = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": layout::dns_label(&format!("{}-openchoreo", plan.name)), "namespace": NAMESPACE},
        "spec": {
            "project": "default",
            "destination": {"name": IN_CLUSTER, "namespace": NAMESPACE},
            "sources": sources,
            "syncPolicy": {"automated": {"prune": true, "selfHeal": true}},
        },
    });
    Ok(File {
        path: format!("argocd/{file}"),
        body: to_yaml(&root)?,
    })
}

fn readme(
    plan: &Plan,
    git: &GitSource,
    clusters: &Clusters,
    groups: &BTreeMap<String, Vec<usize>>,
    shared: &StepFiles,
) -> String {
    let mut cluster_lines = BTreeMap::new();
    for plane in &plan.planes {
        let name = clusters.name(plane.context.as_deref());
        cluster_lines
            .entry(name)
            .or_insert_with(Vec::new)
            .push(format!("{} ({})", plane.name, plane.plane_type.as_str()));
    }
    let mut text = format!(
        "# OpenChoreo `{name}` for Argo CD\n\n\
         Written by `choreoctl render --format argocd` from profile `{name}` (edition {edition}, \
         OpenChoreo {version}). Commit this directory to `{url}` (`{revision}`, path `{path}`); \
         Argo CD reads values and manifests from there. docs/gitops.md explains every choice.\n\n\
         ## Files\n\n\
         - `values/<plane>/<module>.<step>.values.yaml`: the complete values of each release.\n\
         - `manifests/<plane>/<module>.<step>/`: the objects of each apply step (a \
         `kustomization.yaml` naming the URL for pinned manifests).\n\
         - `argocd/applications/`: one Application per release or apply step, sync wave = depth \
         in the install DAG, `ServerSideApply=true` on apply steps.\n\
         - `argocd/root.yaml`: the app-of-apps Application that applies them.\n",
        name = plan.name,
        edition = plan.edition,
        version = plan.version,
        url = git.url,
        revision = git.revision,
        path = git.path,
    );
    if !groups.is_empty() {
        text.push_str(
            "- `argocd/per-plane/`: the Applications of the steps that go to every data plane, one \
             per plane; `argocd/applicationsets/` holds the same as ApplicationSets (cluster \
             generator on the labels below). Apply `argocd/root.yaml` for the former or \
             `argocd/root-applicationsets.yaml` for the latter, never both.\n",
        );
    }
    if shared.script().is_some() {
        text.push_str("- `copy-cas.sh`: copies the CAs that cross clusters (below).\n");
    }
    text.push_str(
        "\n## Clusters\n\nDestinations name clusters as Argo CD's cluster Secrets do. Register each \
         with the name below (`argocd cluster add CONTEXT` names it after the context); \
         `in-cluster` is the cluster Argo CD runs in.\n\n",
    );
    for (name, planes) in &cluster_lines {
        let labels = if groups.is_empty() || name == IN_CLUSTER {
            String::new()
        } else {
            let plane = plan
                .planes
                .iter()
                .find(|p| clusters.name(p.context.as_deref()) == *name);
            plane
                .map(|p| format!(
                    " --label {PLANE_LABEL}={} --label {PLANE_TYPE_LABEL}={} --label app.kubernetes.io/part-of={}",
                    p.name, p.plane_type.as_str(), plan.name
                ))
                .unwrap_or_default()
        };
        if name == IN_CLUSTER {
            text.push_str(&format!("- `in-cluster`: {}\n", planes.join(", ")));
        } else {
            text.push_str(&format!(
                "- `{name}`: {} — `argocd cluster add {name} --name {name}{labels}`\n",
                planes.join(", ")
            ));
        }
    }
    text.push_str(&format!(
        "\n## What runs when\n\n\
         1. Once, in `argocd-cm`: Application health, so that the root waits for each wave to be \
         Healthy before the next (Argo CD stopped assessing it in 1.8):\n\n\
         ```yaml\n\
         resource.customizations.health.argoproj.io_Application: |\n\
         \x20 hs = {{}}\n\
         \x20 hs.status = \"Progressing\"\n\
         \x20 hs.message = \"\"\n\
         \x20 if obj.status ~= nil and obj.status.health ~= nil then\n\
         \x20   hs.status = obj.status.health.status\n\
         \x20   if obj.status.health.message ~= nil then hs.message = obj.status.health.message end\n\
         \x20 end\n\
         \x20 return hs\n\
         ```\n\n\
         2. `kubectl apply -n {NAMESPACE} -f argocd/root.yaml`: Argo CD syncs wave 0, waits for it \
         to be Healthy, then wave 1, and so on; every Application syncs automatically \
         (prune, self-heal) from then on.\n"
    ));
    if shared.script().is_some() {
        text.push_str(&format!(
            "3. `./copy-cas.sh` (kubectl with your kubeconfig), started right after step 2 and \
             then on a schedule (e.g. daily): it waits for each source, then writes, with \
             `kubectl apply --server-side --field-manager={manager}`, objects Argo CD does not \
             own:\n{list}\n\
             Offline, no CA can be known, and a value read on one cluster cannot enter a manifest \
             for another. So the exported `Cluster*Plane` objects carry `clusterAgent.clientCA.\
             secretKeyRef` to the Secrets above (read by the cluster gateway at every agent \
             handshake) instead of a value: Git never changes, and when an agent certificate \
             renews (every 75 days) the next run of the script updates only the Secret. No CA, \
             and no placeholder, is in any field Argo CD applies. Until the script has run, the \
             planes' agents wait for their `cluster-gateway-ca` ConfigMap and the planes show \
             as disconnected.\n",
            manager = CA_COPY_FIELD_MANAGER,
            list = copy_list(shared),
        ));
    }
    text.push_str(
        "\nSecrets: no secret value is in this export; releases read theirs from the secret \
         store through ExternalSecrets, as `choreoctl install` does.\n",
    );
    text
}

/// The copies of `copy-cas.sh`, one Markdown list item each.
pub(super) fn copy_list(shared: &StepFiles) -> String {
    shared
        .copies
        .iter()
        .map(|copy| {
            format!(
                "   - {} `{}/{}` key `{}` on {}, from {} `{}/{}` on {}\n",
                copy.kind,
                copy.namespace,
                copy.name,
                copy.key,
                copy.context.as_deref().unwrap_or("the current context"),
                copy.from.kind,
                copy.from.namespace,
                copy.from.name,
                copy.from
                    .context
                    .as_deref()
                    .unwrap_or("the current context"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures::{files, git, preset_plan};

    fn export_of(preset: &str) -> BTreeMap<String, String> {
        files(export(&preset_plan(preset), &git()).expect("exports"))
    }

    fn object(files: &BTreeMap<String, String>, path: &str) -> Value {
        serde_saphyr::from_str(&files[path]).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn wave(application: &Value) -> usize {
        application["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .and_then(|w| w.parse().ok())
            .expect("a sync wave")
    }

    #[test]
    fn multi_plane_engine_objects() {
        let files = export_of("multi-plane");
        let engine: String = files
            .iter()
            .filter(|(path, _)| path.starts_with("argocd/") || *path == "README.md")
            .map(|(path, body)| format!("=== {path}\n{body}"))
            .collect();
        insta::assert_snapshot!("argocd_multi_plane", engine);
    }

    #[test]
    fn waves_follow_the_dag_and_no_placeholder_is_exported() {
        let files = export_of("multi-plane");
        let control = object(
            &files,
            "argocd/applications/control-secure-core-control-plane.yaml",
        );
        let data = object(&files, "argocd/per-plane/dev-secure-core-data-plane.yaml");
        let register = object(&files, "argocd/applications/dev-secure-core-register.yaml");
        assert!(wave(&control) < wave(&data) && wave(&data) < wave(&register));
        assert_eq!(
            wave(&object(
                &files,
                "argocd/applications/dev-secure-core-gateway-api-crds.yaml"
            )),
            0
        );
        for (path, body) in &files {
            assert!(
                !body.contains("<from plane"),
                "{path} carries a placeholder"
            );
        }
        let objects = &files["manifests/dev/secure-core.register/objects.yaml"];
        assert!(
            objects.contains("secretKeyRef:\n        name: dev-agent-ca"),
            "{objects}"
        );
        assert!(
            files["copy-cas.sh"]
                .contains("read_key 'dp1' secret openchoreo-data-plane cluster-agent-tls")
        );
        // The plane's CA ConfigMap is the script's; only its Namespace is Argo CD's.
        assert!(!files["manifests/dev/secure-core.plane-ca/objects.yaml"].contains("ConfigMap"));
    }

    #[test]
    fn destinations_sync_options_and_sources() {
        let files = export_of("multi-plane");
        let data = object(&files, "argocd/per-plane/dev-secure-core-data-plane.yaml");
        assert_eq!(
            data["spec"]["destination"],
            json!({"name": "dp1", "namespace": "openchoreo-data-plane"})
        );
        assert_eq!(
            data["spec"]["sources"][0]["repoURL"],
            "ghcr.io/openchoreo/helm-charts"
        );
        assert_eq!(
            data["spec"]["sources"][0]["helm"]["valueFiles"][0],
            "$values/clusters/prod/values/dev/secure-core.data-plane.values.yaml"
        );
        assert!(files.contains_key("values/dev/secure-core.data-plane.values.yaml"));
        assert!(
            !data["spec"]["syncPolicy"]["syncOptions"]
                .to_string()
                .contains("ServerSideApply")
        );
        let register = object(&files, "argocd/applications/dev-secure-core-register.yaml");
        assert_eq!(register["spec"]["destination"]["name"], "cp");
        assert_eq!(
            register["spec"]["syncPolicy"]["syncOptions"],
            json!(["ServerSideApply=true"])
        );
        assert_eq!(
            register["spec"]["sources"][0]["path"],
            "clusters/prod/manifests/dev/secure-core.register"
        );
        let set = object(&files, "argocd/applicationsets/secure-core-data-plane.yaml");
        assert_eq!(
            set["spec"]["template"]["spec"]["destination"]["name"],
            "{{.name}}"
        );
        assert_eq!(wave(&set["spec"]["template"]), wave(&data));
    }

    #[test]
    fn argo_cd_installed_by_the_profile_makes_its_cluster_in_cluster() {
        let files = export_of("fintech");
        let control = object(
            &files,
            "argocd/applications/control-secure-core-control-plane.yaml",
        );
        assert_eq!(control["spec"]["destination"]["name"], IN_CLUSTER);
        let data = files
            .iter()
            .find(|(path, _)| path.ends_with("payments-secure-core-data-plane.yaml"))
            .map(|(path, _)| object(&files, path))
            .expect("the data plane's Application");
        assert_eq!(data["spec"]["destination"]["name"], "dp1");
    }
}
