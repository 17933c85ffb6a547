//! The lock while this run holds it: what the executor watches, and the release.

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, DeleteParams, Preconditions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::{LockError, LockLost};
use super::holder::{Holder, PreviousHolder};
use super::renew::Renewer;
use super::{LockOptions, lease_name};

/// Tells a running executor whether its lock is still held.
#[derive(Debug, Clone)]
pub struct LockWatch(watch::Receiver<Option<LockLost>>);

impl LockWatch {
    /// `Some` once the lock is lost.
    pub fn lost(&self) -> Option<LockLost> {
        self.0.borrow().clone()
    }

    /// Completes when the lock is lost; never completes while it is held (or after release).
    pub async fn wait_lost(&mut self) -> LockLost {
        match self.0.wait_for(Option::is_some).await {
            Ok(lost) => lost.clone().expect("waited for Some"),
            Err(_) => std::future::pending().await,
        }
    }
}

/// The lock held by this run; renewed in the background until [`RunLock::release`].
/// Dropping it without release stops the renewal and leaves the Lease to expire.
#[derive(Debug)]
pub struct RunLock {
    api: Api<Lease>,
    installation: String,
    holder: Holder,
    previous: Option<PreviousHolder>,
    lost: watch::Receiver<Option<LockLost>>,
    stop: watch::Sender<bool>,
    renewer: Option<JoinHandle<Option<Lease>>>,
}

impl RunLock {
    pub(super) fn start(
        api: Api<Lease>,
        installation: &str,
        holder: Holder,
        previous: Option<PreviousHolder>,
        lease: Lease,
        options: &LockOptions,
    ) -> Self {
        let (lost_tx, lost) = watch::channel(None);
        let (stop, stop_rx) = watch::channel(false);
        let renewer = Renewer {
            api: api.clone(),
            installation: installation.to_owned(),
            holder: holder.clone(),
            options: options.clone(),
            lost: lost_tx,
        };
        Self {
            api,
            installation: installation.to_owned(),
            holder,
            previous,
            lost,
            stop,
            renewer: Some(tokio::spawn(renewer.run(lease, stop_rx))),
        }
    }

    /// This run, as written in the Lease.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// The run whose lock this one took over, if any (to be reported).
    pub fn took_over_from(&self) -> Option<&PreviousHolder> {
        self.previous.as_ref()
    }

    /// Whether the lock is still held; the executor checks it before starting each step.
    pub fn watch(&self) -> LockWatch {
        LockWatch(self.lost.clone())
    }

    /// Stops renewing and deletes the Lease, unless it is no longer ours (lost, taken over,
    /// deleted): then there is nothing to release and this succeeds.
    ///
    /// # Errors
    ///
    /// [`LockError::Kube`] when the cluster fails the delete for another reason than the Lease
    /// being gone or changed. `install` reports it as a note (the Lease then expires) and
    /// keeps the exit code of its run.
    pub async fn release(mut self) -> Result<(), LockError> {
        let _ = self.stop.send(true);
        let Some(renewer) = self.renewer.take() else {
            return Ok(());
        };
        let Ok(Some(lease)) = renewer.await else {
            return Ok(());
        };
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: lease.metadata.uid.clone(),
                resource_version: lease.metadata.resource_version.clone(),
            }),
            ..DeleteParams::default()
        };
        let name = lease_name(&self.installation);
        match self.api.delete(&name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.is_not_found() || s.is_conflict() => Ok(()),
            Err(source) => Err(LockError::Kube {
                installation: self.installation.clone(),
                action: "delete the Lease",
                source,
            }),
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
    }
}
