//! Why a template could not be rendered.

use miette::Diagnostic;

/// A template failed to render.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("templates/{template}{}: {message}", line_suffix(*.line))]
#[diagnostic(help(
    "fix the template, or the profile value it reads; `choreoctl render` shows the context"
))]
pub struct TemplateError {
    /// Template path below templates/.
    pub template: String,
    /// Line in the template (0 when unknown).
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}
