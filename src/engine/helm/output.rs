//! What helm prints with `--output json`, read into our own types.

use serde::Deserialize;

use super::ReleaseStatus;

/// A release as `helm upgrade --output json` reports it (helm 3 and 4 print the same fields we
/// read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "ReleaseJson")]
pub struct Release {
    /// Release name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// The revision this operation made (with a dry run, the one it would make).
    pub revision: u32,
    /// Its status.
    pub status: ReleaseStatus,
    /// The rendered manifest (hooks excluded).
    pub manifest: String,
}

#[derive(Deserialize)]
struct ReleaseJson {
    name: String,
    namespace: String,
    version: u32,
    info: InfoJson,
    #[serde(default)]
    manifest: String,
}

#[derive(Deserialize)]
struct InfoJson {
    status: ReleaseStatus,
}

impl From<ReleaseJson> for Release {
    fn from(json: ReleaseJson) -> Self {
        Release {
            name: json.name,
            namespace: json.namespace,
            revision: json.version,
            status: json.info.status,
            manifest: json.manifest,
        }
    }
}

/// One entry of `helm history --output json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Revision {
    /// The revision number.
    pub revision: u32,
    /// Its status.
    pub status: ReleaseStatus,
    /// `name-version` of the chart.
    pub chart: String,
    /// The chart's app version.
    #[serde(default)]
    pub app_version: String,
    /// helm's description, e.g. `Install complete`, `Rollback to 1`.
    #[serde(default)]
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_release_helm_3_and_4_print() {
        // Trimmed `helm upgrade --install -o json` output (helm 4 adds apply_method).
        let json = r#"{"name":"cert-manager","info":{"first_deployed":"2026-01-01T00:00:00Z",
            "last_deployed":"2026-01-01T00:00:00Z","deleted":"","description":"Install complete",
            "status":"deployed"},"chart":{},"config":{"a":1},"manifest":"---\nkind: Service\n",
            "version":1,"namespace":"cert-manager","apply_method":"ssa"}"#;
        let release: Release = serde_json::from_str(json).unwrap();
        assert_eq!(
            release,
            Release {
                name: "cert-manager".into(),
                namespace: "cert-manager".into(),
                revision: 1,
                status: ReleaseStatus::Deployed,
                manifest: "---\nkind: Service\n".into(),
            }
        );
    }

    #[test]
    fn reads_history() {
        let json = r#"[{"revision":1,"updated":"2026-01-01T00:00:00Z","status":"superseded",
            "chart":"cert-manager-v1.19.4","app_version":"v1.19.4","description":"Install complete"},
            {"revision":2,"updated":"2026-01-01T00:01:00Z","status":"pending-upgrade",
            "chart":"cert-manager-v1.19.4","app_version":"v1.19.4","description":"Preparing upgrade"}]"#;
        let history: Vec<Revision> = serde_json::from_str(json).unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].revision, 2);
        assert_eq!(history[1].status, ReleaseStatus::PendingUpgrade);
        assert_eq!(history[0].description, "Install complete");
    }
}
