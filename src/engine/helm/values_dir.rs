//! Values handed to helm as files in a private directory: the directory is 0700, each file 0600,
//! and both are gone when the helm command has finished (the value is dropped).
//!
//! A run killed with SIGKILL drops nothing, so its directories stay behind. Each directory's
//! name carries the PID of the run that made it, and the next run removes those of runs that
//! are gone (same user, untouched for an hour).

use std::fs::{OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, SystemTime};

use serde_json::Value;

/// Values files for one helm command; removed on drop.
pub struct ValuesFiles {
    /// Held so the directory lives as long as the files are needed.
    _dir: tempfile::TempDir,
    /// One file per values layer, in order (pass each with `--values`).
    pub paths: Vec<PathBuf>,
}

impl ValuesFiles {
    /// Writes each layer as JSON (which helm reads as YAML) into a new private directory.
    pub fn write(layers: &[Value]) -> io::Result<Self> {
        static SWEEP: Once = Once::new();
        SWEEP.call_once(|| remove_orphans(&std::env::temp_dir(), ORPHAN_AGE));
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{}-", std::process::id()))
            .permissions(Permissions::from_mode(0o700))
            .tempdir()?;
        let mut paths = Vec::with_capacity(layers.len());
        for (index, layer) in layers.iter().enumerate() {
            let path = dir.path().join(format!("values-{index}.json"));
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            serde_json::to_writer(&mut file, layer)?;
            file.flush()?;
            paths.push(path);
        }
        Ok(ValuesFiles { _dir: dir, paths })
    }

    /// The private directory.
    #[cfg(test)]
    fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }
}

/// Start of every values directory's name; the creating process's PID and a random part follow.
const PREFIX: &str = "choreoctl-helm-";

/// How long a dead run's directory is left alone: helm has long read its values by then, even
/// where the PID belongs to another PID namespace sharing this temporary directory.
const ORPHAN_AGE: Duration = Duration::from_secs(3600);

/// Removes the values directories in `tmp` that this user's runs left behind: their PID is no
/// longer running and they are older than `min_age`. Best effort: errors are ignored, since
/// the directories are private and empty of anything a later run needs.
fn remove_orphans(tmp: &Path, min_age: Duration) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(creator_pid) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta
            .modified()
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok());
        let stale = age.is_some_and(|age| age >= min_age);
        let running = Path::new("/proc").join(pid.to_string()).exists();
        if meta.is_dir() && meta.uid() == uid && stale && !running {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The PID in a values directory's name (`choreoctl-helm-<pid>-<random>`); `None` for any other
/// name, including the PID-less names of older choreoctl versions.
fn creator_pid(name: &str) -> Option<u32> {
    let (pid, _random) = name.strip_prefix(PREFIX)?.split_once('-')?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_private_hold_each_layer_and_vanish_on_drop() {
        let layers = [json!({"a": {"password": "x"}}), json!({"b": [1, 2]})];
        let files = ValuesFiles::write(&layers).unwrap();
        let dir = files.dir().to_path_buf();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(files.paths.len(), 2);
        for (path, layer) in files.paths.iter().zip(&layers) {
            assert!(path.starts_with(&dir));
            assert_eq!(mode(path), 0o600);
            let written: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            assert_eq!(&written, layer);
        }
        drop(files);
        assert!(!dir.exists());
    }

    #[test]
    fn directories_of_dead_runs_are_removed_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let own = std::process::id();
        // PIDs above the kernel's pid_max (at most 2^22) are never running.
        let dead = 4_194_305_u32;
        for name in [
            format!("{PREFIX}{dead}-abc"),
            format!("{PREFIX}{own}-def"),
            "choreoctl-helm-legacy".to_string(),
            format!("other-{dead}-x"),
        ] {
            std::fs::create_dir(tmp.path().join(name)).unwrap();
        }
        remove_orphans(tmp.path(), Duration::ZERO);
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut kept = [
            "choreoctl-helm-legacy".to_string(),
            format!("{PREFIX}{own}-def"),
            format!("other-{dead}-x"),
        ];
        kept.sort();
        assert_eq!(left, kept);
    }

    #[test]
    fn recent_directories_of_dead_runs_are_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let name = format!("{PREFIX}4194305-abc");
        std::fs::create_dir(tmp.path().join(&name)).unwrap();
        remove_orphans(tmp.path(), ORPHAN_AGE);
        assert!(tmp.path().join(name).exists());
    }

    #[test]
    fn the_directory_name_carries_the_pid_of_its_run() {
        let files = ValuesFiles::write(&[json!({})]).unwrap();
        let name = files
            .dir()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(creator_pid(&name), Some(std::process::id()));
    }
}
