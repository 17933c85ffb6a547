//! Plans of catalog presets for the exports' unit tests.

use crate::catalog::Catalog;
use crate::kubeconfig::KnownContexts;
use crate::plan::Plan;
use crate::profile::ProfileRequest;

/// The plan of preset `name` against the embedded catalog, no kubeconfig read; on the generic
/// edition unless the preset names its own. The control plane names its gateway address
/// ([`GATEWAY_ADDRESS`]), as a GitOps export of planes on several clusters needs.
pub fn preset_plan(name: &str) -> Plan {
    let catalog = Catalog::embedded().expect("embedded catalog loads");
    let preset = &catalog.presets[name].text;
    let control = "{name: control, type: control";
    assert!(
        preset.contains(control),
        "preset {name} names its control plane inline"
    );
    let text = preset.replacen(
        control,
        &format!("{control}, clusterGateway: {{address: {GATEWAY_ADDRESS}}}"),
        1,
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join(format!("{name}.yaml"));
    std::fs::write(&file, text).expect("profile written");
    let request = ProfileRequest {
        file: Some(file),
        edition: (name != "fintech").then_some(crate::profile::model::Edition::Generic),
        ..ProfileRequest::default()
    };
    // As `choreoctl plan` computes it, with a kubeconfig that does not exist.
    let loaded = request
        .load(&catalog)
        .unwrap_or_else(|error| panic!("profile of {name}: {error}"));
    let known_contexts = KnownContexts::read(
        Some(std::path::Path::new("/nonexistent/kubeconfig")),
        loaded
            .profile
            .spec
            .planes
            .iter()
            .map(|plane| plane.kubeconfig.as_deref()),
    );
    let resolved = crate::resolve::resolve(&catalog, &loaded, &known_contexts)
        .unwrap_or_else(|error| panic!("resolving {name}: {error}"));
    crate::plan::build(&catalog, &resolved)
        .unwrap_or_else(|error| panic!("plan of {name}: {error}"))
}

/// The cluster gateway address the test profiles name.
pub const GATEWAY_ADDRESS: &str = "gateway.choreo.example.com";

/// The Git source the tests export for.
pub fn git() -> super::GitSource {
    super::GitSource {
        url: "https://git.example/platform.git".into(),
        revision: "main".into(),
        path: "clusters/prod".into(),
    }
}

/// Files by path.
pub fn files(files: Vec<super::File>) -> std::collections::BTreeMap<String, String> {
    files
        .into_iter()
        .map(|file| (file.path, file.body))
        .collect()
}
