//! Cluster access: kubeconfig contexts turned into clients, one per distinct cluster, and what
//! the engine does with them (identity, discovery, server-side apply).
//!
//! - Kubeconfigs are loaded as kubectl loads them ([`crate::kubeconfig::load`]): a plane's own
//!   `kubeconfig` file, else `--kubeconfig`, else the `KUBECONFIG` list merged, else
//!   `~/.kube/config`; the context named by the plane (or `--context`), else `current-context`.
//! - [`Clusters`] hands out one [`Cluster`] per API server and user: two contexts (or two
//!   kubeconfig files) pointing at the same server with the same credentials share one client,
//!   one discovery cache and one identity lookup.
//! - Connecting checks reachability and reads the server version, and fails fast with the
//!   context and server in the message. kube's built-in retry of 429/503/504 (up to 15 times,
//!   backing off up to 1000 s) is turned off; one-shot requests here retry those answers three
//!   times within a few seconds instead, and watches (see `wait.rs`) retry with their own backoff.

mod error;
mod kinds;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::version::Info;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiResource, Scope};
use kube::{Client, Config};
use tokio::sync::OnceCell;

pub(crate) use error::chain;
pub use error::{FieldConflict, KubeError};
use kinds::Kinds;

use crate::kubeconfig;
use crate::names::FIELD_MANAGER;

/// How long a TCP (and TLS) connection to an API server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the first request (the server version) may take in all.
const VERSION_TIMEOUT: Duration = Duration::from_secs(20);
/// How long an apply waits for its kind to be served (a CRD applied a moment before).
const KIND_PATIENCE: Duration = Duration::from_secs(30);
/// Pauses before retrying a request answered 429, 503 or 504.
const TRANSIENT_PAUSES: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Where a plane's cluster is: a kubeconfig file and a context in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Target {
    /// The plane's own kubeconfig file; `None`: the default one (see [`Clusters::new`]).
    pub kubeconfig: Option<PathBuf>,
    /// The context; `None`: the kubeconfig's `current-context`.
    pub context: Option<String>,
}

impl Target {
    /// The cluster of a plan's plane: its own kubeconfig file (`~` expanded) and context.
    pub fn of_plane(plane: &crate::resolve::Plane) -> Self {
        Self {
            kubeconfig: plane
                .kubeconfig
                .as_deref()
                .map(|path| kubeconfig::expand_home(std::path::Path::new(path))),
            context: plane.context.clone(),
        }
    }

    /// `context 'dp1'`, `context 'dp1' of /path/kubeconfig`, `the current context`.
    pub fn label(&self) -> String {
        let context = self.context.as_deref().map_or_else(
            || "the current context".to_owned(),
            |c| format!("context '{c}'"),
        );
        match &self.kubeconfig {
            Some(file) => format!("{context} of {}", file.display()),
            None => context,
        }
    }
}

/// Every cluster of a run, connected on first use and shared.
pub struct Clusters {
    default_kubeconfig: Option<PathBuf>,
    by_target: Mutex<HashMap<Target, Arc<Cluster>>>,
    by_endpoint: Mutex<HashMap<Endpoint, Arc<OnceCell<Arc<Cluster>>>>>,
}

/// An API server and the credentials used on it: what makes two contexts one client.
/// (Holds credentials: deliberately not `Debug`.)
#[derive(PartialEq, Eq, Hash)]
struct Endpoint {
    server: String,
    user: String,
}

impl Clusters {
    /// Clusters reached through `default_kubeconfig` (`--kubeconfig`; `None`: the `KUBECONFIG`
    /// list, else `~/.kube/config`) unless a target names its own file.
    pub fn new(default_kubeconfig: Option<PathBuf>) -> Self {
        Clusters {
            default_kubeconfig,
            by_target: Mutex::default(),
            by_endpoint: Mutex::default(),
        }
    }

