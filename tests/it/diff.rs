//! `plan` and `diff` against live state, `install --dry-run`, and the `-f`/`--set` profile
//! overrides. Tests that install (or read an installation another test may change) claim
//! [`SINGLE_PLANE`] (tests/it/ownership.rs) and install first themselves.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::{Test, assert_contains};
use crate::install::releases;
use crate::ownership::SINGLE_PLANE;
use crate::sandbox::{Claim, Sandbox, run, sandbox};

const CONTEXT: &str = "cp";
/// A value change affecting one release only.
const THUNDER_REPLICAS: &str = "spec.values.thunder.replicas=2";

/// `choreoctl <command>` of the single-plane preset on `cp`, from the sandbox's mirrors.
#[track_caller]
pub fn choreoctl(sb: &Claim, command: &[&str]) -> Test {
    sb.choreoctl()
        .args(command)
        .args(["--preset", "single-plane", "--edition", "generic"])
        .args(["--context", CONTEXT])
}

#[track_caller]
fn install(sb: &Claim) {
    choreoctl(sb, &["install", "--yes"])
        .stderr_contains("finished in")
        .run();
}

/// Step id → its live change, from `plan -o json`.
fn changes(plan: &Value) -> BTreeMap<String, String> {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| {
            (
                step["id"].as_str().unwrap().to_owned(),
                step["live"]["change"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_owned(),
            )
        })
        .collect()
}

/// `resourceVersion` of objects the install applies itself (not through helm).
fn applied_versions(sb: &Sandbox) -> Vec<String> {
    [
        &["get", "clusterdataplanes.openchoreo.dev", "default"][..],
        &[
            "-n",
            "openchoreo-control-plane",
            "get",
            "configmap",
            "cluster-gateway-ca",
        ],
        &["get", "clustersecretstores.external-secrets.io", "default"],
    ]
    .iter()
    .map(|args| {
        run(sb
            .kubectl(CONTEXT)
            .args(*args)
            .args(["-o", "jsonpath={.metadata.resourceVersion}"]))
    })
    .collect()
}

#[test]
fn sandbox_plan_and_diff_show_nothing_after_an_install_then_only_the_changed_release() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    install(sb);

    let plan = choreoctl(sb, &["plan", "-o", "json"]).run().json();
    let changed: Vec<_> = changes(&plan)
        .into_iter()
        .filter(|(_, change)| change != "no-op")
        .collect();
    assert!(changed.is_empty(), "after an install: {changed:?}");
    assert_eq!(
        plan["live"]["counts"]["no-op"],
        plan["steps"].as_array().unwrap().len()
    );
    choreoctl(sb, &["plan"])
        .stdout_contains("CHANGE")
        .stdout_contains("Live: 29 no-op")
        .run();
    choreoctl(sb, &["diff", "--exit-code"])
        .stdout_contains("No changes")
        .run();

    let plan = choreoctl(sb, &["plan", "-o", "json", "--set", THUNDER_REPLICAS])
        .run()
        .json();
    let changed: Vec<_> = changes(&plan)
        .into_iter()
        .filter(|(_, change)| change != "no-op")
        .collect();
    assert_eq!(
        changed,
        [(
            "secure-core/thunder@control".to_owned(),
            "upgrade".to_owned()
        )]
    );
    choreoctl(sb, &["diff", "--exit-code", "--set", THUNDER_REPLICAS])
        .status(10)
        .stdout_contains("upgrade secure-core/thunder@control")
        .stdout_contains("+replicas: 2")
        .run();
    let json = choreoctl(sb, &["diff", "-o", "json", "--set", THUNDER_REPLICAS])
        .run()
        .json();
    assert_eq!(json["changed"], true);
    assert_eq!(
        json["steps"][0]["values"],
        serde_json::json!([{"path": "replicas", "before": null, "after": 2}])
    );
}

#[test]
fn sandbox_diff_never_shows_a_secret_value() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    install(sb);
    choreoctl(
        sb,
        &[
            "diff",
            "--set",
            "spec.values.thunder.adminPassword=hunter2-secret",
        ],
    )
    .stdout_contains("+adminPassword: \"[REDACTED, changed]\"")
    .stdout_lacks("hunter2")
    .stderr_lacks("hunter2")
    .run();
}

