//! Journals for the unit tests of the journal's parts.

use k8s_openapi::jiff::Timestamp;
use serde_json::json;

use super::{Digest, Journal, Operation, RunStatus};

/// A time given as RFC 3339.
pub fn at(time: &str) -> Timestamp {
    time.parse().unwrap()
}

/// The digest of a string.
pub fn digest(s: &str) -> Digest {
    Digest::of_json(&json!(s))
}

/// An install journal of installation `acme` whose run has `status`.
pub fn journal(status: RunStatus) -> Journal {
    let mut journal = Journal::new(
        "acme",
        json!({"edition": "cilium"}),
        Operation::Install,
        "ana@box pid 7",
        at("2026-08-21T10:00:00Z"),
    );
    journal.run.status = status;
    journal
}
