//! Where command output goes, modelled on uv's `printer.rs`: results on stdout in the chosen
//! format; status, progress and detail lines on stderr as far as `-q`/`-v` allow.

use std::fmt;
use std::io::{BufWriter, StdoutLock, Write};

use anyhow::Context;
use clap::ValueEnum;
use serde::Serialize;

/// Formats of the progress and log lines on stderr (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// For people: a progress display on a terminal, timestamped lines otherwise.
    Text,
    /// NDJSON: one event per line (schema in docs/engine.md).
    Json,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable tables.
    Text,
    /// JSON (documented schemas; stable for scripts).
    Json,
    /// YAML, same content as JSON.
    Yaml,
}

/// How much choreoctl says besides its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// `-q`: results and errors only.
    Quiet,
    /// Results, and status and progress lines on stderr.
    #[default]
    Normal,
    /// `-v`: as [`Verbosity::Normal`], plus detail lines on stderr.
    Verbose,
}

/// Writes a command's results to stdout and its status lines to stderr.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    format: OutputFormat,
    verbosity: Verbosity,
    log_format: LogFormat,
}

impl Printer {
    /// A printer for results in `format`, saying as much besides them as `verbosity` allows,
    /// in lines or events as `log_format` says (`--log-format`).
    pub fn new(format: OutputFormat, verbosity: Verbosity, log_format: LogFormat) -> Self {
        Self {
            format,
            verbosity,
            log_format,
        }
    }

    /// How status lines on stderr are written (`--log-format`); see
    /// `commands::report::log::Log`.
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }

    /// Where results go: stdout, buffered (flush it). `-q` never silences results.
    pub fn stdout(&self) -> BufWriter<StdoutLock<'static>> {
        BufWriter::new(std::io::stdout().lock())
    }

    /// Where status and progress lines go: stderr, or nowhere under `-q`.
    pub fn stderr(&self) -> Stderr {
        match self.verbosity {
            Verbosity::Quiet => Stderr::Disabled,
            Verbosity::Normal | Verbosity::Verbose => Stderr::Enabled,
        }
    }

    /// Where detail lines go: stderr under `-v`, else nowhere.
    pub fn verbose(&self) -> Stderr {
        match self.verbosity {
            Verbosity::Verbose => Stderr::Enabled,
            Verbosity::Quiet | Verbosity::Normal => Stderr::Disabled,
        }
    }

    /// Prints `value` as JSON or YAML, or calls `text` for the human form.
    pub fn emit<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        let mut out = self.stdout();
        match self.format {
            OutputFormat::Text => text(&mut out),
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
                writeln!(out)
            }
            OutputFormat::Yaml => write!(out, "{}", to_yaml(value)?),
        }
        .and_then(|()| out.flush())
        .context("writing to stdout")
    }
}

/// Lines for the user on stderr, or a sink that swallows them (see [`Printer::stderr`]).
/// Each `write!`/`writeln!` goes out whole, under one lock of stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stderr {
    /// Written to stderr.
    Enabled,
    /// Dropped.
    Disabled,
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stderr::Enabled => std::io::stderr().write(buf),
            Stderr::Disabled => Ok(buf.len()),
        }
    }

    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> std::io::Result<()> {
        match self {
            Stderr::Enabled => std::io::stderr().lock().write_fmt(args),
            Stderr::Disabled => Ok(()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stderr::Enabled => std::io::stderr().flush(),
            Stderr::Disabled => Ok(()),
        }
    }
}

/// Serializes to YAML.
pub fn to_yaml<T: Serialize>(value: &T) -> anyhow::Result<String> {
    serde_saphyr::to_string(value).context("serializing YAML")
}

/// Writes rows as left-aligned columns separated by two spaces.
pub fn table(out: &mut dyn Write, indent: &str, rows: &[Vec<String>]) -> std::io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from(indent);
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[column]));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes raw bytes to stdout (errors such as a closed pipe are returned, not panicked on).
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing to stdout")
}
