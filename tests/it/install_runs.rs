//! `choreoctl install` end to end on the sandbox, as a user would check it (helm releases and
//! revisions with the sandbox's helm, objects with kubectl, exit codes, messages): runs killed
//! with `kill -9` at several points and run again, an interrupted run whose profile changed
//! (`--resume`, `--discard`), a context re-pointed at another cluster (`--rebind`), a value
//! changed in the profile, a release that never becomes ready, and shared observability across
//! four contexts.
//!
//! Every test claims [`INSTALL_RUNS`] (tests/it/ownership.rs) and names its own installation
//! (`metadata.name`); release names are cluster-wide, so each test works on contexts whose
//! releases it may change: `dp2` (killed runs), `obs` (changes and failures), all four (shared
//! observability).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::background::Background;
use crate::fixtures::SINGLE_PLANE_RELEASES;
use crate::harness::{Output, Test, assert_contains};
use crate::ownership::INSTALL_RUNS;
use crate::sandbox::{Claim, Sandbox, run, sandbox};

/// A profile: `planes` (YAML flow items, one per line) and `values` (YAML block under
/// `values:`, already indented by four spaces, or empty).
fn profile(name: &str, planes: &[&str], modules: &str, values: &str) -> String {
    let mut yaml = format!(
        "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {{name: {name}}}\n\
         spec:\n  edition: generic\n  planes:\n"
    );
    for plane in planes {
        yaml.push_str(&format!("    - {plane}\n"));
    }
    yaml.push_str(modules);
    if !values.is_empty() {
        yaml.push_str("  values:\n");
        yaml.push_str(values);
    }
    yaml
}

/// `choreoctl install --profile profile.yaml --yes` against the sandbox's mirrors and helm,
/// with `kubeconfig` (the sandbox's unless a test made its own).
#[track_caller]
fn install(sb: &Claim, kubeconfig: &Path, profile_yaml: &str) -> Test {
    sb.choreoctl()
        .file("profile.yaml", profile_yaml)
        .env("KUBECONFIG", kubeconfig)
        .args(["install", "--profile", "profile.yaml", "--yes"])
}

/// Every helm release on `context`: `namespace/name` → (status, revision).
fn releases(sb: &Sandbox, kubeconfig: &Path, context: &str) -> BTreeMap<String, (String, u64)> {
    sb.helm_releases(kubeconfig, context)
        .into_iter()
        .map(|((namespace, name), state)| (format!("{namespace}/{name}"), state))
        .collect()
}

