//! `choreoctl install` on the sandbox: the single-plane preset on context `cp`, pulling every
//! chart from the sandbox's loopback mirror. Every test here claims
//! [`SINGLE_PLANE`] (or [`FAILING_RELEASE`] on `obs`) from tests/it/ownership.rs.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::fixtures::SINGLE_PLANE_RELEASES;
use crate::harness::{Output, Test, assert_contains};
use crate::ownership::{FAILING_RELEASE, SINGLE_PLANE};
use crate::sandbox::{Claim, Sandbox, run, sandbox};

const CONTEXT: &str = "cp";
/// `metadata.name` of the single-plane preset: the lock and journal are named after it.
const INSTALLATION: &str = "single-plane";

/// `install --edition EDITION --yes` of the single-plane preset on [`CONTEXT`].
#[track_caller]
fn install(sb: &Claim, edition: &str) -> Test {
    sb.choreoctl()
        .args(["install", "--preset", INSTALLATION, "--edition", edition])
        .args(["--context", CONTEXT, "--yes"])
}

/// Every helm release on the context: name → (status, revision).
pub(crate) fn releases(sb: &Sandbox) -> BTreeMap<String, (String, u64)> {
    sb.helm_releases(&sb.kubeconfig, CONTEXT)
        .into_iter()
        .map(|((_, name), state)| (name, state))
        .collect()
}

fn expect_installed(output: &Output, sb: &Sandbox) -> BTreeMap<String, (String, u64)> {
    let releases = releases(sb);
    for release in SINGLE_PLANE_RELEASES {
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

#[test]
fn sandbox_install_single_plane_with_helm_3_then_rerun_changes_nothing() {
    let claim = sandbox().claim(&SINGLE_PLANE);
    install_single_plane_then_rerun_changes_nothing(&claim, &claim.helm, "v3.");
}

#[test]
fn sandbox_install_single_plane_with_helm_4_then_rerun_changes_nothing() {
    let claim = sandbox().claim(&SINGLE_PLANE);
    install_single_plane_then_rerun_changes_nothing(&claim, &claim.helm4, "v4.");
}

/// From no installation: install the single-plane preset with `helm` (whose version starts with
/// `major`), check what a user checks, then install again and expect no helm upgrade at all.
/// The preset's releases are uninstalled and its journal dropped first, so every release is
/// installed anew with `helm`.
fn install_single_plane_then_rerun_changes_nothing(sb: &Claim, helm: &Path, major: &str) {
    let versions: Value = Test::new()
        .args(["version", "-o", "json", "--helm"])
        .arg(helm)
        .run()
        .json();
    let version = versions["helm"]["version"].as_str().unwrap_or_default();
    assert!(version.starts_with(major), "{versions}");
    sb.reset(CONTEXT, INSTALLATION, &SINGLE_PLANE_RELEASES);
    let first = install(sb, "generic").arg("--helm").arg(helm).run();
    let installed = expect_installed(&first, sb);

    // The data plane is registered with exactly its own agent CA.
    let plane = sb.kubectl_json(
        CONTEXT,
        &["get", "clusterdataplanes.openchoreo.dev", "default"],
    );
    let secret = sb.kubectl_json(
        CONTEXT,
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
    let again = install(sb, "generic")
        .arg("--helm")
        .arg(helm)
        .stderr_contains("0 helm upgrade(s)")
        .run();
    assert_eq!(releases(sb), installed, "{}", again.stderr);
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
    let claim = sandbox().claim(&SINGLE_PLANE);
    let sb: &Sandbox = &claim;
    let _cleanup = UninstallCilium(sb);
    let first = install(&claim, "cilium")
        .stderr_contains("done   secure-core/cilium-ready@control")
        .run();
    let installed = expect_installed(&first, sb);
    assert_eq!(
        installed.get("cilium").map(|(status, _)| status.as_str()),
        Some("deployed"),
        "{installed:?}\n{}",
        first.stderr
    );

    let status = crate::status::status_command(sb, CONTEXT, INSTALLATION)
        .args(["-o", "json"])
        .run()
        .json();
    assert_eq!(status["edition"], "cilium", "{status:#}");
    for plane in status["planes"].as_array().unwrap() {
        assert_eq!(plane["network"]["cni"], "cilium", "{plane:#}");
        assert_eq!(plane["network"]["encryption"], "wireguard", "{plane:#}");
    }

    let again = install(&claim, "cilium")
        .stderr_contains("0 helm upgrade(s)")
        .run();
    assert_eq!(releases(sb), installed, "{}", again.stderr);
}

#[test]
fn sandbox_install_refuses_while_another_run_holds_the_lock() {
    let claim = sandbox().claim(&SINGLE_PLANE);
    let sb: &Sandbox = &claim;
    let installation = claim.installation(INSTALLATION);
    let now = run(std::process::Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%S.000000Z"]));
    let now = now.trim();
    let lease = format!(
        r#"{{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {{"name": "choreoctl-{installation}", "namespace": "choreoctl-system"}},
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
    let refused = install(&claim, "generic").status(5).run();
    run(sb.kubectl(CONTEXT).args([
        "-n",
        "choreoctl-system",
        "delete",
        "lease",
        &format!("choreoctl-{installation}"),
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
    let claim = sandbox().claim(&FAILING_RELEASE);
    let sb: &Sandbox = &claim;
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
    let failed = claim
        .choreoctl()
        .file("broken.yaml", profile)
        .args(["install", "--profile", "broken.yaml", "--yes"])
        .args(["--context", claim.context("obs")])
        .status(3)
        .stderr_contains("FAILED secure-core/control-plane@control")
        .stderr_contains("left as it was (no revision was stored)")
        .stderr_contains("skip   secure-core/register@default")
        .stderr_contains("done   secure-core/thunder@control")
        .run();
    assert_eq!(control_plane(sb), before, "{}", failed.stderr);
}
