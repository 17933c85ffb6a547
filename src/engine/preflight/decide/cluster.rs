//! The cluster as a whole: its Kubernetes version against the catalog's range, and the
//! permissions install needs on it.

use semver::{Version, VersionReq};

use super::{fail, pass, warn};
use crate::engine::preflight::Check;
use crate::engine::preflight::facts::Read;
use crate::engine::preflight::needs::Access;

/// Whether a server `gitVersion` (`v1.31.4`, `v1.31.4-eks-2d98532`, `v1.30.2+k3s1`) is in a
/// helm-style range (`>=1.30.0-0`). Vendor suffixes are ignored: they name builds of the same
/// Kubernetes release, not pre-releases.
pub fn version_in_range(git_version: &str, range: &str) -> Result<bool, String> {
    let requirement =
        VersionReq::parse(range).map_err(|e| format!("range `{range}` is not valid: {e}"))?;
    let core = git_version
        .trim_start_matches('v')
        .split(['-', '+'])
        .next()
        .unwrap_or_default();
    let version = Version::parse(core)
        .map_err(|e| format!("server version `{git_version}` is not a version: {e}"))?;
    Ok(requirement.matches(&version))
}

/// The server version against the catalog's range for the OpenChoreo release.
pub fn kubernetes_version(git_version: &str, range: &str, release: &str) -> Check {
    const ID: &str = "kubernetes-version";
    match version_in_range(git_version, range) {
        Ok(true) => pass(
            ID,
            format!(
                "Kubernetes {git_version} is in the range OpenChoreo {release} supports ({range})"
            ),
        ),
        Ok(false) => fail(
            ID,
            format!(
                "Kubernetes {git_version} is outside the range OpenChoreo {release} supports ({range})"
            ),
            "upgrade the cluster, or pick a release of OpenChoreo that supports it",
        ),
        Err(reason) => warn(
            ID,
            format!("cannot compare the server version with {range}: {reason}"),
            "make sure the cluster runs a supported Kubernetes release",
        ),
    }
}

/// Answers to the SelfSubjectAccessReviews of what install does on the cluster.
pub fn permissions(answers: &[(Access, Read<bool>)], context: &str) -> Check {
    const ID: &str = "permissions";
    let denied: Vec<String> = answers
        .iter()
        .filter(|(_, answer)| matches!(answer, Ok(false)))
        .map(|(access, _)| access.describe())
        .collect();
    let unknown: Vec<String> = answers
        .iter()
        .filter_map(|(access, answer)| {
            answer
                .as_ref()
                .err()
                .map(|reason| format!("{}: {reason}", access.describe()))
        })
        .collect();
    if let Some(first) = denied.first() {
        return fail(
            ID,
            format!(
                "{} of {} permissions install needs are denied: {}",
                denied.len(),
                answers.len(),
                denied.join(", ")
            ),
            format!(
                "install creates CRDs, cluster roles, webhooks and namespaces: use credentials \
                 with cluster-admin on this cluster (check one with \
                 `kubectl auth can-i {first} --context {context}`)"
            ),
        );
    }
    if !unknown.is_empty() {
        return fail(
            ID,
            format!(
                "could not ask the API server about permissions: {}",
                unknown.join("; ")
            ),
            format!(
                "check the credentials of context `{context}`: kubectl --context {context} auth can-i --list"
            ),
        );
    }
    pass(
        ID,
        format!(
            "the credentials may do what install does ({} permissions asked)",
            answers.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::preflight::Verdict;

    #[test]
    fn versions_are_compared_without_vendor_suffixes() {
        assert_eq!(version_in_range("v1.30.0", ">=1.30.0-0"), Ok(true));
        assert_eq!(
            version_in_range("v1.31.4-eks-2d98532", ">=1.30.0-0"),
            Ok(true)
        );
        assert_eq!(version_in_range("v1.32.1+k3s1", ">=1.30.0-0"), Ok(true));
        assert_eq!(version_in_range("v1.29.9", ">=1.30.0-0"), Ok(false));
        assert!(version_in_range("v0.0.0-master+$Format:%H$", ">=1.30.0-0").is_ok());
        assert!(version_in_range("banana", ">=1.30.0-0").is_err());
        let check = kubernetes_version("v1.29.9", ">=1.30.0-0", "1.2.3");
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.message.contains("outside"), "{}", check.message);
    }

    #[test]
    fn one_denied_permission_fails_with_the_can_i_command() {
        let access = crate::engine::preflight::needs::access(false);
        let mut answers: Vec<(Access, Read<bool>)> =
            access.iter().cloned().map(|a| (a, Ok(true))).collect();
        assert_eq!(permissions(&answers, "cp").verdict, Verdict::Pass);
        answers[1].1 = Ok(false);
        let check = permissions(&answers, "cp");
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.message.contains("1 of 10"), "{}", check.message);
        assert!(
            check.hint.as_deref().unwrap().contains(
                "kubectl auth can-i create customresourcedefinitions.apiextensions.k8s.io --context cp"
            ),
            "{:?}",
            check.hint
        );
        answers[1].1 = Err("forbidden".into());
        assert_eq!(permissions(&answers, "cp").verdict, Verdict::Fail);
    }
}
