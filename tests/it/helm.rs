//! The engine's helm layer with real helm on real clusters (the sandbox's helm 3 and helm 4 and
//! stand-in charts from its loopback registry), and `choreoctl version` reporting the helm it
//! found.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use choreoctl::engine::helm::{
    ChartSource, Helm, HelmBinary, HelmMajor, HelmProcess, KubeTarget, ReleaseRef, ReleaseStatus,
    RollbackRequest, TemplateRequest, UninstallRequest, UpgradeRequest, read_release_states,
};
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::harness::Test;
use crate::sandbox::{Sandbox, eventually, sandbox};

const TIMEOUT: Duration = Duration::from_secs(120);

/// The cert-manager chart pinned by OpenChoreo 1.2.3, from the sandbox's mirror.
fn cert_manager(sb: &Sandbox) -> ChartSource {
    let catalog = choreoctl::catalog::Catalog::embedded().expect("embedded catalog");
    let pin = &catalog.release("1.2.3").expect("release 1.2.3").charts["cert-manager"];
    ChartSource {
        reference: sb.chart(&pin.name),
        version: pin.version.clone(),
        plain_http: true,
    }
}

fn helm(sb: &Sandbox) -> HelmProcess {
    helm_at(&sb.helm, HelmMajor::V3)
}

/// The helm binary at `path`, which must speak `major`.
fn helm_at(path: &Path, major: HelmMajor) -> HelmProcess {
    let binary = HelmBinary::locate(Some(path)).expect("the sandbox's helm");
    let helm = HelmProcess::new(binary).expect("the sandbox's helm is supported");
    assert_eq!(helm.major(), major);
    helm
}

fn release(sb: &Sandbox, context: &str, namespace: &str, name: &str) -> ReleaseRef {
    ReleaseRef {
        target: KubeTarget {
            kubeconfig: sb.kubeconfig.clone(),
            context: context.into(),
        },
        namespace: namespace.into(),
        name: name.into(),
    }
}

fn upgrade(sb: &Sandbox, release: &ReleaseRef, values: Vec<Value>) -> UpgradeRequest {
    UpgradeRequest {
        release: release.clone(),
        chart: cert_manager(sb),
        values,
        wait: true,
        timeout: TIMEOUT,
        rollback_on_failure: false,
        dry_run: false,
        labels: vec![(
            "choreoctl.openchoreo.dev/installation".into(),
            "it-helm".into(),
        )],
    }
}

fn uninstall(release: &ReleaseRef) -> UninstallRequest {
    UninstallRequest {
        release: release.clone(),
        wait: true,
        timeout: TIMEOUT,
    }
}

/// Removes a release left by an interrupted earlier run on a long-lived sandbox.
async fn remove_leftover(helm: &HelmProcess, release: &ReleaseRef) {
    if let Err(error) = helm.uninstall(&uninstall(release)).await {
        assert!(error.is_release_not_found(), "{error}");
    }
}

/// The latest revision and status of a release, as the bulk reader sees it.
async fn stored(sb: &Sandbox, release: &ReleaseRef) -> Option<(u32, ReleaseStatus)> {
    let client = sb.client(&release.target.context).await;
    let states = read_release_states(&client)
        .await
        .expect("list helm's storage Secrets");
    states
        .get(&release.namespace, &release.name)
        .map(|stored| (stored.revision, stored.status))
}

fn registry(name: &str) -> Value {
    json!({"global": {"imageRegistry": name}})
}

/// The whole lifecycle with helm 3, then again with helm 4 (same release: its chart owns
/// cluster-wide CRDs, so the two cannot run side by side).
#[tokio::test(flavor = "multi_thread")]
async fn sandbox_helm_install_upgrade_rollback_uninstall() {
    let sb = sandbox();
    lifecycle(sb, &helm_at(&sb.helm, HelmMajor::V3)).await;
    lifecycle(sb, &helm_at(&sb.helm4, HelmMajor::V4)).await;
}

