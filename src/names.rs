//! The names choreoctl gives what it writes, in one place: its server-side-apply field managers,
//! the namespace of its own state, and the labels and annotations on its objects. The lowest
//! layer: it imports nothing from the crate, and every other module takes these from here.

/// The field manager of every server-side apply choreoctl makes (`install`, and the apply
/// hooks of a helmfile export).
pub const FIELD_MANAGER: &str = "choreoctl";

/// The field manager of `copy-cas.sh`, the script of a GitOps export copying CAs between
/// clusters: disjoint from the GitOps engine's and from [`FIELD_MANAGER`].
pub const CA_COPY_FIELD_MANAGER: &str = "choreoctl-ca-copy";

/// Pod-template annotation a restart step sets to the time, as `kubectl rollout restart` sets
/// its own (src/engine/steps/restart.rs).
pub const RESTARTED_AT: &str = "choreoctl.openchoreo.dev/restarted-at";

/// Namespace holding choreoctl's own state (the lock, the journal and the ownership markers)
/// on the clusters of an installation.
pub const SYSTEM_NAMESPACE: &str = "choreoctl-system";

/// Label put on every object choreoctl keeps in [`SYSTEM_NAMESPACE`], naming its installation.
pub const INSTALLATION_LABEL: &str = "choreoctl.openchoreo.dev/installation";

/// Annotation on the lock's Lease naming the holder's process on its machine, so that a run on
/// the same machine can tell the holder has exited.
pub const HOLDER_PROCESS_ANNOTATION: &str = "choreoctl.openchoreo.dev/holder-process";

/// The `type` of the Secret holding an installation's journal, by which `check` finds the
/// installations on a cluster.
pub const JOURNAL_SECRET_TYPE: &str = "choreoctl.openchoreo.dev/journal";

/// The standard label naming the tool that manages an object.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// The value of [`MANAGED_BY_LABEL`] on the objects choreoctl creates.
pub const MANAGED_BY: &str = "choreoctl";
