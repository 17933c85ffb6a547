//! `choreoctl uninstall` refuses to guess what to take away, and `--module` is `module remove`;
//! on the sandbox, an installation on `un1` (control plane and a data plane) grows by a second
//! data plane on `un2` with `plane add`, shrinks again with `plane remove` (after which `un2`
//! holds what it held before), grows again, and then `choreoctl uninstall --all` takes it away;
//! `un1` and `un2` are the sandbox clusters no other test touches. Afterwards every cluster holds
//! exactly what it held before the install — namespaces, CRDs, webhook configurations, cluster
//! roles, Secrets, ConfigMaps, Leases and helm releases listed on each context — except that the
//! Gateway API CRDs applied with kubectl on `un2` before the install are still there,
//! untouched, and so is the cert-manager someone installed there with plain helm before the
//! plane came: `plane add` uses it as it is (no new revision, its own values, `external` in
//! `status`), and neither `plane remove` nor `uninstall` takes it. On the way: a dry run
//! changes nothing; a user's Project whose finalizer nothing
//! completes stops the removal (exit 3) naming it; once the finalizer is gone, the uninstall is
//! killed with `kill -9` and run again, and finishes.

use std::collections::BTreeMap;
use std::path::Path;

use crate::background::Background;
use crate::harness::{Test, assert_contains};
use crate::ownership::UNINSTALL;
use crate::sandbox::{Claim, run, sandbox};

const INSTALLATION: &str = "it-uninstall";
const CONTEXTS: [&str; 2] = ["un1", "un2"];

/// The profile before `plane add`: the Secure Core and Continuous Delivery on `un1`.
const ONE_CLUSTER: &str = "\
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: it-uninstall}
spec:
  edition: generic
  planes:
    - {name: control, type: control, context: un1}
    - {name: default, type: data, context: un1}
  modules: [{name: cd}]
";

/// The profile after `plane add prod --type data --context un2`: over both clusters.
const PROFILE: &str = "\
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: it-uninstall}
spec:
  edition: generic
  planes:
    - {name: control, type: control, context: un1}
    - {name: default, type: data, context: un1}
    - {name: prod, type: data, context: un2}
  modules: [{name: cd}]
";

/// `plane add prod` on `un2`.
const ADD_PROD: &[&str] = &[
    "plane",
    "add",
    "prod",
    "--type",
    "data",
    "--context",
    "un2",
    "-p",
    "lab.yaml",
    "--yes",
];

/// The helm releases on `context` with their revisions.
fn revisions(sb: &Claim, context: &str) -> BTreeMap<(String, String), (String, u64)> {
    sb.helm_releases(&sb.kubeconfig, context)
}

/// Asserts that of the releases on `un1` only the control plane's moved on, by one revision
/// from `was`: a plane on another cluster switches its cluster gateway's exposure (a
/// LoadBalancer Service for the remote agents, or back to ClusterIP); every other release
/// keeps its revision.
#[track_caller]
fn only_the_control_plane_upgraded(
    sb: &Claim,
    was: &BTreeMap<(String, String), (String, u64)>,
) -> BTreeMap<(String, String), (String, u64)> {
    let now = revisions(sb, "un1");
    let key = (
        "openchoreo-control-plane".to_owned(),
        "openchoreo-control-plane".to_owned(),
    );
    let mut expected = was.clone();
    if let Some((_, revision)) = expected.get_mut(&key) {
        *revision += 1;
    }
    assert_eq!(
        now, expected,
        "only the control plane's release is upgraded on un1"
    );
    now
}

/// The data planes the control plane on `un1` registers.
fn registered(sb: &Claim) -> Vec<String> {
    let out = run(sb
        .kubectl("un1")
        .args(["get", "clusterdataplanes", "-o", "name"]));
    out.lines().map(str::to_owned).collect()
}

/// A user's Project, held by a finalizer no controller completes.
const PROJECT: &str = "\
apiVersion: openchoreo.dev/v1alpha1
kind: Project
metadata:
  name: it-project
  namespace: default
  finalizers: [it.choreoctl/hold]
