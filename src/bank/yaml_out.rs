//! Writes packs in our YAML format (for `bank export --format yaml` and the pack page's download).

use super::model::PackFile;
use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlEmitter};

/// A pack file as YAML text; multi-line strings are written as literal blocks.
///
/// # Errors
/// When the pack cannot be turned into a value (it always can) or the emitter fails.
pub fn to_yaml(file: &PackFile) -> Result<String, String> {
    let value = serde_json::to_value(file).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    emitter.multiline_strings(true);
    emitter.dump(&to_node(value)).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

fn to_node(v: serde_json::Value) -> Yaml {
    match v {
        serde_json::Value::Null => Yaml::Null,
        serde_json::Value::Bool(b) => Yaml::Boolean(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        serde_json::Value::String(s) => Yaml::String(s),
        serde_json::Value::Array(a) => Yaml::Array(a.into_iter().map(to_node).collect()),
        serde_json::Value::Object(m) => {
            let mut h = Hash::new();
            // `id` and `type` first, so that each item reads as the format's examples do.
            let mut entries: Vec<(String, serde_json::Value)> = m.into_iter().collect();
            entries.sort_by_key(|(k, _)| match k.as_str() {
                "pack" | "id" => 0,
                "type" => 1,
                "items" => 3,
                _ => 2,
            });
            for (k, v) in entries {
                h.insert(Yaml::String(k), to_node(v));
            }
            Yaml::Hash(h)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exported_pack_checks_clean_and_reads_back_equal() {
        let text = include_str!("../../tests/fixtures/exam_pack.yaml");
        let bp = crate::bank::check::shipped_blueprint().expect("blueprint");
        let report = crate::bank::check_sources(&[("p.yaml".into(), text.into())], &bp);
        assert!(report.is_clean(), "{:?}", report.problems);
        let pack = report.pack.expect("pack");
        let yaml = to_yaml(&PackFile {
            pack: Some(pack.meta.clone()),
            items: pack.items.clone(),
        })
        .expect("yaml");
        let again = crate::bank::check_sources(&[("out.yaml".into(), yaml.clone())], &bp);
        assert!(again.is_clean(), "{:?}\n{yaml}", again.problems);
        assert_eq!(again.pack.expect("pack"), pack, "round trip");
    }
}
