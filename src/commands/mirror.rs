//! `choreoctl mirror …`: the charts and images an air-gapped site needs (src/mirror).
//!
//! `images` renders every release with `helm template` and lists the images; `push` copies
//! every chart version the plan installs into another OCI registry; `bundle` writes those
//! charts and the plan's manifests into one file, and `load` pushes a bundle's charts into a
//! registry and lays its manifests out as a `file://` manifest mirror.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde_json::json;

use super::report::log::Log;
use crate::catalog::Catalog;
use crate::cli::{MirrorArgs, MirrorBundleArgs, MirrorLoadArgs, MirrorPushArgs, MirrorSourceArgs};
use crate::engine::helm::{ChartSource, Helm, HelmBinary, HelmProcess, TemplateRequest};
use crate::engine::steps::apply;
use crate::error::Error;
use crate::mirror::bundle::{
    API_VERSION, BundleIndex, BundleWriter, BundledChart, BundledManifest, KIND, Unpacked,
};
use crate::mirror::charts::{self, HelmCli, NeededChart, Registry};
use crate::mirror::images;
use crate::output::Printer;
use crate::plan::{Action, ApplyAction, Plan};
use crate::settings::GlobalSettings;

/// A plan, and whether its manifest URLs may be plain HTTP.
struct Planned {
    plan: Plan,
    manifests_plain_http: bool,
}

/// Loads the profile, applies `--chart-mirror` / `--manifest-mirror`, checks and plans.
fn plan(
    catalog: &Catalog,
    source: &MirrorSourceArgs,
    kubeconfig: Option<&Path>,
) -> Result<Planned, Error> {
    let mirrors = MirrorArgs {
        chart_mirror: source.chart_mirror.clone(),
        manifest_mirror: source.manifest_mirror.clone(),
        plain_http: source.source_plain_http,
    };
    let loaded = super::load_profile(catalog, &source.profile, &mirrors)?;
    let resolved = super::resolve_loaded(catalog, &loaded, kubeconfig)?;
    let plan = crate::plan::build(catalog, &resolved)?;
    Ok(Planned {
        plan,
        manifests_plain_http: resolved.manifests.plain_http,
    })
}

/// A private temporary directory for pulled charts (removed on drop).
fn scratch() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("choreoctl-mirror-")
        .tempdir()
        .context("creating a temporary directory for pulled charts")
}

/// One image and the steps whose objects name it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageUse {
    image: String,
    used_by: Vec<String>,
}

/// `mirror images`: every container image the plan's releases and manifests name.
pub fn images(
    catalog: &Catalog,
    source: &MirrorSourceArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let (kubeconfig, helm, printer) = (global.kubeconfig(), global.helm(), &global.printer);
    let planned = plan(catalog, source, kubeconfig)?;
    let helm = HelmProcess::new(HelmBinary::locate(helm).map_err(anyhow::Error::from)?)
        .map_err(anyhow::Error::from)?;
    let cli = HelmCli {
        path: helm.binary().path.clone(),
    };
    let scratch = scratch()?;
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut record = |step: &str, objects: &[serde_json::Value]| {
        let mut found = BTreeSet::new();
        objects
            .iter()
            .for_each(|object| images::collect(object, &mut found));
        for image in found {
            used.entry(image).or_default().insert(step.to_owned());
        }
    };
    // Each chart version is pulled once, then rendered for every release of it.
    let mut archives = BTreeMap::new();
    for (index, chart) in charts::needed(&planned.plan).iter().enumerate() {
        let dir = scratch.path().join(index.to_string());
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        archives.insert(
            (chart.name.clone(), chart.version.clone()),
            cli.pull(chart, &dir)?,
        );
    }
    for step in &planned.plan.steps {
        let objects = match &step.action {
            Action::Helm(action) => {
                let archive = &archives[&(action.chart.name.clone(), action.version.clone())];
                let request = TemplateRequest {
                    name: action.release.clone(),
                    namespace: step.namespace.clone().unwrap_or_else(|| "default".into()),
                    chart: ChartSource {
                        reference: archive.to_string_lossy().into_owned(),
                        version: action.version.clone(),
                        plain_http: false,
                    },
                    values: vec![action.values.clone()],
                    kube_version: None,
                };
                let manifest = runtime
                    .block_on(helm.template(&request))
                    .map_err(anyhow::Error::from)?;
                images::parse_rendered(&manifest).map_err(|why| {
                    anyhow::anyhow!("reading `helm template` output of {}: {why}", step.id)
                })?
            }
            Action::Apply(ApplyAction::Objects(objects)) => objects.clone(),
            Action::Apply(ApplyAction::Remote(remote)) => runtime
                .block_on(apply::fetch(remote, planned.manifests_plain_http))
                .map_err(|error| anyhow::anyhow!("{}: {error}", step.id))?,
            Action::Wait(_) | Action::Read(_) | Action::Remove(_) | Action::Restart(_) => continue,
        };
        record(&step.id, &objects);
    }
    let list: Vec<ImageUse> = used
        .into_iter()
        .map(|(image, steps)| ImageUse {
            image,
            used_by: steps.into_iter().collect(),
        })
        .collect();
    printer.emit(&list, |out| {
        list.iter()
            .try_for_each(|entry| writeln!(out, "{}", entry.image))
    })?;
    Ok(())
}