/// The releases among `all` named in `names` (by release name, any namespace).
fn only(all: &BTreeMap<String, (String, u64)>, names: &[&str]) -> BTreeMap<String, (String, u64)> {
    all.iter()
        .filter(|(key, _)| names.contains(&key.rsplit('/').next().unwrap()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// Asserts that every release in `names` is on `context` and `deployed`.
fn expect_deployed(
    sb: &Sandbox,
    kubeconfig: &Path,
    context: &str,
    names: &[&str],
    output: &Output,
) -> BTreeMap<String, (String, u64)> {
    let mine = only(&releases(sb, kubeconfig, context), names);
    for name in names {
        let found = mine
            .iter()
            .find(|(key, _)| key.rsplit('/').next() == Some(name));
        assert!(
            matches!(found, Some((_, (status, _))) if status == "deployed"),
            "{context}: release {name} not deployed: {mine:?}\n{}",
            output.stderr
        );
    }
    mine
}

/// Helm storage Secrets of `context` whose `status` label is `status` (`pending-install`, ...),
/// as `name` labels.
fn releases_with_status(sb: &Sandbox, context: &str, status: &str) -> Vec<String> {
    let out = run(sb.kubectl(context).args([
        "get",
        "secrets",
        "-A",
        "-l",
        &format!("owner=helm,status={status}"),
        "-o",
        "jsonpath={range .items[*]}{.metadata.labels.name}{\"\\n\"}{end}",
    ]));
    out.lines().map(str::to_owned).collect()
}

/// Creates (or deletes) ResourceQuota `it-no-pods` in `namespace`: no new pod may start there.
fn quota(sb: &Sandbox, context: &str, namespace: &str, present: bool) {
    let mut kubectl = sb.kubectl(context);
    kubectl.args(["-n", namespace]);
    if present {
        kubectl.args(["create", "resourcequota", "it-no-pods", "--hard=pods=0"]);
    } else {
        kubectl.args([
            "delete",
            "resourcequota",
            "it-no-pods",
            "--ignore-not-found",
        ]);
    }
    run(&mut kubectl);
}

/// The run id in `note: resuming interrupted run <id>`.
fn resumed_run_id(stderr: &str) -> String {
    let (_, rest) = stderr
        .split_once("resuming interrupted run ")
        .unwrap_or_else(|| panic!("no resumed run in:\n{stderr}"));
    rest.split([' ', '\n', ';']).next().unwrap().to_owned()
}

const KILLED: &str = "it-killed";
const KILLED_CONTEXT: &str = "dp2";

fn killed_profile(marker: &str) -> String {
    profile(
        KILLED,
        &[
            "{name: control, type: control, context: dp2}",
            "{name: default, type: data, context: dp2}",
        ],
        "",
        &format!("    thunder: {{itProfile: {marker}}}\n"),
    )
}

/// kill -9 at three points of an install (a release pending-install, half the releases
/// deployed, a wait running), then an interrupted run whose profile changed: exit 6 naming the
/// run, `--resume` finishes it with its own profile; another killed run, then `--discard`
/// installs the current profile. Each re-run converges, recovers the pending releases it
/// finds and upgrades none that were already deployed.
#[test]
fn sandbox_install_killed_at_three_points_then_resumed_or_discarded() {
    let sb = &sandbox().claim(&INSTALL_RUNS);
    let ctx = KILLED_CONTEXT;
    let kubeconfig = &sb.kubeconfig;
    sb.reset(ctx, KILLED, &SINGLE_PLANE_RELEASES);
    let p0 = killed_profile("p0");

    // 1. As soon as helm stores a release pending-install: choreoctl and its helm die.
    let first = Background::spawn(install(sb, &sb.kubeconfig, &p0)).kill_when(
        "pending-install release",
        true,
        |_| !releases_with_status(sb, ctx, "pending-install").is_empty(),
    );
    let pending = releases_with_status(sb, ctx, "pending-install");
    assert!(!pending.is_empty(), "{first}");

    // 2. Again; killed (choreoctl alone: its helm children are told to stop) once three more
    //    releases are deployed.
    //    (The pending releases are recovered first: wait for that to be said.)
    let deployed_before = releases_with_status(sb, ctx, "deployed").len();
    let recovered = |stderr: &str| {
        pending.iter().all(|name| {
            stderr.contains(&format!(
                "/{name} was left pending-install at revision 1 by an interrupted run: \
                 uninstalled, then installed again"
            ))
        })
    };
    let second = Background::spawn(install(sb, &sb.kubeconfig, &p0)).kill_when(
        "3 more deployed releases",
        false,
        |stderr| {
            recovered(stderr)
                && releases_with_status(sb, ctx, "deployed").len() >= deployed_before + 3
        },
    );
    assert_contains(&second, "its process on this machine has exited");
    let run_id = resumed_run_id(&second);

    // 3. Again; killed while a wait step runs (the control plane's gateway).
    let third = Background::spawn(install(sb, &sb.kubeconfig, &p0)).kill_when(
        "a wait step",
        false,
        |stderr| stderr.contains("start  secure-core/cluster-gateway-ready@control (wait on "),
    );
    assert_eq!(resumed_run_id(&third), run_id, "{third}");
    std::thread::sleep(Duration::from_secs(2)); // helm, told to stop, records its release
    let before_resume = releases(sb, kubeconfig, ctx);

    // The profile changed meanwhile: refused, naming the run and both ways out.
    let p1 = killed_profile("p1");
    let refused = install(sb, kubeconfig, &p1).status(6).run();
    assert_contains(
        &refused.stderr,
        &format!("run {run_id} of installation '{KILLED}'"),
    );
    assert_contains(
        &refused.stderr,
        "was interrupted, and the profile changed since",
    );
    assert_contains(&refused.stderr, "--resume");
    assert_contains(&refused.stderr, "--discard");

    // --resume finishes the run with the profile it started with.
    let resumed = install(sb, kubeconfig, &p1).arg("--resume").run();
    assert_contains(
        &resumed.stderr,
        &format!("resuming interrupted run {run_id} with the profile it started with"),
    );
    let after_resume = expect_deployed(sb, kubeconfig, ctx, &SINGLE_PLANE_RELEASES, &resumed);
    assert!(
        after_resume
            .values()
            .all(|(status, _)| !status.starts_with("pending-")),
        "{after_resume:?}"
    );
    for (release, (status, revision)) in &before_resume {
        if status == "deployed" && after_resume.contains_key(release) {
            assert_eq!(
                after_resume[release].1, *revision,
                "{release} was deployed before the re-run and must not be upgraded again\n{}",
                resumed.stderr
            );
        }
    }
    assert_eq!(sb.helm_values(ctx, "thunder", "thunder")["itProfile"], "p0");

    // 4. An upgrade of thunder to a new image registry whose pods may not start (a quota):
    //    helm waits, pending-upgrade, and is killed with choreoctl. Then p2, the quota gone,
    //    with --discard: installs p2 and recovers thunder.
    quota(sb, ctx, "thunder", true);
    let slow = killed_profile("p1, global: {imageRegistry: registry-p1.example}");
    let fourth = Background::spawn(install(sb, &sb.kubeconfig, &slow)).kill_when(
        "thunder pending-upgrade",
        true,
        |_| releases_with_status(sb, ctx, "pending-upgrade").contains(&"thunder".to_owned()),
    );
    quota(sb, ctx, "thunder", false);
    let interrupted = releases(sb, kubeconfig, ctx);
    let p2 = killed_profile("p2");
    let refused = install(sb, kubeconfig, &p2).status(6).run();
    assert_contains(
        &refused.stderr,
        "was interrupted, and the profile changed since",
    );
    let discarded = install(sb, kubeconfig, &p2).arg("--discard").run();
    assert_contains(&discarded.stderr, "note: discarded interrupted run");
    let (_, thunder_revision) = &interrupted["thunder/thunder"];
    assert_contains(
        &discarded.stderr,
        &format!(
            "release thunder/thunder was left pending-upgrade at revision {thunder_revision} by \
             an interrupted run: rolled back to revision {}",
            thunder_revision - 1
        ),
    );
    assert_eq!(sb.helm_values(ctx, "thunder", "thunder")["itProfile"], "p2");
    let after_discard = expect_deployed(sb, kubeconfig, ctx, &SINGLE_PLANE_RELEASES, &discarded);
    for (release, (_, revision)) in &after_resume {
        if release != "thunder/thunder" {
            assert_eq!(
                after_discard[release].1, *revision,
                "only thunder's values changed: {release}\n{fourth}\n{}",
                discarded.stderr
            );
        }
    }
}

const CHANGES: &str = "it-changes";

/// Releases of [`CHANGES`]: the control plane's on `obs`, the data plane's on `dp1`.
const CONTROL_RELEASES: [&str; 7] = [
    "cert-manager",
    "external-secrets",
    "kgateway-crds",
    "kgateway",
    "openbao",
    "thunder",
    "openchoreo-control-plane",
];
const DATA_RELEASES: [&str; 5] = [
    "cert-manager",
    "external-secrets",
    "kgateway-crds",
    "kgateway",
    "openchoreo-data-plane",
];

/// A copy of the sandbox's kubeconfig in `dir` whose context `dp1` reaches the cluster (server
/// and credentials) of context `other`.
fn kubeconfig_repointing_dp1(sb: &Sandbox, dir: &Path, other: &str) -> PathBuf {
    kubeconfig_repointing(sb, dir, "dp1", other)
}

/// A copy of the sandbox's kubeconfig in `dir` whose context `context` reaches the cluster
/// (server and credentials) of context `other`.
fn kubeconfig_repointing(sb: &Sandbox, dir: &Path, context: &str, other: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::copy(&sb.kubeconfig, &path).unwrap();
    let view = sb.kubectl_json(other, &["config", "view", "--raw", "--minify"]);
    let cluster = view["contexts"][0]["context"]["cluster"].as_str().unwrap();
    let user = view["contexts"][0]["context"]["user"].as_str().unwrap();
    run(sb.command(&sb.kubectl).args([
        "config".to_owned(),
        "set-context".to_owned(),
        context.to_owned(),
        format!("--cluster={cluster}"),
        format!("--user={user}"),
        format!("--kubeconfig={}", path.display()),
    ]));
    path
}

fn changes_profile(values: &str) -> String {
    profile(
        CHANGES,
        &[
            "{name: control, type: control, context: obs}",
            "{name: default, type: data, context: dp1}",
        ],
        "",
        values,
    )
}

/// Releases of [`CHANGES`] on both contexts: `context/namespace/name` → (status, revision).
fn changes_releases(sb: &Sandbox, output: &Output) -> BTreeMap<String, (String, u64)> {
    let mut all = BTreeMap::new();
    for (context, names) in [("obs", &CONTROL_RELEASES[..]), ("dp1", &DATA_RELEASES[..])] {
        for (key, value) in expect_deployed(sb, &sb.kubeconfig, context, names, output) {
            all.insert(format!("{context}/{key}"), value);
        }
    }
    all
}

/// One installation, the control plane on `obs` and the data plane on `dp1`: a value changed in
/// the profile upgrades only its release; a data plane that never becomes ready (its new pods
/// forbidden by a quota) is rolled back to its previous revision with its dependents skipped
/// and the other plane untouched, exit 3, and the re-run after the fix succeeds; context `dp1`
/// re-pointed at another cluster (`dp2`) is refused (exit 4) until `--rebind`.
#[test]
fn sandbox_install_changed_values_a_release_never_ready_and_a_moved_context() {
    let sb = &sandbox().claim(&INSTALL_RUNS);
    let kubeconfig = &sb.kubeconfig;
    let data_namespace = "openchoreo-data-plane";
    // A kept sandbox holds this test's last journal, with the data plane rebound to dp2.
    sb.reset("obs", CHANGES, &[]);
    let _ = sb
        .kubectl("dp1")
        .args(["create", "namespace", data_namespace])
        .output();
    quota(sb, "dp1", data_namespace, false);

    let installed = install(sb, kubeconfig, &changes_profile("")).run();
    let before = changes_releases(sb, &installed);

    // A value of thunder changed: thunder alone is upgraded.
    let thunder = "    thunder: {itMarker: '1'}\n";
    let changed = install(sb, kubeconfig, &changes_profile(thunder)).run();
    assert_contains(&changed.stderr, "1 helm upgrade(s)");
    let after = changes_releases(sb, &changed);
    for (release, (_, revision)) in &before {
        let expected = revision + u64::from(release == "obs/thunder/thunder");
        assert_eq!(after[release].1, expected, "{release}\n{}", changed.stderr);
    }

    // The data plane's agent gets a new setting, but no new pod may start: never ready.
    quota(sb, "dp1", data_namespace, true);
    let agent_env = format!(
        "{thunder}    openchoreo-data-plane: {{clusterAgent: {{extraEnvs: [{{name: IT_AGENT, value: '1'}}]}}}}\n"
    );
    let failed = install(sb, kubeconfig, &changes_profile(&agent_env))
        .args(["--timeout", "10"])
        .status(3)
        .run();
    assert_contains(&failed.stderr, "FAILED secure-core/data-plane@default");
    assert_contains(
        &failed.stderr,
        "release rolled back to the previous revision",
    );
    assert_contains(&failed.stderr, "skip   secure-core/register@default");
    assert_contains(&failed.stderr, "1 failed, 1 rolled back");
    let rolled_back = changes_releases(sb, &failed);
    let data_plane = "dp1/openchoreo-data-plane/openchoreo-data-plane";
    for (release, (_, revision)) in &after {
        // The failed upgrade, then the rollback, are revisions of their own.
        let expected = revision + if release == data_plane { 2 } else { 0 };
        assert_eq!(
            rolled_back[release].1, expected,
            "{release}\n{}",
            failed.stderr
        );
    }
    let restored = sb.helm_values("dp1", data_namespace, "openchoreo-data-plane");
    assert!(
        restored["clusterAgent"].get("extraEnvs").is_none(),
        "the previous revision's values are back: {restored}"
    );

    // The cause fixed, the same profile installs.
    quota(sb, "dp1", data_namespace, false);
    let fixed = install(sb, kubeconfig, &changes_profile(&agent_env)).run();
    assert_contains(&fixed.stderr, "done   secure-core/register@default");
    let upgraded = sb.helm_values("dp1", data_namespace, "openchoreo-data-plane");
    assert_eq!(upgraded["clusterAgent"]["extraEnvs"][0]["name"], "IT_AGENT");

    // Context `dp1` now reaches dp2: refused, naming the plane, the context and both clusters.
    let uid = |context: &str| {
        sb.kubectl_json(context, &["get", "namespace", "kube-system"])["metadata"]["uid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    let moved = kubeconfig_repointing_dp1(sb, dir.path(), "dp2");
    let refused = install(sb, &moved, &changes_profile(&agent_env))
        .status(4)
        .run();
    assert_contains(&refused.stderr, "plane 'default'");
    assert_contains(&refused.stderr, "context 'dp1'");
    assert_contains(&refused.stderr, &uid("dp1"));
    assert_contains(&refused.stderr, &uid("dp2"));
    assert_contains(&refused.stderr, "--rebind");

    // --rebind accepts dp2 and records it: the next run is not refused and changes nothing.
    let rebound = install(sb, &moved, &changes_profile(&agent_env))
        .arg("--rebind")
        .run();
    assert_contains(
        &rebound.stderr,
        &format!(
            "plane default rebound from cluster {} to {}",
            uid("dp1"),
            uid("dp2")
        ),
    );
    let again = install(sb, &moved, &changes_profile(&agent_env)).run();
    assert_contains(&again.stderr, "0 helm upgrade(s)");
    expect_deployed(sb, &moved, "dp2", &DATA_RELEASES, &again);
    assert_agent_ca(
        sb,
        "obs",
        "clusterdataplanes.openchoreo.dev",
        "default",
        "dp2",
        data_namespace,
    );
}

const MOVED: &str = "it-moved-control";

/// Forgets installation [`MOVED`] on `cp`, `dp1` and `dp2` when dropped (and when made, for a
/// kept sandbox): its lock, journal and ownership markers, and its plane resource `moved`. Its
/// releases stay, as every test's do (the next test on a cluster adopts them).
struct ForgetMoved<'a>(&'a Sandbox);

impl ForgetMoved<'_> {
    fn forget(&self) {
        for context in ["cp", "dp1", "dp2"] {
            let _ = self
                .0
                .kubectl(context)
                .args(["-n", "choreoctl-system", "delete", "secret,lease,configmap"])
                .args([
                    "-l",
                    &format!("choreoctl.openchoreo.dev/installation={MOVED}"),
                ])
                .arg("--ignore-not-found")
                .output();
            let _ = self
                .0
                .kubectl(context)
                .args(["delete", "clusterdataplanes.openchoreo.dev", "moved"])
                .arg("--ignore-not-found")
                .output();
        }
    }
}

impl Drop for ForgetMoved<'_> {
    fn drop(&mut self) {
        self.forget();
    }
}

/// The control plane on `cp`, a data plane on `dp1`; then context `cp` re-pointed at `dp2`,
/// which holds no journal of the installation (the run would look like a first install):
/// refused with exit 4, because `dp1` carries the installation's ownership marker naming
/// `cp`'s cluster; the message names both identities, the context and `--rebind`, and nothing
/// is written on `dp2`. With `--rebind` the run proceeds: the control plane is installed on
/// `dp2` and `dp1`'s marker names `dp2`.
#[test]
fn sandbox_install_refuses_a_control_plane_context_repointed_at_another_cluster() {
    let sb = &sandbox().claim(&INSTALL_RUNS);
    let cleanup = ForgetMoved(sb);
    cleanup.forget();
    let uid = |context: &str| {
        sb.kubectl_json(context, &["get", "namespace", "kube-system"])["metadata"]["uid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let marker = |context: &str| {
        sb.kubectl_json(context, &["-n", "choreoctl-system", "get", "configmap"])["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["metadata"]["name"] == format!("choreoctl-owner-{MOVED}"))
            .map(|item| item["data"]["controlPlaneCluster"].clone())
    };
    let yaml = profile(
        MOVED,
        &[
            "{name: control, type: control, context: cp}",
            "{name: moved, type: data, context: dp1}",
        ],
        "",
        "",
    );
    let installed = install(sb, &sb.kubeconfig, &yaml).run();
    assert_eq!(
        marker("dp1"),
        Some(Value::from(uid("cp"))),
        "{}",
        installed.stderr
    );
    assert_eq!(
        marker("cp"),
        None,
        "no marker on the control plane's own cluster"
    );

    let dir = tempfile::tempdir().unwrap();
    let moved = kubeconfig_repointing(sb, dir.path(), "cp", "dp2");
    let refused = install(sb, &moved, &yaml).status(4).run();
    for needle in [
        format!("installation '{MOVED}'"),
        "plane 'moved' (context 'dp1')".to_owned(),
        "control plane's context 'cp'".to_owned(),
        uid("cp"),
        uid("dp2"),
        "--rebind".to_owned(),
    ] {
        assert_contains(&refused.stderr, &needle);
    }
    let journals = run(sb.kubectl("dp2").args([
        "-n",
        "choreoctl-system",
        "get",
        "secret,lease",
        "-l",
        &format!("choreoctl.openchoreo.dev/installation={MOVED}"),
        "-o",
        "name",
    ]));
    assert_eq!(journals.trim(), "", "the refused run wrote on dp2");

    let rebound = install(sb, &moved, &yaml).arg("--rebind").run();
    assert_contains(
        &rebound.stderr,
        &format!("belonged to the control plane on cluster {}", uid("cp")),
    );
    expect_deployed(sb, &moved, "cp", &CONTROL_RELEASES, &rebound);
    assert_eq!(
        marker("dp1"),
        Some(Value::from(uid("dp2"))),
        "{}",
        rebound.stderr
    );
    let again = install(sb, &moved, &yaml).run();
    assert_contains(&again.stderr, "0 helm upgrade(s)");
}

/// Asserts that plane resource `resource`/`name` on `control` carries exactly the `ca.crt` of
/// Secret `cluster-agent-tls` in `namespace` on the plane's own cluster `plane_context`.
fn assert_agent_ca(
    sb: &Sandbox,
    control: &str,
    resource: &str,
    name: &str,
    plane_context: &str,
    namespace: &str,
) {
    let plane = sb.kubectl_json(control, &["get", resource, name]);
    let secret = sb.kubectl_json(
        plane_context,
        &["-n", namespace, "get", "secret", "cluster-agent-tls"],
    );
    let ca = base64::engine::general_purpose::STANDARD
        .decode(secret["data"]["ca.crt"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        plane["spec"]["clusterAgent"]["clientCA"]["value"].as_str(),
        Some(String::from_utf8(ca).unwrap().as_str()),
        "{resource}/{name} on {control} must carry the agent CA of {plane_context}"
    );
}

const FOUR: &str = "it-four-contexts";

/// Shared observability across four contexts: control and workflow planes on `cp`, data planes
/// on `dp1` and `dp2`, the observability plane on `obs` serving all three. Every release is
/// deployed on every context (OpenBao, the secret store's backend, on each of them), each
/// cluster has its own Ready ClusterSecretStore `default`, every plane resource on the control
/// plane carries its own plane's live agent CA, and a re-run upgrades nothing.
#[test]
fn sandbox_install_shared_observability_on_four_contexts() {
    let sb = &sandbox().claim(&INSTALL_RUNS);
    let yaml = profile(
        FOUR,
        &[
            "{name: control, type: control, context: cp}",
            "{name: ci, type: workflow, context: cp}",
            "{name: dev, type: data, context: dp1}",
            "{name: prod, type: data, context: dp2}",
            "{name: obs, type: observability, context: obs, serves: [ci, dev, prod]}",
        ],
        "  modules:\n    - name: build\n    - name: observe\n      plane: obs\n",
        "",
    );
    let installed = install(sb, &sb.kubeconfig, &yaml).run();
    let secure_core = [
        "cert-manager",
        "external-secrets",
        "kgateway-crds",
        "kgateway",
        "openbao",
    ];
    let mut expected: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    expected.insert(
        "cp",
        [
            &secure_core[..],
            &[
                "thunder",
                "openchoreo-control-plane",
                "openchoreo-workflow-plane",
            ],
        ]
        .concat(),
    );
    expected.insert(
        "dp1",
        [&secure_core[..], &["openchoreo-data-plane"]].concat(),
    );
    expected.insert(
        "dp2",
        [&secure_core[..], &["openchoreo-data-plane"]].concat(),
    );
    expected.insert(
        "obs",
        [&secure_core[..], &["openchoreo-observability-plane"]].concat(),
    );
    let mut first = BTreeMap::new();
    for (context, names) in &expected {
        first.insert(
            *context,
            expect_deployed(sb, &sb.kubeconfig, context, names, &installed),
        );
    }

    // Every cluster's ExternalSecrets (the observability plane's on `obs`, the collectors' on the
    // others) read a store on their own cluster: it exists and is Ready everywhere.
    for context in expected.keys() {
        let store = sb.kubectl_json(
            context,
            &["get", "clustersecretstores.external-secrets.io", "default"],
        );
        let ready = store["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|condition| condition["type"] == "Ready" && condition["status"] == "True");
        assert!(
            ready,
            "{context}: ClusterSecretStore default not Ready: {store}"
        );
    }

    for (resource, name, context, namespace) in [
        (
            "clusterdataplanes.openchoreo.dev",
            "dev",
            "dp1",
            "openchoreo-data-plane",
        ),
        (
            "clusterdataplanes.openchoreo.dev",
            "prod",
            "dp2",
            "openchoreo-data-plane",
        ),
        (
            "clusterworkflowplanes.openchoreo.dev",
            "ci",
            "cp",
            "openchoreo-workflow-plane",
        ),
        (
            "clusterobservabilityplanes.openchoreo.dev",
            "obs",
            "obs",
            "openchoreo-observability-plane",
        ),
    ] {
        assert_agent_ca(sb, "cp", resource, name, context, namespace);
    }

    let again = install(sb, &sb.kubeconfig, &yaml).run();
    assert_contains(&again.stderr, "0 helm upgrade(s)");
    for (context, names) in &expected {
        assert_eq!(
            only(&releases(sb, &sb.kubeconfig, context), names),
            first[context],
            "{context}\n{}",
            again.stderr
        );
    }
}

/// Two planes whose contexts differ but reach one cluster would get the releases they share
/// installed twice, at once (helm: "release: already exists"): refused before anything runs.
#[test]
fn sandbox_install_refuses_two_contexts_of_one_cluster() {
    let sb = &sandbox().claim(&INSTALL_RUNS);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::copy(&sb.kubeconfig, &kubeconfig).unwrap();
    let view = sb.kubectl_json("obs", &["config", "view", "--raw", "--minify"]);
    let context = &view["contexts"][0]["context"];
    run(sb.command(&sb.kubectl).args([
        "config".to_owned(),
        "set-context".to_owned(),
        "obs-again".to_owned(),
        format!("--cluster={}", context["cluster"].as_str().unwrap()),
        format!("--user={}", context["user"].as_str().unwrap()),
        format!("--kubeconfig={}", kubeconfig.display()),
    ]));
    let yaml = profile(
        "it-two-contexts",
        &[
            "{name: control, type: control, context: obs}",
            "{name: default, type: data, context: obs-again}",
        ],
        "",
        "",
    );
    let refused = install(sb, &kubeconfig, &yaml).status(4).run();
    assert_contains(
        &refused.stderr,
        "planes 'control' (context 'obs') and 'default' (context 'obs-again') reach the same cluster",
    );
    assert_contains(
        &refused.stderr,
        "give planes on one cluster the same context",
    );
}

const FIRST: &str = "it-first-install";

/// Removes quota `it-no-pods` however the test ends, so later tests can start pods there.
struct NoQuotaAfter<'a> {
    sb: &'a Sandbox,
    context: &'a str,
    namespace: &'a str,
}

impl Drop for NoQuotaAfter<'_> {
    fn drop(&mut self) {
        quota(self.sb, self.context, self.namespace, false);
    }
}

/// A release that fails on its first install is uninstalled, not left `failed`:
/// the control plane on `cp`, a data plane on `obs` whose pods a quota forbids. After the run
/// (exit 3) helm knows no such release at all (no revision in any state, no storage Secret),
/// its dependents were skipped and the control plane's releases are deployed; with the quota
/// gone the same profile installs it as a new release (revision 1).
#[test]
fn sandbox_install_a_release_failing_its_first_install_is_uninstalled() {
    let sb = &sandbox().claim(&INSTALL_RUNS);
    let kubeconfig = &sb.kubeconfig;
    let (context, namespace, release) = ("obs", "openchoreo-data-plane", "openchoreo-data-plane");
    let first_profile = profile(
        FIRST,
        &[
            "{name: control, type: control, context: cp}",
            "{name: first, type: data, context: obs}",
        ],
        "",
        "",
    );
    // A kept sandbox holds this test's last journal on cp, and another test's data plane may be
    // on obs: this one must be a first install.
    sb.reset("cp", FIRST, &[]);
    sb.reset(context, FIRST, &[release]);
    let _ = sb
        .kubectl(context)
        .args(["create", "namespace", namespace])
        .output();
    quota(sb, context, namespace, true);
    let quota_guard = NoQuotaAfter {
        sb,
        context,
        namespace,
    };

    let failed = install(sb, kubeconfig, &first_profile)
        .args(["--timeout", "10"])
        .status(3)
        .run();
    assert_contains(&failed.stderr, "FAILED secure-core/data-plane@first");
    assert_contains(&failed.stderr, "uninstalled (it was new)");
    assert_contains(&failed.stderr, "skip   secure-core/agent-ca@first");
    assert_contains(&failed.stderr, "skip   secure-core/register@first");
    assert_contains(&failed.stderr, "1 failed, 1 rolled back");
    let left = only(&releases(sb, kubeconfig, context), &[release]);
    assert!(
        left.is_empty(),
        "no {release} in any state: {left:?}\n{}",
        failed.stderr
    );
    let storage = run(sb.kubectl(context).args([
        "-n",
        namespace,
        "get",
        "secrets",
        "-l",
        &format!("owner=helm,name={release}"),
        "-o",
        "name",
    ]));
    assert_eq!(storage.trim(), "", "helm storage Secrets left behind");
    expect_deployed(sb, kubeconfig, "cp", &CONTROL_RELEASES, &failed);

    // The cause fixed, the same profile installs the release anew.
    drop(quota_guard);
    let fixed = install(sb, kubeconfig, &first_profile).run();
    assert_contains(&fixed.stderr, "done   secure-core/register@first");
    let installed = expect_deployed(sb, kubeconfig, context, &[release], &fixed);
    assert_eq!(
        installed.values().next().map(|(_, revision)| *revision),
        Some(1),
        "a new release, not an upgrade of a failed one: {installed:?}"
    );
}
