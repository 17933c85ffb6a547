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
    max_term_width = 100,
    after_long_help = "Examples:\n  \
choreoctl init                                   # write a profile by answering questions\n  \
choreoctl plan --preset multi-plane --edition generic\n  \
choreoctl check -p choreoctl.yaml\n  \
choreoctl install -p choreoctl.yaml\n  \
choreoctl status\n\n\
Every command and its page: docs/commands.md; `choreoctl man --out DIR` writes a man page per \
command."
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
    /// How progress, status and error lines on stderr are written, by every command: text
    /// (a progress display on a terminal, timestamped lines otherwise) or json (one JSON
    /// event per line, an `error` event last on failure; docs/engine.md), e.g.
    /// `choreoctl check --log-format json 2>events.ndjson`.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Formats of the progress and log lines on stderr (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people: a progress display on a terminal, timestamped lines otherwise.
    Text,
    /// NDJSON: one event per line (schema in docs/engine.md).
    Json,
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

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install (or bring up to date) OpenChoreo as the profile says, across its contexts.
    ///
    /// On a terminal it shows the plan and asks before changing anything (--yes skips the
    /// question; without a terminal --yes is required), then shows each running step and an
    /// overall bar. Without a terminal it writes timestamped lines; with --log-format json,
    /// one JSON event per line; with -o json, the summary as JSON on stdout.
    #[command(
        after_help = "Examples:\n  choreoctl install --edition generic --context kind-lab\n  choreoctl install -p lab.yaml --yes --log-format json -o json 2>events.ndjson >summary.json"
    )]
    Install(InstallArgs),
    /// Show what an install would do: every step, its plane, context and chart, and (when the
    /// clusters answer) whether it would install, upgrade or leave it as it is.
    #[command(
        after_help = "Example, what one changed value would do to a live installation:\n  choreoctl plan --profile prod.yaml --set spec.values.thunder.replicas=2"
    )]
    Plan(PlanArgs),
    /// Show what an install would change on the live clusters: helm values and manifests,
    /// applied objects (secrets redacted).
    #[command(
        after_help = "Example, in CI (exit 10 when the clusters differ from the profile):\n  choreoctl diff --profile prod.yaml --exit-code"
    )]
    Diff(DiffArgs),
    /// Preflight: can the profile be installed on its clusters? Reachability, Kubernetes
    /// version, permissions, CNI vs edition, components already there, storage, load balancers,
    /// namespaces and the installed gateway certificate, per cluster; exit 4 when a check fails.
    #[command(
        after_help = "Example:\n  choreoctl check --preset shared-observability --edition generic\n  choreoctl check --profile lab.yaml -o json | jq '.clusters[].checks[] | select(.verdict != \"pass\")'\n\nEvery check and its JSON form: docs/check.md."
    )]
    Check(CheckArgs),
    /// Write the values of every release and every manifest to a directory, or export them
    /// for Argo CD, Flux or helmfile.
    #[command(
        after_help = "Examples:\n  choreoctl render --preset multi-plane --edition generic --out rendered\n  \
choreoctl render --preset multi-plane --edition generic --format argocd \\\n    \
--git-url https://git.example/platform.git --git-path openchoreo --out openchoreo\n  \
choreoctl render -p prod.yaml --format helmfile --out helmfile && helmfile -f helmfile/helmfile.yaml sync"
    )]
    Render(RenderArgs),
    /// What is installed and how it is doing: per plane and module, releases, health, CNI,
    /// encryption, agent connection, CA drift, gateway name coverage, the last run and the next
    /// adoption stage.
    #[command(
        after_help = "Examples:\n  choreoctl status                         # the installation on the current context\n  choreoctl status --context prod-cp -o json\n  choreoctl status --installation acme-prod # when the cluster holds several\n\nExit codes: 0 reported (even if something is unhealthy: see `healthy` in -o json),\n2 several installations and none named, 4 installation not found or control plane\nunreachable. Details: docs/status.md"
    )]
    Status(StatusArgs),
    /// The module catalog.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  choreoctl module list\n  choreoctl module info observe -o yaml\n\n\
Details: docs/modules.md"
    )]
    Module(ModuleCommand),
    /// The edition compatibility matrix: which modules each edition supports, at which level,
    /// and why not.
    #[command(
        after_long_help = "Examples:\n  choreoctl matrix\n  choreoctl matrix -o json\n\n\
Details: docs/modules.md"
    )]
    Matrix,
    /// Check, explain and show profiles.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  \
