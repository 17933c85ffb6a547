//! The verdicts (pure): what the plan needs of a cluster ([`ClusterNeeds`]) against what was
//! read from it ([`Facts`]), each turned into a [`Check`] with a hint on what to do.

use std::collections::BTreeSet;

use semver::{Version, VersionReq};

use super::facts::{
    CrdFact, Facts, GatewayCertificate, Journaled, NodeFact, Read, StorageClassFact,
};
use super::needs::{Access, ClusterNeeds};
use super::{Check, Verdict};
use crate::engine::helm::ReleaseStates;

/// Release of OpenChoreo's control-plane chart: installed by OpenChoreo's own scripts under the
/// same name and namespace as choreoctl installs it.
const OPENCHOREO_CONTROL_PLANE: &str = "openchoreo-control-plane";

/// CRD groups installed by a chart the plan installs, with the chart (its release must own
/// them, or helm refuses to install over them).
const CRD_OWNERS: &[(&str, &str)] = &[
    ("cert-manager.io", "cert-manager"),
    ("acme.cert-manager.io", "cert-manager"),
    ("external-secrets.io", "external-secrets"),
    ("generators.external-secrets.io", "external-secrets"),
    ("gateway.kgateway.dev", "kgateway-crds"),
];

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

fn pass(id: &'static str, message: String) -> Check {
    Check {
        id,
        verdict: Verdict::Pass,
        message,
        hint: None,
    }
}

fn warn(id: &'static str, message: String, hint: impl Into<String>) -> Check {
    Check {
        id,
        verdict: Verdict::Warn,
        message,
        hint: Some(hint.into()),
    }
}

fn fail(id: &'static str, message: String, hint: impl Into<String>) -> Check {
    Check {
        id,
        verdict: Verdict::Fail,
        message,
        hint: Some(hint.into()),
    }
}

fn unread(id: &'static str, what: &str, reason: &str) -> Check {
    warn(
        id,
        format!("could not read {what}: {reason}"),
        "this check needs read access to them; the others still ran",
    )
}

/// Whether a server `gitVersion` (`v1.31.4`, `v1.31.4-eks-2d98532`, `v1.30.2+k3s1`) is in a
/// helm-style range (`>=1.30.0-0`). Vendor suffixes are ignored: they name builds of the same
/// Kubernetes release, not pre-releases.
pub fn version_in_range(git_version: &str, range: &str) -> Result<bool, String> {
    let requirement =
        VersionReq::parse(range).map_err(|e| format!("range `{range}` is not valid: {e}"))?;
    let core = git_version
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()
        .unwrap_or_default();
    let version = Version::parse(core)
        .map_err(|e| format!("server version `{git_version}` is not a version: {e}"))?;
    Ok(requirement.matches(&version))
}

/// The server version against the catalog's range for the OpenChoreo release.
pub fn kubernetes_version(git_version: &str, range: &str, release: &str) -> Check {
    const ID: &str = "kubernetes-version";
    match version_in_range(git_version, range) {
        Ok(true) => pass(
            ID,
            format!(
                "Kubernetes {git_version} is in the range OpenChoreo {release} supports ({range})"
            ),
        ),
        Ok(false) => fail(
            ID,
            format!(
                "Kubernetes {git_version} is outside the range OpenChoreo {release} supports ({range})"
            ),
            "upgrade the cluster, or pick a release of OpenChoreo that supports it",
        ),
        Err(reason) => warn(
            ID,
            format!("cannot compare the server version with {range}: {reason}"),
            "make sure the cluster runs a supported Kubernetes release",
        ),
    }
}

/// Answers to the SelfSubjectAccessReviews of what install does on the cluster.
pub fn permissions(answers: &[(Access, Read<bool>)], context: &str) -> Check {
    const ID: &str = "permissions";
    let denied: Vec<String> = answers
        .iter()
        .filter(|(_, answer)| matches!(answer, Ok(false)))
        .map(|(access, _)| access.describe())
        .collect();
    let unknown: Vec<String> = answers
        .iter()
        .filter_map(|(access, answer)| {
            answer
                .as_ref()
                .err()
                .map(|reason| format!("{}: {reason}", access.describe()))
        })
        .collect();
    if let Some(first) = denied.first() {
        return fail(
            ID,
            format!(
                "{} of {} permissions install needs are denied: {}",
                denied.len(),
                answers.len(),
                denied.join(", ")
            ),
            format!(
                "install creates CRDs, cluster roles, webhooks and namespaces: use credentials \
                 with cluster-admin on this cluster (check one with \
                 `kubectl auth can-i {first} --context {context}`)"
            ),
        );
    }
    if !unknown.is_empty() {
        return fail(
            ID,
            format!(
                "could not ask the API server about permissions: {}",
                unknown.join("; ")
            ),
            format!(
                "check the credentials of context `{context}`: kubectl --context {context} auth can-i --list"
            ),
        );
    }
    pass(
        ID,
        format!(
            "the credentials may do what install does ({} permissions asked)",
            answers.len()
        ),
    )
}

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

