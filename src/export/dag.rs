//! The plan's DAG as an export sees it: only the steps an export turns into objects, each with
//! its nearest exported ancestors (edges through wait and read steps are kept) and its wave,
//! the depth in that DAG.

use crate::plan::{Plan, Step};

/// The plan's DAG restricted to the steps `keep` selects.
#[derive(Debug, Clone)]
pub struct Dag {
    /// For every step of the plan (by index): the nearest kept ancestors, in plan order.
    pub needs: Vec<Vec<usize>>,
    /// For every step of the plan: its depth among kept steps (0: no kept ancestor).
    pub waves: Vec<usize>,
}

impl Dag {
    /// Walks the plan once (its steps are in a valid execution order).
    pub fn new(plan: &Plan, keep: impl Fn(&Step) -> bool) -> Self {
        let index: std::collections::HashMap<&str, usize> = plan
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| (step.id.as_str(), i))
            .collect();
        let mut needs: Vec<Vec<usize>> = Vec::with_capacity(plan.steps.len());
        for step in &plan.steps {
            let mut nearest = Vec::new();
            for need in &step.needs {
                let parent = index[need.as_str()];
                if keep(&plan.steps[parent]) {
                    nearest.push(parent);
                } else {
                    nearest.extend(needs[parent].iter().copied());
                }
            }
            nearest.sort_unstable();
            nearest.dedup();
            needs.push(nearest);
        }
        let mut waves: Vec<usize> = Vec::with_capacity(plan.steps.len());
        for parents in &needs {
            let wave = parents.iter().map(|&p| waves[p] + 1).max().unwrap_or(0);
            waves.push(wave);
        }
        Self { needs, waves }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ReadAction, Step};

    fn step(id: &str, kind: &str, needs: &[&str]) -> Step {
        let resource = serde_json::from_value(serde_json::json!(
            {"apiVersion": "v1", "kind": "Secret", "name": id}
        ))
        .expect("resource ref");
        Step {
            id: id.into(),
            module: "m".into(),
            plane: "p".into(),
            subject: "p".into(),
            context: None,
            kubeconfig: None,
            namespace: None,
            action: match kind {
                "read" => Action::Read(ReadAction {
                    resource,
                    key: "k".into(),
                    placeholder: "<x>".into(),
                }),
                _ => Action::Apply(crate::plan::ApplyAction::Objects(vec![])),
            },
            needs: needs.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn edges_pass_through_dropped_steps_and_waves_are_depths() {
        let plan = Plan {
            api_version: "v",
            kind: "Plan",
            name: "t".into(),
            edition: "generic".into(),
            version: "1".into(),
            planes: vec![],
            modules: vec![],
            planned: vec![],
            steps: vec![
                step("a", "apply", &[]),
                step("b", "apply", &[]),
                step("r", "read", &["a"]),
                step("c", "apply", &["r", "b"]),
                step("d", "apply", &["c", "a"]),
            ],
        };
        let dag = Dag::new(&plan, |s| s.kind() != crate::plan::StepKind::Read);
        assert_eq!(dag.needs[3], vec![0, 1]);
        assert_eq!(dag.needs[4], vec![0, 3]);
        assert_eq!(dag.waves, vec![0, 0, 1, 1, 2]);
    }
}
