//! Inputs shared by several test modules. Lists of modules and presets come from the catalog
//! compiled into choreoctl, so a module or preset added there is tested everywhere at once
//! (the catalog's own tests check it holds every module and preset docs/modules.md lists).

use std::sync::LazyLock;

use choreoctl::catalog::Catalog;
use serde_json::Value;

use crate::harness::Test;

/// The releases of the single-plane layout (the Secure Core, a control and a data plane on one
/// cluster), in install order.
pub const SINGLE_PLANE_RELEASES: [&str; 8] = [
    "cert-manager",
    "external-secrets",
    "kgateway-crds",
    "kgateway",
    "openbao",
    "thunder",
    "openchoreo-control-plane",
    "openchoreo-data-plane",
];

/// A kubeconfig with contexts `alpha` and `beta` (current: `alpha`); no cluster is ever
/// contacted.
pub const LAB_KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster:
      server: https://127.0.0.1:6443
users:
  - name: admin
    user:
      token: not-a-real-token
contexts:
  - name: alpha
    context:
      cluster: lab
      user: admin
  - name: beta
    context:
      cluster: lab
      user: admin
current-context: alpha
";

static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::embedded().expect("the embedded catalog loads"));

/// Every module of the catalog, by name.
pub fn modules() -> Vec<&'static str> {
    CATALOG.modules.keys().map(String::as_str).collect()
}

/// Every preset of the catalog, by name.
pub fn presets() -> Vec<&'static str> {
    let names: Vec<&str> = CATALOG.presets.keys().map(String::as_str).collect();
    assert!(names.len() >= 8, "presets: {names:?}");
    names
}

/// Whether a preset installs Guard, which the generic edition refuses.
pub fn uses_guard(preset: &str) -> bool {
    let source = &CATALOG.presets[preset];
    let profile = choreoctl::profile::load::parse(source)
        .unwrap_or_else(|error| panic!("preset {preset} parses: {error}"));
    profile
        .spec
        .modules
        .iter()
        .any(|module| module.name.value == "guard")
}

/// `plan -o json` of every preset on both editions (but those the edition refuses, e.g. Guard on
/// generic) and of the all-modules profile, by name (`preset/edition` or the profile's path).
pub fn every_plan() -> Vec<(String, Value)> {
    let mut runs: Vec<(String, Vec<&str>)> = Vec::new();
    for preset in presets() {
        for edition in ["cilium", "generic"] {
            runs.push((
                format!("{preset}/{edition}"),
                vec!["--preset", preset, "--edition", edition],
            ));
        }
    }
    runs.push((
        "benches/fully-isolated-all-modules.yaml".into(),
        vec!["--profile", "benches/fully-isolated-all-modules.yaml"],
    ));
    runs.into_iter()
        .filter_map(|(name, args)| {
            let output = Test::new()
                .args(["plan", "-o", "json"])
                .args(&args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output();
            match output.code {
                Some(0) => Some((name, output.json())),
                // The edition does not support the preset (Guard on generic).
                Some(2) => None,
                _ => panic!("{name}: {}", output.stderr),
            }
        })
        .collect()
}