/// Releases and CRDs already on the cluster that the plan installs: ours (journaled),
/// someone else's under the same name (install adopts them: helm upgrade with the profile's
/// values), or in the way (CRDs owned by another release or by none: helm refuses).
pub fn components(
    needs: &ClusterNeeds,
    facts: &Facts,
    installation: &str,
    journaled: &Journaled,
) -> Vec<Check> {
    const ID: &str = "existing-components";
    let mut checks = Vec::new();
    let releases = match &facts.releases {
        Ok(releases) => releases,
        Err(reason) => return vec![unread(ID, "helm releases", reason)],
    };
    let others: Vec<&str> = facts
        .installations
        .as_ref()
        .map(|names| {
            names
                .iter()
                .map(String::as_str)
                .filter(|name| *name != installation)
                .collect()
        })
        .unwrap_or_default();
    checks.extend(adopted_releases(needs, releases, journaled, &others));
    match &facts.crds {
        Ok(crds) => {
            checks.extend(crd_owners(needs, crds));
            checks.extend(gateway_api(needs, crds));
        }
        Err(reason) => checks.push(unread(ID, "CustomResourceDefinitions", reason)),
    }
    checks
}

fn adopted_releases(
    needs: &ClusterNeeds,
    releases: &ReleaseStates,
    journaled: &Journaled,
    other_installations: &[&str],
) -> Option<Check> {
    const ID: &str = "existing-components";
    let mut ours = 0;
    let mut foreign = Vec::new();
    let mut pending = Vec::new();
    for planned in &needs.releases {
        let Some(found) = releases.get(&planned.namespace, &planned.name) else {
            continue;
        };
        let label = format!("{}/{}", planned.namespace, planned.name);
        if found.status.is_pending() {
            pending.push(format!("{label} ({})", found.status));
        }
        match journaled {
            Journaled::Steps(steps) if steps.contains(&planned.step) => ours += 1,
            _ => foreign.push(label),
        }
    }
    let pending_note = if pending.is_empty() {
        String::new()
    } else {
        format!(
            "; left pending by a dead helm: {} (install recovers them)",
            pending.join(", ")
        )
    };
    if foreign.is_empty() {
        return (ours > 0 || !pending.is_empty()).then(|| {
            pass(
                ID,
                format!(
                    "{ours} of {} releases were installed by choreoctl; install upgrades only \
                     those whose inputs changed{pending_note}",
                    needs.releases.len()
                ),
            )
        });
    }
    let scripts = *journaled == Journaled::Absent
        && other_installations.is_empty()
        && needs.control
        && foreign.iter().any(|label| {
            label == &format!("{OPENCHOREO_CONTROL_PLANE}/{OPENCHOREO_CONTROL_PLANE}")
        });
    let named;
    let who = if scripts {
        "an OpenChoreo installation made without choreoctl (OpenChoreo's install scripts use \
         these release names)"
    } else if !other_installations.is_empty() {
        named = format!(
            "releases of another choreoctl installation on this cluster ({}) or of someone else",
            other_installations.join(", ")
        );
        &named
    } else if *journaled == Journaled::Unknown {
        "releases choreoctl cannot tell it installed (its journal on the control plane could \
         not be read)"
    } else {
        "releases installed by someone else"
    };
    Some(warn(
        ID,
        format!(
            "{who}: {}; install adopts them (helm upgrade with the profile's values, replacing \
             theirs){pending_note}",
            foreign.join(", ")
        ),
        "compare their values (helm get values RELEASE -n NAMESPACE) with `choreoctl render`; \
         the profile has no setting to leave a release as it is (docs/check.md)",
    ))
}

