//! Command-line types (clap only). `settings` turns them into what the core takes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Installer for OpenChoreo's modular architecture: lay down the Secure Core (Cilium or
/// Generic-CNI edition), then grow it module by module and plane by plane.
#[derive(Debug, Parser)]
#[command(
    name = "choreoctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// kubeconfig file (default: the `KUBECONFIG` list, else ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Read the module catalog from DIR (holding modules/, templates/, profiles/) instead of
    /// the one built into choreoctl.
    #[arg(long, global = true, value_name = "DIR", env = "CHOREOCTL_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// The helm binary to run (v3.18+ or v4): a path, or a name looked up on PATH
    /// (default: `helm` on PATH).
    #[arg(long, global = true, value_name = "PATH", env = "CHOREOCTL_HELM")]
    pub helm: Option<PathBuf>,
    /// Print results and errors only: no status or progress lines.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print detail lines on stderr too (`render`: every file written).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable tables.
    Text,
    /// JSON (documented schemas; stable for scripts).
    Json,
    /// YAML, same content as JSON.
    Yaml,
}

/// Editions, as flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EditionArg {
    /// Cilium is the CNI: encryption, Cilium policies, Hubble; every module.
    Cilium,
    /// The cluster keeps its CNI; plain NetworkPolicy.
    Generic,
}

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
}

fn parse_binding(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((plane, context)) if !plane.is_empty() && !context.is_empty() => {
            Ok((plane.to_string(), context.to_string()))
        }
        _ => Err(format!("`{text}` is not PLANE=CONTEXT")),
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install (or bring up to date) OpenChoreo as the profile says, across its contexts.
    Install(InstallArgs),
    /// Show what an install would do: every step, its plane, context and chart.
    Plan(PlanArgs),
    /// Write the values of every release and every manifest to a directory (GitOps export).
    Render(RenderArgs),
    /// The module catalog.
    #[command(subcommand)]
    Module(ModuleCommand),
    /// The edition compatibility matrix.
    Matrix,
    /// Check, explain and show profiles.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Write a profile: asks for edition, topology, contexts, domain and modules (on a
    /// terminal), or takes them from flags.
    #[command(
        after_help = "Example, without a terminal:\n  choreoctl init --edition generic --preset multi-plane --context lab-cp \\\n    --plane-context dev=lab-dev --plane-context prod=lab-prod \\\n    --domain choreo.example.com --module cd --module build --out lab.yaml"
    )]
    Init(InitArgs),
    /// Copy what an install needs into a registry an air-gapped site can reach, and list the
    /// container images it runs (docs/mirror.md).
    #[command(subcommand)]
    Mirror(MirrorCommand),
    /// Print a shell completion script.
    Completion(CompletionArgs),
    /// Versions of choreoctl and its catalog.
    Version,
}

/// `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Do not contact clusters (plans are offline until the install engine lands, so this
    /// only documents intent in scripts).
    #[arg(long)]
    pub offline: bool,
}

/// `install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
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
    /// Accept that a plane's context now reaches another cluster, and record the new one.
    #[arg(long)]
    pub rebind: bool,
    /// Take over fields another field manager owns when applying objects.
    #[arg(long)]
    pub force_conflicts: bool,
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

/// `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Directory to write (created; existing files of the same name are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
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

/// `module …`.
#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// Every module with its stage, home plane and edition support.
    List,
    /// One module in detail: support, options, charts and steps.
    Info {
        /// Module name.
        name: String,
    },
}

/// `profile …`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Check a profile against the catalog (and the kubeconfig, when readable).
    Validate(ProfileFileArgs),
    /// Print the profile's JSON Schema (draft-07, for yaml-language-server).
    Schema,
    /// Print a profile; with --resolved, after defaults, overrides and module placement.
    Show(ProfileShowArgs),
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
}

/// `mirror …`.
#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// List every container image the plan's releases and manifests reference (rendered with
    /// `helm template`), sorted, each once; `-o json` adds which steps use each.
    #[command(
        after_help = "Example:\n  choreoctl mirror images --preset single-plane --edition generic > images.txt"
    )]
    Images(MirrorSourceArgs),
    /// Copy every chart version the plan installs, from where the plan pulls it, into an OCI
    /// registry (`helm pull` + `helm push`); versions the registry already holds are skipped.
    #[command(
        after_help = "Example:\n  choreoctl mirror push --preset multi-plane --to oci://registry.internal/openchoreo\n  \
choreoctl install --preset multi-plane --chart-mirror oci://registry.internal/openchoreo --yes"
    )]
    Push(MirrorPushArgs),
    /// Write every chart version the plan installs, and its pinned manifests, into one tar
    /// file to carry across an air gap (`mirror load` on the other side).
    #[command(
        after_help = "Example:\n  choreoctl mirror bundle --preset multi-plane --out openchoreo-1.2.3.tar"
    )]
    Bundle(MirrorBundleArgs),
    /// Push the charts of a `mirror bundle` file into an OCI registry (versions it already
    /// holds are skipped) and write its manifests as a `file://` manifest mirror.
    #[command(
        after_help = "Example:\n  choreoctl mirror load openchoreo-1.2.3.tar --to oci://registry.internal/openchoreo \\\n    \
--manifests-dir /srv/openchoreo-manifests\n  \
choreoctl install --preset multi-plane --yes --chart-mirror oci://registry.internal/openchoreo \\\n    \
--manifest-mirror file:///srv/openchoreo-manifests"
    )]
    Load(MirrorLoadArgs),
}

/// The profile of a mirror command, and where its plan pulls from.
#[derive(Debug, Args)]
pub struct MirrorSourceArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Pull the charts from this OCI mirror (`oci://host[:port]/path`) instead of the profile's
    /// `spec.charts.mirror` or the upstream registries.
    #[arg(long, value_name = "URL", env = "CHOREOCTL_CHART_MIRROR")]
    pub chart_mirror: Option<String>,
    /// Fetch manifests from this mirror instead of the profile's `spec.manifests.mirror`.
    #[arg(long, value_name = "URL", env = "CHOREOCTL_MANIFEST_MIRROR")]
    pub manifest_mirror: Option<String>,
    /// --chart-mirror and --manifest-mirror speak plain HTTP (loopback hosts only).
    #[arg(long)]
    pub source_plain_http: bool,
}

/// `mirror push`.
#[derive(Debug, Args)]
pub struct MirrorPushArgs {
    /// The profile and where its charts come from.
    #[command(flatten)]
    pub source: MirrorSourceArgs,
    /// The registry path to copy into: `oci://host[:port]/path` (then install with
    /// `--chart-mirror` set to it, or `spec.charts.mirror`).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The target registry speaks plain HTTP.
    #[arg(long)]
    pub plain_http: bool,
}

/// `mirror bundle`.
#[derive(Debug, Args)]
pub struct MirrorBundleArgs {
    /// The profile and where its charts and manifests come from.
    #[command(flatten)]
    pub source: MirrorSourceArgs,
    /// The tar file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `mirror load`.
#[derive(Debug, Args)]
pub struct MirrorLoadArgs {
    /// A file written by `mirror bundle`.
    #[arg(value_name = "FILE")]
    pub bundle: PathBuf,
    /// The registry path to push the charts into: `oci://host[:port]/path`.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The target registry speaks plain HTTP.
    #[arg(long)]
    pub plain_http: bool,
    /// Write the bundle's manifests below DIR as `<name>/<version>/<file>` (then use
    /// `--manifest-mirror file://DIR`, or `spec.manifests.mirror`).
    #[arg(long, value_name = "DIR")]
    pub manifests_dir: Option<PathBuf>,
}

/// `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
