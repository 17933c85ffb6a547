//! What a removal takes away, decided from the journal (pure): every journaled step that made
//! something (a release, applied objects) and that the plan being run no longer has becomes a
//! remove step (src/engine/steps/remove.rs), appended to that plan.
//!
//! The order is the journal's, reversed: a step's removal waits for the removal of every step
//! that needed it, directly or through others (the journal keeps each step's needs), so plane
//! resources go before the agents they register and OpenChoreo's objects before the
//! controllers that finalize them. Every removal also waits for the plan's own steps: those
//! unwire first (served planes stop pointing at a removed observability plane). A namespace
//! the removed releases were in, which nothing of the plan uses, goes last.
//!
//! The removal is planned before the question from the journal as [`read_journal`] finds it.
//! The journal is the state, as Terraform's is: a run killed half-way has forgotten what it
//! removed and still holds what it did not, so running the same command again finishes it.

use std::collections::{BTreeMap, BTreeSet};

use std::path::PathBuf;

use super::error::EngineError;
use super::journal::{Journal, JournalStore, Made};
use super::kube::{Clusters, Target};
use super::ownership;
use crate::catalog::model::ResourceRef;
use crate::plan::{Action, ChartCrds, Plan, Removal, RemoveAction, Step};
use crate::platform::PlaneType;
use crate::resolve::Plane;

/// Which journaled steps a removal takes away (besides being absent from the plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Those of these modules (`module remove`: the module and what was only there for it).
    Modules(BTreeSet<String>),
    /// Those about these planes (`plane remove`): the steps on the plane's cluster and its
    /// registration with the control plane.
    Planes(BTreeSet<String>),
    /// Every one (`uninstall --all`).
    Everything,
}

impl Scope {
    fn covers(&self, id: &str) -> bool {
        match self {
            Scope::Modules(modules) => modules.contains(module_of(id)),
            Scope::Planes(planes) => planes.contains(subject_of(id)),
            Scope::Everything => true,
        }
    }
}

/// The journal of `plan`'s installation, read from its control plane's cluster without the
/// lock, to plan a removal from before asking. A run that changed the installation in between
/// is found by the remove steps themselves: removing what is gone already is done at once.
/// `None`: the installation has none yet.
///
/// # Errors
///
/// [`EngineError::Cluster`] (exit 4) when the control plane's cluster cannot be reached;
/// [`EngineError::Journal`] (exit 1) when the journal cannot be read.
pub async fn read_journal(
    plan: &Plan,
    kubeconfig: Option<PathBuf>,
) -> Result<Option<Journal>, EngineError> {
    let control = plan
        .planes
        .iter()
        .find(|plane| plane.plane_type == PlaneType::Control)
        .ok_or(EngineError::NoControlPlane)?;
    let cluster = Clusters::new(kubeconfig)
        .connect(&Target::of_plane(control))
        .await?;
    let store = JournalStore::new(cluster.client(), &plan.name);
    Ok(store.load().await?.map(|stored| stored.journal))
}

/// The planes of `plan` whose cluster keeps the state of another installation too, with those
/// installations (src/engine/ownership.rs): the CRDs there are shared, so a removal keeps them.
///
/// # Errors
///
/// [`EngineError::Cluster`] (exit 4) when a cluster cannot be reached or read.
pub async fn shared_planes(
    plan: &Plan,
    kubeconfig: Option<PathBuf>,
) -> Result<BTreeMap<String, Vec<String>>, EngineError> {
    let clusters = Clusters::new(kubeconfig);
    let mut shared = BTreeMap::new();
    for plane in &plan.planes {
        let cluster = clusters.connect(&Target::of_plane(plane)).await?;
        let mut others = ownership::installations_on(cluster.client())
            .await
            .map_err(|e| cluster.api_error("listing", "the installations it keeps state of", e))?;
        others.remove(&plan.name);
        if !others.is_empty() {
            shared.insert(plane.name.clone(), others.into_iter().collect());
        }
    }
    Ok(shared)
}

