//! The JSON Schema of the policy file, derived from [`super::raw`].

/// The JSON Schema for policy files, pretty-printed, with a trailing newline.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(super::raw::PolicyFile);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
