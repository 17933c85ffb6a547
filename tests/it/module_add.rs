//! `choreoctl module add` on the sandbox: a profile file written by hand (comments, flow maps,
//! quotes, blank lines) is installed on `dp2`, then Continuous Delivery is added to it. The
//! file changes on its modules line only, the module's releases are installed, and no other
//! release is upgraded; what the command refuses changes neither the file nor the cluster.
//! `profile show --installation` then gives back a profile that installs to the same state.
//! Claims [`LIFECYCLE`] (tests/it/ownership.rs), and resets `dp2` before and after.

use std::collections::BTreeMap;
use std::path::Path;

use crate::fixtures::SINGLE_PLANE_RELEASES;
use crate::harness::{Test, assert_contains};
use crate::ownership::LIFECYCLE;
use crate::sandbox::{Claim, sandbox};

const CONTEXT: &str = "dp2";
const INSTALLATION: &str = "it-lifecycle";

/// The release Continuous Delivery adds (Argo CD, its default engine).
const CD_RELEASE: &str = "argo-cd";

/// The profile as a user keeps it in Git.
const PROFILE: &str = "\
# The lab's platform, grown one module at a time.
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: it-lifecycle}   # names the lock and the journal

spec:
  edition: generic     # no Cilium in the lab
  planes:
    - {name: control, type: control, context: \"dp2\"}

    - name: default
      type: data
      context: 'dp2'   # the same cluster
  modules: []   # nothing yet
";

/// Every helm release on [`CONTEXT`]: name → (status, revision).
fn releases(sb: &Claim) -> BTreeMap<String, (String, u64)> {
    sb.helm_releases(&sb.kubeconfig, CONTEXT)
        .into_iter()
        .map(|((_, name), state)| (name, state))
        .collect()
}

/// Puts [`CONTEXT`] back as if the installation had never run there.
#[track_caller]
fn reset(sb: &Claim) {
    let releases = [&SINGLE_PLANE_RELEASES[..], &[CD_RELEASE]].concat();
    sb.reset(CONTEXT, INSTALLATION, &releases);
}

/// `choreoctl ARGS` run in `dir`, where the profile file is.
#[track_caller]
fn in_dir(sb: &Claim, dir: &Path, args: &[&str]) -> Test {
    sb.choreoctl().current_dir(dir).args(args)
}

#[test]
fn sandbox_module_add_edits_the_file_in_place_and_installs_only_the_module() {
    let sb = &sandbox().claim(&LIFECYCLE);
    reset(sb);
    let dir = tempfile::tempdir().expect("a directory for the profile");
    let file = dir.path().join("lab.yaml");
    std::fs::write(&file, PROFILE).unwrap();
    let read = || std::fs::read_to_string(&file).unwrap();

    in_dir(sb, dir.path(), &["install", "-p", "lab.yaml", "--yes"]).run();
    let before = releases(sb);
    assert!(!before.contains_key(CD_RELEASE), "{before:?}");

    // Refused before anything changes, each naming its fix.
    for (args, message, help) in [
        (
            vec!["guard"],
            "is not supported on the generic edition",
            "choreoctl migrate generic-to-cilium",
        ),
        (vec!["intelligence"], "is planned", "choreoctl matrix"),
        (
            vec!["observe", "--plane", "obs"],
            "plane `obs` is not in lab.yaml",
            "choreoctl plane add obs --type observability --context CTX",
        ),
        (vec!["cdd"], "unknown module `cdd`", "did you mean `cd`?"),
        (
            vec!["cd", "--option", "retention"],
            "--option `retention` is not key=value",
            "choreoctl module info cd",
        ),
    ] {
        let mut command = vec!["module", "add"];
        command.extend(args);
        command.extend(["-p", "lab.yaml", "--yes"]);
        in_dir(sb, dir.path(), &command)
            .status(2)
            .stderr_contains(message)
            .stderr_contains(help)
            .run();
    }
    // An option the module does not have is found in the edited profile, at its line.
    in_dir(
        sb,
        dir.path(),
        &[
            "module",
            "add",
            "cd",
            "--option",
            "colour=blue",
            "-p",
            "lab.yaml",
            "--yes",
        ],
    )
    .status(2)
    .stderr_contains("colour")
    .run();
    assert_eq!(read(), PROFILE, "a refused add leaves the file alone");
    assert_eq!(releases(sb), before, "a refused add changes no release");

    // A dry run checks the edited profile against the cluster and writes nothing; its log is
    // NDJSON throughout, the diff inside an event.
    let dry_run = in_dir(
        sb,
        dir.path(),
        &["module", "add", "cd", "-p", "lab.yaml", "--dry-run"],
    )
    .args(["--log-format", "json"])
    .run();
    let events = dry_run.events();
    let edited = events
        .iter()
        .find(|event| event["event"] == "profile_edited")
        .unwrap_or_else(|| panic!("no profile_edited event:\n{}", dry_run.stderr));
    assert_eq!(edited["path"], "lab.yaml");
    assert_contains(
        edited["diff"].as_str().unwrap_or_default(),
        "+  modules: [{name: cd}]   # nothing yet",
    );
    assert!(
        events.iter().any(|event| event["event"] == "note"
            && event["message"] == "--dry-run: lab.yaml is left as it is"),
        "{}",
        dry_run.stderr
    );
    assert_eq!(read(), PROFILE, "a dry run leaves the file alone");
    assert_eq!(releases(sb), before, "a dry run changes no release");

    // The add: the modules line changes, nothing else in the file.
    let added = in_dir(
        sb,
        dir.path(),
        &["module", "add", "cd", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("-  modules: []   # nothing yet")
    .stderr_contains("+  modules: [{name: cd}]   # nothing yet")
    .stderr_contains("wrote lab.yaml")
    .run();
    assert_eq!(
        read(),
        PROFILE.replace("modules: []", "modules: [{name: cd}]"),
        "{}",
        added.stderr
    );
    let after = releases(sb);
    assert_eq!(
        after.get(CD_RELEASE).map(|(status, _)| status.as_str()),
        Some("deployed"),
        "{after:?}\n{}",
        added.stderr
    );
    for (release, state) in &before {
        assert_eq!(
            after.get(release),
            Some(state),
            "release {release} was upgraded by the add\n{}",
            added.stderr
        );
    }

    // `status` shows the module's releases, deployed and healthy.
    let report = sb
        .choreoctl()
        .args([
            "status",
            "--context",
            CONTEXT,
            "--installation",
            INSTALLATION,
        ])
        .args(["-o", "json"])
        .run()
        .json();
    let cd: Vec<&serde_json::Value> = report["planes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|plane| plane["releases"].as_array().into_iter().flatten())
        .filter(|release| release["module"] == "cd")
        .collect();
    assert_eq!(cd.len(), 1, "{report:#}");
    for release in cd {
        assert_eq!(release["status"], "deployed", "{release}");
        assert_eq!(release["health"]["state"], "healthy", "{release}");
    }

    // Again: nothing to edit, nothing upgraded.
    in_dir(
        sb,
        dir.path(),
        &["module", "add", "cd", "-p", "lab.yaml", "--yes"],
    )
    .stderr_contains("module cd is in lab.yaml already: nothing to edit")
    .stderr_lacks("wrote lab.yaml")
    .run();
    assert_eq!(releases(sb), after, "a repeated add upgrades nothing");
    assert_contains(&read(), "modules: [{name: cd}]");

    // The installation's profile, from its journal: a file that installs to the same state.
    let shown = sb
        .choreoctl()
        .args(["profile", "show", "--installation", INSTALLATION])
        .args(["--context", CONTEXT])
        .run();
    assert_contains(&shown.stdout, "name: it-lifecycle");
    assert_contains(&shown.stdout, "- name: cd");
    std::fs::write(dir.path().join("shown.yaml"), &shown.stdout).unwrap();
    in_dir(sb, dir.path(), &["install", "-p", "shown.yaml", "--yes"]).run();
    assert_eq!(
        releases(sb),
        after,
        "installing the shown profile upgrades nothing\n{}",
        shown.stdout
    );

    reset(sb);
}
