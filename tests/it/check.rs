//! `choreoctl check` (preflight) and the preflight `install` runs first: a passing run on the
//! sandbox's contexts, and failing ones (exit 4, each with its hint) for an unreachable context,
//! credentials without permissions, and Observe on a cluster without a default StorageClass.

use serde_json::Value;

use crate::harness::{Test, assert_contains};
use crate::ownership::CHECK;
use crate::sandbox::{Sandbox, run, sandbox};

/// The sandbox's default StorageClass (tests/sandbox/storageclass.yaml).
const STORAGE_CLASS: &str = "standard";
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

#[track_caller]
fn check(sb: &Sandbox) -> Test {
    sb.choreoctl().arg("check")
}

/// Shared observability with every plane but `obs` on `cp` (`dp1` is not the group's:
/// tests/it/ownership.rs).
const OBSERVE_ON_OBS: [&str; 8] = [
    "--preset",
    "shared-observability",
    "--edition",
    "generic",
    "--plane-context",
    "dev=cp",
    "--plane-context",
    "obs=obs",
];

#[test]
fn sandbox_check_passes_and_lists_every_check() {
    let claim = sandbox().claim(&CHECK);
    let sb: &Sandbox = &claim;
    let single_plane = [
        "--preset",
        "single-plane",
        "--edition",
        "generic",
        "--context",
        "cp",
    ];
    let text = check(sb)
        .args(single_plane)
        .stdout_contains("context cp (https://127.0.0.1:")
        .stdout_contains("0 failed")
        .run();
    for id in [
        "reachable",
        "kubernetes-version",
        "permissions",
        "cni",
        "default-storage-class",
        "load-balancer",
        "free-names",
    ] {
        assert!(
            text.stdout.lines().any(|line| line.starts_with("[ok] ")
                && line.contains(&format!(" {id}: "))
                || line.starts_with("[warn] ") && id == "load-balancer"),
            "{id} missing:\n{}",
            text.stdout
        );
    }

    let json = check(sb)
        .args(single_plane)
        .args(["-o", "json"])
        .run()
        .json();
    assert_eq!(json["kind"], "CheckReport");
    assert_eq!(json["passed"], true);
    assert_eq!(json["summary"]["failed"], 0);
    let cluster = &json["clusters"][0];
    assert_eq!(cluster["context"], "cp");
    assert_eq!(cluster["planes"], serde_json::json!(["control", "default"]));
    let checks = cluster["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["verdict"] != "fail"), "{checks:?}");
    assert!(
        checks
            .iter()
            .filter(|c| c["verdict"] != "pass")
            .all(|c| c["hint"].is_string()),
        "{checks:?}"
    );
}

#[test]
fn check_fails_on_an_unreachable_context_with_a_hint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n\
         clusters: [{{name: gone, cluster: {{server: 'https://127.0.0.1:{port}'}}}}]\n\
         users: [{{name: gone, user: {{token: not-a-secret}}}}]\n\
         contexts: [{{name: gone, context: {{cluster: gone, user: gone}}}}]\n"
    );
    let out = Test::new()
        .kubeconfig(&kubeconfig)
        .args(["check", "--edition", "generic"])
        .status(4)
        .run();
    assert_contains(&out.stdout, "context gone: plane(s) control, default");
    assert_contains(
        &out.stdout,
        "[FAIL] reachable: cannot reach the cluster of context `gone`",
    );
    assert_contains(&out.stdout, "hint: check that the cluster is running");
    assert_contains(&out.stderr, "1 preflight check(s) failed");
}

#[test]
fn sandbox_check_fails_without_permissions_naming_what_is_denied() {
    let sb = sandbox();
    // The sandbox's own credentials, impersonating a user no RBAC rule names.
    let raw = run(sb
        .kubectl("cp")
        .args(["config", "view", "--raw", "--minify", "--flatten"]));
    let (head, tail) = raw.split_once("\n  user:\n").expect("a user entry");
    let kubeconfig = format!("{head}\n  user:\n    as: choreoctl-it-nobody\n{tail}");
    let out = Test::new()
        .kubeconfig(&kubeconfig)
        .args(["check", "--preset", "single-plane", "--edition", "generic"])
        .status(4)
        .run();
    assert_contains(
        &out.stdout,
        "[FAIL] permissions: 13 of 13 permissions install needs are denied",
    );
    assert_contains(
        &out.stdout,
        "create customresourcedefinitions.apiextensions.k8s.io",
    );
    assert_contains(
        &out.stdout,
        "kubectl auth can-i create namespaces --context cp",
    );
}

/// Every helm release on `context`, and the Leases choreoctl keeps there, as text.
fn state(sb: &Sandbox, context: &str) -> (String, String) {
    let releases =
        run(sb
            .helm()
            .args(["list", "-A", "-a", "-o", "json", "--kube-context", context]));
    let leases = sb
        .kubectl(context)
        .args(["-n", "choreoctl-system", "get", "leases", "-o", "json"])
        .output()
        .unwrap();
    let leases: Value = serde_json::from_slice(&leases.stdout).unwrap_or(Value::Null);
    let versions: Vec<String> = leases["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|lease| {
            format!(
                "{} {}",
                lease["metadata"]["name"], lease["metadata"]["resourceVersion"]
            )
        })
        .collect();
    (releases, versions.join(", "))
}

/// Marks the sandbox's StorageClass on `context` default (`true`) or not.
fn set_default_class(sb: &Sandbox, context: &str, default: bool) {
    run(sb.kubectl(context).args([
        "annotate",
        "--overwrite",
        "storageclass",
        STORAGE_CLASS,
        &format!("{DEFAULT_CLASS}={default}"),
    ]));
}

/// Makes the StorageClass default again however the test ends.
struct RestoreDefaultClass<'a>(&'a Sandbox, &'a str);

impl Drop for RestoreDefaultClass<'_> {
    fn drop(&mut self) {
        set_default_class(self.0, self.1, true);
    }
}

#[test]
fn sandbox_observe_needs_a_default_storage_class_and_install_stops_before_the_lock() {
    let claim = sandbox().claim(&CHECK);
    let sb: &Sandbox = &claim;
    let context = claim.context("obs");
    set_default_class(sb, context, false);
    let restore = RestoreDefaultClass(sb, context);

    let failed = check(sb).args(OBSERVE_ON_OBS).status(4).run();
    let obs = failed
        .stdout
        .split("\ncontext obs")
        .nth(1)
        .expect("a section for context obs");
    assert_contains(
        obs,
        "[FAIL] default-storage-class: no default StorageClass (there are: standard)",
    );
    assert_contains(obs, "observability-logs-opensearch");
    assert_contains(
        obs,
        "hint: make one the default: kubectl annotate storageclass standard \
         storageclass.kubernetes.io/is-default-class=true",
    );

    // install runs the same checks first: exit 4, nothing installed, no lock taken.
    let before = (state(sb, "cp"), state(sb, "obs"));
    claim
        .choreoctl()
        .arg("install")
        .args(OBSERVE_ON_OBS)
        .arg("--yes")
        .status(4)
        .stderr_contains("[FAIL] default-storage-class")
        .stderr_contains("1 preflight check(s) failed")
        .stderr_lacks("start ")
        .run();
    assert_eq!((state(sb, "cp"), state(sb, "obs")), before);

    drop(restore);
    let passed = check(sb).args(OBSERVE_ON_OBS).run();
    let obs = passed.stdout.split("\ncontext obs").nth(1).unwrap();
    assert_contains(
        obs,
        "[ok] default-storage-class: default StorageClass standard",
    );
}
