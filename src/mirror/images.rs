//! Container images named in Kubernetes objects: the `image` of every container, init
//! container and ephemeral container of any pod template, wherever it is nested (Deployments,
//! StatefulSets, DaemonSets, Jobs, CronJobs, Pods, and custom resources that embed a pod spec).

use std::collections::BTreeSet;

use serde_json::Value;

/// Fields holding lists of containers in a pod spec.
const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The objects of `helm template` output. Charts do render a repeated key now and then (a label
/// set twice); as when the manifest is applied, the last one counts.
pub fn parse_rendered(text: &str) -> Result<Vec<Value>, String> {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    let documents: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| e.to_string())?;
    Ok(documents
        .into_iter()
        .filter(|document| !document.is_null())
        .collect())
}

/// Adds every image named in `object` to `images`.
pub fn collect(object: &Value, images: &mut BTreeSet<String>) {
    match object {
        Value::Object(fields) => {
            for (key, value) in fields {
                if CONTAINER_LISTS.contains(&key.as_str())
                    && let Value::Array(containers) = value
                {
                    images.extend(
                        containers
                            .iter()
                            .filter_map(|container| container.get("image")?.as_str())
                            .filter(|image| !image.trim().is_empty())
                            .map(|image| image.trim().to_owned()),
                    );
                }
                collect(value, images);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, images)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::{collect, parse_rendered};

    #[test]
    fn rendered_manifests_with_a_repeated_label_are_read() {
        let text = "---\n# Source: x\n---\nkind: Pod\nmetadata:\n  labels:\n    app: a\n    app: b\n\
                    spec:\n  containers: [{name: c, image: 'r/i:1'}]\n";
        let objects = parse_rendered(text).unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0]["metadata"]["labels"]["app"], "b");
    }

    #[test]
    fn finds_images_of_every_container_kind_once() {
        let deployment = json!({"kind": "Deployment", "spec": {"template": {"spec": {
            "initContainers": [{"name": "init", "image": "reg.example/init:1"}],
            "containers": [{"name": "a", "image": "reg.example/app:2"},
                           {"name": "b", "image": "reg.example/app:2"}]}}}});
        let cron = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {
            "spec": {"containers": [{"name": "c", "image": "reg.example/cron@sha256:ab"}]}}}}}});
        let config = json!({"kind": "ConfigMap", "data": {"image": "not-a-container"}});
        let mut images = BTreeSet::new();
        for object in [&deployment, &cron, &config] {
            collect(object, &mut images);
        }
        assert_eq!(
            images.into_iter().collect::<Vec<_>>(),
            [
                "reg.example/app:2",
                "reg.example/cron@sha256:ab",
                "reg.example/init:1"
            ]
        );
    }
}
