//! The namespace of choreoctl's own state, created on first use.

use kube::Client;

use crate::names::SYSTEM_NAMESPACE;

/// Creates [`SYSTEM_NAMESPACE`] unless it exists.
///
/// # Errors
///
/// The client's error when the namespace can be neither read nor created. Callers wrap it:
/// the lock's [`LockError::Kube`](super::LockError::Kube) and a journal write exit 1
/// (`Unexpected`); an ownership marker's write exits 4 (`Preflight`).
pub async fn ensure_system_namespace(client: &Client) -> Result<(), kube::Error> {
    crate::engine::namespaces::create_marked(client, SYSTEM_NAMESPACE).await
}
