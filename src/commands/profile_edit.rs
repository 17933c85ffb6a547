//! The profile file `module add/remove` and `plane add/remove` edit: its modules and planes,
//! the diff of an edit (secrets masked), and writing it so that no reader sees half a file.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use similar::TextDiff;

use crate::cli::MirrorArgs;
use crate::commands::report::log::Log;
use crate::engine::helm::Redactor;
use crate::error::Error;
use crate::profile::model::Profile;
use crate::profile::{LoadedProfile, ProfileRequest};
use crate::source::SourceFile;

/// The list of `spec` an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    /// `spec.modules`.
    Modules,
    /// `spec.planes`.
    Planes,
}

impl List {
    /// The names the list holds in `profile`, in its order.
    pub(crate) fn names(self, profile: &Profile) -> Vec<&str> {
        match self {
            List::Modules => profile
                .spec
                .modules
                .iter()
                .map(|module| module.name.value.as_str())
                .collect(),
            List::Planes => profile
                .spec
                .planes
                .iter()
                .map(|plane| plane.name.value.as_str())
                .collect(),
        }
    }

    fn key(self) -> &'static str {
        match self {
            List::Modules => "modules",
            List::Planes => "planes",
        }
    }
}

/// The edited `text` of `request`'s file, loaded as that file would be, checked to hold
/// exactly `expected` in `list`: an edit the line rules got wrong is refused, never written.
///
/// # Errors
///
/// What loading returns (exit 2); [`Error::Usage`] (exit 2, with `by_hand` as the fix) when the
/// list is not `expected`.
pub(crate) fn load_edited(
    request: &ProfileRequest,
    text: &str,
    mirrors: &MirrorArgs,
    list: List,
    expected: &[&str],
    by_hand: &str,
) -> Result<LoadedProfile, Error> {
    let path = request.file.as_deref().unwrap_or(Path::new("profile"));
    let source = SourceFile::new(path.display().to_string(), text);
    let edited = super::load_from(request, source, mirrors)?;
    let found = list.names(&edited.profile);
    if found != expected {
        return Err(Error::Usage {
            message: format!(
                "cannot edit {}: the edit would list {} {found:?}, not {expected:?}",
                path.display(),
                list.key()
            ),
            help: by_hand.to_owned(),
        });
    }
    Ok(edited)
}

/// The edit as a unified diff on stderr, or a `profile_edited` event holding it.
pub(crate) fn show_diff(log: &Log, path: &Path, before: &str, after: &str) {
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
pub(crate) fn write_edited(
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
