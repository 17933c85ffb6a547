//! Which values are secret: those under a key (at any depth) that looks secret, one containing
//! `password`, `passwd`, `secret`, `token`, `credential` or `private`, or ending in `key`
//! (`apiKey`, `tls.key`, `accessKey`). Keys ending in `name` (`secretName`) hold names of
//! secrets, not secrets, and are left alone. A low layer: the profile's `--set` and the
//! engine's redaction of helm's output both judge keys by it.

/// What stands in for a secret value wherever one would be shown.
pub const REDACTED: &str = "[REDACTED]";

/// Whether values under `key` are secret (see the module documentation).
pub fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    if key.ends_with("name") {
        return false;
    }
    [
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "private",
    ]
    .iter()
    .any(|word| key.contains(word))
        || key.ends_with("key")
}
