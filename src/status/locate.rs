//! Which installation `status` reports on: the one named (`--installation`, or the profile's
//! name), else the only one whose journal is on the control plane's cluster.

use super::error::StatusError;
use crate::engine::journal::{Journal, JournalStore, list_installations};
use crate::engine::kube::Cluster;

/// Chooses among the installations found on `context` (pure).
pub fn choose(found: &[String], asked: Option<&str>, context: &str) -> Result<String, StatusError> {
    match (asked, found) {
        (Some(name), _) if found.iter().any(|f| f == name) => Ok(name.to_owned()),
        (Some(name), _) => Err(StatusError::NotFound {
            name: name.to_owned(),
            context: context.to_owned(),
            others: found.to_vec(),
        }),
        (None, []) => Err(StatusError::NoInstallation {
            context: context.to_owned(),
        }),
        (None, [only]) => Ok(only.clone()),
        (None, several) => Err(StatusError::Several {
            context: context.to_owned(),
            names: several.to_vec(),
        }),
    }
}

/// Finds the installation on the control plane's `cluster` and loads its journal.
pub async fn locate(cluster: &Cluster, asked: Option<&str>) -> Result<Journal, StatusError> {
    let context = cluster.context();
    let found = list_installations(cluster.client())
        .await
        .map_err(|e| StatusError::List {
            context: context.to_owned(),
            reason: e.to_string(),
        })?;
    let name = choose(&found, asked, context)?;
    let stored = JournalStore::new(cluster.client(), &name).load().await?;
    stored
        .map(|stored| stored.journal)
        .ok_or_else(|| StatusError::NotFound {
            name,
            context: context.to_owned(),
            others: found,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_only_installation_is_taken_unasked() {
        assert_eq!(choose(&names(&["acme"]), None, "cp").unwrap(), "acme");
    }

    #[test]
    fn several_installations_need_a_name_and_list_them() {
        let error = choose(&names(&["a", "b"]), None, "cp").unwrap_err();
        assert_eq!(
            error.to_string(),
            "context `cp` holds 2 installations: a, b"
        );
        assert_eq!(choose(&names(&["a", "b"]), Some("b"), "cp").unwrap(), "b");
    }

    #[test]
    fn a_missing_installation_is_named_with_what_is_there() {
        let none = choose(&[], None, "cp").unwrap_err();
        assert!(
            none.to_string().starts_with("no OpenChoreo installation"),
            "{none}"
        );
        let other = choose(&names(&["a"]), Some("z"), "cp").unwrap_err();
        assert_eq!(
            other.to_string(),
            "no installation `z` on context `cp` (installations there: a)"
        );
    }
}
