//! What releases need of the cluster besides the API: a default StorageClass for their volumes,
//! and load-balancer support for their LoadBalancer Services.

use super::{fail, pass, unread, warn};
use crate::engine::preflight::Check;
use crate::engine::preflight::facts::{Facts, Read, StorageClassFact};
use crate::engine::preflight::needs::ClusterNeeds;

/// A default StorageClass, where releases claim volumes through it. `None`: none claims any.
pub fn storage(needs: &ClusterNeeds, classes: &Read<Vec<StorageClassFact>>) -> Option<Check> {
    const ID: &str = "default-storage-class";
    if needs.volumes.is_empty() {
        return None;
    }
    let claims = needs.volumes.join(", ");
    let classes = match classes {
        Ok(classes) => classes,
        Err(reason) => return Some(unread(ID, "StorageClasses", reason)),
    };
    let defaults: Vec<&str> = classes
        .iter()
        .filter(|class| class.default)
        .map(|class| class.name.as_str())
        .collect();
    Some(match defaults.as_slice() {
        [] if classes.is_empty() => fail(
            ID,
            format!(
                "no StorageClass, and these claim volumes: {claims}; their pods would stay Pending"
            ),
            "install a storage provisioner with a default StorageClass (your cloud's CSI \
             driver, or rancher/local-path-provisioner on a single node)",
        ),
        [] => fail(
            ID,
            format!(
                "no default StorageClass (there are: {}), and these claim volumes: {claims}",
                classes
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "make one the default: kubectl annotate storageclass {} \
                 storageclass.kubernetes.io/is-default-class=true",
                classes[0].name
            ),
        ),
        [one] => pass(
            ID,
            format!("default StorageClass {one} serves the volumes of {claims}"),
        ),
        several => warn(
            ID,
            format!(
                "{} StorageClasses are marked default ({}): volumes go to the newest",
                several.len(),
                several.join(", ")
            ),
            "keep one default: kubectl annotate storageclass NAME storageclass.kubernetes.io/is-default-class-",
        ),
    })
}

/// Load-balancer support, where a release needs it. Kubernetes has no API saying whether
/// LoadBalancer Services get an address, so this looks for evidence: a Service that got one, a
/// known implementation (MetalLB, Cilium LB IPAM, k3s ServiceLB, kube-vip) or a cloud provider
/// on the nodes; with none, a warning. `None`: nothing needs one.
pub fn load_balancer(needs: &ClusterNeeds, facts: &Facts) -> Option<Check> {
    const ID: &str = "load-balancer";
    if needs.load_balancers.is_empty() {
        return None;
    }
    let wanted = needs.load_balancers.join(", ");
    if let Ok(services) = &facts.load_balancers
        && let Some(served) = services.iter().find(|service| service.address.is_some())
    {
        return Some(pass(
            ID,
            format!(
                "LoadBalancer Services get addresses (Service {} has {})",
                served.name,
                served.address.as_deref().unwrap_or_default()
            ),
        ));
    }
    let crds = facts.crds.as_ref().map(Vec::as_slice).unwrap_or_default();
    let daemonsets = facts
        .daemonsets
        .as_ref()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let implementation = if crds.iter().any(|crd| crd.group == "metallb.io") {
        Some("MetalLB".to_owned())
    } else if crds
        .iter()
        .any(|crd| crd.name == "ciliumloadbalancerippools.cilium.io")
    {
        Some("Cilium LB IPAM".to_owned())
    } else if daemonsets
        .iter()
        .any(|(_, name)| name.starts_with("svclb-"))
    {
        Some("k3s ServiceLB".to_owned())
    } else if daemonsets
        .iter()
        .any(|(_, name)| name.starts_with("kube-vip"))
    {
        Some("kube-vip".to_owned())
    } else {
        facts.nodes.as_ref().ok().and_then(|nodes| {
            nodes.iter().find_map(|node| {
                let provider = node.provider_id.as_deref()?.split("://").next()?;
                matches!(
                    provider,
                    "aws"
                        | "gce"
                        | "azure"
                        | "digitalocean"
                        | "openstack"
                        | "linode"
                        | "hcloud"
                        | "oci"
                        | "ibm"
                        | "vsphere"
                )
                .then(|| format!("cloud provider `{provider}`"))
            })
        })
    };
    if let Some(implementation) = implementation {
        return Some(pass(
            ID,
            format!("{implementation} serves LoadBalancer Services"),
        ));
    }
    let pending = facts
        .load_balancers
        .as_ref()
        .ok()
        .and_then(|services| services.first())
        .map(|service| format!("; Service {} has no address yet", service.name))
        .unwrap_or_default();
    Some(warn(
        ID,
        format!(
            "cannot tell whether LoadBalancer Services get an address here{pending}; needed by {wanted}"
        ),
        "without a load balancer (your cloud's, MetalLB, k3s ServiceLB) the gateways stay \
         <pending> and planes on other clusters cannot reach the control plane",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preflight::Verdict;
    use crate::engine::preflight::decide::fixtures::facts;
    use crate::engine::preflight::facts::{NodeFact, ServiceFact};

    #[test]
    fn volumes_need_exactly_one_default_storage_class() {
        let needs = ClusterNeeds {
            volumes: vec!["observability-logs-opensearch (OpenSearch persistence)".into()],
            ..ClusterNeeds::default()
        };
        assert!(storage(&ClusterNeeds::default(), &Ok(Vec::new())).is_none());
        let class = |name: &str, default| StorageClassFact {
            name: name.into(),
            default,
        };
        let none = storage(&needs, &Ok(Vec::new())).unwrap();
        assert_eq!(none.verdict, Verdict::Fail);
        let not_default = storage(&needs, &Ok(vec![class("slow", false)])).unwrap();
        assert_eq!(not_default.verdict, Verdict::Fail);
        assert!(
            not_default
                .hint
                .unwrap()
                .contains("kubectl annotate storageclass slow")
        );
        let one = storage(&needs, &Ok(vec![class("slow", false), class("fast", true)])).unwrap();
        assert_eq!(one.verdict, Verdict::Pass);
        let two = storage(&needs, &Ok(vec![class("a", true), class("b", true)])).unwrap();
        assert_eq!(two.verdict, Verdict::Warn);
    }

    #[test]
    fn load_balancers_are_detected_by_evidence_or_warned_about() {
        let needs = ClusterNeeds {
            load_balancers: vec!["openchoreo-data-plane (its Gateway's Service)".into()],
            ..ClusterNeeds::default()
        };
        let mut facts = facts();
        assert_eq!(
            load_balancer(&needs, &facts).unwrap().verdict,
            Verdict::Warn
        );
        facts.load_balancers = Ok(vec![ServiceFact {
            name: "x/gw".into(),
            address: Some("198.51.100.10".into()),
        }]);
        assert_eq!(
            load_balancer(&needs, &facts).unwrap().verdict,
            Verdict::Pass
        );
        let mut facts = self::facts();
        facts.nodes = Ok(vec![NodeFact {
            name: "n".into(),
            ready: true,
            message: String::new(),
            provider_id: Some("aws:///eu-west-1a/i-0abc".into()),
        }]);
        assert_eq!(
            load_balancer(&needs, &facts).unwrap().verdict,
            Verdict::Pass
        );
        assert!(load_balancer(&ClusterNeeds::default(), &facts).is_none());
    }
}
