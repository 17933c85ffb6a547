//! What the engine tells as a run goes. The trait is the engine's; the command layer implements
//! it (src/commands/report/: a terminal progress display, plain lines, NDJSON events).

use std::time::Duration;

use super::steps::{StepDone, StepError};
use super::summary::Summary;
use crate::plan::Step;

/// Told about a run as it goes.
pub trait Reporter: Sync {
    /// Something the user should know that is not a step (a lock taken over, a rebind).
    fn note(&self, message: &str);
    /// A step starts.
    fn step_started(&self, step: &Step);
    /// A step ran (or was found unchanged: `Ok` with [`StepDone::unchanged`]).
    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>);
    /// A step did not run: a step it needs failed (`because`), or the run was stopped.
    fn step_skipped(&self, step: &Step, because: Option<&str>);
    /// The run is over.
    fn summary(&self, summary: &Summary);
}

/// Tells nothing: a preview reads the clusters and reports its findings as data.
pub struct Silent;

impl Reporter for Silent {
    fn note(&self, _: &str) {}
    fn step_started(&self, _: &Step) {}
    fn step_finished(&self, _: &Step, _: Duration, _: &Result<StepDone, StepError>) {}
    fn step_skipped(&self, _: &Step, _: Option<&str>) {}
    fn summary(&self, _: &Summary) {}
}
