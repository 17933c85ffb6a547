//! The bundle file that carries a plan's charts and manifests across an air gap: a tar holding
//!
//! - `index.json` ([`BundleIndex`]): what is inside and where each part came from;
//! - `charts/<name>-<version>.tgz`: each chart archive exactly as `helm pull` left it;
//! - `manifests/<name>/<version>/<file>`: each pinned manifest, laid out as a manifest mirror
//!   expects (`load --manifests-dir DIR` writes that tree, then `file://DIR` is the mirror).
//!
//! Entries are written with fixed owner, mode and time, so equal contents give equal bundles.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// `apiVersion` of the index.
pub const API_VERSION: &str = "choreoctl.openchoreo.dev/v1alpha1";
/// `kind` of the index.
pub const KIND: &str = "MirrorBundle";
/// The index's name inside the tar.
const INDEX: &str = "index.json";

/// What a bundle holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleIndex {
    /// [`API_VERSION`].
    pub api_version: String,
    /// [`KIND`].
    pub kind: String,
    /// The installation (profile name) it was made for.
    pub installation: String,
    /// The OpenChoreo version of its catalog release.
    pub openchoreo: String,
    /// The chart archives.
    pub charts: Vec<BundledChart>,
    /// The pinned manifests.
    pub manifests: Vec<BundledManifest>,
}

/// A chart archive in a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundledChart {
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
    /// Path of the `.tgz` inside the bundle.
    pub file: String,
}

/// A manifest in a bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundledManifest {
    /// The catalog's name of the manifest.
    pub name: String,
    /// Its pinned version.
    pub version: String,
    /// Where it was fetched from.
    pub url: String,
    /// Path inside the bundle: `manifests/<name>/<version>/<file>`.
    pub file: String,
}

impl BundledManifest {
    /// Its path below a manifest mirror's root: `<name>/<version>/<file>`.
    pub fn mirror_path(&self) -> &str {
        self.file.strip_prefix("manifests/").unwrap_or(&self.file)
    }
}

/// Writes a bundle: add the parts, then [`BundleWriter::finish`] with the index.
pub struct BundleWriter {
    builder: tar::Builder<BufWriter<File>>,
    path: PathBuf,
}

impl BundleWriter {
    /// Creates (or replaces) the file.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(BundleWriter {
            builder: tar::Builder::new(BufWriter::new(file)),
            path: path.to_path_buf(),
        })
    }

    /// Adds one file under `name` (a relative path).
    pub fn add(&mut self, name: &str, contents: &[u8]) -> anyhow::Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        self.builder
            .append_data(&mut header, name, contents)
            .with_context(|| format!("writing {name} into {}", self.path.display()))
    }

    /// Adds the index and completes the file.
    pub fn finish(mut self, index: &BundleIndex) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(index).context("serializing the bundle index")?;
        self.add(INDEX, &json)?;
        let mut out = self
            .builder
            .into_inner()
            .with_context(|| format!("finishing {}", self.path.display()))?;
        out.flush()
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

/// A bundle unpacked into a directory.
pub struct Unpacked {
    /// Its index.
    pub index: BundleIndex,
    /// Where it was unpacked.
    pub root: PathBuf,
}

impl Unpacked {
    /// Unpacks `bundle` into `dir` (an empty directory) and reads its index.
    pub fn open(bundle: &Path, dir: &Path) -> anyhow::Result<Self> {
        let file = File::open(bundle).with_context(|| format!("opening {}", bundle.display()))?;
        // tar's own message quotes raw bytes of the file; its kind is enough to tell the user.
        tar::Archive::new(file).unpack(dir).map_err(|error| {
            let kind = match error.kind() {
                std::io::ErrorKind::Other => String::new(),
                kind => format!(" ({kind})"),
            };
            anyhow::anyhow!(
                "{} cannot be unpacked{kind}: it is not a tar file, or it is damaged",
                bundle.display()
            )
        })?;
        let index_path = dir.join(INDEX);
        let text = std::fs::read_to_string(&index_path).with_context(|| {
            format!(
                "{} has no {INDEX}: it was not written by `choreoctl mirror bundle`",
                bundle.display()
            )
        })?;
        let index: BundleIndex = serde_json::from_str(&text)
            .with_context(|| format!("reading {INDEX} of {}", bundle.display()))?;
        if index.api_version != API_VERSION || index.kind != KIND {
            bail!(
                "{} is a `{}` `{}`, not a {API_VERSION} {KIND}; make it again with this \
                 choreoctl's `mirror bundle`",
                bundle.display(),
                index.api_version,
                index.kind
            );
        }
        let unpacked = Unpacked {
            index,
            root: dir.to_path_buf(),
        };
        for file in unpacked.index.charts.iter().map(|chart| &chart.file).chain(
            unpacked
                .index
                .manifests
                .iter()
                .map(|manifest| &manifest.file),
        ) {
            unpacked
                .path(file)
                .with_context(|| format!("{INDEX} of {} names {file}", bundle.display()))?;
        }
        Ok(unpacked)
    }

    /// The unpacked file a relative path of the index names; refused when it would leave the
    /// bundle or is missing.
    pub fn path(&self, file: &str) -> anyhow::Result<PathBuf> {
        let relative = Path::new(file);
        if !relative
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
        {
            bail!("`{file}` is not a plain relative path");
        }
        let path = self.root.join(relative);
        if !path.is_file() {
            bail!("`{file}` is missing from the bundle");
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(chart_file: &str) -> BundleIndex {
        BundleIndex {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            installation: "lab".into(),
            openchoreo: "1.2.3".into(),
            charts: vec![BundledChart {
                name: "thunder".into(),
                version: "0.28.0".into(),
                file: chart_file.into(),
            }],
            manifests: vec![BundledManifest {
                name: "gateway-api".into(),
                version: "v1.5.1".into(),
                url: "https://example.com/standard-install.yaml".into(),
                file: "manifests/gateway-api/v1.5.1/standard-install.yaml".into(),
            }],
        }
    }

    fn write(path: &Path, chart_file: &str) {
        let mut writer = BundleWriter::create(path).unwrap();
        writer
            .add("charts/thunder-0.28.0.tgz", b"chart bytes")
            .unwrap();
        writer
            .add(
                "manifests/gateway-api/v1.5.1/standard-install.yaml",
                b"kind: X\n",
            )
            .unwrap();
        writer.finish(&index(chart_file)).unwrap();
    }

    #[test]
    fn a_bundle_reads_back_what_was_written_and_is_reproducible() {
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a.tar"), dir.path().join("b.tar"));
        write(&first, "charts/thunder-0.28.0.tgz");
        write(&second, "charts/thunder-0.28.0.tgz");
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );

        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let unpacked = Unpacked::open(&first, &out).unwrap();
        assert_eq!(unpacked.index.charts[0].version, "0.28.0");
        let chart = unpacked.path(&unpacked.index.charts[0].file).unwrap();
        assert_eq!(std::fs::read(chart).unwrap(), b"chart bytes");
        assert_eq!(
            unpacked.index.manifests[0].mirror_path(),
            "gateway-api/v1.5.1/standard-install.yaml"
        );
    }

    #[test]
    fn an_index_naming_a_file_outside_the_bundle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("a.tar");
        write(&bundle, "../thunder.tgz");
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let error = format!("{:#}", Unpacked::open(&bundle, &out).err().unwrap());
        assert!(error.contains("not a plain relative path"), "{error}");
    }
}
