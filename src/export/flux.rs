//! The Flux export: every object on one hub cluster (the control plane's), reaching the other
//! clusters through `kubeConfig.secretRef`.
//!
//! Each exported step is a Kustomization on the hub, chained by `dependsOn` along the plan's
//! DAG (Kustomizations may depend only on Kustomizations). A helm step's Kustomization applies
//! its HelmRelease (with `dependsOn` on the nearest helm steps too, and the remote plane's
//! `kubeConfig`) and waits for it to be Ready; an apply step's Kustomization applies its
//! objects on the step's cluster itself (always server-side). Charts come from an
//! OCIRepository (or a HelmRepository for classic repositories).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{File, GitSource, StepFiles, layout};
use crate::names::{CA_COPY_FIELD_MANAGER, MANAGED_BY, MANAGED_BY_LABEL};
use crate::output::to_yaml;
use crate::plan::{Action, HelmAction, Plan, Step};
use crate::profile::model::PlaneType;

/// Namespace of every Flux object of the export (on the hub).
pub const NAMESPACE: &str = "flux-system";

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
    let hub = Hub::of(plan);
    let helm_dag = super::dag::Dag::new(plan, |step| matches!(step.action, Action::Helm(_)));
    let source_name = layout::dns_label(&format!("{}-openchoreo", plan.name));

    let mut files = shared.files.clone();
    let mut charts: BTreeMap<String, Value> = BTreeMap::new();
    let mut kustomizations = Vec::new();
    for (index, step) in plan.steps.iter().enumerate() {
        if !shared.exported.contains(&step.id) {
            continue;
        }
        let name = layout::object_name(step);
        let depends_on: Vec<Value> = dag.needs[index]
            .iter()
            .map(|&i| json!({"name": layout::object_name(&plan.steps[i])}))
            .collect();
        let mut kustomization = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels(step),
                         "annotations": {"choreoctl.openchoreo.dev/step": step.id}},
            "spec": {
                "interval": "10m",
                "retryInterval": "1m",
                "timeout": "30m",
                "prune": true,
                "wait": true,
                "sourceRef": {"kind": "GitRepository", "name": source_name},
            },
        });
        if !depends_on.is_empty() {
            kustomization["spec"]["dependsOn"] = json!(depends_on);
        }
        match &step.action {
            Action::Helm(helm) => {
                let (chart_ref, source) = chart_source(helm);
                charts
                    .entry(
                        source["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    )
                    .or_insert(source);
                let helm_needs: Vec<Value> = helm_dag.needs[index]
                    .iter()
                    .map(|&i| json!({"name": layout::object_name(&plan.steps[i])}))
                    .collect();
                let release =
                    helm_release(step, helm, chart_ref, helm_needs, hub.kube_config(step))?;
                let dir = format!("flux/releases/{name}");
                files.push(File {
                    path: format!("{dir}/helmrelease.yaml"),
                    body: to_yaml(&release)?,
                });
                kustomization["spec"]["path"] = json!(git.join(&dir));
            }
            _ => {
                kustomization["spec"]["path"] = json!(git.join(&layout::manifest_dir(step)));
                if let Some(kube_config) = hub.kube_config(step) {
                    kustomization["spec"]["kubeConfig"] = kube_config;
                }
            }
        }
        kustomizations.push(kustomization);
    }

    let git_repository = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": source_name, "namespace": NAMESPACE},
        "spec": {"interval": "5m", "url": git.url, "ref": {"branch": git.revision}},
    });
    let root = json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": source_name, "namespace": NAMESPACE},
        "spec": {"interval": "10m", "prune": true, "path": git.join("flux/hub"),
                 "sourceRef": {"kind": "GitRepository", "name": source_name}},
    });
    files.push(File {
        path: "flux/hub/source.yaml".into(),
        body: layout::yaml_stream(&[git_repository])?,
    });
    files.push(File {
        path: "flux/hub/charts.yaml".into(),
        body: layout::yaml_stream(&charts.into_values().collect::<Vec<_>>())?,
    });
    files.push(File {
        path: "flux/hub/kustomizations.yaml".into(),
        body: layout::yaml_stream(&kustomizations)?,
    });
    files.push(File {
        path: "flux/root.yaml".into(),
        body: layout::yaml_stream(&[root])?,
    });
    files.extend(shared.script());
    files.push(File {
        path: "README.md".into(),
        body: readme(plan, git, &hub, &shared),
    });
    Ok(files)
}

