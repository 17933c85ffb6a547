//! What the resolver needs from kubeconfig files: which contexts exist and which is current.
//! Files are read and merged by kube-rs exactly as kubectl does (`KUBECONFIG` is a list).

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

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

/// Reads the kubeconfig at `path`, or the default one (`KUBECONFIG`, else `~/.kube/config`).
/// `None` when nothing readable is there: planning then stays offline.
pub fn read(path: Option<&Path>) -> Option<Contexts> {
    let (config, origin) = match path {
        Some(path) => (
            Kubeconfig::read_from(expand_home(path)).ok()?,
            path.display().to_string(),
        ),
        None => {
            let origin = std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into());
            (Kubeconfig::read().ok()?, origin)
        }
    };
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
