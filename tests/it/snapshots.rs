//! Snapshots of `plan -o yaml` for every preset on both editions: any change to what an
//! install would do shows up in review as a diff of these files.

use assert_cmd::Command;

use crate::fixtures::PRESETS;

/// `choreoctl plan` with no kubeconfig in reach, so presets without contexts stay unbound.
fn plan(preset: &str, edition: &str) -> (i32, String) {
    let output = Command::cargo_bin("choreoctl")
        .unwrap()
        .args([
            "plan",
            "--preset",
            preset,
            "--edition",
            edition,
            "-o",
            "yaml",
        ])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("NO_COLOR", "1")
        .env_remove("CHOREOCTL_CATALOG")
        .output()
        .unwrap();
    let code = output.status.code().unwrap();
    let text = if code == 0 {
        String::from_utf8(output.stdout).unwrap()
    } else {
        String::from_utf8(output.stderr).unwrap()
    };
    (code, text)
}

#[test]
fn plan_of_every_preset_and_edition() {
    for preset in PRESETS {
        for edition in ["cilium", "generic"] {
            let (code, text) = plan(preset, edition);
            let guarded = matches!(preset, "fintech" | "healthcare") && edition == "generic";
            // Presets that use Guard cannot run on the generic edition: exit 2 with the way out.
            assert_eq!(
                code,
                if guarded { 2 } else { 0 },
                "{preset} {edition}: {text}"
            );
            insta::assert_snapshot!(format!("plan_{preset}_{edition}"), text);
        }
    }
}
