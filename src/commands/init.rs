//! `choreoctl init`: asks for the edition, topology, contexts, domain and modules (each also a
//! flag), builds the profile ([`crate::init`]), checks it the way `profile validate` does and
//! writes it. Questions are asked only when stdin and stderr are terminals; otherwise every
//! answer must come from a flag, or `--yes` takes the defaults.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use dialoguer::console::{Term, style};
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use dialoguer::{Input, MultiSelect, Select};

use serde_json::json;

use super::report::log::Log;
use crate::catalog::Catalog;
use crate::error::Error;
use crate::init::choices::{EDITIONS, ModuleChoice, TOPOLOGIES, module_choices, topology};
use crate::init::{Answers, TopologyPreset, profile, profile_text, topology_preset, unlocated};
use crate::kubeconfig::{Contexts, KnownContexts};
use crate::output::Printer;
use crate::profile::model::{Edition, PlaneSpec};
use crate::profile::{LoadedProfile, ProfileError, load};
use crate::resolve::{DEFAULT_DOMAIN, DOMAIN_HELP, Resolved, is_dns_name};
use crate::source::SourceFile;
use crate::suggest::hint;

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
pub fn run(
    catalog: &Catalog,
    request: &InitRequest,
    kubeconfig: Option<&Path>,
    printer: &Printer,
) -> Result<(), Error> {
    if let Destination::File(path) = &request.out {
        refuse_overwrite(path, request.force)?;
    }
    let asker = Asker::new(request.yes, Log::new(printer).is_json());
    let answers = ask(catalog, request, kubeconfig, &asker)?;
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

fn ask(
    catalog: &Catalog,
    request: &InitRequest,
    kubeconfig: Option<&Path>,
    asker: &Asker,
) -> Result<Answers, Error> {
    let edition = match request.edition {
        Some(edition) => edition,
        None => ask_edition(asker)?,
    };
    let topology = match &request.topology {
        Some(name) => checked_topology(catalog, name)?,
        None => ask_topology(asker)?,
    };
    // Without a terminal and without --preset, the default topology's planes are not the
    // user's: their contexts are asked for generically.
    let topology_known = request.topology.is_some() || !asker.refuses();
    let preset = topology_preset(catalog, &topology).map_err(ProfileError::from)?;
    let known = KnownContexts::read(kubeconfig, [None]).default;
    let planes = bind_contexts(request, &preset, topology_known, known.as_ref(), asker)?;
    let domain = match &request.domain {
        Some(domain) => domain.clone(),
        None => asker.input("--domain DOMAIN", "Base domain", DEFAULT_DOMAIN, |text| {
            if is_dns_name(text) {
                Ok(())
            } else {
                Err(DOMAIN_HELP.to_string())
            }
        })?,
    };
    let modules = match &request.modules {
        Some(modules) => modules.clone(),
        None => ask_modules(catalog, edition, &preset, &planes, asker)?,
    };
    Ok(Answers {
        name: request.name.clone(),
        edition,
        topology,
        planes,
        domain,
        modules,
    })
}

fn ask_edition(asker: &Asker) -> Result<Edition, Error> {
    let mut explanation = String::from("Secure Core edition:\n");
    for choice in EDITIONS {
        explanation.push_str(&format!("  {}: {}\n", choice.edition, choice.details));
    }
    asker.say(&wrap(&explanation, asker.width()));
    let items: Vec<String> = EDITIONS
        .iter()
        .map(|choice| format!("{:<8} {}", choice.edition.as_str(), choice.summary))
        .collect();
    let default = EDITIONS
        .iter()
        .position(|choice| choice.edition == Edition::Generic)
        .expect("generic is an edition");
    let index = asker.select("--edition cilium|generic", "Edition", &items, default)?;
    Ok(EDITIONS[index].edition)
}

fn checked_topology(catalog: &Catalog, name: &str) -> Result<String, ProfileError> {
    if topology(name).is_some() {
        return Ok(name.to_string());
    }
    let names: Vec<&str> = TOPOLOGIES.iter().map(|topology| topology.preset).collect();
    let help = if catalog.presets.contains_key(name) {
        format!(
            "`{name}` is a ready-made profile, not a topology: `choreoctl profile show --preset {name} > {name}.yaml` starts from it"
        )
    } else {
        format!(
            "{}topologies: {}",
            hint(name, names.iter().copied()),
            names.join(", ")
        )
    };
    Err(ProfileError::Flag {
        message: format!("init starts from a topology, and `{name}` is none"),
        help,
    })
}

fn ask_topology(asker: &Asker) -> Result<String, Error> {
    let mut explanation = String::from("Topology (deployment pattern):\n");
    for topology in TOPOLOGIES {
        explanation.push_str(&format!(
            "  {}: {}\n",
            topology.pattern, topology.description
        ));
    }
    asker.say(&wrap(&explanation, asker.width()));
    let items: Vec<String> = TOPOLOGIES
        .iter()
        .map(|topology| format!("{:<21} {}", topology.preset, topology.pattern))
        .collect();
    let names = TOPOLOGIES.map(|topology| topology.preset).join("|");
    let index = asker.select(&format!("--preset {names}"), "Topology", &items, 0)?;
    Ok(TOPOLOGIES[index].preset.to_string())
}

/// The topology's planes bound to contexts: from `--plane-context`, `--context`, or asked.
fn bind_contexts(
    request: &InitRequest,
    preset: &TopologyPreset,
    topology_known: bool,
    known: Option<&Contexts>,
    asker: &Asker,
) -> Result<Vec<PlaneSpec>, Error> {
    let names: Vec<&str> = preset
        .planes
        .iter()
        .map(|p| p.name.value.as_str())
        .collect();
    if let Some((name, _)) = request
        .plane_contexts
        .iter()
        .find(|(name, _)| topology_known && !names.contains(&name.as_str()))
    {
        return Err(ProfileError::Flag {
            message: format!("--plane-context names unknown plane `{name}`"),
            help: format!(
                "{}the topology's planes are: {}",
                hint(name, names.iter().copied()),
                names.join(", ")
            ),
        }
        .into());
    }
    let unbound = |plane: &PlaneSpec| {
        request.context.is_none()
            && !request
                .plane_contexts
                .iter()
                .any(|(name, _)| *name == plane.name.value)
    };
    let unbound_names: Vec<&str> = preset
        .planes
        .iter()
        .filter(|plane| unbound(plane))
        .map(|plane| plane.name.value.as_str())
        .collect();
    let flag = if topology_known {
        format!(
            "--plane-context PLANE=CTX for {} (or --context CTX)",
            unbound_names.join(", ")
        )
    } else {
        "--context CTX or --plane-context PLANE=CTX for each plane of the topology".into()
    };
    if !unbound_names.is_empty() {
        let planes: Vec<String> = preset
            .planes
            .iter()
            .map(|plane| format!("{} ({})", plane.name.value, plane.plane_type.value))
            .collect();
        let source = match known {
            Some(contexts) => format!("the contexts of {}", contexts.origin),
            None => "a context name (no kubeconfig is readable; empty: the current context)".into(),
        };
        let explanation = format!(
            "Planes: {}. Planes on the same context share a cluster. Choose from {source}.\n",
            planes.join(", ")
        );
        asker.say(&wrap(&explanation, asker.width()));
    }
    // Preset context → the context chosen for it, so co-located planes stay together.
    let mut chosen: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut planes = preset.planes.clone();
    for plane in &mut planes {
        let preset_context = plane.context.as_ref().map(|context| context.value.clone());
        let given = request
            .plane_contexts
            .iter()
            .rev()
            .find(|(name, _)| *name == plane.name.value)
            .map(|(_, context)| context.clone())
            .or_else(|| request.context.clone());
        let context = match given {
            Some(context) => Some(context),
            None => {
                let default = chosen
                    .iter()
                    .find(|(before, _)| *before == preset_context)
                    .map(|(_, context)| context.clone())
                    .unwrap_or_else(|| default_context(preset_context.as_deref(), known));
                ask_context(plane, default, known, &flag, asker)?
            }
        };
        chosen.push((preset_context, context.clone()));
        plane.context = context.map(unlocated);
    }
    Ok(planes)
}

/// The context offered first: the preset's when the kubeconfig has it (or none is readable),
/// else the kubeconfig's current one.
fn default_context(preset: Option<&str>, known: Option<&Contexts>) -> Option<String> {
    match known {
        None => preset.map(str::to_string),
        Some(contexts) => preset
            .filter(|name| contexts.names.iter().any(|known| known == name))
            .map(str::to_string)
            .or_else(|| contexts.current.clone())
            .or_else(|| contexts.names.first().cloned()),
    }
}

fn ask_context(
    plane: &PlaneSpec,
    default: Option<String>,
    known: Option<&Contexts>,
    flag: &str,
    asker: &Asker,
) -> Result<Option<String>, Error> {
    let prompt = format!(
        "Context of plane {} ({})",
        plane.name.value, plane.plane_type.value
    );
    match known.filter(|contexts| !contexts.names.is_empty()) {
        Some(contexts) => {
            let items: Vec<String> = contexts
                .names
                .iter()
                .map(|name| match &contexts.current {
                    Some(current) if current == name => format!("{name} (current)"),
                    _ => name.clone(),
                })
                .collect();
            let index = default
                .and_then(|default| contexts.names.iter().position(|name| *name == default))
                .unwrap_or(0);
            let index = asker.select(flag, &prompt, &items, index)?;
            Ok(Some(contexts.names[index].clone()))
        }
        None => {
            let text = asker.input(flag, &prompt, default.as_deref().unwrap_or(""), |_| Ok(()))?;
            Ok(Some(text.trim().to_string()).filter(|text| !text.is_empty()))
        }
    }
}

fn ask_modules(
    catalog: &Catalog,
    edition: Edition,
    preset: &TopologyPreset,
    planes: &[PlaneSpec],
    asker: &Asker,
) -> Result<Vec<String>, Error> {
    let choices = module_choices(catalog, edition, planes);
    asker.say(&matrix(&choices, edition, asker.width()));
    let selectable: Vec<&ModuleChoice> = choices.iter().filter(|c| c.selectable()).collect();
    let items: Vec<String> = selectable
        .iter()
        .map(|choice| {
            format!(
                "{:<12} {} ({})",
                choice.module.name,
                choice.module.title,
                choice.support.level.as_str()
            )
        })
        .collect();
    let checked: Vec<bool> = selectable
        .iter()
        .map(|choice| preset.modules.contains(&choice.module.name))
        .collect();
    let picked = asker.multi_select(
        "--module NAME (repeatable) or --no-modules",
        "Modules (space toggles, enter accepts)",
        &items,
        &checked,
    )?;
    Ok(picked
        .into_iter()
        .map(|index| selectable[index].module.name.clone())
        .collect())
}

/// The edition matrix for the chosen edition and topology; modules that cannot be chosen are
/// greyed out with the reason.
fn matrix(choices: &[ModuleChoice], edition: Edition, width: usize) -> String {
    let mut text = wrap(
        &format!("Modules on the {edition} edition (the Secure Core is always installed):"),
        width,
    );
    for choice in choices {
        let line = format!(
            "  {:<12} stage {}  {:<11} {}",
            choice.module.name,
            choice.module.stage,
            choice.support.level.as_str(),
            choice.module.title
        );
        match &choice.unavailable {
            None => text.push_str(&wrap(&line, width)),
            Some(reason) => {
                for line in wrap(&format!("{line}: not available, {reason}"), width).lines() {
                    text.push_str(&format!("{}\n", style(line).dim()));
                }
            }
        }
    }
    text
}

/// Wraps each line of `text` that is wider than `width` columns at spaces; the rest of a line
/// goes on under its own indentation plus two spaces. Lines that fit keep their spacing.
fn wrap(text: &str, width: usize) -> String {
    let mut wrapped = String::new();
    for line in text.lines() {
        let hanging = " ".repeat(line.len() - line.trim_start().len() + 2);
        let mut prefix = "";
        let mut rest = line;
        while prefix.len() + rest.chars().count() > width {
            let room = width.saturating_sub(prefix.len());
            let end = rest
                .char_indices()
                .nth(room)
                .map_or(rest.len(), |(at, _)| at);
            let Some(cut) = rest[..end]
                .rfind(' ')
                .filter(|&cut| !rest[..cut].trim().is_empty())
            else {
                break;
            };
            wrapped.push_str(prefix);
            wrapped.push_str(rest[..cut].trim_end());
            wrapped.push('\n');
            rest = rest[cut..].trim_start();
            prefix = &hanging;
        }
        wrapped.push_str(prefix);
        wrapped.push_str(rest);
        wrapped.push('\n');
    }
    wrapped
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

/// How questions without a flag get their answer.
enum Mode {
    /// Asked on the terminal.
    Terminal(Box<dyn Theme>),
    /// `--yes`: the default.
    Defaults,
    /// No terminal and no `--yes`: recorded as missing (the default stands in until
    /// [`Asker::finish`] reports them all).
    Refuse,
}

/// Asks questions, or answers them without a terminal.
struct Asker {
    mode: Mode,
    missing: RefCell<Vec<String>>,
}

impl Asker {
    /// An asker; `events` (`--log-format json`): stderr is an event log, so nothing is asked
    /// there, as without a terminal.
    fn new(yes: bool, events: bool) -> Self {
        let terminal = !events && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let mode = if yes {
            Mode::Defaults
        } else if terminal {
            let theme: Box<dyn Theme> = if dialoguer::console::colors_enabled_stderr() {
                Box::new(ColorfulTheme::default())
            } else {
                Box::new(SimpleTheme)
            };
            Mode::Terminal(theme)
        } else {
            Mode::Refuse
        };
        Self {
            mode,
            missing: RefCell::new(Vec::new()),
        }
    }

    /// Whether unanswered questions are only recorded as missing (no terminal, no `--yes`).
    fn refuses(&self) -> bool {
        matches!(self.mode, Mode::Refuse)
    }

    /// Columns of the terminal questions are asked on.
    fn width(&self) -> usize {
        usize::from(Term::stderr().size().1).clamp(40, 100)
    }

    /// Explains the next question (on a terminal only).
    fn say(&self, text: &str) {
        if let Mode::Terminal(_) = self.mode {
            let _ = Term::stderr().write_str(&format!("\n{text}"));
        }
    }

    /// The theme to ask with on a terminal. Otherwise `None`: the default answers, and without
    /// `--yes` the question's `flag` is recorded as missing.
    fn terminal(&self, flag: &str) -> Option<&dyn Theme> {
        match &self.mode {
            Mode::Terminal(theme) => Some(theme.as_ref()),
            Mode::Defaults => None,
            Mode::Refuse => {
                let mut missing = self.missing.borrow_mut();
                if !missing.iter().any(|known| known == flag) {
                    missing.push(flag.to_string());
                }
                None
            }
        }
    }

    fn select(
        &self,
        flag: &str,
        prompt: &str,
        items: &[String],
        default: usize,
    ) -> Result<usize, Error> {
        let Some(theme) = self.terminal(flag) else {
            return Ok(default);
        };
        Select::with_theme(theme)
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact()
            .map_err(prompt_error)
    }

    fn input(
        &self,
        flag: &str,
        prompt: &str,
        default: &str,
        valid: impl Fn(&str) -> Result<(), String>,
    ) -> Result<String, Error> {
        let Some(theme) = self.terminal(flag) else {
            return Ok(default.to_string());
        };
        let mut input = Input::<String>::with_theme(theme)
            .with_prompt(prompt)
            .allow_empty(true)
            .validate_with(|text: &String| valid(text));
        if !default.is_empty() {
            input = input.default(default.to_string());
        }
        input.interact_text().map_err(prompt_error)
    }

    fn multi_select(
        &self,
        flag: &str,
        prompt: &str,
        items: &[String],
        checked: &[bool],
    ) -> Result<Vec<usize>, Error> {
        let Some(theme) = self.terminal(flag) else {
            return Ok((0..items.len()).filter(|&index| checked[index]).collect());
        };
        MultiSelect::with_theme(theme)
            .with_prompt(prompt)
            .items(items)
            .defaults(checked)
            .interact()
            .map_err(prompt_error)
    }

    /// Fails naming every flag that was needed and not given, when there was no terminal.
    fn finish(self) -> Result<(), ProfileError> {
        let missing = self.missing.into_inner();
        if missing.is_empty() {
            return Ok(());
        }
        Err(ProfileError::Flag {
            message: format!(
                "init cannot ask without a terminal; pass {}",
                missing.join(", ")
            ),
            help: "or pass --yes to take the default for every answer not given".into(),
        })
    }
}

fn prompt_error(error: dialoguer::Error) -> Error {
    Error::Other(anyhow::Error::new(error).context("init was interrupted"))
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_under_their_indentation_and_short_ones_keep_their_spacing() {
        assert_eq!(
            wrap("  cd    stage 2\n  one two three four five", 16),
            "  cd    stage 2\n  one two three\n    four five\n"
        );
    }
}
