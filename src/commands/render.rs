//! `choreoctl render --out DIR`: values per release, one manifest per apply step, an index;
//! with `--format argocd|flux|helmfile`, an export for that engine ([`crate::export`]).

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use serde_json::json;

use super::report::log::Log;
use crate::cli::{RenderArgs, RenderFormat};
use crate::error::Error;
use crate::export::{self, Format, GitSource};
use crate::output::{Printer, to_yaml};
use crate::plan::{Action, ApplyAction, Plan};

/// Writes what `--format` asks for below `--out`.
pub fn render(plan: &Plan, args: &RenderArgs, printer: &Printer) -> Result<(), Error> {
    let format = match args.format {
        RenderFormat::Plain => return Ok(write(plan, &args.out, printer)?),
        RenderFormat::Argocd => Format::Argocd,
        RenderFormat::Flux => Format::Flux,
        RenderFormat::Helmfile => Format::Helmfile,
    };
    if let Some(step) = gateway_address_read_at_install(plan) {
        return Err(Error::Usage {
            message: format!(
                "render --format {}: planes on other clusters dial the cluster gateway at the \
                 load-balancer address that `{}` reads when choreoctl installs, and a GitOps \
                 export is written before any install",
                format!("{format:?}").to_lowercase(),
                step.id
            ),
            help: "name the address in the profile: `clusterGateway: {address: <DNS name or IP \
                   of the gateway's load balancer>}` on the control plane (docs/profiles.md)"
                .into(),
        });
    }
    let git = args.git_url.as_ref().map(|url| GitSource {
        url: url.clone(),
        revision: args.git_revision.clone(),
        path: args.git_path.clone(),
    });
    let files = export::export(plan, format, git.as_ref())?;
    let written = export::write(&args.out, &files)?;
    for path in &written {
        wrote(printer, path);
    }
    let readme = args.out.join("README.md");
    Log::new(printer).line(
        "files_written",
        json!({ "files": written.len(), "dir": args.out, "readme": readme }),
        format_args!(
            "wrote {} files to {} (read {} first)",
            written.len(),
            args.out.display(),
            readme.display()
        ),
    );
    Ok(())
}

/// The read step of the cluster gateway's load-balancer address, when the plan has one (planes
/// on other clusters and no `clusterGateway.address` in the profile).
fn gateway_address_read_at_install(plan: &Plan) -> Option<&crate::plan::Step> {
    plan.steps
        .iter()
        .find(|step| matches!(&step.action, Action::Read(read) if read.resource.kind == "Service"))
}

/// One entry of `index.yaml`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry<'a> {
    id: &'a str,
    kind: &'a str,
    plane: &'a str,
    context: Option<&'a str>,
    namespace: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    release: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chart: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    needs: &'a [String],
}

/// Writes the plan's values and manifests below `dir` and says how many files it wrote (under
/// `-v`, also which).
pub fn write(plan: &Plan, dir: &Path, printer: &Printer) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    let mut written = 0;
    for (index, step) in plan.steps.iter().enumerate() {
        let stem = format!(
            "{}/{:03}-{}",
            step.plane,
            index + 1,
            step.id
                .split('@')
                .next()
                .unwrap_or(&step.id)
                .replace('/', "-")
        );
        let mut entry = IndexEntry {
            id: &step.id,
            kind: step.kind().as_str(),
            plane: &step.plane,
            context: step.context.as_deref(),
            namespace: step.namespace.as_deref(),
            release: None,
            chart: None,
            version: None,
            file: None,
            url: None,
            needs: &step.needs,
        };
        let body = match &step.action {
            Action::Helm(helm) => {
                entry.release = Some(&helm.release);
                entry.chart = Some(&helm.chart.reference);
                entry.version = Some(&helm.version);
                entry.file = Some(format!("{stem}.values.yaml"));
                Some(to_yaml(&helm.values)?)
            }
            Action::Apply(ApplyAction::Objects(objects)) => {
                let mut body = String::new();
                for object in objects {
                    body.push_str("---\n");
                    body.push_str(&to_yaml(object)?);
                }
                entry.file = Some(format!("{stem}.yaml"));
                Some(body)
            }
            Action::Apply(ApplyAction::Remote(remote)) => {
                entry.version = Some(&remote.version);
                entry.url = Some(&remote.url);
                None
            }
            Action::Wait(_) | Action::Read(_) | Action::Remove(_) | Action::Restart(_) => None,
        };
        if let (Some(file), Some(body)) = (&entry.file, body) {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().expect("file has a plane directory"))
                .with_context(|| format!("creating {}", dir.display()))?;
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
            wrote(printer, &path);
            written += 1;
        }
        entries.push(entry);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let index = serde_json::json!({
        "apiVersion": plan.api_version,
        "kind": "RenderIndex",
        "name": plan.name,
        "edition": plan.edition,
        "version": plan.version,
        "steps": entries,
    });
    let path = dir.join("index.yaml");
    std::fs::write(&path, to_yaml(&index)?)
        .with_context(|| format!("writing {}", path.display()))?;
    wrote(printer, &path);
    Log::new(printer).line(
        "files_written",
        json!({ "files": written + 1, "dir": dir }),
        format_args!("wrote {} files to {}", written + 1, dir.display()),
    );
    Ok(())
}

/// Names a file just written, under `-v`.
fn wrote(printer: &Printer, path: &Path) {
    Log::new(printer).detail(
        "file_written",
        json!({ "path": path }),
        format_args!("wrote {}", path.display()),
    );
}
