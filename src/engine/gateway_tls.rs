//! Does the cluster gateway's certificate cover the name a plane's agent dials? An agent dials
//! `clusterAgent.serverUrl` (`wss://HOST:PORT/ws`) and checks the gateway's certificate (Secret
//! `cluster-gateway-tls` in `openchoreo-control-plane`) against HOST; a name it does not cover
//! fails with `x509: certificate is valid for X, not Y` (docs/engine.md "Cluster gateway
//! address"). `status` and `check` both ask this module.
//!
//! Matching follows RFC 6125 as Go's `crypto/x509` (the agent's TLS stack) does it: an IP
//! address only against the certificate's IP addresses, a DNS name only against its DNS names,
//! case-insensitively, either exactly or through a wildcard that stands for exactly one whole
//! left-most label (`*.example.com` covers `a.example.com`, not `example.com` nor
//! `a.b.example.com`). The subject's common name is never used, as Go has not since 1.15.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use x509_parser::extensions::GeneralName;

/// Namespace of the cluster gateway on the control plane's cluster.
pub const GATEWAY_NAMESPACE: &str = "openchoreo-control-plane";
/// The Secret holding the certificate the cluster gateway serves (written by cert-manager for
/// the Certificate of the same name).
pub const GATEWAY_TLS_SECRET: &str = "cluster-gateway-tls";

/// The names a certificate is valid for (its subject alternative names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateNames {
    /// DNS names, as written in the certificate (wildcards included).
    pub dns: Vec<String>,
    /// IP addresses.
    pub ips: Vec<IpAddr>,
}

impl CertificateNames {
    /// Whether a client dialling `host` (a DNS name or an IP address) accepts the certificate.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) => self.ips.contains(&ip),
            Err(_) => self.dns.iter().any(|name| dns_name_matches(name, host)),
        }
    }

    /// Every name, DNS names first, for messages.
    pub fn listed(&self) -> Vec<String> {
        self.dns
            .iter()
            .cloned()
            .chain(self.ips.iter().map(IpAddr::to_string))
            .collect()
    }
}

/// RFC 6125 §6.4: `pattern` (a DNS name of a certificate) against `host`: equal ignoring case
/// and a trailing dot, or `*.rest` where `*` stands for exactly one non-empty left-most label.
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(rest) if !rest.is_empty() && !rest.contains('*') => host
            .split_once('.')
            .is_some_and(|(label, parent)| !label.is_empty() && parent == rest),
        _ => !pattern.contains('*') && pattern == host,
    }
}

