//! `choreoctl status`: finds the installation (its journal on the control plane's cluster),
//! reads its clusters (src/status) and prints the report as tables or as the JSON/YAML schema
//! of docs/status.md.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::report::log::Log;
use crate::catalog::Catalog;
use crate::cli::StatusArgs;
use crate::engine::journal::Journal;
use crate::engine::kube::{Cluster, Clusters, Target};
use crate::error::Error;
use crate::output::table;
use crate::profile::ProfileRequest;
use crate::profile::model::PlaneType;
use crate::resolve::{Resolved, from_stored};
use crate::settings::GlobalSettings;
use crate::status::drift::CaState;
use crate::status::gateway::GatewayState;
use crate::status::health::{Health, HealthState};
use crate::status::{Inputs, PlaneReport, ProfileSource, Report, StatusError, collect, locate};

/// Runs `status`.
pub fn status(catalog: &Catalog, args: &StatusArgs, global: &GlobalSettings) -> Result<(), Error> {
    let printer = &global.printer;
    let kubeconfig = global.kubeconfig();
    let given = given_profile(
        catalog,
        args.profile.as_deref(),
        args.preset.as_deref(),
        args.context.as_deref(),
        kubeconfig,
    )?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let report = runtime.block_on(async {
        let Located {
            clusters,
            control,
            journal,
        } = locate_installation(
            given.as_ref(),
            args.context.as_deref(),
            args.installation.as_deref(),
            kubeconfig,
        )
        .await?;
        let (resolved, source) = match given {
            Some(resolved) => (resolved, ProfileSource::File),
            None => (
                from_stored(catalog, &journal.profile).map_err(StatusError::from)?,
                ProfileSource::Journal,
            ),
        };
        let plan = crate::plan::build(catalog, &resolved)?;
        let inputs = Inputs {
            catalog,
            resolved: &resolved,
            plan: &plan,
            journal: &journal,
            source,
            default_context: args.context.as_deref(),
        };
        Ok::<_, Error>(collect(&clusters, &control, &inputs).await)
    })?;
    log_problems(&Log::new(printer), &report);
    printer.emit(&report, |out| text(&report, out))?;
    Ok(())
}

/// With `--log-format json`: one `warning` event per problem found, then `status_summary`
/// (the report itself goes to stdout as usual).
fn log_problems(log: &Log, report: &Report) {
    for problem in &report.problems {
        log.event("warning", json!({ "message": problem }));
    }
    log.event(
        "status_summary",
        json!({
            "installation": report.installation,
            "planes": report.planes.len(),
            "reachable": report.planes.iter().filter(|plane| plane.reachable).count(),
            "healthy": report.problems.is_empty(),
            "problems": report.problems.len(),
        }),
    );
}

/// An installation found on its control plane's cluster.
pub(super) struct Located {
    /// The clients of the installation's clusters (the control plane's connected).
    pub clusters: Clusters,
    /// The control plane's cluster.
    pub control: Arc<Cluster>,
    /// The installation's journal.
    pub journal: Journal,
}

/// Connects to the control plane (the `given` profile's, else `context`, else the current
/// context) and finds the installation there: `asked`, else the given profile's name, else the
/// only one. `status` and `plane sync-ca` start here.
///
/// # Errors
///
/// [`StatusError`] (exit 4) when the control plane cannot be reached or holds no such
/// installation; exit 2 when it holds several and none is named.
pub(super) async fn locate_installation(
    given: Option<&Resolved>,
    context: Option<&str>,
    asked: Option<&str>,
    kubeconfig: Option<&Path>,
) -> Result<Located, Error> {
    let control_target = match given {
        Some(resolved) => control_target(resolved),
        None => Target {
            kubeconfig: None,
            context: context.map(str::to_owned),
        },
    };
    let asked = asked
        .map(str::to_owned)
        .or_else(|| given.map(|resolved| resolved.name.clone()));
    let clusters = Clusters::new(kubeconfig.map(Path::to_path_buf));
    let control = clusters
        .connect(&control_target)
        .await
        .map_err(StatusError::from)?;
    let journal = locate(&control, asked.as_deref()).await?;
    Ok(Located {
        clusters,
        control,
        journal,
    })
}

/// `--profile` / `--preset`, resolved with `--context` binding its planes; `None` when neither
/// is given (the journal's profile is used).
pub(super) fn given_profile(
    catalog: &Catalog,
    profile: Option<&Path>,
    preset: Option<&str>,
    context: Option<&str>,
    kubeconfig: Option<&Path>,
) -> Result<Option<Resolved>, Error> {
    if profile.is_none() && preset.is_none() {
        return Ok(None);
    }
    let request = ProfileRequest {
        file: profile.map(Path::to_path_buf),
        preset: preset.map(str::to_owned),
        context: context.map(str::to_owned),
        ..ProfileRequest::default()
    };
    super::resolve_profile(catalog, &request, kubeconfig).map(Some)
}

fn control_target(resolved: &Resolved) -> Target {
    let control = resolved
        .planes
        .iter()
        .find(|plane| plane.plane_type == PlaneType::Control);
    control.map(Target::of_plane).unwrap_or_default()
}