spec: {}
";

/// What a user lists to see that nothing is left: cluster-wide kinds, and kinds in every
/// namespace.
const CLUSTER_KINDS: &[&str] = &[
    "namespaces",
    "customresourcedefinitions",
    "validatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
    "clusterroles",
    "clusterrolebindings",
];
const NAMESPACED_KINDS: &[&str] = &["secrets", "configmaps", "leases", "serviceaccounts"];

/// Everything of [`CLUSTER_KINDS`] and [`NAMESPACED_KINDS`] on `context`, by name, with its
/// helm releases.
fn inventory(sb: &Claim, context: &str) -> BTreeMap<&'static str, Vec<String>> {
    let mut found = BTreeMap::new();
    for kind in CLUSTER_KINDS {
        let out = run(sb.kubectl(context).args(["get", kind, "-o", "name"]));
        found.insert(*kind, out.lines().map(str::to_owned).collect());
    }
    for kind in NAMESPACED_KINDS {
        let out = run(sb.kubectl(context).args([
            "get",
            kind,
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}",
        ]));
        found.insert(*kind, out.lines().map(str::to_owned).collect());
    }
    let releases = sb
        .helm_releases(&sb.kubeconfig, context)
        .into_keys()
        .map(|(namespace, name)| format!("{namespace}/{name}"))
        .collect();
    found.insert("helm releases", releases);
    found
}

/// The cert-manager someone else runs on `un2`: the sandbox's stand-in of the pinned chart,
/// installed with plain helm and values of their own.
fn install_their_cert_manager(sb: &Claim) {
    let catalog = choreoctl::catalog::Catalog::embedded().expect("embedded catalog");
    let pin = &catalog.release("1.2.3").expect("release 1.2.3").charts["cert-manager"];
    run(sb
        .helm()
        .args(["upgrade", "--install", "cert-manager"])
        .arg(sb.chart(&pin.name))
        .args(["--version", &pin.version, "--plain-http"])
        .args(["--namespace", "cert-manager", "--create-namespace"])
        .args(["--kube-context", "un2", "--kubeconfig"])
        .arg(&sb.kubeconfig)
        .args([
            "--set",
            "crds.enabled=true,startupapicheck.enabled=false",
            "--wait",
        ]));
}

/// The revision and user-supplied values of the cert-manager release on `un2`.
fn their_cert_manager(sb: &Claim) -> (u64, serde_json::Value) {
    let revision = revisions(sb, "un2")
        .get(&("cert-manager".to_owned(), "cert-manager".to_owned()))
        .map(|(_, revision)| *revision)
        .expect("their cert-manager on un2");
    let values = run(sb
        .helm()
        .args([
            "get",
            "values",
            "cert-manager",
            "-n",
            "cert-manager",
            "-o",
            "json",
        ])
        .args(["--kube-context", "un2", "--kubeconfig"])
        .arg(&sb.kubeconfig));
    (
        revision,
        serde_json::from_str(&values).expect("helm get values -o json"),
    )
}

/// Takes their cert-manager away again, with the CRDs its chart keeps.
fn remove_their_cert_manager(sb: &Claim) {
    run(sb
        .helm()
        .args(["uninstall", "cert-manager", "-n", "cert-manager", "--wait"])
        .args(["--kube-context", "un2", "--kubeconfig"])
        .arg(&sb.kubeconfig));
    let crds = run(sb.kubectl("un2").args(["get", "crd", "-o", "name"]));
    for crd in crds.lines().filter(|crd| crd.ends_with("cert-manager.io")) {
        run(sb.kubectl("un2").args(["delete", crd]));
    }
    run(sb
        .kubectl("un2")
        .args(["delete", "namespace", "cert-manager", "--ignore-not-found"]));
}

/// `choreoctl ARGS` run in `dir`, where the profile file is.
fn in_dir(sb: &Claim, dir: &Path, args: &[&str]) -> Test {
    sb.choreoctl().current_dir(dir).args(args)
}

