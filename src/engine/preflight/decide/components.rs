//! Components already on the cluster that the plan installs: helm releases (ours, someone
//! else's used as they are or taken over, or left by OpenChoreo's own scripts), CRDs owned by
//! another release or by none, and Gateway API CRDs of another version.

use std::collections::BTreeSet;

use super::{fail, pass, unread, warn};
use crate::engine::helm::ReleaseStates;
use crate::engine::preflight::Check;
use crate::engine::preflight::facts::{CrdFact, Facts, Journaled};
use crate::engine::preflight::needs::ClusterNeeds;
use crate::engine::steps::helm::usable;

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

/// Releases and CRDs already on the cluster that the plan installs: ours (journaled, or
/// labelled as this installation's), someone else's under the same name (used as they are when
/// the catalog allows it and the version fits, a failure when it does not; otherwise install
/// takes them over: helm upgrade with the profile's values), or in the way (CRDs owned by
/// another release or by none: helm refuses).
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
    checks.extend(existing_releases(
        needs,
        facts,
        releases,
        journaled,
        &others,
        installation,
    ));
    match &facts.crds {
        Ok(crds) => {
            checks.extend(crd_owners(needs, crds));
            checks.extend(gateway_api(needs, crds));
        }
        Err(reason) => checks.push(unread(ID, "CustomResourceDefinitions", reason)),
    }
    checks
}

/// Someone else's releases of charts that may be used as they are: those of a usable version
/// (passes) and those of another (failures, with the two ways out).
fn used_as_they_are(
    used: &[String],
    incompatible: &[(String, String, String, String)],
) -> Vec<Check> {
    const ID: &str = "existing-components";
    let mut checks = Vec::new();
    if !used.is_empty() {
        checks.push(pass(
            ID,
            format!(
                "installed by someone else and used as they are (never upgraded nor \
                 uninstalled by choreoctl): {}",
                used.join(", ")
            ),
        ));
    }
    for (label, chart, version, range) in incompatible {
        checks.push(fail(
            ID,
            format!(
                "{label}: {chart} {version}, installed by someone else, is not a version \
                 OpenChoreo's charts work with ({range})"
            ),
            format!(
                "upgrade it to a version in {range}, or let choreoctl take it over: add \
                 `adopt: [{chart}]` under `spec` in the profile (docs/lifecycle.md)"
            ),
        ));
    }
    checks
}

fn existing_releases(
    needs: &ClusterNeeds,
    facts: &Facts,
    releases: &ReleaseStates,
    journaled: &Journaled,
    other_installations: &[&str],
    installation: &str,
) -> Vec<Check> {
    let mut ours = 0;
    let mut foreign = Vec::new();
    let mut pending = Vec::new();
    let mut used = Vec::new();
    let mut incompatible = Vec::new();
    for planned in &needs.releases {
        let Some(found) = releases.get(&planned.namespace, &planned.name) else {
            continue;
        };
        let label = format!("{}/{}", planned.namespace, planned.name);
        if found.status.is_pending() {
            pending.push(format!("{label} ({})", found.status));
        }
        let journaled_ours =
            matches!(journaled, Journaled::Steps(steps) if steps.contains(&planned.step));
        if journaled_ours || found.installation.as_deref() == Some(installation) {
            ours += 1;
            continue;
        }
        let Some(range) = &planned.external else {
            foreign.push(label);
            continue;
        };
        match facts.foreign_versions.get(&planned.step) {
            Some(Ok(version)) if usable(version, range) => {
                used.push(format!("{label} ({} {version})", planned.chart));
            }
            Some(Ok(version)) => incompatible.push((
                label,
                planned.chart.clone(),
                version.clone(),
                range.to_string(),
            )),
            Some(Err(reason)) => used.push(format!("{label} (its version unread: {reason})")),
            None => used.push(label),
        }
    }
    let mut checks = used_as_they_are(&used, &incompatible);
    checks.extend(taken_over(
        needs,
        ours,
        &foreign,
        &pending,
        journaled,
        other_installations,
    ));
    checks
}

/// Releases choreoctl runs already, and someone else's that install takes over.
fn taken_over(
    needs: &ClusterNeeds,
    ours: usize,
    foreign: &[String],
    pending: &[String],
    journaled: &Journaled,
    other_installations: &[&str],
) -> Option<Check> {
    const ID: &str = "existing-components";
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
            "{who}: {}; install takes them over (helm upgrade with the profile's values, \
             replacing theirs){pending_note}",
            foreign.join(", ")
        ),
        "compare their values (helm get values RELEASE -n NAMESPACE) with `choreoctl render`; \
         only prerequisites the catalog marks compatible (cert-manager, External Secrets) are \
         left as they are (docs/check.md)",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preflight::Verdict;
    use crate::engine::preflight::decide::fixtures::{facts, needs_cert_manager, release_states};
    use crate::engine::preflight::needs::PlannedRelease;

    fn with(checks: &[Check], verdict: Verdict) -> &Check {
        checks
            .iter()
            .find(|check| check.verdict == verdict)
            .unwrap_or_else(|| panic!("no {verdict:?} in {checks:#?}"))
    }

    #[test]
    fn releases_are_ours_used_as_they_are_taken_over_or_from_openchoreo_scripts() {
        let mut needs = needs_cert_manager();
        needs.releases.push(PlannedRelease {
            step: "secure-core/control-plane@control".into(),
            namespace: OPENCHOREO_CONTROL_PLANE.into(),
            name: OPENCHOREO_CONTROL_PLANE.into(),
            chart: OPENCHOREO_CONTROL_PLANE.into(),
            external: None,
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
        facts.foreign_versions = [(
            "secure-core/cert-manager@control".to_owned(),
            Ok("v1.19.4".to_owned()),
        )]
        .into();
        let scripts = components(&needs, &facts, "it", &Journaled::Absent);
        let warned = with(&scripts, Verdict::Warn);
        assert!(
            warned.message.contains("OpenChoreo's install scripts"),
            "{warned:?}"
        );
        assert!(
            !warned.message.contains("cert-manager/cert-manager"),
            "{warned:?}"
        );
        let used = with(&scripts, Verdict::Pass);
        assert!(
            used.message.contains("used as they are") && used.message.contains("v1.19.4"),
            "{used:?}"
        );
        // An old cert-manager of someone else's: fails, naming both ways out.
        facts.foreign_versions = [(
            "secure-core/cert-manager@control".to_owned(),
            Ok("v1.12.0".to_owned()),
        )]
        .into();
        let old = components(&needs, &facts, "it", &Journaled::Absent);
        let failed = with(&old, Verdict::Fail);
        assert!(failed.message.contains("v1.12.0"), "{failed:?}");
        assert!(
            failed
                .hint
                .as_deref()
                .unwrap()
                .contains("adopt: [cert-manager]"),
            "{failed:?}"
        );
        let journal = Journaled::Steps(
            [
                "secure-core/cert-manager@control",
                "secure-core/control-plane@control",
            ]
            .map(String::from)
            .into(),
        );
        let ours = components(&needs, &facts, "it", &journal);
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert_eq!(ours[0].verdict, Verdict::Pass, "{:?}", ours[0]);
        // Another choreoctl installation's journal on the cluster: not OpenChoreo's scripts.
        facts.installations = Ok(vec!["it".into(), "lab".into()]);
        let other = components(&needs, &facts, "it", &Journaled::Absent);
        assert!(
            with(&other, Verdict::Warn)
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
}
