//! `uninstall`'s arguments.

use std::path::PathBuf;

use clap::Args;

use super::install::{MirrorArgs, RunArgs};

/// `uninstall`: the whole installation (`--all`), one module (`--module`) or one plane
/// (`--plane`).
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("what").required(true).args(["all", "module", "plane"]))]
pub struct UninstallArgs {
    /// Take the whole installation away: every release, applied object and namespace choreoctl
    /// made, the CRDs of its charts, then its journal, lock, ownership markers and
    /// `choreoctl-system`, on every cluster of the installation.
    #[arg(long)]
    pub all: bool,
    /// Take one module away, as `choreoctl module remove MODULE -p FILE` does (needs -p).
    #[arg(long, value_name = "MODULE", requires = "file")]
    pub module: Option<String>,
    /// Take one plane away, as `choreoctl plane remove PLANE -p FILE` does (needs -p; refused
    /// for the control plane and for an observability plane that serves others).
    #[arg(long, value_name = "PLANE", requires = "file")]
    pub plane: Option<String>,
    /// Keep every CustomResourceDefinition (and so the custom resources of users).
    #[arg(long)]
    pub keep_crds: bool,
    /// Delete the volume claims the releases' workloads made (their data), and the namespaces
    /// that held them.
    #[arg(long)]
    pub delete_data: bool,
    /// The profile file the installation was made from; without it, the profile its journal
    /// keeps (on the control plane's cluster: --context, default the current one).
    #[arg(short = 'p', long = "profile", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The installation, when the control plane's cluster holds several (without -p).
    #[arg(long, value_name = "NAME", conflicts_with = "file")]
    pub installation: Option<String>,
    /// The control plane's context (without -p; default the current one).
    #[arg(long, value_name = "CONTEXT", conflicts_with = "file")]
    pub context: Option<String>,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
    /// Where charts come from (`helm show crds` reads them).
    #[command(flatten)]
    pub mirrors: MirrorArgs,
}
