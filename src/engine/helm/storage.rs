//! Release state read in bulk from helm's storage Secrets (research/engine.md §3).
//!
//! helm (3 and 4 alike, Secret driver) stores each revision as a Secret
//! `sh.helm.release.v1.<release>.v<revision>` labelled `owner=helm`, `name=<release>`,
//! `status=<status>` and `version=<revision>`. One metadata-only list of those Secrets per
//! cluster gives every release's latest revision and status, without decoding a payload and
//! without running helm once per release: that is what makes a run with nothing to do fast.
//!
//! choreoctl runs helm with `HELM_DRIVER=secret`, so its releases are always stored this way.

use crate::names::INSTALLATION_LABEL;
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ListParams};
use serde::{Deserialize, Serialize};

/// Page size of the list (a cluster with many releases keeps many revisions).
const PAGE: u32 = 500;

/// A release's status as helm records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", from = "String")]
pub enum ReleaseStatus {
    /// Deployed and current.
    Deployed,
    /// An older revision, replaced by a later one.
    Superseded,
    /// The operation that made this revision failed.
    Failed,
    /// Uninstalled with `--keep-history`.
    Uninstalled,
    /// Being uninstalled.
    Uninstalling,
    /// An install in progress, or left behind by a helm that died (SIGKILL).
    PendingInstall,
    /// An upgrade in progress, or left behind.
    PendingUpgrade,
    /// A rollback in progress, or left behind.
    PendingRollback,
    /// helm's `unknown`, or a status this choreoctl does not know.
    Unknown,
}

impl ReleaseStatus {
    /// The status as helm writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Deployed => "deployed",
            ReleaseStatus::Superseded => "superseded",
            ReleaseStatus::Failed => "failed",
            ReleaseStatus::Uninstalled => "uninstalled",
            ReleaseStatus::Uninstalling => "uninstalling",
            ReleaseStatus::PendingInstall => "pending-install",
            ReleaseStatus::PendingUpgrade => "pending-upgrade",
            ReleaseStatus::PendingRollback => "pending-rollback",
            ReleaseStatus::Unknown => "unknown",
        }
    }

    /// `pending-install`, `pending-upgrade` or `pending-rollback`: helm refuses to upgrade such
    /// a release until it is rolled back (or, at revision 1, uninstalled).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            ReleaseStatus::PendingInstall
                | ReleaseStatus::PendingUpgrade
                | ReleaseStatus::PendingRollback
        )
    }
}

impl From<&str> for ReleaseStatus {
    fn from(text: &str) -> Self {
        match text {
            "deployed" => ReleaseStatus::Deployed,
            "superseded" => ReleaseStatus::Superseded,
            "failed" => ReleaseStatus::Failed,
            "uninstalled" => ReleaseStatus::Uninstalled,
            "uninstalling" => ReleaseStatus::Uninstalling,
            "pending-install" => ReleaseStatus::PendingInstall,
            "pending-upgrade" => ReleaseStatus::PendingUpgrade,
            "pending-rollback" => ReleaseStatus::PendingRollback,
            _ => ReleaseStatus::Unknown,
        }
    }
}

impl From<String> for ReleaseStatus {
    fn from(text: String) -> Self {
        ReleaseStatus::from(text.as_str())
    }
}

impl fmt::Display for ReleaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The latest revision of one release, as its storage Secret's labels say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRelease {
    /// Namespace of the release (and of its storage Secrets).
    pub namespace: String,
    /// Release name.
    pub name: String,
    /// Latest revision.
    pub revision: u32,
    /// Status of the latest revision.
    pub status: ReleaseStatus,
    /// The choreoctl installation whose run installed or upgraded it last (the
    /// [`INSTALLATION_LABEL`] choreoctl gives every release); `None`: someone else's.
    pub installation: Option<String>,
}

/// Every release of one cluster, by namespace and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseStates {
    releases: BTreeMap<(String, String), StoredRelease>,
}

