//! Kubeconfig files, for the resolver (which contexts exist and which is current) and for the
//! engine's cluster access. Files are read and merged by kube-rs exactly as kubectl does
//! (`KUBECONFIG` is a list).

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
pub fn read(path: Option<&Path>) -> Option<Contexts> {
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
