//! Reading the object's JSON for the readiness checks: its `status.conditions` entries and
//! its integer and string fields.

use serde_json::Value;

/// One entry of `status.conditions`.
pub(super) struct Condition<'a> {
    type_: &'a str,
    pub(super) status: Option<&'a str>,
    pub(super) reason: Option<&'a str>,
    message: Option<&'a str>,
    pub(super) observed_generation: Option<i64>,
}

impl Condition<'_> {
    /// `Ready=False (Issuing: waiting for the CertificateRequest)`.
    pub(super) fn describe(&self) -> String {
        let status = self.status.unwrap_or("Unknown");
        let detail = match (self.reason, self.message) {
            (Some(reason), Some(message)) if !message.is_empty() => {
                format!(" ({reason}: {message})")
            }
            (Some(reason), _) => format!(" ({reason})"),
            (None, Some(message)) if !message.is_empty() => format!(" ({message})"),
            _ => String::new(),
        };
        format!("{}={status}{detail}", self.type_)
    }
}

/// The entry of `status.conditions` of type `type_`, if there is one.
pub(super) fn find_condition<'a>(object: &'a Value, type_: &str) -> Option<Condition<'a>> {
    let conditions = object.pointer("/status/conditions")?.as_array()?;
    let found = conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))?;
    let text = |key: &str| found.get(key).and_then(Value::as_str);
    Some(Condition {
        type_: found.get("type").and_then(Value::as_str)?,
        status: text("status"),
        reason: text("reason"),
        message: text("message").map(str::trim),
        observed_generation: found.get("observedGeneration").and_then(Value::as_i64),
    })
}

/// The integer at `pointer` in the object.
pub(super) fn int(object: &Value, pointer: &str) -> Option<i64> {
    object.pointer(pointer).and_then(Value::as_i64)
}

/// The string at `pointer` in the object.
pub(super) fn str_at<'a>(object: &'a Value, pointer: &str) -> Option<&'a str> {
    object.pointer(pointer).and_then(Value::as_str)
}
