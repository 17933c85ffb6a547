//! `choreoctl plane add` and `plane remove` (and `uninstall --plane`) refuse, before anything changes and with the fix,
//! what would break the installation or what they cannot tell apart; the profile file stays
//! byte for byte. On the sandbox, a plane added and removed again is part of the scenario in
//! tests/it/uninstall.rs.

use crate::harness::Test;

/// A lab with a control plane, two data planes and an observability plane serving them.
const PROFILE: &str = "\
apiVersion: choreoctl.openchoreo.dev/v1alpha1
kind: Profile
metadata: {name: lab}
spec:
  edition: generic
  planes:
    - {name: control, type: control, context: cp}
    - {name: dev, type: data, context: cp}
    - name: prod   # the money
      type: data
      context: dp
    - {name: obs, type: observability, context: obs, serves: [dev, prod]}
  modules:
    - {name: elastic, plane: dev}
";

/// `choreoctl ARGS` with [`PROFILE`] as lab.yaml; asserts the refusal and the file unchanged.
#[track_caller]
fn refused(args: &[&str], says: &[&str]) {
    let mut test = Test::new().file("lab.yaml", PROFILE).args(args).status(2);
    for text in says {
        test = test.stderr_contains(*text);
    }
    let out = test.run();
    assert_eq!(
        std::fs::read_to_string(out.path("lab.yaml")).unwrap(),
        PROFILE,
        "the file is left as it was"
    );
}

#[test]
fn plane_remove_refuses_what_would_break_the_installation() {
    let remove = |plane: &'static str| ["plane", "remove", plane, "-p", "lab.yaml", "--yes"];
    refused(
        &remove("control"),
        &[
            "is the control plane",
            "choreoctl uninstall --all -p lab.yaml",
        ],
    );
    refused(
        &remove("obs"),
        &["plane `obs` serves plane(s) dev, prod", "--force"],
    );
    refused(
        &remove("prod"),
        &[
            "plane `obs` serves plane `prod` by name (lab.yaml:12)",
            "drop `prod` from its `serves`",
        ],
    );
    refused(
        &remove("dev"),
        &[
            "module `elastic` is placed on plane `dev` (lab.yaml:14)",
            "choreoctl module remove elastic -p lab.yaml",
        ],
    );
    refused(
        &remove("prd"),
        &["plane `prd` is not in lab.yaml", "did you mean `prod`?"],
    );
    // `uninstall --plane` is `plane remove`, with the same refusals.
    refused(
        &["uninstall", "--plane", "obs", "-p", "lab.yaml", "--yes"],
        &["plane `obs` serves plane(s) dev, prod"],
    );
    Test::new()
        .args(["uninstall", "--plane", "prod", "--yes"])
        .status(2)
        .stderr_contains("--profile")
        .run();
}

#[test]
fn plane_add_refuses_a_clash_and_shows_its_edit_before_asking() {
    refused(
        &[
            "plane",
            "add",
            "prod",
            "--type",
            "data",
            "--context",
            "other",
            "-p",
            "lab.yaml",
        ],
        &["plane `prod` is in lab.yaml already (line 9)"],
    );
    refused(
        &[
            "plane",
            "add",
            "edge",
            "--type",
            "data",
            "--context",
            "edge",
            "--serves",
            "dev",
            "-p",
            "lab.yaml",
        ],
        &["--serves is for observability planes"],
    );
    refused(
        &[
            "plane",
            "add",
            "cp2",
            "--type",
            "control",
            "--context",
            "cp",
            "-p",
            "lab.yaml",
        ],
        &["invalid value 'control'"],
    );
    // Without a terminal and without --yes: the diff, then the refusal; nothing written.
    refused(
        &[
            "plane",
            "add",
            "edge",
            "--type",
            "data",
            "--context",
            "edge:1",
            "-p",
            "lab.yaml",
        ],
        &[
            "+    - {name: edge, type: data, context: \"edge:1\"}",
            "--yes",
        ],
    );
}

#[test]
fn module_add_with_context_adds_the_missing_plane_in_the_same_edit() {
    // Without --context, the refusal names both ways to add the plane.
    refused(
        &[
            "module", "add", "observe", "--plane", "logs", "-p", "lab.yaml", "--yes",
        ],
        &[
            "plane `logs` is not in lab.yaml",
            "choreoctl plane add logs --type observability --context CTX -p lab.yaml",
            "choreoctl module add observe --plane logs --context CTX -p lab.yaml",
        ],
    );
    // With it: the plane, of the module's home type, and the module, in one diff; without a
    // terminal and without --yes nothing is written.
    refused(
        &[
            "module",
            "add",
            "observe",
            "--plane",
            "logs",
            "--context",
            "logs",
            "-p",
            "lab.yaml",
        ],
        &[
            "+    - {name: logs, type: observability, context: logs}",
            "+    - {name: observe, plane: logs}",
            "plane logs (observability plane on context logs) is added too, for module observe",
            "--yes",
        ],
    );
    // A plane the profile has already needs no --context.
    refused(
        &[
            "module",
            "add",
            "observe",
            "--plane",
            "obs",
            "--context",
            "obs",
            "-p",
            "lab.yaml",
        ],
        &["--context: plane `obs` is in lab.yaml already"],
    );
}
