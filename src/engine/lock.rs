//! The lock against concurrent runs on one installation: a `coordination.k8s.io/v1` Lease named
//! `choreoctl-<installation>` in namespace [`SYSTEM_NAMESPACE`] of the control plane's cluster.
//!
//! - **Acquire** by creating the Lease; `AlreadyExists` means another run holds it. A Lease whose
//!   holder stopped renewing (`renewTime + leaseDurationSeconds` in the past), or any Lease when
//!   [`LockOptions::force_unlock`] is set, is taken over by a `replace` carrying the fetched
//!   `resourceVersion`, so of two runs taking over at once exactly one wins (the other gets 409).
//! - A live Lease whose holder ran **on this machine and has exited** (killed with `kill -9`,
//!   say) is taken over at once: the Lease records the holder's process precisely enough to
//!   tell ([`process`]), so a re-run right after a crash need not wait for the Lease to expire.
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

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod process;

use process::LocalProcess;

/// Namespace holding choreoctl's own state (the lock and the journal) on the control plane's
/// cluster.
pub const SYSTEM_NAMESPACE: &str = "choreoctl-system";

/// Label put on every object choreoctl keeps in [`SYSTEM_NAMESPACE`].
pub const INSTALLATION_LABEL: &str = "choreoctl.openchoreo.dev/installation";

/// Annotation on the Lease naming the holder's process on its machine (see [`process`]), so
/// that a run on the same machine can tell the holder has exited.
pub const HOLDER_PROCESS_ANNOTATION: &str = "choreoctl.openchoreo.dev/holder-process";

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

/// Why the lock could not be taken or kept. [`LockError::Held`] and [`LockError::LostRace`] mean
/// "another run holds the lock": exit code 5.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    /// Another run holds a live lock.
    #[error(
        "installation '{installation}' is locked by {holder}, running for {}, last renewed {} ago \
         (Lease {SYSTEM_NAMESPACE}/{lease})",
        human(*held_for),
        human(*renewed_ago)
    )]
    #[diagnostic(help(
        "wait for that run to finish; if it is dead (killed, lost its connection), it expires \
         within {} of its last renewal, or take the lock over now with --force-unlock",
        human(*lease_duration)
    ))]
    Held {
        /// Installation name.
        installation: String,
        /// Lease name.
        lease: String,
        /// The holder's identity (`user@host pid N`).
        holder: String,
        /// How long it has held the lock.
        held_for: Duration,
        /// How long ago it last renewed the lock.
        renewed_ago: Duration,
        /// The holder's lease duration.
        lease_duration: Duration,
    },
    /// Another run took the lock over at the same moment as this one.
    #[error("installation '{installation}': another run took the lock at the same time")]
    #[diagnostic(help("run `choreoctl status` to see who runs, and retry when it is done"))]
    LostRace {
        /// Installation name.
        installation: String,
    },
    /// The cluster refused or failed a request.
    #[error("lock of installation '{installation}': cannot {action}")]
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

/// The lock was lost while the run held it: another run took it over, someone deleted it, or it
/// could not be renewed before it expired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lost the lock of installation '{installation}': {reason}")]
pub struct LockLost {
    /// Installation name.
    pub installation: String,
    /// What happened.
    pub reason: String,
}

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

/// The Lease name of an installation.
pub fn lease_name(installation: &str) -> String {
    format!("choreoctl-{installation}")
}

/// Takes the lock of `installation` on the control plane's cluster, creating
/// [`SYSTEM_NAMESPACE`] if missing, and starts renewing it.
pub async fn acquire(
    client: &Client,
    installation: &str,
    options: &LockOptions,
) -> Result<RunLock, LockError> {
    let kube_error = |action| {
        move |source| LockError::Kube {
            installation: installation.to_owned(),
            action,
            source,
        }
    };
    ensure_system_namespace(client)
        .await
        .map_err(kube_error("create namespace choreoctl-system"))?;
    let api: Api<Lease> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let name = lease_name(installation);
    let here = LocalProcess::this();
    // Create; if held and free to take, replace; if it vanished in between, create again.
    for _ in 0..3 {
        let me = Holder::this_process();
        let fresh = Lease {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([(INSTALLATION_LABEL.to_owned(), installation.to_owned())].into()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec::default()),
        };
        match api
            .create(
                &PostParams::default(),
                &claimed(fresh, &me, here.as_ref(), options),
            )
            .await
        {
            Ok(lease) => return Ok(RunLock::start(api, installation, me, None, lease, options)),
            Err(kube::Error::Api(s)) if s.is_already_exists() => {}
            Err(e) => return Err(kube_error("create the Lease")(e)),
        }
        let Some(current) = api
            .get_opt(&name)
            .await
            .map_err(kube_error("read the Lease"))?
        else {
            continue;
        };
        let state = LeaseState::of(current.spec.as_ref(), Timestamp::now());
        let holder_gone = here
            .as_ref()
            .is_some_and(|here| holder_process_gone(&current, here));
        let previous = match state {
            LeaseState::Free => None,
            LeaseState::Expired {
                holder,
                renewed_ago,
            } => Some(PreviousHolder {
                identity: holder,
                expired: true,
                process_gone: false,
                renewed_ago,
            }),
            LeaseState::Held {
                holder,
                renewed_ago,
                ..
            } if holder_gone || options.force_unlock => Some(PreviousHolder {
                identity: holder,
                expired: false,
                process_gone: holder_gone,
                renewed_ago,
            }),
            LeaseState::Held {
                holder,
                held_for,
                renewed_ago,
                lease_duration,
            } => {
                return Err(LockError::Held {
                    installation: installation.to_owned(),
                    lease: name,
                    holder,
                    held_for,
                    renewed_ago,
                    lease_duration,
                });
            }
        };
        // `current` carries the resourceVersion we judged: a concurrent taker makes this a 409.
        match api
            .replace(
                &name,
                &PostParams::default(),
                &claimed(current, &me, here.as_ref(), options),
            )
            .await
        {
            Ok(lease) => {
                return Ok(RunLock::start(
                    api,
                    installation,
                    me,
                    previous,
                    lease,
                    options,
                ));
            }
            Err(kube::Error::Api(s)) if s.is_conflict() => {
                return Err(LockError::LostRace {
                    installation: installation.to_owned(),
                });
            }
            Err(kube::Error::Api(s)) if s.is_not_found() => {}
            Err(e) => return Err(kube_error("take over the Lease")(e)),
        }
    }
    Err(LockError::LostRace {
        installation: installation.to_owned(),
    })
}

