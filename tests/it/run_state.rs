//! Run state on a real control-plane cluster (the sandbox's `cp`): the Lease that locks an
//! installation against concurrent runs, and the journal Secret. Each test uses its own
//! installation name, since all tests share one sandbox and run in parallel.

use std::time::Duration;

use choreoctl::engine::journal::{
    self, Digest, Journal, JournalError, JournalStore, Operation, RunStatus,
};
use choreoctl::engine::lock::{self, LockError, LockOptions};
use choreoctl::names::{JOURNAL_SECRET_TYPE, SYSTEM_NAMESPACE};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use serde_json::json;

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

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_journal_round_trips_refuses_a_stale_save_and_deletes() {
    let sb = sandbox();
    let client = sb.client("cp").await;
    let name = installation("journal");
    let store = JournalStore::new(&client, &name);
    assert!(
        store.load().await.unwrap().is_none(),
        "no journal before the first install"
    );

    let profile = json!({"metadata": {"name": name}, "spec": {"edition": "cilium",
        "values": {"thunder": {"adminPassword": "s3cret"}}}});
    let mut journal = Journal::new(
        &name,
        profile.clone(),
        Operation::Install,
        "ana@box pid 7",
        Timestamp::now(),
    );
    let cp_uid = journal::cluster_uid(&client)
        .await
        .expect("kube-system UID");
    journal.bind_cluster("control", &cp_uid, Some("cp"), Timestamp::now());
    journal.record_step(
        "secure-core/control-plane@control",
        Digest::of_json(&json!({"replicas": 1})),
        Some(1),
        Timestamp::now(),
    );
    journal.record_output(
        "secure-core/agent-ca@control",
        "-----BEGIN CERTIFICATE-----\n".into(),
    );
    let version = store.save(&journal, None).await.expect("first save");

    let loaded = store.load().await.unwrap().expect("saved journal");
    assert_eq!(loaded.journal, journal);
    assert_eq!(loaded.resource_version, version);
    assert_eq!(
        loaded.journal.profile, profile,
        "later commands need no file"
    );

    // Kept as a Secret (the profile may hold secret values), compressed.
    let secret: Secret = Api::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .get(&journal::secret_name(&name))
        .await
        .unwrap();
    assert_eq!(secret.type_.as_deref(), Some(JOURNAL_SECRET_TYPE));
    let stored = &secret.data.unwrap()[journal::JOURNAL_KEY].0;
    assert!(!String::from_utf8_lossy(stored).contains("s3cret"));

    // Two runs read version V; the first to save wins, the other is refused.
    let mut first = loaded.clone();
    let second = loaded;
    first.journal.finish(RunStatus::Succeeded, Timestamp::now());
    let newer = store
        .save(&first.journal, Some(&first.resource_version))
        .await
        .expect("save at the version read");
    assert_ne!(newer, version);
    match store
        .save(&second.journal, Some(&second.resource_version))
        .await
    {
        Err(JournalError::Conflict { installation }) => assert_eq!(installation, name),
        other => panic!("a stale save must be refused, got {other:?}"),
    }
    match store.save(&second.journal, None).await {
        Err(JournalError::Conflict { .. }) => {}
        other => panic!("creating over an existing journal must be refused, got {other:?}"),
    }
    let kept = store.load().await.unwrap().unwrap();
    assert_eq!(kept.journal.run.status, RunStatus::Succeeded);
    assert_eq!(kept.resource_version, newer);

    // Uninstalled: the journal goes, and deleting it again is no error.
    store.delete().await.expect("delete the journal");
    assert!(
        store.load().await.unwrap().is_none(),
        "no journal after delete"
    );
    let listed = journal::list_installations(&client).await.unwrap();
    assert!(!listed.contains(&name), "{listed:?}");
    store
        .delete()
        .await
        .expect("deleting a missing journal is no error");
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_cluster_identity_tells_clusters_apart() {
    let sb = sandbox();
    let cp = journal::cluster_uid(&sb.client("cp").await).await.unwrap();
    let cp_again = journal::cluster_uid(&sb.client("cp").await).await.unwrap();
    let dp1 = journal::cluster_uid(&sb.client("dp1").await).await.unwrap();
    assert!(!cp.is_empty());
    assert_eq!(cp, cp_again, "stable for one cluster");
    assert_ne!(cp, dp1, "different clusters, different identities");

    // A plane recorded on cp whose context now reaches dp1 is refused.
    let mut recorded = Journal::new(
        "moved",
        json!({}),
        Operation::Install,
        "ana@box pid 7",
        Timestamp::now(),
    );
    recorded.bind_cluster("data", &cp, Some("cp"), Timestamp::now());
    let refused =
        journal::check_cluster(Some(&recorded), "data", Some("cp"), &dp1, false).unwrap_err();
    assert_eq!(refused.recorded_uid, cp);
    assert_eq!(refused.live_uid, dp1);
}
