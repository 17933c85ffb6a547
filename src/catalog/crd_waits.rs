//! The custom-resource rule: an apply step may create an object of a custom kind only after a
//! wait for that kind's CRD to be `Established`, somewhere in the chain of its needs.
//!
//! A chart that ships a CRD does not make it usable when `helm install` returns: some create
//! their CRDs from a Job or an operator at run time, and even a CRD the API server has just
//! accepted is served only once it is Established. An apply in between fails with
//! `no matches for kind …`. Apply steps therefore declare the custom kinds they create
//! (`creates: [Kind.group]`), and the catalog is rejected unless each has such a wait.
//! Kinds written literally in the step's template (`apiVersion:`/`kind:` at the start of a
//! line) must be declared, so a forgotten declaration is caught too; kinds the template
//! computes (the plane registrations) are declared by hand, and the plan test
//! `tests/it/crd_waits.rs` checks every rendered plan.

use std::collections::BTreeSet;

use super::Catalog;
use super::model::{Action, ApplyAction, Module, WaitCondition};

/// API groups served by the API server itself: their kinds need no CRD.
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
];

/// Whether objects of this `apiVersion` are served without a CRD.
pub fn is_built_in(api_version: &str) -> bool {
    let group = api_version
        .rsplit_once('/')
        .map_or("", |(group, _version)| group);
    BUILT_IN_GROUPS.contains(&group)
}

/// Whether `crd_name` is the CRD of `kind` in `group`: `<plural>.<group>`, the plural being
/// the lower-cased kind as is, or with `s`, `es`, or `y` turned into `ies` (Kubernetes'
/// conventions, which every CRD the catalog applies follows).
pub fn is_crd_of(crd_name: &str, kind: &str, group: &str) -> bool {
    let Some(plural) = crd_name
        .strip_suffix(group)
        .and_then(|rest| rest.strip_suffix('.'))
    else {
        return false;
    };
    let singular = kind.to_lowercase();
    let ies = singular.strip_suffix('y').map(|stem| format!("{stem}ies"));
    plural == singular
        || plural == format!("{singular}s")
        || plural == format!("{singular}es")
        || ies.as_deref() == Some(plural)
}

