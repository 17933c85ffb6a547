//! Why no profile could be loaded.

use miette::Diagnostic;

use crate::source::LocatedError;

/// Why no profile could be loaded.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {path}: {error}")]
    #[diagnostic(help("check the path given to --profile"))]
    Read {
        /// Path as given.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is not a valid profile.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<LocatedError>),
    /// A command-line choice does not fit.
    #[error("{message}")]
    #[diagnostic(help("{help}"))]
    Flag {
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
}

impl From<Box<LocatedError>> for ProfileError {
    fn from(error: Box<LocatedError>) -> Self {
        Self::Invalid(error)
    }
}
