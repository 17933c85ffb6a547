//! `choreoctl plane sync-ca` on the sandbox, over the single-plane preset on `cp`: the data
//! plane's agent certificate re-issued (a new self-signed CA, as cert-manager's renewal makes
//! one) → `status` shows drift, `sync-ca --check` exits 10, `sync-ca` registers the live CA and
//! restarts the agent, `status` is clean; the agent's copy of the gateway CA replaced (as a
//! later helm upgrade did, OpenChoreo #2170) → the same, by a sync killed after the copy is
//! written and finished by the next one; with nothing drifted, nothing runs and nothing
//! restarts.

use base64::Engine as _;
use serde_json::Value;

use crate::background::Background;
use crate::harness::{Test, assert_contains};
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Claim, Sandbox, run, sandbox};
use crate::status::{install, status_command};

const CONTEXT: &str = "cp";
const INSTALLATION: &str = "single-plane";
const NAMESPACE: &str = "openchoreo-data-plane";
/// The stand-in's agent Deployment (the real chart names it `cluster-agent-dataplane`): found
/// by choreoctl through the Secret it mounts, never by name.
const AGENT: &str = "cluster-agent";
const RESTARTED_AT: &str = "choreoctl.openchoreo.dev/restarted-at";

#[track_caller]
fn sync_ca(claim: &Claim, extra: &[&str]) -> Test {
    claim
        .choreoctl()
        .args(["plane", "sync-ca", "--context", CONTEXT])
        .args(["--installation", INSTALLATION])
        .args(extra)
}

fn registered_ca(sb: &Sandbox) -> String {
    sb.kubectl_json(
        CONTEXT,
        &["get", "clusterdataplanes.openchoreo.dev", "default"],
    )["spec"]["clusterAgent"]["clientCA"]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn agent_secret_ca(sb: &Sandbox) -> String {
    let secret = sb.kubectl_json(
        CONTEXT,
        &["get", "secret", "cluster-agent-tls", "-n", NAMESPACE],
    );
    let b64 = secret["data"]["ca.crt"].as_str().unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap()
}

fn agent(sb: &Sandbox) -> Value {
    sb.kubectl_json(CONTEXT, &["get", "deployment", AGENT, "-n", NAMESPACE])
}

fn restarted_at(deployment: &Value) -> Option<String> {
    deployment["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
        .as_str()
        .map(str::to_owned)
}

/// A renewal by cert-manager's self-signed issuer: a new key and certificate, the certificate
/// its own CA.
fn reissue_agent_certificate(sb: &Sandbox) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "default");
    let certificate = params.self_signed(&key).unwrap();
    let b64 = |pem: &str| base64::engine::general_purpose::STANDARD.encode(pem);
    let patch = serde_json::json!({"data": {
        "ca.crt": b64(&certificate.pem()),
        "tls.crt": b64(&certificate.pem()),
        "tls.key": b64(&key.serialize_pem()),
    }});
    run(sb.kubectl(CONTEXT).args([
        "patch",
        "secret",
        "cluster-agent-tls",
        "-n",
        NAMESPACE,
        "--type=merge",
        "-p",
        &patch.to_string(),
    ]));
    certificate.pem()
}

fn plane<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["planes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plane| plane["name"] == name)
        .unwrap_or_else(|| panic!("plane {name} in {report:#}"))
}

