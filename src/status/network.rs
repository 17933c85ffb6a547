//! The CNI of a cluster and whether it encrypts pod traffic, as far as the cluster shows it:
//! the CNI from its node agent DaemonSet, encryption from Cilium's `cilium-config` ConfigMap
//! (`enable-wireguard` / `enable-ipsec`, the keys the Cilium chart writes). Other CNIs keep
//! encryption elsewhere (Calico in a FelixConfiguration), so it is reported as unknown. Pure.

use std::collections::BTreeMap;

use serde::Serialize;

/// Node-agent DaemonSet names and the CNI each reveals.
const AGENTS: [(&str, &str); 10] = [
    ("cilium", "cilium"),
    ("calico-node", "calico"),
    ("canal", "canal"),
    ("kube-flannel-ds", "flannel"),
    ("kube-flannel", "flannel"),
    ("weave-net", "weave"),
    ("aws-node", "aws-vpc-cni"),
    ("antrea-agent", "antrea"),
    ("kube-router", "kube-router"),
    ("kindnet", "kindnet"),
];

/// Said when something cannot be told from the cluster.
pub const UNKNOWN: &str = "unknown";

/// A cluster's CNI and encryption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Network {
    /// `cilium`, `calico`, `flannel`, ... or `unknown`.
    pub cni: String,
    /// The object it was told from, e.g. `DaemonSet kube-system/cilium`; `null` when unknown.
    pub detected_from: Option<String>,
    /// `wireguard`, `ipsec`, `none` or `unknown`.
    pub encryption: String,
}

/// Tells the CNI from the cluster's DaemonSets (namespace, name) and, for Cilium, encryption
/// from the data of ConfigMap `cilium-config` (`None`: not found).
pub fn detect(
    daemon_sets: &[(String, String)],
    cilium_config: Option<&BTreeMap<String, String>>,
) -> Network {
    let found = AGENTS.iter().find_map(|(agent, cni)| {
        daemon_sets
            .iter()
            .find(|(_, name)| name == agent)
            .map(|(namespace, name)| (*cni, format!("DaemonSet {namespace}/{name}")))
    });
    let Some((cni, source)) = found else {
        return Network {
            cni: UNKNOWN.into(),
            detected_from: None,
            encryption: UNKNOWN.into(),
        };
    };
    let encryption = match (cni, cilium_config) {
        ("cilium", Some(config)) => {
            let on = |key: &str| config.get(key).is_some_and(|v| v == "true");
            if on("enable-wireguard") {
                "wireguard"
            } else if on("enable-ipsec") {
                "ipsec"
            } else {
                "none"
            }
        }
        _ => UNKNOWN,
    };
    Network {
        cni: cni.into(),
        detected_from: Some(source),
        encryption: encryption.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(names: &[(&str, &str)]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|(ns, name)| ((*ns).to_owned(), (*name).to_owned()))
            .collect()
    }

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn cilium_encryption_is_read_from_its_config() {
        let cilium = sets(&[("kube-system", "cilium-envoy"), ("kube-system", "cilium")]);
        let wireguard = detect(&cilium, Some(&config(&[("enable-wireguard", "true")])));
        assert_eq!(
            wireguard,
            Network {
                cni: "cilium".into(),
                detected_from: Some("DaemonSet kube-system/cilium".into()),
                encryption: "wireguard".into(),
            }
        );
        let ipsec = detect(&cilium, Some(&config(&[("enable-ipsec", "true")])));
        assert_eq!(ipsec.encryption, "ipsec");
        let off = detect(&cilium, Some(&config(&[("enable-wireguard", "false")])));
        assert_eq!(off.encryption, "none");
        assert_eq!(detect(&cilium, None).encryption, UNKNOWN);
    }

    #[test]
    fn other_cnis_are_named_but_their_encryption_is_not_guessed() {
        let calico = detect(&sets(&[("calico-system", "calico-node")]), None);
        assert_eq!(
            (calico.cni.as_str(), calico.encryption.as_str()),
            ("calico", UNKNOWN)
        );
        let flannel = detect(&sets(&[("kube-flannel", "kube-flannel-ds")]), None);
        assert_eq!(flannel.cni, "flannel");
    }

    #[test]
    fn a_cluster_without_a_known_cni_agent_says_unknown() {
        let none = detect(&sets(&[("kube-system", "kube-proxy")]), None);
        assert_eq!(
            (none.cni.as_str(), none.encryption.as_str()),
            (UNKNOWN, UNKNOWN)
        );
        assert_eq!(none.detected_from, None);
    }
}