/// The hub: the cluster Flux runs on, the control plane's.
struct Hub {
    /// (kubeconfig, context) of the control plane.
    key: (Option<String>, Option<String>),
}

impl Hub {
    fn of(plan: &Plan) -> Self {
        let control = plan
            .planes
            .iter()
            .find(|plane| plane.plane_type == PlaneType::Control);
        Self {
            key: control
                .map(|plane| (plane.kubeconfig.clone(), plane.context.clone()))
                .unwrap_or_default(),
        }
    }

    /// `kubeConfig` for a step on another cluster than the hub's.
    fn kube_config(&self, step: &Step) -> Option<Value> {
        let key = (step.kubeconfig.clone(), step.context.clone());
        (key != self.key).then(|| {
            json!({"secretRef": {"name": kubeconfig_secret(step.context.as_deref()), "key": "value"}})
        })
    }
}

/// The hub Secret holding the kubeconfig of a context's cluster.
pub fn kubeconfig_secret(context: Option<&str>) -> String {
    layout::dns_label(&format!("kubeconfig-{}", context.unwrap_or("current")))
}

fn labels(step: &Step) -> Value {
    json!({
        MANAGED_BY_LABEL: MANAGED_BY,
        "openchoreo.dev/module": step.module,
        "openchoreo.dev/plane": step.subject,
    })
}

/// The HelmRelease's chart reference and the source object it names.
fn chart_source(helm: &HelmAction) -> (Value, Value) {
    let name = layout::dns_label(&format!("{}-{}", helm.chart.name, helm.version));
    match &helm.chart.repo {
        Some(repo) => {
            let source = json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "HelmRepository",
                "metadata": {"name": layout::dns_label(&helm.chart.name), "namespace": NAMESPACE},
                "spec": {"interval": "1h", "url": repo},
            });
            let chart = json!({"spec": {"chart": helm.chart.name, "version": helm.version,
                "sourceRef": {"kind": "HelmRepository", "name": layout::dns_label(&helm.chart.name)}}});
            (json!({"chart": chart}), source)
        }
        None => {
            let mut spec = json!({
                "interval": "1h",
                "url": helm.chart.reference,
                "ref": {"tag": helm.version},
                "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "operation": "copy"},
            });
            if helm.chart.plain_http {
                spec["insecure"] = json!(true);
            }
            let source = json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1",
                "kind": "OCIRepository",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": spec,
            });
            (
                json!({"chartRef": {"kind": "OCIRepository", "name": name}}),
                source,
            )
        }
    }
}

/// The HelmRelease of one helm step.
fn helm_release(
    step: &Step,
    helm: &HelmAction,
    chart: Value,
    depends_on: Vec<Value>,
    kube_config: Option<Value>,
) -> anyhow::Result<Value> {
    let namespace = step
        .namespace
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("{}: a helm step without a namespace", step.id))?;
    let disable_wait = !helm.helm.wait;
    let mut spec = json!({
        "interval": "1h",
        "timeout": format!("{}s", helm.helm.timeout),
        "releaseName": helm.release,
        "targetNamespace": namespace,
        "storageNamespace": namespace,
        "install": {"createNamespace": true, "crds": "Create", "disableWait": disable_wait,
                    "remediation": {"retries": 3}},
        "upgrade": {"crds": "CreateReplace", "disableWait": disable_wait},
        "values": helm.values,
    });
    for (key, value) in chart.as_object().into_iter().flatten() {
        spec[key] = value.clone();
    }
    if let Some(kube_config) = kube_config {
        spec["kubeConfig"] = kube_config;
    }
    if !depends_on.is_empty() {
        spec["dependsOn"] = json!(depends_on);
    }
    Ok(json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": layout::object_name(step), "namespace": NAMESPACE, "labels": labels(step),
                     "annotations": {"choreoctl.openchoreo.dev/step": step.id}},
        "spec": spec,
    }))
}

