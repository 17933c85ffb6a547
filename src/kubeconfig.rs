//! Kubeconfig files, for the resolver (which contexts exist and which is current) and for the
//! engine's cluster access. Files are read and merged by kube-rs exactly as kubectl does
//! (`KUBECONFIG` is a list). The command layer reads them into [`KnownContexts`] before
//! resolving, so that resolution itself reads no files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kube::config::{Kubeconfig, KubeconfigError};

/// Contexts of one kubeconfig (a file, or the merged `KUBECONFIG` list).
#[derive(Debug, Clone)]
pub struct Contexts {
    /// Where they were read from, for messages.
    pub origin: String,
    /// Context names in file order.
    pub names: Vec<String>,
    /// `current-context`, when set.
    pub current: Option<String>,
}

/// The contexts planes are checked against, one entry per kubeconfig the profile's planes use.
/// A kubeconfig with no entry (not read, or unreadable) is not checked: its planes keep the
/// context they name, and a plane that names none gets "the current context" (`None`).
#[derive(Debug, Clone, Default)]
pub struct KnownContexts {
    /// Contexts of the default kubeconfig (`--kubeconfig`, else `KUBECONFIG`, else
    /// `~/.kube/config`), used by planes that set no `kubeconfig:`.
    pub default: Option<Contexts>,
    /// Contexts of the files planes name in `kubeconfig:`, keyed as the profile writes them.
    pub files: BTreeMap<String, Contexts>,
}

impl KnownContexts {
    /// Reads each kubeconfig in `used` once: `None` is the default one (`default`, else
    /// `KUBECONFIG`, else `~/.kube/config`), `Some(file)` a plane's own `kubeconfig:`.
    /// Unreadable kubeconfigs are left out: planning then stays offline for their planes.
    pub fn read<'a>(
        default: Option<&Path>,
        used: impl IntoIterator<Item = Option<&'a str>>,
    ) -> Self {
        let mut known = Self::default();
        for kubeconfig in used.into_iter().collect::<BTreeSet<_>>() {
            match kubeconfig {
                None => known.default = read(default),
                Some(file) => {
                    if let Some(contexts) = read(Some(Path::new(file))) {
                        known.files.insert(file.to_string(), contexts);
                    }
                }
            }
        }
        known
    }

    /// The contexts of the kubeconfig a plane uses (`None`: the default one), when known.
    pub fn of(&self, kubeconfig: Option<&str>) -> Option<&Contexts> {
        match kubeconfig {
            None => self.default.as_ref(),
            Some(file) => self.files.get(file),
        }
    }
}

/// A kubeconfig read as kubectl reads it, and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file, or the `KUBECONFIG` files merged (the first to define an entry wins).
    pub config: Kubeconfig,
    /// Where it was read from, for messages.
    pub origin: String,
}

/// Loads the kubeconfig at `path` (`~/` expanded), or the default one: the `KUBECONFIG` list
/// merged, else `~/.kube/config`.
pub fn load(path: Option<&Path>) -> Result<Loaded, KubeconfigError> {
    match path {
        Some(path) => Ok(Loaded {
            config: Kubeconfig::read_from(expand_home(path))?,
            origin: origin(Some(path)),
        }),
        None => Ok(Loaded {
            config: Kubeconfig::read()?,
            origin: origin(None),
        }),
    }
}

/// How [`load`] names what it reads from `path`, for messages.
pub fn origin(path: Option<&Path>) -> String {
    match path {
        Some(path) => path.display().to_string(),
        None => std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into()),
    }
}

/// Reads the kubeconfig at `path`, or the default one (`KUBECONFIG`, else `~/.kube/config`).
/// `None` when nothing readable is there: planning then stays offline.
fn read(path: Option<&Path>) -> Option<Contexts> {
    let Loaded { config, origin } = load(path).ok()?;
    Some(Contexts {
        origin,
        names: config.contexts.iter().map(|ctx| ctx.name.clone()).collect(),
        current: config.current_context,
    })
}

/// Expands a leading `~/` (profiles use `kubeconfig: ~/.kube/eu.yaml`).
pub fn expand_home(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(rest))
            .unwrap_or_else(|| path.to_path_buf()),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CONTEXTS: &str = "apiVersion: v1\nkind: Config\n\
        clusters:\n- {name: c, cluster: {server: 'https://127.0.0.1:6443'}}\n\
        users:\n- {name: u, user: {}}\n\
        contexts:\n- {name: alpha, context: {cluster: c, user: u}}\n\
        - {name: beta, context: {cluster: c, user: u}}\ncurrent-context: beta\n";

    #[test]
    fn each_kubeconfig_a_plane_uses_is_read_and_unreadable_ones_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, TWO_CONTEXTS).unwrap();
        let file = path.to_str().unwrap();
        let missing = "/nonexistent/choreoctl-test-kubeconfig";

        let known = KnownContexts::read(Some(&path), [None, Some(file), Some(missing), None]);

        for contexts in [known.of(None), known.of(Some(file))] {
            let contexts = contexts.expect("the readable kubeconfig is known");
            assert_eq!(contexts.names, ["alpha", "beta"]);
            assert_eq!(contexts.current.as_deref(), Some("beta"));
            assert_eq!(contexts.origin, file);
        }
        assert!(known.of(Some(missing)).is_none());
        assert_eq!(known.files.len(), 1);
    }

    #[test]
    fn the_default_kubeconfig_is_read_only_when_a_plane_uses_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, TWO_CONTEXTS).unwrap();
        let known = KnownContexts::read(Some(&path), [Some("/nonexistent/choreoctl-test")]);
        assert!(known.of(None).is_none());
    }
}