/// What a removal takes away besides the plan's own steps, and what it keeps.
#[derive(Debug, Clone)]
pub struct Removing {
    /// Which journaled steps.
    pub scope: Scope,
    /// `--delete-data`: also delete the volume claims of removed releases.
    pub delete_data: bool,
    /// Charts whose `crds/` CRDs go with their releases, by the journaled id of the release's
    /// step (`uninstall`). Empty: they stay, as helm leaves them (`module remove`).
    pub chart_crds: BTreeMap<String, ChartCrds>,
    /// Planes on which every CRD stays, applied ones included: all with `--keep-crds`, and a
    /// plane whose cluster another installation uses too.
    pub crds_kept_on: BTreeSet<String>,
}

impl Removing {
    /// `module remove`: charts' CRDs stay, applied objects go, CRDs among them included.
    pub fn of(scope: Scope, delete_data: bool) -> Self {
        Removing {
            scope,
            delete_data,
            chart_crds: BTreeMap::new(),
            crds_kept_on: BTreeSet::new(),
        }
    }
}

/// The chart of every helm step of `plan`, by step id: what [`Removing::chart_crds`] takes
/// when the whole installation goes.
pub fn chart_crds(plan: &Plan) -> BTreeMap<String, ChartCrds> {
    plan.steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Helm(helm) => Some((
                step.id.clone(),
                ChartCrds {
                    chart: helm.chart.clone(),
                    version: helm.version.clone(),
                },
            )),
            _ => None,
        })
        .collect()
}

/// `plan` followed by the remove steps of every step `journal` records in the removal's scope
/// that `plan` does not have, on the planes of `plan`.
pub fn with_removals(mut plan: Plan, journal: &Journal, removing: &Removing) -> Plan {
    let kept: BTreeSet<&str> = plan.steps.iter().map(|step| step.id.as_str()).collect();
    let leftovers: BTreeMap<&str, &Made> = journal
        .steps
        .iter()
        .filter(|(id, _)| !kept.contains(id.as_str()) && removing.scope.covers(id))
        .filter_map(|(id, record)| Some((id.as_str(), record.made.as_ref()?)))
        .filter(|(_, made)| plan.planes.iter().any(|plane| plane.name == plane_of(made)))
        .filter(|(id, made)| !moved(&plan, id, made))
        .collect();
    let sinks = sinks(&plan);
    let mut removals: Vec<Step> = Vec::new();
    for (&id, &made) in &leftovers {
        let plane = plane(&plan.planes, plane_of(made));
        let keep_crds = removing.crds_kept_on.contains(&plane.name);
        let (namespace, what) = match made {
            Made::Release {
                namespace, name, ..
            } => (
                Some(namespace.clone()),
                Removal::Release {
                    release: name.clone(),
                    delete_data: removing.delete_data,
                    crds: (!keep_crds)
                        .then(|| removing.chart_crds.get(id).cloned())
                        .flatten(),
                },
            ),
            Made::Objects { objects, .. } => {
                let objects: Vec<ResourceRef> = objects
                    .iter()
                    .filter(|object| !(keep_crds && is_crd(object)))
                    .cloned()
                    .collect();
                if objects.is_empty() {
                    continue;
                }
                (None, Removal::Objects(objects))
            }
        };
        let mut needs: Vec<String> = dependents(journal, id)
            .into_iter()
            .filter(|dependent| leftovers.contains_key(dependent))
            .map(removal_id)
            .collect();
        needs.extend(sinks.iter().cloned());
        removals.push(Step {
            id: removal_id(id),
            module: module_of(id).to_owned(),
            plane: plane.name.clone(),
            subject: subject_of(id).to_owned(),
            context: plane.context.clone(),
            kubeconfig: plane.kubeconfig.clone(),
            namespace,
            action: Action::Remove(RemoveAction {
                of: Some(id.to_owned()),
                what,
            }),
            needs,
        });
    }
    let namespaces = namespace_removals(&plan, journal, &leftovers, &removals);
    removals.extend(namespaces);
    // Dependents first, so the steps stay in an order that runs.
    let order = execution_order(&removals);
    plan.steps
        .extend(order.into_iter().map(|index| removals[index].clone()));
    plan
}