fn readme(plan: &Plan, git: &GitSource, hub: &Hub, shared: &StepFiles) -> String {
    let mut remote: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for plane in &plan.planes {
        if (plane.kubeconfig.clone(), plane.context.clone()) != hub.key {
            remote
                .entry(kubeconfig_secret(plane.context.as_deref()))
                .or_default()
                .push(format!(
                    "{} (context `{}`)",
                    plane.name,
                    plane.context_label()
                ));
        }
    }
    let mut text = format!(
        "# OpenChoreo `{name}` for Flux\n\n\
         Written by `choreoctl render --format flux` from profile `{name}` (edition {edition}, \
         OpenChoreo {version}). Commit this directory to `{url}` (`{revision}`, path `{path}`). \
         Every Flux object lives on the hub, the control plane's cluster (context `{hub}`), in \
         `{NAMESPACE}`. docs/gitops.md explains every choice.\n\n\
         ## Files\n\n\
         - `flux/root.yaml`: the Kustomization that applies `flux/hub/`.\n\
         - `flux/hub/source.yaml`: the GitRepository of this export.\n\
         - `flux/hub/charts.yaml`: one OCIRepository (HelmRepository for classic repositories) per chart.\n\
         - `flux/hub/kustomizations.yaml`: one Kustomization per release or apply step, `dependsOn` \
         following the install DAG, `wait: true`.\n\
         - `flux/releases/<name>/helmrelease.yaml`: the HelmRelease of each release (complete \
         values inline, `dependsOn` on the releases it needs, `kubeConfig` for remote planes).\n\
         - `manifests/<plane>/<module>.<step>/`: the objects of each apply step (a \
         `kustomization.yaml` naming the URL for pinned manifests: kustomize-controller must \
         not run with `--no-remote-bases`).\n\
         - `values/`: the same values as files, for review (the HelmReleases carry them inline).\n",
        name = plan.name,
        edition = plan.edition,
        version = plan.version,
        url = git.url,
        revision = git.revision,
        path = git.path,
        hub = hub.key.1.as_deref().unwrap_or("(current)"),
    );
    if !remote.is_empty() {
        text.push_str(
            "\n## Clusters\n\nEach remote plane is reached through a kubeconfig in a Secret on \
             the hub (key `value`); create them before the first sync, e.g. \
             `kubectl -n flux-system create secret generic NAME --from-file=value=KUBECONFIG`:\n\n",
        );
        for (secret, planes) in &remote {
            text.push_str(&format!("- `{secret}`: {}\n", planes.join(", ")));
        }
    }
    text.push_str(
        "\n## What runs when\n\n\
         1. Flux on the hub (source, kustomize and helm controllers; Flux 2.6 or later for \
         OCIRepository `v1`).\n\
         2. `kubectl apply -f flux/hub/source.yaml -f flux/root.yaml`: the root applies the \
         Kustomizations; each waits for those it depends on to be Ready, so the install runs in \
         the plan's order, and Flux reconciles every object from then on.\n",
    );
    if shared.script().is_some() {
        text.push_str(&format!(
            "3. `./copy-cas.sh` (kubectl with your kubeconfig), started right after step 2 and \
             then on a schedule (e.g. daily): it waits for each source, then writes, with \
             `kubectl apply --server-side --field-manager={manager}`, objects Flux does not \
             own:\n{list}\n\
             Offline, no CA can be known, and Flux reads references only on the hub. So the \
             exported `Cluster*Plane` objects carry `clusterAgent.clientCA.secretKeyRef` to the \
             Secrets above (read by the cluster gateway at every agent handshake) instead of a \
             value: Git never changes, and when an agent certificate renews (every 75 days) the \
             next run of the script updates only the Secret. No CA, and no placeholder, is in \
             any field Flux applies. Until the script has run, the planes' agents wait for their \
             `cluster-gateway-ca` ConfigMap, so the planes' Kustomizations and the steps after \
             them wait too.\n",
            manager = CA_COPY_FIELD_MANAGER,
            list = super::argocd::copy_list(shared),
        ));
    }
    text.push_str(
        "\nSecrets: no secret value is in this export; releases read theirs from the secret \
         store through ExternalSecrets, as `choreoctl install` does. The kubeconfig Secrets \
         above are yours to create.\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixtures::{files, git, preset_plan};

    fn export_of(preset: &str) -> BTreeMap<String, String> {
        files(export(&preset_plan(preset), &git()).expect("exports"))
    }

    fn documents(body: &str) -> Vec<Value> {
        body.split("---\n")
            .filter(|doc| !doc.trim().is_empty())
            .map(|doc| serde_saphyr::from_str(doc).expect("a YAML document"))
            .collect()
    }

    fn named<'a>(objects: &'a [Value], name: &str) -> &'a Value {
        objects
            .iter()
            .find(|object| object["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} exported"))
    }

    #[test]
    fn multi_plane_engine_objects() {
        let files = export_of("multi-plane");
        let engine: String = files
            .iter()
            .filter(|(path, _)| {
                path.starts_with("flux/hub/")
                    || *path == "flux/root.yaml"
                    || *path == "README.md"
                    || *path == "flux/releases/dev-secure-core-data-plane/helmrelease.yaml"
            })
            .map(|(path, body)| format!("=== {path}\n{body}"))
            .collect();
        insta::assert_snapshot!("flux_multi_plane", engine);
    }

    #[test]
    fn depends_on_follows_the_dag_and_remote_planes_get_a_kubeconfig() {
        let files = export_of("multi-plane");
        let kustomizations = documents(&files["flux/hub/kustomizations.yaml"]);
        let register = named(&kustomizations, "dev-secure-core-register");
        assert_eq!(
            register["spec"]["dependsOn"],
            json!([{"name": "control-secure-core-control-plane"}, {"name": "dev-secure-core-data-plane"}])
        );
        assert!(
            register["spec"].get("kubeConfig").is_none(),
            "registrations run on the hub"
        );
        let crds = named(&kustomizations, "dev-secure-core-gateway-api-crds");
        assert_eq!(
            crds["spec"]["kubeConfig"],
            json!({"secretRef": {"name": "kubeconfig-dp1", "key": "value"}})
        );
        assert!(crds["spec"].get("dependsOn").is_none());

        let release =
            &documents(&files["flux/releases/dev-secure-core-data-plane/helmrelease.yaml"])[0];
        assert_eq!(
            release["spec"]["kubeConfig"]["secretRef"]["name"],
            "kubeconfig-dp1"
        );
        assert_eq!(
            release["spec"]["chartRef"],
            json!({"kind": "OCIRepository", "name": "openchoreo-data-plane-1-2-3"})
        );
        let needs = release["spec"]["dependsOn"].to_string();
        assert!(
            needs.contains("control-secure-core-control-plane")
                && needs.contains("dev-secure-core-kgateway"),
            "{needs}"
        );
        let control =
            &documents(&files["flux/releases/control-secure-core-control-plane/helmrelease.yaml"])
                [0];
        assert!(control["spec"].get("kubeConfig").is_none());
        assert_eq!(control["spec"]["install"]["disableWait"], true);
        for (path, body) in &files {
            assert!(
                !body.contains("<from plane"),
                "{path} carries a placeholder"
            );
        }
    }
}