fn crd_owners(needs: &ClusterNeeds, crds: &[CrdFact]) -> Vec<Check> {
    const ID: &str = "crd-ownership";
    let mut checks = Vec::new();
    for planned in &needs.releases {
        let groups: Vec<&str> = CRD_OWNERS
            .iter()
            .filter(|(_, chart)| *chart == planned.chart)
            .map(|(group, _)| *group)
            .collect();
        if groups.is_empty() {
            continue;
        }
        let expected = (planned.namespace.clone(), planned.name.clone());
        let mut unowned = Vec::new();
        let mut elsewhere = BTreeSet::new();
        for crd in crds
            .iter()
            .filter(|crd| groups.contains(&crd.group.as_str()))
        {
            match &crd.helm_release {
                None => unowned.push(crd.name.as_str()),
                Some(owner) if *owner != expected => {
                    elsewhere.insert(format!("{}/{}", owner.0, owner.1));
                }
                Some(_) => {}
            }
        }
        if !elsewhere.is_empty() {
            let owners: Vec<String> = elsewhere.into_iter().collect();
            checks.push(fail(
                ID,
                format!(
                    "the {} CRDs belong to helm release {}, not {}/{}: helm refuses to install \
                     over them",
                    planned.chart,
                    owners.join(", "),
                    planned.namespace,
                    planned.name
                ),
                format!(
                    "two {} installations would fight over the same CRDs and webhooks: \
                     uninstall {} (helm uninstall NAME -n NAMESPACE) first; the profile has no \
                     setting to reuse it",
                    planned.chart,
                    owners.join(", ")
                ),
            ));
        } else if let Some(first) = unowned.first() {
            checks.push(fail(
                ID,
                format!(
                    "{} {} CRDs (e.g. {first}) were installed without helm: helm refuses to \
                     install release {}/{} over them",
                    unowned.len(),
                    planned.chart,
                    planned.namespace,
                    planned.name
                ),
                format!(
                    "let the release adopt them: for each, kubectl label crd NAME \
                     app.kubernetes.io/managed-by=Helm && kubectl annotate crd NAME \
                     meta.helm.sh/release-name={} meta.helm.sh/release-namespace={}",
                    planned.name, planned.namespace
                ),
            ));
        }
    }
    checks
}

fn gateway_api(needs: &ClusterNeeds, crds: &[CrdFact]) -> Option<Check> {
    const ID: &str = "gateway-api-crds";
    let pinned = needs.gateway_api.as_deref()?;
    let versions: BTreeSet<&str> = crds
        .iter()
        .filter(|crd| crd.group == "gateway.networking.k8s.io")
        .map(|crd| crd.bundle_version.as_deref().unwrap_or("unknown"))
        .collect();
    match versions.iter().copied().collect::<Vec<_>>().as_slice() {
        [] => None,
        [only] if *only == pinned => Some(pass(
            ID,
            format!("Gateway API CRDs {pinned} are already installed (applied again unchanged)"),
        )),
        found => Some(warn(
            ID,
            format!(
                "Gateway API CRDs {} are installed; install applies {pinned} over them",
                found.join(", ")
            ),
            "fields another tool applied conflict unless install runs with --force-conflicts; \
             a cluster whose provider manages Gateway API (e.g. GKE) keeps its own version",
        )),
    }
}

