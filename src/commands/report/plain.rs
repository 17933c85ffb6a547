//! Progress as plain lines on stderr, for logs and pipes: one line per step start, finish and
//! skip, each prefixed with the time of day in UTC (`HH:MM:SS`); silent under `-q`.

use std::io::Write;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::{StepLine, Word, finished_lines, skipped_line, summary_lines};
use crate::engine::steps::{StepDone, StepError};
use crate::engine::{Reporter, Summary};
use crate::output::Stderr;
use crate::plan::Step;

/// Writes `HH:MM:SS text` lines (UTC) to stderr.
pub struct PlainReporter {
    stderr: Stderr,
}

impl PlainReporter {
    /// Lines to `stderr` ([`Stderr::Disabled`] under `-q`).
    pub fn new(stderr: Stderr) -> Self {
        Self { stderr }
    }

    fn line(&self, text: &str) {
        let now = Timestamp::now().strftime("%H:%M:%S");
        let mut stderr = self.stderr;
        let _ = writeln!(stderr, "{now} {text}");
    }

    fn step_line(&self, (word, rest): StepLine) {
        self.line(&format!("{} {rest}", word.text()));
    }
}

impl Reporter for PlainReporter {
    fn note(&self, message: &str) {
        self.line(&format!("note: {message}"));
    }

    fn step_started(&self, step: &Step) {
        self.step_line((
            Word::Start,
            format!(
                "{} ({} on {})",
                step.id,
                step.kind(),
                super::context_of(step)
            ),
        ));
    }

    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>) {
        let (notes, line) = finished_lines(step, elapsed, result);
        for note in notes {
            self.note(&note);
        }
        self.step_line(line);
    }

    fn step_skipped(&self, step: &Step, because: Option<&str>) {
        self.step_line(skipped_line(step, because));
    }

    fn summary(&self, summary: &Summary) {
        for line in summary_lines(summary) {
            self.line(&line);
        }
    }
}
