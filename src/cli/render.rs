//! Arguments of `render`: the profile, the directory written and the export's format.

use std::path::PathBuf;

use clap::Args;

use super::{ProfileArgs, RenderFormat};

/// `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Directory to write (created; existing files of the same name are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// What to write: plain values and manifests, or an export for a GitOps engine
    /// (docs/gitops.md; the export's README.md says what runs when).
    #[arg(long, value_enum, default_value_t = RenderFormat::Plain)]
    pub format: RenderFormat,
    /// Git repository the export is committed to, as Argo CD and Flux fetch it (required by
    /// argocd and flux).
    #[arg(long, value_name = "URL", required_if_eq_any = [("format", "argocd"), ("format", "flux")])]
    pub git_url: Option<String>,
    /// Branch the engine follows.
    #[arg(long, value_name = "REV", default_value = "main")]
    pub git_revision: String,
    /// Directory of the export inside that repository.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub git_path: String,
}
