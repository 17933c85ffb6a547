//! The profile a resolved installation comes from, as a document a user can keep in Git: what
//! `choreoctl profile show --installation NAME` prints from the journal, so an installation
//! made with `--preset` or `--edition` gets a file that `install -p` and `module add -p` take.
//! Installing the document resolves to the same installation: placement and options are
//! written only where they differ from the catalog's defaults, modules added because others
//! require them are left to the resolver, and values under secret-looking keys are masked
//! (they never appear in output; supply them again with `--set`).

use serde_json::{Map, Value, json};

use super::Resolved;
use crate::catalog::{Catalog, SECURE_CORE};
use crate::profile::model::{API_VERSION, KIND};
use crate::secret_keys::{REDACTED, looks_secret};

/// The profile document of `resolved`, and how many secret values it masks.
pub fn profile_of(catalog: &Catalog, resolved: &Resolved) -> (Value, usize) {
    let mut spec = Map::new();
    spec.insert("edition".into(), json!(resolved.edition.as_str()));
    spec.insert("version".into(), json!(resolved.version));
    spec.insert("domain".into(), json!(resolved.domain));
    spec.insert("planes".into(), planes(resolved));
    spec.insert("modules".into(), modules(catalog, resolved));
    for (key, mirror, plain_http, insecure) in [
        (
            "charts",
            resolved.charts.mirror.as_ref(),
            resolved.charts.plain_http,
            resolved.charts.insecure_non_loopback,
        ),
        (
            "manifests",
            resolved.manifests.mirror.as_ref(),
            resolved.manifests.plain_http,
            resolved.manifests.insecure_non_loopback,
        ),
    ] {
        let Some(mirror) = mirror else { continue };
        let mut source = Map::new();
        source.insert("mirror".into(), json!(mirror.value));
        if plain_http {
            source.insert("plainHttp".into(), json!(true));
        }
        if insecure {
            source.insert("insecureNonLoopback".into(), json!(true));
        }
        spec.insert(key.into(), Value::Object(source));
    }
    let mut masked = 0;
    if !resolved.adopt.is_empty() {
        spec.insert("adopt".into(), json!(resolved.adopt));
    }
    if !resolved.values.is_empty() {
        let mut values = json!(resolved.values);
        mask(&mut values, false, &mut masked);
        spec.insert("values".into(), values);
    }
    let document = json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": resolved.name},
        "spec": spec,
    });
    (document, masked)
}

fn planes(resolved: &Resolved) -> Value {
    let planes = resolved.planes.iter().map(|plane| {
        let mut entry = Map::new();
        entry.insert("name".into(), json!(plane.name));
        entry.insert("type".into(), json!(plane.plane_type.as_str()));
        if let Some(context) = &plane.context {
            entry.insert("context".into(), json!(context));
        }
        if let Some(kubeconfig) = &plane.kubeconfig {
            entry.insert("kubeconfig".into(), json!(kubeconfig));
        }
        if !plane.serves.is_empty() {
            entry.insert("serves".into(), json!(plane.serves));
        }
        if plane.plane_type == crate::platform::PlaneType::Control
            && let Some(gateway) = &resolved.cluster_gateway
        {
            entry.insert("clusterGateway".into(), json!({"address": gateway.address}));
        }
        Value::Object(entry)
    });
    Value::Array(planes.collect())
}

