//! Multi-cluster wiring on the sandbox (docs/engine.md "Cluster gateway address", docs/catalog.md
//! "Logs across clusters").
//!
//! The cluster gateway is dialled under a name its certificate covers: a multi-cluster install, the control plane on `cp` and a data plane on `obs`, with no
//! address in the profile. choreoctl reads Service `cluster-gateway-external`'s
//! load-balancer IP (the sandbox's KWOK stage gives LoadBalancer Services one), puts it in
//! the data plane agent's `serverUrl`, and adds it to the gateway Certificate's IP addresses.
//!
//! The data plane is on `obs`, not `dp1`: tests/it/helm.rs leaves cert-manager's CRDs on
//! `dp1` owned by a release in another namespace, which a platform install there would refuse.

use serde_json::Value;

use crate::harness::assert_contains;
use crate::ownership::GATEWAY;
use crate::sandbox::{Claim, sandbox};

/// `install --profile` of `profile` with the sandbox's helm and mirrors.
#[track_caller]
pub(crate) fn install(sb: &Claim, profile: &str) -> crate::harness::Output {
    sb.choreoctl()
        .file("profile.yaml", profile)
        .args(["install", "--profile", "profile.yaml", "--yes"])
        .run()
}

pub(crate) const PROFILE: &str = "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\n\
    metadata: {name: it-gateway-address}\nspec:\n  edition: generic\n  planes:\n\
    \x20   - {name: control, type: control, context: cp}\n\
    \x20   - {name: remote, type: data, context: obs}\n";

#[test]
fn sandbox_install_multi_cluster_agents_dial_the_load_balancer_ip_the_certificate_covers() {
    let sb = &sandbox().claim(&GATEWAY);
    let output = install(sb, PROFILE);
    assert_contains(
        &output.stderr,
        "secure-core/cluster-gateway-address@control",
    );

    let service = sb.kubectl_json(
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
    let values = sb.helm_values("obs", "openchoreo-data-plane", "openchoreo-data-plane");
    assert_eq!(
        values["clusterAgent"]["serverUrl"],
        format!("wss://{ip}:8443/ws"),
        "{}",
        output.stderr
    );

    // ...and the gateway's certificate covers it, reissued for that spec.
    let certificate = sb.kubectl_json(
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

/// Observe on `obs` serving a data plane on `cp`: the data plane's cluster runs a log
/// collector, which must ship to a listener and route the observability plane really serves.
/// `module remove observe` then unwires the data plane (no `observabilityPlaneRef`) and takes
/// the collector, the observability plane and its registration away.
const LOGS_PROFILE: &str = "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\n\
    metadata: {name: it-remote-logs}\nspec:\n  edition: generic\n  planes:\n\
    \x20   - {name: control, type: control, context: cp}\n\
    \x20   - {name: local, type: data, context: cp}\n\
    \x20   - {name: obs, type: observability, context: obs}\n\
    \x20 modules:\n    - name: observe\n";

#[test]
fn sandbox_remote_log_collectors_ship_to_what_the_observability_plane_serves_until_module_remove_unwires_them()
 {
    let sb = &sandbox().claim(&GATEWAY);
    let dir = tempfile::tempdir().expect("a directory for the profile");
    std::fs::write(dir.path().join("logs.yaml"), LOGS_PROFILE).unwrap();
    let output = sb
        .choreoctl()
        .current_dir(dir.path())
        .args(["install", "-p", "logs.yaml", "--yes"])
        .run();
    const NS: &str = "openchoreo-observability-plane";

    // What the observability plane serves: Gateway listener `tls` and the TLSRoute on it.
    let gateway = sb.kubectl_json(
        "obs",
        &[
            "-n",
            NS,
            "get",
            "gateways.gateway.networking.k8s.io",
            "gateway-default",
        ],
    );
    let listener = gateway["spec"]["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|listener| listener["name"] == "tls")
        .unwrap_or_else(|| panic!("no TLS listener: {gateway}\n{}", output.stderr))
        .clone();
    assert_eq!(listener["protocol"], "TLS");
    assert_eq!(listener["tls"]["mode"], "Passthrough");
    let route = sb.kubectl_json(
        "obs",
        &[
            "-n",
            NS,
            "get",
            "tlsroutes.gateway.networking.k8s.io",
            "opensearch",
        ],
    );
    assert_eq!(
        route["spec"]["hostnames"],
        serde_json::json!([listener["hostname"]])
    );
    assert_eq!(route["spec"]["parentRefs"][0]["name"], "gateway-default");
    assert_eq!(route["spec"]["parentRefs"][0]["sectionName"], "tls");

    // What the collector on the data plane's cluster dials: the same host, SNI and port.
    let collector = &sb.helm_values("cp", NS, "observability-logs-opensearch")["fluent-bit"];
    assert_eq!(
        collector["openSearchHost"], listener["hostname"],
        "{collector}"
    );
    assert_eq!(collector["openSearchVHost"], listener["hostname"]);
    assert_eq!(collector["openSearchPort"], listener["port"]);

    // Its credentials are synced on its own cluster from that cluster's store.
    let credentials = sb.kubectl_json(
        "cp",
        &[
            "-n",
            NS,
            "get",
            "externalsecrets.external-secrets.io",
            "opensearch-admin-credentials",
        ],
    );
    assert_eq!(credentials["spec"]["secretStoreRef"]["name"], "default");
    assert_eq!(
        credentials["spec"]["target"]["name"],
        "opensearch-admin-credentials"
    );
    let data_plane =
        || sb.kubectl_json("cp", &["get", "clusterdataplanes.openchoreo.dev", "local"]);
    assert_eq!(data_plane()["spec"]["observabilityPlaneRef"]["name"], "obs");
    let data_plane_release = sb.helm_releases(&sb.kubeconfig, "cp")[&(
        "openchoreo-data-plane".to_owned(),
        "openchoreo-data-plane".to_owned(),
    )]
        .clone();

    // Observe taken away: the served plane is unwired, then the collector, the observability
    // plane's releases, its registration and the namespaces it made are gone.
    let removed = sb
        .choreoctl()
        .current_dir(dir.path())
        .args(["module", "remove", "observe", "-p", "logs.yaml", "--yes"])
        .run();
    let spec = &data_plane()["spec"];
    assert!(
        spec.get("observabilityPlaneRef").is_none(),
        "{spec}\n{}",
        removed.stderr
    );
    assert_eq!(
        spec["planeID"], "local",
        "the rest of the registration stays"
    );
    for context in ["cp", "obs"] {
        let left: Vec<_> = sb
            .helm_releases(&sb.kubeconfig, context)
            .into_keys()
            .filter(|(namespace, _)| namespace == NS)
            .collect();
        assert!(left.is_empty(), "{context}: {left:?}\n{}", removed.stderr);
        let namespaces = sb.kubectl_json(context, &["get", "namespaces"]);
        let names: Vec<&str> = namespaces["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|item| item["metadata"]["name"].as_str())
            .collect();
        assert!(
            !names.contains(&NS),
            "{context}: {names:?}\n{}",
            removed.stderr
        );
    }
    let registered = sb.kubectl_json("cp", &["get", "clusterobservabilityplanes.openchoreo.dev"]);
    assert_eq!(registered["items"], serde_json::json!([]), "{registered}");
    assert_eq!(
        sb.helm_releases(&sb.kubeconfig, "cp")[&(
            "openchoreo-data-plane".to_owned(),
            "openchoreo-data-plane".to_owned()
        )],
        data_plane_release,
        "the data plane's release is not upgraded"
    );
}
