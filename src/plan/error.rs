//! Why a plan could not be computed.

use miette::Diagnostic;

use crate::template::TemplateError;

/// Why a plan could not be computed.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum PlanError {
    /// A template failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Template(#[from] TemplateError),
    /// A step definition could not be evaluated for a plane.
    #[error("modules/{module}.yaml: step `{step}` for plane `{plane}`: {message}")]
    #[diagnostic(help("fix the step in the catalog"))]
    Step {
        /// Module file.
        module: String,
        /// Step id.
        step: String,
        /// Plane it was expanded for.
        plane: String,
        /// What failed.
        message: String,
    },
}
