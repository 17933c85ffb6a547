//! `choreoctl install` on the sandbox: the single-plane preset on context `cp`, pulling every
//! chart from the sandbox's loopback mirror. Every test here holds
//! [`platform_lock`](crate::sandbox::platform_lock) (tests/it/helm.rs installs cert-manager, with
//! its CRDs, on `dp1` without it).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::harness::{Output, Test, assert_contains};
use crate::sandbox::{Sandbox, platform_lock, run, sandbox};

const CONTEXT: &str = "cp";
/// `metadata.name` of the single-plane preset: the lock and journal are named after it.
const INSTALLATION: &str = "single-plane";

fn install(sb: &Sandbox) -> Test {
    install_with(sb, &sb.helm)
}

/// `install` of the single-plane preset (generic edition) on [`CONTEXT`], run with the given
/// helm binary.
fn install_with(sb: &Sandbox, helm: &Path) -> Test {
    install_edition(sb, helm, "generic")
}

/// `install --edition EDITION` of the single-plane preset on [`CONTEXT`] with `helm`.
fn install_edition(sb: &Sandbox, helm: &Path, edition: &str) -> Test {
    Test::new()
        .env("KUBECONFIG", &sb.kubeconfig)
        .args(["install", "--preset", "single-plane", "--edition", edition])
        .args(["--context", CONTEXT, "--yes", "--helm"])
        .arg(helm)
        .args(["--chart-mirror", &sb.mirror])
        .args(["--manifest-mirror", &sb.manifests, "--plain-http"])
}

/// Every helm release on the context: name → (status, revision).
pub(crate) fn releases(sb: &Sandbox) -> BTreeMap<String, (String, u64)> {
    sb.helm_releases(&sb.kubeconfig, CONTEXT)
        .into_iter()
        .map(|((_, name), state)| (name, state))
        .collect()
}

fn kubectl_json(sb: &Sandbox, args: &[&str]) -> Value {
    let out = run(sb.kubectl(CONTEXT).args(args).args(["-o", "json"]));
    serde_json::from_str(&out).unwrap()
}

/// The releases of the single-plane preset, in install order.
const PRESET_RELEASES: [&str; 8] = [
    "cert-manager",
    "external-secrets",
    "kgateway-crds",
    "kgateway",
    "openbao",
    "thunder",
    "openchoreo-control-plane",
    "openchoreo-data-plane",
];

fn expect_installed(output: &Output, sb: &Sandbox) -> BTreeMap<String, (String, u64)> {
    let releases = releases(sb);
    for release in PRESET_RELEASES {
        let status = releases.get(release).map(|(status, _)| status.as_str());
        assert_eq!(
            status,
            Some("deployed"),
            "release {release}: {releases:?}\n{}",
            output.stderr
        );
    }
    releases
}

/// Uninstalls the preset's releases on [`CONTEXT`] and drops its journal, so the next `install`
/// installs every release anew (with whichever helm it is given).
fn uninstall_preset(sb: &Sandbox) {
    let out = run(sb
        .helm()
        .args(["list", "-A", "-a", "-o", "json", "--kube-context", CONTEXT]));
    let list: Vec<Value> = serde_json::from_str(&out).unwrap();
    for release in PRESET_RELEASES.iter().rev() {
        let found = list.iter().find(|r| r["name"] == *release);
        if let Some(namespace) = found.and_then(|r| r["namespace"].as_str()) {
            run(sb.helm().args([
                "uninstall",
                release,
                "--namespace",
                namespace,
                "--kube-context",
                CONTEXT,
            ]));
        }
    }
    run(sb.kubectl(CONTEXT).args([
        "-n",
        "choreoctl-system",
        "delete",
        "secret",
        &format!("choreoctl-{INSTALLATION}"),
        "--ignore-not-found",
    ]));
}

#[test]
fn sandbox_install_single_plane_with_helm_3_then_rerun_changes_nothing() {
    let _platform = platform_lock();
    let sb = sandbox();
    install_single_plane_then_rerun_changes_nothing(sb, &sb.helm, "v3.");
}

#[test]
fn sandbox_install_single_plane_with_helm_4_then_rerun_changes_nothing() {
    let _platform = platform_lock();
    let sb = sandbox();
    install_single_plane_then_rerun_changes_nothing(sb, &sb.helm4, "v4.");
}

/// From no installation: install the single-plane preset with `helm` (whose version starts with
/// `major`), check what a user checks, then install again and expect no helm upgrade at all.
fn install_single_plane_then_rerun_changes_nothing(sb: &Sandbox, helm: &Path, major: &str) {
    let versions: Value = Test::new()
        .args(["version", "-o", "json", "--helm"])
        .arg(helm)
        .run()
        .json();
    let version = versions["helm"]["version"].as_str().unwrap_or_default();
    assert!(version.starts_with(major), "{versions}");
    uninstall_preset(sb);
    let first = install_with(sb, helm).run();
    let installed = expect_installed(&first, sb);

    // The data plane is registered with exactly its own agent CA.
    let plane = kubectl_json(sb, &["get", "clusterdataplanes.openchoreo.dev", "default"]);
    let secret = kubectl_json(
        sb,
        &[
            "-n",
            "openchoreo-data-plane",
            "get",
            "secret",
            "cluster-agent-tls",
        ],
    );
    let ca = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["ca.crt"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        plane["spec"]["clusterAgent"]["clientCA"]["value"].as_str(),
        Some(String::from_utf8(ca).unwrap().as_str()),
    );

    // Nothing changed: no helm upgrade, same revisions.
    let again = install_with(sb, helm).run();
    assert_eq!(releases(sb), installed, "{}", again.stderr);
    assert_contains(&again.stderr, "0 helm upgrade(s)");
}

