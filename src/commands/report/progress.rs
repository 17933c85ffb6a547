//! Progress on a terminal (indicatif): one spinner line per running step (its id, kind,
//! context and elapsed time) above an overall bar of steps finished; each finished or skipped
//! step becomes a permanent line above them, and the summary is printed when the run ends.
//! Colour only when stderr is a terminal and `NO_COLOR` is not set.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use dialoguer::console::{colors_enabled_stderr, style};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{StepLine, Word, finished_lines, skipped_line, summary_lines};
use crate::engine::steps::{StepDone, StepError};
use crate::engine::{Reporter, Summary};
use crate::plan::{Plan, Step};

/// Spinners for running steps, an overall bar, and finished steps as lines above them.
pub struct ProgressReporter {
    multi: MultiProgress,
    overall: ProgressBar,
    running: Mutex<HashMap<String, ProgressBar>>,
    color: bool,
}

/// How often the spinners turn and the elapsed times are redrawn.
const TICK: Duration = Duration::from_millis(120);

impl ProgressReporter {
    /// A display for `plan`'s steps, drawn on stderr.
    pub fn new(plan: &Plan) -> Self {
        let color = colors_enabled_stderr();
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let template = if color {
            "{spinner:.cyan} [{bar:30.cyan/blue}] {pos}/{len} steps  {elapsed}"
        } else {
            "{spinner} [{bar:30}] {pos}/{len} steps  {elapsed}"
        };
        let overall = multi.add(
            ProgressBar::new(plan.steps.len() as u64)
                .with_style(style_of(template).progress_chars("=> ")),
        );
        overall.enable_steady_tick(TICK);
        Self {
            multi,
            overall,
            running: Mutex::new(HashMap::new()),
            color,
        }
    }

    /// Prints a line above the bars.
    fn println(&self, text: &str) {
        let _ = self.multi.println(text);
    }

    fn step_line(&self, (word, rest): StepLine) {
        let word = if self.color {
            let styled = match word {
                Word::Start | Word::Same => style(word.text()).dim(),
                Word::Done => style(word.text()).green(),
                Word::Skip => style(word.text()).yellow(),
                Word::Failed => style(word.text()).red().bold(),
            };
            styled.for_stderr().to_string()
        } else {
            word.text().to_owned()
        };
        self.println(&format!("{word} {rest}"));
    }

    /// Ends `step`'s spinner, if it has one (unchanged steps never started).
    fn stop_spinner(&self, step: &Step) {
        let spinner = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&step.id);
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
            self.multi.remove(&spinner);
        }
    }
}

fn style_of(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("the progress templates are valid")
}

impl Reporter for ProgressReporter {
    fn note(&self, message: &str) {
        self.println(&format!("note: {message}"));
    }

    fn step_started(&self, step: &Step) {
        let template = if self.color {
            "  {spinner:.cyan} {msg}  {elapsed:.dim}"
        } else {
            "  {spinner} {msg}  {elapsed}"
        };
        let spinner = self
            .multi
            .insert_before(&self.overall, ProgressBar::new_spinner())
            .with_style(style_of(template))
            .with_message(format!(
                "{}  {} on {}",
                step.id,
                step.kind(),
                super::context_of(step)
            ));
        spinner.enable_steady_tick(TICK);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(step.id.clone(), spinner);
    }

    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>) {
        self.stop_spinner(step);
        let (notes, line) = finished_lines(step, elapsed, result);
        for note in notes {
            self.note(&note);
        }
        self.step_line(line);
        self.overall.inc(1);
    }

    fn step_skipped(&self, step: &Step, because: Option<&str>) {
        self.stop_spinner(step);
        self.step_line(skipped_line(step, because));
        self.overall.inc(1);
    }

    fn summary(&self, summary: &Summary) {
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
        for line in summary_lines(summary) {
            eprintln!("{line}");
        }
    }
}

impl Drop for ProgressReporter {
    /// A run that ends early (lock held, cluster unreachable) leaves no bar behind.
    fn drop(&mut self) {
        self.overall.finish_and_clear();
    }
}