impl ReleaseStates {
    /// Builds the states from storage Secrets' namespaces and labels; Secrets whose labels are
    /// incomplete are ignored. Pure, so it is tested without a cluster.
    pub fn from_labels<'a>(
        secrets: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
    ) -> Self {
        let mut releases = BTreeMap::<(String, String), StoredRelease>::new();
        for (namespace, labels) in secrets {
            let (Some(name), Some(status), Some(revision)) = (
                labels.get("name"),
                labels.get("status"),
                labels.get("version").and_then(|v| v.parse::<u32>().ok()),
            ) else {
                continue;
            };
            let key = (namespace.to_owned(), name.clone());
            if releases
                .get(&key)
                .is_some_and(|seen| seen.revision >= revision)
            {
                continue;
            }
            let stored = StoredRelease {
                namespace: namespace.to_owned(),
                name: name.clone(),
                revision,
                status: ReleaseStatus::from(status.as_str()),
                installation: labels.get(INSTALLATION_LABEL).cloned(),
            };
            releases.insert(key, stored);
        }
        ReleaseStates { releases }
    }

    /// The latest revision of release `name` in `namespace`, if it has any stored.
    pub fn get(&self, namespace: &str, name: &str) -> Option<&StoredRelease> {
        self.releases.get(&(namespace.to_owned(), name.to_owned()))
    }

    /// Every release, ordered by namespace and name.
    pub fn iter(&self) -> impl Iterator<Item = &StoredRelease> {
        self.releases.values()
    }

    /// Releases whose latest revision is `pending-*` (left behind by a dead helm, or in flight).
    pub fn pending(&self) -> impl Iterator<Item = &StoredRelease> {
        self.iter().filter(|release| release.status.is_pending())
    }
}

/// Lists helm's storage Secrets of the whole cluster (metadata only, paged) and returns each
/// release's latest revision and status.
///
/// # Errors
///
/// The [`kube::Error`] of a list the cluster refuses or fails; a run stops before any step
/// ([`EngineError::Cluster`](crate::engine::EngineError), exit 4).
pub async fn read_release_states(client: &Client) -> Result<ReleaseStates, kube::Error> {
    let api: Api<Secret> = Api::all(client.clone());
    let mut params = ListParams::default().labels("owner=helm").limit(PAGE);
    let mut secrets = Vec::new();
    loop {
        let page = api.list_metadata(&params).await?;
        secrets.extend(page.items.into_iter().map(|secret| {
            (
                secret.metadata.namespace.unwrap_or_default(),
                secret.metadata.labels.unwrap_or_default(),
            )
        }));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    Ok(ReleaseStates::from_labels(
        secrets
            .iter()
            .map(|(namespace, labels)| (namespace.as_str(), labels)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(name: &str, status: &str, version: &str) -> BTreeMap<String, String> {
        [
            ("owner", "helm"),
            ("name", name),
            ("status", status),
            ("version", version),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn the_latest_revision_of_each_release_per_namespace_wins() {
        let secrets = [
            ("cert-manager", labels("cert-manager", "superseded", "1")),
            ("cert-manager", labels("cert-manager", "deployed", "10")),
            ("cert-manager", labels("cert-manager", "superseded", "9")),
            ("openchoreo", labels("cert-manager", "pending-install", "1")),
            ("openchoreo", labels("thunder", "failed", "2")),
            ("openchoreo", labels("thunder", "deployed", "1")),
        ];
        let states = ReleaseStates::from_labels(secrets.iter().map(|(ns, l)| (*ns, l)));
        assert_eq!(
            states.get("cert-manager", "cert-manager"),
            Some(&StoredRelease {
                namespace: "cert-manager".into(),
                name: "cert-manager".into(),
                revision: 10,
                status: ReleaseStatus::Deployed,
                installation: None,
            })
        );
        let thunder = states.get("openchoreo", "thunder").unwrap();
        assert_eq!(
            (thunder.revision, thunder.status),
            (2, ReleaseStatus::Failed)
        );
        let pending: Vec<_> = states
            .pending()
            .map(|r| (&*r.namespace, &*r.name))
            .collect();
        assert_eq!(pending, [("openchoreo", "cert-manager")]);
        assert_eq!(states.iter().count(), 3);
        assert!(states.get("cert-manager", "thunder").is_none());
    }

    #[test]
    fn secrets_with_incomplete_labels_are_ignored() {
        let mut no_version = labels("a", "deployed", "1");
        no_version.remove("version");
        let secrets = [
            ("ns", no_version),
            ("ns", labels("b", "deployed", "x")),
            ("ns", labels("c", "something-new", "3")),
        ];
        let states = ReleaseStates::from_labels(secrets.iter().map(|(ns, l)| (*ns, l)));
        let names: Vec<_> = states.iter().map(|r| (&*r.name, r.status)).collect();
        assert_eq!(names, [("c", ReleaseStatus::Unknown)]);
    }

    #[test]
    fn statuses_read_and_print_as_helm_writes_them() {
        for text in [
            "deployed",
            "superseded",
            "failed",
            "uninstalled",
            "uninstalling",
            "pending-install",
            "pending-upgrade",
            "pending-rollback",
            "unknown",
        ] {
            let status = ReleaseStatus::from(text);
            assert_eq!(status.to_string(), text);
            assert_eq!(serde_json::to_value(status).unwrap(), text);
            let parsed: ReleaseStatus = serde_json::from_value(text.into()).unwrap();
            assert_eq!(parsed, status);
            assert_eq!(status.is_pending(), text.starts_with("pending-"));
        }
    }
}
