//! Why `status` could not report, and the exit code each reason ends with.

use miette::Diagnostic;

use crate::engine::journal::JournalError;
use crate::engine::kube::KubeError;
use crate::exit_code::ExitCode;
use crate::resolve::StoredProfileError;

/// Why the installation could not be found, reached or read.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum StatusError {
    /// The control plane's cluster cannot be reached.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unreachable(Box<KubeError>),
    /// No journal on the cluster: nothing installed there by choreoctl.
    #[error(
        "no OpenChoreo installation made by choreoctl on context `{context}` (no journal in \
         namespace choreoctl-system)"
    )]
    #[diagnostic(help(
        "point --context at the control plane's cluster, or install with `choreoctl install`"
    ))]
    NoInstallation {
        /// The context looked at.
        context: String,
    },
    /// The named installation has no journal there.
    #[error(
        "no installation `{name}` on context `{context}`{}",
        others_text(others)
    )]
    #[diagnostic(help(
        "name one of the installations there with --installation, or point --context at the \
         control plane's cluster of `{name}`"
    ))]
    NotFound {
        /// The installation asked for.
        name: String,
        /// The context looked at.
        context: String,
        /// The installations that are there.
        others: Vec<String>,
    },
    /// Several installations and none named.
    #[error("context `{context}` holds {} installations: {}", names.len(), names.join(", "))]
    #[diagnostic(help("name one with --installation NAME"))]
    Several {
        /// The context looked at.
        context: String,
        /// Their names.
        names: Vec<String>,
    },
    /// The cluster refused to say which installations it holds.
    #[error("cannot list the installations on context `{context}`: {reason}")]
    #[diagnostic(help("the credentials need to read Secrets in namespace choreoctl-system"))]
    List {
        /// The context looked at.
        context: String,
        /// What the cluster said.
        reason: String,
    },
    /// The journal could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Journal(Box<JournalError>),
    /// The profile kept in the journal cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    StoredProfile(#[from] StoredProfileError),
}

impl From<KubeError> for StatusError {
    fn from(error: KubeError) -> Self {
        StatusError::Unreachable(Box::new(error))
    }
}

impl From<JournalError> for StatusError {
    fn from(error: JournalError) -> Self {
        StatusError::Journal(Box::new(error))
    }
}

fn others_text(others: &[String]) -> String {
    if others.is_empty() {
        " (no installation there at all)".into()
    } else {
        format!(" (installations there: {})", others.join(", "))
    }
}

impl StatusError {
    /// The exit code (docs/exit-codes.md): 4 when the installation cannot be found or reached,
    /// 2 when it is ambiguous, 1 when what is stored cannot be read.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            StatusError::Unreachable(_)
            | StatusError::NoInstallation { .. }
            | StatusError::NotFound { .. }
            | StatusError::List { .. } => ExitCode::Preflight,
            StatusError::Several { .. } => ExitCode::InvalidInput,
            StatusError::Journal(_) | StatusError::StoredProfile(_) => ExitCode::Unexpected,
        }
    }
}
