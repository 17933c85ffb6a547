//! The engine's cluster access and waits (src/engine/kube.rs, src/engine/wait.rs) on the sandbox's
//! real API servers: one client per cluster, cluster identities, server-side apply (idempotent,
//! conflicts, force, dry-run), CRDs then their custom resources, and waits that outlive an absent
//! object or explain why they timed out.
//!
//! Tests share one sandbox and run in parallel: each uses its own namespace, and names carry the
//! process id so a re-run against a long-lived sandbox (CHOREOCTL_TEST_SANDBOX) starts afresh.

use std::sync::Arc;
use std::time::{Duration, Instant};

use choreoctl::catalog::model::{ResourceRef, WaitCondition};
use choreoctl::engine::kube::{ApplyOptions, Cluster, Clusters, KubeError, Target};
use choreoctl::engine::wait::wait_for;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::config::Kubeconfig;
use serde_json::{Value, json};

use crate::sandbox::sandbox;

fn object(value: Value) -> DynamicObject {
    serde_json::from_value(value).expect("a Kubernetes object")
}

fn target(context: &str) -> Target {
    Target {
        kubeconfig: Some(sandbox().kubeconfig.clone()),
        context: Some(context.to_owned()),
    }
}

/// A cluster of the sandbox with `namespace` present.
async fn cluster_with_namespace(
    clusters: &Clusters,
    context: &str,
    namespace: &str,
) -> Arc<Cluster> {
    let cluster = clusters.connect(&target(context)).await.expect("connect");
    let ns =
        object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}));
    cluster
        .apply(&ns, &ApplyOptions::default())
        .await
        .expect("namespace");
    cluster
}

fn unique(name: &str) -> String {
    format!("{name}-{}", std::process::id())
}

fn deployment(namespace: &str, name: &str, node_selector: Option<Value>) -> DynamicObject {
    let mut pod_spec =
        json!({"containers": [{"name": "app", "image": "registry.example.org/app:1"}]});
    if let Some(selector) = node_selector {
        pod_spec["nodeSelector"] = selector;
    }
    object(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
        }
    }))
}

