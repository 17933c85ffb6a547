//! Arguments of the commands that take a profile to its clusters (`plan`, `diff`, `check`,
//! `install`), and the chart and manifest mirrors they pull from ([`MirrorArgs`]).

use clap::Args;

use super::ProfileArgs;

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Chart and manifest mirrors (as given to `install`).
    #[command(flatten)]
    pub mirrors: MirrorArgs,
    /// Do not contact clusters: the steps only, without what each would change.
    #[arg(long)]
    pub offline: bool,
}

/// `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Chart and manifest mirrors (as given to `install`).
    #[command(flatten)]
    pub mirrors: MirrorArgs,
    /// Exit 10 when an install would change something (0 when nothing).
    #[arg(long)]
    pub exit_code: bool,
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// `install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
    /// Chart and manifest mirrors.
    #[command(flatten)]
    pub mirrors: MirrorArgs,
}

/// How a run that changes clusters goes: `install`'s flags, shared by the commands that end in
/// an install (`module add`).
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
    /// Steps running at once against one cluster.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Timeout in seconds of every helm and wait step, replacing each step's own.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Take the run lock over even while another run holds it (only when that run is dead).
    #[arg(long)]
    pub force_unlock: bool,
    /// Finish an interrupted run, with the profile it started with.
    #[arg(long, conflicts_with = "discard")]
    pub resume: bool,
    /// Drop an interrupted run and install the current profile.
    #[arg(long)]
    pub discard: bool,
    /// Accept that a plane's context (the control plane's too) now reaches another cluster,
    /// and record the new one, e.g. `choreoctl install -p lab.yaml --yes --rebind`.
    #[arg(long)]
    pub rebind: bool,
    /// Take over fields another field manager owns when applying objects.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Check every step against the clusters and change nothing: server-side dry-run of
    /// every apply, `helm upgrade --install --dry-run=server` of every release; no lock, no
    /// journal, no confirmation needed.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not run the preflight checks of `choreoctl check` first: for a check that is wrong
    /// about your cluster (e.g. volumes provisioned without a default StorageClass). The
    /// engine's own checks (reachability, cluster identity, lock) still run.
    #[arg(long)]
    pub skip_checks: bool,
}

/// Chart and manifest mirrors given on the command line (they replace the profile's).
#[derive(Debug, Clone, Args)]
pub struct MirrorArgs {
    /// Pull every chart from this OCI mirror (`oci://host[:port]/path`), overriding the
    /// profile's `spec.charts.mirror`.
    #[arg(long, value_name = "URL", env = "CHOREOCTL_CHART_MIRROR")]
    pub chart_mirror: Option<String>,
    /// Fetch manifests from this mirror (`https://…`, `http://…` with --plain-http, or
    /// `file:///…`), overriding the profile's `spec.manifests.mirror`.
    #[arg(long, value_name = "URL", env = "CHOREOCTL_MANIFEST_MIRROR")]
    pub manifest_mirror: Option<String>,
    /// The mirrors given by flag or environment speak plain HTTP (loopback hosts only).
    #[arg(long)]
    pub plain_http: bool,
}
