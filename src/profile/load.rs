//! Strict parsing of profile files, with errors that name file, line and the fix.

use serde_saphyr::Error as YamlError;

use super::model::{API_VERSION, KIND, Profile};
use crate::source::{LocatedError, SourceFile};
use crate::suggest::did_you_mean;

/// Parses a profile document and checks its header.
pub fn parse(source: &SourceFile) -> Result<Profile, LocatedError> {
    let profile: Profile =
        serde_saphyr::from_str(&source.text).map_err(|error| yaml_error(source, &error))?;
    if profile.api_version.value != API_VERSION {
        return Err(source.error_at(
            profile.api_version.referenced,
            format!("unsupported apiVersion `{}`", profile.api_version.value),
            Some(format!("set `apiVersion: {API_VERSION}`")),
        ));
    }
    if profile.kind.value != KIND {
        return Err(source.error_at(
            profile.kind.referenced,
            format!("kind `{}` is not a profile", profile.kind.value),
            Some(format!("set `kind: {KIND}`")),
        ));
    }
    Ok(profile)
}

/// Turns a YAML or schema error into a located error with a suggestion.
pub fn yaml_error(source: &SourceFile, error: &YamlError) -> LocatedError {
    let error = error.without_snippet();
    let location = error.location().unwrap_or(serde_saphyr::Location::UNKNOWN);
    let (message, help) = match error {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => {
            let section = section_of(expected);
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
        YamlError::SerdeMissingField { field, .. } => (
            format!("missing field `{field}`"),
            Some(format!(
                "add `{field}:` here (see `choreoctl profile schema`)"
            )),
        ),
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
        other => (
            strip_location(&other.to_string()),
            Some("check the YAML syntax and the types in `choreoctl profile schema`".into()),
        ),
    };
    source.error_at(location, message, help)
}

/// Names the profile section a set of expected field names belongs to.
fn section_of(expected: &[&str]) -> &'static str {
    let has = |name: &str| expected.contains(&name);
    if has("apiVersion") {
        "the profile"
    } else if has("edition") {
        "spec"
    } else if has("serves") {
        "a plane (spec.planes[])"
    } else if has("options") {
        "a module (spec.modules[])"
    } else if has("plainHttp") {
        "spec.charts"
    } else if expected == ["mirror"] {
        "spec.manifests"
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