/// Namespaces install creates that exist and are being deleted, or managed by another tool.
pub fn namespaces(needs: &ClusterNeeds, facts: &Facts) -> Option<Check> {
    const ID: &str = "free-names";
    let namespaces = match &facts.namespaces {
        Ok(namespaces) => namespaces,
        Err(reason) => return Some(unread(ID, "namespaces", reason)),
    };
    let wanted: Vec<_> = namespaces
        .iter()
        .filter(|namespace| needs.namespaces.contains(&namespace.name))
        .collect();
    let terminating: Vec<&str> = wanted
        .iter()
        .filter(|namespace| namespace.terminating)
        .map(|namespace| namespace.name.as_str())
        .collect();
    if let Some(first) = terminating.first() {
        return Some(fail(
            ID,
            format!(
                "namespaces install uses are being deleted: {}",
                terminating.join(", ")
            ),
            format!(
                "wait until they are gone (kubectl get namespace {first}), or find what holds their finalizers"
            ),
        ));
    }
    let managed: Vec<String> = wanted
        .iter()
        .filter_map(|namespace| {
            let by = namespace.managed_by.as_deref()?;
            (!by.eq_ignore_ascii_case("helm") && by != "choreoctl")
                .then(|| format!("{} (managed by {by})", namespace.name))
        })
        .collect();
    if !managed.is_empty() {
        return Some(warn(
            ID,
            format!(
                "namespaces install uses are managed by another tool: {}",
                managed.join(", ")
            ),
            "that tool may prune what install puts there: exclude these namespaces from it",
        ));
    }
    Some(pass(
        ID,
        format!(
            "the {} namespaces install uses are free or already its own",
            needs.namespaces.len()
        ),
    ))
}

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
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::preflight::facts::{NamespaceFact, ServiceFact};
    use crate::engine::preflight::needs::PlannedRelease;

    fn facts() -> Facts {
        Facts {
            version: "v1.33.1".into(),
            access: Vec::new(),
            nodes: Ok(vec![NodeFact {
                name: "n1".into(),
                ready: true,
                message: String::new(),
                provider_id: None,
            }]),
            daemonsets: Ok(Vec::new()),
            storage_classes: Ok(Vec::new()),
            load_balancers: Ok(Vec::new()),
            crds: Ok(Vec::new()),
            releases: Ok(ReleaseStates::default()),
            namespaces: Ok(Vec::new()),
            installations: Ok(Vec::new()),
        }
    }

    fn release_states(releases: &[(&str, &str, &str)]) -> ReleaseStates {
        let labels: Vec<(&str, BTreeMap<String, String>)> = releases
            .iter()
            .map(|(namespace, name, status)| {
                let labels = [("name", *name), ("status", *status), ("version", "1")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                (*namespace, labels)
            })
            .collect();
        ReleaseStates::from_labels(labels.iter().map(|(ns, l)| (*ns, l)))
    }

    fn needs_cert_manager() -> ClusterNeeds {
        ClusterNeeds {
            control: true,
            releases: vec![PlannedRelease {
                step: "secure-core/cert-manager@control".into(),
                namespace: "cert-manager".into(),
                name: "cert-manager".into(),
                chart: "cert-manager".into(),
            }],
            ..ClusterNeeds::default()
        }
    }

    #[test]
    fn versions_are_compared_without_vendor_suffixes() {
        assert_eq!(version_in_range("v1.30.0", ">=1.30.0-0"), Ok(true));
        assert_eq!(
            version_in_range("v1.31.4-eks-2d98532", ">=1.30.0-0"),
            Ok(true)
        );
        assert_eq!(version_in_range("v1.32.1+k3s1", ">=1.30.0-0"), Ok(true));
        assert_eq!(version_in_range("v1.29.9", ">=1.30.0-0"), Ok(false));
        assert!(version_in_range("v0.0.0-master+$Format:%H$", ">=1.30.0-0").is_ok());
        assert!(version_in_range("banana", ">=1.30.0-0").is_err());
        let check = kubernetes_version("v1.29.9", ">=1.30.0-0", "1.2.3");
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.message.contains("outside"), "{}", check.message);
    }

    #[test]
    fn one_denied_permission_fails_with_the_can_i_command() {
        let access = super::super::needs::access(false);
        let mut answers: Vec<(Access, Read<bool>)> =
            access.iter().cloned().map(|a| (a, Ok(true))).collect();
        assert_eq!(permissions(&answers, "cp").verdict, Verdict::Pass);
        answers[1].1 = Ok(false);
        let check = permissions(&answers, "cp");
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.message.contains("1 of 10"), "{}", check.message);
        assert!(
            check.hint.as_deref().unwrap().contains(
                "kubectl auth can-i create customresourcedefinitions.apiextensions.k8s.io --context cp"
            ),
            "{:?}",
            check.hint
        );
        answers[1].1 = Err("forbidden".into());
        assert_eq!(permissions(&answers, "cp").verdict, Verdict::Fail);
    }

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

    #[test]
    fn releases_are_ours_adopted_or_from_openchoreo_scripts() {
        let mut needs = needs_cert_manager();
        needs.releases.push(PlannedRelease {
            step: "secure-core/control-plane@control".into(),
            namespace: OPENCHOREO_CONTROL_PLANE.into(),
            name: OPENCHOREO_CONTROL_PLANE.into(),
            chart: OPENCHOREO_CONTROL_PLANE.into(),
        });
        let mut facts = facts();
        assert!(components(&needs, &facts, "it", &Journaled::Absent).is_empty());
        facts.releases = Ok(release_states(&[
            ("cert-manager", "cert-manager", "deployed"),
            (
                OPENCHOREO_CONTROL_PLANE,
                OPENCHOREO_CONTROL_PLANE,
                "deployed",
            ),
        ]));
        let scripts = components(&needs, &facts, "it", &Journaled::Absent);
        assert_eq!(scripts[0].verdict, Verdict::Warn);
        assert!(scripts[0].message.contains("OpenChoreo's install scripts"));
        let journal = Journaled::Steps(
            [
                "secure-core/cert-manager@control",
                "secure-core/control-plane@control",
            ]
            .map(String::from)
            .into(),
        );
        let ours = components(&needs, &facts, "it", &journal);
        assert_eq!(ours[0].verdict, Verdict::Pass, "{:?}", ours[0]);
        // Another choreoctl installation's journal on the cluster: not OpenChoreo's scripts.
        facts.installations = Ok(vec!["it".into(), "lab".into()]);
        let other = components(&needs, &facts, "it", &Journaled::Absent);
        assert_eq!(other[0].verdict, Verdict::Warn);
        assert!(
            other[0]
                .message
                .contains("another choreoctl installation on this cluster (lab)")
        );
    }

    #[test]
    fn crds_owned_by_no_release_or_another_one_are_conflicts() {
        let needs = needs_cert_manager();
        let crd = |owner: Option<(&str, &str)>| CrdFact {
            name: "certificates.cert-manager.io".into(),
            group: "cert-manager.io".into(),
            helm_release: owner.map(|(ns, name)| (ns.into(), name.into())),
            bundle_version: None,
        };
        let mut facts = facts();
        facts.crds = Ok(vec![crd(Some(("cert-manager", "cert-manager")))]);
        assert!(components(&needs, &facts, "it", &Journaled::Absent).is_empty());
        facts.crds = Ok(vec![crd(None)]);
        let unowned = components(&needs, &facts, "it", &Journaled::Absent);
        assert_eq!(unowned[0].verdict, Verdict::Fail);
        assert!(
            unowned[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("meta.helm.sh/release-name=cert-manager")
        );
        facts.crds = Ok(vec![crd(Some(("platform", "certs")))]);
        let other = components(&needs, &facts, "it", &Journaled::Absent);
        assert_eq!(other[0].verdict, Verdict::Fail);
        assert!(other[0].message.contains("platform/certs"));
    }

    #[test]
    fn gateway_api_crds_of_another_version_warn() {
        let needs = ClusterNeeds {
            gateway_api: Some("v1.5.1".into()),
            ..ClusterNeeds::default()
        };
        let crd = |version: &str| CrdFact {
            name: "gateways.gateway.networking.k8s.io".into(),
            group: "gateway.networking.k8s.io".into(),
            helm_release: None,
            bundle_version: Some(version.into()),
        };
        assert_eq!(
            gateway_api(&needs, &[crd("v1.5.1")]).unwrap().verdict,
            Verdict::Pass
        );
        assert_eq!(
            gateway_api(&needs, &[crd("v1.2.0")]).unwrap().verdict,
            Verdict::Warn
        );
        assert!(gateway_api(&needs, &[]).is_none());
    }

    #[test]
    fn namespaces_being_deleted_fail() {
        let needs = ClusterNeeds {
            namespaces: ["cert-manager".to_owned()].into(),
            ..ClusterNeeds::default()
        };
        let mut facts = facts();
        let namespace = |terminating, managed_by: Option<&str>| NamespaceFact {
            name: "cert-manager".into(),
            terminating,
            managed_by: managed_by.map(String::from),
        };
        facts.namespaces = Ok(vec![namespace(true, None)]);
        assert_eq!(namespaces(&needs, &facts).unwrap().verdict, Verdict::Fail);
        facts.namespaces = Ok(vec![namespace(false, Some("argocd"))]);
        assert_eq!(namespaces(&needs, &facts).unwrap().verdict, Verdict::Warn);
        facts.namespaces = Ok(vec![namespace(false, Some("Helm"))]);
        assert_eq!(namespaces(&needs, &facts).unwrap().verdict, Verdict::Pass);
    }

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
