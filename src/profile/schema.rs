//! The profile's JSON Schema (draft-07, the newest yaml-language-server supports).

use schemars::generate::SchemaSettings;

use super::model::Profile;

/// The JSON Schema of the profile format.
pub fn json_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<Profile>().to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            "https://openchoreo.dev/schemas/choreoctl/profile-v1alpha1.json".into(),
        );
    }
    schema
}
