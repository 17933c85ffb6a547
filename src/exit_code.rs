//! The exit codes of choreoctl (docs/exit-codes.md). A low layer: the command layer's
//! [`Error`](crate::error::Error) and the modules below it that say which code their errors
//! become take them from here.

/// Exit codes that tests outside the repository rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success.
    Success = 0,
    /// An unexpected error.
    Unexpected = 1,
    /// Invalid input: usage, profile, catalog, incompatible edition, unknown module or context.
    InvalidInput = 2,
    /// Some steps failed (failed helm releases rolled back); the others finished.
    PartialFailure = 3,
    /// A preflight check failed: a cluster unreachable or not the recorded one, helm missing.
    Preflight = 4,
    /// Another run holds the lock (or took it over during this run).
    Locked = 5,
    /// An interrupted run must be resumed or discarded.
    Interrupted = 6,
    /// `diff --exit-code`: an install would change something.
    Changes = 10,
}