async fn lifecycle(sb: &Sandbox, helm: &HelmProcess) {
    let release = release(sb, "dp1", "it-helm-lifecycle", "cert-manager");
    remove_leftover(helm, &release).await;

    // Install: two values layers, the later one wins where both set a key. (Without the
    // chart's CRDs: they are cluster-wide, and OpenChoreo's cert-manager, installed on dp1 by
    // tests/it/install_runs.rs, owns them.)
    let installed = helm
        .upgrade(&upgrade(
            sb,
            &release,
            vec![
                registry("registry-x.example.org"),
                json!({"global": {"imageRegistry": "registry-a.example.org"}, "startupapicheck": {"enabled": true}}),
            ],
        ))
        .await
        .expect("install");
    assert_eq!(
        (installed.revision, installed.status),
        (1, ReleaseStatus::Deployed)
    );
    assert!(
        installed
            .manifest
            .contains("registry-a.example.org/standin/cert-manager:v1.19.4"),
        "{}",
        installed.manifest
    );
    assert_eq!(
        stored(sb, &release).await,
        Some((1, ReleaseStatus::Deployed))
    );

    // Upgrade with changed values.
    let upgraded = helm
        .upgrade(&upgrade(
            sb,
            &release,
            vec![registry("registry-b.example.org")],
        ))
        .await
        .expect("upgrade");
    assert_eq!(upgraded.revision, 2);
    assert_eq!(
        stored(sb, &release).await,
        Some((2, ReleaseStatus::Deployed))
    );
    let values = helm.get_values(&release).await.expect("get values");
    assert_eq!(values, registry("registry-b.example.org"));

    // A server-side dry run changes nothing.
    let mut dry_run = upgrade(sb, &release, vec![registry("registry-c.example.org")]);
    dry_run.dry_run = true;
    let would_be = helm.upgrade(&dry_run).await.expect("dry run");
    assert_eq!(would_be.revision, 3);
    assert!(would_be.manifest.contains("registry-c.example.org"));
    assert_eq!(
        stored(sb, &release).await,
        Some((2, ReleaseStatus::Deployed))
    );

    // Rollback to revision 1: a new revision 3 with the old values.
    helm.rollback(&RollbackRequest {
        release: release.clone(),
        revision: Some(1),
        wait: true,
        timeout: TIMEOUT,
    })
    .await
    .expect("rollback");
    assert_eq!(
        stored(sb, &release).await,
        Some((3, ReleaseStatus::Deployed))
    );
    let values = helm.get_values(&release).await.expect("get values");
    assert_eq!(
        values,
        json!({"global": {"imageRegistry": "registry-a.example.org"}, "startupapicheck": {"enabled": true}})
    );
    let manifest = helm.get_manifest(&release).await.expect("get manifest");
    assert!(manifest.contains("registry-a.example.org/standin/cert-manager:v1.19.4"));
    assert!(manifest.contains("name: cert-manager-cainjector"));
    let history = helm.history(&release).await.expect("history");
    let statuses: Vec<_> = history.iter().map(|r| (r.revision, r.status)).collect();
    assert_eq!(
        statuses,
        [
            (1, ReleaseStatus::Superseded),
            (2, ReleaseStatus::Superseded),
            (3, ReleaseStatus::Deployed)
        ]
    );
    assert_eq!(history[2].description, "Rollback to 1");

    // Uninstall: gone for the reader and for helm.
    helm.uninstall(&uninstall(&release))
        .await
        .expect("uninstall");
    assert_eq!(stored(sb, &release).await, None);
    let error = helm.history(&release).await.unwrap_err();
    assert!(error.is_release_not_found(), "{error}");
}

/// A namespace where no pod can be created (a ResourceQuota of zero pods): helm's `--wait` then
/// waits there until its timeout, with the release `pending-install` meanwhile.
async fn namespace_without_pods(sb: &Sandbox, context: &str, name: &str) {
    let client = sb.client(context).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    match namespaces.create(&PostParams::default(), &namespace).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.is_already_exists() => {}
        Err(error) => panic!("creating namespace {name}: {error}"),
    }
    let quota: ResourceQuota = serde_json::from_value(json!({
        "metadata": {"name": "no-pods"},
        "spec": {"hard": {"pods": "0"}}
    }))
    .unwrap();
    Api::<ResourceQuota>::namespaced(client, name)
        .patch(
            "no-pods",
            &PatchParams::apply("choreoctl-tests").force(),
            &Patch::Apply(&quota),
        )
        .await
        .expect("quota of zero pods");
}

