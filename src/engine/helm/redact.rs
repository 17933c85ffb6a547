//! Redacting secret values from what helm prints.
//!
//! A value is secret when it sits (at any depth) under a key that looks secret (the rule of
//! [`looks_secret`]). Every string or number found there is replaced by `[REDACTED]` wherever it
//! appears in the text, and so is every base64 word that decodes to something containing one (a
//! Secret's `data`, basic-auth headers).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::secret_keys::{REDACTED, looks_secret};

/// Replaces the secret values of a request's values in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// Collects the secret values of every values layer.
    pub fn from_values<'a>(layers: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut secrets = Vec::new();
        for layer in layers {
            collect(layer, false, &mut secrets);
        }
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every secret, plain or inside base64, replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        if self.secrets.is_empty() {
            return text.to_owned();
        }
        let mut out = self.redact_base64_words(text);
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), REDACTED);
        }
        out
    }

    fn redact_base64_words(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(is_base64_char) {
            out.push_str(&rest[..start]);
            let word_len = rest[start..]
                .find(|c: char| !is_base64_char(c))
                .unwrap_or(rest.len() - start);
            let padded_len = word_len + rest[start + word_len..].len()
                - rest[start + word_len..].trim_start_matches('=').len();
            let word = &rest[start..start + padded_len];
            if self.decodes_to_a_secret(word) {
                out.push_str(REDACTED);
            } else {
                out.push_str(word);
            }
            rest = &rest[start + padded_len..];
        }
        out.push_str(rest);
        out
    }

    fn decodes_to_a_secret(&self, word: &str) -> bool {
        if word.len() < 4 {
            return false;
        }
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .filter_map(|engine| engine.decode(word).ok())
            .any(|decoded| {
                let decoded = String::from_utf8_lossy(&decoded);
                self.secrets
                    .iter()
                    .any(|secret| decoded.contains(secret.as_str()))
            })
    }
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_')
}

fn collect(value: &Value, secret: bool, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                collect(child, secret || looks_secret(key), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect(item, secret, out)),
        Value::String(text) if secret && !text.is_empty() => out.push(text.clone()),
        Value::Number(number) if secret => out.push(number.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn redactor() -> Redactor {
        Redactor::from_values(&[
            json!({
                "auth": {"adminPassword": "hunter2-admin", "user": "admin"},
                "secrets": {"db": {"url": "postgres://u:dbpass-42@db"}},
                "tls": {"tls.key": "-----BEGIN KEY-----", "secretName": "cluster-agent-tls"},
                "apiToken": "tok-123456",
                "replicas": 3,
                "pin": {"privatePin": 98765},
            }),
            json!({"registry": {"accessKey": "AKIAEXAMPLE"}}),
        ])
    }

    #[test]
    fn secret_values_are_replaced_wherever_they_appear() {
        let text = "Error: login as admin with hunter2-admin failed; token tok-123456; \
                    dsn postgres://u:dbpass-42@db; AKIAEXAMPLE; pin 98765";
        assert_eq!(
            redactor().redact(text),
            "Error: login as admin with [REDACTED] failed; token [REDACTED]; \
             dsn [REDACTED]; [REDACTED]; pin [REDACTED]"
        );
    }

    #[test]
    fn names_of_secrets_and_ordinary_values_stay() {
        let text = "secret cluster-agent-tls not found; replicas 3; user admin";
        assert_eq!(redactor().redact(text), text);
    }

    #[test]
    fn base64_of_a_secret_or_of_text_containing_one_is_replaced() {
        let plain = STANDARD.encode("hunter2-admin");
        let unpadded = STANDARD_NO_PAD.encode("x:tok-123456");
        let basic_auth = STANDARD.encode("admin:hunter2-admin");
        let url_safe = URL_SAFE.encode("~~AKIAEXAMPLE??");
        let harmless = STANDARD.encode("cluster-agent-tls");
        let text = format!(
            "data: {{password: {plain}}}\nAuthorization: Basic {basic_auth}\n\
             t={unpadded} k=\"{url_safe}\" name: {harmless}"
        );
        assert_eq!(
            redactor().redact(&text),
            format!(
                "data: {{password: [REDACTED]}}\nAuthorization: Basic [REDACTED]\n\
                 t=[REDACTED] k=\"[REDACTED]\" name: {harmless}"
            )
        );
    }

    #[test]
    fn a_secret_containing_another_is_replaced_whole() {
        let redactor = Redactor::from_values(&[json!({"password": "abc", "token": "abcdef"})]);
        assert_eq!(
            redactor.redact("x abcdef y abc"),
            "x [REDACTED] y [REDACTED]"
        );
    }

    #[test]
    fn without_secrets_the_text_is_unchanged() {
        let redactor = Redactor::from_values(&[json!({"crds": {"enabled": true}})]);
        let text = "Error: UPGRADE FAILED: context deadline exceeded";
        assert_eq!(redactor.redact(text), text);
    }
}