/// The holder of the lock of `installation` while a live run holds it (its Lease renewed within
/// its duration); `None` when the lock is free or its holder stopped renewing. Reads only.
pub async fn live_holder(
    client: &Client,
    installation: &str,
) -> Result<Option<String>, kube::Error> {
    let api: Api<Lease> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let lease = api.get_opt(&lease_name(installation)).await?;
    let spec = lease.and_then(|lease| lease.spec);
    Ok(match LeaseState::of(spec.as_ref(), Timestamp::now()) {
        LeaseState::Held { holder, .. } => Some(holder),
        LeaseState::Free | LeaseState::Expired { .. } => None,
    })
}

/// Creates [`SYSTEM_NAMESPACE`] unless it exists.
pub async fn ensure_system_namespace(client: &Client) -> Result<(), kube::Error> {
    let api: Api<Namespace> = Api::all(client.clone());
    if api.get_opt(SYSTEM_NAMESPACE).await?.is_some() {
        return Ok(());
    }
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(SYSTEM_NAMESPACE.to_owned()),
            labels: Some(
                [(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "choreoctl".to_owned(),
                )]
                .into(),
            ),
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

impl RunLock {
    fn start(
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

/// The background task keeping the Lease alive.
struct Renewer {
    api: Api<Lease>,
    installation: String,
    holder: Holder,
    options: LockOptions,
    lost: watch::Sender<Option<LockLost>>,
}

impl Renewer {
    /// Renews until told to stop (returns the last Lease written) or the lock is lost (`None`).
    async fn run(self, mut lease: Lease, mut stop: watch::Receiver<bool>) -> Option<Lease> {
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

/// Whether the Lease's holder ran on this machine (`here`) and has exited.
fn holder_process_gone(lease: &Lease, here: &LocalProcess) -> bool {
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
fn claimed(
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

/// What a Lease says about the lock, judged at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LeaseState {
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
    fn of(spec: Option<&LeaseSpec>, now: Timestamp) -> Self {
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

/// `3m12s`, `45s`, `2h05m`: for messages.
fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(holder: Option<&str>, acquired_ago: i64, renewed_ago: i64, duration: i32) -> LeaseSpec {
        let now = now();
        LeaseSpec {
            holder_identity: holder.map(str::to_owned),
            acquire_time: Some(MicroTime(now - jiff_secs(acquired_ago))),
            renew_time: Some(MicroTime(now - jiff_secs(renewed_ago))),
            lease_duration_seconds: Some(duration),
            ..LeaseSpec::default()
        }
    }

    fn now() -> Timestamp {
        "2026-08-21T10:00:00Z".parse().unwrap()
    }

    fn jiff_secs(secs: i64) -> k8s_openapi::jiff::SignedDuration {
        k8s_openapi::jiff::SignedDuration::from_secs(secs)
    }

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
    fn the_held_error_names_holder_age_and_the_way_out() {
        let error = LockError::Held {
            installation: "acme".into(),
            lease: lease_name("acme"),
            holder: "ana@box pid 7".into(),
            held_for: Duration::from_secs(192),
            renewed_ago: Duration::from_secs(4),
            lease_duration: Duration::from_secs(60),
        };
        assert_eq!(
            error.to_string(),
            "installation 'acme' is locked by ana@box pid 7, running for 3m12s, last renewed 4s \
             ago (Lease choreoctl-system/choreoctl-acme)"
        );
        let help = miette::Diagnostic::help(&error).unwrap().to_string();
        assert!(help.contains("--force-unlock"), "{help}");
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

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(human(Duration::from_secs(4)), "4s");
        assert_eq!(human(Duration::from_secs(192)), "3m12s");
        assert_eq!(human(Duration::from_secs(7500)), "2h05m");
    }
}