/// What `mirror push` did with one chart.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Copied {
    name: String,
    version: String,
    from: String,
    to: String,
    /// `copied`, or `present` (the target already held that version: not pulled again).
    result: &'static str,
}

/// `mirror push`: copies every chart version the plan installs into `--to`.
pub fn push(
    catalog: &Catalog,
    args: &MirrorPushArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let (kubeconfig, helm, printer) = (global.kubeconfig(), global.helm(), &global.printer);
    let registry = target(&args.to, args.plain_http)?;
    let planned = plan(catalog, &args.source, kubeconfig)?;
    let cli = helm_cli(helm)?;
    let scratch = scratch()?;
    let mut results = Vec::new();
    for (index, chart) in charts::needed(&planned.plan).iter().enumerate() {
        let result = copy(
            &cli,
            chart,
            &registry,
            &scratch.path().join(index.to_string()),
        )?;
        results.push(report(
            printer,
            &registry,
            &chart.name,
            &chart.version,
            &chart.source,
            result,
        ));
    }
    let remote: Vec<&str> = remote_manifests(&planned.plan)
        .map(|remote| remote.url.as_str())
        .collect();
    if !remote.is_empty() {
        Log::new(printer).note(&format!(
            "{} manifest(s) are not charts and stay out of the registry: serve them from an \
             https:// or file:// manifest mirror, or carry them with `mirror bundle` \
             (docs/mirror.md): {}",
            remote.len(),
            remote.join(", ")
        ));
    }
    summary(printer, &results, &registry)
}

/// Copies one chart unless the registry already holds its version.
fn copy(
    cli: &HelmCli,
    chart: &NeededChart,
    registry: &Registry,
    dir: &Path,
) -> anyhow::Result<&'static str> {
    if cli.holds(registry, &chart.name, &chart.version) {
        return Ok("present");
    }
    std::fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    let archive = cli.pull(chart, dir)?;
    cli.push(&archive, registry)?;
    Ok("copied")
}

/// `--to`, checked.
fn target(url: &str, plain_http: bool) -> Result<Registry, Error> {
    Registry::parse(url, plain_http).map_err(|error| Error::Usage {
        message: error.to_string(),
        help: "e.g. --to oci://registry.internal/openchoreo".into(),
    })
}

/// The helm binary for pulls and pushes, once its version is known to be supported.
fn helm_cli(helm: Option<&Path>) -> Result<HelmCli, Error> {
    let binary = HelmBinary::locate(helm).map_err(anyhow::Error::from)?;
    binary.major().map_err(anyhow::Error::from)?;
    Ok(HelmCli { path: binary.path })
}

/// The plan's manifests fetched by URL.
fn remote_manifests(plan: &Plan) -> impl Iterator<Item = &crate::plan::RemoteManifest> {
    plan.steps.iter().filter_map(|step| match &step.action {
        Action::Apply(ApplyAction::Remote(remote)) => Some(remote),
        _ => None,
    })
}

/// Prints one chart's line on stderr and returns its entry of the result.
fn report(
    printer: &Printer,
    registry: &Registry,
    name: &str,
    version: &str,
    from: &str,
    result: &'static str,
) -> Copied {
    let to = registry.reference(name);
    Log::new(printer).line(
        "chart_mirrored",
        json!({ "result": result, "chart": name, "version": version, "from": from, "to": to }),
        format_args!("{result:7} {name} {version} → {to}"),
    );
    Copied {
        name: name.to_owned(),
        version: version.to_owned(),
        from: from.to_owned(),
        to,
        result,
    }
}

/// The result: a count line, or the list under `-o json|yaml`.
fn summary(printer: &Printer, results: &[Copied], registry: &Registry) -> Result<(), Error> {
    let copied = results.iter().filter(|r| r.result == "copied").count();
    printer.emit(&results, |out| {
        writeln!(
            out,
            "{copied} chart(s) copied, {} already present in {}",
            results.len() - copied,
            registry.url
        )
    })?;
    Ok(())
}

