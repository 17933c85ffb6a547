//! `choreoctl status` on the sandbox: the single-plane preset installed on context `cp`, then
//! reported from its journal alone (no profile file): every release deployed at the revision
//! helm reports, healthy, the data plane's registered CA equal to its live agent CA; a tampered
//! registration reported as drift; an unreachable plane reported, not a crash; a missing
//! installation and an unreachable control plane end with exit 4 (docs/status.md).

use serde_json::Value;

use crate::harness::{Output, Test, assert_contains};
use crate::install::releases;
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Claim, Sandbox, run, sandbox};

const CONTEXT: &str = "cp";
/// `metadata.name` of the single-plane preset.
const INSTALLATION: &str = "single-plane";

/// Installs the single-plane preset (generic) on `cp` from the sandbox's mirrors.
#[track_caller]
pub fn install(sb: &Claim) -> Output {
    sb.choreoctl()
        .args(["install", "--preset", INSTALLATION, "--edition", "generic"])
        .args(["--context", CONTEXT, "--yes"])
        .run()
}

/// `choreoctl status` of `installation`, found through `context` of the sandbox's kubeconfig.
#[track_caller]
pub fn status_command(sb: &Sandbox, context: &str, installation: &str) -> Test {
    sb.choreoctl().args([
        "status",
        "--context",
        context,
        "--installation",
        installation,
    ])
}

#[track_caller]
fn status(sb: &Sandbox, extra: &[&str]) -> Test {
    status_command(sb, CONTEXT, INSTALLATION).args(extra)
}

fn plane<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["planes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plane| plane["name"] == name)
        .unwrap_or_else(|| panic!("plane {name} in {report:#}"))
}

fn plane_resource(sb: &Sandbox) -> Value {
    sb.kubectl_json(
        CONTEXT,
        &["get", "clusterdataplanes.openchoreo.dev", "default"],
    )
}

