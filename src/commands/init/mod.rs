//! `choreoctl init`: asks for the edition, topology, contexts, domain and modules (each also a
//! flag), builds the profile ([`crate::init`]), checks it the way `profile validate` does and
//! writes it. Questions are asked only when stdin and stderr are terminals; otherwise every
//! answer must come from a flag, or `--yes` takes the defaults.
//!
//! Its parts: `ask.rs` (the questions), `contexts.rs` (planes bound to contexts), `layout.rs`
//! (the text shown on the terminal); the questions are asked through
//! [`Asker`].

mod ask;
mod contexts;
mod layout;

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::json;

use super::prompt::Asker;
use super::report::log::Log;
use crate::catalog::Catalog;
use crate::error::Error;
use crate::init::{profile, profile_text};
use crate::output::Printer;
use crate::profile::model::Edition;
use crate::profile::{LoadedProfile, ProfileError, load};
use crate::resolve::Resolved;
use crate::settings::GlobalSettings;
use crate::source::SourceFile;

/// Where the profile goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// Standard output (`--out -`).
    Stdout,
    /// A file, refused when it exists unless forced.
    File(PathBuf),
}

/// `init`'s answers given on the command line, and where to write.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// `--edition`.
    pub edition: Option<Edition>,
    /// `--preset`: one of the four topologies.
    pub topology: Option<String>,
    /// `--context`: every plane not bound by `--plane-context`.
    pub context: Option<String>,
    /// `--plane-context PLANE=CTX`.
    pub plane_contexts: Vec<(String, String)>,
    /// `--domain`.
    pub domain: Option<String>,
    /// `--module` (repeatable), or `Some(empty)` for `--no-modules`.
    pub modules: Option<Vec<String>>,
    /// `--name`: `metadata.name`.
    pub name: String,
    /// `--schema`: where the modeline points editors.
    pub schema: String,
    /// `--out`.
    pub out: Destination,
    /// `--force`: overwrite an existing file.
    pub force: bool,
    /// `--yes`: defaults for every answer not given, without asking.
    pub yes: bool,
}

/// `init`.
///
/// # Errors
///
/// Exit 2 ([`Error::Profile`]) when the file exists without `--force`, a flag names no
/// topology or plane, or an answer is missing with no terminal to ask on; exit 2 too when the
/// built profile does not load or resolve ([`Error::Profile`], [`Error::Resolve`]). Exit 1
/// ([`Error::Other`]) when a question is broken off or the profile cannot be written.
pub fn run(catalog: &Catalog, request: &InitRequest, global: &GlobalSettings) -> Result<(), Error> {
    let (kubeconfig, printer) = (global.kubeconfig(), &global.printer);
    if let Destination::File(path) = &request.out {
        refuse_overwrite(path, request.force)?;
    }
    let asker = Asker::new("init", request.yes, Log::new(printer).is_json());
    let answers = ask::ask(catalog, request, kubeconfig, &asker)?;
    asker.finish()?;
    let text = profile_text(
        &profile(catalog, &answers),
        &answers.topology,
        &request.schema,
    )?;
    let resolved = check(catalog, &text, &request.out, kubeconfig)?;
    match &request.out {
        Destination::Stdout => crate::output::write_stdout(text.as_bytes())?,
        Destination::File(path) => write_file(path, &text, request.force)?,
    }
    report(&resolved, request, printer);
    Ok(())
}

fn refuse_overwrite(path: &Path, force: bool) -> Result<(), ProfileError> {
    if path.exists() && !force {
        return Err(ProfileError::Flag {
            message: format!("{} exists; init does not overwrite it", path.display()),
            help: "pass --force to replace it, or --out another file (--out - prints the profile)"
                .into(),
        });
    }
    Ok(())
}

/// Loads and resolves the profile text the way `profile validate` does a file.
fn check(
    catalog: &Catalog,
    text: &str,
    out: &Destination,
    kubeconfig: Option<&Path>,
) -> Result<Resolved, Error> {
    let name = match out {
        Destination::Stdout => "the profile (not printed)".to_string(),
        Destination::File(path) => format!("{} (not written)", path.display()),
    };
    let source = SourceFile::new(name, text);
    let profile = load::parse(&source).map_err(ProfileError::from)?;
    super::resolve_loaded(catalog, &LoadedProfile { profile, source }, kubeconfig)
}

fn write_file(path: &Path, text: &str, force: bool) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn report(resolved: &Resolved, request: &InitRequest, printer: &Printer) {
    let log = Log::new(printer);
    let modules: Vec<&str> = resolved.modules.iter().map(|m| m.name.as_str()).collect();
    let what = format!(
        "profile {}: {} edition, {} planes, modules {}",
        resolved.name,
        resolved.edition,
        resolved.planes.len(),
        if modules.is_empty() {
            "none".to_string()
        } else {
            modules.join(", ")
        }
    );
    let mut fields = json!({
        "installation": resolved.name,
        "edition": resolved.edition,
        "planes": resolved.planes.len(),
        "modules": modules,
    });
    let Destination::File(path) = &request.out else {
        log.line("profile_generated", fields, what);
        return;
    };
    fields["path"] = json!(path);
    log.line(
        "profile_generated",
        fields,
        format_args!("wrote {} ({what})", path.display()),
    );
    let next = format!("choreoctl plan --profile {}", path.display());
    log.line(
        "note",
        json!({ "message": format!("next: {next}") }),
        format_args!("next: {next}"),
    );
    let schema = Path::new(&request.schema);
    let beside = path.parent().unwrap_or(Path::new("")).join(schema);
    if !request.schema.contains("://") && schema.is_relative() && !beside.exists() {
        let hint = format!(
            "editors complete and check it once the schema is there: choreoctl profile schema > {}",
            beside.display()
        );
        log.line("note", json!({ "message": hint }), &hint);
    }
}
