//! The JSON Schema of a pack file (`ai102 bank schema`, docs/question-format.schema.json), generated from the
//! model types with schemars.

use super::model::PackFile;

/// The JSON Schema of a pack file, as a JSON value.
pub fn item_file_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(PackFile);
    schema.to_value()
}

/// The JSON Schema of a pack file as pretty-printed JSON, ending with a newline.
pub fn item_file_schema_pretty() -> String {
    let mut text = serde_json::to_string_pretty(&item_file_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_describes_pack_files_and_every_item_type() {
        let schema = item_file_schema();
        assert_eq!(schema["title"], "PackFile");
        assert!(schema["properties"]["items"].is_object());
        assert!(schema["properties"]["pack"].is_object());
        let text = item_file_schema_pretty();
        for t in [
            "single",
            "multiple",
            "yes_no_series",
            "order",
            "match",
            "hot_area",
            "case_study",
        ] {
            assert!(text.contains(&format!("\"{t}\"")), "schema lacks type {t}");
        }
    }

    /// The schema the help pages serve (docs/question-format.schema.json) is the one the model gives: after a
    /// change of the pack format, write it again with `ai102 bank schema > docs/question-format.schema.json`.
    #[test]
    fn the_published_schema_file_is_current() {
        assert!(
            item_file_schema_pretty() == crate::help::SCHEMA_JSON,
            "docs/question-format.schema.json is stale: run `ai102 bank schema > docs/question-format.schema.json`"
        );
    }

    #[test]
    fn the_pretty_schema_is_valid_json() {
        let text = item_file_schema_pretty();
        let back: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, item_file_schema());
    }
}
