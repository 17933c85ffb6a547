//! Every chart the catalog pins has a stand-in under tests/charts with the same name and
//! version, so the sandbox installs exactly what a plan names.

use std::path::Path;

use choreoctl::catalog::Catalog;

#[derive(serde::Deserialize)]
struct ChartYaml {
    name: String,
    version: String,
    description: String,
}

#[test]
fn every_pinned_chart_has_a_stand_in_of_the_same_name_and_version() {
    let catalog = Catalog::embedded().unwrap();
    let charts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/charts");
    let mut problems = Vec::new();
    for release in catalog.releases.values() {
        for (key, pin) in &release.charts {
            let path = charts.join(&pin.name).join("Chart.yaml");
            let Ok(text) = std::fs::read_to_string(&path) else {
                problems.push(format!("{key}: no {}", path.display()));
                continue;
            };
            let chart: ChartYaml = serde_saphyr::from_str(&text).unwrap();
            if chart.name != pin.name || chart.version != pin.version {
                problems.push(format!(
                    "{key}: stand-in is {} {}, catalog pins {} {}",
                    chart.name, chart.version, pin.name, pin.version
                ));
            }
            if !chart.description.to_lowercase().contains("stand-in") {
                problems.push(format!("{key}: description does not say it is a stand-in"));
            }
        }
        for pin in release.manifests.values() {
            let file = pin.url.rsplit('/').next().unwrap();
            let path = charts
                .join("manifests")
                .join(&pin.name)
                .join(&pin.version)
                .join(file);
            if !path.is_file() {
                problems.push(format!("manifest {}: no {}", pin.name, path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
