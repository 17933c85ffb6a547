//! `choreoctl module remove`: refused (exit 2, file untouched) for an unknown module, the
//! Secure Core and a module another one requires; on the sandbox, Continuous Delivery taken
//! away from an installation on `dp2`: its entry leaves the file, its release goes, the
//! volume claim its workload made is kept (with its namespace) and listed, no other release is
//! upgraded, and the journal no longer has the module; `--delete-data` takes the claim and the
//! namespace too, and a removal killed with `kill -9` is finished by running it again. Claims [`LIFECYCLE`] (tests/it/ownership.rs), and resets `dp2` before and
//! after.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{Eof, Expect, Session};

use crate::background::Background;
use crate::fixtures::SINGLE_PLANE_RELEASES;
use crate::harness::{Test, assert_contains};
use crate::init::plain;
use crate::ownership::LIFECYCLE;
use crate::sandbox::{Claim, run, sandbox};

const CONTEXT: &str = "dp2";
const INSTALLATION: &str = "it-lifecycle";

/// Continuous Delivery's release (Argo CD, its default engine) and namespace.
const CD_RELEASE: &str = "argo-cd";
const CD_NAMESPACE: &str = "argocd";

/// A claim as Kubernetes makes it from a StatefulSet's `volumeClaimTemplates`: the set's
/// selector labels (which name the release) copied onto it.
const CLAIM: &str = "\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-argocd-application-controller-0
  namespace: argocd
  labels: {app.kubernetes.io/instance: argo-cd, app.kubernetes.io/name: argocd-application-controller}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
";

/// The profile, with Continuous Delivery, as a user keeps it in Git.
const PROFILE: &str = "\
# The lab's platform.
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: it-lifecycle}

spec:
  edition: generic
  planes:
    - {name: control, type: control, context: dp2}
    - {name: default, type: data, context: dp2}
  modules:
    - name: cd        # Argo CD
  # values stay below
";

/// [`PROFILE`] after the removal.
const REMOVED: &str = "\
# The lab's platform.
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: it-lifecycle}

spec:
  edition: generic
  planes:
    - {name: control, type: control, context: dp2}
    - {name: default, type: data, context: dp2}
  modules: []
  # values stay below
";

/// Every helm release on [`CONTEXT`]: name → (status, revision).
fn releases(sb: &Claim) -> BTreeMap<String, (String, u64)> {
    sb.helm_releases(&sb.kubeconfig, CONTEXT)
        .into_iter()
        .map(|((_, name), state)| (name, state))
        .collect()
}

/// Puts [`CONTEXT`] back as if the installation had never run there, CD's namespace (and the
/// claim in it) included.
#[track_caller]
fn reset(sb: &Claim) {
    let releases = [&SINGLE_PLANE_RELEASES[..], &[CD_RELEASE]].concat();
    sb.reset(CONTEXT, INSTALLATION, &releases);
    run(sb.kubectl(CONTEXT).args([
        "delete",
        "namespace",
        CD_NAMESPACE,
        "--ignore-not-found",
        "--wait",
    ]));
}

/// `choreoctl ARGS` run in `dir`, where the profile file is.
#[track_caller]
fn in_dir(sb: &Claim, dir: &Path, args: &[&str]) -> Test {
    sb.choreoctl().current_dir(dir).args(args)
}

/// Whether object `kind/name` exists on [`CONTEXT`] (`namespace` empty: cluster-scoped).
fn exists(sb: &Claim, namespace: &str, kind: &str, name: &str) -> bool {
    let mut command = sb.kubectl(CONTEXT);
    command.args(["get", kind, name, "--ignore-not-found", "-o", "name"]);
    if !namespace.is_empty() {
        command.args(["-n", namespace]);
    }
    !run(&mut command).trim().is_empty()
}

