//! Command-line arguments, environment and profile resolved once, before a command runs, into
//! the values the command and the engine read (uv's `settings.rs` is the model): the global
//! settings every command shares ([`GlobalSettings`]), each engine command's own
//! ([`InstallSettings`]), and the requests of the core (profile, init).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::cli::{
    EditionArg, GlobalArgs, InitArgs, LogFormat, ProfileArgs, ProfileFileArgs, RunArgs,
};
use crate::commands::init::{Destination, InitRequest};
use crate::engine::Options;
use crate::engine::journal::{InterruptedRunChoice, Operation};
use crate::engine::walk::StepSettings;
use crate::output::{Printer, Verbosity};
use crate::profile::ProfileRequest;
use crate::profile::model::Edition;
use crate::resolve::Resolved;

/// What every command shares: `--kubeconfig`, `--helm` (or `CHOREOCTL_HELM`), `--catalog` (or
/// `CHOREOCTL_CATALOG`), `-o`, `--log-format`, `-q`/`-v`. The kubeconfig *context* is not
/// here: each command says what its `--context` binds (every plane of a profile, or where
/// `status` reads the journal).
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    /// `--kubeconfig` (`None`: the `KUBECONFIG` list, else ~/.kube/config).
    pub kubeconfig: Option<PathBuf>,
    /// `--helm` (`None`: `helm` on PATH).
    pub helm: Option<PathBuf>,
    /// `--catalog` (`None`: the catalog built into choreoctl).
    pub catalog: Option<PathBuf>,
    /// How progress, status and error lines on stderr are written.
    pub log_format: LogFormat,
    /// Where results and status lines go, in `-o`'s format, as far as `-q`/`-v` allow.
    pub printer: Printer,
}

impl GlobalSettings {
    /// The global flags (clap has read their environment variables already).
    pub fn resolve(args: &GlobalArgs) -> Self {
        Self {
            kubeconfig: args.kubeconfig.clone(),
            helm: args.helm.clone(),
            catalog: args.catalog.clone(),
            log_format: args.log_format,
            printer: Printer::new(args.output, args.into(), args.log_format),
        }
    }

    /// `--kubeconfig`, borrowed.
    pub fn kubeconfig(&self) -> Option<&Path> {
        self.kubeconfig.as_deref()
    }

    /// `--helm`, borrowed.
    pub fn helm(&self) -> Option<&Path> {
        self.helm.as_deref()
    }
}

/// Whether a command that changes clusters may go ahead without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Ask on a terminal; refuse (exit 2) where nothing can be asked.
    Ask,
    /// `--yes`, or `--dry-run` (which changes nothing).
    Given,
}

impl Confirmation {
    /// Whether the answer is already given.
    pub fn given(self) -> bool {
        self == Self::Given
    }
}

/// The run flags of `install` (and of `module add`, which ends in an install), with the
/// profile's manifest mirror setting, resolved once: the engine's [`Options`] are built from
/// this and nothing else.
#[derive(Debug, Clone)]
pub struct InstallSettings {
    /// `--yes` or `--dry-run`.
    pub confirmation: Confirmation,
    /// `--dry-run`.
    pub dry_run: bool,
    /// Run `choreoctl check`'s preflight first (no `--skip-checks`).
    pub preflight: bool,
    /// `--concurrency`, `--timeout`, `--force-conflicts` and whether `http://` manifests may be
    /// fetched.
    pub steps: StepSettings,
    /// `--force-unlock`.
    pub force_unlock: bool,
    /// `--resume` / `--discard`.
    pub interrupted: InterruptedRunChoice,
    /// `--rebind`.
    pub rebind: bool,
}

impl InstallSettings {
    /// The run flags and the profile they install.
    pub fn resolve(args: &RunArgs, resolved: &Resolved) -> Self {
        Self {
            confirmation: if args.yes || args.dry_run {
                Confirmation::Given
            } else {
                Confirmation::Ask
            },
            dry_run: args.dry_run,
            preflight: !args.skip_checks,
            steps: StepSettings {
                concurrency: usize::from(args.concurrency),
                timeout: args.timeout.map(Duration::from_secs),
                force_conflicts: args.force_conflicts,
                manifests_plain_http: resolved.manifests.plain_http,
            },
            force_unlock: args.force_unlock,
            interrupted: match (args.resume, args.discard) {
                (true, _) => InterruptedRunChoice::Resume,
                (_, true) => InterruptedRunChoice::Discard,
                _ => InterruptedRunChoice::Unspecified,
            },
            rebind: args.rebind,
        }
    }

    /// The engine's options for running `operation` with these settings; `profile` is the
    /// resolved profile the journal keeps.
    pub fn options(
        &self,
        global: &GlobalSettings,
        operation: Operation,
        profile: Value,
    ) -> Options {
        Options {
            kubeconfig: global.kubeconfig.clone(),
            helm: global.helm.clone(),
            profile,
            operation,
            dry_run: self.dry_run,
            steps: self.steps,
            force_unlock: self.force_unlock,
            interrupted: self.interrupted,
            rebind: self.rebind,
        }
    }
}

impl From<EditionArg> for Edition {
    fn from(edition: EditionArg) -> Self {
        match edition {
            EditionArg::Cilium => Edition::Cilium,
            EditionArg::Generic => Edition::Generic,
        }
    }
}

impl From<&GlobalArgs> for Verbosity {
    fn from(args: &GlobalArgs) -> Self {
        match (args.quiet, args.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

impl From<&ProfileArgs> for ProfileRequest {
    fn from(args: &ProfileArgs) -> Self {
        let ProfileArgs {
            profile,
            preset,
            edition,
            context,
            plane_context,
            fragments,
            set,
        } = args;
        ProfileRequest {
            file: profile.clone(),
            preset: preset.clone(),
            edition: edition.map(Edition::from),
            context: context.clone(),
            plane_contexts: plane_context.clone(),
            fragments: fragments.clone(),
            sets: set.clone(),
        }
    }
}

impl From<&ProfileFileArgs> for ProfileRequest {
    fn from(args: &ProfileFileArgs) -> Self {
        let mut request = ProfileRequest::from(&args.profile);
        if args.file.is_some() {
            request.file = args.file.clone();
        }
        request
    }
}

impl From<&InitArgs> for InitRequest {
    fn from(args: &InitArgs) -> Self {
        InitRequest {
            edition: args.edition.map(Edition::from),
            topology: args.preset.clone(),
            context: args.context.clone(),
            plane_contexts: args.plane_context.clone(),
            domain: args.domain.clone(),
            modules: (args.no_modules || !args.module.is_empty()).then(|| args.module.clone()),
            name: args.name.clone(),
            schema: args.schema.clone(),
            out: if args.out.as_os_str() == "-" {
                Destination::Stdout
            } else {
                Destination::File(args.out.clone())
            },
            force: args.force,
            yes: args.yes,
        }
    }
}
