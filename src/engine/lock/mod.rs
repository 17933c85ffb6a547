//! The lock against concurrent runs on one installation: a `coordination.k8s.io/v1` Lease named
//! `choreoctl-<installation>` in namespace [`SYSTEM_NAMESPACE`](crate::names::SYSTEM_NAMESPACE) of the control plane's cluster.
//!
//! - **Acquire** by creating the Lease; `AlreadyExists` means another run holds it. A Lease whose
//!   holder stopped renewing (`renewTime + leaseDurationSeconds` in the past), or any Lease when
//!   [`LockOptions::force_unlock`] is set, is taken over by a `replace` carrying the fetched
//!   `resourceVersion`, so of two runs taking over at once exactly one wins (the other gets 409).
//! - A live Lease whose holder ran **on this machine and has exited** (killed with `kill -9`,
//!   say) is taken over at once: the Lease records the holder's process precisely enough to
//!   tell (`process.rs`), so a re-run right after a crash need not wait for the Lease to expire.
//! - **Renew** from a background task every [`LockOptions::renew_interval`], again by a `replace`
//!   carrying the last written `resourceVersion`: a run that was taken over cannot overwrite the
//!   new holder. When renewal fails for good, [`RunLock::watch`] reports the lock lost and the
//!   executor stops starting steps.
//! - **Release** by deleting the Lease with `Preconditions { uid, resourceVersion }`, so a release
//!   never deletes another run's Lease.
//!
//! Expiry is judged on the Lease's own timestamps, written by the holder's clock: clocks of the
//! machines running choreoctl must agree to within a fraction of the lease duration (60 s by
//! default), which NTP-synchronised machines do.
//!
//! One file per job: `acquire.rs` takes the lock, `held.rs` is the lock while held (watched by
//! the executor, released at the end), `renew.rs` keeps it alive, `lease.rs` judges a Lease,
//! `holder.rs` names holders, `namespace.rs` creates the state namespace, `error.rs` says how
//! it fails.

use std::time::Duration;

mod acquire;
mod error;
mod held;
mod holder;
mod lease;
mod namespace;
mod process;
mod renew;

pub use acquire::{acquire, live_holder};
pub use error::{LockError, LockLost};
pub use held::{LockWatch, RunLock};
pub use holder::{Holder, PreviousHolder};
pub use namespace::ensure_system_namespace;

/// How the lock is taken and kept.
#[derive(Debug, Clone)]
pub struct LockOptions {
    /// How long the Lease stays valid without renewal (`leaseDurationSeconds`).
    pub lease_duration: Duration,
    /// How often the holder renews it; well below `lease_duration`.
    pub renew_interval: Duration,
    /// Take the lock over even when another run holds it (`--force-unlock`).
    pub force_unlock: bool,
}

impl Default for LockOptions {
    fn default() -> Self {
        Self {
            lease_duration: Duration::from_secs(60),
            renew_interval: Duration::from_secs(15),
            force_unlock: false,
        }
    }
}

/// The Lease name of an installation.
pub fn lease_name(installation: &str) -> String {
    format!("choreoctl-{installation}")
}

/// What the unit tests of Leases start from.
#[cfg(test)]
mod fixtures {
    use k8s_openapi::api::coordination::v1::LeaseSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
    use k8s_openapi::jiff::Timestamp;

    /// A Lease held by `holder`, acquired and renewed that many seconds before [`now`], for
    /// `duration` seconds.
    pub fn spec(
        holder: Option<&str>,
        acquired_ago: i64,
        renewed_ago: i64,
        duration: i32,
    ) -> LeaseSpec {
        let now = now();
        LeaseSpec {
            holder_identity: holder.map(str::to_owned),
            acquire_time: Some(MicroTime(now - jiff_secs(acquired_ago))),
            renew_time: Some(MicroTime(now - jiff_secs(renewed_ago))),
            lease_duration_seconds: Some(duration),
            ..LeaseSpec::default()
        }
    }

    /// The moment the tests judge Leases at.
    pub fn now() -> Timestamp {
        "2026-08-21T10:00:00Z".parse().unwrap()
    }

    /// `secs` seconds.
    fn jiff_secs(secs: i64) -> k8s_openapi::jiff::SignedDuration {
        k8s_openapi::jiff::SignedDuration::from_secs(secs)
    }
}
