//! GitOps exports of the plan (`choreoctl render --format argocd|flux|helmfile`): the same DAG
//! handed to the engine a team already runs. docs/gitops.md documents every file.
//!
//! Each format turns the plan into [`File`]s below the output directory: the step files shared
//! by all formats ([`layout`]), the engine's own objects, a README.md saying what runs when, and
//! for Argo CD and Flux the `copy-cas.sh` that carries CAs across clusters ([`cross_cluster`]).

pub mod argocd;
pub mod cross_cluster;
pub mod dag;
pub mod flux;
pub mod helmfile;
pub mod layout;

use std::path::Path;

use anyhow::Context;

use crate::plan::Plan;

/// The engines an export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Argo CD Applications (and ApplicationSets) with sync waves.
    Argocd,
    /// Flux HelmReleases and Kustomizations with `dependsOn`.
    Flux,
    /// One helmfile.yaml with `needs:` across kube contexts.
    Helmfile,
}

/// The Git repository the export is committed to, as Argo CD and Flux fetch it.
#[derive(Debug, Clone)]
pub struct GitSource {
    /// Repository URL.
    pub url: String,
    /// Branch (or tag) to follow.
    pub revision: String,
    /// Directory of the export inside the repository (`.`: its root).
    pub path: String,
}

impl GitSource {
    /// `relative` (a path inside the export) as a path inside the repository.
    pub fn join(&self, relative: &str) -> String {
        let base = self.path.trim_matches('/');
        if base.is_empty() || base == "." {
            relative.to_owned()
        } else {
            format!("{base}/{relative}")
        }
    }
}

/// One file of an export.
#[derive(Debug, Clone)]
pub struct File {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Contents.
    pub body: String,
}

/// The files of the export of `plan` in `format`. Argo CD and Flux need `git`.
pub fn export(plan: &Plan, format: Format, git: Option<&GitSource>) -> anyhow::Result<Vec<File>> {
    match (format, git) {
        (Format::Argocd, Some(git)) => argocd::export(plan, git),
        (Format::Flux, Some(git)) => flux::export(plan, git),
        (Format::Helmfile, _) => helmfile::export(plan),
        (_, None) => {
            anyhow::bail!("the {format:?} export needs the Git repository it is read from")
        }
    }
}

/// Writes `files` below `dir` (directories created, files of the same name replaced) and
/// returns their paths.
pub fn write(dir: &Path, files: &[File]) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, &file.body).with_context(|| format!("writing {}", path.display()))?;
        if file.path.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .with_context(|| format!("making {} executable", path.display()))?;
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
pub(crate) mod fixtures;

/// What Argo CD and Flux share: every exported step's values file or manifest directory, with
/// read values detached ([`cross_cluster::Reads::detach`]), and the copies `copy-cas.sh` makes.
#[derive(Debug, Default)]
pub struct StepFiles {
    /// Values files and manifest directories.
    pub files: Vec<File>,
    /// The copies replacing detached values, configmaps first (planes need the gateway's CA
    /// before their agents can start).
    pub copies: Vec<cross_cluster::Copy>,
    /// Ids of the steps exported as objects of their own (an apply step whose every object was
    /// detached is not).
    pub exported: std::collections::BTreeSet<String>,
}

impl StepFiles {
    /// Builds them for every exported step of `plan`.
    pub fn of(plan: &Plan) -> anyhow::Result<Self> {
        use crate::plan::{Action, ApplyAction};
        let reads = cross_cluster::Reads::of(plan);
        let mut out = Self::default();
        for step in plan.steps.iter().filter(|step| layout::is_exported(step)) {
            match &step.action {
                Action::Helm(helm) => {
                    if reads.carried_by(&helm.values) {
                        anyhow::bail!(
                            "{}: its values carry a value read from a cluster; no export can carry it",
                            step.id
                        );
                    }
                    out.files.push(File {
                        path: layout::values_file(step),
                        body: layout::values_body(step, &helm.values)?,
                    });
                }
                Action::Apply(ApplyAction::Objects(objects)) => {
                    let (kept, copies) = reads.detach(step, objects)?;
                    out.copies.extend(copies);
                    if kept.is_empty() {
                        continue;
                    }
                    out.files.extend(layout::manifest_files(step, &kept)?);
                }
                Action::Apply(ApplyAction::Remote(_)) => {
                    out.files.extend(layout::manifest_files(step, &[])?);
                }
                Action::Wait(_) | Action::Read(_) | Action::Remove(_) | Action::Restart(_) => {
                    continue;
                }
            }
            out.exported.insert(step.id.clone());
        }
        out.copies.sort_by_key(|copy| copy.kind != "configmap");
        cross_cluster::dedup(&mut out.copies);
        Ok(out)
    }

    /// The plan's DAG over the exported steps.
    pub fn dag(&self, plan: &Plan) -> dag::Dag {
        dag::Dag::new(plan, |step| self.exported.contains(&step.id))
    }

    /// `copy-cas.sh`, when any copy is needed.
    pub fn script(&self) -> Option<File> {
        (!self.copies.is_empty()).then(|| File {
            path: "copy-cas.sh".into(),
            body: cross_cluster::copy_script(&self.copies),
        })
    }
}
