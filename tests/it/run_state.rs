//! Run state on a real control-plane cluster (the sandbox's `cp`): the Lease that locks an
//! installation against concurrent runs, and the journal Secret. Each test uses its own
//! installation name, since all tests share one sandbox and run in parallel.

use std::time::Duration;

use choreoctl::engine::lock::{self, LockError, LockOptions, SYSTEM_NAMESPACE};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use kube::Api;

use crate::sandbox::{eventually, sandbox};

/// An installation name no other test (or earlier run) uses.
fn installation(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

async fn lease_spec(api: &Api<Lease>, installation: &str) -> Option<LeaseSpec> {
    api.get_opt(&lock::lease_name(installation))
        .await
        .expect("reading the Lease")
        .and_then(|l| l.spec)
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_lock_held_is_refused_naming_holder_and_age_until_forced_or_released() {
    let client = sandbox().client("cp").await;
    let name = installation("lock-held");
    let quick = LockOptions {
        renew_interval: Duration::from_millis(500),
        ..LockOptions::default()
    };

    let first = lock::acquire(&client, &name, &quick)
        .await
        .expect("first run");
    let me = first.holder().identity.clone();
    assert!(me.contains(&format!("pid {}", std::process::id())), "{me}");

    let error = lock::acquire(&client, &name, &LockOptions::default())
        .await
        .expect_err("a second run must be refused");
    match &error {
        LockError::Held {
            holder, held_for, ..
        } => {
            assert_eq!(holder, &me);
            assert!(*held_for < Duration::from_secs(30), "{held_for:?}");
        }
        other => panic!("expected Held, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&me) && message.contains("running for"),
        "{message}"
    );

    // --force-unlock takes it over; the first run learns it lost the lock at its next renewal.
    let forced = LockOptions {
        force_unlock: true,
        ..LockOptions::default()
    };
    let second = lock::acquire(&client, &name, &forced)
        .await
        .expect("forced");
    let previous = second.took_over_from().expect("took over from the first");
    assert_eq!(previous.identity, me);
    assert!(!previous.expired);
    let lost = tokio::time::timeout(Duration::from_secs(10), first.watch().wait_lost())
        .await
        .expect("the first run learns it lost the lock");
    assert!(lost.reason.contains("taken over"), "{}", lost.reason);

    // The first run's release must not delete the second run's Lease.
    first.release().await.expect("release of a lost lock");
    let api: Api<Lease> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let spec = lease_spec(&api, &name)
        .await
        .expect("the second run's Lease");
    assert_eq!(
        spec.acquire_time.map(|t| t.0),
        Some(second.holder().since),
        "the Lease is the second run's"
    );
    assert!(second.watch().lost().is_none());

    second.release().await.expect("release");
    assert!(
        lease_spec(&api, &name).await.is_none(),
        "released Lease deleted"
    );
    let third = lock::acquire(&client, &name, &LockOptions::default())
        .await
        .expect("free again after release");
    assert!(third.took_over_from().is_none());
    third.release().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_lock_expired_is_taken_over_and_renewed_is_not() {
    let client = sandbox().client("cp").await;
    let short = |renew_interval| LockOptions {
        lease_duration: Duration::from_secs(2),
        renew_interval,
        force_unlock: false,
    };

    // A run that stopped renewing (killed): its Lease expires after 2 s and is taken over.
    let dead_name = installation("lock-expired");
    let dead = lock::acquire(&client, &dead_name, &short(Duration::from_secs(3600)))
        .await
        .unwrap();
    // A run that renews every 500 ms keeps its 2 s Lease for as long as it runs.
    let alive_name = installation("lock-renewed");
    let alive = lock::acquire(&client, &alive_name, &short(Duration::from_millis(500)))
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_secs(4)).await;

    let taker = lock::acquire(&client, &dead_name, &LockOptions::default())
        .await
        .expect("an expired lock is taken over");
    let previous = taker.took_over_from().expect("took over");
    assert!(previous.expired);
    assert!(previous.renewed_ago >= Duration::from_secs(2));

    match lock::acquire(&client, &alive_name, &LockOptions::default()).await {
        Err(LockError::Held { held_for, .. }) => {
            assert!(held_for >= Duration::from_secs(4), "{held_for:?}")
        }
        other => panic!("a renewed lock must stay held, got {other:?}"),
    }
    assert!(alive.watch().lost().is_none());

    taker.release().await.unwrap();
    alive.release().await.unwrap();
    drop(dead);
    let api: Api<Lease> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let gone = |name: String| {
        let api = api.clone();
        async move { lease_spec(&api, &name).await.is_none().then_some(()) }
    };
    eventually(Duration::from_secs(10), "Leases released", || {
        gone(alive_name.clone())
    })
    .await;
    eventually(Duration::from_secs(10), "Leases released", || {
        gone(dead_name.clone())
    })
    .await;
}
