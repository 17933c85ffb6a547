//! Apply steps: server-side apply, in order, of rendered objects or of a pinned remote manifest
//! (such as the Gateway API CRDs).
//!
//! A remote manifest is fetched when the step runs: `https://`, `http://` only when the
//! profile's manifest mirror is plain HTTP, or `file://` (an air-gapped mirror on disk). Its
//! documents are split with serde-saphyr; empty documents are ignored.
//!
//! Apply steps always run (a server-side apply of unchanged objects changes nothing, and running
//! it repairs drift). A dry run applies each object with the server's dry run; a preview compares
//! each live object with the result of that dry run.

use std::time::Duration;

use kube::api::DynamicObject;
use serde_json::Value;

use super::{Change, Mode, ObjectState, Preview, StepDone, StepEnv, StepError};
use crate::catalog::model::ResourceRef;
use crate::engine::kube::{ApplyOptions, Cluster, KubeError, chain, describe};
use crate::plan::{ApplyAction, RemoteManifest};

/// Field managers whose fields an apply step takes over instead of failing: helm (chart
/// placeholders) and the CA copier of choreoctl's GitOps exports.
const TAKEN_OVER: [&str; 2] = ["helm", crate::names::CA_COPY_FIELD_MANAGER];

/// How long fetching a remote manifest may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Applies the objects of `action` (in a dry run: server-side dry-run applies, nothing stored);
/// objects without a namespace get `namespace` (the kind decides whether it is used). Fields
/// that only helm or choreoctl's own GitOps CA copier own are taken over ([`apply_object`]).
///
/// A dry run cannot check an object whose kind or namespace an earlier step creates: it says so
/// in a note and goes on.
///
/// # Errors
///
/// [`StepError::Manifest`] when a remote manifest cannot be fetched; [`StepError::Kube`] when
/// the cluster refuses an object (a conflict with another field manager, an invalid object).
pub async fn run(
    env: &StepEnv<'_>,
    action: &ApplyAction,
    namespace: Option<&str>,
) -> Result<StepDone, StepError> {
    let mut notes = Vec::new();
    let mut applied = Vec::new();
    for object in objects(env, action).await? {
        let label = label(&object, namespace);
        if env.mode == Mode::DryRun {
            let kind = object["kind"].as_str().unwrap_or_default();
            let api_version = object["apiVersion"].as_str().unwrap_or_default();
            if env
                .cluster
                .kind(api_version, kind, Duration::ZERO)
                .await?
                .is_none()
            {
                notes.push(format!(
                    "{label} not checked: {kind} is not served yet (an earlier step installs it)"
                ));
                continue;
            }
        }
        match apply_object(env, object, namespace).await {
            Ok((stored, note)) => {
                notes.extend(note);
                applied.extend(reference(&stored));
            }
            Err(KubeError::Api {
                source: kube::Error::Api(status),
                ..
            }) if env.mode == Mode::DryRun && status.code == 404 => notes.push(format!(
                "{label} not checked: {} (an earlier step creates it)",
                status.message
            )),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(StepDone {
        notes,
        applied,
        ..StepDone::default()
    })
}

/// The ref of an object as the cluster stored it (namespaced kinds carry their namespace).
fn reference(object: &DynamicObject) -> Option<ResourceRef> {
    let types = object.types.as_ref()?;
    Some(ResourceRef {
        api_version: types.api_version.clone(),
        kind: types.kind.clone(),
        namespace: object.metadata.namespace.clone(),
        name: object.metadata.name.clone()?,
    })
}

/// What applying `action` would change, object by object: absent (install), the same after a
/// server-side dry-run apply (no-op) or not (upgrade). An object whose values still carry an
/// output that cannot be read yet (`waiting_for`, a read step) is `unknown`.
pub async fn preview(
    env: &StepEnv<'_>,
    action: &ApplyAction,
    namespace: Option<&str>,
    waiting_for: Option<&str>,
) -> Preview {
    let objects = match objects(env, action).await {
        Ok(objects) => objects,
        Err(error) => return Preview::new(Change::Unknown, error.to_string()),
    };
    let mut states = Vec::new();
    let mut change = Change::NoOp;
    let mut reasons = Vec::new();
    for object in objects {
        let (state, object_change, reason) =
            preview_object(env, object, namespace, waiting_for).await;
        if object_change != Change::NoOp {
            change = change.min(object_change);
            reasons.push(format!("{}: {reason}", state.label));
        }
        states.push(state);
    }
    Preview {
        change,
        reason: first_reasons(&reasons),
        objects: states,
    }
}

/// Server-side applies one object as `env`'s mode says (a dry run in a dry run or preview). A
/// conflict only with the [`TAKEN_OVER`] managers takes their fields over and says so in the
/// returned note: a chart's placeholder that the install fills in (OpenChoreo's control plane
/// chart ships ConfigMap cluster-gateway-ca empty for the installer to write), or a copy made by
/// a GitOps export's `copy-cas.sh` before choreoctl took over. Run, dry run and preview share
/// this, so they agree on which conflicts stop a step.
///
/// # Errors
///
/// [`KubeError::Conflict`] with any other field manager (unless `--force-conflicts`);
/// [`KubeError::Invalid`] for an object that is not one; the cluster's other refusals.
pub async fn apply_object(
    env: &StepEnv<'_>,
    object: Value,
    namespace: Option<&str>,
) -> Result<(DynamicObject, Option<String>), KubeError> {
    let mut object: DynamicObject =
        serde_json::from_value(object).map_err(|e| KubeError::Invalid {
            object: "a rendered object".into(),
            reason: e.to_string(),
        })?;
    if object.metadata.namespace.is_none() {
        object.metadata.namespace = namespace.map(str::to_owned);
    }
    let options = ApplyOptions {
        force_conflicts: env.force_conflicts,
        dry_run: env.mode.changes_nothing(),
    };
    match env.cluster.apply(&object, &options).await {
        Err(KubeError::Conflict {
            object: label,
            conflicts,
            ..
        }) if conflicts
            .iter()
            .all(|conflict| TAKEN_OVER.contains(&conflict.manager.as_str())) =>
        {
            let forced = ApplyOptions {
                force_conflicts: true,
                ..options
            };
            let applied = env.cluster.apply(&object, &forced).await?;
            let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
            let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
            managers.dedup();
            let verb = if options.dry_run {
                "would take"
            } else {
                "took"
            };
            let note = format!(
                "{verb} {} of {label} over from {} (a placeholder the chart leaves to the \
                 installer, or choreoctl's own CA copy)",
                fields.join(", "),
                managers.join(" and ")
            );
            Ok((applied, Some(note)))
        }
        other => other.map(|applied| (applied, None)),
    }
}

/// The objects of `action`: rendered, or fetched from its pinned manifest.
async fn objects(env: &StepEnv<'_>, action: &ApplyAction) -> Result<Vec<Value>, StepError> {
    match action {
        ApplyAction::Objects(objects) => Ok(objects.clone()),
        ApplyAction::Remote(remote) => fetch(remote, env.manifests_plain_http).await,
    }
}

/// `Kind namespace/name` of a rendered object.
fn label(object: &Value, namespace: Option<&str>) -> String {
    describe(
        object["kind"].as_str().unwrap_or_default(),
        object["metadata"]["namespace"].as_str().or(namespace),
        object["metadata"]["name"].as_str().unwrap_or_default(),
    )
}

/// One object of a preview: its state, change and why.
async fn preview_object(
    env: &StepEnv<'_>,
    object: Value,
    namespace: Option<&str>,
    waiting_for: Option<&str>,
) -> (ObjectState, Change, String) {
    let cluster: &Cluster = env.cluster;
    let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let object_namespace = object["metadata"]["namespace"]
        .as_str()
        .or(namespace)
        .map(str::to_owned);
    let mut state = ObjectState {
        label: describe(&kind, object_namespace.as_deref(), &name),
        live: None,
        applied: None,
    };
    let namespaced = match cluster.kind(&api_version, &kind, Duration::ZERO).await {
        Ok(Some(served)) => served.namespaced,
        Ok(None) => return (state, Change::Install, format!("{kind} is not served yet")),
        Err(error) => return (state, Change::Unknown, error.to_string()),
    };
    let object_namespace = object_namespace.filter(|_| namespaced);
    state.label = describe(&kind, object_namespace.as_deref(), &name);
    let live = match cluster
        .get_value(&api_version, &kind, object_namespace.as_deref(), &name)
        .await
    {
        Ok(live) => live,
        Err(error) => return (state, Change::Unknown, error.to_string()),
    };
    state.live = live.as_ref().map(without_bookkeeping);
    if live.is_none() {
        return (state, Change::Install, "absent".into());
    }
    if let Some(read) = waiting_for {
        return (
            state,
            Change::Unknown,
            format!("uses the output of {read}, not readable yet"),
        );
    }
    match apply_object(env, object, object_namespace.as_deref()).await {
        Ok((applied, _)) => {
            let applied = without_bookkeeping(&serde_json::to_value(&applied).unwrap_or_default());
            let change = if Some(&applied) == state.live.as_ref() {
                Change::NoOp
            } else {
                Change::Upgrade
            };
            state.applied = Some(applied);
            (state, change, "differs from the live object".into())
        }
        Err(error) => (
            state,
            Change::Unknown,
            format!("dry-run apply failed: {error}"),
        ),
    }
}

/// `object` without what the server changes on every write (`managedFields`,
/// `resourceVersion`, `generation`) and without `status`: what is compared and diffed.
pub fn without_bookkeeping(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in ["managedFields", "resourceVersion", "generation"] {
            metadata.remove(field);
        }
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
    }
    object
}

/// The first reason, and how many more.
fn first_reasons(reasons: &[String]) -> String {
    match reasons {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// Fetches a manifest and splits it into its objects.
///
/// # Errors
///
/// [`StepError::Manifest`] when it cannot be fetched or is not YAML; the step fails, and the
/// run ends with exit 3 after its other steps.
pub async fn fetch(remote: &RemoteManifest, plain_http: bool) -> Result<Vec<Value>, StepError> {
    let text = fetch_text(&remote.url, plain_http).await?;
    split(&text).map_err(|reason| StepError::Manifest {
        url: remote.url.clone(),
        reason,
    })
}

/// Fetches a manifest as text: `file://`, `https://`, or `http://` when `plain_http`.
///
/// # Errors
///
/// [`StepError::Manifest`] naming the URL and why (not found, refused, plain HTTP not
/// allowed); as for [`fetch`].
pub async fn fetch_text(url: &str, plain_http: bool) -> Result<String, StepError> {
    let failed = |reason: String| StepError::Manifest {
        url: url.to_owned(),
        reason,
    };
    if let Some(path) = url.strip_prefix("file://") {
        std::fs::read_to_string(path).map_err(|e| failed(e.to_string()))
    } else if url.starts_with("https://") || (plain_http && url.starts_with("http://")) {
        download(url).await.map_err(failed)
    } else {
        Err(failed(
            "only https:// and file:// URLs are fetched (http:// only from a manifest mirror \
             marked plainHttp)"
                .into(),
        ))
    }
}

async fn download(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| chain(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the server answered {status}"));
    }
    response.text().await.map_err(|e| e.to_string())
}

/// The objects of a multi-document YAML manifest; empty documents and `null`s are dropped.
///
/// # Errors
///
/// The YAML parser's message when the text is not YAML.
pub fn split(text: &str) -> Result<Vec<Value>, String> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    Ok(documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{first_reasons, split, without_bookkeeping};

    #[test]
    fn bookkeeping_is_not_a_change() {
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "7",
            "generation": 2, "managedFields": [{}], "uid": "u"}, "data": {"k": "v"},
            "status": {"x": 1}});
        let applied = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "8",
            "uid": "u"}, "data": {"k": "v"}});
        assert_eq!(without_bookkeeping(&live), without_bookkeeping(&applied));
    }

    #[test]
    fn reasons_are_summarized() {
        assert_eq!(first_reasons(&[]), "");
        assert_eq!(
            first_reasons(&["a: absent".into(), "b: absent".into()]),
            "a: absent (and 1 more)"
        );
    }

    #[test]
    fn splits_multi_document_manifests() {
        let text = "---\n# comment only\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n\
                    ---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n...\n";
        let objects = split(text).unwrap();
        let names: Vec<&str> = objects
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }
}
