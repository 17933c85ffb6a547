//! The profile format (docs/profiles.md), exactly as users write it.
//!
//! Fields whose value later errors must point at are `Spanned`, so semantic checks (in the
//! resolver) can name the file, line and column.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::Spanned;

pub use crate::platform::{Edition, PlaneType};

/// `apiVersion` every profile carries.
pub const API_VERSION: &str = "choreoctl.openchoreo.dev/v1alpha1";
/// `kind` every profile carries.
pub const KIND: &str = "Profile";

/// A choreoctl profile: the desired state of an OpenChoreo installation.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "choreoctl Profile")]
pub struct Profile {
    /// Always `choreoctl.openchoreo.dev/v1alpha1`.
    #[schemars(with = "String", extend("const" = API_VERSION))]
    pub api_version: Spanned<String>,
    /// Always `Profile`.
    #[schemars(with = "String", extend("const" = KIND))]
    pub kind: Spanned<String>,
    /// Name of the installation.
    pub metadata: Metadata,
    /// What to install and where.
    pub spec: ProfileSpec,
}

/// Identifies the profile.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// Name of the installation, used in the run lock and in labels.
    pub name: String,
}

/// The desired installation.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProfileSpec {
    /// `cilium` or `generic`; `--edition` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Edition>")]
    pub edition: Option<Spanned<Edition>>,
    /// OpenChoreo release; default: the newest the catalog pins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub version: Option<Spanned<String>>,
    /// Base domain for every hostname; default `openchoreo.localhost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub domain: Option<Spanned<String>>,
    /// Deployment boundaries, each bound to a kubeconfig context.
    pub planes: Vec<PlaneSpec>,
    /// Modules to add on top of the Secure Core.
    #[serde(default)]
    pub modules: Vec<ModuleSpec>,
    /// Where charts are pulled from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charts: Option<ChartsSpec>,
    /// Where plain manifests (such as the Gateway API CRDs) are fetched from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests: Option<ManifestsSpec>,
    /// Per-release value overrides, deep-merged last, keyed by release name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, serde_json::Value>>")]
    pub values: BTreeMap<String, Spanned<serde_json::Value>>,
    /// Prerequisites (their chart keys, e.g. `cert-manager`) that choreoctl takes over when
    /// someone else installed them: upgraded with choreoctl's values, and uninstalled with the
    /// installation. By default a compatible one is used as it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<String>")]
    pub adopt: Vec<Spanned<String>>,
}

/// One plane of the topology.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlaneSpec {
    /// Unique name; also the plane ID the agent presents.
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))]
    pub name: Spanned<String>,
    /// `control`, `data`, `workflow` or `observability`.
    #[serde(rename = "type")]
    #[schemars(with = "PlaneType")]
    pub plane_type: Spanned<PlaneType>,
    /// kubeconfig context; default: the current context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub context: Option<Spanned<String>>,
    /// kubeconfig file for this plane; default: `KUBECONFIG` or `~/.kube/config`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// For an observability plane: the data/workflow planes it serves (default: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<String>>")]
    pub serves: Option<Vec<Spanned<String>>>,
    /// Control plane only: how planes on other clusters reach its cluster gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_gateway: Option<ClusterGatewaySpec>,
}

/// How agents on other clusters reach the control plane's cluster gateway.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterGatewaySpec {
    /// The gateway's external DNS name or IP address (no scheme or port): every plane's agent
    /// dials `wss://<address>:8443/ws`, and the gateway's certificate covers it. Default: the
    /// load-balancer address of Service `cluster-gateway-external`, read after the control
    /// plane is installed.
    #[schemars(with = "String")]
    pub address: Spanned<String>,
}

/// One module to install.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ModuleSpec {
    /// Catalog name (`choreoctl module list`).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Put the module on this one plane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub plane: Option<Spanned<String>>,
    /// Put the module on these planes; default: every plane of its home type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<String>>")]
    pub planes: Option<Vec<Spanned<String>>>,
    /// Module options (`choreoctl module info NAME` lists them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub options: BTreeMap<String, Spanned<serde_json::Value>>,
}

/// Chart source settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartsSpec {
    /// Pull every chart from this OCI location instead of its upstream repository,
    /// as `<mirror>/<chart>`: `oci://host[:port]/path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub mirror: Option<Spanned<String>>,
    /// Talk plain HTTP to the mirror: loopback hosts only, unless `insecureNonLoopback`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// Allow `plainHttp` for a mirror that is not on a loopback host (a trusted lab network).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_non_loopback: bool,
}

/// Manifest source settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ManifestsSpec {
    /// Fetch manifests from `<mirror>/<name>/<version>/<file>` instead of upstream:
    /// `https://host[:port]/path`, `http://…` with `plainHttp`, or `file:///path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub mirror: Option<Spanned<String>>,
    /// The mirror is an `http://` URL: loopback hosts only, unless `insecureNonLoopback`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// Allow `plainHttp` for a mirror that is not on a loopback host (a trusted lab network).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure_non_loopback: bool,
}
