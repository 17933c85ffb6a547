//! What one stored revision says about its chart and values: decoded from the payload of its storage
//! Secret (`sh.helm.release.v1.<release>.v<revision>`, key `release`: base64 of gzip'd JSON;
//! helm 3 and 4 write the same form). One Secret is read per release asked about, never a helm
//! process.

use std::io::Read;

use base64::Engine as _;
use flate2::read::GzDecoder;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use serde::Serialize;
use serde_json::Value;

/// The chart a revision was installed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredChart {
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// The chart's `appVersion`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
}

/// One stored revision: its chart and the values it was installed with.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRevision {
    /// The chart.
    pub chart: StoredChart,
    /// The user-supplied values (helm's `config`, what `helm get values` shows); an empty
    /// object when there were none.
    pub values: Value,
}

/// The name of the storage Secret of one revision.
pub fn storage_secret_name(release: &str, revision: u32) -> String {
    format!("sh.helm.release.v1.{release}.v{revision}")
}

/// Reads the chart and values of `release` at `revision` in `namespace`; `None` when that
/// revision's Secret is gone.
///
/// # Errors
///
/// Why, when the Secret cannot be read or its payload cannot be decoded; the helm step that
/// asked reads the release through helm instead.
pub async fn read_stored_revision(
    client: &Client,
    namespace: &str,
    release: &str,
    revision: u32,
) -> Result<Option<StoredRevision>, String> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let name = storage_secret_name(release, revision);
    let secret = api
        .get_opt(&name)
        .await
        .map_err(|e| format!("reading Secret {namespace}/{name}: {e}"))?;
    let Some(secret) = secret else {
        return Ok(None);
    };
    let payload = secret
        .data
        .as_ref()
        .and_then(|data| data.get("release"))
        .ok_or_else(|| format!("Secret {namespace}/{name} has no key `release`"))?;
    decode_revision(&payload.0)
        .map(Some)
        .map_err(|reason| format!("Secret {namespace}/{name}: {reason}"))
}

/// Decodes a storage payload (base64 text of gzip'd, or plain, release JSON) to its chart and
/// values.
pub fn decode_revision(payload: &[u8]) -> Result<StoredRevision, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim_ascii())
        .map_err(|e| format!("the payload is not base64: {e}"))?;
    let json = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut json = Vec::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut json)
            .map_err(|e| format!("the payload is not valid gzip: {e}"))?;
        json
    } else {
        bytes
    };
    let release: Value =
        serde_json::from_slice(&json).map_err(|e| format!("the payload is not JSON: {e}"))?;
    let metadata = &release["chart"]["metadata"];
    let text = |key: &str| metadata[key].as_str().map(str::to_owned);
    let chart = match (text("name"), text("version")) {
        (Some(name), Some(version)) => StoredChart {
            name,
            version,
            app_version: text("appVersion").filter(|v| !v.is_empty()),
        },
        _ => return Err("the release has no chart name and version".into()),
    };
    let values = match &release["config"] {
        Value::Null => Value::Object(serde_json::Map::new()),
        config => config.clone(),
    };
    Ok(StoredRevision { chart, values })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use serde_json::json;

    use super::*;

    fn release_json() -> Value {
        json!({
            "name": "cert-manager",
            "version": 3,
            "info": {"status": "deployed"},
            "chart": {"metadata": {"name": "cert-manager", "version": "v1.19.4", "appVersion": "v1.19.4"}},
            "config": {"crds": {"enabled": true}},
        })
    }

    fn encode(bytes: &[u8]) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into_bytes()
    }

    #[test]
    fn a_gzipped_payload_names_its_chart() {
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(release_json().to_string().as_bytes())
            .unwrap();
        let revision = decode_revision(&encode(&gzip.finish().unwrap())).unwrap();
        assert_eq!(revision.values, json!({"crds": {"enabled": true}}));
        assert_eq!(
            revision.chart,
            StoredChart {
                name: "cert-manager".into(),
                version: "v1.19.4".into(),
                app_version: Some("v1.19.4".into()),
            }
        );
    }

    #[test]
    fn a_plain_json_payload_is_read_too_and_garbage_is_refused_with_a_reason() {
        let revision = decode_revision(&encode(release_json().to_string().as_bytes())).unwrap();
        assert_eq!(revision.chart.version, "v1.19.4");
        assert!(
            decode_revision(b"not base64!")
                .unwrap_err()
                .contains("base64")
        );
        let no_chart = encode(json!({"name": "x"}).to_string().as_bytes());
        assert!(decode_revision(&no_chart).unwrap_err().contains("no chart"));
    }

    #[test]
    fn storage_secrets_are_named_as_helm_names_them() {
        assert_eq!(
            storage_secret_name("thunder", 12),
            "sh.helm.release.v1.thunder.v12"
        );
    }
}
