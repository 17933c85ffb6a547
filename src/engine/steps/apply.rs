//! Apply steps: server-side apply, in order, of rendered objects or of a pinned remote manifest
//! (such as the Gateway API CRDs).
//!
//! A remote manifest is fetched when the step runs: `https://`, `http://` only when the
//! profile's manifest mirror is plain HTTP, or `file://` (an air-gapped mirror on disk). Its
//! documents are split with serde-saphyr; empty documents are ignored.

use std::time::Duration;

use kube::api::DynamicObject;
use serde_json::Value;

use super::{StepDone, StepEnv, StepError};
use crate::engine::kube::{ApplyOptions, KubeError, chain};
use crate::plan::{ApplyAction, RemoteManifest};

/// Field managers whose fields an apply step takes over instead of failing: helm (chart
/// placeholders) and the CA copier of choreoctl's GitOps exports.
const TAKEN_OVER: [&str; 2] = ["helm", crate::export::cross_cluster::FIELD_MANAGER];

/// How long fetching a remote manifest may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Applies the objects of `action`; objects without a namespace get `namespace` (the kind
/// decides whether it is used). Fields that only helm or choreoctl's own GitOps CA copier own
/// are taken over (charts leave placeholders for the installer to fill; the copier writes the
/// values this step computes), and the step says so; any other conflict fails.
pub async fn run(
    env: &StepEnv<'_>,
    action: &ApplyAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let objects = match action {
        ApplyAction::Objects(objects) => objects.clone(),
        ApplyAction::Remote(remote) => fetch(remote, env.manifests_plain_http).await?,
    };
    let mut notes = Vec::new();
    for object in objects {
        let mut object: DynamicObject = serde_json::from_value(object).map_err(|e| {
            StepError::Kube(KubeError::Invalid {
                object: "a rendered object".into(),
                reason: e.to_string(),
            })
        })?;
        if object.metadata.namespace.is_none() {
            object.metadata.namespace = namespace.map(str::to_owned);
        }
        match env.cluster.apply(&object, &env.apply).await {
            Ok(_) => {}
            Err(KubeError::Conflict {
                object: label,
                conflicts,
                ..
            }) if conflicts
                .iter()
                .all(|conflict| TAKEN_OVER.contains(&conflict.manager.as_str())) =>
            {
                // A chart's placeholder that the install fills in: OpenChoreo's control plane
                // chart ships ConfigMap cluster-gateway-ca empty for the installer to write; or
                // a copy `copy-cas.sh` of a GitOps export made before choreoctl took over.
                let forced = ApplyOptions {
                    force_conflicts: true,
                    ..env.apply
                };
                env.cluster.apply(&object, &forced).await?;
                let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
                let mut managers: Vec<&str> =
                    conflicts.iter().map(|c| c.manager.as_str()).collect();
                managers.dedup();
                notes.push(format!(
                    "took {} of {label} over from {} (a placeholder the chart leaves to the \
                     installer, or choreoctl's own CA copy)",
                    fields.join(", "),
                    managers.join(" and ")
                ));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(StepDone {
        notes,
        ..StepDone::default()
    })
}

/// Fetches a manifest and splits it into its objects.
pub async fn fetch(remote: &RemoteManifest, plain_http: bool) -> Result<Vec<Value>, StepError> {
    let text = fetch_text(&remote.url, plain_http).await?;
    split(&text).map_err(|reason| StepError::Manifest {
        url: remote.url.clone(),
        reason,
    })
}

/// Fetches a manifest as text: `file://`, `https://`, or `http://` when `plain_http`.
pub async fn fetch_text(url: &str, plain_http: bool) -> Result<String, StepError> {
    let failed = |reason: String| StepError::Manifest {
        url: url.to_owned(),
        reason,
    };
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))
    } else if url.starts_with("https://") || (plain_http && url.starts_with("http://")) {
        download(url).await.map_err(failed)
    } else {
        Err(failed(
            "only https:// and file:// URLs are fetched (http:// only from a manifest mirror \
             marked plainHttp)"
                .into(),
        ))
    }
}

async fn download(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| chain(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered {status}"));
    }
    response.text().await.map_err(|e| e.to_string())
}

/// The objects of a multi-document YAML manifest; empty documents and `null`s are dropped.
pub fn split(text: &str) -> Result<Vec<Value>, String> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    Ok(documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_multi_document_manifests() {
        let text = "---\n# comment only\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n\
                    ---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n...\n";
        let objects = split(text).unwrap();
        let names: Vec<&str> = objects
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }
}
