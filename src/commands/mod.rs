//! One function per command: resolved inputs in, output and a result out; [`execute`]
//! dispatches the parsed command line to them.

pub mod check;
pub mod completion;
pub mod confirm;
pub mod diff;
pub mod init;
pub mod install;
pub mod man;
pub mod mirror;
pub mod module;
pub mod plan;
pub mod plane;
pub mod profile;
pub mod profile_edit;
pub mod prompt;
pub mod render;
pub mod report;
pub mod status;
pub mod uninstall;
pub mod version;

use std::path::Path;

use serde_saphyr::{Location, Spanned};

use crate::catalog::Catalog;
use crate::cli::{
    Cli, Command, MirrorArgs, MirrorCommand, ModuleCommand, PlaneCommand, ProfileArgs,
    ProfileCommand,
};
use crate::error::Error;
use crate::kubeconfig::KnownContexts;
use crate::plan::Plan;
use crate::profile::model::{ChartsSpec, ManifestsSpec, Profile};
use crate::profile::{LoadedProfile, ProfileError, ProfileRequest};
use crate::resolve::{self, Resolved};
use crate::settings::GlobalSettings;
use crate::source::SourceFile;

/// Runs the command the command line names.
pub fn execute(cli: Cli) -> Result<(), Error> {
    let global = GlobalSettings::resolve(&cli.global);
    let printer = &global.printer;
    let kubeconfig = global.kubeconfig();
    let catalog = || Catalog::open(global.catalog.as_deref());
    match &cli.command {
        Command::Install(args) => install::install(&catalog()?, args, &global)?,
        Command::Check(args) => check::check(&catalog()?, args, &global)?,
        Command::Plan(args) => plan::run(&catalog()?, args, &global)?,
        Command::Diff(args) => diff::run(&catalog()?, args, &global)?,
        Command::Render(args) => {
            let plan = compute_plan(
                &catalog()?,
                &ProfileRequest::from(&args.profile),
                kubeconfig,
            )?;
            render::render(&plan, args, printer)?;
        }
        Command::Status(args) => status::status(&catalog()?, args, &global)?,
        Command::Module(ModuleCommand::List) => module::list(&catalog()?, printer)?,
        Command::Module(ModuleCommand::Info { name }) => {
            module::info(&catalog()?, name, printer)?;
        }
        Command::Module(ModuleCommand::Add(args)) => module::add::add(&catalog()?, args, &global)?,
        Command::Module(ModuleCommand::Remove(args)) => {
            module::remove::remove(&catalog()?, args, &global)?;
        }
        Command::Plane(PlaneCommand::Add(args)) => plane::add::add(&catalog()?, args, &global)?,
        Command::Plane(PlaneCommand::Remove(args)) => {
            plane::remove::remove(&catalog()?, args, &global)?;
        }
        Command::Plane(PlaneCommand::SyncCa(args)) => {
            plane::sync_ca::sync_ca(&catalog()?, args, &global)?;
        }
        Command::Uninstall(args) => uninstall::uninstall(&catalog()?, args, &global)?,
        Command::Matrix => module::matrix(&catalog()?, printer)?,
        Command::Profile(ProfileCommand::Validate(args)) => {
            profile::validate(&catalog()?, &args.into(), &global)?;
        }
        Command::Profile(ProfileCommand::Schema) => profile::schema()?,
        Command::Profile(ProfileCommand::Show(args)) => match &args.installation {
            Some(installation) => profile::show_installed(
                &catalog()?,
                installation,
                args.source.profile.context.as_deref(),
                &global,
            )?,
            None => profile::show(&catalog()?, &(&args.source).into(), args.resolved, &global)?,
        },
        Command::Init(args) => init::run(&catalog()?, &args.into(), &global)?,
        Command::Mirror(MirrorCommand::Images(args)) => mirror::images(&catalog()?, args, &global)?,
        Command::Mirror(MirrorCommand::Push(args)) => mirror::push(&catalog()?, args, &global)?,
        Command::Mirror(MirrorCommand::Bundle(args)) => mirror::bundle(&catalog()?, args, &global)?,
        Command::Mirror(MirrorCommand::Load(args)) => mirror::load(args, &global)?,
        Command::Completion(args) => completion::print(args.shell)?,
        Command::Man(args) => man::write(&args.out, printer)?,
        Command::Version => version::print(&catalog()?, &global)?,
    }
    Ok(())
}

