//! Read steps: one value from a Secret or ConfigMap of the step's cluster becomes an output that
//! later steps use, across clusters (a plane's agent CA registered on the control plane).
//!
//! Only public data travels between clusters: from a Secret, only the `ca.crt` key (a CA
//! certificate) is ever read; never `tls.key`, `tls.crt` or anything else.

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;

use super::{StepDone, StepEnv, StepError};
use crate::engine::kube::{Cluster, describe};
use crate::plan::ReadAction;

/// The only Secret key a read step may take across clusters.
pub const PUBLIC_SECRET_KEY: &str = "ca.crt";

/// Reads `action`'s value; an object given without a namespace is looked for in `namespace`.
pub async fn run(
    env: &StepEnv<'_>,
    action: &ReadAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let value = read_value(env.cluster, action, namespace).await?;
    Ok(StepDone {
        output: Some(value),
        ..StepDone::default()
    })
}

/// The value `action` reads on `cluster` (what [`run`] outputs), changing nothing; `plan` and
/// `diff` use it to learn outputs without running an install.
pub async fn read_value(
    cluster: &Cluster,
    action: &ReadAction,
    namespace: Option<&str>,
) -> Result<String, StepError> {
    let resource = &action.resource;
    let namespace = resource
        .namespace
        .as_deref()
        .or(namespace)
        .unwrap_or(cluster.client().default_namespace())
        .to_owned();
    let object = describe(&resource.kind, Some(&namespace), &resource.name);
    let what = format!("{object} key {}", action.key);
    let failed = |reason: String| StepError::Read {
        what: what.clone(),
        reason,
    };
    let client = cluster.client().clone();
    let value = match (resource.api_version.as_str(), resource.kind.as_str()) {
        ("v1", "Secret") => {
            if action.key != PUBLIC_SECRET_KEY {
                return Err(failed(format!(
                    "only the public `{PUBLIC_SECRET_KEY}` of a Secret travels between clusters"
                )));
            }
            let secret = Api::<Secret>::namespaced(client, &namespace)
                .get_opt(&resource.name)
                .await
                .map_err(|e| cluster.api_error("reading", &object, e))?
                .ok_or_else(|| failed("it does not exist".into()))?;
            let bytes = secret
                .data
                .and_then(|mut data| data.remove(&action.key))
                .ok_or_else(|| failed("the key is missing".into()))?;
            String::from_utf8(bytes.0).map_err(|_| failed("the value is not text".into()))?
        }
        ("v1", "ConfigMap") => Api::<ConfigMap>::namespaced(client, &namespace)
            .get_opt(&resource.name)
            .await
            .map_err(|e| cluster.api_error("reading", &object, e))?
            .ok_or_else(|| failed("it does not exist".into()))?
            .data
            .and_then(|mut data| data.remove(&action.key))
            .ok_or_else(|| failed("the key is missing".into()))?,
        _ => return Err(failed("only Secrets and ConfigMaps are read".into())),
    };
    if value.trim().is_empty() {
        return Err(failed("the value is empty".into()));
    }
    Ok(value)
}
