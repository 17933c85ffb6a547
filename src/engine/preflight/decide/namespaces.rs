//! The namespaces install uses: not being deleted, not managed by another tool.

use super::{fail, pass, unread, warn};
use crate::engine::preflight::Check;
use crate::engine::preflight::facts::Facts;
use crate::engine::preflight::needs::ClusterNeeds;
use crate::names::MANAGED_BY;

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
            (!by.eq_ignore_ascii_case("helm") && by != MANAGED_BY)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preflight::Verdict;
    use crate::engine::preflight::decide::fixtures::facts;
    use crate::engine::preflight::facts::NamespaceFact;

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
}
