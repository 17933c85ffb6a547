//! The profile file `module add` and `module remove` edit: its modules, the diff of an edit
//! (secrets masked), and writing it so that no reader sees half a file.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use similar::TextDiff;

use crate::commands::report::log::Log;
use crate::engine::helm::Redactor;
use crate::error::Error;
use crate::profile::model::Profile;

/// The modules a profile lists, in its order.
pub(super) fn module_names(profile: &Profile) -> Vec<&str> {
    let modules = profile.spec.modules.iter();
    modules.map(|module| module.name.value.as_str()).collect()
}

/// The edit as a unified diff on stderr, or a `profile_edited` event holding it.
pub(super) fn show_diff(log: &Log, path: &Path, before: &str, after: &str) {
    let Some(diff) = redacted_diff(path, before, after) else {
        return;
    };
    log.line(
        "profile_edited",
        json!({ "path": path, "diff": diff }),
        diff.trim_end(),
    );
}

/// The unified diff of the edit (`None`: no change), with every value under a secret-looking
/// key of either text replaced by `[REDACTED]`: context lines may show a neighbouring secret.
fn redacted_diff(path: &Path, before: &str, after: &str) -> Option<String> {
    if before == after {
        return None;
    }
    let documents: Vec<Value> = [before, after]
        .iter()
        .filter_map(|text| serde_saphyr::from_str(text).ok())
        .collect();
    let redactor = Redactor::from_values(&documents);
    let name = path.display().to_string();
    let diff = TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(&name, &name)
        .to_string();
    Some(redactor.redact(&diff))
}

/// Writes the edited profile `text` to `path` once the run is confirmed, saying so
/// (`profile_written`); a dry run leaves the file and says that instead.
///
/// # Errors
///
/// [`Error::Other`] (exit 1) when the file cannot be written.
pub(super) fn write_edited(
    log: &Log,
    path: &Path,
    before: &str,
    text: &str,
    dry_run: bool,
) -> Result<(), Error> {
    let changed = text != before;
    if dry_run {
        if changed {
            log.note(&format!("--dry-run: {} is left as it is", path.display()));
        }
        return Ok(());
    }
    if changed {
        write_file(path, text)?;
        log.line(
            "profile_written",
            json!({ "path": path }),
            format_args!("wrote {}", path.display()),
        );
    }
    Ok(())
}

/// Replaces the file's content through a temporary file beside it, so that a reader never
/// sees half a profile; the file's permissions stay.
fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    let failed = |error: std::io::Error| {
        Error::Other(anyhow::anyhow!("cannot write {}: {error}", path.display()))
    };
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(directory).map_err(failed)?;
    temporary.write_all(text.as_bytes()).map_err(failed)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        temporary
            .as_file()
            .set_permissions(metadata.permissions())
            .map_err(failed)?;
    }
    temporary
        .persist(path)
        .map_err(|error| failed(error.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_never_shows_a_secret_beside_the_edit() {
        let before = "spec:\n  modules: []\n  values:\n    thunder: {adminPassword: hunter2}\n";
        let after =
            "spec:\n  modules: [{name: cd}]\n  values:\n    thunder: {adminPassword: hunter2}\n";
        let diff = redacted_diff(Path::new("lab.yaml"), before, after).unwrap();
        assert!(diff.contains("+  modules: [{name: cd}]"), "{diff}");
        assert!(diff.contains("adminPassword: [REDACTED]"), "{diff}");
        assert!(!diff.contains("hunter2"), "{diff}");
        assert_eq!(redacted_diff(Path::new("lab.yaml"), before, before), None);
    }
}
