//! Where the journal is kept: the Secret `choreoctl-<installation>` in the state namespace of
//! the control plane's cluster, gzip-compressed JSON, saved with optimistic concurrency.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::Value;

use super::model::Journal;
use crate::engine::lock::ensure_system_namespace;
use crate::names::{
    INSTALLATION_LABEL, JOURNAL_SECRET_TYPE, MANAGED_BY, MANAGED_BY_LABEL, SYSTEM_NAMESPACE,
};

/// Version of the journal's stored form; a journal written by a newer choreoctl is refused.
pub const JOURNAL_FORMAT: u32 = 1;

/// Key of the Secret's data holding the gzip-compressed JSON journal.
pub const JOURNAL_KEY: &str = "journal.json.gz";

/// Largest compressed journal saved: a Secret holds at most 1 MiB, metadata included.
pub const MAX_JOURNAL_BYTES: usize = 1_000_000;

/// The identity of the cluster `client` reaches: its `kube-system` namespace's UID (the
/// namespace cannot be deleted, so the UID lives as long as the cluster).
///
/// # Errors
///
/// The [`kube::Error`] of a read the cluster refuses or fails; a run stops before any step
/// (exit 4).
pub async fn cluster_uid(client: &Client) -> Result<String, kube::Error> {
    let namespace = Api::<Namespace>::all(client.clone())
        .get("kube-system")
        .await?;
    Ok(namespace.metadata.uid.unwrap_or_default())
}

/// Why the journal could not be loaded or saved.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum JournalError {
    /// Someone else saved the journal since it was loaded.
    #[error(
        "the journal of installation '{installation}' was changed by someone else since it was read"
    )]
    #[diagnostic(help("another choreoctl run may be working on it: check `choreoctl status`"))]
    Conflict {
        /// Installation name.
        installation: String,
    },
    /// The journal does not fit in a Secret.
    #[error(
        "the journal of installation '{installation}' is {bytes} bytes compressed, more than the \
         {MAX_JOURNAL_BYTES} a Secret can hold"
    )]
    TooLarge {
        /// Installation name.
        installation: String,
        /// Its compressed size.
        bytes: usize,
    },
    /// The Secret exists but is not a journal this choreoctl can read.
    #[error(
        "the journal of installation '{installation}' (Secret {SYSTEM_NAMESPACE}/{secret}) cannot \
         be read: {reason}"
    )]
    Unreadable {
        /// Installation name.
        installation: String,
        /// Secret name.
        secret: String,
        /// What is wrong.
        reason: String,
    },
    /// The cluster refused or failed a request.
    #[error("journal of installation '{installation}': cannot {action}")]
    Kube {
        /// Installation name.
        installation: String,
        /// What was attempted.
        action: &'static str,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// A journal as loaded, with the `resourceVersion` to save it against.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The journal.
    pub journal: Journal,
    /// The Secret's `resourceVersion` when read.
    pub resource_version: String,
}

/// Where the journal of one installation is kept.
#[derive(Debug, Clone)]
pub struct JournalStore {
    api: Api<Secret>,
    installation: String,
}

/// The journal Secret's name for an installation.
pub fn secret_name(installation: &str) -> String {
    format!("choreoctl-{installation}")
}