fn text(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Installation {}: OpenChoreo {}, {} edition (journal on context {}{})",
        report.installation,
        report.version,
        report.edition,
        report.control_plane_context,
        match report.profile {
            ProfileSource::Journal => "",
            ProfileSource::File => "; planes from the profile given",
        }
    )?;
    let run = &report.run;
    let finished = run
        .finished
        .map(|t| format!(", finished {t:.0}"))
        .unwrap_or_default();
    writeln!(
        out,
        "Last run {}: {} (by {}, started {:.0}{finished})",
        run.id,
        serde_plain(&run.status),
        run.by,
        run.started
    )?;
    if let Some(hint) = &run.hint {
        writeln!(out, "  {hint}")?;
    }
    writeln!(out)?;
    let mut rows = vec![
        [
            "PLANE",
            "TYPE",
            "CONTEXT",
            "REACHABLE",
            "KUBERNETES",
            "CNI",
            "ENCRYPTION",
            "AGENT",
            "CA",
            "GATEWAY",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for plane in &report.planes {
        rows.push(plane_row(plane));
    }
    crate::output::table(out, "", &rows)?;
    for plane in &report.planes {
        writeln!(out)?;
        writeln!(
            out,
            "Releases on plane {} (context {}):",
            plane.name, plane.context
        )?;
        let mut rows = vec![
            [
                "MODULE",
                "RELEASE",
                "NAMESPACE",
                "REVISION",
                "CHART VERSION",
                "STATUS",
                "HEALTH",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for release in &plane.releases {
            rows.push(vec![
                release.module.clone(),
                release.release.clone(),
                release.namespace.clone(),
                release
                    .revision
                    .map_or_else(|| "-".into(), |r| r.to_string()),
                release.chart_version.clone().unwrap_or_else(|| "-".into()),
                if release.external {
                    format!("{} (external)", release.status)
                } else {
                    release.status.clone()
                },
                health_text(&release.health),
            ]);
        }
        table(out, "  ", &rows)?;
        if let Some(gateway) = &plane.gateway {
            writeln!(out, "  {}", gateway.detail)?;
        }
    }
    writeln!(out)?;
    match &report.next_stage {
        Some(next) => {
            let modules: Vec<String> = next
                .modules
                .iter()
                .map(|m| format!("{} ({})", m.name, m.title))
                .collect();
            writeln!(
                out,
                "Next adoption stage {}: {}",
                next.stage,
                modules.join(", ")
            )?;
            writeln!(out, "  {}", next.hint)?;
        }
        None => writeln!(out, "Every adoption stage is in place.")?,
    }
    writeln!(out)?;
    if report.problems.is_empty() {
        writeln!(out, "Healthy: yes")?;
    } else {
        writeln!(out, "Healthy: no")?;
        for problem in &report.problems {
            writeln!(out, "  - {problem}")?;
        }
    }
    Ok(())
}

fn plane_row(plane: &PlaneReport) -> Vec<String> {
    let (cni, encryption) = plane.network.as_ref().map_or_else(
        || ("-".to_owned(), "-".to_owned()),
        |n| (n.cni.clone(), n.encryption.clone()),
    );
    let agent = plane
        .agent
        .as_ref()
        .map_or("-", |agent| match agent.connected {
            Some(true) => "connected",
            Some(false) => "disconnected",
            None => "not reported",
        });
    // The registered agent CA and the gateway CA copies, the worst of them.
    let states = plane
        .ca
        .iter()
        .map(|ca| ca.state)
        .chain(plane.ca_copies.iter().map(|copy| copy.state));
    let worst = states.max_by_key(|state| match state {
        CaState::Match => 0,
        CaState::Unknown => 1,
        CaState::Missing => 2,
        CaState::Drift => 3,
    });
    let ca = worst.map_or("-", CaState::label);
    let gateway = plane
        .gateway
        .as_ref()
        .map_or("-", |gateway| match gateway.state {
            GatewayState::Covered => "covered",
            GatewayState::NotCovered => "NOT COVERED",
            GatewayState::Unknown => "unknown",
        });
    vec![
        plane.name.clone(),
        plane.plane_type.to_string(),
        plane.context.clone(),
        if plane.reachable { "yes" } else { "NO" }.into(),
        plane
            .kubernetes_version
            .clone()
            .unwrap_or_else(|| "-".into()),
        cni,
        encryption,
        agent.into(),
        ca.into(),
        gateway.into(),
    ]
}

fn health_text(health: &Health) -> String {
    let total = health.workloads.len();
    let ready = health
        .workloads
        .iter()
        .filter(|w| w.ready >= w.desired)
        .count();
    match health.state {
        HealthState::Healthy if total == 0 => "healthy (no workloads)".into(),
        HealthState::Healthy => format!("healthy ({ready}/{total} workloads ready)"),
        HealthState::Unhealthy => format!("UNHEALTHY ({ready}/{total} workloads ready)"),
        HealthState::Unknown => "unknown".into(),
    }
}

/// A unit enum as its JSON spelling.
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
