//! Strict parsing of profile files, with errors that name file, line and the fix.

use super::model::{API_VERSION, KIND, Profile};
use crate::source::{LocatedError, SourceFile};
use crate::yaml_error::yaml_error;

/// Parses a profile document and checks its header.
pub fn parse(source: &SourceFile) -> Result<Profile, Box<LocatedError>> {
    if source
        .text
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        return Err(source.error_at_line(
            1,
            1,
            "the profile is empty",
            Some(format!(
                "start from a preset: `choreoctl profile show --preset single-plane > {}`",
                source.name
            )),
        ));
    }
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
    super::mirror::check(&profile, source)?;
    Ok(profile)
}
