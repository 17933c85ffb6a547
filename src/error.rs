//! Errors of the command layer and the exit codes they map to (DESIGN.md §5).

use miette::Diagnostic;

use crate::catalog::CatalogError;
use crate::plan::PlanError;
use crate::profile::ProfileError;
use crate::resolve::ResolveError;

/// Exit codes that tests outside the repository rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success.
    Success = 0,
    /// An unexpected error.
    Unexpected = 1,
    /// Invalid input: usage, profile, catalog, incompatible edition, unknown module or context.
    InvalidInput = 2,
}

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
    /// Anything else (I/O, serialization).
    #[error("{0}")]
    Other(#[from] anyhow::Error),
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
            Error::Other(_) => ExitCode::Unexpected,
        }
    }
}
