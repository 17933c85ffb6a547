//! Keeping the lock: the background task renewing the Lease, and telling the run when it is
//! lost.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use tokio::sync::watch;

use super::error::{LockLost, human};
use super::holder::Holder;
use super::{LockOptions, lease_name};

/// The background task keeping the Lease alive.
pub(super) struct Renewer {
    pub(super) api: Api<Lease>,
    pub(super) installation: String,
    pub(super) holder: Holder,
    pub(super) options: LockOptions,
    pub(super) lost: watch::Sender<Option<LockLost>>,
}

impl Renewer {
    /// Renews until told to stop (returns the last Lease written) or the lock is lost (`None`).
    pub(super) async fn run(
        self,
        mut lease: Lease,
        mut stop: watch::Receiver<bool>,
    ) -> Option<Lease> {
        let name = lease_name(&self.installation);
        let mut renewed = tokio::time::Instant::now();
        let mut wait = self.options.renew_interval;
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return Some(lease),
                () = tokio::time::sleep(wait) => {}
            }
            wait = self.options.renew_interval;
            let mut next = lease.clone();
            if let Some(spec) = next.spec.as_mut() {
                spec.renew_time = Some(MicroTime(Timestamp::now()));
            }
            let failure = match self.api.replace(&name, &PostParams::default(), &next).await {
                Ok(written) => {
                    lease = written;
                    renewed = tokio::time::Instant::now();
                    continue;
                }
                Err(kube::Error::Api(s)) if s.is_not_found() => {
                    return self.lose("its Lease was deleted".to_owned());
                }
                // Someone wrote the Lease: still ours if it names us with our acquire time.
                Err(kube::Error::Api(s)) if s.is_conflict() => {
                    match self.api.get_opt(&name).await {
                        Ok(Some(current)) if self.is_ours(&current) => {
                            lease = current;
                            wait = Duration::ZERO;
                            continue;
                        }
                        Ok(Some(current)) => {
                            let by = current
                                .spec
                                .and_then(|s| s.holder_identity)
                                .unwrap_or_else(|| "nobody".to_owned());
                            return self.lose(format!("taken over by {by}"));
                        }
                        Ok(None) => return self.lose("its Lease was deleted".to_owned()),
                        Err(e) => e.to_string(),
                    }
                }
                Err(e) => e.to_string(),
            };
            if renewed.elapsed() >= self.options.lease_duration {
                return self.lose(format!(
                    "not renewed for {}, it may have been taken over: {failure}",
                    human(self.options.lease_duration)
                ));
            }
            // Transient failure: retry sooner than the regular interval.
            wait = (self.options.renew_interval / 4).max(Duration::from_millis(200));
        }
    }

    fn is_ours(&self, lease: &Lease) -> bool {
        lease.spec.as_ref().is_some_and(|s| {
            s.holder_identity.as_deref() == Some(self.holder.identity.as_str())
                && s.acquire_time.as_ref().map(|t| t.0) == Some(self.holder.since)
        })
    }

    fn lose(&self, reason: String) -> Option<Lease> {
        let _ = self.lost.send(Some(LockLost {
            installation: self.installation.clone(),
            reason,
        }));
        None
    }
}