/// One remove step per namespace of a removed release that nothing else uses on its plane:
/// the plan's steps, or releases the journal keeps.
fn namespace_removals(
    plan: &Plan,
    journal: &Journal,
    leftovers: &BTreeMap<&str, &Made>,
    removals: &[Step],
) -> Vec<Step> {
    let used: BTreeSet<(&str, &str)> = plan
        .steps
        .iter()
        .filter_map(|step| Some((step.plane.as_str(), step.namespace.as_deref()?)))
        .chain(
            journal
                .steps
                .iter()
                .filter_map(|(id, record)| match record.made.as_ref()? {
                    Made::Release {
                        plane, namespace, ..
                    } if !leftovers.contains_key(id.as_str()) => {
                        Some((plane.as_str(), namespace.as_str()))
                    }
                    _ => None,
                }),
        )
        .collect();
    let mut by_namespace: BTreeMap<(&str, &str), Vec<&Step>> = BTreeMap::new();
    for step in removals {
        if let Action::Remove(RemoveAction {
            what: Removal::Release { .. },
            ..
        }) = &step.action
        {
            let namespace = step.namespace.as_deref().unwrap_or("default");
            if !used.contains(&(step.plane.as_str(), namespace)) {
                by_namespace
                    .entry((step.plane.as_str(), namespace))
                    .or_default()
                    .push(step);
            }
        }
    }
    by_namespace
        .into_iter()
        .map(|((plane_name, namespace), releases)| {
            let plane = plane(&plan.planes, plane_name);
            let first = releases[0];
            let mut needs: Vec<String> = removals
                .iter()
                .filter(|step| step.plane == plane_name && touches(step, namespace))
                .map(|step| step.id.clone())
                .collect();
            needs.sort();
            Step {
                id: format!("{}/remove-namespace-{namespace}@{plane_name}", first.module),
                module: first.module.clone(),
                plane: plane_name.to_owned(),
                subject: plane_name.to_owned(),
                context: plane.context.clone(),
                kubeconfig: plane.kubeconfig.clone(),
                namespace: Some(namespace.to_owned()),
                action: Action::Remove(RemoveAction {
                    of: None,
                    what: Removal::Namespace,
                }),
                needs,
            }
        })
        .collect()
}

/// Whether the plan makes what journaled step `id` made under another plane's name on the same
/// cluster (`cert-manager@obs` for `cert-manager@dev`: the cluster's prerequisites go with the
/// first of its planes, so removing that plane moves them to the next): then it stays. Steps
/// run on another plane's cluster (registrations on the control plane's) are never moved.
fn moved(plan: &Plan, id: &str, made: &Made) -> bool {
    let Some((step_name, subject)) = id.rsplit_once('@') else {
        return false;
    };
    let Some(made_on) = plan
        .planes
        .iter()
        .find(|plane| plane.name == plane_of(made))
    else {
        return false;
    };
    if made_on.name != subject {
        return false;
    }
    let same_thing = |step: &Step| match (made, &step.action) {
        (
            Made::Release {
                namespace, name, ..
            },
            Action::Helm(helm),
        ) => helm.release == *name && step.namespace.as_deref() == Some(namespace),
        (Made::Objects { .. }, Action::Apply(_)) => true,
        _ => false,
    };
    plan.steps.iter().any(|step| {
        step.id.rsplit_once('@').map(|(name, _)| name) == Some(step_name)
            && step.subject == step.plane
            && same_thing(step)
            && plan.planes.iter().any(|plane| {
                plane.name == step.plane && plane.cluster_key() == made_on.cluster_key()
            })
    })
}

/// Whether `object` is a CustomResourceDefinition.
pub fn is_crd(object: &ResourceRef) -> bool {
    object.kind == "CustomResourceDefinition"
        && object.api_version.starts_with("apiextensions.k8s.io/")
}

/// Whether a remove step takes away something in `namespace`.
fn touches(step: &Step, namespace: &str) -> bool {
    match &step.action {
        Action::Remove(RemoveAction {
            what: Removal::Objects(objects),
            ..
        }) => objects
            .iter()
            .any(|object| object.namespace.as_deref() == Some(namespace)),
        _ => step.namespace.as_deref() == Some(namespace),
    }
}

/// The journaled steps that needed `id`, directly or through other journaled steps.
fn dependents<'a>(journal: &'a Journal, id: &str) -> BTreeSet<&'a str> {
    let mut found = BTreeSet::new();
    let mut frontier = vec![id.to_owned()];
    while let Some(current) = frontier.pop() {
        for (other, record) in &journal.steps {
            if record.needs.contains(&current) && found.insert(other.as_str()) {
                frontier.push(other.clone());
            }
        }
    }
    found
}

