//! `choreoctl check`: the preflight report (src/engine/preflight), linkerd-style per cluster,
//! or as JSON/YAML (docs/check.md); and the same checks run by `install` before it starts.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::json;

use super::report::log::Log;
use crate::catalog::Catalog;
use crate::cli::{CheckArgs, LogFormat};
use crate::engine::preflight::{self, Report, Verdict};
use crate::error::Error;
use crate::plan::Plan;
use crate::profile::ProfileRequest;
use crate::settings::GlobalSettings;

/// Runs `check`: prints the report; exit 4 when a check failed.
pub fn check(catalog: &Catalog, args: &CheckArgs, global: &GlobalSettings) -> Result<(), Error> {
    let printer = &global.printer;
    let kubeconfig = global.kubeconfig();
    let plan = super::compute_plan(catalog, &ProfileRequest::from(&args.profile), kubeconfig)?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let report = runtime.block_on(run(catalog, &plan, kubeconfig));
    log_results(&Log::new(printer), &report);
    let marks = Marks::for_stream(std::io::stdout().is_terminal());
    printer.emit(&report, |out| write_report(out, &report, marks))?;
    outcome(&report)
}

/// With `--log-format json`: one `check_result` event per check, then `check_summary` (the
/// report itself goes to stdout as usual).
fn log_results(log: &Log, report: &Report) {
    for cluster in &report.clusters {
        for check in &cluster.checks {
            log.event(
                "check_result",
                json!({
                    "context": cluster.context,
                    "server": cluster.server,
                    "planes": cluster.planes,
                    "check": check.id,
                    "verdict": check.verdict,
                    "message": check.message,
                    "hint": check.hint,
                }),
            );
        }
    }
    log.event(
        "check_summary",
        json!({
            "installation": report.installation,
            "clusters": report.clusters.len(),
            "passed": report.passed,
            "counts": report.summary,
        }),
    );
}

/// The preflight of `install`, before it confirms or takes the lock: a failure prints the
/// report on stderr and stops with exit 4; warnings are printed and install goes on. With
/// `--log-format json` the report is one `preflight` event instead (docs/engine.md).
pub async fn before_install(
    catalog: &Catalog,
    plan: &Plan,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let report = run(catalog, plan, global.kubeconfig()).await;
    if global.log_format == LogFormat::Json {
        super::report::json::write_event("preflight", serde_json::json!({ "report": report }));
        return outcome(&report);
    }
    let marks = Marks::for_stream(std::io::stderr().is_terminal());
    let mut stderr = global.printer.stderr();
    if !report.passed {
        let _ = write_report(&mut stderr, &report, marks);
        return outcome(&report);
    }
    let _ = writeln!(stderr, "preflight: {}", summary_line(&report));
    for cluster in &report.clusters {
        for check in cluster.checks.iter().filter(|c| c.verdict == Verdict::Warn) {
            let _ = writeln!(
                stderr,
                "{} {} ({}): {}",
                marks.warn, check.id, cluster.context, check.message
            );
        }
    }
    Ok(())
}

async fn run(catalog: &Catalog, plan: &Plan, kubeconfig: Option<&Path>) -> Report {
    let kubernetes = catalog
        .release(&plan.version)
        .map_or("*", |release| release.kubernetes.as_str());
    preflight::run(plan, kubernetes, kubeconfig.map(Path::to_path_buf)).await
}

fn outcome(report: &Report) -> Result<(), Error> {
    if report.passed {
        Ok(())
    } else {
        Err(Error::Preflight {
            failed: report.summary.failed,
        })
    }
}

/// How verdicts are marked: linkerd's `√ ‼ ×` in colour on a terminal, words otherwise (and
/// under `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
struct Marks {
    pass: &'static str,
    warn: &'static str,
    fail: &'static str,
}

impl Marks {
    fn for_stream(terminal: bool) -> Self {
        if terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) {
            Marks {
                pass: "\x1b[32m√\x1b[0m",
                warn: "\x1b[33m‼\x1b[0m",
                fail: "\x1b[31m×\x1b[0m",
            }
        } else {
            Marks {
                pass: "[ok]",
                warn: "[warn]",
                fail: "[FAIL]",
            }
        }
    }

    fn of(self, verdict: Verdict) -> &'static str {
        match verdict {
            Verdict::Pass => self.pass,
            Verdict::Warn => self.warn,
            Verdict::Fail => self.fail,
        }
    }
}

fn summary_line(report: &Report) -> String {
    format!(
        "{} cluster(s): {} passed, {} warning(s), {} failed",
        report.clusters.len(),
        report.summary.passed,
        report.summary.warnings,
        report.summary.failed
    )
}

fn write_report(out: &mut dyn Write, report: &Report, marks: Marks) -> std::io::Result<()> {
    writeln!(
        out,
        "check {}: OpenChoreo {}, {} edition (Kubernetes {})",
        report.installation, report.version, report.edition, report.kubernetes
    )?;
    for cluster in &report.clusters {
        let heading = format!(
            "context {}{}: plane(s) {}",
            cluster.context,
            cluster
                .server
                .as_deref()
                .map(|server| format!(" ({server})"))
                .unwrap_or_default(),
            cluster.planes.join(", ")
        );
        writeln!(out, "\n{heading}\n{}", "-".repeat(heading.chars().count()))?;
        for check in &cluster.checks {
            writeln!(
                out,
                "{} {}: {}",
                marks.of(check.verdict),
                check.id,
                check.message
            )?;
            if let Some(hint) = &check.hint {
                writeln!(out, "    hint: {hint}")?;
            }
        }
    }
    let status = if report.passed {
        marks.pass
    } else {
        marks.fail
    };
    writeln!(out, "\n{status} {}", summary_line(report))
}
