//! Errors of the command layer and the exit codes they map to (docs/exit-codes.md).

use miette::Diagnostic;

use crate::catalog::CatalogError;
use crate::engine::EngineError;
use crate::engine::lock::LockError;
use crate::exit_code::ExitCode;
use crate::plan::PlanError;
use crate::profile::ProfileError;
use crate::resolve::ResolveError;
use crate::status::StatusError;

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// The profile could not be read or parsed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Profile(#[from] ProfileError),
    /// The catalog is broken.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Catalog(#[from] CatalogError),
    /// The profile does not fit the catalog or clusters.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Resolve(#[from] ResolveError),
    /// The plan could not be computed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] PlanError),
    /// A command-line choice that does not fit (e.g. `install` without `--yes` off a TTY).
    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Usage {
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
    /// The install engine could not start, stopped, or did not fully succeed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Engine(Box<EngineError>),
    /// `status` could not find, reach or read the installation.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Status(Box<StatusError>),
    /// A command that needs the clusters reached none of them (exit 4).
    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Unreachable {
        /// What could not be done.
        message: String,
        /// How to fix it.
        help: String,
    },
    /// `diff --exit-code` found changes (exit 10).
    #[error("an install would change {steps} step(s)")]
    #[diagnostic(help("run `choreoctl install` with the same arguments to apply them"))]
    Changes {
        /// Steps that would change (or could not be compared).
        steps: usize,
    },
    /// `plane sync-ca --check` found a registered or copied CA that is not the live one
    /// (exit 10).
    #[error("{count} CA(s) differ from the live ones or are missing, on plane(s) {planes}")]
    #[diagnostic(help("each line above says which; `choreoctl plane sync-ca` repairs them"))]
    CaDrift {
        /// How many registrations and copies differ.
        count: usize,
        /// On which planes, comma-separated.
        planes: String,
    },
    /// Preflight checks failed (`check`, or `install` before it changed anything).
    #[error("{failed} preflight check(s) failed")]
    #[diagnostic(help(
        "each failed check above says what to run or change; run `choreoctl check` with the \
         same arguments to check again"
    ))]
    Preflight {
        /// How many failed.
        failed: usize,
    },
    /// Anything else (I/O, serialization). Transparent, so the context line is printed once and
    /// the causes below it.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<StatusError> for Error {
    fn from(error: StatusError) -> Self {
        Error::Status(Box::new(error))
    }
}

impl From<EngineError> for Error {
    fn from(error: EngineError) -> Self {
        Error::Engine(Box::new(error))
    }
}

impl Error {
    /// Whether the reader of our output went away (`choreoctl plan | head`): not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Other(error) if error.chain().any(|cause| {
            cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        }))
    }

    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Profile(_) | Error::Catalog(_) | Error::Resolve(_) | Error::Plan(_) => {
                ExitCode::InvalidInput
            }
            Error::Usage { .. } => ExitCode::InvalidInput,
            Error::Changes { .. } | Error::CaDrift { .. } => ExitCode::Changes,
            Error::Unreachable { .. } => ExitCode::Preflight,
            Error::Preflight { .. } => ExitCode::Preflight,
            Error::Engine(error) => engine_exit_code(error),
            Error::Status(error) => error.exit_code(),
            Error::Other(_) => ExitCode::Unexpected,
        }
    }
}

fn engine_exit_code(error: &EngineError) -> ExitCode {
    match error {
        EngineError::PartialFailure { .. } => ExitCode::PartialFailure,
        EngineError::Helm(_)
        | EngineError::Cluster(_)
        | EngineError::ClusterChanged(_)
        | EngineError::ControlPlaneMoved(_)
        | EngineError::ClusterUnderTwoContexts { .. } => ExitCode::Preflight,
        EngineError::Lock(LockError::Held { .. } | LockError::LostRace { .. })
        | EngineError::LockLost(_) => ExitCode::Locked,
        EngineError::Interrupted(_) | EngineError::JournaledProfile { .. } => ExitCode::Interrupted,
        EngineError::NoControlPlane | EngineError::HelmTarget { .. } => ExitCode::InvalidInput,
        EngineError::Lock(LockError::Kube { .. }) | EngineError::Journal(_) => ExitCode::Unexpected,
    }
}
