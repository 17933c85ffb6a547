//! Who holds the lock: this run's identity, the run it took the lock over from, and the Lease
//! as claimed by a holder (with its process, so that a holder gone on this machine is seen).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;

use super::LockOptions;
use super::process::LocalProcess;
use crate::names::HOLDER_PROCESS_ANNOTATION;

/// Who runs: `user@host pid N`, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// `user@host pid N`, written to `holderIdentity`.
    pub identity: String,
    /// When the holder acquired the lock (`acquireTime`).
    pub since: Timestamp,
}

impl Holder {
    /// This process, acquiring now.
    pub fn this_process() -> Self {
        let user = ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".to_owned());
        let host = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "unknown-host".to_owned());
        Self {
            identity: format!("{user}@{host} pid {}", std::process::id()),
            since: now_in_microseconds(),
        }
    }
}

/// Now, at the precision a Lease keeps (`MicroTime`), so that what is read back compares equal.
fn now_in_microseconds() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
}

/// The run whose lock was taken over: expired, or forced with `--force-unlock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousHolder {
    /// Its identity.
    pub identity: String,
    /// Whether its Lease had expired.
    pub expired: bool,
    /// Whether it ran on this machine and its process has exited (its Lease was still live).
    /// Neither this nor `expired`: taken by force (`--force-unlock`).
    pub process_gone: bool,
    /// How long ago it last renewed.
    pub renewed_ago: Duration,
}

/// Whether the Lease's holder ran on this machine (`here`) and has exited.
pub(super) fn holder_process_gone(lease: &Lease, here: &LocalProcess) -> bool {
    lease
        .metadata
        .annotations
        .as_ref()
        .and_then(|annotations| annotations.get(HOLDER_PROCESS_ANNOTATION))
        .and_then(|text| LocalProcess::from_annotation(text))
        .is_some_and(|holder| holder.is_gone_seen_from(here))
}

/// `lease` claimed by `holder` (running as `process`, when known) now, with `options`' duration
/// (the transition counted when it had another holder).
pub(super) fn claimed(
    mut lease: Lease,
    holder: &Holder,
    process: Option<&LocalProcess>,
    options: &LockOptions,
) -> Lease {
    let annotations = lease
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    match process {
        Some(process) => {
            annotations.insert(
                HOLDER_PROCESS_ANNOTATION.to_owned(),
                process.to_annotation(),
            );
        }
        None => {
            annotations.remove(HOLDER_PROCESS_ANNOTATION);
        }
    }
    let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
    let had_holder = spec
        .holder_identity
        .as_deref()
        .is_some_and(|h| !h.is_empty());
    spec.holder_identity = Some(holder.identity.clone());
    spec.acquire_time = Some(MicroTime(holder.since));
    spec.renew_time = Some(MicroTime(Timestamp::now()));
    spec.lease_duration_seconds = Some(options.lease_duration.as_secs().clamp(1, 3600) as i32);
    if had_holder {
        spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
    }
    lease
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::engine::lock::fixtures::{now, spec};

    #[test]
    fn claiming_a_held_lease_counts_a_transition_and_names_the_new_holder() {
        let lease = Lease {
            metadata: ObjectMeta::default(),
            spec: Some(spec(Some("ana@box pid 7"), 500, 100, 60)),
        };
        let me = Holder {
            identity: "bo@laptop pid 9".into(),
            since: now(),
        };
        let here = LocalProcess::this().expect("Linux /proc");
        let claimed = claimed(lease, &me, Some(&here), &LockOptions::default());
        assert!(!holder_process_gone(&claimed, &here), "names this process");
        let spec = claimed.spec.unwrap();
        assert_eq!(spec.holder_identity.as_deref(), Some("bo@laptop pid 9"));
        assert_eq!(spec.acquire_time, Some(MicroTime(now())));
        assert_eq!(spec.lease_duration_seconds, Some(60));
        assert_eq!(spec.lease_transitions, Some(1));
    }

    #[test]
    fn a_lease_without_a_holder_process_is_never_judged_gone() {
        let here = LocalProcess::this().expect("Linux /proc");
        let lease = Lease {
            metadata: ObjectMeta::default(),
            spec: Some(spec(Some("ana@box pid 7"), 5, 5, 60)),
        };
        assert!(!holder_process_gone(&lease, &here));
        let me = Holder {
            identity: "bo@laptop pid 9".into(),
            since: now(),
        };
        let unknown = claimed(lease, &me, None, &LockOptions::default());
        assert!(!holder_process_gone(&unknown, &here));
    }

    #[test]
    fn this_process_is_named_user_at_host_with_its_pid() {
        let me = Holder::this_process();
        assert!(
            me.identity
                .ends_with(&format!(" pid {}", std::process::id())),
            "{}",
            me.identity
        );
        assert!(me.identity.contains('@'), "{}", me.identity);
    }
}