/// The host an agent dials from its `serverUrl` (`wss://HOST:PORT/path`; an IPv6 address in
/// brackets); `None` when it is not such a URL.
pub fn dialled_host(server_url: &str) -> Option<String> {
    let rest = server_url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split_once(']')?.0
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host)
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// The names of the first (leaf) certificate in PEM text `pem` (a `tls.crt`: the leaf, then
/// any chain).
///
/// # Errors
///
/// Why, when the text holds no PEM certificate or it does not parse as X.509.
pub fn leaf_names(pem: &[u8]) -> Result<CertificateNames, String> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem)
        .map_err(|e| format!("no PEM certificate in it ({e})"))?;
    let certificate = block
        .parse_x509()
        .map_err(|e| format!("the certificate cannot be parsed ({e})"))?;
    let mut names = CertificateNames::default();
    let extension = certificate
        .subject_alternative_name()
        .map_err(|e| format!("its subjectAltName extension cannot be parsed ({e})"))?;
    for name in extension
        .iter()
        .flat_map(|extension| &extension.value.general_names)
    {
        match name {
            GeneralName::DNSName(dns) => names.dns.push((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => {
                if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                    names.ips.push(IpAddr::from(v4));
                } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                    names.ips.push(IpAddr::from(v6));
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

/// The names of the certificate the cluster gateway serves, read from its Secret on the control
/// plane's cluster; `None` when the Secret does not exist (not installed yet).
///
/// # Errors
///
/// Why, when the Secret cannot be read or holds no parsable certificate: `check` reports it
/// as a failed `gateway-name` check (exit 4), `status` as a problem.
pub async fn read_served_names(client: &Client) -> Result<Option<CertificateNames>, String> {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), GATEWAY_NAMESPACE);
    let what = format!("Secret {GATEWAY_NAMESPACE}/{GATEWAY_TLS_SECRET}");
    let secret = secrets
        .get_opt(GATEWAY_TLS_SECRET)
        .await
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    let Some(secret) = secret else {
        return Ok(None);
    };
    let pem = secret
        .data
        .as_ref()
        .and_then(|data| data.get("tls.crt"))
        .ok_or_else(|| format!("{what} has no tls.crt"))?;
    leaf_names(&pem.0)
        .map(Some)
        .map_err(|reason| format!("tls.crt of {what}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dns: &[&str], ips: &[&str]) -> CertificateNames {
        CertificateNames {
            dns: dns.iter().map(|n| (*n).to_owned()).collect(),
            ips: ips.iter().map(|ip| ip.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn exact_names_match_ignoring_case_and_a_trailing_dot() {
        assert!(dns_name_matches("gw.example.com", "GW.Example.com."));
        assert!(!dns_name_matches("gw.example.com", "gw.example.org"));
        assert!(!dns_name_matches("", ""));
    }

    #[test]
    fn a_wildcard_stands_for_exactly_one_left_most_label() {
        assert!(dns_name_matches("*.example.com", "gw.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.gw.example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
        assert!(!dns_name_matches("gw.*.com", "gw.example.com"));
        assert!(!dns_name_matches("g*.example.com", "gw.example.com"));
        assert!(!dns_name_matches("*.*.com", "a.b.com"));
    }

    #[test]
    fn an_ip_is_covered_only_by_an_ip_address_and_a_name_only_by_a_dns_name() {
        let certificate = names(
            &["198.51.100.10", "gw.example.com"],
            &["203.0.113.7", "2001:db8::1"],
        );
        assert!(certificate.covers("203.0.113.7"));
        assert!(certificate.covers("[2001:db8::1]"));
        assert!(
            !certificate.covers("198.51.100.10"),
            "an IP written as a DNS name does not count"
        );
        assert!(certificate.covers("gw.example.com"));
        assert!(!certificate.covers("other.example.com"));
        assert_eq!(
            certificate.listed(),
            [
                "198.51.100.10",
                "gw.example.com",
                "203.0.113.7",
                "2001:db8::1"
            ]
        );
    }

    #[test]
    fn the_dialled_host_is_the_server_urls_host_without_the_port() {
        assert_eq!(
            dialled_host("wss://gw.example.com:8443/ws").as_deref(),
            Some("gw.example.com")
        );
        assert_eq!(
            dialled_host("wss://198.51.100.10:8443/ws").as_deref(),
            Some("198.51.100.10")
        );
        assert_eq!(
            dialled_host("wss://[2001:db8::1]:8443/ws").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(dialled_host("wss://gw/ws").as_deref(), Some("gw"));
        assert_eq!(dialled_host("gw.example.com:8443"), None);
        assert_eq!(dialled_host("wss://:8443/ws"), None);
    }

    #[test]
    fn the_leafs_dns_names_and_ip_addresses_are_read_from_pem() {
        let mut params =
            rcgen::CertificateParams::new(vec!["gw.example.com".to_owned(), "*.svc".to_owned()])
                .unwrap();
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress("198.51.100.10".parse().unwrap()));
        let key = rcgen::KeyPair::generate().unwrap();
        let pem = params.self_signed(&key).unwrap().pem();
        let read = leaf_names(pem.as_bytes()).unwrap();
        assert_eq!(
            read,
            names(&["gw.example.com", "*.svc"], &["198.51.100.10"])
        );
        assert!(
            leaf_names(b"not a certificate")
                .unwrap_err()
                .contains("PEM")
        );
    }
}
