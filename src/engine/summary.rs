//! The end of a run: per plane, how many steps of each kind had each outcome, and the run's
//! times.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::connect::PlaneCluster;
use super::executor::{Fate, Node, NodeResult, critical_path};
use super::reporter::Reporter;
use super::steps::{StepDone, StepError, Undo};
use crate::plan::{Plan, StepKind};

/// What became of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOutcome {
    /// It ran and succeeded.
    Done,
    /// It did not run: the journal shows it done with the same inputs.
    Unchanged,
    /// It ran and failed.
    Failed,
    /// It did not run: a step it needs failed, or the run was stopped.
    Skipped,
}

/// What became of the steps of one plane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaneSummary {
    /// Plane name.
    pub plane: String,
    /// Its context.
    pub context: String,
    /// Steps by kind and outcome.
    pub counts: BTreeMap<(StepKind, StepOutcome), usize>,
    /// Failed helm releases rolled back or uninstalled.
    pub rolled_back: usize,
    /// Time spent in this plane's steps (summed).
    pub busy: Duration,
}

impl PlaneSummary {
    /// Steps of any kind with `outcome`.
    pub fn count(&self, outcome: StepOutcome) -> usize {
        self.counts
            .iter()
            .filter(|((_, counted), _)| *counted == outcome)
            .map(|(_, count)| count)
            .sum()
    }

    /// Steps of `kind` with `outcome`.
    pub fn count_of(&self, kind: StepKind, outcome: StepOutcome) -> usize {
        self.counts.get(&(kind, outcome)).copied().unwrap_or(0)
    }
}

/// The end of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per plane, in plan order.
    pub planes: Vec<PlaneSummary>,
    /// Wall time of the execution.
    pub elapsed: Duration,
    /// The longest chain of needs by measured step time.
    pub critical_path: Duration,
    /// Failed steps: id and message.
    pub failures: Vec<(String, String)>,
    /// A dry run: nothing was changed.
    pub dry_run: bool,
}

impl Summary {
    /// Whether every step ran or was unchanged.
    pub fn succeeded(&self) -> bool {
        self.planes.iter().all(|plane| {
            plane.count(StepOutcome::Failed) == 0 && plane.count(StepOutcome::Skipped) == 0
        })
    }

    /// Steps of `kind` with `outcome`, over every plane.
    pub fn count_of(&self, kind: StepKind, outcome: StepOutcome) -> usize {
        self.planes
            .iter()
            .map(|plane| plane.count_of(kind, outcome))
            .sum()
    }

    /// Helm upgrades (or installs) run, failed ones included; none in a dry run.
    pub fn helm_upgrades(&self) -> usize {
        if self.dry_run {
            return 0;
        }
        self.count_of(StepKind::Helm, StepOutcome::Done)
            + self.count_of(StepKind::Helm, StepOutcome::Failed)
    }
}

/// The summary of executed steps, per plane; skipped steps are told to `reporter`.
pub fn summarize(
    plan: &Plan,
    planes: &[PlaneCluster],
    nodes: &[Node],
    results: &[NodeResult<StepDone, StepError>],
    elapsed: Duration,
    reporter: &dyn Reporter,
) -> Summary {
    let mut summary = Summary {
        planes: planes
            .iter()
            .map(|plane| PlaneSummary {
                plane: plane.name.clone(),
                context: plane.context_label(),
                ..PlaneSummary::default()
            })
            .collect(),
        elapsed,
        critical_path: critical_path(nodes, results),
        ..Summary::default()
    };
    for (step, result) in plan.steps.iter().zip(results) {
        let Some(plane) = summary.planes.iter_mut().find(|p| p.plane == step.plane) else {
            continue;
        };
        plane.busy += result.elapsed.unwrap_or_default();
        let outcome = match &result.fate {
            Fate::Done(done) if done.unchanged => StepOutcome::Unchanged,
            Fate::Done(_) => StepOutcome::Done,
            Fate::Failed(error) => {
                if matches!(error.undo(), Some(Undo::RolledBack | Undo::Uninstalled)) {
                    plane.rolled_back += 1;
                }
                summary.failures.push((step.id.clone(), error.to_string()));
                StepOutcome::Failed
            }
            Fate::Skipped { because } => {
                reporter.step_skipped(step, Some(because));
                StepOutcome::Skipped
            }
            Fate::NotStarted => {
                reporter.step_skipped(step, None);
                StepOutcome::Skipped
            }
        };
        *plane.counts.entry((step.kind(), outcome)).or_default() += 1;
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_upgrades_count_run_helm_steps_and_none_in_a_dry_run() {
        let mut plane = PlaneSummary::default();
        plane.counts.insert((StepKind::Helm, StepOutcome::Done), 2);
        plane
            .counts
            .insert((StepKind::Helm, StepOutcome::Failed), 1);
        plane
            .counts
            .insert((StepKind::Helm, StepOutcome::Unchanged), 4);
        plane.counts.insert((StepKind::Apply, StepOutcome::Done), 5);
        assert_eq!(plane.count(StepOutcome::Done), 7);
        let mut summary = Summary {
            planes: vec![plane],
            ..Summary::default()
        };
        assert_eq!(summary.helm_upgrades(), 3);
        assert!(!summary.succeeded());
        summary.dry_run = true;
        assert_eq!(summary.helm_upgrades(), 0);
    }
}
