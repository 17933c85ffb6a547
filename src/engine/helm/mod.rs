//! Helm as a process (issue 8, item 2).
//!
//! - [`read_release_states`]: the latest revision and status of every release of a cluster in
//!   one list of helm's storage Secrets, without running helm.

mod storage;

pub use storage::{ReleaseStates, ReleaseStatus, StoredRelease, read_release_states};
