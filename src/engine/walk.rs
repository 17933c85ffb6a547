//! The one loop over a plan, for every [`Mode`]: a run (`install`), a dry run
//! (`install --dry-run`) and a preview (`plan`, `diff`). Each step starts as soon as its own
//! needs are done, at most `concurrency` at once against one cluster ([`super::executor`]).
//! For each step the loop:
//!
//! 1. renders it with the outputs read so far ([`Outputs`]) and digests its inputs;
//! 2. asks its kind whether the journal lets it be skipped ([`steps::decide`]; a run skips it,
//!    a preview reports it as `no-op`; a dry run checks every step);
//! 3. runs, dry-runs or previews it ([`steps::execute`]), telling the [`Reporter`];
//! 4. keeps what a read step read for later steps, and in a run journals the finished step.
//!
//! A step on a plane a preview could not reach is `unreachable`; everything else about a mode
//! lives in the step kinds (src/engine/steps/).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::connect::PlaneCluster;
use super::executor::{Limits, Node, NodeResult, execute};
use super::helm::{HelmProcess, ReleaseStates};
use super::journal::{Finished, Journal, JournalWriter, Made, step_input_digest};
use super::outputs::Outputs;
use super::reporter::Reporter;
use super::steps::{
    self, Change, Known, Mode, Preview, RunReason, StepDecision, StepDone, StepEnv, StepError,
};
use crate::plan::{Action, Plan, Removal, RemoveAction, Step, StepKind};

/// The journal as the walk sees it.
pub enum Journaled<'a> {
    /// A dry run: checks every step, reads no journal.
    Unread,
    /// A preview: decides from the journal as it is (`None`: there is none yet).
    Read(Option<&'a Journal>),
    /// A run: decides from the journal and records every finished step in it.
    Written(&'a JournalWriter<'a>),
}

/// Settings every step runs with.
#[derive(Debug, Clone, Copy)]
pub struct StepSettings {
    /// Steps running at once against one cluster (`--concurrency`).
    pub concurrency: usize,
    /// `--timeout`: replaces each helm and wait step's own timeout.
    pub timeout: Option<Duration>,
    /// `--force-conflicts`.
    pub force_conflicts: bool,
    /// Whether `http://` manifest URLs may be fetched (plain-HTTP manifest mirror).
    pub manifests_plain_http: bool,
}

/// One walk over a plan.
pub struct Walk<'a> {
    /// How.
    pub mode: Mode,
    /// The plan.
    pub plan: &'a Plan,
    /// Its connected planes (a preview: those that answered).
    pub planes: &'a [PlaneCluster],
    /// helm's release state per plane name (read once per cluster).
    pub releases: &'a BTreeMap<String, ReleaseStates>,
    /// The helm binary (`None` in a preview, which runs no helm).
    pub helm: Option<&'a HelmProcess>,
    /// The journal.
    pub journal: Journaled<'a>,
    /// Settings of every step.
    pub settings: StepSettings,
    /// Told as steps start and finish.
    pub reporter: &'a dyn Reporter,
    /// Once set, no further step starts (Ctrl-C, a lost lock, a failed journal save).
    pub stop: &'a AtomicBool,
}

/// What a walk did: the executor's nodes and each step's result, in plan order.
pub struct Walked {
    /// One node per plan step.
    pub nodes: Vec<Node>,
    /// What became of each step.
    pub results: Vec<NodeResult<StepDone, StepError>>,
    /// Each step as it was rendered with the outputs read before it (`None`: it did not
    /// start).
    pub rendered: Vec<Option<Step>>,
    /// Wall time.
    pub elapsed: Duration,
}