/// The modules the profile asked for: each with its placement and options where they differ
/// from the catalog's defaults; the Secure Core only when its options do; planned ones by name.
fn modules(catalog: &Catalog, resolved: &Resolved) -> Value {
    let mut listed = Vec::new();
    for module in &resolved.modules {
        if !module.required_by.is_empty() {
            continue;
        }
        let Some(spec) = catalog.module(&module.name) else {
            continue;
        };
        let mut entry = Map::new();
        entry.insert("name".into(), json!(module.name));
        let home: Vec<&str> = resolved
            .planes
            .iter()
            .filter(|plane| Some(plane.plane_type) == spec.home)
            .map(|plane| plane.name.as_str())
            .collect();
        let core = module.name == SECURE_CORE;
        if !core && module.planes != home {
            entry.insert("planes".into(), json!(module.planes));
        }
        let options: Map<String, Value> = module
            .options
            .iter()
            .filter(|(key, value)| spec.options.get(*key).is_none_or(|o| &o.default != *value))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if core && options.is_empty() {
            continue;
        }
        if !options.is_empty() {
            entry.insert("options".into(), Value::Object(options));
        }
        listed.push(Value::Object(entry));
    }
    for planned in &resolved.planned {
        listed.push(json!({"name": planned.name}));
    }
    Value::Array(listed)
}

/// Replaces every value under a secret-looking key with [`REDACTED`], counting them.
fn mask(value: &mut Value, secret: bool, masked: &mut usize) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                mask(child, secret || looks_secret(key), masked);
            }
        }
        Value::Array(items) => {
            for item in items {
                mask(item, secret, masked);
            }
        }
        Value::Null => {}
        scalar if secret => {
            *scalar = json!(REDACTED);
            *masked += 1;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeconfig::KnownContexts;
    use crate::platform::Edition;
    use crate::profile::ProfileRequest;
    use crate::source::SourceFile;

    fn resolve(catalog: &Catalog, text: &str) -> Resolved {
        let loaded = ProfileRequest::default()
            .load_from(SourceFile::new("p.yaml", text))
            .unwrap();
        super::super::resolve(catalog, &loaded, &KnownContexts::default()).unwrap()
    }

    #[test]
    fn every_preset_round_trips_through_its_document() {
        let catalog = Catalog::open(None).unwrap();
        let mut checked = 0;
        for (name, preset) in &catalog.presets {
            for edition in Edition::ALL {
                let request = ProfileRequest {
                    edition: Some(edition),
                    ..ProfileRequest::default()
                };
                let loaded = request.load_from(preset.clone()).unwrap();
                // A preset whose modules the edition does not support is refused, as it should.
                let Ok(resolved) =
                    super::super::resolve(&catalog, &loaded, &KnownContexts::default())
                else {
                    continue;
                };
                checked += 1;
                let (document, masked) = profile_of(&catalog, &resolved);
                assert_eq!(masked, 0, "{name}");
                let again = resolve(&catalog, &serde_json::to_string(&document).unwrap());
                assert_eq!(
                    serde_json::to_value(&again).unwrap(),
                    serde_json::to_value(&resolved).unwrap(),
                    "{name} ({edition}): {document:#}"
                );
            }
        }
        assert!(checked >= catalog.presets.len(), "only {checked} checked");
    }

    #[test]
    fn placement_options_and_secrets() {
        let catalog = Catalog::open(None).unwrap();
        let resolved = resolve(
            &catalog,
            "apiVersion: choreoctl.openchoreo.dev/v1alpha1\nkind: Profile\nmetadata: {name: x}\n\
             spec:\n  edition: cilium\n  planes:\n    - {name: control, type: control, context: a}\n\
             \x20   - {name: eu, type: data, context: b}\n    - {name: us, type: data, context: c}\n\
             \x20 modules:\n    - {name: elastic, planes: [eu]}\n    - {name: cd, options: {engine: argocd}}\n\
             \x20 values:\n    thunder: {admin: {password: hunter2}, replicas: 2}\n",
        );
        let (document, masked) = profile_of(&catalog, &resolved);
        assert_eq!(masked, 1);
        assert_eq!(
            document["spec"]["values"]["thunder"],
            json!({"admin": {"password": "[REDACTED]"}, "replicas": 2})
        );
        let modules = &document["spec"]["modules"];
        assert!(
            modules
                .as_array()
                .unwrap()
                .contains(&json!({"name": "elastic", "planes": ["eu"]})),
            "{modules}"
        );
        assert!(
            modules.as_array().unwrap().contains(&json!({"name": "cd"})),
            "the default engine is not written: {modules}"
        );
    }
}