/// Waits until the bulk reader sees `release` at `revision` with `status`.
async fn until_stored(sb: &Sandbox, release: &ReleaseRef, revision: u32, status: ReleaseStatus) {
    eventually(
        TIMEOUT,
        &format!("{} at revision {revision}, {status}", release.name),
        || async move { (stored(sb, release).await == Some((revision, status))).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_helm_release_left_pending_by_sigkill_is_reported_and_refused() {
    let sb = sandbox();
    let helm = helm(sb);
    let release = release(sb, "obs", "it-helm-killed", "killed");
    remove_leftover(&helm, &release).await;
    namespace_without_pods(sb, "obs", &release.namespace).await;

    // helm killed with SIGKILL in the middle of an install leaves it pending-install.
    let kubeconfig = sb.kubeconfig.display().to_string();
    let chart = cert_manager(sb);
    let mut running = sb
        .helm()
        .args(["upgrade", "--install", "killed", &chart.reference])
        .args(["--version", &chart.version, "--plain-http", "--wait"])
        .args(["--namespace", &release.namespace, "--timeout", "5m"])
        .args(["--kube-context", "obs", "--kubeconfig", &kubeconfig])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start helm");
    until_stored(sb, &release, 1, ReleaseStatus::PendingInstall).await;
    running.kill().expect("SIGKILL helm");
    running.wait().expect("reap helm");

    let client = sb.client("obs").await;
    let states = read_release_states(&client).await.expect("release states");
    let pending: Vec<_> = states
        .pending()
        .map(|r| (&*r.namespace, &*r.name))
        .collect();
    assert!(
        pending.contains(&("it-helm-killed", "killed")),
        "{pending:?}"
    );

    // helm refuses to upgrade it, and our error says why.
    let error = helm
        .upgrade(&upgrade(sb, &release, vec![]))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("another operation (install/upgrade/rollback) is in progress"),
        "{error}"
    );

    // A pending revision 1 has nothing to roll back to: uninstall recovers it.
    let mut recover = uninstall(&release);
    recover.wait = false;
    helm.uninstall(&recover).await.expect("uninstall");
    assert_eq!(stored(sb, &release).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_helm_cancelled_install_gets_sigterm_and_is_recorded_failed() {
    let sb = sandbox();
    let helm = helm(sb);
    let release = release(sb, "obs", "it-helm-cancelled", "cancelled");
    remove_leftover(&helm, &release).await;
    namespace_without_pods(sb, "obs", &release.namespace).await;

    let mut install = upgrade(sb, &release, vec![registry("registry-a.example.org")]);
    install.timeout = Duration::from_secs(300);
    tokio::select! {
        result = helm.upgrade(&install) => panic!("helm finished although no pod can start: {result:?}"),
        () = until_stored(sb, &release, 1, ReleaseStatus::PendingInstall) => {}
    }
    // The upgrade future is dropped: helm got SIGTERM, so it records the release failed instead
    // of leaving it pending-install.
    until_stored(sb, &release, 1, ReleaseStatus::Failed).await;

    let mut clean_up = uninstall(&release);
    clean_up.wait = false;
    helm.uninstall(&clean_up).await.expect("uninstall");
    assert_eq!(stored(sb, &release).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_helm_template_renders_the_values() {
    let sb = sandbox();
    let rendered = helm(sb)
        .template(&TemplateRequest {
            name: "cm".into(),
            namespace: "cert-manager".into(),
            chart: cert_manager(sb),
            values: vec![registry("registry-t.example.org")],
            kube_version: Some("1.33.0".into()),
        })
        .await
        .expect("template");
    assert!(rendered.contains("image: \"registry-t.example.org/standin/cert-manager:v1.19.4\""));
    assert!(rendered.contains("namespace: cert-manager"));
}

#[test]
fn sandbox_version_shows_the_helm_it_would_run() {
    let sb = sandbox();
    for (binary, major) in [(&sb.helm, "v3."), (&sb.helm4, "v4.")] {
        let versions: Value = Test::new()
            .args(["version", "-o", "json", "--helm"])
            .arg(binary)
            .run()
            .json();
        let helm = &versions["helm"];
        assert_eq!(helm["found"], true);
        assert_eq!(helm["supported"], true);
        assert_eq!(helm["path"], binary.display().to_string());
        assert!(
            helm["version"].as_str().unwrap().starts_with(major),
            "{helm}"
        );
    }
}

/// `choreoctl version` with `PATH` holding only `dir`, the given `--helm`-style env, and text
/// output.
fn version_text(dir: &Path, helm_env: Option<&Path>) -> String {
    let mut test = Test::new().arg("version").env("PATH", dir);
    if let Some(helm) = helm_env {
        test = test.env("CHOREOCTL_HELM", helm);
    }
    test.run().stdout
}

#[test]
fn version_without_helm_says_none_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let text = version_text(dir.path(), None);
    assert!(
        text.contains(
            "helm was not found (not on PATH, and neither --helm nor CHOREOCTL_HELM is set)"
        ),
        "{text}"
    );
}

#[test]
fn version_names_an_old_helm_and_what_is_needed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("helm-3.12");
    std::fs::write(&old, "#!/bin/sh\necho v3.12.3\n").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = version_text(dir.path(), Some(&old));
    assert!(
        text.contains(&format!(
            "helm: {} is helm v3.12.3; choreoctl needs helm v3.18 or later, or helm 4",
            old.display()
        )),
        "{text}"
    );
}
