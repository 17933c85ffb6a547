//! Taking the lock: create the Lease, or take over one whose holder expired, exited on this
//! machine, or is forced out; and reading who holds it without taking it.

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, PostParams};

use super::error::LockError;
use super::held::RunLock;
use super::holder::{Holder, PreviousHolder, claimed, holder_process_gone};
use super::lease::LeaseState;
use super::namespace::ensure_system_namespace;
use super::process::LocalProcess;
use super::{LockOptions, lease_name};
use crate::names::{INSTALLATION_LABEL, SYSTEM_NAMESPACE};

/// Takes the lock of `installation` on the control plane's cluster, creating
/// [`SYSTEM_NAMESPACE`] if missing, and starts renewing it.
///
/// # Errors
///
/// [`LockError::Held`] when another run holds a live lock (and `options` does not force it
/// over), [`LockError::LostRace`] when another run took it at the same moment: both exit 5
/// (`Locked`). [`LockError::Kube`] when the cluster refuses or fails a request (creating the
/// namespace, reading, creating or replacing the Lease): exit 1 (`Unexpected`).
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
///
/// # Errors
///
/// The client's error when the Lease cannot be read. `status`, its only caller, then reports
/// no holder, so this never becomes an exit code of its own.
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
