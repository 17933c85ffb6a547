//! Arguments of the `mirror …` commands: the profile and where its plan pulls from, and the
//! registry or file each copies into.

use std::path::PathBuf;

use clap::Args;

use super::ProfileArgs;

/// The profile of a mirror command, and where its plan pulls from.
#[derive(Debug, Args)]
pub struct MirrorSourceArgs {
    /// The profile.
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Pull the charts from this OCI mirror (`oci://host[:port]/path`) instead of the profile's
    /// `spec.charts.mirror` or the upstream registries.
    #[arg(long, value_name = "URL", env = "CHOREOCTL_CHART_MIRROR")]
    pub chart_mirror: Option<String>,
    /// Fetch manifests from this mirror instead of the profile's `spec.manifests.mirror`.
    #[arg(long, value_name = "URL", env = "CHOREOCTL_MANIFEST_MIRROR")]
    pub manifest_mirror: Option<String>,
    /// --chart-mirror and --manifest-mirror speak plain HTTP (loopback hosts only).
    #[arg(long)]
    pub source_plain_http: bool,
}

/// `mirror push`.
#[derive(Debug, Args)]
pub struct MirrorPushArgs {
    /// The profile and where its charts come from.
    #[command(flatten)]
    pub source: MirrorSourceArgs,
    /// The registry path to copy into: `oci://host[:port]/path` (then install with
    /// `--chart-mirror` set to it, or `spec.charts.mirror`).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The target registry speaks plain HTTP.
    #[arg(long)]
    pub plain_http: bool,
}

/// `mirror bundle`.
#[derive(Debug, Args)]
pub struct MirrorBundleArgs {
    /// The profile and where its charts and manifests come from.
    #[command(flatten)]
    pub source: MirrorSourceArgs,
    /// The tar file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// `mirror load`.
#[derive(Debug, Args)]
pub struct MirrorLoadArgs {
    /// A file written by `mirror bundle`.
    #[arg(value_name = "FILE")]
    pub bundle: PathBuf,
    /// The registry path to push the charts into: `oci://host[:port]/path`.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The target registry speaks plain HTTP.
    #[arg(long)]
    pub plain_http: bool,
    /// Write the bundle's manifests below DIR as `<name>/<version>/<file>` (then use
    /// `--manifest-mirror file://DIR`, or `spec.manifests.mirror`).
    #[arg(long, value_name = "DIR")]
    pub manifests_dir: Option<PathBuf>,
}
