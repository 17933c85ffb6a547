//! The status lines of every command on stderr, besides the progress of an install: a line of
//! text each, or with `--log-format json` one NDJSON event each, in the event vocabulary of
//! the install's log ([`super::json`]; docs/engine.md, "Events of other commands").

use std::fmt::Display;
use std::io::Write;

use serde_json::{Value, json};

use super::json::write_event;
use crate::cli::LogFormat;
use crate::output::{Printer, Stderr};

/// Where a command tells what it does: text lines on stderr (silent under `-q`, details only
/// under `-v`), or NDJSON events (written even under `-q`, as an install's are; details still
/// only under `-v`).
#[derive(Debug, Clone, Copy)]
pub struct Log {
    format: LogFormat,
    stderr: Stderr,
    verbose: Stderr,
}

impl Log {
    /// The log of a command printing with `printer`.
    pub fn new(printer: &Printer) -> Self {
        Self {
            format: printer.log_format(),
            stderr: printer.stderr(),
            verbose: printer.verbose(),
        }
    }

    /// Whether events are written (`--log-format json`).
    pub fn is_json(&self) -> bool {
        self.format == LogFormat::Json
    }

    /// A status line: `text`, or the event `name` with `fields` (a JSON object).
    pub fn line(&self, name: &str, fields: Value, text: impl Display) {
        self.write(self.stderr, name, fields, text);
    }

    /// A detail line (`-v` only): `text`, or the event `name` with `fields`.
    pub fn detail(&self, name: &str, fields: Value, text: impl Display) {
        if self.verbose == Stderr::Enabled {
            self.write(self.verbose, name, fields, text);
        }
    }

    /// `note: message`, or a `note` event.
    pub fn note(&self, message: &str) {
        self.line(
            "note",
            json!({ "message": message }),
            format_args!("note: {message}"),
        );
    }

    /// An event only the NDJSON log has (the text output says it elsewhere, e.g. on stdout).
    pub fn event(&self, name: &str, fields: Value) {
        if self.is_json() {
            write_event(name, fields);
        }
    }

    fn write(&self, mut stderr: Stderr, name: &str, fields: Value, text: impl Display) {
        if self.is_json() {
            write_event(name, fields);
        } else {
            let _ = writeln!(stderr, "{text}");
        }
    }
}
