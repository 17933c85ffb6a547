//! Redacting secrets from both sides of a change, pairwise, so that a diff still says whether a
//! secret changed without showing it: in helm values, values under keys that look secret (the
//! rule of [`looks_secret`], the one helm's errors are redacted by); in objects, every `Secret`'s
//! `data` and `stringData` (objects name secrets in many keys — `secretName`, `secret:` volumes —
//! without holding them, so keys are not guessed there; secret values of the release's helm
//! values are redacted from manifests as text).

use serde_json::Value;

use crate::secret_keys::{REDACTED, looks_secret};

/// What replaces a secret that differs between the two sides (on the new side).
pub const REDACTED_CHANGED: &str = "[REDACTED, changed]";

/// Redacts helm values: every value under a secret-looking key, on both sides.
pub fn values_pair(before: &mut Value, after: &mut Value) {
    pair(before, after, false);
}

/// Redacts two versions of one object (either may be `Null`: absent): all of
/// `data`/`stringData` when it is a `Secret`.
pub fn object_pair(before: &mut Value, after: &mut Value) {
    let is_secret = |object: &Value| object["kind"] == "Secret";
    if is_secret(before) || is_secret(after) {
        for field in ["data", "stringData"] {
            let mut old = before.get(field).cloned().unwrap_or(Value::Null);
            let mut new = after.get(field).cloned().unwrap_or(Value::Null);
            pair(&mut old, &mut new, true);
            if let Some(map) = before.as_object_mut().filter(|_| !old.is_null()) {
                map.insert(field.into(), old);
            }
            if let Some(map) = after.as_object_mut().filter(|_| !new.is_null()) {
                map.insert(field.into(), new);
            }
        }
    }
}

fn pair(before: &mut Value, after: &mut Value, secret: bool) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<String> = old.keys().chain(new.keys()).cloned().collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let secret = secret || looks_secret(&key);
                let mut none_old = Value::Null;
                let mut none_new = Value::Null;
                let old_child = old.get_mut(&key).unwrap_or(&mut none_old);
                let new_child = new.get_mut(&key).unwrap_or(&mut none_new);
                pair(old_child, new_child, secret);
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (old, new) in old.iter_mut().zip(new.iter_mut()) {
                pair(old, new, secret);
            }
        }
        (old, new) if secret => {
            let changed = old != new;
            hide(old, REDACTED);
            hide(new, if changed { REDACTED_CHANGED } else { REDACTED });
        }
        (old, new) => {
            // Different shapes: each side on its own.
            hide_secrets(old, false);
            hide_secrets(new, false);
        }
    }
}

/// Replaces every scalar of `value` by `mark` (`null`, an absent side, stays).
fn hide(value: &mut Value, mark: &str) {
    match value {
        Value::Object(map) => map.values_mut().for_each(|child| hide(child, mark)),
        Value::Array(items) => items.iter_mut().for_each(|child| hide(child, mark)),
        Value::Null => {}
        scalar => *scalar = Value::from(mark),
    }
}

fn hide_secrets(value: &mut Value, secret: bool) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                hide_secrets(child, secret || looks_secret(key));
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|child| hide_secrets(child, secret)),
        _ if secret => hide(value, REDACTED),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secret_values_are_hidden_and_a_change_still_shows() {
        let mut before = json!({"admin": {"password": "old-pass", "user": "root"}, "replicas": 1,
            "tls": {"secretName": "agent-tls"}});
        let mut after = json!({"admin": {"password": "new-pass", "user": "root"}, "replicas": 2,
            "tls": {"secretName": "agent-tls"}, "apiToken": "tok"});
        values_pair(&mut before, &mut after);
        assert_eq!(
            before,
            json!({"admin": {"password": REDACTED, "user": "root"}, "replicas": 1,
                   "tls": {"secretName": "agent-tls"}})
        );
        assert_eq!(
            after,
            json!({"admin": {"password": REDACTED_CHANGED, "user": "root"}, "replicas": 2,
                   "tls": {"secretName": "agent-tls"}, "apiToken": REDACTED_CHANGED})
        );
    }

    #[test]
    fn an_unchanged_secret_looks_the_same_on_both_sides() {
        let mut before = json!({"token": "same"});
        let mut after = json!({"token": "same"});
        values_pair(&mut before, &mut after);
        assert_eq!(before, after);
        assert_eq!(after, json!({"token": REDACTED}));
    }

    #[test]
    fn every_key_of_a_secret_object_is_hidden() {
        let mut before = json!({"kind": "Secret", "metadata": {"name": "s"},
            "data": {"ca.crt": "Y2E=", "url": "aHR0cA=="}});
        let mut after = json!({"kind": "Secret", "metadata": {"name": "s"},
            "data": {"ca.crt": "Y2E=", "url": "bmV3"}, "stringData": {"extra": "plain"}});
        object_pair(&mut before, &mut after);
        assert_eq!(before["data"], json!({"ca.crt": REDACTED, "url": REDACTED}));
        assert_eq!(
            after["data"],
            json!({"ca.crt": REDACTED, "url": REDACTED_CHANGED})
        );
        assert_eq!(after["stringData"], json!({"extra": REDACTED_CHANGED}));
        assert_eq!(after["metadata"], json!({"name": "s"}));
    }

    #[test]
    fn a_new_object_is_redacted_too() {
        let mut before = Value::Null;
        let mut after = json!({"kind": "Secret", "data": {"k": "dg=="},
            "metadata": {"name": "agent-tls"}});
        object_pair(&mut before, &mut after);
        assert_eq!(after["data"], json!({"k": REDACTED_CHANGED}));
        assert_eq!(after["metadata"]["name"], json!("agent-tls"));
        assert!(before.is_null());
    }
}