fn deployment_ref(namespace: &str, name: &str) -> ResourceRef {
    ResourceRef {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some(namespace.into()),
        name: name.into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_one_client_per_cluster_and_distinct_identities() {
    let sb = sandbox();
    let clusters = Clusters::new(Some(sb.kubeconfig.clone()));
    let cp = clusters.connect(&target("cp")).await.expect("connect cp");
    let dp1 = clusters.connect(&target("dp1")).await.expect("connect dp1");
    assert!(!Arc::ptr_eq(&cp, &dp1), "two clusters, two clients");
    assert!(
        cp.version().git_version.starts_with("v1."),
        "{:?}",
        cp.version()
    );
    let (cp_id, dp1_id) = (cp.identity().await.unwrap(), dp1.identity().await.unwrap());
    assert_ne!(cp_id, dp1_id, "cluster identities must differ");

    // The default kubeconfig (`--kubeconfig`) and the same file named by a plane: one client.
    let default_file = Target {
        kubeconfig: None,
        context: Some("cp".into()),
    };
    let again = clusters.connect(&default_file).await.expect("connect cp");
    assert!(Arc::ptr_eq(&cp, &again), "one client per cluster");

    // Another kubeconfig file whose context points at cp's server with cp's user: same client.
    let mut config = Kubeconfig::read_from(&sb.kubeconfig).expect("sandbox kubeconfig");
    let mut alias = config
        .contexts
        .iter()
        .find(|c| c.name == "cp")
        .expect("context cp")
        .clone();
    alias.name = "cp-alias".into();
    config.contexts = vec![alias];
    config.current_context = Some("cp-alias".into());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alias.yaml");
    std::fs::write(&file, serde_json::to_string(&config).unwrap()).unwrap();
    let aliased = clusters
        .connect(&Target {
            kubeconfig: Some(file),
            context: None,
        })
        .await
        .expect("connect cp-alias");
    assert!(
        Arc::ptr_eq(&cp, &aliased),
        "same server and user, same client"
    );
    assert_eq!(aliased.identity().await.unwrap(), cp_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_cluster_fails_fast_naming_context_and_server() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gone.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Config\n\
         clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1'}}]\n\
         users: [{name: me, user: {token: secret}}]\n\
         contexts: [{name: gone, context: {cluster: gone, user: me}}]\n\
         current-context: gone\n",
    )
    .unwrap();
    let clusters = Clusters::new(Some(file));
    let started = Instant::now();
    let error = clusters
        .connect(&Target::default())
        .await
        .expect_err("nothing listens on port 1");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(error, KubeError::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("cannot reach the cluster of context `gone` at https://127.0.0.1:1:"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_apply_creates_then_reapplies_without_change_and_dry_runs() {
    let namespace = "it-kube-apply";
    let clusters = Clusters::new(Some(sandbox().kubeconfig.clone()));
    let cluster = cluster_with_namespace(&clusters, "dp1", namespace).await;
    let name = unique("settings");
    let settings = object(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"color": "blue"}
    }));
    let first = cluster
        .apply(&settings, &ApplyOptions::default())
        .await
        .expect("create");
    let second = cluster
        .apply(&settings, &ApplyOptions::default())
        .await
        .expect("re-apply");
    assert_eq!(
        first.metadata.resource_version, second.metadata.resource_version,
        "re-applying the same object must not change it"
    );
    let managers: Vec<_> = second
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.manager)
        .collect();
    assert_eq!(managers, ["choreoctl"]);

    // Dry-run: validated by the server, nothing stored.
    let dry = ApplyOptions {
        dry_run: true,
        ..Default::default()
    };
    let planned = unique("planned");
    let mut only_planned = settings.clone();
    only_planned.metadata.name = Some(planned.clone());
    cluster
        .apply(&only_planned, &dry)
        .await
        .expect("dry-run apply");
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client().clone(), namespace);
    assert!(
        config_maps.get_opt(&planned).await.unwrap().is_none(),
        "a dry-run must not create anything"
    );

    // Strict field validation: an unknown field is an error, not silently dropped.
    let mut misspelt = settings.clone();
    misspelt.data["dataa"] = json!({"color": "red"});
    let error = cluster
        .apply(&misspelt, &dry)
        .await
        .expect_err("unknown field");
    let message = error.to_string();
    assert!(message.contains("dataa"), "{message}");
    assert!(
        message.contains(&format!("ConfigMap {namespace}/{name}")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_apply_reports_conflicts_and_force_takes_over() {
    let namespace = "it-kube-conflict";
    let clusters = Clusters::new(Some(sandbox().kubeconfig.clone()));
    let cluster = cluster_with_namespace(&clusters, "cp", namespace).await;
    let name = unique("shared");

    // Another tool owns data.color.
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client().clone(), namespace);
    let theirs = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name},
        "data": {"color": "blue"}
    });
    config_maps
        .patch(
            &name,
            &PatchParams::apply("other-tool"),
            &Patch::Apply(&theirs),
        )
        .await
        .expect("other tool applies");

    let ours = object(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"color": "red"}
    }));
    let error = cluster
        .apply(&ours, &ApplyOptions::default())
        .await
        .expect_err("conflict");
    let KubeError::Conflict { conflicts, .. } = &error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].field, ".data.color");
    assert_eq!(conflicts[0].manager, "other-tool");
    assert!(
        error
            .to_string()
            .contains(".data.color (owned by \"other-tool\")"),
        "{error}"
    );
    let unchanged = config_maps.get(&name).await.unwrap();
    assert_eq!(unchanged.data.unwrap()["color"], "blue");

    let force = ApplyOptions {
        force_conflicts: true,
        ..Default::default()
    };
    cluster.apply(&ours, &force).await.expect("forced apply");
    let taken = config_maps.get(&name).await.unwrap();
    assert_eq!(taken.data.unwrap()["color"], "red");
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_crd_then_custom_resource_and_a_wait_that_started_before_both() {
    let namespace = "it-kube-crd";
    let clusters = Clusters::new(Some(sandbox().kubeconfig.clone()));
    // Discovery is loaded here (the namespace), before the CRD exists.
    let cluster = cluster_with_namespace(&clusters, "obs", namespace).await;
    let group = format!("it{}.example.org", std::process::id());
    let crd = object(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {
            "group": group,
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
                }}}
            }]
        }
    }));
    let widget = object(json!({
        "apiVersion": format!("{group}/v1"),
        "kind": "Widget",
        "metadata": {"name": "gear", "namespace": namespace},
        "spec": {"size": 3}
    }));
    let widget_ref = ResourceRef {
        api_version: format!("{group}/v1"),
        kind: "Widget".into(),
        namespace: Some(namespace.into()),
        name: "gear".into(),
    };

    // The wait starts while the kind is not served at all.
    let waiting = wait_for(
        &cluster,
        &widget_ref,
        WaitCondition::Exists,
        Duration::from_secs(60),
    );
    let installing = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        cluster
            .apply(&crd, &ApplyOptions::default())
            .await
            .expect("CRD");
        // Immediately: the kind is served only once the CRD is established.
        cluster
            .apply(&widget, &ApplyOptions::default())
            .await
            .expect("custom resource right after its CRD")
    };
    let (waited, applied) = tokio::join!(waiting, installing);
    let waited = waited.unwrap_or_else(|timeout| panic!("{timeout}"));
    assert_eq!(waited.metadata.uid, applied.metadata.uid);
    assert_eq!(applied.data["spec"]["size"], 3);

    let established = wait_for(
        &cluster,
        &ResourceRef {
            api_version: "apiextensions.k8s.io/v1".into(),
            kind: "CustomResourceDefinition".into(),
            namespace: None,
            name: format!("widgets.{group}"),
        },
        WaitCondition::Established,
        Duration::from_secs(30),
    )
    .await;
    assert!(established.is_ok(), "{}", established.unwrap_err());

    // Leave no cluster-scoped CRD behind in a shared sandbox.
    run_kubectl_delete("obs", &format!("crd/widgets.{group}"));
}

