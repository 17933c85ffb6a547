//! The values choreoctl renders are accepted by the charts: `helm template` (the real helm,
//! built by the sandbox) of every release of a plan, with the values from `choreoctl render`,
//! against the stand-in charts, which keep the real charts' value checks (e.g. the control
//! plane refuses `.invalid` hostnames and an empty `backstage.secretName`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::Test;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn helm() -> PathBuf {
    let output = Command::new(root().join("tests/sandbox/build.sh"))
        .output()
        .expect("tests/sandbox/build.sh runs");
    assert!(
        output.status.success(),
        "sandbox build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim()).join("helm")
}

fn check(profile_args: &[&str], helm: &Path) {
    // Offline, in the repository (profiles are named relative to it).
    let plan = Test::new()
        .current_dir(root())
        .args(["plan", "-o", "json"])
        .args(profile_args)
        .run()
        .json();
    let render = Test::new()
        .current_dir(root())
        .arg("render")
        .args(profile_args);
    let out = render.path().join("rendered");
    let _rendered = render.arg("--out").arg(&out).run(); // keeps `out` until the end

    let mut checked = 0;
    let mut failures = Vec::new();
    for (index, step) in plan["steps"].as_array().unwrap().iter().enumerate() {
        if step["kind"] != "helm" {
            continue;
        }
        let id = step["id"].as_str().unwrap();
        let stem = id.split('@').next().unwrap().replace('/', "-");
        let values = out.join(format!(
            "{}/{:03}-{stem}.values.yaml",
            step["plane"].as_str().unwrap(),
            index + 1
        ));
        let chart = root()
            .join("tests/charts")
            .join(step["chart"]["name"].as_str().unwrap());
        let result = Command::new(helm)
            .args(["template", step["release"].as_str().unwrap()])
            .arg(&chart)
            .args(["--namespace", step["namespace"].as_str().unwrap()])
            .args(["--kube-version", "v1.33.0", "-f"])
            .arg(&values)
            .output()
            .unwrap();
        if !result.status.success() {
            failures.push(format!("{id}: {}", String::from_utf8_lossy(&result.stderr)));
        }
        checked += 1;
    }
    assert!(checked > 20, "only {checked} helm steps");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_release_of_the_all_modules_plan_renders_with_its_chart() {
    let helm = helm();
    check(
        &["--profile", "benches/fully-isolated-all-modules.yaml"],
        &helm,
    );
    check(
        &["--preset", "shared-observability", "--edition", "generic"],
        &helm,
    );
}
