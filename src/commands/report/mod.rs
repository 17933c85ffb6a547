//! How an install tells its progress (the engine's [`Reporter`], docs/architecture.md): a progress
//! display on a terminal ([`progress`]), timestamped lines otherwise ([`plain`]), or one JSON
//! event per line with `--log-format json` ([`json`]). docs/engine.md documents all three.

pub mod json;
pub mod log;
pub mod plain;
pub mod progress;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use crate::cli::LogFormat;
use crate::engine::steps::{StepDone, StepError};
use crate::engine::{Reporter, StepOutcome, Summary};
use crate::output::{Printer, Stderr};
use crate::plan::{Plan, Step, StepKind};

/// The reporter an install uses, chosen by [`Report::choose`]; it keeps the run's summary for
/// `-o json`.
pub struct Report {
    display: Display,
    summary: Mutex<Option<Summary>>,
}

enum Display {
    Plain(plain::PlainReporter),
    Progress(progress::ProgressReporter),
    Json(json::JsonReporter),
}

impl Report {
    /// NDJSON with `--log-format json` (always written, even under `-q`: it was asked for);
    /// otherwise the progress display when stderr is a terminal and `-q` is not given, and
    /// plain lines (silent under `-q`) when it is not.
    pub fn choose(plan: &Plan, log_format: LogFormat, printer: &Printer) -> Self {
        let stderr = printer.stderr();
        let display = match log_format {
            LogFormat::Json => Display::Json(json::JsonReporter::new(plan)),
            LogFormat::Text if stderr == Stderr::Enabled && std::io::stderr().is_terminal() => {
                Display::Progress(progress::ProgressReporter::new(plan))
            }
            LogFormat::Text => Display::Plain(plain::PlainReporter::new(stderr)),
        };
        Self {
            display,
            summary: Mutex::new(None),
        }
    }

    /// Tells that the run starts (only the NDJSON log has an event for it: the other displays
    /// have shown the plan already).
    pub fn run_started(&self, plan: &Plan) {
        if let Display::Json(json) = &self.display {
            json.run_started(plan);
        }
    }

    /// The summary of the run, once it is over.
    pub fn summary(&self) -> Option<Summary> {
        self.summary
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn reporter(&self) -> &dyn Reporter {
        match &self.display {
            Display::Plain(reporter) => reporter,
            Display::Progress(reporter) => reporter,
            Display::Json(reporter) => reporter,
        }
    }
}

impl Reporter for Report {
    fn note(&self, message: &str) {
        self.reporter().note(message);
    }

    fn step_started(&self, step: &Step) {
        self.reporter().step_started(step);
    }

    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>) {
        self.reporter().step_finished(step, elapsed, result);
    }

    fn step_skipped(&self, step: &Step, because: Option<&str>) {
        self.reporter().step_skipped(step, because);
    }

    fn summary(&self, summary: &Summary) {
        *self.summary.lock().unwrap_or_else(|p| p.into_inner()) = Some(summary.clone());
        self.reporter().summary(summary);
    }
}

/// The summary of a run as JSON: the final NDJSON event and `install -o json` (docs/engine.md).
#[derive(Debug, Serialize)]
pub struct SummaryDocument<'a> {
    /// The installation (`metadata.name`).
    pub installation: &'a str,
    /// Every step ran or was unchanged.
    pub succeeded: bool,
    /// Wall time of the execution, milliseconds.
    pub wall_ms: u128,
    /// The longest chain of needs by measured step time, milliseconds.
    pub critical_path_ms: u128,
    /// Helm installs or upgrades run.
    pub helm_upgrades: usize,
    /// Per plane, in plan order.
    pub planes: Vec<PlaneDocument<'a>>,
    /// Failed steps.
    pub failures: Vec<FailureDocument<'a>>,
}

/// One plane of a [`SummaryDocument`].
#[derive(Debug, Serialize)]
pub struct PlaneDocument<'a> {
    /// Plane name.
    pub plane: &'a str,
    /// Its context.
    pub context: &'a str,
    /// Steps that ran and succeeded.
    pub done: usize,
    /// Helm steps skipped as unchanged.
    pub unchanged: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Failed releases rolled back or uninstalled.
    pub rolled_back: usize,
    /// Steps not run.
    pub skipped: usize,
    /// Time spent in this plane's steps (summed), milliseconds.
    pub busy_ms: u128,
    /// Steps by kind, then by outcome (`done`, `unchanged`, `failed`, `skipped`); kinds and
    /// outcomes without steps are left out.
    pub steps: BTreeMap<StepKind, BTreeMap<StepOutcome, usize>>,
}

