//! The installed cluster gateway's certificate against the names the planes will dial.

use super::{fail, pass, unread};
use crate::engine::preflight::Check;
use crate::engine::preflight::facts::{GatewayCertificate, Read};

/// Whether the installed cluster gateway's certificate covers every host the planes will dial
/// (`hosts`: host and the planes dialling it). Silent before the first install (no certificate
/// yet). A host the certificate lacks fails only when its Certificate already asks for it
/// (cert-manager did not issue it, or the Secret was replaced): when it does not, this install
/// adds it (the chart's `dnsNames`, or `spec.ipAddresses`) and cert-manager issues it again.
pub fn gateway_certificate(
    hosts: &[(String, Vec<String>)],
    certificate: &Read<Option<GatewayCertificate>>,
) -> Option<Check> {
    const ID: &str = "gateway-certificate";
    const SECRET: &str = "Secret openchoreo-control-plane/cluster-gateway-tls";
    let certificate = match certificate {
        Ok(Some(certificate)) => certificate,
        Ok(None) => return None,
        Err(reason) => {
            return Some(unread(ID, "the cluster gateway's certificate", reason));
        }
    };
    let valid_for = certificate.served.listed().join(", ");
    let dialled =
        |(host, planes): &(String, Vec<String>)| format!("{host} (plane(s) {})", planes.join(", "));
    let uncovered: Vec<&(String, Vec<String>)> = hosts
        .iter()
        .filter(|(host, _)| !certificate.served.covers(host))
        .collect();
    let (stuck, added): (Vec<_>, Vec<_>) = uncovered.into_iter().partition(|(host, _)| {
        certificate
            .requested
            .as_ref()
            .is_none_or(|requested| requested.covers(host))
    });
    if let Some((host, _)) = stuck.first() {
        let which = stuck.iter().map(|entry| dialled(entry)).collect::<Vec<_>>();
        return Some(fail(
            ID,
            format!(
                "the cluster gateway's certificate ({SECRET}) is valid for [{valid_for}], not for \
                 {}: those agents would fail with `x509: certificate is valid for {valid_for}, not \
                 {host}`",
                which.join(", ")
            ),
            format!(
                "set `planes[].clusterGateway.address` on the control plane to a name the \
                 certificate covers; or have cert-manager issue it again for {host}: `kubectl -n \
                 openchoreo-control-plane describe certificate cluster-gateway-tls` tells why it \
                 did not, `kubectl -n openchoreo-control-plane delete secret cluster-gateway-tls` \
                 makes it issue a new one, then run `choreoctl install`"
            ),
        ));
    }
    let covered = hosts.iter().map(dialled).collect::<Vec<_>>().join(", ");
    if added.is_empty() {
        return Some(pass(
            ID,
            format!("the cluster gateway's certificate covers every name agents dial: {covered}"),
        ));
    }
    let added = added
        .iter()
        .map(|(host, _)| host.as_str())
        .collect::<Vec<_>>();
    Some(pass(
        ID,
        format!(
            "the cluster gateway's certificate is valid for [{valid_for}]; install adds {} to \
             Certificate cluster-gateway-tls and cert-manager issues it again",
            added.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preflight::Verdict;

    fn gateway(served: &[&str], requested: Option<&[&str]>) -> Read<Option<GatewayCertificate>> {
        let names = |names: &[&str]| crate::engine::gateway_tls::CertificateNames {
            dns: names
                .iter()
                .filter(|n| n.parse::<std::net::IpAddr>().is_err())
                .map(|n| (*n).to_owned())
                .collect(),
            ips: names.iter().filter_map(|n| n.parse().ok()).collect(),
        };
        Ok(Some(GatewayCertificate {
            served: names(served),
            requested: requested.map(names),
        }))
    }

    #[test]
    fn the_gateway_certificate_is_checked_only_once_installed_and_fails_only_when_stuck() {
        let hosts = vec![
            ("gw.example.com".to_owned(), vec!["eu".to_owned()]),
            (
                "cluster-gateway.openchoreo-control-plane.svc.cluster.local".to_owned(),
                vec!["local".to_owned()],
            ),
        ];
        assert!(
            gateway_certificate(&hosts, &Ok(None)).is_none(),
            "silent before the first install"
        );
        let svc = "*.openchoreo-control-plane.svc.cluster.local";

        let covered =
            gateway_certificate(&hosts, &gateway(&[svc, "gw.example.com"], Some(&[]))).unwrap();
        assert_eq!(covered.verdict, Verdict::Pass, "{}", covered.message);

        // Not asked for yet: this install adds the name, cert-manager reissues.
        let added = gateway_certificate(&hosts, &gateway(&[svc], Some(&[svc]))).unwrap();
        assert_eq!(added.verdict, Verdict::Pass);
        assert!(
            added.message.contains("install adds gw.example.com"),
            "{}",
            added.message
        );

        // Asked for and still not served, or no Certificate to reissue it: fail with the fix.
        for requested in [Some(&[svc, "gw.example.com"][..]), None] {
            let stuck =
                gateway_certificate(&hosts, &gateway(&[svc, "198.51.100.10"], requested)).unwrap();
            assert_eq!(stuck.verdict, Verdict::Fail);
            assert!(
                stuck.message.contains("valid for [*.openchoreo-control-plane.svc.cluster.local, 198.51.100.10], not for gw.example.com (plane(s) eu)"),
                "{}",
                stuck.message
            );
            assert!(
                stuck
                    .hint
                    .unwrap()
                    .contains("`planes[].clusterGateway.address`")
            );
        }

        let unread = gateway_certificate(&hosts, &Err("forbidden".into())).unwrap();
        assert_eq!(unread.verdict, Verdict::Warn);
    }
}
