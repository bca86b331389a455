//! Shared loaders for the repository contract tests: the raw ASL, the CloudFormation template
//! (short-form intrinsics such as `!Ref` are kept as YAML tags) and the README.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use serde_yaml_ng::Value;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn read(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The state machine definition exactly as committed (before `DefinitionSubstitutions`).
pub fn asl_text() -> String {
    read("statemachine/rerun.asl.json")
}

pub fn asl() -> serde_json::Value {
    serde_json::from_str(&asl_text()).unwrap_or_else(|e| panic!("statemachine/rerun.asl.json: {e}"))
}

/// The template as YAML values; `!Ref X` and friends come back as `Value::Tagged`.
pub fn template() -> Value {
    serde_yaml_ng::from_str(&read("cloudformation/template.yaml"))
        .unwrap_or_else(|e| panic!("cloudformation/template.yaml: {e}"))
}

/// `Resources` as (logical id, resource) pairs, in template order.
pub fn resources(template: &Value) -> Vec<(String, Value)> {
    mapping(template, "Resources")
        .into_iter()
        .map(|(k, v)| (k, v.clone()))
        .collect()
}

/// The entries of the mapping at `key` (a missing key is a test failure).
pub fn mapping<'a>(value: &'a Value, key: &str) -> Vec<(String, &'a Value)> {
    let map = value
        .get(key)
        .and_then(Value::as_mapping)
        .unwrap_or_else(|| panic!("expected a mapping at {key:?}"));
    map.iter()
        .map(|(k, v)| {
            let name = k
                .as_str()
                .unwrap_or_else(|| panic!("non-string key under {key:?}"));
            (name.to_owned(), v)
        })
        .collect()
}

/// The name a `!Ref Name` (or `{Ref: Name}`) value refers to.
pub fn ref_target(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Value::Mapping(map) if map.len() == 1 => map.get("Ref").and_then(Value::as_str),
        _ => None,
    }
}

/// A scalar YAML value as the string CloudFormation would see (numbers and booleans included).
pub fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `!Tag value` → (tag, value); anything else → None.
pub fn tagged(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        _ => None,
    }
}

/// The three items of `!If [condition, then, else]`.
pub fn if_parts(value: &Value) -> Option<(&str, &Value, &Value)> {
    let (tag, inner) = tagged(value)?;
    let items = inner.as_sequence().filter(|_| tag == "If")?;
    let [cond, then, other] = items.as_slice() else {
        return None;
    };
    Some((cond.as_str()?, then, other))
}

/// A YAML value as text (for substring checks on a resource or a property).
pub fn text(value: &Value) -> String {
    serde_yaml_ng::to_string(value).expect("serialise YAML")
}
