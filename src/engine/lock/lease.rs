//! What a Lease says about the lock at a given moment: free, expired, or held by a live run.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;

/// What a Lease says about the lock, judged at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LeaseState {
    /// No holder (a released or cleared Lease).
    Free,
    /// A holder that stopped renewing: `renewTime + leaseDurationSeconds` is past.
    Expired {
        holder: String,
        renewed_ago: Duration,
    },
    /// A live holder.
    Held {
        holder: String,
        held_for: Duration,
        renewed_ago: Duration,
        lease_duration: Duration,
    },
}

impl LeaseState {
    pub(super) fn of(spec: Option<&LeaseSpec>, now: Timestamp) -> Self {
        let Some(spec) = spec else {
            return Self::Free;
        };
        let Some(holder) = spec.holder_identity.clone().filter(|h| !h.is_empty()) else {
            return Self::Free;
        };
        let ago = |time: Option<&MicroTime>| {
            time.map(|t| Duration::try_from(now.duration_since(t.0)).unwrap_or(Duration::ZERO))
        };
        let acquired_ago = ago(spec.acquire_time.as_ref());
        let renewed_ago = ago(spec.renew_time.as_ref())
            .or(acquired_ago)
            .unwrap_or(Duration::MAX);
        let lease_duration =
            Duration::from_secs(spec.lease_duration_seconds.unwrap_or(0).max(0) as u64);
        if renewed_ago > lease_duration {
            Self::Expired {
                holder,
                renewed_ago,
            }
        } else {
            Self::Held {
                holder,
                held_for: acquired_ago.unwrap_or(renewed_ago),
                renewed_ago,
                lease_duration,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::lock::fixtures::{now, spec};

    #[test]
    fn a_lease_renewed_within_its_duration_is_held_and_says_for_how_long() {
        let state = LeaseState::of(Some(&spec(Some("ana@box pid 7"), 200, 10, 60)), now());
        assert_eq!(
            state,
            LeaseState::Held {
                holder: "ana@box pid 7".into(),
                held_for: Duration::from_secs(200),
                renewed_ago: Duration::from_secs(10),
                lease_duration: Duration::from_secs(60),
            }
        );
    }

    #[test]
    fn a_lease_not_renewed_for_longer_than_its_duration_is_expired() {
        let state = LeaseState::of(Some(&spec(Some("ana@box pid 7"), 500, 61, 60)), now());
        assert_eq!(
            state,
            LeaseState::Expired {
                holder: "ana@box pid 7".into(),
                renewed_ago: Duration::from_secs(61),
            }
        );
    }

    #[test]
    fn a_lease_without_holder_is_free() {
        assert_eq!(
            LeaseState::of(Some(&spec(None, 5, 5, 60)), now()),
            LeaseState::Free
        );
        assert_eq!(
            LeaseState::of(Some(&spec(Some(""), 5, 5, 60)), now()),
            LeaseState::Free
        );
        assert_eq!(LeaseState::of(None, now()), LeaseState::Free);
    }

    #[test]
    fn a_lease_without_renew_time_counts_from_its_acquire_time() {
        let mut s = spec(Some("ana@box pid 7"), 90, 0, 60);
        s.renew_time = None;
        assert!(matches!(
            LeaseState::of(Some(&s), now()),
            LeaseState::Expired { .. }
        ));
    }
}
