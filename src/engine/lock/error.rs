//! How taking or keeping the lock fails, as the user reads it.

use std::time::Duration;

use crate::names::SYSTEM_NAMESPACE;

/// Why the lock could not be taken or kept. [`LockError::Held`] and [`LockError::LostRace`] mean
/// "another run holds the lock": exit code 5.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    /// Another run holds a live lock.
    #[error(
        "installation '{installation}' is locked by {holder}, running for {}, last renewed {} ago \
         (Lease {SYSTEM_NAMESPACE}/{lease})",
        human(*held_for),
        human(*renewed_ago)
    )]
    #[diagnostic(help(
        "wait for that run to finish; if it is dead (killed, lost its connection), it expires \
         within {} of its last renewal, or take the lock over now with --force-unlock",
        human(*lease_duration)
    ))]
    Held {
        /// Installation name.
        installation: String,
        /// Lease name.
        lease: String,
        /// The holder's identity (`user@host pid N`).
        holder: String,
        /// How long it has held the lock.
        held_for: Duration,
        /// How long ago it last renewed the lock.
        renewed_ago: Duration,
        /// The holder's lease duration.
        lease_duration: Duration,
    },
    /// Another run took the lock over at the same moment as this one.
    #[error("installation '{installation}': another run took the lock at the same time")]
    #[diagnostic(help("run `choreoctl status` to see who runs, and retry when it is done"))]
    LostRace {
        /// Installation name.
        installation: String,
    },
    /// The cluster refused or failed a request.
    #[error("lock of installation '{installation}': cannot {action}")]
    Kube {
        /// Installation name.
        installation: String,
        /// What was attempted.
        action: &'static str,
        /// The client's error.
        #[source]
        source: kube::Error,
    },
}

/// The lock was lost while the run held it: another run took it over, someone deleted it, or it
/// could not be renewed before it expired.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lost the lock of installation '{installation}': {reason}")]
pub struct LockLost {
    /// Installation name.
    pub installation: String,
    /// What happened.
    pub reason: String,
}

/// `3m12s`, `45s`, `2h05m`: for messages.
pub(super) fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::lock::lease_name;

    #[test]
    fn the_held_error_names_holder_age_and_the_way_out() {
        let error = LockError::Held {
            installation: "acme".into(),
            lease: lease_name("acme"),
            holder: "ana@box pid 7".into(),
            held_for: Duration::from_secs(192),
            renewed_ago: Duration::from_secs(4),
            lease_duration: Duration::from_secs(60),
        };
        assert_eq!(
            error.to_string(),
            "installation 'acme' is locked by ana@box pid 7, running for 3m12s, last renewed 4s \
             ago (Lease choreoctl-system/choreoctl-acme)"
        );
        let help = miette::Diagnostic::help(&error).unwrap().to_string();
        assert!(help.contains("--force-unlock"), "{help}");
    }

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(human(Duration::from_secs(4)), "4s");
        assert_eq!(human(Duration::from_secs(192)), "3m12s");
        assert_eq!(human(Duration::from_secs(7500)), "2h05m");
    }
}
