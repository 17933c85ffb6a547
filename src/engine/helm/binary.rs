//! Finding the helm binary and telling which helm it is.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::HelmError;

/// How long `helm version` may take before the binary is declared unusable.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// The helm majors choreoctl speaks; their command lines differ (research/engine.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelmMajor {
    /// helm 3, v3.18 or later.
    V3,
    /// helm 4.
    V4,
}

/// A helm binary and the version it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmBinary {
    /// Where it is.
    pub path: PathBuf,
    /// What `helm version --template '{{.Version}}'` said.
    pub version: semver::Version,
}

impl HelmBinary {
    /// Finds helm and reads its version (without judging it; see [`HelmBinary::major`]).
    ///
    /// `explicit` comes from `--helm` / `CHOREOCTL_HELM`: a path, or a bare name looked up on
    /// `PATH`. Without it, `helm` is looked up on `PATH`.
    ///
    /// # Errors
    ///
    /// [`HelmError::NotFound`] when there is no such helm, [`HelmError::Unusable`] when it
    /// does not tell its version; commands stop with exit 4 (a preflight failure).
    pub fn locate(explicit: Option<&Path>) -> Result<Self, HelmError> {
        let path_var = std::env::var_os("PATH");
        let path = match explicit {
            Some(given) if given.components().count() > 1 || given.is_absolute() => {
                if !is_executable_file(given) {
                    return Err(HelmError::NotFound {
                        searched: format!("{} is not an executable file", given.display()),
                    });
                }
                given.to_path_buf()
            }
            Some(name) => find_on_path(name.as_os_str(), path_var.as_deref()).ok_or_else(|| {
                HelmError::NotFound {
                    searched: format!("no {} on PATH", name.display()),
                }
            })?,
            None => find_on_path(OsStr::new("helm"), path_var.as_deref()).ok_or_else(|| {
                HelmError::NotFound {
                    searched: "not on PATH, and neither --helm nor CHOREOCTL_HELM is set".into(),
                }
            })?,
        };
        let version = read_version(&path)?;
        Ok(HelmBinary { path, version })
    }

    /// The major to speak to this helm.
    ///
    /// # Errors
    ///
    /// [`HelmError::Unsupported`] naming the version found and the fix (exit 4).
    pub fn major(&self) -> Result<HelmMajor, HelmError> {
        supported_major(&self.version).ok_or_else(|| HelmError::Unsupported {
            path: self.path.clone(),
            found: format!("v{}", self.version),
        })
    }
}

/// v3.18+ is helm 3 as choreoctl needs it (`--take-ownership`, `--dry-run=server`); any 4.x is
/// helm 4; everything else is refused.
pub fn supported_major(version: &semver::Version) -> Option<HelmMajor> {
    match (version.major, version.minor) {
        (3, minor) if minor >= 18 => Some(HelmMajor::V3),
        (4, _) => Some(HelmMajor::V4),
        _ => None,
    }
}

/// The first executable `name` in the directories of `path_var`.
fn find_on_path(name: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    std::env::split_paths(path_var?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable_file(candidate))
}

fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Runs `helm version --template '{{.Version}}'` (works on helm 3 and 4) with a time limit.
fn read_version(path: &Path) -> Result<semver::Version, HelmError> {
    let unusable = |reason: String| HelmError::Unusable {
        path: path.to_path_buf(),
        reason,
    };
    let mut child = Command::new(path)
        .args(["version", "--template", "{{.Version}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| unusable(error.to_string()))?;
    let started = Instant::now();
    while child
        .try_wait()
        .map_err(|error| unusable(error.to_string()))?
        .is_none()
    {
        if started.elapsed() > VERSION_TIMEOUT {
            // `helm version` changes nothing, so a hard kill is harmless here.
            let _ = child.kill();
            let _ = child.wait();
            return Err(unusable(format!("no answer within {VERSION_TIMEOUT:?}")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child
        .wait_with_output()
        .map_err(|error| unusable(error.to_string()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(unusable(format!("{} ({})", stderr.trim(), output.status)));
    }
    parse_version(stdout.trim())
        .ok_or_else(|| unusable(format!("`{}` is not a version", stdout.trim())))
}

/// Parses `v3.21.4`, `v4.0.0-rc.1` or a bare `v3.21` (helm built without release ldflags).
fn parse_version(text: &str) -> Option<semver::Version> {
    let bare = text.strip_prefix('v').unwrap_or(text);
    semver::Version::parse(bare).ok().or_else(|| {
        let (major, minor) = bare.split_once('.')?;
        Some(semver::Version::new(
            major.parse().ok()?,
            minor.parse().ok()?,
            0,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> semver::Version {
        parse_version(text).expect(text)
    }

    #[test]
    fn reads_release_prerelease_and_bare_versions() {
        assert_eq!(version("v3.21.4"), semver::Version::new(3, 21, 4));
        assert_eq!(version("v4.2.4"), semver::Version::new(4, 2, 4));
        assert_eq!(version("v3.21"), semver::Version::new(3, 21, 0));
        assert_eq!(version("v4.0.0-rc.1").pre.as_str(), "rc.1");
        assert!(parse_version("dev").is_none());
        assert!(parse_version("").is_none());
    }

    #[test]
    fn accepts_helm_3_18_and_later_and_every_helm_4() {
        assert_eq!(supported_major(&version("v3.18.0")), Some(HelmMajor::V3));
        assert_eq!(supported_major(&version("v3.21.4")), Some(HelmMajor::V3));
        assert_eq!(
            supported_major(&version("v4.0.0-rc.1")),
            Some(HelmMajor::V4)
        );
        assert_eq!(supported_major(&version("v4.2.4")), Some(HelmMajor::V4));
        assert_eq!(supported_major(&version("v3.17.3")), None);
        assert_eq!(supported_major(&version("v2.17.0")), None);
        assert_eq!(supported_major(&version("v5.0.0")), None);
    }

    #[test]
    fn an_old_helm_is_refused_naming_its_version_and_the_fix() {
        let old = HelmBinary {
            path: PathBuf::from("/usr/local/bin/helm"),
            version: version("v3.12.3"),
        };
        let error = old.major().unwrap_err();
        assert_eq!(
            error.to_string(),
            "/usr/local/bin/helm is helm v3.12.3; choreoctl needs helm v3.18 or later, or helm 4"
        );
        let help = miette::Diagnostic::help(&error).unwrap().to_string();
        assert!(help.contains("--helm"), "{help}");
        assert!(help.contains("CHOREOCTL_HELM"), "{help}");
    }

    #[test]
    fn finds_the_first_executable_on_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a"), dir.path().join("b"));
        for d in [&first, &second] {
            std::fs::create_dir(d).unwrap();
        }
        // Not executable in the first directory: skipped.
        std::fs::write(first.join("helm"), "").unwrap();
        std::fs::write(second.join("helm"), "").unwrap();
        std::fs::set_permissions(second.join("helm"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let path_var = std::env::join_paths([&first, &second]).unwrap();
        assert_eq!(
            find_on_path(OsStr::new("helm"), Some(&path_var)),
            Some(second.join("helm"))
        );
        assert_eq!(find_on_path(OsStr::new("nohelm"), Some(&path_var)), None);
        assert_eq!(find_on_path(OsStr::new("helm"), None), None);
    }

    #[test]
    fn an_explicit_path_that_is_not_executable_is_not_found() {
        let error = HelmBinary::locate(Some(Path::new("/nonexistent/helm"))).unwrap_err();
        assert!(matches!(error, HelmError::NotFound { .. }), "{error}");
        assert!(error.to_string().contains("/nonexistent/helm"), "{error}");
    }
}