/// Checks every apply step of `module`. The error is `(message, help)`, naming the step and
/// the kind.
pub fn check(catalog: &Catalog, module: &Module) -> Result<(), (String, String)> {
    for step in &module.steps {
        let Action::Apply(apply) = &step.action else {
            continue;
        };
        let mut declared = BTreeSet::new();
        for entry in &step.creates {
            let Some((kind, group)) = entry.split_once('.') else {
                return Err((
                    format!("step `{}`: creates `{entry}` is not `Kind.group`", step.id),
                    "write the kind and its API group, e.g. `ExternalSecret.external-secrets.io`"
                        .into(),
                ));
            };
            if is_built_in(&format!("{group}/v1")) {
                return Err((
                    format!("step `{}`: creates `{entry}`, a built-in kind", step.id),
                    "list only custom resource kinds in `creates`".into(),
                ));
            }
            declared.insert((kind.to_string(), group.to_string()));
        }
        if let ApplyAction::Template(template) = apply {
            let source = catalog.templates.get(template).map_or("", String::as_str);
            for (kind, group) in literal_custom_kinds(source) {
                if !declared.contains(&(kind.clone(), group.clone())) {
                    return Err((
                        format!(
                            "step `{}`: template `templates/{template}` creates `{kind}.{group}`, \
                             which `creates` does not list",
                            step.id
                        ),
                        format!(
                            "add `{kind}.{group}` to the step's `creates` and a wait for its CRD \
                             to its needs"
                        ),
                    ));
                }
            }
        }
        let waits = crd_waits_needed_by(catalog, module, &step.needs);
        for (kind, group) in &declared {
            if !waits.iter().any(|crd| is_crd_of(crd, kind, group)) {
                return Err((
                    format!(
                        "step `{}` applies `{kind}` ({group}) without waiting for its CRD: no step \
                         in its needs waits for the CRD to be Established",
                        step.id
                    ),
                    format!(
                        "add a wait step (resource: {{apiVersion: apiextensions.k8s.io/v1, kind: \
                         CustomResourceDefinition, name: <plural>.{group}}}, condition: \
                         Established) after the step that installs it, and need it"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `(kind, group)` of every custom-kind object a template writes literally: an `apiVersion:`
/// line at the start of a line followed by a `kind:` line.
fn literal_custom_kinds(source: &str) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    let mut api_version: Option<&str> = None;
    for line in source.lines() {
        if let Some(value) = line.strip_prefix("apiVersion:") {
            api_version = Some(value.trim());
        } else if let (Some(version), Some(kind)) = (api_version, line.strip_prefix("kind:")) {
            let kind = kind.trim();
            let literal = kind.chars().all(|c| c.is_ascii_alphanumeric()) && !kind.is_empty();
            if literal && !is_built_in(version) && !version.contains("{{") {
                let group = version.rsplit_once('/').map_or("", |(group, _)| group);
                found.insert((kind.to_string(), group.to_string()));
            }
            api_version = None;
        }
    }
    found
}

/// Names of the CRDs waited for (condition Established) by any step reachable through
/// `needs` from a step of `module`.
fn crd_waits_needed_by(catalog: &Catalog, module: &Module, needs: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<(String, String)> = needs
        .iter()
        .map(|need| qualify(&module.name, need))
        .collect();
    let mut crds = Vec::new();
    while let Some((owner, id)) = queue.pop() {
        if !seen.insert((owner.clone(), id.clone())) {
            continue;
        }
        let Some(step) = catalog
            .modules
            .get(&owner)
            .and_then(|m| m.steps.iter().find(|step| step.id == id))
        else {
            continue;
        };
        if let Action::Wait(wait) = &step.action
            && wait.condition == WaitCondition::Established
            && wait.resource.kind == "CustomResourceDefinition"
        {
            crds.push(wait.resource.name.clone());
        }
        queue.extend(step.needs.iter().map(|need| qualify(&owner, need)));
    }
    crds
}

/// `step` → `(owner, step)`, `module/step` → `(module, step)`.
fn qualify(owner: &str, need: &str) -> (String, String) {
    match need.split_once('/') {
        Some((module, step)) => (module.to_string(), step.to_string()),
        None => (owner.to_string(), need.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_names_follow_the_plural_conventions() {
        assert!(is_crd_of(
            "clusterworkflowtemplates.argoproj.io",
            "ClusterWorkflowTemplate",
            "argoproj.io"
        ));
        assert!(is_crd_of("eventbus.argoproj.io", "EventBus", "argoproj.io"));
        assert!(is_crd_of(
            "ciliumclusterwidenetworkpolicies.cilium.io",
            "CiliumClusterwideNetworkPolicy",
            "cilium.io"
        ));
        assert!(!is_crd_of(
            "workflowtemplates.argoproj.io",
            "ClusterWorkflowTemplate",
            "argoproj.io"
        ));
        assert!(!is_crd_of(
            "gateways.x.gateway.networking.k8s.io",
            "Gateway",
            "networking.k8s.io"
        ));
    }

    #[test]
    fn built_in_groups_need_no_crd_and_gateway_api_does() {
        assert!(is_built_in("v1"));
        assert!(is_built_in("rbac.authorization.k8s.io/v1"));
        assert!(!is_built_in("gateway.networking.k8s.io/v1"));
        assert!(!is_built_in("argoproj.io/v1alpha1"));
    }

    #[test]
    fn literal_kinds_are_found_and_computed_ones_skipped() {
        let source = "apiVersion: v1\nkind: Namespace\n---\napiVersion: argoproj.io/v1alpha1\n\
                      kind: EventBus\nspec:\n  x:\n    kind: Role\n---\n\
                      apiVersion: openchoreo.dev/v1alpha1\nkind: {{ kinds[role] }}\n";
        let found: Vec<_> = literal_custom_kinds(source).into_iter().collect();
        assert_eq!(found, [("EventBus".into(), "argoproj.io".into())]);
    }
}