/// Registers `pem` as the data plane's CA the way choreoctl does (server-side apply of the
/// whole object as field manager `choreoctl`), so the next `install` finds no field owned by
/// anyone else and repairs it without a conflict.
fn register_ca(sb: &Sandbox, pem: &str) {
    let live = plane_resource(sb);
    let mut object = serde_json::json!({
        "apiVersion": live["apiVersion"],
        "kind": live["kind"],
        "metadata": {"name": "default"},
        "spec": live["spec"],
    });
    if let Some(annotations) = live["metadata"].get("annotations") {
        object["metadata"]["annotations"] = annotations.clone();
    }
    object["spec"]["clusterAgent"]["clientCA"]["value"] = pem.into();
    let file = std::env::temp_dir().join(format!("status-plane-{}.json", std::process::id()));
    std::fs::write(&file, object.to_string()).unwrap();
    run(sb
        .kubectl(CONTEXT)
        .args([
            "apply",
            "--server-side",
            "--field-manager",
            "choreoctl",
            "-f",
        ])
        .arg(&file));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn sandbox_status_reports_an_install_from_its_journal_and_sees_ca_drift() {
    let claim = sandbox().claim(&SINGLE_PLANE);
    let sb: &Sandbox = &claim;
    install(&claim);
    let helm = releases(sb);

    let report = status(sb, &["-o", "json"]).run().json();
    assert_eq!(report["kind"], "Status");
    assert_eq!(report["installation"], INSTALLATION);
    assert_eq!(report["edition"], "generic");
    assert_eq!(report["profile"], "journal");
    assert_eq!(report["run"]["status"], "succeeded");
    let mut reported = 0;
    for plane_report in report["planes"].as_array().unwrap() {
        assert_eq!(plane_report["reachable"], true, "{plane_report:#}");
        for release in plane_report["releases"].as_array().unwrap() {
            let name = release["release"].as_str().unwrap();
            let (status, revision) = &helm[name];
            assert_eq!(release["status"], "deployed", "{release:#}");
            assert_eq!(release["status"].as_str(), Some(status.as_str()));
            assert_eq!(release["revision"].as_u64(), Some(*revision), "{name}");
            assert_eq!(release["chartVersion"], release["plannedVersion"], "{name}");
            assert_eq!(release["health"]["state"], "healthy", "{release:#}");
            reported += 1;
        }
    }
    assert_eq!(reported, 8, "{report:#}");
    let data = plane(&report, "default");
    assert_eq!(data["ca"]["state"], "match", "{data:#}");
    assert_eq!(data["ca"]["registeredIn"], "ClusterDataPlane default");
    assert_eq!(
        data["ca"]["liveIn"],
        "Secret openchoreo-data-plane/cluster-agent-tls"
    );
    assert_eq!(report["nextStage"]["stage"], 2);
    assert_eq!(report["healthy"], true, "{:#}", report["problems"]);

    // The text form: the columns a user reads, a row per release.
    let text = status(sb, &[]).run().stdout;
    for column in [
        "PLANE",
        "TYPE",
        "CONTEXT",
        "REACHABLE",
        "CNI",
        "ENCRYPTION",
        "AGENT",
        "CA",
        "MODULE",
        "RELEASE",
        "NAMESPACE",
        "REVISION",
        "CHART VERSION",
        "STATUS",
        "HEALTH",
    ] {
        assert_contains(&text, column);
    }
    let data_row = text
        .lines()
        .find(|line| line.contains("openchoreo-data-plane  openchoreo-data-plane"))
        .unwrap_or_else(|| panic!("no data-plane release row in:\n{text}"));
    for cell in ["secure-core", "1.2.3", "deployed", "healthy"] {
        assert_contains(data_row, cell);
    }
    assert_contains(&text, "Next adoption stage 2: cd");
    assert_contains(&text, "Healthy: yes");

    // Someone registers another CA: the agent would be refused; status says so.
    let original = plane_resource(sb)["spec"]["clusterAgent"]["clientCA"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    register_ca(
        sb,
        "-----BEGIN CERTIFICATE-----\nTAMPERED\n-----END CERTIFICATE-----\n",
    );
    let tampered = status(sb, &["-o", "json"]).output();
    let tampered_text = status(sb, &[]).output();
    register_ca(sb, &original);
    assert_eq!(tampered.code, Some(0), "{}", tampered.stderr);
    let tampered = tampered.json();
    assert_eq!(plane(&tampered, "default")["ca"]["state"], "drift");
    assert_eq!(tampered["healthy"], false);
    assert_contains(
        &tampered["problems"].to_string(),
        "is not the live ca.crt of Secret openchoreo-data-plane/cluster-agent-tls",
    );
    assert_contains(&tampered_text.stdout, "DRIFT");
    assert_contains(&tampered_text.stdout, "Healthy: no");
    let repaired = status(sb, &["-o", "json"]).run().json();
    assert_eq!(plane(&repaired, "default")["ca"]["state"], "match");

    // The data plane's context unreachable (a profile binding it to a dead server): the
    // plane is reported unreachable, the rest is still reported.
    let dead = "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: \
                'https://127.0.0.1:1'}\ncontexts:\n- name: gone\n  context: {cluster: gone, \
                user: gone}\nusers:\n- name: gone\n  user: {token: x}\ncurrent-context: gone\n";
    let profile = "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\n\
                   metadata: {name: single-plane}\nspec:\n  edition: generic\n  planes:\n\
                   \x20   - {name: control, type: control, context: cp}\n\
                   \x20   - {name: default, type: data, context: gone, kubeconfig: dead.yaml}\n";
    let partial = sb
        .choreoctl()
        .file("dead.yaml", dead)
        .file("profile.yaml", profile)
        .args(["status", "--profile", "profile.yaml", "-o", "json"])
        .run()
        .json();
    assert_eq!(partial["profile"], "file");
    let gone = plane(&partial, "default");
    assert_eq!(gone["reachable"], false, "{gone:#}");
    assert_contains(
        gone["error"].as_str().unwrap(),
        "cannot reach the cluster of context `gone`",
    );
    assert_eq!(gone["releases"][0]["status"], "unknown");
    assert_eq!(plane(&partial, "control")["reachable"], true);
    assert_eq!(partial["healthy"], false);
}

#[test]
fn sandbox_status_of_a_missing_installation_exits_4_naming_it() {
    let sb = sandbox();
    sb.choreoctl()
        .args(["status", "--context", "dp1", "--installation", "nowhere"])
        .status(4)
        .stderr_contains("no installation `nowhere` on context `dp1`")
        .stderr_contains("--installation")
        .run();
}

#[test]
fn status_of_an_unreachable_control_plane_exits_4() {
    let unreachable = Test::new()
        .kubeconfig(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster: {server: \
             'https://127.0.0.1:1'}\ncontexts:\n- name: lab\n  context: {cluster: lab, user: \
             lab}\nusers:\n- name: lab\n  user: {token: x}\ncurrent-context: lab\n",
        )
        .args(["status"])
        .status(4)
        .run();
    assert_contains(
        &unreachable.stderr,
        "cannot reach the cluster of context `lab`",
    );
}