/// The plan's steps no other step needs: once they are done, every step is.
fn sinks(plan: &Plan) -> Vec<String> {
    let needed: BTreeSet<&str> = plan
        .steps
        .iter()
        .flat_map(|step| step.needs.iter().map(String::as_str))
        .collect();
    plan.steps
        .iter()
        .filter(|step| !needed.contains(step.id.as_str()))
        .map(|step| step.id.clone())
        .collect()
}

/// Indices of `steps` with each after the steps it needs (among `steps`).
fn execution_order(steps: &[Step]) -> Vec<usize> {
    let ids: BTreeMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(index, step)| (step.id.as_str(), index))
        .collect();
    let mut placed = vec![false; steps.len()];
    let mut order = Vec::with_capacity(steps.len());
    while order.len() < steps.len() {
        let before = order.len();
        for (index, step) in steps.iter().enumerate() {
            let ready = step
                .needs
                .iter()
                .filter_map(|need| ids.get(need.as_str()))
                .all(|&need| placed[need]);
            if !placed[index] && ready {
                placed[index] = true;
                order.push(index);
            }
        }
        assert!(order.len() > before, "journaled needs form no cycle");
    }
    order
}

/// `cd/remove-argo-cd@control` for `cd/argo-cd@control`.
fn removal_id(id: &str) -> String {
    let (module, rest) = id.split_once('/').unwrap_or(("", id));
    format!("{module}/remove-{rest}")
}

/// The module of step id `<module>/<step>@<subject>`.
fn module_of(id: &str) -> &str {
    id.split_once('/').map_or(id, |(module, _)| module)
}

/// The subject plane of step id `<module>/<step>@<subject>`.
fn subject_of(id: &str) -> &str {
    id.rsplit_once('@').map_or("", |(_, subject)| subject)
}

fn plane_of(made: &Made) -> &str {
    match made {
        Made::Release { plane, .. } | Made::Objects { plane, .. } => plane,
    }
}

fn plane<'a>(planes: &'a [Plane], name: &str) -> &'a Plane {
    planes
        .iter()
        .find(|plane| plane.name == name)
        .expect("leftovers are filtered to the plan's planes")
}

#[cfg(test)]
mod tests {
    use k8s_openapi::jiff::Timestamp;
    use serde_json::json;

    use super::*;
    use crate::engine::journal::{Digest, Operation};
    use crate::plan::fixtures;

    fn now() -> Timestamp {
        "2026-12-03T10:00:00Z".parse().unwrap()
    }

    /// A journal holding every step of `plan` as made, with its needs.
    fn journal_of(plan: &Plan) -> Journal {
        let mut journal = Journal::new(&plan.name, json!({}), Operation::Install, "me", now());
        for step in &plan.steps {
            journal.record_step(&step.id, Digest::of_json(&json!(1)), None, now());
            let made = match &step.action {
                Action::Helm(helm) => Some(Made::Release {
                    plane: step.plane.clone(),
                    namespace: step.namespace.clone().unwrap(),
                    name: helm.release.clone(),
                }),
                Action::Apply(_) => Some(Made::Objects {
                    plane: step.plane.clone(),
                    objects: vec![ResourceRef {
                        api_version: "v1".into(),
                        kind: "ConfigMap".into(),
                        namespace: step.namespace.clone(),
                        name: step.id.clone(),
                    }],
                }),
                _ => None,
            };
            journal.record_made(&step.id, made, &step.needs);
        }
        journal
    }

    fn removals(plan: &Plan) -> Vec<&Step> {
        plan.steps
            .iter()
            .filter(|step| matches!(step.action, Action::Remove(_)))
            .collect()
    }

    const WITH_CD: &str = "  modules: [{name: cd}]\n";

