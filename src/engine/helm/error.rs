//! What running helm can fail with.

use std::path::PathBuf;

use miette::Diagnostic;

const INSTALL_HINT: &str = "install helm v3.18 or later, or helm 4 \
    (https://helm.sh/docs/intro/install/), and put it on PATH, or point --helm \
    (CHOREOCTL_HELM) at it";

/// An error of the helm layer. Nothing here carries a value from a values file unredacted.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum HelmError {
    /// No helm binary where we looked.
    #[error("helm was not found ({searched})")]
    #[diagnostic(code(choreoctl::helm::not_found), help("{INSTALL_HINT}"))]
    NotFound {
        /// Where we looked.
        searched: String,
    },
    /// The binary exists but `helm version` did not answer sensibly.
    #[error("cannot read the version of {}: {reason}", path.display())]
    #[diagnostic(code(choreoctl::helm::unusable), help("{INSTALL_HINT}"))]
    Unusable {
        /// The binary.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A helm older than v3.18, or a major we do not know.
    #[error(
        "{} is helm {found}; choreoctl needs helm v3.18 or later, or helm 4",
        path.display()
    )]
    #[diagnostic(code(choreoctl::helm::unsupported), help("{INSTALL_HINT}"))]
    Unsupported {
        /// The binary.
        path: PathBuf,
        /// The version it reported.
        found: String,
    },
    /// helm could not be started.
    #[error("cannot start {}: {source}", path.display())]
    Spawn {
        /// The binary.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The private values directory or a values file could not be written.
    #[error("cannot write values files for helm: {0}")]
    Values(#[source] std::io::Error),
    /// helm ran and failed (its exit code is always 1, so only its message tells why).
    #[error("{operation} failed: {stderr}")]
    #[diagnostic(code(choreoctl::helm::failed))]
    Failed {
        /// What we asked, e.g. `helm upgrade --install cert-manager (namespace cert-manager,
        /// context cp)`.
        operation: String,
        /// helm's stderr, secret values redacted.
        stderr: String,
    },
    /// helm succeeded but printed something we could not read.
    #[error("{operation}: unexpected output from helm: {reason}")]
    Output {
        /// What we asked.
        operation: String,
        /// What could not be read.
        reason: String,
    },
}

impl HelmError {
    /// Whether helm said the release does not exist (e.g. `history` after an uninstall).
    pub fn is_release_not_found(&self) -> bool {
        matches!(self, HelmError::Failed { stderr, .. } if stderr.contains("release: not found"))
    }
}
