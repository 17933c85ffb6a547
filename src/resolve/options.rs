//! Module options: defaults filled in; names, allowed values and types checked.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ResolveError, Resolver};
use crate::catalog::model::Module;
use crate::profile::model::ModuleSpec;
use crate::suggest::hint;

impl Resolver<'_> {
    /// The options of `module`: defaults, overridden by the profile's checked values.
    pub(super) fn options(
        &self,
        module: &Module,
        spec: Option<&ModuleSpec>,
    ) -> Result<BTreeMap<String, Value>, ResolveError> {
        let mut options: BTreeMap<String, Value> = module
            .options
            .iter()
            .map(|(name, option)| (name.clone(), option.default.clone()))
            .collect();
        let Some(spec) = spec else {
            return Ok(options);
        };
        for (name, value) in &spec.options {
            let Some(option) = module.options.get(name) else {
                let names: Vec<&str> = module.options.keys().map(String::as_str).collect();
                let hint = hint(name, names.iter().copied());
                return self.fail(
                    value.referenced,
                    format!("module `{}` has no option `{name}`", module.name),
                    if names.is_empty() {
                        format!("`{}` takes no options", module.name)
                    } else {
                        format!("{hint}its options are: {}", names.join(", "))
                    },
                );
            };
            if !option.one_of.is_empty() && !option.one_of.contains(&value.value) {
                return self.fail(
                    value.referenced,
                    format!(
                        "option `{name}` of module `{}` cannot be {}",
                        module.name, value.value
                    ),
                    format!(
                        "use one of: {}",
                        option
                            .one_of
                            .iter()
                            .map(Value::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            if !same_type(&option.default, &value.value) {
                return self.fail(
                    value.referenced,
                    format!(
                        "option `{name}` of module `{}` must be a {}, not {}",
                        module.name,
                        type_name(&option.default),
                        value.value
                    ),
                    format!("{}; default: {}", option.description, option.default),
                );
            }
            options.insert(name.clone(), value.value.clone());
        }
        Ok(options)
    }
}

/// Whether a value may replace an option's default (numbers mix; a null default takes anything).
fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || (a.is_number() && b.is_number())
        || a.is_null()
}

/// A JSON type as users call it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

#[cfg(test)]
mod tests {
    use crate::resolve::fixtures::*;

    #[test]
    fn options_are_defaulted_and_checked() {
        let resolved = resolve_yaml(&profile("cilium", TOPOLOGY, "    - name: cd\n")).unwrap();
        assert_eq!(module(&resolved, "cd").options["engine"], "argocd");
        let text = message(
            resolve_yaml(&profile(
                "cilium",
                TOPOLOGY,
                "    - {name: cd, options: {engin: flux}}\n",
            ))
            .unwrap_err(),
        );
        assert!(
            text.contains("has no option `engin`") && text.contains("did you mean `engine`?"),
            "{text}"
        );
    }
}
