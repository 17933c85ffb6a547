//! The CA part of a plan, which `plane sync-ca` runs: the steps that read a public CA (a
//! Secret's `ca.crt`: a plane's agent CA, the cluster gateway's CA), the apply steps that carry
//! what they read (a plane's registration on the control plane, the copies of the gateway's CA
//! in each plane's namespace), the waits those steps need, and, for the planes asked for, a
//! restart of the agent that loads them only when it starts. Everything else a step needs (the
//! charts that made the certificates, the CRDs) is on a live installation already, so those
//! needs are dropped. Which steps these are is read from the plan's structure, never from
//! module or step names. Pure.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Action, ApplyAction, Plan, RestartAction, Step};
use crate::catalog::model::ResourceRef;

/// The part of `plan` that re-reads and re-applies the CAs of the planes in `planes` (the
/// control plane's gateway CA and its own copy always), with a restart step after them for
/// each plane in `restart` whose agent mounts them.
pub fn ca_sync(plan: &Plan, planes: &BTreeSet<String>, restart: &BTreeSet<String>) -> Plan {
    let control = plan
        .planes
        .iter()
        .find(|plane| plane.plane_type == crate::platform::PlaneType::Control)
        .map(|plane| plane.name.as_str());
    let about = |step: &Step| planes.contains(&step.subject) || Some(&*step.subject) == control;
    let reads: BTreeSet<&str> = plan
        .steps
        .iter()
        .filter(|step| about(step) && is_ca_read(step))
        .map(|step| step.id.as_str())
        .collect();
    let carriers: BTreeSet<&str> = plan
        .steps
        .iter()
        .filter(|step| {
            about(step)
                && matches!(step.action, Action::Apply(ApplyAction::Objects(_)))
                && step.needs.iter().any(|need| reads.contains(need.as_str()))
        })
        .map(|step| step.id.as_str())
        .collect();
    let waits: BTreeSet<&str> = plan
        .steps
        .iter()
        .filter(|step| reads.contains(step.id.as_str()) || carriers.contains(step.id.as_str()))
        .flat_map(|step| &step.needs)
        .filter(|need| {
            plan.steps
                .iter()
                .any(|step| &step.id == *need && matches!(step.action, Action::Wait(_)))
        })
        .map(String::as_str)
        .collect();
    let kept = |id: &str| reads.contains(id) || carriers.contains(id) || waits.contains(id);
    let mut steps: Vec<Step> = plan
        .steps
        .iter()
        .filter(|step| kept(&step.id))
        .map(|step| Step {
            needs: step
                .needs
                .iter()
                .filter(|need| kept(need))
                .cloned()
                .collect(),
            ..step.clone()
        })
        .collect();
    let restarts: Vec<Step> = steps
        .iter()
        .filter(|step| restart.contains(&step.subject) && step.plane == step.subject)
        .filter_map(|read| restart_step(read, &steps))
        .collect();
    steps.extend(restarts);
    // Only the clusters the steps run on are connected (and the control plane's, which holds
    // the lock and the journal).
    let planes = plan
        .planes
        .iter()
        .filter(|plane| {
            Some(plane.name.as_str()) == control || steps.iter().any(|s| s.plane == plane.name)
        })
        .cloned()
        .collect();
    Plan {
        steps,
        planes,
        ..plan.clone()
    }
}

/// A read of a Secret's `ca.crt`.
fn is_ca_read(step: &Step) -> bool {
    matches!(&step.action, Action::Read(read) if read.reads_ca())
}

/// The restart of the Deployments that mount the Secret `read` reads on its plane and the
/// ConfigMaps the kept steps apply beside it (same plane, same namespace), after every kept
/// step about that plane. `None` unless `read` is a CA read on its own plane.
fn restart_step(read: &Step, steps: &[Step]) -> Option<Step> {
    let Action::Read(action) = &read.action else {
        return None;
    };
    if !action.reads_ca() {
        return None;
    }
    let namespace = action
        .resource
        .namespace
        .clone()
        .or_else(|| read.namespace.clone())?;
    let mut mounts = vec![ResourceRef {
        namespace: None,
        ..action.resource.clone()
    }];
    let about_plane: Vec<&Step> = steps
        .iter()
        .filter(|step| step.subject == read.subject)
        .collect();
    for step in &about_plane {
        let Action::Apply(ApplyAction::Objects(objects)) = &step.action else {
            continue;
        };
        if step.plane != read.plane {
            continue;
        }
        for object in objects {
            if let Some(config) = config_map_in(object, &namespace, step.namespace.as_deref()) {
                mounts.push(config);
            }
        }
    }
    Some(Step {
        id: format!("{}/restart-agent@{}", read.module, read.subject),
        action: Action::Restart(RestartAction { mounts }),
        namespace: Some(namespace),
        needs: about_plane.iter().map(|step| step.id.clone()).collect(),
        ..read.clone()
    })
}