choreoctl profile show --preset fintech > prod.yaml\n  \
choreoctl profile validate prod.yaml\n  \
choreoctl profile show prod.yaml --resolved\n\n\
The profile format: docs/profiles.md"
    )]
    Profile(ProfileCommand),
    /// Write a profile: asks for edition, topology, contexts, domain and modules (on a
    /// terminal), or takes them from flags.
    #[command(
        after_help = "Example, without a terminal:\n  choreoctl init --edition generic --preset multi-plane --context lab-cp \\\n    --plane-context dev=lab-dev --plane-context prod=lab-prod \\\n    --domain choreo.example.com --module cd --module build --out lab.yaml"
    )]
    Init(InitArgs),
    /// Copy what an install needs into a registry an air-gapped site can reach, and list the
    /// container images it runs (docs/mirror.md).
    #[command(
        subcommand,
        after_long_help = "Examples:\n  \
choreoctl mirror images --preset multi-plane --edition generic > images.txt\n  \
choreoctl mirror push --preset multi-plane --to oci://registry.internal/openchoreo\n  \
choreoctl mirror bundle --preset multi-plane --out openchoreo-1.2.3.tar\n\n\
Details: docs/mirror.md"
    )]
    Mirror(MirrorCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_long_help = "Examples:\n  \
source <(choreoctl completion bash)                 # this bash; add the line to ~/.bashrc\n  \
choreoctl completion zsh > ~/.zfunc/_choreoctl      # zsh: fpath+=~/.zfunc before compinit\n  \
choreoctl completion fish > ~/.config/fish/completions/choreoctl.fish\n\n\
Details: docs/shell.md")]
    Completion(CompletionArgs),
    /// Write a man page (roff, section 1) for choreoctl and each of its commands.
    #[command(after_long_help = "Examples:\n  \
choreoctl man --out ~/.local/share/man/man1 && man choreoctl-install\n  \
choreoctl man --out /tmp/choreoctl-man && man -l /tmp/choreoctl-man/choreoctl-mirror-push.1\n\n\
Details: docs/shell.md")]
    Man(ManArgs),
    /// Versions of choreoctl, its catalog (the OpenChoreo releases it pins) and the helm an
    /// install would run.
    #[command(after_long_help = "Examples:\n  \
choreoctl version\n  \
choreoctl version -o json | jq -r .helm.version\n  \
choreoctl version --helm /opt/helm4/helm            # is this helm usable?\n\n\
Details: docs/shell.md")]
    Version,
}

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
    /// Chart and manifest mirrors.
    #[command(flatten)]
    pub mirrors: MirrorArgs,
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

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The control plane's kubeconfig context, where the journal is (default: the current
    /// context). With --profile/--preset: bind every plane to it, as `install` does.
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,
    /// The installation (its profile's metadata.name); default: the only one on the cluster.
    #[arg(long, value_name = "NAME")]
    pub installation: Option<String>,
    /// Take the planes from this profile instead of the one the last install kept.
    #[arg(short, long, value_name = "FILE", conflicts_with = "preset")]
    pub profile: Option<PathBuf>,
    /// Take the planes from this preset instead of the profile the last install kept.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
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
    /// What to write: plain values and manifests, or an export for a GitOps engine
    /// (docs/gitops.md; the export's README.md says what runs when).
    #[arg(long, value_enum, default_value_t = RenderFormat::Plain)]
    pub format: RenderFormat,
    /// Git repository the export is committed to, as Argo CD and Flux fetch it (required by
    /// argocd and flux).
    #[arg(long, value_name = "URL", required_if_eq_any = [("format", "argocd"), ("format", "flux")])]
    pub git_url: Option<String>,
    /// Branch the engine follows.
    #[arg(long, value_name = "REV", default_value = "main")]
    pub git_revision: String,
    /// Directory of the export inside that repository.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub git_path: String,
}

/// `render --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Values per release, one manifest per apply step, index.yaml.
    Plain,
    /// Argo CD Applications (and ApplicationSets) with sync waves.
    Argocd,
    /// Flux HelmReleases and Kustomizations with dependsOn.
    Flux,
    /// A helmfile.yaml with needs across kube contexts.
    Helmfile,
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
    #[command(
        after_long_help = "Examples:\n  choreoctl module list\n  choreoctl module list -o json"
    )]
    List,
    /// One module in detail: support, options, charts and steps.
    #[command(
        after_long_help = "Examples:\n  choreoctl module info observe\n  choreoctl module info guard -o json"
    )]
    Info {
        /// Module name.
        name: String,
    },
}

/// `profile …`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Check a profile against the catalog (and the kubeconfig, when readable).
    #[command(after_long_help = "Examples:\n  \
choreoctl profile validate prod.yaml\n  \
choreoctl profile validate prod.yaml -f prod-overrides.yaml --set spec.domain=choreo.example.com\n\n\
Errors name file:line:column and the fix; exit 2 when the profile is invalid.")]
    Validate(ProfileFileArgs),
    /// Print the profile's JSON Schema (draft-07, for yaml-language-server).
    #[command(
        after_long_help = "Example, for editors that speak yaml-language-server:\n  \
choreoctl profile schema > profile.schema.json\n  \
# then, as the profile's first line: # yaml-language-server: $schema=profile.schema.json"
    )]
    Schema,
    /// Print a profile; with --resolved, after defaults, overrides and module placement.
    #[command(after_long_help = "Examples:\n  \
choreoctl profile show --preset fintech > prod.yaml\n  \
choreoctl profile show prod.yaml --resolved -o json")]
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

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages into (created; pages of the same name are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// `completion`.
#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
