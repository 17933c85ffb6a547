//! `helmfile sync` of `render --format helmfile`, run for real with the sandbox's helmfile, helm
//! and kubectl, as a helmfile user would: the single-plane topology on context `cp` (generic
//! edition, every chart from the sandbox's mirror over plain HTTP).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::harness::Test;
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Sandbox, run, sandbox};

/// The one context of the profile.
const CONTEXT: &str = "cp";

/// The single-plane preset's planes on [`CONTEXT`], named as the preset is, so that its releases
/// are the ones `choreoctl install --preset single-plane` makes (tests/it/install.rs).
fn single_plane_profile(test: &Test, sb: &Sandbox) -> std::path::PathBuf {
    let profile = test.path().join("profile.yaml");
    std::fs::write(
        &profile,
        format!(
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: single-plane}}\n\
             spec:\n  edition: generic\n  planes:\n\
             \x20   - {{name: control, type: control, context: {CONTEXT}}}\n\
             \x20   - {{name: default, type: data, context: {CONTEXT}}}\n\
             \x20 charts: {{mirror: \"{}\", plainHttp: true}}\n\
             \x20 manifests: {{mirror: \"{}\", plainHttp: true}}\n",
            sb.mirror, sb.manifests
        ),
    )
    .expect("writing the profile");
    profile
}

/// (namespace, name) of every release in the export's helmfile.yaml.
fn exported_releases(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("helmfile.yaml")).expect("helmfile.yaml");
    let helmfile: Value = serde_saphyr::from_str(&text).expect("helmfile.yaml is YAML");
    helmfile["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|release| {
            assert_eq!(release["kubeContext"], CONTEXT, "{release}");
            let text = |key: &str| release[key].as_str().expect(key).to_owned();
            (text("namespace"), text("name"))
        })
        .collect()
}

/// `kubectl get` of one object through a go-template (`base64decode` reads Secret data).
fn get(sb: &Sandbox, kind: &str, namespace: Option<&str>, name: &str, template: &str) -> String {
    let mut cmd = sb.kubectl(CONTEXT);
    if let Some(namespace) = namespace {
        cmd.args(["-n", namespace]);
    }
    run(cmd.args(["get", kind, name, "-o", &format!("go-template={template}")]))
}

/// What a user checks after a sync: the cluster gateway's CA is published in its ConfigMaps
/// (the control plane's own, which its chart owns, and the data plane's), the data plane is
/// registered with its agent's CA, and the control plane's chart still owns its ConfigMap.
fn assert_cas_published(sb: &Sandbox) {
    let ca = r#"{{index .data "ca.crt" | base64decode}}"#;
    let gateway_ca = get(
        sb,
        "secret",
        Some("openchoreo-control-plane"),
        "cluster-gateway-ca",
        ca,
    );
    assert!(gateway_ca.contains("BEGIN CERTIFICATE"), "{gateway_ca}");
    for namespace in ["openchoreo-control-plane", "openchoreo-data-plane"] {
        let published = get(
            sb,
            "configmap",
            Some(namespace),
            "cluster-gateway-ca",
            r#"{{index .data "ca.crt"}}"#,
        );
        assert_eq!(
            published, gateway_ca,
            "ConfigMap {namespace}/cluster-gateway-ca"
        );
    }
    let owner = get(
        sb,
        "configmap",
        Some("openchoreo-control-plane"),
        "cluster-gateway-ca",
        r#"{{index .metadata.annotations "meta.helm.sh/release-name"}}"#,
    );
    assert_eq!(
        owner, "openchoreo-control-plane",
        "the chart's ConfigMap changed owner"
    );
    let agent_ca = get(
        sb,
        "secret",
        Some("openchoreo-data-plane"),
        "cluster-agent-tls",
        ca,
    );
    let registered = get(
        sb,
        "clusterdataplane.openchoreo.dev",
        None,
        "default",
        "{{.spec.clusterAgent.clientCA.value}}",
    );
    assert_eq!(
        registered, agent_ca,
        "the data plane registered with its agent's CA"
    );
}

/// `helmfile sync` of the export installs the platform (or upgrades an installation another
/// test left, by choreoctl or by helmfile), and a second sync upgrades every release again.
/// An apply step writes into objects the charts own (publish-ca's ConfigMap), which a helm
/// release of those objects could not adopt: the export applies them with kubectl hooks.
#[test]
fn sandbox_helmfile_sync_of_the_export_installs_then_upgrades_the_platform() {
    let claim = sandbox().claim(&SINGLE_PLANE);
    let sb: &Sandbox = &claim;
    let test = Test::new();
    let profile = single_plane_profile(&test, sb);
    let (_output, out) = crate::gitops::render_helmfile(test, &profile);
    let releases = exported_releases(&out);
    // helmfile logs (hooks included) on stderr: the log is both streams.
    let sync = || {
        let output = sb
            .command(&sb.helmfile)
            .current_dir(&out)
            .arg("--helm-binary")
            .arg(&sb.helm)
            .arg("sync")
            .output()
            .expect("helmfile runs");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "helmfile sync failed ({}):\n{log}",
            output.status
        );
        log
    };
    let revisions = || -> BTreeMap<(String, String), (String, u64)> {
        let live = sb.helm_releases(&sb.kubeconfig, CONTEXT);
        releases
            .iter()
            .map(|id| (id.clone(), live.get(id).cloned().unwrap_or_default()))
            .collect()
    };

    let before = revisions();
    let log = sync();
    let installed = revisions();
    for (id, (status, revision)) in &installed {
        assert_eq!(status, "deployed", "{id:?} after the first sync:\n{log}");
        assert_eq!(*revision, before[id].1 + 1, "{id:?} synced once");
    }
    assert!(
        log.contains("serverside-applied"),
        "no apply hook ran:\n{log}"
    );
    assert_cas_published(sb);

    let log = sync();
    for (id, (status, revision)) in revisions() {
        assert_eq!(status, "deployed", "{id:?} after the second sync:\n{log}");
        assert_eq!(
            revision,
            installed[&id].1 + 1,
            "{id:?} upgraded by the second sync"
        );
    }
    assert_cas_published(sb);
}