/// Asserts that `context` holds what it held before (`before`), kind by kind.
#[track_caller]
fn assert_as_before(
    sb: &Claim,
    context: &str,
    before: &BTreeMap<&'static str, Vec<String>>,
    log: &str,
) {
    let after = inventory(sb, context);
    for (kind, was) in before {
        let now = &after[kind];
        let left: Vec<&String> = now.iter().filter(|name| !was.contains(name)).collect();
        let gone: Vec<&String> = was.iter().filter(|name| !now.contains(name)).collect();
        assert!(
            left.is_empty() && gone.is_empty(),
            "{context}: {kind} left behind {left:?}, gone that were there before {gone:?}\n{log}"
        );
    }
}

#[test]
fn uninstall_says_what_to_take_away_and_uninstall_module_is_module_remove() {
    Test::new()
        .args(["uninstall", "--yes"])
        .status(2)
        .stderr_contains("--all")
        .stderr_contains("--module")
        .run();
    Test::new()
        .args(["uninstall", "--module", "cd", "--yes"])
        .status(2)
        .stderr_contains("--profile")
        .run();
    let out = Test::new()
        .file("lab.yaml", PROFILE)
        .args(["uninstall", "--module", "buld", "-p", "lab.yaml", "--yes"])
        .status(2)
        .stderr_contains("unknown module `buld`")
        .stderr_contains("did you mean `build`?")
        .run();
    assert_eq!(
        std::fs::read_to_string(out.path("lab.yaml")).unwrap(),
        PROFILE
    );
}

