//! `choreoctl man --out DIR`: one roff man page (section 1) per command, from the same clap
//! tree as `--help`: `choreoctl.1`, `choreoctl-install.1`, `choreoctl-module-list.1`, …

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};

use serde_json::json;

use super::report::log::Log;
use crate::cli::Cli;
use crate::output::Printer;

/// The man section of every page.
const SECTION: &str = "1";

/// Writes a page for choreoctl and each of its commands and subcommands into `out` (created).
pub fn write(out: &Path, printer: &Printer) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let mut written = Vec::new();
    write_tree(&root, None, out, &mut written)?;
    let log = Log::new(printer);
    for path in &written {
        log.detail(
            "file_written",
            json!({ "path": path }),
            format_args!("wrote {}", path.display()),
        );
    }
    log.line(
        "files_written",
        json!({ "files": written.len(), "dir": out }),
        format_args!("wrote {} man pages to {}", written.len(), out.display()),
    );
    Ok(())
}

/// Writes the page of `command` (a child of `parent`) and those of its subcommands.
fn write_tree(
    command: &clap::Command,
    parent: Option<&str>,
    out: &Path,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    let name = page_name(command);
    let path = out.join(format!("{name}.{SECTION}"));
    let page = render(command, parent)?;
    std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
    written.push(path);
    for subcommand in documented_subcommands(command) {
        write_tree(subcommand, Some(&name), out, written)?;
    }
    Ok(())
}

/// The subcommands that get a page: all but hidden ones and clap's `help`.
fn documented_subcommands(command: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    command
        .get_subcommands()
        .filter(|subcommand| !subcommand.is_hide_set() && subcommand.get_name() != "help")
}

/// `choreoctl-module-list` for `choreoctl module list` (clap's display name of a built tree).
fn page_name(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned()
}

/// The page: a title line, clap_mangen's NAME, SYNOPSIS, DESCRIPTION, OPTIONS and SUBCOMMANDS,
/// then the help's examples kept as written (clap_mangen would fill them into one paragraph),
/// SEE ALSO the parent command, and the version. Non-ASCII characters become groff's `\[uXXXX]`
/// escapes, so the page renders without `preconv` too.
fn render(command: &clap::Command, parent: Option<&str>) -> anyhow::Result<String> {
    let man = Man::new(command.clone());
    // Written by hand: clap_mangen drops the empty date argument of `.TH`, which shifts the
    // source and manual into the date and source fields.
    let mut page = format!(
        ".TH {} {SECTION} \"\" \"choreoctl {}\" \"choreoctl manual\"\n",
        page_name(command).to_uppercase(),
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes();
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if documented_subcommands(command).next().is_some() {
        man.render_subcommands_section(&mut page)?;
    }
    let mut extra = Roff::new();
    if let Some(examples) = command.get_after_long_help().or(command.get_after_help()) {
        extra.control("SH", ["EXAMPLES"]).control("nf", []);
        let examples = examples.to_string();
        let mut lines = examples.lines().peekable();
        lines.next_if(|line| matches!(*line, "Examples:" | "Example:"));
        for line in lines {
            extra.text([roman(line)]);
        }
        extra.control("fi", []);
    }
    if let Some(parent) = parent {
        extra
            .control("SH", ["SEE ALSO"])
            .text([roman(format!("{parent}({SECTION})"))]);
    }
    extra.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(escape_non_ascii(&String::from_utf8(page)?))
}

/// `…` → `\[u2026]`.
fn escape_non_ascii(page: &str) -> String {
    let mut escaped = String::with_capacity(page.len());
    for character in page.chars() {
        if character.is_ascii() {
            escaped.push(character);
        } else {
            escaped.push_str(&format!("\\[u{:04X}]", u32::from(character)));
        }
    }
    escaped
}
