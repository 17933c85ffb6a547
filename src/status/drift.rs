//! CA drift: the CA registered for a plane on the control plane (`spec.clusterAgent.clientCA.value`
//! of its `Cluster<Type>Plane`) against the live `ca.crt` of the plane's agent certificate
//! Secret (`cluster-agent-tls`) on the plane's own cluster. When they differ, the control plane
//! refuses the agent (`websocket: bad handshake`): the failure OpenChoreo users meet when an agent
//! certificate is re-issued. Pure.

use serde::Serialize;

/// What a lookup of one side found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The PEM text.
    Found(String),
    /// The object or key does not exist.
    Missing,
    /// It could not be read (unreachable cluster, refused request), and why.
    Failed(String),
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaState {
    /// The registered CA is the live one.
    Match,
    /// They differ: the agent is refused.
    Drift,
    /// The registration or the agent's certificate Secret does not exist.
    Missing,
    /// One side could not be read.
    Unknown,
}

impl CaState {
    /// How tables show it: `match`, `DRIFT`, `missing`, `unknown`.
    pub fn label(self) -> &'static str {
        match self {
            CaState::Match => "match",
            CaState::Drift => "DRIFT",
            CaState::Missing => "missing",
            CaState::Unknown => "unknown",
        }
    }
}

/// PEM text compared without regard to line endings and surrounding blank space.
fn normalized(pem: &str) -> String {
    pem.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares the registered CA (`registered`, found in `resource`) with the live one (`live`,
/// found in `secret`) of `plane`; returns the verdict and a sentence for the user.
pub fn compare_ca(
    registered: &Lookup,
    live: &Lookup,
    resource: &str,
    secret: &str,
    plane: &str,
) -> (CaState, String) {
    match (registered, live) {
        (Lookup::Failed(why), _) => (CaState::Unknown, format!("cannot read {resource}: {why}")),
        (_, Lookup::Failed(why)) => (CaState::Unknown, format!("cannot read {secret}: {why}")),
        (Lookup::Missing, _) => (
            CaState::Missing,
            format!(
                "{resource} has no clientCA: the plane is not registered; `choreoctl install` registers it"
            ),
        ),
        (_, Lookup::Missing) => (
            CaState::Missing,
            format!(
                "{secret} has no ca.crt on the plane's cluster: the agent has no certificate yet"
            ),
        ),
        (Lookup::Found(registered), Lookup::Found(live)) => {
            if normalized(registered) == normalized(live) {
                (
                    CaState::Match,
                    format!("{resource} carries the live ca.crt of {secret}"),
                )
            } else {
                (
                    CaState::Drift,
                    format!(
                        "the CA registered in {resource} is not the live ca.crt of {secret}: the \
                         control plane will refuse the agent (websocket: bad handshake); \
                         `choreoctl plane sync-ca {plane}` registers the live CA and restarts \
                         the agent"
                    ),
                )
            }
        }
    }
}

/// Compares a CA copy (`copy`, found in `copy_in` on `plane`'s cluster) with its source
/// (`source`, found in `source_in`); returns the verdict and a sentence for the user.
pub fn compare_copy(
    copy: &Lookup,
    source: &Lookup,
    copy_in: &str,
    source_in: &str,
    plane: &str,
) -> (CaState, String) {
    let repair = format!("`choreoctl plane sync-ca {plane}` copies it again");
    match (copy, source) {
        (Lookup::Failed(why), _) => (CaState::Unknown, format!("cannot read {copy_in}: {why}")),
        (_, Lookup::Failed(why)) => (CaState::Unknown, format!("cannot read {source_in}: {why}")),
        (_, Lookup::Missing) => (
            CaState::Missing,
            format!("{source_in} has no ca.crt: the cluster gateway has no CA yet"),
        ),
        (Lookup::Missing, _) => (CaState::Missing, format!("{copy_in} holds no CA: {repair}")),
        (Lookup::Found(copy), Lookup::Found(source)) => {
            if normalized(copy) == normalized(source) {
                (
                    CaState::Match,
                    format!("{copy_in} holds the ca.crt of {source_in}"),
                )
            } else {
                (
                    CaState::Drift,
                    format!(
                        "{copy_in} is not the ca.crt of {source_in}: what reads it cannot verify \
                         the cluster gateway (x509: certificate signed by unknown authority); \
                         {repair} and restarts the agent"
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    fn check(registered: Lookup, live: Lookup) -> CaState {
        compare_ca(
            &registered,
            &live,
            "ClusterDataPlane default",
            "Secret ns/cluster-agent-tls",
            "default",
        )
        .0
    }

    #[test]
    fn the_same_pem_matches_whatever_its_line_endings() {
        let crlf = CA.replace('\n', "\r\n");
        assert_eq!(
            check(Lookup::Found(CA.into()), Lookup::Found(crlf)),
            CaState::Match
        );
        assert_eq!(
            check(Lookup::Found(CA.trim().into()), Lookup::Found(CA.into())),
            CaState::Match
        );
    }

    #[test]
    fn another_ca_is_drift_and_says_how_to_repair_it() {
        let other = CA.replace("MIIB", "MIIC");
        let (state, detail) = compare_ca(
            &Lookup::Found(CA.into()),
            &Lookup::Found(other),
            "ClusterDataPlane default",
            "Secret ns/cluster-agent-tls",
            "default",
        );
        assert_eq!(state, CaState::Drift);
        assert!(
            detail.contains("bad handshake") && detail.contains("choreoctl plane sync-ca default"),
            "{detail}"
        );
    }

    #[test]
    fn a_copy_matches_its_source_or_says_how_it_is_copied_again() {
        let copy = |copy: Lookup, source: Lookup| {
            compare_copy(
                &copy,
                &source,
                "ConfigMap p/cluster-gateway-ca",
                "Secret c/cluster-gateway-ca",
                "dp",
            )
        };
        let crlf = CA.replace('\n', "\r\n");
        assert_eq!(
            copy(Lookup::Found(crlf), Lookup::Found(CA.into())).0,
            CaState::Match
        );
        let (state, detail) = copy(
            Lookup::Found(CA.replace("MIIB", "MIIC")),
            Lookup::Found(CA.into()),
        );
        assert_eq!(state, CaState::Drift);
        assert!(detail.contains("`choreoctl plane sync-ca dp`"), "{detail}");
        assert_eq!(
            copy(Lookup::Missing, Lookup::Found(CA.into())).0,
            CaState::Missing
        );
        assert_eq!(
            copy(Lookup::Found(CA.into()), Lookup::Failed("down".into())).0,
            CaState::Unknown
        );
    }

    #[test]
    fn a_missing_or_unreadable_side_is_not_called_a_match() {
        assert_eq!(
            check(Lookup::Missing, Lookup::Found(CA.into())),
            CaState::Missing
        );
        assert_eq!(
            check(Lookup::Found(CA.into()), Lookup::Missing),
            CaState::Missing
        );
        assert_eq!(
            check(
                Lookup::Found(CA.into()),
                Lookup::Failed("unreachable".into())
            ),
            CaState::Unknown
        );
        assert_eq!(
            check(Lookup::Failed("forbidden".into()), Lookup::Found(CA.into())),
            CaState::Unknown
        );
    }
}