    /// The cluster of `target`, connected (reachable, version read) on first use.
    ///
    /// # Errors
    ///
    /// [`KubeError`] when the kubeconfig or its context is unusable, or the API server does not
    /// answer or refuses the credentials: a run stops with exit 4 (`Preflight`), and `check`
    /// reports a failed `reachable` check (exit 4 too).
    pub async fn connect(&self, target: &Target) -> Result<Arc<Cluster>, KubeError> {
        if let Some(cluster) = lock(&self.by_target).get(target) {
            return Ok(cluster.clone());
        }
        let (config, context) = self.config(target).await?;
        let endpoint = Endpoint {
            server: server_label(&config),
            user: serde_json::to_string(&config.auth_info).unwrap_or_default(),
        };
        let cell = lock(&self.by_endpoint).entry(endpoint).or_default().clone();
        let cluster = cell
            .get_or_try_init(|| Cluster::connect(config, context))
            .await?
            .clone();
        lock(&self.by_target).insert(target.clone(), cluster.clone());
        Ok(cluster)
    }

    async fn config(&self, target: &Target) -> Result<(Config, String), KubeError> {
        let path = target
            .kubeconfig
            .as_deref()
            .or(self.default_kubeconfig.as_deref());
        let kubeconfig::Loaded { config, origin } =
            kubeconfig::load(path).map_err(|e| KubeError::Kubeconfig {
                origin: kubeconfig::origin(path),
                reason: chain(&e),
            })?;
        let context = match (&target.context, &config.current_context) {
            (Some(context), _) | (None, Some(context)) => context.clone(),
            (None, None) => return Err(KubeError::NoContext { origin }),
        };
        let client_config =
            client_config(config, &context)
                .await
                .map_err(|reason| KubeError::Context {
                    context: context.clone(),
                    origin,
                    reason,
                })?;
        Ok((client_config, context))
    }
}

