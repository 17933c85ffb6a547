//! Printing results as text, JSON or YAML.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use crate::cli::OutputFormat;

/// Writes command results to stdout in the chosen format.
pub struct Printer {
    /// The chosen format.
    pub format: OutputFormat,
}

impl Printer {
    /// Prints `value` as JSON or YAML, or calls `text` for the human form.
    pub fn emit<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
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
