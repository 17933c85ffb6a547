//! The arguments of `plane add`, `plane remove` and `plane sync-ca`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::install::{MirrorArgs, RunArgs};
use crate::platform::PlaneType;

/// The plane types `plane add` adds: an installation has its one control plane from the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlaneTypeArg {
    /// Where workloads run.
    Data,
    /// Where builds and pipelines run.
    Workflow,
    /// Logs, metrics and traces of the planes it serves.
    Observability,
}

impl From<PlaneTypeArg> for PlaneType {
    fn from(arg: PlaneTypeArg) -> Self {
        match arg {
            PlaneTypeArg::Data => PlaneType::Data,
            PlaneTypeArg::Workflow => PlaneType::Workflow,
            PlaneTypeArg::Observability => PlaneType::Observability,
        }
    }
}

/// `plane add`.
#[derive(Debug, Args)]
pub struct PlaneAddArgs {
    /// The plane's name (also the plane ID its agent presents), e.g. `prod`.
    pub name: String,
    /// What the plane runs.
    #[arg(long = "type", value_name = "TYPE", value_enum)]
    pub plane_type: PlaneTypeArg,
    /// The kubeconfig context of the plane's cluster.
    #[arg(long, value_name = "CONTEXT")]
    pub context: String,
    /// The kubeconfig file of that context, when not the default one.
    #[arg(long = "plane-kubeconfig", value_name = "FILE")]
    pub plane_kubeconfig: Option<String>,
    /// Observability planes only: the data and workflow planes it serves (default: all).
    #[arg(long, value_name = "PLANES", value_delimiter = ',')]
    pub serves: Vec<String>,
    /// The profile file to edit, then install.
    #[arg(short = 'p', long = "profile", value_name = "FILE")]
    pub file: PathBuf,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
    /// Chart and manifest mirrors.
    #[command(flatten)]
    pub mirrors: MirrorArgs,
}

/// `plane remove`.
#[derive(Debug, Args)]
pub struct PlaneRemoveArgs {
    /// The plane (`spec.planes` of the profile).
    pub name: String,
    /// Remove an observability plane that still serves other planes (they lose their
    /// observability wiring).
    #[arg(long)]
    pub force: bool,
    /// Keep every CustomResourceDefinition on the plane's cluster.
    #[arg(long)]
    pub keep_crds: bool,
    /// Delete the volume claims the plane's releases made (their data) too.
    #[arg(long)]
    pub delete_data: bool,
    /// The profile file to edit; it is written once the plane is gone.
    #[arg(short = 'p', long = "profile", value_name = "FILE")]
    pub file: PathBuf,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
    /// Chart and manifest mirrors.
    #[command(flatten)]
    pub mirrors: MirrorArgs,
}

/// `plane sync-ca`.
#[derive(Debug, Args)]
pub struct PlaneSyncCaArgs {
    /// The plane to sync (default: every plane of the installation).
    pub name: Option<String>,
    /// Change nothing: report, and exit 10 when a registered or copied CA is not the live one.
    #[arg(long)]
    pub check: bool,
    /// The control plane's kubeconfig context, where the journal is (default: the current
    /// context).
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,
    /// The installation (its profile's metadata.name); default: the only one on the cluster.
    #[arg(long, value_name = "NAME")]
    pub installation: Option<String>,
    /// Find the installation through this profile (its name and control plane's context); the
    /// planes synced are those the journal keeps, as installed.
    #[arg(short = 'p', long = "profile", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
}
