//! Snapshots of `plan -o yaml` for every preset on both editions: any change to what an
//! install would do shows up in review as a diff of these files.

use crate::fixtures::{presets, uses_guard};
use crate::harness::Test;

#[test]
fn plan_of_every_preset_and_edition() {
    for preset in presets() {
        for edition in ["cilium", "generic"] {
            // Presets that use Guard cannot run on the generic edition: exit 2 with the way out.
            let guarded = uses_guard(preset) && edition == "generic";
            // No kubeconfig in reach, so presets without contexts stay unbound.
            let output = Test::new()
                .args([
                    "plan",
                    "--preset",
                    preset,
                    "--edition",
                    edition,
                    "-o",
                    "yaml",
                ])
                .status(if guarded { 2 } else { 0 })
                .run();
            let text = if guarded {
                output.stderr
            } else {
                output.stdout
            };
            insta::assert_snapshot!(format!("plan_{preset}_{edition}"), text);
        }
    }
}
