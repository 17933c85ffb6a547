//! Command-line types (clap only). `settings` turns them into what the core takes.
//!
//! This file holds the command tree: [`Cli`], its global options, every command and
//! subcommand with its help, and the value enums. Each command's own arguments live in a file
//! by job:
//!
//! - `profile.rs`: where the profile comes from and its overrides; `profile …` and `init`;
//! - `install.rs`: `plan`, `diff`, `check`, `install`, and the mirrors they pull from;
//! - `mirror.rs`: `mirror …`;
//! - `module.rs`: `module add` and `module remove`;
//! - `uninstall.rs`: `uninstall`;
//! - `status.rs`: `status`;
//! - `render.rs`: `render`;
//! - `shell.rs`: `completion` and `man`.

mod install;
mod mirror;
mod module;
mod plane;
mod profile;
mod render;
mod shell;
mod status;
mod uninstall;

pub use install::{CheckArgs, DiffArgs, InstallArgs, MirrorArgs, PlanArgs, RunArgs};
pub use mirror::{MirrorBundleArgs, MirrorLoadArgs, MirrorPushArgs, MirrorSourceArgs};
pub use module::{ModuleAddArgs, ModuleRemoveArgs};
pub use plane::{PlaneAddArgs, PlaneRemoveArgs, PlaneSyncCaArgs, PlaneTypeArg};
pub use profile::{InitArgs, ProfileArgs, ProfileFileArgs, ProfileShowArgs};
pub use render::RenderArgs;
pub use shell::{CompletionArgs, ManArgs};
pub use status::StatusArgs;
pub use uninstall::UninstallArgs;

/// The formats of `-o` and `--log-format`, defined with the printer that writes them.
pub use crate::output::{LogFormat, OutputFormat};

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

/// Editions, as flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EditionArg {
    /// Cilium is the CNI: encryption, Cilium policies, Hubble; every module.
    Cilium,
    /// The cluster keeps its CNI; plain NetworkPolicy.
    Generic,
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
    /// The module catalog, and adding a module to an installation.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  choreoctl module list\n  choreoctl module info observe -o yaml\n  \
choreoctl module add cd -p lab.yaml\n\n\
Details: docs/modules.md, docs/lifecycle.md"
    )]
    Module(ModuleCommand),
    /// Grow or shrink an installation by a plane (a cluster, or a part of one).
    #[command(
        subcommand,
        after_long_help = "Examples:\n  \
choreoctl plane add prod --type data --context prod-cluster -p lab.yaml\n  \
choreoctl plane remove prod -p lab.yaml\n\n\
Details: docs/lifecycle.md"
    )]
    Plane(PlaneCommand),
    /// Take an installation away: every release, object, namespace and CRD choreoctl made on
    /// each of its clusters, in reverse dependency order, then its own state (journal, lock,
    /// ownership markers, choreoctl-system). What it did not make stays.
    #[command(after_long_help = "Examples:\n  \
choreoctl uninstall --all -p lab.yaml\n  \
choreoctl uninstall --all --context prod-cp --yes            # the profile its journal keeps\n  \
choreoctl uninstall --all -p lab.yaml --keep-crds --dry-run\n  \
choreoctl uninstall --module observe -p lab.yaml            # as `module remove observe`\n  \
choreoctl uninstall --plane prod -p lab.yaml                # as `plane remove prod`\n\n\
Volume claims (the releases' data) and the namespaces holding them are kept unless\n\
--delete-data. Exit codes: as install's. Details: docs/lifecycle.md")]
    Uninstall(UninstallArgs),
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
    /// Add a module to the profile file (in place, keeping its comments and layout), show the
    /// file's diff, and install it: only the steps the change touches run.
    #[command(after_long_help = "Examples:\n  \
choreoctl module add cd -p lab.yaml\n  \
choreoctl module add observe --plane obs --option retentionDays=14 -p lab.yaml\n  \
choreoctl module add elastic --planes eu,us -p lab.yaml --yes\n  \
choreoctl module add build -p lab.yaml --dry-run\n\n\
Exit codes: as install's; 2 when the module, a plane or an option is refused (before\n\
anything changes). Details: docs/lifecycle.md")]
    Add(ModuleAddArgs),
    /// Remove a module from the profile file (in place), show the file's diff, then unwire it
    /// and take away its releases and objects in reverse dependency order.
    #[command(after_long_help = "Examples:\n  \
choreoctl module remove cd -p lab.yaml\n  \
choreoctl module remove observe -p lab.yaml --yes\n  \
choreoctl module remove observe -p lab.yaml --delete-data --yes\n  \
choreoctl module remove build -p lab.yaml --dry-run\n\n\
Exit codes: as install's; 2 when the module is refused (unknown, the Secure Core, or\n\
required by another installed module), before anything changes. Details: docs/lifecycle.md")]
    Remove(ModuleRemoveArgs),
}

/// `plane …`.
#[derive(Debug, Subcommand)]
pub enum PlaneCommand {
    /// Add a plane to the profile file (in place, keeping its comments and layout), show the
    /// file's diff, and install it: its cluster's prerequisites, its chart, its CA and its
    /// registration with the control plane, and every module placed on planes of its type.
    #[command(after_long_help = "Examples:\n  \
choreoctl plane add prod --type data --context prod-cluster -p lab.yaml\n  \
choreoctl plane add obs --type observability --context obs-cluster --serves dev,prod -p lab.yaml\n  \
choreoctl plane add ci --type workflow --context ci -p lab.yaml --dry-run\n\n\
Exit codes: as install's; 2 when the plane is refused (before anything changes).\n\
Details: docs/lifecycle.md")]
    Add(PlaneAddArgs),
    /// Remove a plane: deregister it from the control plane, take away what choreoctl made on
    /// its cluster in reverse dependency order, forget the cluster, then write the profile file
    /// without it.
    #[command(after_long_help = "Examples:\n  \
choreoctl plane remove prod -p lab.yaml\n  \
choreoctl plane remove obs -p lab.yaml --force --yes    # it served other planes\n  \
choreoctl plane remove prod -p lab.yaml --dry-run\n\n\
Exit codes: as install's; 2 when the plane is refused (the control plane, an observability\n\
plane that serves others without --force, a plane a module is pinned to), before anything\n\
changes. Details: docs/lifecycle.md")]
    Remove(PlaneRemoveArgs),
    /// Compare every plane's registered agent CA and every copy of the cluster gateway's CA
    /// with the live ones; register and copy again what differs, and restart the agents that
    /// load them (they read certificates only when they start).
    #[command(after_long_help = "Examples:\n  \
choreoctl plane sync-ca --check            # exit 10 on drift, for a cron job\n  \
choreoctl plane sync-ca --yes              # every plane of the installation on the current context\n  \
choreoctl plane sync-ca prod --context lab-cp --yes\n\n\
Exit codes: 0 in sync (or repaired); 10 with --check when a CA differs or is missing; 2 an\n\
unknown plane; 4 installation not found or a cluster unreachable; otherwise as install's.\n\
Details: docs/lifecycle.md")]
    SyncCa(PlaneSyncCaArgs),
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
    /// Print a profile; with --resolved, after defaults, overrides and module placement; with
    /// --installation, the profile an installation was made from.
    #[command(after_long_help = "Examples:\n  \
choreoctl profile show --preset fintech > prod.yaml\n  \
choreoctl profile show prod.yaml --resolved -o json\n  \
choreoctl profile show --installation single-plane --context prod-cp > prod.yaml")]
    Show(ProfileShowArgs),
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
