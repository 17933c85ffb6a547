//! Reading the catalog's files from the binary or from a directory.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{Dir, include_dir};

static MODULES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/modules");
static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static PROFILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/profiles");
/// The module files converted to JSON by build.rs (`modules/x.yaml` → `modules/x.json`).
static MODULES_JSON: Dir<'_> = include_dir!("$OUT_DIR/catalog-json/modules");

/// Catalog files keyed by their path relative to the catalog root
/// (`modules/cd.yaml`, `templates/cd/argo-cd.yaml.j2`, `profiles/fintech.yaml`).
pub type Files = BTreeMap<String, String>;

/// The files compiled into the binary.
pub fn embedded() -> Files {
    let mut files = Files::new();
    for (root, dir) in [
        ("modules", &MODULES),
        ("templates", &TEMPLATES),
        ("profiles", &PROFILES),
    ] {
        collect_embedded(root, dir, &mut files);
    }
    files
}

fn collect_embedded(root: &str, dir: &Dir<'_>, files: &mut Files) {
    for file in dir.files() {
        if let Some(text) = file.contents_utf8() {
            files.insert(
                format!("{root}/{}", file.path().display()),
                text.to_string(),
            );
        }
    }
    for sub in dir.dirs() {
        collect_embedded(root, sub, files);
    }
}

/// The files under `dir/{modules,templates,profiles}`.
pub fn from_dir(dir: &Path) -> std::io::Result<Files> {
    let mut files = Files::new();
    for root in ["modules", "templates", "profiles"] {
        let base = dir.join(root);
        if base.is_dir() {
            collect_dir(dir, &base, &mut files)?;
        } else if root != "profiles" {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} has no `{root}/` directory", dir.display()),
            ));
        }
    }
    Ok(files)
}

fn collect_dir(root: &Path, dir: &Path, files: &mut Files) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_dir(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .expect("walked below root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(relative, std::fs::read_to_string(&path)?);
        }
    }
    Ok(())
}

/// The build-time JSON form of an embedded `modules/….yaml` file.
pub fn embedded_json(path: &str) -> Option<&'static str> {
    let relative = path.strip_prefix("modules/")?.strip_suffix(".yaml")?;
    MODULES_JSON
        .get_file(format!("{relative}.json"))
        .and_then(|file| file.contents_utf8())
}