impl Walk<'_> {
    /// Walks the plan; see the module documentation.
    pub async fn walk(&self) -> Walked {
        let nodes = self.nodes();
        let outputs = Mutex::new(Outputs::default());
        let rendered = Mutex::new(vec![None; self.plan.steps.len()]);
        let begun = Instant::now();
        let results = execute(
            &nodes,
            Limits {
                per_cluster: self.settings.concurrency.max(1),
                ..Limits::default()
            },
            self.stop,
            |index| self.step(index, &outputs, &rendered),
        )
        .await;
        Walked {
            nodes,
            results,
            rendered: rendered.into_inner().unwrap_or_else(|p| p.into_inner()),
            elapsed: begun.elapsed(),
        }
    }

    /// One executor node per step: steps on one cluster share its limit, whatever their plane.
    fn nodes(&self) -> Vec<Node> {
        let mut distinct: Vec<&Arc<super::kube::Cluster>> = Vec::new();
        self.plan
            .steps
            .iter()
            .map(|step| {
                let cluster = self.plane(&step.plane).map_or_else(String::new, |plane| {
                    let index = distinct
                        .iter()
                        .position(|known| Arc::ptr_eq(known, &plane.cluster))
                        .unwrap_or_else(|| {
                            distinct.push(&plane.cluster);
                            distinct.len() - 1
                        });
                    index.to_string()
                });
                Node {
                    id: step.id.clone(),
                    needs: step.needs.clone(),
                    cluster,
                    group: None,
                    cost: if step.kind() == StepKind::Helm { 3 } else { 1 },
                }
            })
            .collect()
    }

    fn plane(&self, name: &str) -> Option<&PlaneCluster> {
        self.planes.iter().find(|plane| plane.name == name)
    }

    async fn step(
        &self,
        index: usize,
        outputs: &Mutex<Outputs>,
        rendered_steps: &Mutex<Vec<Option<Step>>>,
    ) -> Result<StepDone, StepError> {
        let step = &self.plan.steps[index];
        let (rendered, waiting_for) = {
            let outputs = outputs.lock().unwrap_or_else(|p| p.into_inner());
            let rendered = outputs.render(step);
            let waiting_for = outputs.waiting_for(&rendered);
            (rendered, waiting_for)
        };
        rendered_steps.lock().unwrap_or_else(|p| p.into_inner())[index] = Some(rendered.clone());
        let Some(plane) = self.plane(&step.plane) else {
            assert_eq!(self.mode, Mode::Preview, "runs connect every plane");
            if let Action::Read(read) = &step.action {
                outputs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert_unread(&read.placeholder, &step.id);
            }
            return Ok(Preview::new(Change::Unreachable, "its cluster is unreachable").into());
        };
        let digest = step_input_digest(&rendered);
        let release_name = match &rendered.action {
            Action::Helm(helm) => Some(&helm.release),
            Action::Remove(RemoveAction {
                what: Removal::Release { release, .. },
                ..
            }) => Some(release),
            _ => None,
        };
        let release = release_name.and_then(|name| {
            self.releases.get(&step.plane).and_then(|states| {
                states.get(rendered.namespace.as_deref().unwrap_or("default"), name)
            })
        });
        let record = match &self.journal {
            Journaled::Unread => None,
            Journaled::Read(journal) => journal.and_then(|j| j.steps.get(&step.id).cloned()),
            Journaled::Written(writer) => writer.record(&step.id).await,
        };
        let decision = match &self.journal {
            Journaled::Unread => StepDecision::Run(RunReason::NotJournaled),
            _ => steps::decide(
                &rendered.action,
                &self.plan.name,
                record.as_ref(),
                &digest,
                release,
            ),
        };
        let started = Instant::now();
        if self.mode == Mode::Run && decision == StepDecision::Skip {
            if let Journaled::Written(writer) = &self.journal {
                let made = made(&rendered, &StepDone::default());
                writer
                    .record_made(&step.id, made, &step.needs, self.stop)
                    .await;
            }
            let result = Ok(StepDone {
                revision: record.and_then(|r| r.revision),
                unchanged: true,
                ..StepDone::default()
            });
            self.reporter
                .step_finished(step, started.elapsed(), &result);
            return result;
        }
        let env = StepEnv {
            mode: self.mode,
            cluster: &plane.cluster,
            helm: self.helm.zip(plane.helm_target.as_ref()),
            timeout: self.settings.timeout,
            force_conflicts: self.settings.force_conflicts,
            manifests_plain_http: self.settings.manifests_plain_http,
            installation: &self.plan.name,
        };
        let known = Known {
            release,
            decision: &decision,
            waiting_for: waiting_for.as_deref(),
        };
        self.reporter.step_started(step);
        let result = steps::execute(&env, &rendered, known).await;
        self.reporter
            .step_finished(step, started.elapsed(), &result);
        if let (Ok(done), Action::Read(read)) = (&result, &step.action) {
            let mut outputs = outputs.lock().unwrap_or_else(|p| p.into_inner());
            match &done.output {
                Some(value) => outputs.insert(&read.placeholder, value.clone()),
                None => outputs.insert_unread(&read.placeholder, &step.id),
            }
        }
        if let (Ok(done), Journaled::Written(writer)) = (&result, &self.journal) {
            match &step.action {
                // What it removed is no longer there to be journaled.
                Action::Remove(remove) => {
                    if let Some(of) = &remove.of {
                        writer.forget_step(of, self.stop).await;
                    }
                }
                _ => {
                    let finished = Finished {
                        id: &step.id,
                        digest,
                        revision: done.revision,
                        output: done.output.as_deref(),
                        made: made(&rendered, done),
                        needs: &step.needs,
                        external: done.external,
                    };
                    writer.record_step(finished, self.stop).await;
                }
            }
        }
        result
    }
}

/// What a finished helm or apply step made, as the journal keeps it for a later removal
/// (nothing for a release someone else installed).
fn made(step: &Step, done: &StepDone) -> Option<Made> {
    match &step.action {
        Action::Helm(_) if done.external => None,
        Action::Helm(helm) => Some(Made::Release {
            plane: step.plane.clone(),
            namespace: step.namespace.clone().unwrap_or_else(|| "default".into()),
            name: helm.release.clone(),
        }),
        Action::Apply(_) => Some(Made::Objects {
            plane: step.plane.clone(),
            objects: done.applied.clone(),
        }),
        Action::Wait(_) | Action::Read(_) | Action::Remove(_) | Action::Restart(_) => None,
    }
}