/// `mirror bundle`: the plan's charts and manifests in one tar file.
pub fn bundle(
    catalog: &Catalog,
    args: &MirrorBundleArgs,
    global: &GlobalSettings,
) -> Result<(), Error> {
    let (kubeconfig, helm, printer) = (global.kubeconfig(), global.helm(), &global.printer);
    let planned = plan(catalog, &args.source, kubeconfig)?;
    let cli = helm_cli(helm)?;
    let scratch = scratch()?;
    let mut writer = BundleWriter::create(&args.out)?;
    let mut index = BundleIndex {
        api_version: API_VERSION.into(),
        kind: KIND.into(),
        installation: planned.plan.name.clone(),
        openchoreo: planned.plan.version.clone(),
        charts: Vec::new(),
        manifests: Vec::new(),
    };
    for (number, chart) in charts::needed(&planned.plan).iter().enumerate() {
        let dir = scratch.path().join(number.to_string());
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let archive = cli.pull(chart, &dir)?;
        let file = format!(
            "charts/{}",
            archive
                .file_name()
                .expect("helm pull names its archive")
                .to_string_lossy()
        );
        let bytes =
            std::fs::read(&archive).with_context(|| format!("reading {}", archive.display()))?;
        writer.add(&file, &bytes)?;
        Log::new(printer).line(
            "bundled",
            json!({ "kind": "chart", "file": file, "from": chart.source }),
            format_args!("chart    {file} (from {})", chart.source),
        );
        index.charts.push(BundledChart {
            name: chart.name.clone(),
            version: chart.version.clone(),
            file,
        });
    }
    let runtime = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
    let mut seen = BTreeSet::new();
    for remote in remote_manifests(&planned.plan) {
        if !seen.insert((remote.name.clone(), remote.version.clone())) {
            continue;
        }
        let text = runtime
            .block_on(apply::fetch_text(&remote.url, planned.manifests_plain_http))
            .map_err(anyhow::Error::from)?;
        let base = remote.url.rsplit('/').next().unwrap_or("manifest.yaml");
        let file = format!("manifests/{}/{}/{base}", remote.name, remote.version);
        writer.add(&file, text.as_bytes())?;
        Log::new(printer).line(
            "bundled",
            json!({ "kind": "manifest", "file": file, "from": remote.url }),
            format_args!("manifest {file} (from {})", remote.url),
        );
        index.manifests.push(BundledManifest {
            name: remote.name.clone(),
            version: remote.version.clone(),
            url: remote.url.clone(),
            file,
        });
    }
    writer.finish(&index)?;
    printer.emit(&index, |out| {
        writeln!(
            out,
            "wrote {}: {} chart(s), {} manifest(s)",
            args.out.display(),
            index.charts.len(),
            index.manifests.len()
        )
    })?;
    Ok(())
}

/// `mirror load`: a bundle's charts into a registry, its manifests into a directory.
pub fn load(args: &MirrorLoadArgs, global: &GlobalSettings) -> Result<(), Error> {
    let (helm, printer) = (global.helm(), &global.printer);
    let registry = target(&args.to, args.plain_http)?;
    let scratch = scratch()?;
    let unpacked = Unpacked::open(&args.bundle, scratch.path()).map_err(|error| Error::Usage {
        message: format!("{error:#}"),
        help: "load a file written by `choreoctl mirror bundle --out FILE`".into(),
    })?;
    let cli = helm_cli(helm)?;
    let mut results = Vec::new();
    for chart in &unpacked.index.charts {
        let result = if cli.holds(&registry, &chart.name, &chart.version) {
            "present"
        } else {
            cli.push(&unpacked.path(&chart.file)?, &registry)?;
            "copied"
        };
        results.push(report(
            printer,
            &registry,
            &chart.name,
            &chart.version,
            &chart.file,
            result,
        ));
    }
    let manifests = &unpacked.index.manifests;
    match &args.manifests_dir {
        Some(dir) => {
            for manifest in manifests {
                let to = dir.join(manifest.mirror_path());
                std::fs::create_dir_all(to.parent().expect("a manifest path has directories"))
                    .with_context(|| format!("creating the directory of {}", to.display()))?;
                std::fs::copy(unpacked.path(&manifest.file)?, &to)
                    .with_context(|| format!("writing {}", to.display()))?;
                Log::new(printer).line(
                    "manifest_written",
                    json!({ "path": to }),
                    format_args!("manifest {}", to.display()),
                );
            }
        }
        None if !manifests.is_empty() => {
            Log::new(printer).note(&format!(
                "the bundle's {} manifest(s) were not written: pass --manifests-dir DIR, \
                 then install with --manifest-mirror file://DIR",
                manifests.len()
            ));
        }
        None => {}
    }
    summary(printer, &results, &registry)
}
