//! `module add`'s and `module remove`'s arguments.

use std::path::PathBuf;

use clap::Args;

use super::install::{MirrorArgs, RunArgs};

/// `module add`.
#[derive(Debug, Args)]
pub struct ModuleAddArgs {
    /// The module (`choreoctl module list`).
    pub name: String,
    /// Put the module on this plane only (default: every plane of its home type).
    #[arg(long, value_name = "PLANE", conflicts_with = "planes")]
    pub plane: Option<String>,
    /// Put the module on these planes, e.g. `--planes eu,us`.
    #[arg(long, value_name = "PLANES", value_delimiter = ',')]
    pub planes: Vec<String>,
    /// With --plane naming a plane the profile does not have: add that plane, of the module's
    /// home type, on this kubeconfig context, in the same edit and run.
    #[arg(long, value_name = "CONTEXT", requires = "plane")]
    pub context: Option<String>,
    /// Set a module option (repeatable; the value is read as YAML), e.g.
    /// `--option retentionDays=14`; `choreoctl module info NAME` lists them.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// The profile file to edit, then install. For an installation made with --preset or
    /// --edition, write its file first: `choreoctl profile show --installation NAME > FILE`.
    #[arg(short = 'p', long = "profile", value_name = "FILE")]
    pub file: PathBuf,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
    /// Chart and manifest mirrors.
    #[command(flatten)]
    pub mirrors: MirrorArgs,
}

/// `module remove`.
#[derive(Debug, Args)]
pub struct ModuleRemoveArgs {
    /// The module (`choreoctl module list`).
    pub name: String,
    /// Delete the volumes the module's workloads claimed too (kept by default, and listed).
    #[arg(long)]
    pub delete_data: bool,
    /// The profile file to edit, then install without the module.
    #[arg(short = 'p', long = "profile", value_name = "FILE")]
    pub file: PathBuf,
    /// How the run goes.
    #[command(flatten)]
    pub run: RunArgs,
    /// Chart and manifest mirrors.
    #[command(flatten)]
    pub mirrors: MirrorArgs,
}
