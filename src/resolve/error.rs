//! Why a profile could not be resolved.

use miette::Diagnostic;

use crate::source::LocatedError;

/// A profile that does not fit the catalog or the clusters.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ResolveError {
    /// A problem at a place in the profile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    At(Box<LocatedError>),
    /// A problem with no single place (flags, whole topology).
    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Input {
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
}