/// Uninstalls the Cilium release of the cilium edition from [`CONTEXT`] when dropped, so the
/// generic tests sharing the cluster find no second CNI (their next install puts their own
/// values back on the other releases).
struct UninstallCilium<'a>(&'a Sandbox);

impl Drop for UninstallCilium<'_> {
    fn drop(&mut self) {
        let _ = self
            .0
            .helm()
            .args(["uninstall", "cilium", "--namespace", "kube-system"])
            .args(["--kube-context", CONTEXT, "--wait"])
            .output();
    }
}

/// The README's command with the cilium edition: `install --edition cilium` of the
/// single-plane preset on one context. Every release is deployed, Cilium's too; `status`
/// reports Cilium as the CNI of both planes with WireGuard encryption (what the preset's
/// `wireguard` feature asks for); the re-run makes no new revision. Cilium is uninstalled
/// afterwards: moving a cluster from one edition to the other is not something a user can
/// do cleanly today (`migrate generic-to-cilium` does not exist).
#[test]
fn sandbox_install_single_plane_cilium_edition_then_rerun_changes_nothing() {
    let _platform = platform_lock();
    let sb = sandbox();
    let _cleanup = UninstallCilium(sb);
    let first = install_edition(sb, &sb.helm, "cilium").run();
    let installed = expect_installed(&first, sb);
    assert_eq!(
        installed.get("cilium").map(|(status, _)| status.as_str()),
        Some("deployed"),
        "{installed:?}\n{}",
        first.stderr
    );
    assert_contains(&first.stderr, "done   secure-core/cilium-ready@control");

    let status = crate::status::status_command(sb, CONTEXT, INSTALLATION)
        .args(["-o", "json"])
        .run()
        .json();
    assert_eq!(status["edition"], "cilium", "{status:#}");
    for plane in status["planes"].as_array().unwrap() {
        assert_eq!(plane["network"]["cni"], "cilium", "{plane:#}");
        assert_eq!(plane["network"]["encryption"], "wireguard", "{plane:#}");
    }

    let again = install_edition(sb, &sb.helm, "cilium").run();
    assert_eq!(releases(sb), installed, "{}", again.stderr);
    assert_contains(&again.stderr, "0 helm upgrade(s)");
}

#[test]
fn sandbox_install_refuses_while_another_run_holds_the_lock() {
    let _platform = platform_lock();
    let sb = sandbox();
    let now = run(std::process::Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%S.000000Z"]));
    let now = now.trim();
    let lease = format!(
        r#"{{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {{"name": "choreoctl-{INSTALLATION}", "namespace": "choreoctl-system"}},
            "spec": {{"holderIdentity": "someone@elsewhere pid 1", "leaseDurationSeconds": 3600,
                      "acquireTime": "{now}", "renewTime": "{now}"}}}}"#
    );
    let manifest = std::env::temp_dir().join(format!("lease-{}.json", std::process::id()));
    std::fs::write(&manifest, lease).unwrap();
    let _ = sb
        .kubectl(CONTEXT)
        .args(["create", "namespace", "choreoctl-system"])
        .output();
    run(sb
        .kubectl(CONTEXT)
        .args(["apply", "--server-side", "-f"])
        .arg(&manifest));
    let refused = install(sb).status(5).run();
    run(sb.kubectl(CONTEXT).args([
        "-n",
        "choreoctl-system",
        "delete",
        "lease",
        &format!("choreoctl-{INSTALLATION}"),
    ]));
    let _ = std::fs::remove_file(&manifest);
    assert_contains(&refused.stderr, "someone@elsewhere pid 1");
}

/// A chart that refuses its values fails its step: the release is left as it was (nothing was
/// stored: absent if it was, otherwise at the same revision), every step after it is skipped,
/// the independent ones finish, and the run exits 3. (`obs` may hold a control plane another
/// test installed.)
#[test]
fn sandbox_install_with_a_failing_release_exits_3_and_skips_its_dependents() {
    let _platform = platform_lock();
    let sb = sandbox();
    let control_plane = |sb: &Sandbox| {
        let out = run(sb
            .helm()
            .args(["list", "-A", "-a", "-o", "json", "--kube-context", "obs"]));
        let list: Vec<Value> = serde_json::from_str(&out).unwrap();
        list.into_iter()
            .find(|release| release["name"] == "openchoreo-control-plane")
            .map(|release| (release["status"].clone(), release["revision"].clone()))
    };
    let before = control_plane(sb);
    let profile = "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\n\
                   metadata: {name: it-broken}\nspec:\n  edition: generic\n  planes:\n\
                   \x20   - {name: control, type: control}\n    - {name: default, type: data}\n\
                   \x20 values:\n    openchoreo-control-plane: {backstage: {secretName: ''}}\n";
    let failed = Test::new()
        .file("broken.yaml", profile)
        .env("KUBECONFIG", &sb.kubeconfig)
        .args([
            "install",
            "--profile",
            "broken.yaml",
            "--context",
            "obs",
            "--yes",
        ])
        .arg("--helm")
        .arg(&sb.helm)
        .args(["--chart-mirror", &sb.mirror])
        .args(["--manifest-mirror", &sb.manifests, "--plain-http"])
        .status(3)
        .run();
    assert_contains(&failed.stderr, "FAILED secure-core/control-plane@control");
    assert_contains(&failed.stderr, "left as it was (no revision was stored)");
    assert_contains(&failed.stderr, "skip   secure-core/register@default");
    assert_contains(&failed.stderr, "done   secure-core/thunder@control");
    assert_eq!(control_plane(sb), before, "{}", failed.stderr);
}
