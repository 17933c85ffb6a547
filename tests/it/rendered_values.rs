//! The values choreoctl renders are accepted by the charts: `helm template` (the real helm,
//! built by the sandbox) of every release of a plan, with the values from `choreoctl render`,
//! against the stand-in charts, which keep the real charts' value checks (e.g. the control
//! plane refuses `.invalid` hostnames and an empty `backstage.secretName`).

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn helm() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join("tests/sandbox/build.sh"))
        .output()
        .expect("tests/sandbox/build.sh runs");
    assert!(
        output.status.success(),
        "sandbox build failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim()).join("helm")
}

fn choreoctl(args: &[&str]) -> Vec<u8> {
    let output = Command::cargo_bin("choreoctl")
        .unwrap()
        .args(args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn check(profile_args: &[&str], helm: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let mut plan_args = vec!["plan", "-o", "json"];
    plan_args.extend_from_slice(profile_args);
    let plan: serde_json::Value = serde_json::from_slice(&choreoctl(&plan_args)).unwrap();
    let mut render_args = vec!["render", "--out", out.path().to_str().unwrap()];
    render_args.extend_from_slice(profile_args);
    choreoctl(&render_args);

    let mut checked = 0;
    let mut failures = Vec::new();
    for (index, step) in plan["steps"].as_array().unwrap().iter().enumerate() {
        if step["kind"] != "helm" {
            continue;
        }
        let id = step["id"].as_str().unwrap();
        let stem = id.split('@').next().unwrap().replace('/', "-");
        let values = out.path().join(format!(
            "{}/{:03}-{stem}.values.yaml",
            step["plane"].as_str().unwrap(),
            index + 1
        ));
        let chart = root
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
