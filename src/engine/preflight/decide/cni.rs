//! The CNI: found by its DaemonSets, judged against the edition and the nodes' readiness.

use std::collections::BTreeSet;

use super::{fail, pass, unread, warn};
use crate::engine::preflight::Check;
use crate::engine::preflight::facts::{Facts, NodeFact};
use crate::engine::preflight::needs::ClusterNeeds;

/// CNIs recognised by the name of their DaemonSet (a prefix of it).
const CNI_DAEMONSETS: &[(&str, &str)] = &[
    ("cilium", "Cilium"),
    ("calico-node", "Calico"),
    ("canal", "Canal"),
    ("kube-flannel", "Flannel"),
    ("weave-net", "Weave Net"),
    ("kindnet", "kindnet"),
    ("aws-node", "Amazon VPC CNI"),
    ("antrea-agent", "Antrea"),
    ("kube-router", "kube-router"),
    ("azure-cns", "Azure CNI"),
];

/// CNIs found by their DaemonSets, by display name.
pub fn detect_cnis(daemonsets: &[(String, String)]) -> BTreeSet<&'static str> {
    daemonsets
        .iter()
        .filter_map(|(_, name)| {
            CNI_DAEMONSETS
                .iter()
                .find(|(prefix, _)| name.starts_with(prefix))
                .map(|(_, cni)| *cni)
        })
        .collect()
}

/// The CNI against the edition: the cilium edition installs Cilium where there is no CNI (or
/// upgrades its own); the generic edition needs nodes that are Ready on whatever CNI runs.
pub fn cni(edition: &str, needs: &ClusterNeeds, facts: &Facts) -> Check {
    const ID: &str = "cni";
    let daemonsets = match &facts.daemonsets {
        Ok(daemonsets) => daemonsets,
        Err(reason) => return unread(ID, "DaemonSets (to find the CNI)", reason),
    };
    let cnis = detect_cnis(daemonsets);
    let others: Vec<&str> = cnis
        .iter()
        .copied()
        .filter(|cni| *cni != "Cilium")
        .collect();
    let cilium_release = facts
        .releases
        .as_ref()
        .ok()
        .and_then(|releases| releases.get("kube-system", "cilium"))
        .is_some();
    if edition == "cilium" && needs.installs_cilium {
        if !others.is_empty() {
            return fail(
                ID,
                format!(
                    "the cluster runs {} and the cilium edition installs Cilium: two CNIs break \
                     pod networking",
                    others.join(", ")
                ),
                "use a cluster created without a CNI for the cilium edition, or install with \
                 --edition generic (moving a running cluster to Cilium is \
                 `choreoctl migrate generic-to-cilium`, not available yet)",
            );
        }
        if cnis.contains("Cilium") && !cilium_release {
            return fail(
                ID,
                "Cilium runs here but not as helm release kube-system/cilium: helm cannot take \
                 it over"
                    .into(),
                "install it as helm release `cilium` in kube-system (cilium-cli does), or use \
                 --edition generic and keep it as the CNI",
            );
        }
        return pass(
            ID,
            if cilium_release {
                "Cilium is helm release kube-system/cilium: install upgrades it with the \
                 profile's values"
                    .into()
            } else {
                "no CNI found: install adds Cilium".into()
            },
        );
    }
    let nodes = match &facts.nodes {
        Ok(nodes) => nodes,
        Err(reason) => return unread(ID, "nodes", reason),
    };
    let running = if cnis.is_empty() {
        String::new()
    } else {
        format!(" ({})", cnis.iter().copied().collect::<Vec<_>>().join(", "))
    };
    if let Some(check) = nodes_ready(nodes, &running) {
        return check;
    }
    if edition != "cilium" && cnis.contains("Cilium") {
        return warn(
            ID,
            format!(
                "{} nodes are Ready on Cilium, and the generic edition uses plain NetworkPolicy",
                nodes.len()
            ),
            "the cilium edition would use it (encryption, Cilium policies, Hubble): --edition cilium",
        );
    }
    pass(
        ID,
        format!("{} nodes are Ready: the CNI works{running}", nodes.len()),
    )
}

fn nodes_ready(nodes: &[NodeFact], running: &str) -> Option<Check> {
    const ID: &str = "cni";
    if nodes.is_empty() {
        return Some(fail(
            ID,
            "the cluster has no nodes: nothing can run".into(),
            "add nodes to the cluster",
        ));
    }
    let not_ready: Vec<&NodeFact> = nodes.iter().filter(|node| !node.ready).collect();
    let first = not_ready.first()?;
    let message = format!(
        "{} of {} nodes are not Ready{running}; {}: {}",
        not_ready.len(),
        nodes.len(),
        first.name,
        first.message
    );
    Some(if not_ready.len() == nodes.len() {
        fail(
            ID,
            message,
            "install a CNI (or fix the one running) until `kubectl get nodes` shows them Ready; \
             or use the cilium edition on a cluster without a CNI",
        )
    } else {
        warn(
            ID,
            message,
            "pods scheduled there will not start: kubectl describe node the not-Ready ones",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preflight::Verdict;
    use crate::engine::preflight::decide::fixtures::{facts, release_states};

    #[test]
    fn cilium_edition_over_another_cni_fails_and_generic_over_cilium_warns() {
        let mut facts = facts();
        facts.daemonsets = Ok(vec![("kube-system".into(), "calico-node".into())]);
        let cilium = ClusterNeeds {
            installs_cilium: true,
            ..ClusterNeeds::default()
        };
        assert_eq!(cni("cilium", &cilium, &facts).verdict, Verdict::Fail);
        assert_eq!(
            cni("generic", &ClusterNeeds::default(), &facts).verdict,
            Verdict::Pass
        );
        facts.daemonsets = Ok(vec![("kube-system".into(), "cilium".into())]);
        assert_eq!(
            cni("generic", &ClusterNeeds::default(), &facts).verdict,
            Verdict::Warn
        );
        // Cilium not installed by helm cannot be upgraded by helm; as release kube-system/cilium it can.
        assert_eq!(cni("cilium", &cilium, &facts).verdict, Verdict::Fail);
        facts.releases = Ok(release_states(&[("kube-system", "cilium", "deployed")]));
        assert_eq!(cni("cilium", &cilium, &facts).verdict, Verdict::Pass);
    }

    #[test]
    fn generic_edition_needs_ready_nodes() {
        let mut facts = facts();
        facts.nodes = Ok(vec![NodeFact {
            name: "n1".into(),
            ready: false,
            message: "container runtime network not ready: cni plugin not initialized".into(),
            provider_id: None,
        }]);
        let check = cni("generic", &ClusterNeeds::default(), &facts);
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.message.contains("cni plugin not initialized"));
        // The cilium edition on a cluster without a CNI: not-Ready nodes are expected.
        let cilium = ClusterNeeds {
            installs_cilium: true,
            ..ClusterNeeds::default()
        };
        assert_eq!(cni("cilium", &cilium, &facts).verdict, Verdict::Pass);
    }
}
