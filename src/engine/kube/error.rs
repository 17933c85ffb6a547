//! What cluster access fails with, worded for the person running choreoctl.

use miette::Diagnostic;

/// A failure to reach a cluster or to read or change objects in it.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum KubeError {
    /// The kubeconfig could not be read.
    #[error("cannot read kubeconfig {origin}: {reason}")]
    #[diagnostic(help("pass --kubeconfig, set KUBECONFIG, or name the plane's `kubeconfig` file"))]
    Kubeconfig {
        /// The file or `KUBECONFIG` list.
        origin: String,
        /// What went wrong.
        reason: String,
    },
    /// No context was named and the kubeconfig has no current context.
    #[error("kubeconfig {origin} has no current-context and no context was given")]
    #[diagnostic(help("pass --context, or set the plane's `context` in the profile"))]
    NoContext {
        /// The file or `KUBECONFIG` list.
        origin: String,
    },
    /// The context does not lead to a usable client configuration.
    #[error("context `{context}` of kubeconfig {origin}: {reason}")]
    Context {
        /// The context.
        context: String,
        /// The file or `KUBECONFIG` list.
        origin: String,
        /// What went wrong.
        reason: String,
    },
    /// The API server did not answer.
    #[error("cannot reach the cluster of context `{context}` at {server}: {reason}")]
    #[diagnostic(help(
        "check that the cluster is running and that the context points at it: \
         kubectl --context {context} version"
    ))]
    Unreachable {
        /// The context.
        context: String,
        /// The API server URL.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The API server rejected the credentials of the context.
    #[error("the cluster of context `{context}` at {server} rejected its credentials: {reason}")]
    #[diagnostic(help(
        "refresh the credentials of context `{context}` (kubectl --context {context} version)"
    ))]
    Unauthorized {
        /// The context.
        context: String,
        /// The API server URL.
        server: String,
        /// What the server said.
        reason: String,
    },
    /// The kind is not served by the cluster (e.g. its CRD is not installed).
    #[error("{api_version} {kind} is not served by the cluster of context `{context}`")]
    #[diagnostic(help("install the CustomResourceDefinition that defines it first"))]
    KindNotServed {
        /// The context.
        context: String,
        /// `apiVersion` asked for.
        api_version: String,
        /// `kind` asked for.
        kind: String,
    },
    /// A manifest is not an object choreoctl can apply.
    #[error("cannot apply {object}: {reason}")]
    Invalid {
        /// The object, as far as it could be named.
        object: String,
        /// What is missing.
        reason: String,
    },
    /// An object to remove could not be, or was still there when the wait ran out.
    #[error("cannot remove {object}: {reason}")]
    NotRemoved {
        /// The object, or the objects.
        object: String,
        /// Why, with the finalizers still pending.
        reason: String,
    },
    /// Server-side apply found fields owned by another field manager.
    #[error(
        "applying {object} on context `{context}` conflicts with other field managers: {}",
        describe_conflicts(conflicts)
    )]
    #[diagnostic(help(
        "another tool manages these fields; re-run with --force-conflicts to take them over"
    ))]
    Conflict {
        /// The context.
        context: String,
        /// The object.
        object: String,
        /// Fields and the managers owning them.
        conflicts: Vec<FieldConflict>,
    },
    /// Any other API failure.
    #[error("{action} {object} on context `{context}`: {reason}")]
    Api {
        /// The context.
        context: String,
        /// What was being done (`applying`, `reading`, ...).
        action: &'static str,
        /// The object or collection.
        object: String,
        /// What the server or the connection said.
        reason: String,
        /// The underlying error.
        #[source]
        source: kube::Error,
    },
}

/// A field owned by another manager, from a server-side apply conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    /// The field, e.g. `.spec.replicas`.
    pub field: String,
    /// The manager owning it, e.g. `kubectl-client-side-apply` or `helm`.
    pub manager: String,
}

/// Conflicts of a 409 answer to a server-side apply, if that is what it is.
pub(super) fn field_conflicts(error: &kube::Error) -> Option<Vec<FieldConflict>> {
    let kube::Error::Api(status) = error else {
        return None;
    };
    if status.code != 409 {
        return None;
    }
    let causes = status.details.as_ref()?.causes.as_slice();
    let conflicts: Vec<FieldConflict> = causes
        .iter()
        .filter(|cause| cause.reason == "FieldManagerConflict")
        .map(|cause| FieldConflict {
            field: cause.field.clone(),
            // `conflict with "helm" using apps/v1`
            manager: cause
                .message
                .split('"')
                .nth(1)
                .unwrap_or(&cause.message)
                .to_owned(),
        })
        .collect();
    (!conflicts.is_empty()).then_some(conflicts)
}

fn describe_conflicts(conflicts: &[FieldConflict]) -> String {
    conflicts
        .iter()
        .map(|c| format!("{} (owned by \"{}\")", c.field, c.manager))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error and its causes on one line: kube's top-level messages ("client error (Connect)")
/// say little without them.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_name_fields_and_managers() {
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure",
            "message": "Apply failed with 1 conflict: conflict with \"other-tool\" using v1: .data.color",
            "reason": "Conflict",
            "code": 409,
            "details": {"causes": [{
                "reason": "FieldManagerConflict",
                "message": "conflict with \"other-tool\" using v1",
                "field": ".data.color"
            }]}
        }))
        .unwrap();
        let error = kube::Error::Api(Box::new(status));
        let conflicts = field_conflicts(&error).expect("a conflict");
        assert_eq!(
            conflicts,
            vec![FieldConflict {
                field: ".data.color".into(),
                manager: "other-tool".into()
            }]
        );
        let message = KubeError::Conflict {
            context: "cp".into(),
            object: "ConfigMap demo/settings".into(),
            conflicts,
        }
        .to_string();
        assert_eq!(
            message,
            "applying ConfigMap demo/settings on context `cp` conflicts with other field managers: \
             .data.color (owned by \"other-tool\")"
        );
    }
}
