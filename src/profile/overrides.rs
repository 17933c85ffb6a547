//! `-f FILE` and `--set PATH=VALUE`: command-line changes to a profile, applied to its document
//! before it is parsed, so the result is checked exactly like a profile file.
//!
//! Precedence: the profile (file or preset), then each `-f` fragment in order (maps merge key
//! by key, lists and scalars are replaced: later wins), then each `--set` in order. The flags
//! `--edition`, `--context` and `--plane-context` apply after all of them.

use serde_json::Value;

use crate::secret_keys::looks_secret;

/// One `--set`: the path (`spec.values.thunder.replicas`) and the value, read as YAML
/// (`2` is a number, `true` a boolean, anything not YAML a string).
#[derive(Debug, Clone, PartialEq)]
pub struct SetValue {
    /// The dotted path; list items by index (`spec.planes.0.context`).
    pub path: Vec<String>,
    /// The value.
    pub value: Value,
}

impl SetValue {
    /// Parses `PATH=VALUE`.
    ///
    /// # Errors
    ///
    /// What is wrong when there is no `=` or the path has an empty key; the profile's loader
    /// turns it into [`ProfileError::Flag`](super::ProfileError::Flag) (exit 2).
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((path, value)) = text.split_once('=') else {
            return Err("expected PATH=VALUE, e.g. spec.domain=example.com".into());
        };
        let path: Vec<String> = path.split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!(
                "`{}` is not a path: keys separated by dots, e.g. spec.values.thunder.replicas",
                path.join(".")
            ));
        }
        let value = match serde_saphyr::from_str::<Value>(value) {
            Ok(Value::Null) if !value.trim().is_empty() && value.trim() != "null" => {
                Value::from(value)
            }
            Ok(parsed) => parsed,
            Err(_) => Value::from(value),
        };
        Ok(SetValue { path, value })
    }

    /// Whether the value lands under a secret-looking key (then it is never shown).
    pub fn is_secret(&self) -> bool {
        self.path.iter().any(|key| looks_secret(key))
    }

    /// Sets the value in `document`, creating maps on the way; fails when the path goes
    /// through something that is not a map (or a list, with an index in range).
    ///
    /// # Errors
    ///
    /// Where the path stops being a map or a list with that index; the profile's loader turns
    /// it into [`ProfileError::Flag`](super::ProfileError::Flag) (exit 2).
    pub fn apply(&self, document: &mut Value) -> Result<(), String> {
        let mut at = document;
        for (depth, key) in self.path.iter().enumerate() {
            let last = depth + 1 == self.path.len();
            let here = self.path[..depth].join(".");
            if at.is_null() {
                *at = Value::Object(serde_json::Map::new());
            }
            at = match at {
                Value::Object(map) => {
                    if last {
                        map.insert(key.clone(), self.value.clone());
                        return Ok(());
                    }
                    map.entry(key.clone()).or_insert(Value::Null)
                }
                Value::Array(items) => {
                    let index = key.parse::<usize>().ok().filter(|i| *i < items.len());
                    let Some(index) = index else {
                        return Err(format!(
                            "{here} is a list of {} item(s): `{key}` is not an index in it",
                            items.len()
                        ));
                    };
                    if last {
                        items[index] = self.value.clone();
                        return Ok(());
                    }
                    &mut items[index]
                }
                _ => {
                    return Err(format!(
                        "{here} is a single value, so it has no key `{key}`"
                    ));
                }
            };
        }
        Ok(())
    }
}

/// Deep-merges `over` into `base`: maps key by key, anything else replaced.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (key, value) in over {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, over) => *base = over,
    }
}

/// `text` with every secret `--set` value replaced by asterisks of the same length, so that
/// errors located in the merged profile point at the same place without showing it.
pub fn mask_secrets(text: &str, sets: &[SetValue]) -> String {
    let mut masked = text.to_owned();
    for set in sets.iter().filter(|set| set.is_secret()) {
        let mut secrets = Vec::new();
        collect_scalars(&set.value, &mut secrets);
        for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
            masked = masked.replace(secret.as_str(), &"*".repeat(secret.len()));
        }
    }
    masked
}

fn collect_scalars(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Number(number) => out.push(number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| collect_scalars(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect_scalars(item, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_read_as_yaml_scalars() {
        let set = SetValue::parse("spec.values.thunder.replicas=2").unwrap();
        assert_eq!(set.path, ["spec", "values", "thunder", "replicas"]);
        assert_eq!(set.value, json!(2));
        assert_eq!(
            SetValue::parse("spec.domain=example.com").unwrap().value,
            json!("example.com")
        );
        assert_eq!(SetValue::parse("a.b=true").unwrap().value, json!(true));
        assert_eq!(SetValue::parse("a.b=").unwrap().value, json!(null));
    }

    #[test]
    fn malformed_flags_say_what_is_wrong() {
        assert!(
            SetValue::parse("spec.domain")
                .unwrap_err()
                .contains("PATH=VALUE")
        );
        assert!(
            SetValue::parse("spec..domain=x")
                .unwrap_err()
                .contains("not a path")
        );
    }

    #[test]
    fn sets_create_maps_and_index_lists() {
        let mut doc = json!({"spec": {"planes": [{"name": "control"}]}});
        SetValue::parse("spec.values.thunder.replicas=2")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        SetValue::parse("spec.planes.0.context=cp")
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        assert_eq!(
            doc,
            json!({"spec": {"planes": [{"name": "control", "context": "cp"}],
                            "values": {"thunder": {"replicas": 2}}}})
        );
        let error = SetValue::parse("spec.planes.x=1")
            .unwrap()
            .apply(&mut doc)
            .unwrap_err();
        assert_eq!(
            error,
            "spec.planes is a list of 1 item(s): `x` is not an index in it"
        );
        let error = SetValue::parse("spec.values.thunder.replicas.x=1")
            .unwrap()
            .apply(&mut doc)
            .unwrap_err();
        assert!(error.starts_with("spec.values.thunder.replicas is a single value"));
    }

    #[test]
    fn fragments_merge_maps_and_replace_the_rest() {
        let mut doc = json!({"spec": {"domain": "a", "modules": ["x"], "values": {"t": {"r": 1}}}});
        merge(
            &mut doc,
            json!({"spec": {"modules": ["y"], "values": {"t": {"s": 2}}}}),
        );
        assert_eq!(
            doc,
            json!({"spec": {"domain": "a", "modules": ["y"], "values": {"t": {"r": 1, "s": 2}}}})
        );
    }

    #[test]
    fn secret_sets_are_masked_keeping_positions() {
        let sets = [
            SetValue::parse("spec.values.openbao.rootToken=s3cr3t").unwrap(),
            SetValue::parse("spec.domain=example.com").unwrap(),
        ];
        assert!(sets[0].is_secret() && !sets[1].is_secret());
        let text = "domain: example.com\nrootToken: s3cr3t\n";
        let masked = mask_secrets(text, &sets);
        assert_eq!(masked, "domain: example.com\nrootToken: ******\n");
        assert_eq!(masked.len(), text.len());
    }
}