/// `object` as a reference, when it is a ConfigMap in `namespace` (its own, else the step's).
fn config_map_in(
    object: &Value,
    namespace: &str,
    step_namespace: Option<&str>,
) -> Option<ResourceRef> {
    if object["kind"].as_str() != Some("ConfigMap") {
        return None;
    }
    let in_namespace = object["metadata"]["namespace"].as_str().or(step_namespace);
    (in_namespace == Some(namespace)).then(|| ResourceRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: None,
        name: object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StepKind;
    use crate::plan::build::fixtures::{plan, profile};

    fn ids(plan: &Plan) -> Vec<&str> {
        plan.steps.iter().map(|step| step.id.as_str()).collect()
    }

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn only_the_ca_reads_their_carriers_and_their_waits_are_kept() {
        let full = plan(&profile("generic", ""));
        let synced = ca_sync(&full, &names(&["local", "eu"]), &BTreeSet::new());
        let kinds: BTreeSet<StepKind> = synced.steps.iter().map(Step::kind).collect();
        assert!(
            !kinds.contains(&StepKind::Helm),
            "no chart is installed again: {:?}",
            ids(&synced)
        );
        for id in [
            "secure-core/cluster-gateway-ca@control",
            "secure-core/publish-ca@control",
            "secure-core/agent-ca@eu",
            "secure-core/register@eu",
            "secure-core/plane-ca@eu",
            "secure-core/agent-cert-ready@eu",
            "secure-core/register@local",
        ] {
            assert!(
                ids(&synced).contains(&id),
                "{id} missing: {:?}",
                ids(&synced)
            );
        }
        let register = synced
            .steps
            .iter()
            .find(|step| step.id == "secure-core/register@eu")
            .unwrap();
        assert!(
            register
                .needs
                .contains(&"secure-core/agent-ca@eu".to_string()),
            "{:?}",
            register.needs
        );
        for step in &synced.steps {
            for need in &step.needs {
                assert!(
                    ids(&synced).contains(&need.as_str()),
                    "{} needs {need}",
                    step.id
                );
            }
        }
    }

    #[test]
    fn one_plane_keeps_the_control_planes_gateway_ca_and_no_other_plane() {
        let full = plan(&profile("generic", ""));
        let synced = ca_sync(&full, &names(&["eu"]), &BTreeSet::new());
        assert!(ids(&synced).contains(&"secure-core/cluster-gateway-ca@control"));
        assert!(
            synced.steps.iter().all(|step| step.subject != "local"),
            "{:?}",
            ids(&synced)
        );
        let planes: Vec<&str> = synced.planes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(planes, ["control", "eu"]);
    }

    #[test]
    fn a_restart_follows_the_planes_ca_steps_and_mounts_its_agent_secret_and_ca_copy() {
        let full = plan(&profile("generic", ""));
        let synced = ca_sync(&full, &names(&["local", "eu"]), &names(&["eu"]));
        let restarts: Vec<&Step> = synced
            .steps
            .iter()
            .filter(|step| step.kind() == StepKind::Restart)
            .collect();
        assert_eq!(restarts.len(), 1, "{:?}", ids(&synced));
        let restart = restarts[0];
        assert_eq!(restart.id, "secure-core/restart-agent@eu");
        assert_eq!(restart.context.as_deref(), Some("eu"));
        assert_eq!(restart.namespace.as_deref(), Some("openchoreo-data-plane"));
        let Action::Restart(action) = &restart.action else {
            unreachable!()
        };
        let mounts: Vec<String> = action
            .mounts
            .iter()
            .map(|mount| format!("{}/{}", mount.kind, mount.name))
            .collect();
        assert_eq!(
            mounts,
            ["Secret/cluster-agent-tls", "ConfigMap/cluster-gateway-ca"]
        );
        for need in ["secure-core/register@eu", "secure-core/plane-ca@eu"] {
            assert!(
                restart.needs.contains(&need.to_string()),
                "{:?}",
                restart.needs
            );
        }
    }
}