fn run_kubectl_delete(context: &str, what: &str) {
    crate::sandbox::run(
        sandbox()
            .kubectl(context)
            .args(["delete", what, "--wait=false"]),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_wait_for_a_deployment_created_after_the_wait_started() {
    let namespace = "it-kube-wait-later";
    let clusters = Clusters::new(Some(sandbox().kubeconfig.clone()));
    let cluster = cluster_with_namespace(&clusters, "dp1", namespace).await;
    let name = unique("late");
    let late = deployment_ref(namespace, &name);
    let waiting = wait_for(
        &cluster,
        &late,
        WaitCondition::Available,
        Duration::from_secs(90),
    );
    let creating = async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        cluster
            .apply(
                &deployment(namespace, &name, None),
                &ApplyOptions::default(),
            )
            .await
            .expect("deployment")
    };
    let (waited, _) = tokio::join!(waiting, creating);
    let ready = waited.unwrap_or_else(|timeout| panic!("{timeout}"));
    assert_eq!(ready.data["status"]["availableReplicas"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_wait_that_never_succeeds_explains_why() {
    let namespace = "it-kube-wait-never";
    let clusters = Clusters::new(Some(sandbox().kubeconfig.clone()));
    let cluster = cluster_with_namespace(&clusters, "dp1", namespace).await;
    let name = unique("stuck");
    // No node carries this label: the pod stays Pending, Unschedulable.
    let stuck = deployment(namespace, &name, Some(json!({"it-kube": "nowhere"})));
    cluster
        .apply(&stuck, &ApplyOptions::default())
        .await
        .expect("deployment");
    let timeout = wait_for(
        &cluster,
        &deployment_ref(namespace, &name),
        WaitCondition::Available,
        Duration::from_secs(15),
    )
    .await
    .expect_err("it cannot become available");
    let message = timeout.to_string();
    assert!(
        message.starts_with(&format!(
            "timed out after 15 s waiting for Deployment {namespace}/{name} on context `dp1` to be Available: "
        )),
        "{message}"
    );
    assert_eq!(
        timeout.reason, "0 of 1 updated replicas available",
        "{message}"
    );
    assert!(
        timeout
            .pods
            .iter()
            .any(|pod| pod.starts_with(&name) && pod.contains("Unschedulable")),
        "{message}"
    );
    assert!(
        timeout
            .events
            .iter()
            .any(|e| e.contains("ScalingReplicaSet")),
        "{message}"
    );
}
