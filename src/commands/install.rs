//! `choreoctl install`: resolve, plan, preflight (`choreoctl check`), confirm, execute (src/engine), and report progress as
//! plain timestamped lines on stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use crate::catalog::Catalog;
use crate::cli::InstallArgs;
use crate::engine::journal::InterruptedRunChoice;
use crate::engine::kube::ApplyOptions;
use crate::engine::steps::{StepDone, StepError};
use crate::engine::{self, Options, Reporter, Summary};
use crate::error::Error;
use crate::output::{Printer, Stderr};
use crate::plan::{Plan, Step};

/// Runs `install`.
pub fn install(
    catalog: &Catalog,
    args: &InstallArgs,
    kubeconfig: Option<&Path>,
    helm: Option<&Path>,
    printer: &Printer,
) -> Result<(), Error> {
    let loaded = super::load_profile(catalog, &args.profile, &args.mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, kubeconfig)?;
    let plan = crate::plan::build(catalog, &resolved)?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    if !args.skip_checks {
        runtime.block_on(super::check::before_install(
            catalog, &plan, kubeconfig, printer,
        ))?;
    }
    confirm(&plan, args.yes || args.dry_run, printer)?;
    let options = Options {
        kubeconfig: kubeconfig.map(Path::to_path_buf),
        helm: helm.map(Path::to_path_buf),
        profile: serde_json::to_value(&resolved).map_err(anyhow::Error::from)?,
        concurrency: usize::from(args.concurrency),
        timeout: args.timeout.map(Duration::from_secs),
        force_unlock: args.force_unlock,
        interrupted: match (args.resume, args.discard) {
            (true, _) => InterruptedRunChoice::Resume,
            (_, true) => InterruptedRunChoice::Discard,
            _ => InterruptedRunChoice::Unspecified,
        },
        rebind: args.rebind,
        apply: ApplyOptions {
            force_conflicts: args.force_conflicts,
            dry_run: args.dry_run,
        },
        manifests_plain_http: resolved.manifests.plain_http,
        dry_run: args.dry_run,
    };
    let reporter = PlainReporter {
        stderr: printer.stderr(),
    };
    runtime.block_on(engine::run(&plan, &options, &reporter))?;
    Ok(())
}

/// Shows what will be done and requires `--yes`: prompting on a terminal comes later.
fn confirm(plan: &Plan, yes: bool, printer: &Printer) -> Result<(), Error> {
    let contexts: Vec<String> = plan
        .planes
        .iter()
        .map(|plane| format!("{} → {}", plane.name, plane.context_label()))
        .collect();
    let _ = writeln!(
        printer.stderr(),
        "install {}: OpenChoreo {}, {} edition, {} steps, modules {}; planes {}",
        plan.name,
        plan.version,
        plan.edition,
        plan.steps.len(),
        plan.modules.join(", "),
        contexts.join(", ")
    );
    if yes {
        return Ok(());
    }
    let why = if std::io::stdin().is_terminal() {
        "confirm with --yes (see the steps with `choreoctl plan` and the same arguments)"
    } else {
        "stdin is not a terminal, so nothing can be asked: pass --yes"
    };
    Err(Error::Usage {
        message: "install changes the clusters above and was not confirmed".into(),
        help: why.into(),
    })
}

/// Progress as plain lines on stderr (silent under `-q`), each with the time (UTC).
struct PlainReporter {
    stderr: Stderr,
}

impl PlainReporter {
    fn line(&self, text: &str) {
        let now = Timestamp::now().strftime("%H:%M:%S");
        let mut stderr = self.stderr;
        let _ = writeln!(stderr, "{now} {text}");
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

impl Reporter for PlainReporter {
    fn note(&self, message: &str) {
        self.line(&format!("note: {message}"));
    }

    fn step_started(&self, step: &Step) {
        self.line(&format!("start  {} ({})", step.id, step.kind()));
    }

    fn step_finished(&self, step: &Step, elapsed: Duration, result: &Result<StepDone, StepError>) {
        match result {
            Ok(done) => {
                for note in &done.notes {
                    self.line(&format!("note: {note}"));
                }
                if done.unchanged {
                    self.line(&format!("same   {} (unchanged, not run)", step.id));
                } else {
                    let revision = done
                        .revision
                        .map(|r| format!(", revision {r}"))
                        .unwrap_or_default();
                    self.line(&format!(
                        "done   {} in {}{revision}",
                        step.id,
                        seconds(elapsed)
                    ));
                }
            }
            Err(error) => {
                self.line(&format!(
                    "FAILED {} after {}: {error}",
                    step.id,
                    seconds(elapsed)
                ));
            }
        }
    }

    fn step_skipped(&self, step: &Step, because: Option<&str>) {
        match because {
            Some(need) => self.line(&format!("skip   {} ({need} did not finish)", step.id)),
            None => self.line(&format!("skip   {} (the run was stopped)", step.id)),
        }
    }

    fn summary(&self, summary: &Summary) {
        for plane in &summary.planes {
            self.line(&format!(
                "plane {} (context {}): {} done, {} unchanged, {} failed, {} rolled back, {} skipped; {} in steps",
                plane.plane,
                plane.context,
                plane.done,
                plane.unchanged,
                plane.failed,
                plane.rolled_back,
                plane.skipped,
                seconds(plane.busy)
            ));
        }
        if summary.dry_run {
            self.line(&format!(
                "dry run finished in {}: nothing was changed on any cluster",
                seconds(summary.elapsed)
            ));
            return;
        }
        self.line(&format!(
            "finished in {} (critical path {}), {} helm upgrade(s)",
            seconds(summary.elapsed),
            seconds(summary.critical_path),
            summary.helm_upgrades
        ));
    }
}
