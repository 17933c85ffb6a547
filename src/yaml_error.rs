//! YAML and schema errors of a strict serde-saphyr parse turned into errors that point into
//! their file, with the fix: an unknown field names the allowed ones, a missing field points
//! at its mapping, an unclosed bracket at the line that opened it. Profiles and catalog files
//! are read through it.

use serde_saphyr::Error as YamlError;

use crate::source::{LocatedError, SourceFile};
use crate::suggest::did_you_mean;

/// Turns a YAML or schema error into a located error with a suggestion.
pub fn yaml_error(source: &SourceFile, error: &YamlError) -> Box<LocatedError> {
    let error = error.without_snippet();
    let location = error.location().unwrap_or(serde_saphyr::Location::UNKNOWN);
    let (message, help) = match error {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => {
            let section = section_of(expected, &source.text, location.line() as usize);
            let help = match did_you_mean(field, expected.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("allowed here: {}", quoted_list(expected)),
            };
            (
                format!("unknown field `{field}` in {section}; {help}"),
                Some(format!(
                    "the fields of {section} are {}",
                    quoted_list(expected)
                )),
            )
        }
        YamlError::SerdeMissingField { field, .. } => {
            let line = mapping_start(&source.text, location.line() as usize);
            return source.error_at_line(
                line,
                indentation(source.text.lines().nth(line - 1).unwrap_or("")) + 1,
                format!("missing field `{field}`"),
                Some(format!(
                    "add `{field}:` to this mapping (see `choreoctl profile schema`)"
                )),
            );
        }
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let help = match did_you_mean(variant, expected.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("use one of {}", quoted_list(expected)),
            };
            (
                format!("unknown value `{variant}`; {help}"),
                Some(format!("allowed values: {}", quoted_list(expected))),
            )
        }
        other => {
            let message = strip_location(&other.to_string());
            let line = location.line() as usize;
            if let Some((open_line, bracket)) = unclosed_bracket(&source.text, line) {
                return source.error_at_line(
                    open_line,
                    1,
                    format!("unclosed bracket `{bracket}` ({message} further down)"),
                    Some(format!("close the `{bracket}` opened on this line")),
                );
            }
            if let Some(kind) = message
                .strip_prefix("expected ")
                .and_then(|m| m.strip_suffix(" start"))
            {
                let shape = if kind == "sequence" {
                    "a list"
                } else {
                    "a mapping (key: value)"
                };
                let key = key_of(&source.text, line)
                    .map(|key| format!("`{key}` must be {shape}"))
                    .unwrap_or_else(|| format!("expected {shape} here"));
                (
                    key.clone(),
                    Some(format!(
                        "{key}; see `choreoctl profile schema` for the shape of each field"
                    )),
                )
            } else if message.contains("mapping values are not allowed")
                || message.contains("indent")
            {
                (
                    format!("{message}: check the indentation"),
                    Some("YAML nests by indentation: align this key with its siblings, and use spaces, not tabs".into()),
                )
            } else {
                (
                    message,
                    Some(
                        "check the YAML syntax and the types in `choreoctl profile schema`".into(),
                    ),
                )
            }
        }
    };
    source.error_at(location, message, help)
}

/// Leading spaces of a line (a `- ` sequence marker counts as indentation).
fn indentation(line: &str) -> usize {
    let trimmed = line.trim_start();
    let spaces = line.len() - trimmed.len();
    if trimmed.starts_with("- ") {
        spaces + 2
    } else {
        spaces
    }
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim_start();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// The line that opens the block mapping containing `line` (serde reports a missing field
/// where the mapping ends): its `- ` item line, or else the line of its parent key.
fn mapping_start(text: &str, line: usize) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let Some(current) = lines.get(line.saturating_sub(1)) else {
        return line.max(1);
    };
    if current.trim_start().starts_with("- ") || current.contains('{') {
        return line;
    }
    let column = indentation(current);
    for index in (0..line - 1).rev() {
        let candidate = lines[index];
        if !is_content(candidate) {
            continue;
        }
        let indent = indentation(candidate);
        if indent == column && candidate.trim_start().starts_with("- ") {
            return index + 1;
        }
        if indent < column {
            return index + 1;
        }
    }
    line
}

/// The key whose value starts on `line` (the key on that line, or on the nearest line above
/// that ends with `key:`).
fn key_of(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let key_in = |text: &str| {
        let text = text.trim_start().trim_start_matches("- ");
        let (key, _) = text.split_once(':')?;
        let key = key.trim();
        (!key.is_empty() && !key.contains(' ') && !key.starts_with(['{', '[', '#']))
            .then(|| key.to_string())
    };
    let current = lines.get(line.checked_sub(1)?)?;
    if let Some(key) = key_in(current) {
        return Some(key);
    }
    lines[..line - 1]
        .iter()
        .rev()
        .find(|candidate| is_content(candidate))
        .and_then(|candidate| key_in(candidate))
}

/// An earlier line with an unclosed flow bracket, when the error is below it.
fn unclosed_bracket(text: &str, error_line: usize) -> Option<(usize, char)> {
    for (index, line) in text.lines().enumerate().take(error_line.saturating_sub(1)) {
        if !is_content(line) {
            continue;
        }
        let code = line.split(" #").next().unwrap_or(line);
        for (open, close) in [('[', ']'), ('{', '}')] {
            if code.matches(open).count() > code.matches(close).count() {
                return Some((index + 1, open));
            }
        }
    }
    None
}

/// Names the profile section a set of expected field names (at `line`) belongs to.
fn section_of(expected: &[&str], text: &str, line: usize) -> &'static str {
    let has = |name: &str| expected.contains(&name);
    if has("apiVersion") {
        "the profile"
    } else if has("edition") {
        "spec"
    } else if has("serves") {
        "a plane (spec.planes[])"
    } else if has("options") {
        "a module (spec.modules[])"
    } else if has("plainHttp") && has("mirror") {
        // spec.charts and spec.manifests have the same fields: the enclosing key tells.
        match key_of(text, mapping_start(text, line)).as_deref() {
            Some("manifests") => "spec.manifests",
            _ => "spec.charts",
        }
    } else if expected == ["name"] {
        "metadata"
    } else {
        "this mapping"
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// serde-saphyr appends " at line X column Y"; the located error prints that itself.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}
