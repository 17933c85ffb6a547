//! The template engine (minijinja, strict undefined) that renders catalog templates, and value
//! merging.

mod error;

pub use error::TemplateError;

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

/// Renders catalog templates. One environment serves a whole plan.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// Compiles every template of the catalog.
    pub fn new(templates: &BTreeMap<String, String>) -> Result<Self, TemplateError> {
        let mut env = strict_environment();
        for (name, source) in templates {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|error| render_error(name, &error))?;
        }
        Ok(Self { env })
    }

    /// Renders `template` with `context` into text.
    pub fn text(
        &self,
        template: &str,
        context: &minijinja::Value,
    ) -> Result<String, TemplateError> {
        self.env
            .get_template(template)
            .and_then(|compiled| compiled.render(context))
            .map_err(|error| render_error(template, &error))
    }

    /// Renders `template` and parses the result as one YAML document.
    pub fn yaml(&self, template: &str, context: &minijinja::Value) -> Result<Value, TemplateError> {
        let text = self.text(template, context)?;
        if text.trim().is_empty() {
            return Ok(Value::Object(serde_json::Map::new()));
        }
        serde_saphyr::from_str(&text).map_err(|error| invalid_output(template, &text, &error))
    }

    /// Renders `template` and parses it as a stream of YAML documents (a manifest).
    pub fn documents(
        &self,
        template: &str,
        context: &minijinja::Value,
    ) -> Result<Vec<Value>, TemplateError> {
        let text = self.text(template, context)?;
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
            .map_err(|error| invalid_output(template, &text, &error))?;
        Ok(documents.into_iter().filter(|doc| !doc.is_null()).collect())
    }

    /// Evaluates a `when` expression.
    pub fn condition(&self, expression: &str, context: &minijinja::Value) -> Result<bool, String> {
        self.env
            .compile_expression(expression)
            .and_then(|compiled| compiled.eval(context))
            .map(|value| value.is_true())
            .map_err(|error| error.to_string())
    }

    /// Renders a short inline string template (used for resource names).
    pub fn inline(&self, source: &str, context: &minijinja::Value) -> Result<String, String> {
        self.env
            .render_str(source, context)
            .map_err(|error| error.to_string())
    }
}

/// Checks that a `when` expression compiles (catalog validation).
pub fn check_expression(expression: &str) -> Result<(), String> {
    strict_environment()
        .compile_expression(expression)
        .map(drop)
        .map_err(|error| error.to_string())
}

fn strict_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Templates produce YAML; quoting is explicit (`| to_json`), never automatic.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("default delimiters are valid"),
    );
    env.add_filter("to_json", |value: minijinja::Value| {
        serde_json::to_string(&value).unwrap_or_default()
    });
    env
}

/// The rendered text is not YAML: quote the offending rendered line.
fn invalid_output(template: &str, text: &str, error: &serde_saphyr::Error) -> TemplateError {
    let error = error.without_snippet();
    let rendered_line = error
        .location()
        .and_then(|location| {
            text.lines()
                .nth((location.line() as usize).saturating_sub(1))
        })
        .unwrap_or("");
    TemplateError {
        template: template.to_string(),
        line: 0,
        message: format!(
            "rendered output is not valid YAML ({error}); rendered line: `{rendered_line}`"
        ),
    }
}

fn render_error(template: &str, error: &minijinja::Error) -> TemplateError {
    let mut message = error.detail().map_or_else(
        || error.kind().to_string(),
        |detail| format!("{}: {detail}", error.kind()),
    );
    if let Some(name) = error.name()
        && name != template
    {
        message = format!("{message} (in {name})");
    }
    TemplateError {
        template: template.to_string(),
        line: error.line().unwrap_or(0),
        message,
    }
}

/// Deep-merges `overlay` into `base`: maps merge key by key, everything else is replaced.
pub fn deep_merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deep_merge_merges_maps_and_replaces_leaves_and_lists() {
        let mut base = json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        deep_merge(
            &mut base,
            &json!({"a": {"c": [3], "e": true}, "d": {"f": 1}}),
        );
        assert_eq!(
            base,
            json!({"a": {"b": 1, "c": [3], "e": true}, "d": {"f": 1}})
        );
    }

    #[test]
    fn strict_undefined_names_template_and_line() {
        let templates = BTreeMap::from([(
            "m/values.yaml.j2".to_string(),
            "a: 1\nb: {{ missing.field }}\n".to_string(),
        )]);
        let renderer = Renderer::new(&templates).unwrap();
        let error = renderer
            .yaml("m/values.yaml.j2", &minijinja::context! {})
            .unwrap_err();
        assert_eq!(error.template, "m/values.yaml.j2");
        assert_eq!(error.line, 2);
        assert!(
            error
                .to_string()
                .starts_with("templates/m/values.yaml.j2:2:")
        );
    }
}