async fn client_config(kubeconfig: Kubeconfig, context: &str) -> Result<Config, String> {
    let options = KubeConfigOptions {
        context: Some(context.to_owned()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| chain(&e))?;
    config.default_retry = false;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    Ok(config)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn server_label(config: &Config) -> String {
    config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned()
}

/// A served kind, resolved through discovery.
#[derive(Debug, Clone)]
pub struct Kind {
    /// Group, version, plural and kind.
    pub resource: ApiResource,
    /// Whether its objects live in namespaces.
    pub namespaced: bool,
}

/// One connected cluster.
pub struct Cluster {
    client: Client,
    context: String,
    server: String,
    version: Info,
    identity: OnceCell<String>,
    kinds: Kinds,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .field("server", &self.server)
            .field("version", &self.version.git_version)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    async fn connect(config: Config, context: String) -> Result<Arc<Cluster>, KubeError> {
        let server = server_label(&config);
        let client = Client::try_from(config).map_err(|e| KubeError::Context {
            context: context.clone(),
            origin: server.clone(),
            reason: chain(&e),
        })?;
        let version = match tokio::time::timeout(VERSION_TIMEOUT, client.apiserver_version()).await
        {
            Ok(Ok(version)) => version,
            Ok(Err(kube::Error::Api(status))) if matches!(status.code, 401 | 403) => {
                return Err(KubeError::Unauthorized {
                    context,
                    server,
                    reason: status.message,
                });
            }
            Ok(Err(e)) => {
                return Err(KubeError::Unreachable {
                    context,
                    server,
                    reason: chain(&e),
                });
            }
            Err(_) => {
                return Err(KubeError::Unreachable {
                    context,
                    server,
                    reason: format!("no answer within {} s", VERSION_TIMEOUT.as_secs()),
                });
            }
        };
        Ok(Arc::new(Cluster {
            kinds: Kinds::new(client.clone()),
            client,
            context,
            server,
            version,
            identity: OnceCell::new(),
        }))
    }

    /// The client (shared by every plane on this cluster).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The context it was first connected through (named in messages).
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The API server URL.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The server version read on connecting.
    pub fn version(&self) -> &Info {
        &self.version
    }

    /// The cluster's identity: the UID of namespace `kube-system`, which cannot be deleted, so
    /// it changes only when the context points at another cluster.
    ///
    /// # Errors
    ///
    /// [`KubeError`] when `kube-system` cannot be read: a run stops with exit 4 (`Preflight`).
    pub async fn identity(&self) -> Result<&str, KubeError> {
        let uid = self
            .identity
            .get_or_try_init(|| async {
                let namespaces: Api<Namespace> = Api::all(self.client.clone());
                let namespace = patiently(|| namespaces.get("kube-system"))
                    .await
                    .map_err(|e| self.api_error("reading", "Namespace kube-system", e))?;
                namespace.metadata.uid.ok_or_else(|| KubeError::Invalid {
                    object: "Namespace kube-system".into(),
                    reason: "the server returned it without a uid".into(),
                })
            })
            .await?;
        Ok(uid)
    }

    /// Resolves a kind, waiting up to `patience` for it to be served. `None`: not served (yet).
    ///
    /// # Errors
    ///
    /// [`KubeError`] when discovery fails; the step asking fails with it (a run then ends with
    /// exit 3, `PartialFailure`).
    pub async fn kind(
        &self,
        api_version: &str,
        kind: &str,
        patience: Duration,
    ) -> Result<Option<Kind>, KubeError> {
        let gvk = gvk(api_version, kind);
        let found = self
            .kinds
            .resolve(&gvk, patience)
            .await
            .map_err(|e| self.api_error("discovering", "the served kinds", e))?;
        Ok(found.map(|(resource, capabilities)| Kind {
            resource,
            namespaced: capabilities.scope == Scope::Namespaced,
        }))
    }

    /// Forgets which kinds are served (after CRDs were installed, e.g. by a chart); the next
    /// lookup asks the server again.
    pub async fn refresh_kinds(&self) {
        self.kinds.invalidate().await;
    }

    /// An API for objects of `kind`, in `namespace` (the context's default namespace if `None`)
    /// when the kind is namespaced.
    pub fn api(&self, kind: &Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        if kind.namespaced {
            let namespace = namespace.unwrap_or(self.client.default_namespace());
            Api::namespaced_with(self.client.clone(), namespace, &kind.resource)
        } else {
            Api::all_with(self.client.clone(), &kind.resource)
        }
    }

    /// The object named, as JSON, if it exists; a kind that is not served (yet) means it does
    /// not exist. `namespace` is ignored for cluster-scoped kinds.
    ///
    /// # Errors
    ///
    /// [`KubeError::Api`] when the cluster cannot answer (discovery or the read failed).
    pub async fn get_value(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Option<serde_json::Value>, KubeError> {
        let Some(served) = self.kind(api_version, kind, Duration::ZERO).await? else {
            return Ok(None);
        };
        let namespace = namespace.filter(|_| served.namespaced);
        let object = self
            .api(&served, namespace)
            .get_opt(name)
            .await
            .map_err(|e| self.api_error("reading", &describe(kind, namespace, name), e))?;
        Ok(object.map(|object| serde_json::to_value(object).unwrap_or_default()))
    }

    /// Server-side applies `object` with field manager [`FIELD_MANAGER`] and strict field
    /// validation (kubectl's default); returns the object as the server has it afterwards.
    ///
    /// A kind whose CRD was applied a moment before is waited for (up to 30 s). Fields owned by
    /// another manager fail with [`KubeError::Conflict`] unless `options.force_conflicts`.
    ///
    /// # Errors
    ///
    /// [`KubeError`] when the object has no name or kind, its kind is not served, the server
    /// rejects it, or fields conflict; the step applying it fails (a run then ends with exit 3,
    /// `PartialFailure`).
    pub async fn apply(
        &self,
        object: &DynamicObject,
        options: &ApplyOptions,
    ) -> Result<DynamicObject, KubeError> {
        let name = object.metadata.name.as_deref().unwrap_or_default();
        let Some(types) = object.types.as_ref().filter(|_| !name.is_empty()) else {
            return Err(KubeError::Invalid {
                object: name.to_owned(),
                reason: "a manifest needs apiVersion, kind and metadata.name".into(),
            });
        };
        let Some(kind) = self
            .kind(&types.api_version, &types.kind, KIND_PATIENCE)
            .await?
        else {
            return Err(KubeError::KindNotServed {
                context: self.context.clone(),
                api_version: types.api_version.clone(),
                kind: types.kind.clone(),
            });
        };
        let mut body = object.clone();
        if !kind.namespaced {
            body.metadata.namespace = None;
        }
        let label = describe(&types.kind, body.metadata.namespace.as_deref(), name);
        let api = self.api(&kind, body.metadata.namespace.as_deref());
        let mut params = PatchParams::apply(FIELD_MANAGER).validation_strict();
        params.force = options.force_conflicts;
        params.dry_run = options.dry_run;
        let patch = Patch::Apply(&body);
        match patiently(|| api.patch(name, &params, &patch)).await {
            Ok(applied) => {
                if types.kind == "CustomResourceDefinition" && !options.dry_run {
                    self.refresh_kinds().await;
                }
                Ok(applied)
            }
            Err(e) => Err(match error::field_conflicts(&e) {
                Some(conflicts) => KubeError::Conflict {
                    context: self.context.clone(),
                    object: label,
                    conflicts,
                },
                None => self.api_error("applying", &label, e),
            }),
        }
    }

    /// An API error on this cluster, with the server's own message.
    pub(crate) fn api_error(
        &self,
        action: &'static str,
        object: &str,
        source: kube::Error,
    ) -> KubeError {
        let reason = match &source {
            kube::Error::Api(status) => status.message.clone(),
            other => chain(other),
        };
        KubeError::Api {
            context: self.context.clone(),
            action,
            object: object.to_owned(),
            reason,
            source,
        }
    }
}

/// How to apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Take over fields another field manager owns (`--force-conflicts`).
    pub force_conflicts: bool,
    /// Server-side dry-run: validated and defaulted by the server, nothing stored.
    pub dry_run: bool,
}

/// `Deployment demo/web`, or `CustomResourceDefinition widgets.example.org` when cluster-scoped.
pub fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

fn gvk(api_version: &str, kind: &str) -> GroupVersionKind {
    match api_version.split_once('/') {
        Some((group, version)) => GroupVersionKind::gvk(group, version, kind),
        None => GroupVersionKind::gvk("", api_version, kind),
    }
}

/// Runs a request, retrying answers that say "later" (429, 503, 504: e.g. a CRD's storage
/// "(re)initializing" just after the CRD changed) a few times.
///
/// # Errors
///
/// The request's last error.
pub async fn patiently<T, F, Fut>(mut request: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    for pause in TRANSIENT_PAUSES {
        match request().await {
            Err(kube::Error::Api(status)) if matches!(status.code, 429 | 503 | 504) => {
                tokio::time::sleep(pause).await;
            }
            done => return done,
        }
    }
    request().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_and_grouped_api_versions() {
        assert_eq!(
            gvk("v1", "Secret"),
            GroupVersionKind::gvk("", "v1", "Secret")
        );
        assert_eq!(
            gvk("cert-manager.io/v1", "Certificate"),
            GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate")
        );
    }

    #[test]
    fn objects_are_named_like_kubectl_names_them() {
        assert_eq!(
            describe("Deployment", Some("demo"), "web"),
            "Deployment demo/web"
        );
        assert_eq!(
            describe("CustomResourceDefinition", None, "widgets.example.org"),
            "CustomResourceDefinition widgets.example.org"
        );
    }
}