/// Loads the profile, reads the contexts of the kubeconfigs its planes use (`kubeconfig` is the
/// default one: `--kubeconfig`) and resolves it against the catalog and those contexts.
pub fn resolve_profile(
    catalog: &Catalog,
    request: &ProfileRequest,
    kubeconfig: Option<&Path>,
) -> Result<Resolved, Error> {
    resolve_loaded(catalog, &request.load(catalog)?, kubeconfig)
}

/// Resolves a profile already loaded (or built in memory, as `init` does) the way
/// [`resolve_profile`] resolves one it reads.
pub fn resolve_loaded(
    catalog: &Catalog,
    loaded: &LoadedProfile,
    kubeconfig: Option<&Path>,
) -> Result<Resolved, Error> {
    let planes = &loaded.profile.spec.planes;
    let known_contexts = KnownContexts::read(
        kubeconfig,
        planes.iter().map(|plane| plane.kubeconfig.as_deref()),
    );
    Ok(resolve::resolve(catalog, loaded, &known_contexts)?)
}

/// Loads, resolves and plans.
pub fn compute_plan(
    catalog: &Catalog,
    request: &ProfileRequest,
    kubeconfig: Option<&Path>,
) -> Result<Plan, Error> {
    let resolved = resolve_profile(catalog, request, kubeconfig)?;
    Ok(crate::plan::build(catalog, &resolved)?)
}

/// Loads the profile the flags name and applies the mirrors given on the command line; the
/// result is checked like a profile file.
pub fn load_profile(
    catalog: &Catalog,
    profile: &ProfileArgs,
    mirrors: &MirrorArgs,
) -> Result<LoadedProfile, Error> {
    load_profile_request(catalog, &ProfileRequest::from(profile), mirrors)
}

/// [`load_profile`] of a request built otherwise (`module add`'s profile file).
pub fn load_profile_request(
    catalog: &Catalog,
    request: &ProfileRequest,
    mirrors: &MirrorArgs,
) -> Result<LoadedProfile, Error> {
    with_mirrors(request.load(catalog)?, mirrors)
}

/// [`load_profile_request`] of `source`, text a command is about to write in place of the
/// request's file.
pub fn load_from(
    request: &ProfileRequest,
    source: SourceFile,
    mirrors: &MirrorArgs,
) -> Result<LoadedProfile, Error> {
    with_mirrors(request.load_from(source)?, mirrors)
}

/// `loaded` with the command line's mirrors, checked like mirrors written in a profile.
fn with_mirrors(mut loaded: LoadedProfile, mirrors: &MirrorArgs) -> Result<LoadedProfile, Error> {
    override_mirrors(&mut loaded.profile, mirrors);
    crate::profile::mirror::check(&loaded.profile, &loaded.source)
        .map_err(ProfileError::Invalid)?;
    Ok(loaded)
}

/// `--chart-mirror` / `--manifest-mirror` (or their environment variables) replace the
/// profile's mirrors; they are then checked like mirrors written in a profile.
fn override_mirrors(profile: &mut Profile, args: &MirrorArgs) {
    let unlocated = |url: &str| Spanned::new(url.to_owned(), Location::UNKNOWN, Location::UNKNOWN);
    if let Some(url) = &args.chart_mirror {
        profile.spec.charts = Some(ChartsSpec {
            mirror: Some(unlocated(url)),
            plain_http: args.plain_http,
            insecure_non_loopback: false,
        });
    }
    if let Some(url) = &args.manifest_mirror {
        profile.spec.manifests = Some(ManifestsSpec {
            mirror: Some(unlocated(url)),
            plain_http: args.plain_http && url.starts_with("http://"),
            insecure_non_loopback: false,
        });
    }
}