/// Names of the installations whose journal is kept on the cluster `client` reaches, sorted.
///
/// # Errors
///
/// The [`kube::Error`] of a list the cluster refuses or fails (`status` exits 4 on it).
pub async fn list_installations(client: &Client) -> Result<Vec<String>, kube::Error> {
    let api: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let secrets = api
        .list_metadata(&ListParams::default().labels(INSTALLATION_LABEL))
        .await?;
    let mut names: Vec<String> = secrets
        .items
        .into_iter()
        .filter_map(|secret| {
            let name = secret.metadata.name?;
            let installation = secret.metadata.labels?.remove(INSTALLATION_LABEL)?;
            (name == secret_name(&installation)).then_some(installation)
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

impl JournalStore {
    /// The journal of `installation` on the control plane's cluster.
    pub fn new(client: &Client, installation: &str) -> Self {
        Self {
            api: Api::namespaced(client.clone(), SYSTEM_NAMESPACE),
            installation: installation.to_owned(),
        }
    }

    /// Reads the journal; `None` before the first install.
    ///
    /// # Errors
    ///
    /// [`JournalError::Kube`] when the cluster fails the request; [`JournalError::Unreadable`]
    /// when the Secret holds no journal this choreoctl reads. Both exit 1.
    pub async fn load(&self) -> Result<Option<Stored>, JournalError> {
        let name = secret_name(&self.installation);
        let Some(secret) = self
            .api
            .get_opt(&name)
            .await
            .map_err(self.kube_error("read the journal Secret"))?
        else {
            return Ok(None);
        };
        let unreadable = |reason: String| JournalError::Unreadable {
            installation: self.installation.clone(),
            secret: name.clone(),
            reason,
        };
        let payload = secret
            .data
            .as_ref()
            .and_then(|data| data.get(JOURNAL_KEY))
            .ok_or_else(|| unreadable(format!("it has no key {JOURNAL_KEY}")))?;
        let journal = decode(&payload.0).map_err(unreadable)?;
        Ok(Some(Stored {
            journal,
            resource_version: secret.metadata.resource_version.unwrap_or_default(),
        }))
    }

    /// Saves the journal: created when `resource_version` is `None`, else replaced only if the
    /// Secret is still at that version. Returns the new version, to pass to the next save.
    ///
    /// # Errors
    ///
    /// [`JournalError::Conflict`] when someone else saved it since it was read;
    /// [`JournalError::TooLarge`] past a Secret's limit; [`JournalError::Kube`] when the cluster
    /// fails the request. All exit 1.
    pub async fn save(
        &self,
        journal: &Journal,
        resource_version: Option<&str>,
    ) -> Result<String, JournalError> {
        let payload = encode(journal);
        if payload.len() > MAX_JOURNAL_BYTES {
            return Err(JournalError::TooLarge {
                installation: self.installation.clone(),
                bytes: payload.len(),
            });
        }
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(secret_name(&self.installation)),
                labels: Some(
                    [
                        (INSTALLATION_LABEL.to_owned(), self.installation.clone()),
                        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
                    ]
                    .into(),
                ),
                resource_version: resource_version.map(str::to_owned),
                ..ObjectMeta::default()
            },
            type_: Some(JOURNAL_SECRET_TYPE.to_owned()),
            data: Some([(JOURNAL_KEY.to_owned(), ByteString(payload))].into()),
            ..Secret::default()
        };
        let params = PostParams::default();
        let written = match resource_version {
            None => {
                ensure_system_namespace(&self.api.clone().into_client())
                    .await
                    .map_err(self.kube_error("create namespace choreoctl-system"))?;
                self.api.create(&params, &secret).await
            }
            Some(_) => {
                self.api
                    .replace(&secret_name(&self.installation), &params, &secret)
                    .await
            }
        };
        match written {
            Ok(secret) => Ok(secret.metadata.resource_version.unwrap_or_default()),
            Err(kube::Error::Api(s))
                if s.is_conflict() || s.is_already_exists() || s.is_not_found() =>
            {
                Err(JournalError::Conflict {
                    installation: self.installation.clone(),
                })
            }
            Err(e) => Err(self.kube_error("save the journal Secret")(e)),
        }
    }

    /// Deletes the journal (the installation is gone); deleting one that does not exist is no
    /// error.
    ///
    /// # Errors
    ///
    /// [`JournalError::Kube`] when the cluster refuses or fails the request.
    pub async fn delete(&self) -> Result<(), JournalError> {
        match self
            .api
            .delete(&secret_name(&self.installation), &DeleteParams::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
            Err(e) => Err(self.kube_error("delete the journal Secret")(e)),
        }
    }

    fn kube_error(&self, action: &'static str) -> impl FnOnce(kube::Error) -> JournalError {
        let installation = self.installation.clone();
        move |source| JournalError::Kube {
            installation,
            action,
            source,
        }
    }
}

/// The stored form: gzip-compressed JSON.
fn encode(journal: &Journal) -> Vec<u8> {
    let json = serde_json::to_vec(journal).expect("a journal serializes to JSON");
    let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
    gzip.write_all(&json)
        .and_then(|()| gzip.finish())
        .expect("compressing into memory cannot fail")
}

fn decode(payload: &[u8]) -> Result<Journal, String> {
    let mut json = Vec::new();
    GzDecoder::new(payload)
        .read_to_end(&mut json)
        .map_err(|e| format!("not gzip data: {e}"))?;
    let value: Value = serde_json::from_slice(&json).map_err(|e| format!("not JSON: {e}"))?;
    let format = value.get("format").and_then(Value::as_u64).unwrap_or(0);
    if format > u64::from(JOURNAL_FORMAT) {
        return Err(format!(
            "written in format {format} by a newer choreoctl (this one reads {JOURNAL_FORMAT})"
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("not a journal: {e}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::journal::RunStatus;
    use crate::engine::journal::fixtures::{at, digest, journal};

    #[test]
    fn a_journal_round_trips_through_its_stored_form() {
        let mut j = journal(RunStatus::InProgress);
        j.record_step(
            "secure-core/control-plane@cp",
            digest("v"),
            Some(2),
            at("2026-08-21T10:01:00Z"),
        );
        j.record_output(
            "secure-core/agent-ca@dp1",
            "-----BEGIN CERTIFICATE-----".into(),
        );
        j.bind_cluster("cp", "uid-cp", Some("cp"), at("2026-08-21T10:00:00Z"));
        j.finish(RunStatus::Succeeded, at("2026-08-21T10:02:00Z"));
        assert_eq!(decode(&encode(&j)), Ok(j));
    }

    #[test]
    fn a_journal_from_a_newer_choreoctl_or_garbage_is_refused_with_a_reason() {
        let mut value = serde_json::to_value(journal(RunStatus::Succeeded)).unwrap();
        value["format"] = json!(JOURNAL_FORMAT + 1);
        let mut gzip = GzEncoder::new(Vec::new(), Compression::default());
        gzip.write_all(value.to_string().as_bytes()).unwrap();
        let newer = decode(&gzip.finish().unwrap()).unwrap_err();
        assert!(newer.contains("newer choreoctl"), "{newer}");
        assert!(decode(b"{}").unwrap_err().contains("not gzip"));
    }
}