/// `module remove cd` on a pseudo-terminal, answering no to its question: the transcript and
/// the exit status.
fn declined_on_a_terminal(sb: &Claim, dir: &Path) -> (String, WaitStatus) {
    let (mut command, _dir) = in_dir(sb, dir, &["module", "remove", "cd", "-p", "lab.yaml"])
        .env("TERM", "xterm")
        .into_command();
    // The pseudo-terminal, not /dev/null.
    command.stdin(Stdio::inherit());
    let mut session = Session::spawn(command).expect("choreoctl runs on a pseudo-terminal");
    session.set_expect_timeout(Some(Duration::from_secs(300)));
    let asked = session
        .expect("Remove module cd?")
        .unwrap_or_else(|error| panic!("waiting for the question: {error}"));
    let mut transcript = String::from_utf8_lossy(asked.before()).into_owned();
    // Let the prompt switch the terminal to raw mode before typing.
    std::thread::sleep(Duration::from_millis(300));
    session.send("n").expect("typing");
    let rest = session
        .expect(Eof)
        .unwrap_or_else(|error| panic!("module remove ends: {error}\n{transcript}"));
    transcript.push_str(&String::from_utf8_lossy(rest.get(0).unwrap_or_default()));
    let status = session.get_process().wait().expect("exit status");
    (transcript, status)
}

/// The modules the installation's journal holds, as `profile show --installation` prints.
fn installed_profile(sb: &Claim) -> String {
    sb.choreoctl()
        .args(["profile", "show", "--installation", INSTALLATION])
        .args(["--context", CONTEXT])
        .run()
        .stdout
}

#[test]
fn module_remove_refuses_what_it_must_not_take_away_and_leaves_the_file() {
    let profile = "\
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: lab}
spec:
  edition: generic
  planes:
    - {name: control, type: control, context: cp}
    - {name: default, type: data, context: cp}
    - {name: ci, type: workflow, context: cp}
  modules: [{name: build}, {name: automate}]
";
    for (module, message, help) in [
        (
            "build",
            "module `build` cannot be removed: automate requires it",
            "remove automate first (`choreoctl module remove automate -p lab.yaml`)",
        ),
        (
            "secure-core",
            "the Secure Core cannot be removed",
            "the Secure Core stays as long as the installation",
        ),
        ("buld", "unknown module `buld`", "did you mean `build`?"),
    ] {
        let out = Test::new()
            .file("lab.yaml", profile)
            .args(["module", "remove", module, "-p", "lab.yaml", "--yes"])
            .status(2)
            .stderr_contains(message)
            .stderr_contains(help)
            .run();
        assert_eq!(
            std::fs::read_to_string(out.path("lab.yaml")).unwrap(),
            profile
        );
    }
}

