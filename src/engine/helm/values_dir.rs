//! Values handed to helm as files in a private directory: the directory is 0700, each file 0600,
//! and both are gone when the helm command has finished (the value is dropped).

use std::fs::{OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

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
        let dir = tempfile::Builder::new()
            .prefix("choreoctl-helm-")
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
}
