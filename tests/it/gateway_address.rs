//! The cluster gateway is dialled under a name its certificate covers (issue 8, item 5 (b)):
//! a multi-cluster install on the sandbox, the control plane on `cp` and a data plane on
//! `obs`, with no address in the profile. choreoctl reads Service `cluster-gateway-external`'s
//! load-balancer IP (the sandbox's KWOK stage gives LoadBalancer Services one), puts it in
//! the data plane agent's `serverUrl`, and adds it to the gateway Certificate's IP addresses.
//!
//! The data plane is on `obs`, not `dp1`: tests/it/helm.rs leaves cert-manager's CRDs on
//! `dp1` owned by a release in another namespace, which a platform install there would refuse.

use serde_json::Value;

use crate::harness::{Test, assert_contains};
use crate::sandbox::{Sandbox, platform_lock, run, sandbox};

const PROFILE: &str = "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\n\
    metadata: {name: it-gateway-address}\nspec:\n  edition: generic\n  planes:\n\
    \x20   - {name: control, type: control, context: cp}\n\
    \x20   - {name: remote, type: data, context: obs}\n";

fn kubectl_json(sb: &Sandbox, context: &str, args: &[&str]) -> Value {
    let out = run(sb.kubectl(context).args(args).args(["-o", "json"]));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn sandbox_install_multi_cluster_agents_dial_the_load_balancer_ip_the_certificate_covers() {
    let _platform = platform_lock();
    let sb = sandbox();
    let output = Test::new()
        .file("profile.yaml", PROFILE)
        .env("KUBECONFIG", &sb.kubeconfig)
        .args(["install", "--profile", "profile.yaml", "--yes", "--helm"])
        .arg(&sb.helm)
        .args(["--chart-mirror", &sb.mirror])
        .args(["--manifest-mirror", &sb.manifests, "--plain-http"])
        .run();
    assert_contains(
        &output.stderr,
        "secure-core/cluster-gateway-address@control",
    );

    let service = kubectl_json(
        sb,
        "cp",
        &[
            "-n",
            "openchoreo-control-plane",
            "get",
            "service",
            "cluster-gateway-external",
        ],
    );
    assert_eq!(service["spec"]["type"], "LoadBalancer");
    let ip = service["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .expect("the load balancer gave the Service an IP")
        .to_owned();

    // The remote agent dials that address...
    let values: Value = serde_json::from_str(&run(sb.helm().args([
        "get",
        "values",
        "openchoreo-data-plane",
        "-n",
        "openchoreo-data-plane",
        "--kube-context",
        "obs",
        "-o",
        "json",
    ])))
    .unwrap();
    assert_eq!(
        values["clusterAgent"]["serverUrl"],
        format!("wss://{ip}:8443/ws"),
        "{}",
        output.stderr
    );

    // ...and the gateway's certificate covers it, reissued for that spec.
    let certificate = kubectl_json(
        sb,
        "cp",
        &[
            "-n",
            "openchoreo-control-plane",
            "get",
            "certificates.cert-manager.io",
            "cluster-gateway-tls",
        ],
    );
    let addresses = certificate["spec"]["ipAddresses"].as_array().cloned();
    assert_eq!(
        addresses,
        Some(vec![Value::from(ip.as_str())]),
        "{certificate}"
    );
    let ready = certificate["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|condition| condition["type"] == "Ready")
        .unwrap();
    assert_eq!(ready["status"], "True");
    assert_eq!(
        ready["observedGeneration"],
        certificate["metadata"]["generation"]
    );
    // The chart's own names are kept beside it (helm owns dnsNames, choreoctl ipAddresses).
    assert!(
        certificate["spec"]["dnsNames"]
            .as_array()
            .unwrap()
            .contains(&Value::from(
                "cluster-gateway.openchoreo-control-plane.svc.cluster.local"
            )),
        "{certificate}"
    );
}
