//! Gateway name coverage: the host a plane's agent dials (`clusterAgent.serverUrl` of the
//! plane's installed release) against the names of the certificate the cluster gateway serves
//! (Secret `cluster-gateway-tls` on the control plane's cluster). A name the certificate does
//! not cover fails the agent with `x509: certificate is valid for X, not Y`, the most reported
//! multi-cluster failure. Pure; the matching is [`crate::engine::gateway_tls`]'s.

use serde::Serialize;

use super::drift::Lookup;
use crate::engine::gateway_tls::{
    CertificateNames, GATEWAY_NAMESPACE, GATEWAY_TLS_SECRET, dialled_host,
};

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayState {
    /// The certificate is valid for the dialled name.
    Covered,
    /// It is not: the agent cannot connect.
    NotCovered,
    /// One side could not be read.
    Unknown,
}

/// What the certificate the gateway serves is valid for, as read from its Secret.
pub type ServedNames = Result<Option<CertificateNames>, String>;

/// The dialled name against the gateway's certificate, for one plane.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayReport {
    /// The verdict.
    pub state: GatewayState,
    /// The agent's `clusterAgent.serverUrl`; `null` when it could not be read.
    pub server_url: Option<String>,
    /// The host it dials; `null` when it could not be read.
    pub dials: Option<String>,
    /// The Secret holding the gateway's certificate on the control plane's cluster.
    pub certificate_in: String,
    /// The certificate's DNS names and IP addresses (empty when it could not be read).
    pub certificate_names: Vec<String>,
    /// A sentence for the user.
    pub detail: String,
}

/// Judges `server_url` (from the plane's release values) against `served`.
pub fn gateway_report(server_url: &Lookup, served: &ServedNames) -> GatewayReport {
    let certificate_in = format!("Secret {GATEWAY_NAMESPACE}/{GATEWAY_TLS_SECRET}");
    let mut report = GatewayReport {
        state: GatewayState::Unknown,
        server_url: None,
        dials: None,
        certificate_in: certificate_in.clone(),
        certificate_names: Vec::new(),
        detail: String::new(),
    };
    let url = match server_url {
        Lookup::Found(url) => url,
        Lookup::Missing => {
            report.detail =
                "gateway name unknown: the agent's release has no clusterAgent.serverUrl".into();
            return report;
        }
        Lookup::Failed(why) => {
            report.detail = format!("gateway name unknown: cannot read the agent's values: {why}");
            return report;
        }
    };
    report.server_url = Some(url.clone());
    let Some(host) = dialled_host(url) else {
        report.detail =
            format!("gateway name unknown: clusterAgent.serverUrl `{url}` names no host");
        return report;
    };
    report.dials = Some(host.clone());
    let names = match served {
        Ok(Some(names)) => names,
        Ok(None) => {
            report.detail = format!(
                "gateway name unknown: dials {host}, but {certificate_in} does not exist on the \
                 control plane's cluster"
            );
            return report;
        }
        Err(why) => {
            report.detail = format!("gateway name unknown: dials {host}; {why}");
            return report;
        }
    };
    report.certificate_names = names.listed();
    let valid_for = report.certificate_names.join(", ");
    if names.covers(&host) {
        report.state = GatewayState::Covered;
        report.detail =
            format!("gateway name covered: dials {host}, certificate valid for [{valid_for}]");
    } else {
        report.state = GatewayState::NotCovered;
        report.detail = format!(
            "gateway name NOT covered: dials {host}, certificate valid for [{valid_for}]: the \
             agent fails with `x509: certificate is valid for {valid_for}, not {host}`; set \
             `planes[].clusterGateway.address` to a name the certificate covers, or have \
             cert-manager issue {certificate_in} again for {host} (delete the Secret), then run \
             `choreoctl install`"
        );
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(dns: &[&str], ips: &[&str]) -> ServedNames {
        Ok(Some(CertificateNames {
            dns: dns.iter().map(|n| (*n).to_owned()).collect(),
            ips: ips.iter().map(|ip| ip.parse().unwrap()).collect(),
        }))
    }

    #[test]
    fn a_dialled_ip_among_the_certificates_addresses_is_covered() {
        let report = gateway_report(
            &Lookup::Found("wss://198.51.100.10:8443/ws".into()),
            &served(
                &["cluster-gateway.openchoreo-control-plane.svc"],
                &["198.51.100.10"],
            ),
        );
        assert_eq!(report.state, GatewayState::Covered);
        assert_eq!(report.dials.as_deref(), Some("198.51.100.10"));
        assert_eq!(
            report.detail,
            "gateway name covered: dials 198.51.100.10, certificate valid for \
             [cluster-gateway.openchoreo-control-plane.svc, 198.51.100.10]"
        );
    }

    #[test]
    fn another_name_is_not_covered_and_the_detail_names_both_and_the_fix() {
        let report = gateway_report(
            &Lookup::Found("wss://gw.example.com:8443/ws".into()),
            &served(&["*.example.org"], &[]),
        );
        assert_eq!(report.state, GatewayState::NotCovered);
        assert!(
            report.detail.starts_with(
                "gateway name NOT covered: dials gw.example.com, certificate valid for [*.example.org]"
            ),
            "{}",
            report.detail
        );
        assert!(report.detail.contains("planes[].clusterGateway.address"));
    }

    #[test]
    fn what_could_not_be_read_is_unknown_never_covered() {
        let url = Lookup::Found("wss://gw.example.com:8443/ws".into());
        for (server_url, names) in [
            (Lookup::Missing, served(&["gw.example.com"], &[])),
            (
                Lookup::Failed("forbidden".into()),
                served(&["gw.example.com"], &[]),
            ),
            (url.clone(), Ok(None)),
            (url.clone(), Err("cannot read Secret: forbidden".into())),
            (
                Lookup::Found("gw.example.com".into()),
                served(&["gw.example.com"], &[]),
            ),
        ] {
            let report = gateway_report(&server_url, &names);
            assert_eq!(report.state, GatewayState::Unknown, "{}", report.detail);
            assert!(
                report.detail.starts_with("gateway name unknown"),
                "{}",
                report.detail
            );
        }
    }
}
