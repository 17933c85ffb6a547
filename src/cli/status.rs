//! Arguments of `status`: which installation, and where its planes are taken from.

use std::path::PathBuf;

use clap::Args;

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The control plane's kubeconfig context, where the journal is (default: the current
    /// context). With --profile/--preset: bind every plane to it, as `install` does.
    #[arg(long, value_name = "CTX")]
    pub context: Option<String>,
    /// The installation (its profile's metadata.name); default: the only one on the cluster.
    #[arg(long, value_name = "NAME")]
    pub installation: Option<String>,
    /// Take the planes from this profile instead of the one the last install kept.
    #[arg(short, long, value_name = "FILE", conflicts_with = "preset")]
    pub profile: Option<PathBuf>,
    /// Take the planes from this preset instead of the profile the last install kept.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
}