/// A failed step of a [`SummaryDocument`].
#[derive(Debug, Serialize)]
pub struct FailureDocument<'a> {
    /// Step id.
    pub step: &'a str,
    /// Why (secret values redacted).
    pub error: &'a str,
}

impl<'a> SummaryDocument<'a> {
    /// The document for `summary` of installation `installation`.
    pub fn new(installation: &'a str, summary: &'a Summary) -> Self {
        Self {
            installation,
            succeeded: summary.succeeded(),
            wall_ms: summary.elapsed.as_millis(),
            critical_path_ms: summary.critical_path.as_millis(),
            helm_upgrades: summary.helm_upgrades(),
            planes: summary
                .planes
                .iter()
                .map(|plane| PlaneDocument {
                    plane: &plane.plane,
                    context: &plane.context,
                    done: plane.count(StepOutcome::Done),
                    unchanged: plane.count(StepOutcome::Unchanged),
                    failed: plane.count(StepOutcome::Failed),
                    rolled_back: plane.rolled_back,
                    skipped: plane.count(StepOutcome::Skipped),
                    busy_ms: plane.busy.as_millis(),
                    steps: plane.counts.iter().fold(
                        BTreeMap::new(),
                        |mut steps, (&(kind, outcome), &count)| {
                            steps.entry(kind).or_default().insert(outcome, count);
                            steps
                        },
                    ),
                })
                .collect(),
            failures: summary
                .failures
                .iter()
                .map(|(step, error)| FailureDocument { step, error })
                .collect(),
        }
    }
}

/// The context a step runs against, as shown to users.
fn context_of(step: &Step) -> &str {
    step.context.as_deref().unwrap_or("(current)")
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// What a line says about a step, besides its id: the first word is padded to 6 columns
/// (`start `, `done  `, `same  `, `skip  `, `FAILED`) so ids line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Word {
    Start,
    Done,
    Same,
    Skip,
    Failed,
}

impl Word {
    fn text(self) -> &'static str {
        match self {
            Word::Start => "start ",
            Word::Done => "done  ",
            Word::Same => "same  ",
            Word::Skip => "skip  ",
            Word::Failed => "FAILED",
        }
    }
}

/// A line about a step: its word and the rest (`secure-core/thunder@control in 2.1 s`).
type StepLine = (Word, String);

/// The lines a finished step is told in: its notes, then the outcome.
fn finished_lines(
    step: &Step,
    elapsed: Duration,
    result: &Result<StepDone, StepError>,
) -> (Vec<String>, StepLine) {
    match result {
        Ok(done) => {
            let line = if done.unchanged {
                (Word::Same, format!("{} (unchanged, not run)", step.id))
            } else {
                let revision = done
                    .revision
                    .map(|r| format!(", revision {r}"))
                    .unwrap_or_default();
                (
                    Word::Done,
                    format!("{} in {}{revision}", step.id, seconds(elapsed)),
                )
            };
            (done.notes.clone(), line)
        }
        Err(error) => (
            Vec::new(),
            (
                Word::Failed,
                format!("{} after {}: {error}", step.id, seconds(elapsed)),
            ),
        ),
    }
}

/// The line of a step that did not run.
fn skipped_line(step: &Step, because: Option<&str>) -> StepLine {
    match because {
        Some(need) => (Word::Skip, format!("{} ({need} did not finish)", step.id)),
        None => (Word::Skip, format!("{} (the run was stopped)", step.id)),
    }
}

/// The summary as lines: one per plane, then the totals.
fn summary_lines(summary: &Summary) -> Vec<String> {
    let mut lines: Vec<String> = summary
        .planes
        .iter()
        .map(|plane| {
            format!(
                "plane {} (context {}): {} done, {} unchanged, {} failed, {} rolled back, {} skipped; {} in steps",
                plane.plane,
                plane.context,
                plane.count(StepOutcome::Done),
                plane.count(StepOutcome::Unchanged),
                plane.count(StepOutcome::Failed),
                plane.rolled_back,
                plane.count(StepOutcome::Skipped),
                seconds(plane.busy)
            )
        })
        .collect();
    if summary.dry_run {
        lines.push(format!(
            "dry run finished in {}: nothing was changed on any cluster",
            seconds(summary.elapsed)
        ));
        return lines;
    }
    lines.push(format!(
        "finished in {} (critical path {}), {} helm upgrade(s)",
        seconds(summary.elapsed),
        seconds(summary.critical_path),
        summary.helm_upgrades()
    ));
    lines
}
