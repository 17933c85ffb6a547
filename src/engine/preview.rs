//! What an install would change, read from the live clusters without changing anything (`plan`
//! and `diff` against live state).
//!
//! Every plane's cluster is connected side by side (an unreachable one is noted, not fatal),
//! the journal is read from the control plane's cluster and helm's release state in bulk, once
//! per cluster. Then the plan is walked in [`Mode::Preview`] (src/engine/walk.rs), the same loop
//! as a run, and each step's kind says what a run would change ([`Change`]):
//!
//! - **helm**: the run's own skip rule on the step rendered with the outputs read — `no-op`
//!   exactly when `install` would skip it;
//! - **apply**: each object compared with a server-side dry-run apply of it, taking over the
//!   same fields a run takes over (`no-op` means the apply would change nothing);
//! - **wait**: `no-op` when the condition holds now;
//! - **read**: the value is read (public data only, as a run reads it) and flows into later
//!   steps like it does in a run.
//!
//! A step whose inputs use an output that cannot be read yet is `install` when what it creates
//! is absent, else `unknown`; its reason names the read step.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::connect::{PlaneCluster, connect_reachable, read_releases};
use super::executor::Fate;
use super::helm::KubeTarget;
use super::journal::{Journal, JournalStore};
use super::kube::{Cluster, Clusters};
use super::reporter::Silent;
pub use super::steps::{Change, ObjectState};
use super::steps::{Mode, Preview};
use super::walk::{Journaled, StepSettings, Walk};
use crate::plan::{Plan, Step};

/// Steps previewed at once against one cluster.
const CONCURRENCY: usize = 4;

/// One step, as the live clusters show it.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// What an install would do.
    pub change: Change,
    /// Why, for the user (empty for a plain no-op).
    pub reason: String,
    /// The step with every output read so far in place of its placeholder.
    pub rendered: Step,
    /// Apply steps: each object as it is live and as the apply would leave it.
    pub objects: Vec<ObjectState>,
}

/// A plane's cluster as reached (or not).
pub struct LivePlane {
    /// Plane name.
    pub name: String,
    /// The connected cluster, or why it could not be reached.
    pub cluster: Result<Arc<Cluster>, String>,
    /// Whether its kubeconfig and context were found (else nothing was contacted).
    pub configured: bool,
    /// The same cluster as helm is told it, when it could be determined.
    pub helm_target: Option<KubeTarget>,
}

/// The live state of every step of a plan.
pub struct Inspection {
    /// Per plan step, in plan order.
    pub steps: Vec<Inspected>,
    /// The planes and their clusters.
    pub planes: Vec<LivePlane>,
    /// Things the user should know (an unreachable cluster, an unreadable journal).
    pub notes: Vec<String>,
}

impl Inspection {
    /// Whether a cluster was tried at all: some plane has a kubeconfig and context.
    pub fn any_configured(&self) -> bool {
        self.planes.iter().any(|plane| plane.configured)
    }

    /// Whether at least one plane's cluster answered.
    pub fn any_reachable(&self) -> bool {
        self.planes.iter().any(|plane| plane.cluster.is_ok())
    }

    /// How many steps have each change, in [`Change`] order.
    pub fn counts(&self) -> BTreeMap<Change, usize> {
        let mut counts = BTreeMap::new();
        for step in &self.steps {
            *counts.entry(step.change).or_default() += 1;
        }
        counts
    }

    /// The plane named `name`.
    pub fn plane(&self, name: &str) -> Option<&LivePlane> {
        self.planes.iter().find(|plane| plane.name == name)
    }
}

/// How to reach the clusters.
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// Whether `http://` manifest URLs may be fetched (plain-HTTP manifest mirror).
    pub manifests_plain_http: bool,
}

/// Reads what an install of `plan` would change; see the module documentation.
pub async fn inspect(plan: &Plan, options: &InspectOptions) -> Inspection {
    let clusters = Clusters::new(options.kubeconfig.clone());
    let reached = connect_reachable(&clusters, plan, options.kubeconfig.as_deref()).await;
    let mut notes = Vec::new();
    let mut planes = Vec::new();
    let mut connected: Vec<PlaneCluster> = Vec::new();
    for reached in reached {
        let plane = match reached.plane {
            Ok(plane) => {
                let live = LivePlane {
                    name: reached.name,
                    cluster: Ok(plane.cluster.clone()),
                    configured: reached.configured,
                    helm_target: plane.helm_target.clone(),
                };
                connected.push(plane);
                live
            }
            Err(reason) => {
                notes.push(format!("plane {} is unreachable: {reason}", reached.name));
                LivePlane {
                    name: reached.name,
                    cluster: Err(reason),
                    configured: reached.configured,
                    helm_target: None,
                }
            }
        };
        planes.push(plane);
    }
    if connected.is_empty() {
        return Inspection {
            steps: Vec::new(),
            planes,
            notes,
        };
    }
    let journal = load_journal(plan, &connected, &mut notes).await;
    let mut releases = BTreeMap::new();
    for (plane, states) in read_releases(&connected).await {
        match states {
            Ok(states) => {
                releases.insert(plane, states);
            }
            Err(error) => notes.push(format!("helm releases could not be listed: {error}")),
        }
    }
    let stop = AtomicBool::new(false);
    let walked = Walk {
        mode: Mode::Preview,
        plan,
        planes: &connected,
        releases: &releases,
        helm: None,
        journal: Journaled::Read(journal.as_ref()),
        settings: StepSettings {
            concurrency: CONCURRENCY,
            timeout: None,
            force_conflicts: false,
            manifests_plain_http: options.manifests_plain_http,
        },
        reporter: &Silent,
        stop: &stop,
    }
    .walk()
    .await;
    // Preview steps never fail, so every step ran and its result carries its preview.
    let steps = plan
        .steps
        .iter()
        .zip(walked.results.into_iter().zip(walked.rendered))
        .map(|(step, (result, rendered))| {
            let preview = match result.fate {
                Fate::Done(done) => done.preview,
                Fate::Failed(error) => Some(Preview::new(Change::Unknown, error.to_string())),
                Fate::Skipped { because } => Some(Preview::new(
                    Change::Unknown,
                    format!("{because} could not be previewed"),
                )),
                Fate::NotStarted => None,
            }
            .unwrap_or_else(|| Preview::new(Change::Unknown, "not previewed"));
            Inspected {
                change: preview.change,
                reason: preview.reason,
                rendered: rendered.unwrap_or_else(|| step.clone()),
                objects: preview.objects,
            }
        })
        .collect();
    Inspection {
        steps,
        planes,
        notes,
    }
}

async fn load_journal(
    plan: &Plan,
    planes: &[PlaneCluster],
    notes: &mut Vec<String>,
) -> Option<Journal> {
    let control = planes.iter().find(|plane| plane.control)?;
    match JournalStore::new(control.cluster.client(), &plan.name)
        .load()
        .await
    {
        Ok(stored) => stored.map(|stored| stored.journal),
        Err(error) => {
            notes.push(format!("the journal could not be read: {error}"));
            None
        }
    }
}
