//! The charts a plan needs, and copying one between registries with the helm binary.
//!
//! Copies go through `helm pull` (into a private temporary directory) and `helm push`: the
//! chart archive pushed is the one pulled, byte for byte, so a copied chart keeps its digest.
//! No values are involved, so no secret ever reaches helm's command line.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::plan::{Action, Plan};

/// One chart version a plan installs, and where the plan pulls it from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NeededChart {
    /// Chart name (the last path segment in a mirror).
    pub name: String,
    /// Exact version.
    pub version: String,
    /// What helm pulls: `oci://…/name`, or the name within `repo`.
    pub source: String,
    /// Classic chart repository, when the chart is not in an OCI registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The source registry speaks plain HTTP.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub plain_http: bool,
    /// The releases installed from it (step ids).
    pub steps: Vec<String>,
}

/// Every chart version the plan's helm steps install, sorted by name and version, each once.
pub fn needed(plan: &Plan) -> Vec<NeededChart> {
    let mut charts: BTreeMap<(String, String), NeededChart> = BTreeMap::new();
    for step in &plan.steps {
        let Action::Helm(helm) = &step.action else {
            continue;
        };
        charts
            .entry((helm.chart.name.clone(), helm.version.clone()))
            .or_insert_with(|| NeededChart {
                name: helm.chart.name.clone(),
                version: helm.version.clone(),
                source: helm.chart.reference.clone(),
                repo: helm.chart.repo.clone(),
                plain_http: helm.chart.plain_http,
                steps: Vec::new(),
            })
            .steps
            .push(step.id.clone());
    }
    charts.into_values().collect()
}

/// An OCI registry path charts are copied into: `oci://host[:port]/path`.
#[derive(Debug, Clone)]
pub struct Registry {
    /// The URL, without a trailing `/`.
    pub url: String,
    /// Talk plain HTTP to it.
    pub plain_http: bool,
}

impl Registry {
    /// Checks the shape of `--to` (an `oci://` URL with a host).
    pub fn parse(url: &str, plain_http: bool) -> anyhow::Result<Self> {
        let trimmed = url.trim_end_matches('/');
        match trimmed.strip_prefix("oci://") {
            Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(Registry {
                url: trimmed.to_owned(),
                plain_http,
            }),
            _ => bail!(
                "`{url}` is not an OCI registry path; write it as oci://host[:port]/path \
                 (the same URL the profile's spec.charts.mirror will name)"
            ),
        }
    }

    /// Where `chart` lands in this registry (what a plan with this mirror pulls).
    pub fn reference(&self, chart: &str) -> String {
        format!("{}/{chart}", self.url)
    }
}

/// Runs the helm binary for the pulls and pushes of a mirror command.
#[derive(Debug, Clone)]
pub struct HelmCli {
    /// The helm binary.
    pub path: PathBuf,
}

impl HelmCli {
    fn run(&self, args: Vec<OsString>, what: &str) -> anyhow::Result<String> {
        let output = Command::new(&self.path)
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {}", self.path.display()))?;
        if !output.status.success() {
            bail!(
                "{what} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `helm pull` of `chart` into `dir` (which must be empty); the path of the archive.
    pub fn pull(&self, chart: &NeededChart, dir: &Path) -> anyhow::Result<PathBuf> {
        let mut args: Vec<OsString> = vec![
            "pull".into(),
            chart.source.clone().into(),
            "--version".into(),
            chart.version.clone().into(),
            "--destination".into(),
            dir.into(),
        ];
        if let Some(repo) = &chart.repo {
            args.extend(["--repo".into(), repo.into()]);
        }
        if chart.plain_http {
            args.push("--plain-http".into());
        }
        let what = format!("helm pull {} --version {}", chart.source, chart.version);
        self.run(args, &what)?;
        let mut archives = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|entry| Some(entry.ok()?.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "tgz"));
        match (archives.next(), archives.next()) {
            (Some(archive), None) => Ok(archive),
            _ => bail!("{what} did not leave exactly one .tgz in {}", dir.display()),
        }
    }

    /// Whether `registry` already holds chart `name` at `version` (`helm show chart`).
    pub fn holds(&self, registry: &Registry, name: &str, version: &str) -> bool {
        let mut args: Vec<OsString> = vec![
            "show".into(),
            "chart".into(),
            registry.reference(name).into(),
            "--version".into(),
            version.into(),
        ];
        if registry.plain_http {
            args.push("--plain-http".into());
        }
        self.run(args, "helm show chart").is_ok()
    }

    /// `helm push` of an archive into `registry`.
    pub fn push(&self, archive: &Path, registry: &Registry) -> anyhow::Result<()> {
        let mut args: Vec<OsString> =
            vec!["push".into(), archive.into(), registry.url.clone().into()];
        if registry.plain_http {
            args.push("--plain-http".into());
        }
        self.run(
            args,
            &format!("helm push {} {}", archive.display(), registry.url),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Registry;

    #[test]
    fn a_target_is_an_oci_path() {
        let registry = Registry::parse("oci://127.0.0.1:5001/choreo/", true).unwrap();
        assert_eq!(
            registry.reference("thunder"),
            "oci://127.0.0.1:5001/choreo/thunder"
        );
        for bad in ["https://reg/x", "reg/x", "oci://", "oci:///x"] {
            let error = Registry::parse(bad, false).unwrap_err().to_string();
            assert!(error.contains("oci://host[:port]/path"), "{bad}: {error}");
        }
    }
}