#[test]
fn sandbox_module_remove_takes_the_module_away_and_keeps_its_data() {
    let sb = &sandbox().claim(&LIFECYCLE);
    reset(sb);
    let dir = tempfile::tempdir().expect("a directory for the profile");
    let file = dir.path().join("lab.yaml");
    std::fs::write(&file, PROFILE).unwrap();
    let read = || std::fs::read_to_string(&file).unwrap();

    in_dir(sb, dir.path(), &["install", "-p", "lab.yaml", "--yes"]).run();
    let installed = releases(sb);
    assert!(installed.contains_key(CD_RELEASE), "{installed:?}");
    let claim = dir.path().join("claim.yaml");
    std::fs::write(&claim, CLAIM).unwrap();
    run(sb.kubectl(CONTEXT).arg("apply").arg("-f").arg(&claim));

    // On a terminal it asks, after what will change: declined, nothing changes.
    let (transcript, status) = declined_on_a_terminal(sb, dir.path());
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "declining exits 0: {status:?}\n{transcript}"
    );
    let text = plain(&transcript);
    assert_contains(
        &text,
        "plane control (control) on context dp2: 1 to remove (argo-cd)",
    );
    assert_contains(&text, "not confirmed: nothing changed");
    assert_eq!(read(), PROFILE, "a declined removal leaves the file alone");
    assert_eq!(
        releases(sb),
        installed,
        "a declined removal changes no release"
    );

    // A dry run says what would go and changes nothing.
    in_dir(
        sb,
        dir.path(),
        &["module", "remove", "cd", "-p", "lab.yaml", "--dry-run"],
    )
    .stderr_contains("release argocd/argo-cd would be uninstalled")
    .run();
    assert_eq!(read(), PROFILE, "a dry run leaves the file alone");
    assert_eq!(releases(sb), installed, "a dry run changes no release");

    let removed = in_dir(
        sb,
        dir.path(),
        &["module", "remove", "cd", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("-    - name: cd        # Argo CD")
    .stderr_contains("wrote lab.yaml")
    .stderr_contains(
        "kept PersistentVolumeClaim argocd/data-argocd-application-controller-0 (its data; \
         --delete-data deletes it)",
    )
    .stderr_contains("kept namespace argocd: it holds PersistentVolumeClaim")
    .run();
    assert_eq!(read(), REMOVED, "{}", removed.stderr);
    let after = releases(sb);
    assert!(
        !after.contains_key(CD_RELEASE),
        "{after:?}\n{}",
        removed.stderr
    );
    for (release, state) in &after {
        assert_eq!(
            installed.get(release),
            Some(state),
            "release {release} was upgraded by the removal\n{}",
            removed.stderr
        );
    }
    assert!(exists(
        sb,
        CD_NAMESPACE,
        "pvc",
        "data-argocd-application-controller-0"
    ));
    assert!(!exists(sb, CD_NAMESPACE, "deployment", "argocd-server"));
    let shown = installed_profile(sb);
    assert!(!shown.contains("name: cd"), "{shown}");

    // Again: nothing to edit, nothing left to remove, nothing upgraded.
    in_dir(
        sb,
        dir.path(),
        &["module", "remove", "cd", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("module cd is not in lab.yaml: nothing to edit")
    .stderr_lacks("wrote lab.yaml")
    .run();
    assert_eq!(releases(sb), after, "a repeated removal changes nothing");

    // Back, then away with its data, killed (-9, helm too) while helm waits for a Deployment
    // a finalizer holds: another command is refused, the same one finishes the removal.
    in_dir(
        sb,
        dir.path(),
        &["module", "add", "cd", "-p", "lab.yaml", "--yes"],
    )
    .run();
    assert!(releases(sb).contains_key(CD_RELEASE));
    let server = ["-n", CD_NAMESPACE, "deployment", "argocd-server"];
    let finalizers = |patch: &str| {
        run(sb
            .kubectl(CONTEXT)
            .args(["patch", "--type=merge", "-p", patch])
            .args(server));
    };
    finalizers(r#"{"metadata":{"finalizers":["it.choreoctl/hold"]}}"#);
    let removing = Background::spawn(in_dir(
        sb,
        dir.path(),
        &[
            "module",
            "remove",
            "cd",
            "-p",
            "lab.yaml",
            "--delete-data",
            "--yes",
        ],
    ));
    let killed = removing.kill_when("helm waiting for argocd-server", true, |stderr| {
        stderr.contains("start  cd/remove-argo-cd@control")
            && !run(sb
                .kubectl(CONTEXT)
                .args(["get", "-o", "jsonpath={.metadata.deletionTimestamp}"])
                .args(server))
            .trim()
            .is_empty()
    });
    assert_eq!(
        read(),
        REMOVED,
        "the file is written before the run\n{killed}"
    );
    in_dir(sb, dir.path(), &["install", "-p", "lab.yaml", "--yes"])
        .status(6)
        .stderr_contains("remove module cd")
        .run();
    finalizers(r#"{"metadata":{"finalizers":null}}"#);
    let purged = in_dir(
        sb,
        dir.path(),
        &[
            "module",
            "remove",
            "cd",
            "-p",
            "lab.yaml",
            "--delete-data",
            "--yes",
        ],
    )
    .stderr_contains("module cd is not in lab.yaml: nothing to edit")
    .stderr_contains("resuming interrupted run")
    .stderr_contains("deleted PersistentVolumeClaim argocd/data-argocd-application-controller-0")
    .run();
    assert_eq!(read(), REMOVED, "{}", purged.stderr);
    assert!(!releases(sb).contains_key(CD_RELEASE));
    // The install made the namespace (reset had deleted it), so the removal deletes it.
    assert!(
        !exists(sb, "", "namespace", CD_NAMESPACE),
        "{}",
        purged.stderr
    );
    assert_contains(&installed_profile(sb), "name: it-lifecycle");

    reset(sb);
}