#[test]
fn sandbox_install_dry_run_changes_no_release_and_no_object() {
    let sb = &sandbox().claim(&SINGLE_PLANE);
    install(sb);
    let before = releases(sb);
    let objects = applied_versions(sb);

    let dry = choreoctl(sb, &["install", "--dry-run", "--set", THUNDER_REPLICAS])
        .stderr_contains("dry run finished")
        .stderr_contains("nothing was changed on any cluster")
        .stderr_contains("helm would make revision")
        .run();

    assert_eq!(releases(sb), before, "{}", dry.stderr);
    assert_eq!(applied_versions(sb), objects, "{}", dry.stderr);
    // No journal run was recorded and no lock is left: a real install still changes only
    // what the profile changes.
    let plan = choreoctl(sb, &["plan", "-o", "json"]).run().json();
    assert!(changes(&plan).values().all(|change| change == "no-op"));
}

/// A kubeconfig whose only context points where nothing listens.
const GONE_KUBECONFIG: &str = "apiVersion: v1\nkind: Config\n\
     clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:1'}}]\n\
     users: [{name: me, user: {token: not-a-token}}]\n\
     contexts: [{name: gone, context: {cluster: gone, user: me}}]\n\
     current-context: gone\n";

#[test]
fn plan_on_an_unreachable_context_is_the_offline_plan_with_a_note() {
    let args = ["plan", "--edition", "generic", "--context", "gone"];
    let live = Test::new().kubeconfig(GONE_KUBECONFIG).args(args).run();
    let offline = Test::new()
        .kubeconfig(GONE_KUBECONFIG)
        .args(args)
        .arg("--offline")
        .run();
    assert_eq!(live.stdout, offline.stdout);
    assert_contains(&live.stderr, "plane control is unreachable");
    assert_contains(&live.stderr, "the plan is offline");
    assert!(offline.stderr.is_empty(), "{}", offline.stderr);

    let diff = Test::new()
        .kubeconfig(GONE_KUBECONFIG)
        .args([
            "diff",
            "--exit-code",
            "--edition",
            "generic",
            "--context",
            "gone",
        ])
        .status(4)
        .run();
    assert_contains(&diff.stderr, "no cluster of the plan is reachable");
}

#[test]
fn set_and_fragments_change_the_profile_and_errors_name_the_flag() {
    let plan = Test::new()
        .file("domain.yaml", "spec:\n  domain: first.example.com\n")
        .file("later.yaml", "spec:\n  domain: later.example.com\n")
        .args(["plan", "--edition", "generic", "-o", "json", "--offline"])
        .args(["-f", "domain.yaml", "-f", "later.yaml"])
        .args(["--set", THUNDER_REPLICAS]);
    let plan = plan.run().json();
    let thunder = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["id"] == "secure-core/thunder@control")
        .unwrap();
    assert_eq!(thunder["values"]["replicas"], 2);
    assert_contains(&thunder["values"].to_string(), "thunder.later.example.com");

    let bad = Test::new()
        .args(["plan", "--edition", "generic", "--set", "spec.planes.x=1"])
        .status(2)
        .run();
    assert_contains(&bad.stderr, "--set spec.planes.x");
    assert_contains(&bad.stderr, "is a list");

    let missing = Test::new()
        .args(["plan", "--edition", "generic", "-f", "nope.yaml"])
        .status(2)
        .run();
    assert_contains(&missing.stderr, "nope.yaml");

    // A value under a secret-looking key is never echoed, even in an error about the profile.
    let secret = Test::new()
        .args(["plan", "--edition", "generic"])
        .args(["--set", "spec.values.openbao.rootPassword=hunter2-secret"])
        .args(["--set", "spec.bogus=1"])
        .status(2)
        .run();
    assert_contains(&secret.stderr, "unknown field `bogus`");
    assert!(!secret.stderr.contains("hunter2"), "{}", secret.stderr);
}
