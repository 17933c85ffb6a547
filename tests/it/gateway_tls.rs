//! The cluster gateway's certificate against the name each plane dials, as `status` and
//! `check` verify it (docs/status.md, docs/check.md): after the multi-cluster
//! install of tests/it/wiring.rs (control plane on `cp`, a data plane on `obs` dialling the
//! load-balancer IP), `status` reports the name covered; with Secret `cluster-gateway-tls`
//! replaced by a certificate for another name, `status` reports it NOT covered with the name
//! dialled and `check` fails (exit 4) with the fix. The Secret is put back afterwards.

use base64::Engine as _;
use serde_json::Value;

use crate::harness::Test;
use crate::ownership::GATEWAY;
use crate::sandbox::{Sandbox, run, sandbox};
use crate::wiring::{PROFILE, install};

const NAMESPACE: &str = "openchoreo-control-plane";
const SECRET: &str = "cluster-gateway-tls";
/// The address the sandbox's load balancer gives every LoadBalancer Service.
const LB_IP: &str = "198.51.100.10";

/// wiring.rs's profile with the gateway's address named (as a user who knows it would).
fn profile_naming_the_address() -> String {
    PROFILE.replace(
        "{name: control, type: control, context: cp}",
        &format!(
            "{{name: control, type: control, context: cp, clusterGateway: {{address: '{LB_IP}'}}}}"
        ),
    )
}

#[track_caller]
fn status(sb: &Sandbox, extra: &[&str]) -> Test {
    crate::status::status_command(sb, "cp", "it-gateway-address").args(extra)
}

#[track_caller]
fn check(sb: &Sandbox) -> Test {
    sb.choreoctl()
        .file("address.yaml", &profile_naming_the_address())
        .args(["check", "--profile", "address.yaml"])
}

fn remote_gateway(report: &Value) -> Value {
    report["planes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plane| plane["name"] == "remote")
        .unwrap_or_else(|| panic!("plane remote in {report:#}"))["gateway"]
        .clone()
}

fn secret_data(sb: &Sandbox) -> Value {
    sb.kubectl_json("cp", &["-n", NAMESPACE, "get", "secret", SECRET])["data"].clone()
}

fn patch_secret(sb: &Sandbox, data: &Value) {
    let patch = serde_json::json!({"data": data}).to_string();
    run(sb
        .kubectl("cp")
        .args([
            "-n", NAMESPACE, "patch", "secret", SECRET, "--type", "merge", "-p",
        ])
        .arg(patch));
}

/// Puts the gateway's own certificate back however the test ends, so later tests on the
/// shared sandbox see the certificate the install made.
struct Restore<'a> {
    sb: &'a Sandbox,
    data: Value,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        patch_secret(self.sb, &self.data);
    }
}

#[test]
fn sandbox_status_and_check_tell_whether_the_gateway_certificate_covers_the_dialled_name() {
    let claim = sandbox().claim(&GATEWAY);
    let sb: &Sandbox = &claim;
    install(&claim, PROFILE);

    let report = status(sb, &["-o", "json"]).run().json();
    let gateway = remote_gateway(&report);
    assert_eq!(gateway["state"], "covered", "{gateway:#}");
    assert_eq!(gateway["dials"], LB_IP);
    assert_eq!(gateway["serverUrl"], format!("wss://{LB_IP}:8443/ws"));
    assert!(
        gateway["certificateNames"]
            .as_array()
            .unwrap()
            .contains(&Value::from(LB_IP)),
        "{gateway:#}"
    );
    check(sb)
        .stdout_contains(format!(
            "[ok] gateway-certificate: the cluster gateway's certificate covers every name agents dial: {LB_IP} (plane(s) remote)"
        ))
        .run();

    // Another certificate in the Secret: valid for another name only.
    let original = secret_data(sb);
    let _restore = Restore {
        sb,
        data: original.clone(),
    };
    let key = rcgen::KeyPair::generate().unwrap();
    let other = rcgen::CertificateParams::new(vec!["elsewhere.example".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let b64 = |pem: String| base64::engine::general_purpose::STANDARD.encode(pem);
    patch_secret(
        sb,
        &serde_json::json!({"tls.crt": b64(other.pem()), "tls.key": b64(key.serialize_pem())}),
    );

    let report = status(sb, &["-o", "json"]).run().json();
    let gateway = remote_gateway(&report);
    assert_eq!(gateway["state"], "not-covered", "{gateway:#}");
    assert_eq!(gateway["dials"], LB_IP);
    assert_eq!(
        gateway["certificateNames"],
        serde_json::json!(["elsewhere.example"])
    );
    assert_eq!(report["healthy"], false);
    status(sb, &[])
        .stdout_contains(format!(
            "gateway name NOT covered: dials {LB_IP}, certificate valid for [elsewhere.example]"
        ))
        .run();

    check(sb)
        .status(4)
        .stdout_contains(format!(
            "[FAIL] gateway-certificate: the cluster gateway's certificate (Secret {NAMESPACE}/{SECRET}) is valid for [elsewhere.example], not for {LB_IP} (plane(s) remote)"
        ))
        .stdout_contains("`planes[].clusterGateway.address`")
        .stdout_contains("delete secret cluster-gateway-tls")
        .run();

    drop(_restore);
    assert_eq!(secret_data(sb), original);
    let report = status(sb, &["-o", "json"]).run().json();
    assert_eq!(remote_gateway(&report)["state"], "covered");
}
