//! The namespace of choreoctl's own state, created on first use.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, PostParams};

use crate::names::{MANAGED_BY, MANAGED_BY_LABEL, SYSTEM_NAMESPACE};

/// Creates [`SYSTEM_NAMESPACE`] unless it exists.
///
/// # Errors
///
/// The client's error when the namespace can be neither read nor created. Callers wrap it:
/// the lock's [`LockError::Kube`](super::LockError::Kube) and a journal write exit 1
/// (`Unexpected`); an ownership marker's write exits 4 (`Preflight`).
pub async fn ensure_system_namespace(client: &Client) -> Result<(), kube::Error> {
    let api: Api<Namespace> = Api::all(client.clone());
    if api.get_opt(SYSTEM_NAMESPACE).await?.is_some() {
        return Ok(());
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(SYSTEM_NAMESPACE.to_owned()),
            labels: Some([(MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned())].into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match api.create(&PostParams::default(), &namespace).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.is_already_exists() => Ok(()),
        Err(e) => Err(e),
    }
}