#[test]
fn sandbox_sync_ca_registers_a_reissued_agent_ca_and_copies_a_replaced_gateway_ca() {
    let claim = sandbox().claim(&SINGLE_PLANE);
    let sb: &Sandbox = &claim;
    install(&claim);
    let status = || status_command(sb, CONTEXT, INSTALLATION).args(["-o", "json"]);
    sync_ca(&claim, &["--check"])
        .stdout_contains("In sync")
        .run();

    // The agent certificate is renewed: the control plane still pins the old CA.
    let reissued = reissue_agent_certificate(sb);
    let drifted = status().run().json();
    assert_eq!(
        plane(&drifted, "default")["ca"]["state"],
        "drift",
        "{drifted:#}"
    );
    assert_contains(
        &drifted["problems"].to_string(),
        "`choreoctl plane sync-ca default`",
    );
    let check = sync_ca(&claim, &["--check"]).status(10).run();
    assert_contains(&check.stdout, "ClusterDataPlane default");
    assert_contains(&check.stdout, "DRIFT");
    assert_contains(&check.stderr, "on plane(s) default");
    let json = sync_ca(&claim, &["--check", "-o", "json"])
        .status(10)
        .run()
        .json();
    assert_eq!(json["kind"], "CaSync");
    assert_eq!(json["inSync"], false);
    assert_eq!(plane(&json, "default")["ca"]["state"], "drift");
    // Without a terminal or --yes, nothing is changed.
    sync_ca(&claim, &[])
        .status(2)
        .stderr_contains("--yes")
        .run();
    assert_ne!(registered_ca(sb), reissued);

    let before = agent(sb);
    let synced = sync_ca(&claim, &["--yes"]).run();
    assert_contains(
        &synced.stderr,
        "restarted Deployment openchoreo-data-plane/cluster-agent",
    );
    assert_contains(
        &synced.stderr,
        "every registered and copied CA is the live one now",
    );
    assert_eq!(registered_ca(sb).trim(), reissued.trim());
    let after = agent(sb);
    assert!(
        restarted_at(&after).is_some(),
        "{:#}",
        after["spec"]["template"]["metadata"]
    );
    assert!(
        after["metadata"]["generation"].as_u64() > before["metadata"]["generation"].as_u64(),
        "the agent's pods were not replaced"
    );
    assert_eq!(
        after["status"]["updatedReplicas"], after["spec"]["replicas"],
        "{:#}",
        after["status"]
    );
    let clean = status().run().json();
    assert_eq!(plane(&clean, "default")["ca"]["state"], "match");
    assert_eq!(clean["healthy"], true, "{:#}", clean["problems"]);
    sync_ca(&claim, &["--check"]).run();

    // Nothing drifted: nothing runs, the agent is not restarted.
    sync_ca(&claim, &["--yes"])
        .stderr_contains("nothing to sync")
        .run();
    assert_eq!(
        agent(sb)["metadata"]["generation"],
        after["metadata"]["generation"]
    );

    // The agent's copy of the gateway CA replaced by a helm upgrade of the plane's chart (the
    // field manager helm's client-side upgrade uses).
    run(sb.kubectl(CONTEXT).args([
        "patch",
        "configmap",
        "cluster-gateway-ca",
        "-n",
        NAMESPACE,
        "--field-manager=helm",
        "--type=merge",
        "-p",
        r#"{"data":{"ca.crt":"-----BEGIN CERTIFICATE-----\nREPLACED\n-----END CERTIFICATE-----\n"}}"#,
    ]));
    let copy = sync_ca(&claim, &["--check", "-o", "json"])
        .status(10)
        .run()
        .json();
    let copies = &plane(&copy, "default")["caCopies"];
    assert_eq!(
        copies[0]["copy"],
        "ConfigMap openchoreo-data-plane/cluster-gateway-ca"
    );
    assert_eq!(copies[0]["state"], "drift", "{copies:#}");
    let copied = status().run().json();
    assert_eq!(copied["healthy"], false);

    // Killed once the copy is written, before the run ends: the next sync finishes it, the
    // agent restarted to load the repaired copy.
    let syncing = Background::spawn(sync_ca(&claim, &["--yes"]));
    let killed = syncing.kill_when("the copy re-applied", false, |stderr| {
        stderr.contains("secure-core/plane-ca@default in")
    });
    let finished = sync_ca(&claim, &["--yes"])
        .stderr_contains("resuming interrupted run")
        .stderr_contains("restarted Deployment openchoreo-data-plane/cluster-agent")
        .run();
    let log = format!("{killed}\n{}", finished.stderr);
    let config = sb.kubectl_json(
        CONTEXT,
        &["get", "configmap", "cluster-gateway-ca", "-n", NAMESPACE],
    );
    assert_contains(
        config["data"]["ca.crt"].as_str().unwrap(),
        "BEGIN CERTIFICATE",
    );
    assert!(
        !config["data"]["ca.crt"]
            .as_str()
            .unwrap()
            .contains("REPLACED")
    );
    let restarted = agent(sb);
    assert_ne!(restarted_at(&restarted), restarted_at(&after), "{log}");
    sync_ca(&claim, &["--check"])
        .stdout_contains("In sync")
        .run();
    let healthy = status().run().json();
    assert_eq!(healthy["healthy"], true, "{:#}\n{log}", healthy["problems"]);
    assert_eq!(agent_secret_ca(sb).trim(), registered_ca(sb).trim());
}
