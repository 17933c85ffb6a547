//! Why a catalog could not be used.

use miette::Diagnostic;

use crate::source::LocatedError;

/// Why a catalog could not be used. Every variant names the file at fault.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum CatalogError {
    /// The catalog directory could not be read.
    #[error("cannot read catalog {path}: {error}")]
    #[diagnostic(help("pass a directory holding modules/ and templates/ to --catalog"))]
    Read {
        /// The directory.
        path: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// A catalog file is not valid YAML of the expected shape.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] Box<LocatedError>),
    /// A catalog file is well-formed but inconsistent.
    #[error("invalid catalog file {file}: {message}")]
    #[diagnostic(help("{help}"))]
    Invalid {
        /// The file at fault.
        file: String,
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
}

impl CatalogError {
    /// An inconsistency in `file`.
    pub fn invalid(file: &str, message: impl Into<String>, help: impl Into<String>) -> Self {
        Self::Invalid {
            file: file.to_string(),
            message: message.into(),
            help: help.into(),
        }
    }
}