#[test]
fn sandbox_a_plane_comes_and_goes_then_uninstall_all_leaves_each_cluster_as_it_was() {
    let sb = &sandbox().claim(&UNINSTALL);
    let dir = tempfile::tempdir().expect("a directory for the profile");
    std::fs::write(dir.path().join("lab.yaml"), PROFILE).unwrap();
    // A kept sandbox (CHOREOCTL_TEST_SANDBOX) may hold what an earlier, failed run left.
    in_dir(
        sb,
        dir.path(),
        &["uninstall", "--all", "-p", "lab.yaml", "--yes"],
    )
    .run();
    // Someone else's Gateway API CRDs on un2, applied before the install.
    let gateway_api = format!("{}/gateway-api/v1.5.1/standard-install.yaml", sb.manifests);
    run(sb.kubectl("un2").args(["apply", "-f", &gateway_api]));
    // And someone else's cert-manager there, with values of their own.
    install_their_cert_manager(sb);
    let theirs = their_cert_manager(sb);
    assert_eq!(
        theirs.1["startupapicheck"]["enabled"], false,
        "{:#}",
        theirs.1
    );
    let before: BTreeMap<&str, _> = CONTEXTS
        .iter()
        .map(|context| (*context, inventory(sb, context)))
        .collect();
    assert!(
        before["un2"]["customresourcedefinitions"]
            .iter()
            .any(|crd| crd.ends_with("/gateways.gateway.networking.k8s.io")),
        "{:?}",
        before["un2"]
    );

    std::fs::write(dir.path().join("lab.yaml"), ONE_CLUSTER).unwrap();
    in_dir(sb, dir.path(), &["install", "-p", "lab.yaml", "--yes"]).run();
    let lab = || std::fs::read_to_string(dir.path().join("lab.yaml")).unwrap();
    let on_un1 = revisions(sb, "un1");

    // A second data plane: the file gains its line, un2 its data plane, the control plane
    // registers it, and of the releases on un1 only the control plane's changes.
    in_dir(sb, dir.path(), ADD_PROD)
        .stderr_contains("+    - {name: prod, type: data, context: un2}")
        .stderr_contains("uses cert-manager v1.19.4 that someone else installed")
        .run();
    assert_eq!(lab(), PROFILE);
    assert_eq!(
        their_cert_manager(sb),
        theirs,
        "their cert-manager is used as it is"
    );
    let status = sb
        .choreoctl()
        .args([
            "status",
            "--context",
            "un1",
            "--installation",
            INSTALLATION,
            "-o",
            "json",
        ])
        .run()
        .json();
    let prod = status["planes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|plane| plane["name"] == "prod")
        .expect("plane prod in status");
    let cert_manager = prod["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|release| release["release"] == "cert-manager")
        .expect("cert-manager on prod");
    assert_eq!(cert_manager["external"], true, "{cert_manager:#}");
    assert_eq!(cert_manager["status"], "deployed");
    assert!(
        registered(sb).contains(&"clusterdataplane.openchoreo.dev/prod".to_owned()),
        "{:?}",
        registered(sb)
    );
    assert!(
        revisions(sb, "un2")
            .keys()
            .any(|(_, name)| name == "openchoreo-data-plane")
    );
    let on_un1 = only_the_control_plane_upgraded(sb, &on_un1);

    // Gone again: deregistered, un2 as it was, the file as before.
    let removed = in_dir(
        sb,
        dir.path(),
        &["plane", "remove", "prod", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("removed plane prod")
    .run();
    assert_eq!(lab(), ONE_CLUSTER);
    assert!(
        !registered(sb).iter().any(|plane| plane.ends_with("/prod")),
        "{:?}",
        registered(sb)
    );
    assert_as_before(sb, "un2", &before["un2"], &removed.stderr);
    assert_eq!(their_cert_manager(sb), theirs);
    only_the_control_plane_upgraded(sb, &on_un1);

    // And back, for the uninstall over both clusters.
    in_dir(sb, dir.path(), ADD_PROD).run();
    assert_eq!(lab(), PROFILE);
    let installed = inventory(sb, "un1");
    assert!(
        installed["helm releases"].len() > 5,
        "{:?}",
        installed["helm releases"]
    );
    let project = dir.path().join("project.yaml");
    std::fs::write(&project, PROJECT).unwrap();
    run(sb.kubectl("un1").arg("apply").arg("-f").arg(&project));

    // A dry run says what would go and changes nothing.
    in_dir(
        sb,
        dir.path(),
        &["uninstall", "--all", "-p", "lab.yaml", "--dry-run"],
    )
    .stderr_contains("with the CRDs of its chart's crds/ and their custom resources")
    .run();
    assert_eq!(inventory(sb, "un1"), installed, "a dry run changes nothing");

    // The Project's finalizer holds its CRD's removal, and with it the control plane's.
    let held = in_dir(
        sb,
        dir.path(),
        &[
            "uninstall",
            "--all",
            "-p",
            "lab.yaml",
            "--yes",
            "--timeout",
            "20",
        ],
    )
    .status(3)
    .stderr_contains("Project default/it-project (finalizer it.choreoctl/hold)")
    .run();
    run(sb.kubectl("un1").args([
        "patch",
        "project",
        "it-project",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]));

    // Killed (-9, helm too) once a few removals are done; the same command finishes it.
    let uninstalling = Background::spawn(in_dir(
        sb,
        dir.path(),
        &["uninstall", "--all", "-p", "lab.yaml", "--yes"],
    ));
    let killed = uninstalling.kill_when("three removals done", true, |stderr| {
        stderr.matches("done   ").count() >= 3
    });
    let finished = in_dir(
        sb,
        dir.path(),
        &["uninstall", "--all", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("resuming interrupted run")
    .stderr_contains("uninstalled it-uninstall")
    .run();
    let log = format!("{}\n{killed}\n{}", held.stderr, finished.stderr);
    assert_contains(
        &log,
        "kept CustomResourceDefinition gateways.gateway.networking.k8s.io: \
         kubectl-client-side-apply changed it",
    );
    for context in CONTEXTS {
        assert_as_before(sb, context, &before[context], &log);
    }
    assert_eq!(their_cert_manager(sb), theirs, "{log}");

    // Nothing is left to uninstall, and the installation is gone.
    in_dir(
        sb,
        dir.path(),
        &["uninstall", "--all", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("nothing to remove")
    .run();
    sb.choreoctl()
        .args(["status", "--context", "un1", "--installation", INSTALLATION])
        .status(4)
        .run();
    run(sb.kubectl("un2").args(["delete", "-f", &gateway_api]));
    remove_their_cert_manager(sb);
}