    #[test]
    fn a_removed_module_leaves_its_release_and_namespace_after_the_plan_and_nothing_else() {
        let before = fixtures::plan(&fixtures::profile("generic", WITH_CD));
        let after = fixtures::plan(&fixtures::profile("generic", ""));
        let journal = journal_of(&before);
        let scope = Scope::Modules(["cd".to_owned()].into());
        let planned = with_removals(after.clone(), &journal, &Removing::of(scope, false));
        let removed = removals(&planned);
        let ids: Vec<&str> = removed.iter().map(|step| step.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "cd/remove-argo-cd@control",
                "cd/remove-namespace-argocd@control"
            ],
            "{ids:?}"
        );
        let release = removed[0];
        assert!(matches!(
            &release.action,
            Action::Remove(RemoveAction { of: Some(of), what: Removal::Release { release, delete_data: false, crds: None } })
                if of == "cd/argo-cd@control" && release == "argo-cd"
        ));
        assert_eq!(release.namespace.as_deref(), Some("argocd"));
        // It waits for the plan's last steps: the plan unwires first.
        for sink in sinks(&after) {
            assert!(
                release.needs.contains(&sink),
                "{sink} in {:?}",
                release.needs
            );
        }
        assert_eq!(removed[1].needs, ["cd/remove-argo-cd@control"]);
        // The plan's own steps are untouched, in front.
        assert_eq!(planned.steps.len(), after.steps.len() + 2);
    }

    #[test]
    fn steps_are_removed_after_every_step_that_needed_them() {
        let before = fixtures::plan(&fixtures::profile("generic", ""));
        let after = Plan {
            steps: Vec::new(),
            ..before.clone()
        };
        let journal = journal_of(&before);
        let planned = with_removals(after, &journal, &Removing::of(Scope::Everything, true));
        let position: BTreeMap<&str, usize> = planned
            .steps
            .iter()
            .enumerate()
            .filter_map(|(index, step)| match &step.action {
                Action::Remove(remove) => Some((remove.of.as_deref()?, index)),
                _ => None,
            })
            .collect();
        assert!(position.len() > 5, "{position:?}");
        for (id, record) in &journal.steps {
            let Some(&at) = position.get(id.as_str()) else {
                continue;
            };
            for need in &record.needs {
                if let Some(&needed_at) = position.get(need.as_str()) {
                    assert!(
                        needed_at > at,
                        "{need} is removed before {id}, which needs it"
                    );
                    let step = &planned.steps[at];
                    let needed = &planned.steps[needed_at];
                    assert!(
                        needed.needs.contains(&step.id),
                        "{needed:?} waits for {}",
                        step.id
                    );
                }
            }
        }
        assert!(planned.steps.iter().all(|step| match &step.action {
            Action::Remove(RemoveAction {
                what: Removal::Release { delete_data, .. },
                ..
            }) => *delete_data,
            _ => true,
        }));
    }

    #[test]
    fn an_uninstall_takes_the_charts_crds_except_where_they_are_kept() {
        let before = fixtures::plan(&fixtures::profile("generic", ""));
        let mut journal = journal_of(&before);
        // An applied CRD, on the control plane.
        let crd = ResourceRef {
            api_version: "apiextensions.k8s.io/v1".into(),
            kind: "CustomResourceDefinition".into(),
            namespace: None,
            name: "gateways.gateway.networking.k8s.io".into(),
        };
        let applied = before
            .steps
            .iter()
            .find(|step| matches!(step.action, Action::Apply(_)))
            .expect("the secure core applies objects");
        journal.record_made(
            &applied.id,
            Some(Made::Objects {
                plane: applied.plane.clone(),
                objects: vec![crd.clone()],
            }),
            &applied.needs,
        );
        let charts = chart_crds(&before);
        let empty = Plan {
            steps: Vec::new(),
            ..before.clone()
        };
        let removing = Removing {
            chart_crds: charts.clone(),
            ..Removing::of(Scope::Everything, false)
        };
        let planned = with_removals(empty.clone(), &journal, &removing);
        let releases: Vec<&Step> = removals(&planned)
            .into_iter()
            .filter(|step| {
                matches!(
                    &step.action,
                    Action::Remove(RemoveAction {
                        what: Removal::Release { .. },
                        ..
                    })
                )
            })
            .collect();
        assert_eq!(releases.len(), charts.len());
        assert!(releases.iter().all(|step| matches!(
            &step.action,
            Action::Remove(RemoveAction {
                what: Removal::Release { crds: Some(_), .. },
                ..
            })
        )));
        let applied_removal = |plan: &Plan| {
            plan.steps
                .iter()
                .find(|step| matches!(&step.action, Action::Remove(RemoveAction { of: Some(of), .. }) if *of == applied.id))
                .map(|step| step.action.clone())
        };
        assert!(matches!(
            applied_removal(&planned),
            Some(Action::Remove(RemoveAction { what: Removal::Objects(objects), .. })) if objects == [crd.clone()]
        ));
        // Kept on the plane: charts' CRDs stay, and an applied CRD is no removal at all.
        let kept = Removing {
            crds_kept_on: [applied.plane.clone()].into(),
            ..removing
        };
        let planned = with_removals(empty, &journal, &kept);
        assert!(applied_removal(&planned).is_none());
        assert!(
            removals(&planned)
                .iter()
                .all(|step| step.plane != applied.plane
                    || !matches!(
                        &step.action,
                        Action::Remove(RemoveAction {
                            what: Removal::Release { crds: Some(_), .. },
                            ..
                        })
                    ))
        );
    }

    #[test]
    fn modules_out_of_scope_and_steps_the_plan_keeps_are_not_removed() {
        let before = fixtures::plan(&fixtures::profile("generic", WITH_CD));
        let journal = journal_of(&before);
        let kept = with_removals(
            before.clone(),
            &journal,
            &Removing::of(Scope::Everything, false),
        );
        assert!(removals(&kept).is_empty());
        let after = fixtures::plan(&fixtures::profile("generic", ""));
        let other = Scope::Modules(["observe".to_owned()].into());
        assert!(removals(&with_removals(after, &journal, &Removing::of(other, false))).is_empty());
    }

    /// A profile of a control plane on `cp` and data planes `planes` (name, context).
    fn profile_with(planes: &[(&str, &str)]) -> String {
        let mut text = "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\n\
            metadata: {name: t}\nspec:\n  edition: generic\n  planes:\n\
            \x20   - {name: control, type: control, context: cp}\n"
            .to_owned();
        for (name, context) in planes {
            text.push_str(&format!(
                "    - {{name: {name}, type: data, context: {context}}}\n"
            ));
        }
        text
    }

    /// The plan of the profile without `removed`, with that plane kept among its planes, as
    /// `plane remove` plans it.
    fn without_plane(before: &Plan, planes: &[(&str, &str)], removed: &str) -> Plan {
        let mut after = fixtures::plan(&profile_with(planes));
        let leaving = before.planes.iter().find(|plane| plane.name == removed);
        after.planes.push(leaving.unwrap().clone());
        after
    }

    #[test]
    fn a_removed_plane_is_deregistered_before_its_cluster_is_emptied() {
        let before = fixtures::plan(&profile_with(&[("local", "cp"), ("eu", "eu")]));
        let journal = journal_of(&before);
        let after = without_plane(&before, &[("local", "cp")], "eu");
        let scope = Scope::Planes(["eu".to_owned()].into());
        let planned = with_removals(after, &journal, &Removing::of(scope, false));
        let removed = removals(&planned);
        assert!(removed.len() > 5, "{removed:?}");
        assert!(
            removed.iter().all(|step| step.subject == "eu"),
            "{removed:?}"
        );
        let position = |id: &str| {
            removed
                .iter()
                .position(|step| step.id == id)
                .unwrap_or_else(|| panic!("no {id} in {removed:?}"))
        };
        let register = position("secure-core/remove-register@eu");
        assert_eq!(removed[register].plane, "control");
        assert!(register < position("secure-core/remove-data-plane@eu"));
        assert!(register < position("secure-core/remove-cert-manager@eu"));
        assert_eq!(
            removed[position("secure-core/remove-cert-manager@eu")].plane,
            "eu"
        );
    }

    #[test]
    fn what_the_plan_makes_on_the_same_cluster_under_another_plane_stays() {
        let planes = [("first", "eu"), ("second", "eu")];
        let before = fixtures::plan(&profile_with(&planes));
        assert!(
            before
                .steps
                .iter()
                .any(|s| s.id == "secure-core/cert-manager@first")
        );
        let journal = journal_of(&before);
        let after = without_plane(&before, &[("second", "eu")], "first");
        assert!(
            after
                .steps
                .iter()
                .any(|s| s.id == "secure-core/cert-manager@second")
        );
        let scope = Scope::Planes(["first".to_owned()].into());
        let planned = with_removals(after, &journal, &Removing::of(scope, false));
        let ids: Vec<&str> = removals(&planned).iter().map(|s| s.id.as_str()).collect();
        // Its registration goes; the cluster's prerequisites, and the data-plane release both
        // planes share there, stay for `second`.
        assert_eq!(ids, ["secure-core/remove-register@first"]);
    }
}
