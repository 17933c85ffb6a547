//! A run, a dry run (`install --dry-run`) and a preview (`plan`, `diff`) walk a plan with the
//! same loop and the same step kinds (src/engine/walk.rs, src/engine/steps/): they must agree,
//! here on a step whose fields another field manager owns — the cluster gateway's CA ConfigMap
//! after a GitOps export's `copy-cas.sh` (field manager `choreoctl-ca-copy`) wrote it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diff::choreoctl;
use crate::harness::assert_contains;
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Sandbox, run, sandbox};

const CONTEXT: &str = "cp";
const NAMESPACE: &str = "openchoreo-control-plane";
const CONFIG_MAP: &str = "cluster-gateway-ca";
/// What the CA copier writes in place of the real CA.
const STALE: &str = "a stale copy of the CA";

fn ca(sb: &Sandbox) -> String {
    run(sb.kubectl(CONTEXT).args([
        "-n",
        NAMESPACE,
        "get",
        "configmap",
        CONFIG_MAP,
        "-o",
        "jsonpath={.data.ca\\.crt}",
    ]))
}

/// Step id → (change, reason) of every step `plan -o json` says would change something.
fn changes(plan: &Value) -> BTreeMap<String, (String, String)> {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|step| step["live"]["change"] != "no-op")
        .map(|step| {
            (
                step["id"].as_str().unwrap().to_owned(),
                (
                    step["live"]["change"].as_str().unwrap_or("").to_owned(),
                    step["live"]["reason"].as_str().unwrap_or("").to_owned(),
                ),
            )
        })
        .collect()
}

#[test]
fn sandbox_run_dry_run_and_preview_agree_on_fields_the_ca_copier_owns() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    choreoctl(sb, &["install", "--yes"])
        .stderr_contains("finished in")
        .run();
    let real_ca = ca(sb);
    assert!(real_ca.contains("BEGIN CERTIFICATE"), "{real_ca}");

    // The CA copier of a GitOps export takes the ConfigMap's data over.
    let dir = tempfile::tempdir().expect("a directory for the manifest");
    let manifest = dir.path().join("ca-copy.json");
    let copy = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": CONFIG_MAP, "namespace": NAMESPACE},
        "data": {"ca.crt": STALE},
    });
    std::fs::write(&manifest, copy.to_string()).unwrap();
    run(sb
        .kubectl(CONTEXT)
        .args(["apply", "--server-side", "--force-conflicts"])
        .args(["--field-manager", "choreoctl-ca-copy", "-f"])
        .arg(&manifest));
    assert_eq!(ca(sb), STALE);

    // The preview: the ConfigMap's step would upgrade it, like a run does; nothing unknown.
    let plan = choreoctl(sb, &["plan", "-o", "json"]).run().json();
    let changed = changes(&plan);
    assert_eq!(changed.len(), 1, "{changed:?}");
    let (step, (change, reason)) = changed.into_iter().next().unwrap();
    assert_eq!(change, "upgrade", "{step}: {reason}");
    assert_contains(&reason, CONFIG_MAP);
    choreoctl(sb, &["diff", "--exit-code"])
        .status(10)
        .stdout_contains(format!("upgrade {step}"))
        .stdout_contains(STALE)
        .run();

    // The dry run: it passes, says it would take the fields over, and changes nothing.
    choreoctl(sb, &["install", "--dry-run", "--yes"])
        .stderr_contains("would take")
        .stderr_contains("over from choreoctl-ca-copy")
        .run();
    assert_eq!(ca(sb), STALE, "a dry run changes nothing");

    // The run: it takes them over, and the preview then shows nothing to do.
    let fixed = choreoctl(sb, &["install", "--yes", "-o", "json"])
        .stderr_contains("over from choreoctl-ca-copy")
        .run();
    assert_eq!(ca(sb), real_ca);
    // Its summary counts every step once, by kind and outcome: nothing re-installed by helm.
    for plane in fixed.json()["planes"].as_array().expect("planes") {
        let by_kind = plane["steps"].as_object().expect("steps by kind");
        let counted: u64 = by_kind
            .values()
            .flat_map(|outcomes| outcomes.as_object().unwrap().values())
            .map(|count| count.as_u64().unwrap())
            .sum();
        let total: u64 = ["done", "unchanged", "failed", "skipped"]
            .iter()
            .map(|outcome| plane[*outcome].as_u64().unwrap())
            .sum();
        assert_eq!(counted, total, "{plane}");
        assert!(by_kind["helm"].get("done").is_none(), "{plane}");
    }
    let plan = choreoctl(sb, &["plan", "-o", "json"]).run().json();
    assert!(changes(&plan).is_empty(), "{:?}", changes(&plan));
}
