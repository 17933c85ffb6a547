//! Where the profile comes from and its command-line overrides ([`ProfileArgs`]), and the
//! arguments of the commands that check, show or write a profile (`profile …`, `init`).

use std::path::PathBuf;

use clap::Args;

use super::EditionArg;

/// Where the profile comes from, and command-line overrides of it.
#[derive(Debug, Clone, Args)]
pub struct ProfileArgs {
    /// Profile file (see `choreoctl profile schema`).
    #[arg(short, long, value_name = "FILE", conflicts_with = "preset")]
    pub profile: Option<PathBuf>,
    /// Ready-made profile from the catalog (`choreoctl profile show --preset NAME`):
    /// single-plane, multi-plane, shared-observability, fully-isolated, fintech,
    /// saas-startup, healthcare, ai-platform.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Override the profile's edition. Alone (no --profile, no --preset) it means the
    /// `single-plane` preset on the current context.
    #[arg(long, value_enum)]
    pub edition: Option<EditionArg>,
    /// Bind every plane to this kubeconfig context.
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,
    /// Bind one plane to a context (repeatable).
    #[arg(long = "plane-context", value_name = "PLANE=CTX", value_parser = parse_binding)]
    pub plane_context: Vec<(String, String)>,
    /// Merge a profile fragment over the profile (repeatable; later files win; maps merge,
    /// lists and values are replaced), e.g. `-f prod-overrides.yaml`.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub fragments: Vec<PathBuf>,
    /// Set one profile key after the -f files (repeatable; the value is read as YAML), e.g.
    /// `--set spec.domain=example.com`, `--set spec.values.thunder.replicas=2`.
    #[arg(long, value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

fn parse_binding(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((plane, context)) if !plane.is_empty() && !context.is_empty() => {
            Ok((plane.to_string(), context.to_string()))
        }
        _ => Err(format!("`{text}` is not PLANE=CONTEXT")),
    }
}

/// A profile given as a positional file or through the usual flags.
#[derive(Debug, Args)]
pub struct ProfileFileArgs {
    /// Profile file (same as --profile).
    #[arg(value_name = "FILE", conflicts_with = "profile")]
    pub file: Option<PathBuf>,
    /// The profile and overrides.
    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// `profile show`.
#[derive(Debug, Args)]
pub struct ProfileShowArgs {
    /// The profile.
    #[command(flatten)]
    pub source: ProfileFileArgs,
    /// Show the profile after defaults, preset, overrides and module placement.
    #[arg(long)]
    pub resolved: bool,
    /// Print the profile of this installation, from the journal on the control plane's
    /// cluster (`--context`, default the current one), to keep in Git or to edit with
    /// `module add -p`.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["file", "profile", "preset", "resolved"])]
    pub installation: Option<String>,
}

/// `init`: every question is also a flag.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Edition: cilium (zero trust, encryption, every module; Cilium becomes the CNI) or
    /// generic (quick start on the cluster's CNI; default with --yes).
    #[arg(long, value_enum)]
    pub edition: Option<EditionArg>,
    /// Topology: single-plane (default with --yes), multi-plane, shared-observability or
    /// fully-isolated.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Bind every plane not named by --plane-context to this kubeconfig context.
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,
    /// Bind one plane to a context (repeatable).
    #[arg(long = "plane-context", value_name = "PLANE=CTX", value_parser = parse_binding)]
    pub plane_context: Vec<(String, String)>,
    /// Base domain of every hostname (default with --yes: openchoreo.localhost).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Add a module (repeatable; `choreoctl matrix` shows which fit the edition). Default
    /// with --yes: the topology's own.
    #[arg(long = "module", value_name = "NAME")]
    pub module: Vec<String>,
    /// Add no module: the Secure Core only.
    #[arg(long, conflicts_with = "module")]
    pub no_modules: bool,
    /// The installation's name (metadata.name).
    #[arg(long, value_name = "NAME", default_value = "openchoreo")]
    pub name: String,
    /// File to write; `-` prints the profile.
    #[arg(long, value_name = "FILE", default_value = "choreoctl.yaml")]
    pub out: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Where the profile's `# yaml-language-server: $schema=` modeline points: a path
    /// relative to the profile, or a URL.
    #[arg(long, value_name = "PATH|URL", default_value = "profile.schema.json")]
    pub schema: String,
    /// Take the default for every answer not given as a flag, without asking.
    #[arg(short, long)]
    pub yes: bool,
}
