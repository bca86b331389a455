//! ECS's RunTask input model and a validator for the requests the state machine sends.
//!
//! The model is `tests/models/ecs-runtask-input.json`, extracted from botocore by `scripts/ecs-model`
//! (pinned; `--check` proves the committed file is what that botocore ships). Step Functions'
//! `aws-sdk:ecs:runTask` takes the API's members PascalCased: a request key must be a model member
//! name with its first character upper-cased, exactly (`EnableECSManagedTags`, never
//! `EnableEcsManagedTags` or `enableECSManagedTags`). Map keys, where a map shape is reachable, are
//! free-form data and are not re-cased.
//!
//! Two layers of constraints are checked:
//! - the model's own traits: member names, types, `required`, `enum`, `min`/`max` (string length in
//!   characters, list and map size, numeric range) and `pattern` (applied anchored, to the whole
//!   string: botocore's patterns are written unanchored, ECS enforces them on the whole value);
//! - the extract's `documented` list: limits ECS's API reference states in prose on a member and
//!   the model does not encode (`count` 1–10, `startedBy` ≤ 128, `clientToken` ≤ 64, …). Their
//!   messages end in "(documented)".
//!
//! Every problem is one line that starts with the JSON path of the offending value
//! (`$.Overrides.ContainerOverrides[0].Cpu: expected integer, got string`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value};

/// The extract, relative to the repository root.
pub const MODEL_FILE: &str = "tests/models/ecs-runtask-input.json";

/// Path of the committed extract.
pub fn model_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(MODEL_FILE)
}

/// The committed extract, loaded once (panics with the file's name when it is unusable).
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = model_path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Model::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

/// Validates `request` (PascalCase keys) against `shape` of the committed model.
pub fn validate(request: &Value, shape: &str) -> Result<(), Vec<String>> {
    model().validate(request, shape)
}

/// A model member name as Step Functions' aws-sdk integration spells it: first character
/// upper-cased, the rest untouched.
pub fn pascal(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The extracted model.
#[derive(Debug)]
pub struct Model {
    /// botocore version the extract came from.
    pub botocore_version: String,
    /// The ECS model's `metadata.apiVersion`.
    pub api_version: String,
    /// Input shape of RunTask (`RunTaskRequest`).
    pub input: String,
    /// Every shape reachable from the input, by name.
    pub shapes: BTreeMap<String, Shape>,
}

/// One shape.
#[derive(Debug)]
pub struct Shape {
    /// Shape name.
    pub name: String,
    /// What kind of value it is.
    pub kind: Kind,
    /// The model's constraints on it.
    pub limits: Limits,
}

/// The kind of value a shape describes.
#[derive(Debug)]
pub enum Kind {
    /// An object with named members.
    Structure {
        /// Members in name order.
        members: Vec<Member>,
        /// Groups of members of which at most one may be set (documented).
        exclusive: Vec<Vec<String>>,
        /// Exactly one member must be set (a Smithy union).
        union: bool,
    },
    /// An array of `member`.
    List {
        /// Shape of the items.
        member: String,
    },
    /// An object with free-form keys of shape `key` and values of shape `value`.
    Map {
        /// Shape of the keys.
        key: String,
        /// Shape of the values.
        value: String,
    },
    /// A string (`enum` in [`Limits::enum_values`]).
    String,
    /// A 32-bit integer.
    Integer,
    /// A 64-bit integer.
    Long,
    /// A float or double.
    Double,
    /// A boolean.
    Boolean,
    /// A timestamp (ISO 8601 string or epoch seconds).
    Timestamp,
    /// Base64 text.
    Blob,
}

impl Kind {
    fn expected(&self) -> &'static str {
        match self {
            Kind::Structure { .. } | Kind::Map { .. } => "object",
            Kind::List { .. } => "array",
            Kind::String => "string",
            Kind::Integer | Kind::Long => "integer",
            Kind::Double => "number",
            Kind::Boolean => "boolean",
            Kind::Timestamp => "timestamp (string or number)",
            Kind::Blob => "base64 string",
        }
    }
}

/// One member of a structure.
#[derive(Debug)]
pub struct Member {
    /// Name in the model (camelCase, as CloudTrail records it).
    pub name: String,
    /// Name in a Step Functions request ([`pascal`] of `name`).
    pub pascal: String,
    /// Shape of the value.
    pub shape: String,
    /// Listed in the structure's `required`.
    pub required: bool,
    /// Limits the API reference documents for this member (not in the model's traits).
    pub documented: Option<Limits>,
}

/// Constraints on a value; which ones apply depends on the kind.
#[derive(Debug, Default, Clone)]
pub struct Limits {
    /// Minimum: characters of a string, items of a list, entries of a map, value of a number.
    pub min: Option<i64>,
    /// Maximum, as `min`.
    pub max: Option<i64>,
    /// Allowed values of a string.
    pub enum_values: Option<Vec<String>>,
    /// Values of the enum that are not allowed here (documented).
    pub not_enum: Vec<String>,
    /// Pattern the whole string must match.
    pub pattern: Option<Pattern>,
    /// Maximum characters of the value's JSON text.
    pub max_json_length: Option<usize>,
    /// The items of a list differ in this member (camelCase name).
    pub unique_by: Option<String>,
}

/// A string pattern, applied to the whole string.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// As written in the model.
    pub source: String,
    /// `^(?:source)$`.
    pub regex: Regex,
}

impl Pattern {
    fn new(source: &str) -> Result<Pattern, String> {
        Regex::new(&format!("^(?:{source})$"))
            .map(|regex| Pattern {
                source: source.to_string(),
                regex,
            })
            .map_err(|e| format!("pattern {source:?} does not compile: {e}"))
    }
}

const SHAPE_TRAITS: &[&str] = &[
    "type",
    "members",
    "required",
    "member",
    "key",
    "value",
    "enum",
    "min",
    "max",
    "pattern",
    "union",
    // no effect on what a request may contain
    "box",
    "sensitive",
    "deprecated",
    "deprecatedMessage",
    "timestampFormat",
];
const MEMBER_TRAITS: &[&str] = &[
    "shape",
    "idempotencyToken",
    "box",
    "deprecated",
    "deprecatedMessage",
];
const DOCUMENTED_KEYS: &[&str] = &[
    "target",
    "quote",
    "min",
    "max",
    "pattern",
    "notEnum",
    "maxJsonLength",
    "uniqueBy",
    "exclusive",
];

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, String> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what}: no string {key:?}"))
}

fn int_field(obj: &Map<String, Value>, key: &str, what: &str) -> Result<Option<i64>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{what}: {key} is {v}, not an integer")),
    }
}

fn string_list(v: &Value, what: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect())
        .ok_or_else(|| format!("{what}: expected a list of strings"))
}

fn ref_shape(obj: &Map<String, Value>, key: &str, what: &str) -> Result<String, String> {
    obj.get(key)
        .and_then(Value::as_object)
        .and_then(|r| r.get("shape"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("{what}: no {key}.shape"))
}

impl Model {
    /// Parses an extract written by `scripts/ecs-model`. Fails on any trait the validator does
    /// not understand, so a botocore bump that adds one cannot be silently ignored.
    pub fn from_json(text: &str) -> Result<Model, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let source = doc
            .get("source")
            .and_then(Value::as_object)
            .ok_or("no source object")?;
        let service = doc
            .get("service")
            .and_then(Value::as_object)
            .ok_or("no service object")?;
        let operation = doc
            .get("operation")
            .and_then(Value::as_object)
            .ok_or("no operation object")?;
        let raw_shapes = doc
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or("no shapes object")?;

        let mut shapes = BTreeMap::new();
        for (name, raw) in raw_shapes {
            let obj = raw
                .as_object()
                .ok_or_else(|| format!("shape {name}: not an object"))?;
            shapes.insert(name.clone(), parse_shape(name, obj)?);
        }
        let mut model = Model {
            botocore_version: str_field(source, "version", "source")?.to_string(),
            api_version: str_field(service, "apiVersion", "service")?.to_string(),
            input: str_field(operation, "input", "operation")?.to_string(),
            shapes,
        };
        if let Some(rules) = doc.get("documented") {
            let rules = rules.as_array().ok_or("documented: not a list")?;
            for rule in rules {
                model.add_documented(rule)?;
            }
        }
        model.check_references()?;
        Ok(model)
    }

    /// A shape by name (panics on a name the model does not have).
    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("no shape {name} in the ECS model extract"))
    }

    fn add_documented(&mut self, rule: &Value) -> Result<(), String> {
        let obj = rule
            .as_object()
            .ok_or("documented: an entry is not an object")?;
        let target = str_field(obj, "target", "documented entry")?.to_string();
        let what = format!("documented {target}");
        if let Some(k) = obj.keys().find(|k| !DOCUMENTED_KEYS.contains(&k.as_str())) {
            return Err(format!(
                "{what}: key {k:?} is not understood by the validator"
            ));
        }
        let (shape_name, member_name) = match target.split_once('.') {
            Some((s, m)) => (s.to_string(), Some(m.to_string())),
            None => (target.clone(), None),
        };
        let shape = self
            .shapes
            .get_mut(&shape_name)
            .ok_or_else(|| format!("{what}: no shape {shape_name}"))?;
        let Kind::Structure {
            members, exclusive, ..
        } = &mut shape.kind
        else {
            return Err(format!("{what}: {shape_name} is not a structure"));
        };
        if let Some(group) = obj.get("exclusive") {
            let group = string_list(group, &what)?;
            if let Some(m) = group
                .iter()
                .find(|m| !members.iter().any(|x| &x.name == *m))
            {
                return Err(format!("{what}: no member {m} in {shape_name}"));
            }
            exclusive.push(group);
        }
        let Some(member_name) = member_name else {
            return Ok(());
        };
        let member = members
            .iter_mut()
            .find(|m| m.name == member_name)
            .ok_or_else(|| format!("{what}: no member {member_name} in {shape_name}"))?;
        let limits = Limits {
            min: int_field(obj, "min", &what)?,
            max: int_field(obj, "max", &what)?,
            enum_values: None,
            not_enum: match obj.get("notEnum") {
                Some(v) => string_list(v, &what)?,
                None => Vec::new(),
            },
            pattern: match obj.get("pattern") {
                Some(p) => Some(Pattern::new(
                    p.as_str().ok_or_else(|| format!("{what}: pattern"))?,
                )?),
                None => None,
            },
            max_json_length: int_field(obj, "maxJsonLength", &what)?
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            unique_by: obj
                .get("uniqueBy")
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .ok_or(format!("{what}: uniqueBy"))
                })
                .transpose()?,
        };
        if member.documented.is_some() {
            return Err(format!("{what}: two documented entries for one member"));
        }
        member.documented = Some(limits);
        Ok(())
    }

    fn check_references(&self) -> Result<(), String> {
        if !self.shapes.contains_key(&self.input) {
            return Err(format!("input shape {} is not in shapes", self.input));
        }
        for shape in self.shapes.values() {
            let refs: Vec<&String> = match &shape.kind {
                Kind::Structure { members, .. } => members.iter().map(|m| &m.shape).collect(),
                Kind::List { member } => vec![member],
                Kind::Map { key, value } => vec![key, value],
                _ => Vec::new(),
            };
            if let Some(missing) = refs.iter().find(|r| !self.shapes.contains_key(r.as_str())) {
                return Err(format!(
                    "shape {} refers to {missing}, which is not in shapes",
                    shape.name
                ));
            }
        }
        Ok(())
    }

    /// Validates `value` (PascalCase keys) against the shape named `shape`; every problem is one
    /// line starting with its JSON path.
    pub fn validate(&self, value: &Value, shape: &str) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        self.check(value, self.shape(shape), None, "$", &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn check(
        &self,
        value: &Value,
        shape: &Shape,
        documented: Option<&Limits>,
        path: &str,
        out: &mut Vec<String>,
    ) {
        match (&shape.kind, value) {
            (
                Kind::Structure {
                    members,
                    exclusive,
                    union,
                },
                Value::Object(obj),
            ) => self.check_structure(shape, members, exclusive, *union, obj, path, out),
            (Kind::List { member }, Value::Array(items)) => {
                let item_shape = self.shape(member);
                for (i, item) in items.iter().enumerate() {
                    self.check(item, item_shape, None, &format!("{path}[{i}]"), out);
                }
                check_size(items.len(), "items", &shape.limits, "", path, out);
                if let Some(d) = documented {
                    check_size(items.len(), "items", d, " (documented)", path, out);
                    if let Some(by) = &d.unique_by {
                        check_unique(items, by, path, out);
                    }
                }
            }
            (Kind::Map { key, value: v }, Value::Object(obj)) => {
                let (key_shape, value_shape) = (self.shape(key), self.shape(v));
                for (k, item) in obj {
                    let item_path = format!("{path}[{}]", Value::String(k.clone()));
                    self.check(
                        &Value::String(k.clone()),
                        key_shape,
                        None,
                        &format!("{item_path} (key)"),
                        out,
                    );
                    self.check(item, value_shape, None, &item_path, out);
                }
                check_size(obj.len(), "entries", &shape.limits, "", path, out);
                if let Some(d) = documented {
                    check_size(obj.len(), "entries", d, " (documented)", path, out);
                }
            }
            (Kind::String, Value::String(s)) => {
                check_string(s, &shape.limits, "", path, out);
                if let Some(d) = documented {
                    check_string(s, d, " (documented)", path, out);
                }
            }
            (Kind::Integer | Kind::Long, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                let (bits, lo, hi) = if matches!(shape.kind, Kind::Integer) {
                    (32, i64::from(i32::MIN), i64::from(i32::MAX))
                } else {
                    (64, i64::MIN, i64::MAX)
                };
                match n.as_i64().filter(|v| (lo..=hi).contains(v)) {
                    Some(v) => {
                        check_range(v, &shape.limits, "", path, out);
                        if let Some(d) = documented {
                            check_range(v, d, " (documented)", path, out);
                        }
                    }
                    None => out.push(format!(
                        "{path}: {n} does not fit a {bits}-bit integer ({})",
                        shape.name
                    )),
                }
            }
            (Kind::Double, Value::Number(_))
            | (Kind::Boolean, Value::Bool(_))
            | (Kind::Timestamp, Value::String(_) | Value::Number(_))
            | (Kind::Blob, Value::String(_)) => {}
            (kind, other) => out.push(format!(
                "{path}: expected {}, got {}",
                kind.expected(),
                json_type(other)
            )),
        }
        if let Some(max) = documented.and_then(|d| d.max_json_length) {
            let len = value.to_string().chars().count();
            if len > max {
                out.push(format!(
                    "{path}: {len} characters of JSON, more than the maximum {max} (documented)"
                ));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_structure(
        &self,
        shape: &Shape,
        members: &[Member],
        exclusive: &[Vec<String>],
        union: bool,
        obj: &Map<String, Value>,
        path: &str,
        out: &mut Vec<String>,
    ) {
        for (key, item) in obj {
            let item_path = child_path(path, key);
            match members.iter().find(|m| m.pascal == *key) {
                Some(m) => self.check(
                    item,
                    self.shape(&m.shape),
                    m.documented.as_ref(),
                    &item_path,
                    out,
                ),
                None => {
                    let hint = members
                        .iter()
                        .find(|m| m.pascal.eq_ignore_ascii_case(key))
                        .map(|m| format!(" (did you mean {}?)", m.pascal))
                        .unwrap_or_default();
                    out.push(format!(
                        "{item_path}: {} has no member {key}{hint}",
                        shape.name
                    ));
                }
            }
        }
        for m in members.iter().filter(|m| m.required) {
            if !obj.contains_key(&m.pascal) {
                out.push(format!(
                    "{}: missing, required by {}",
                    child_path(path, &m.pascal),
                    shape.name
                ));
            }
        }
        for group in exclusive {
            let set: Vec<String> = group
                .iter()
                .map(|m| pascal(m))
                .filter(|p| obj.contains_key(p))
                .collect();
            if set.len() > 1 {
                out.push(format!(
                    "{path}: {} are mutually exclusive (documented)",
                    set.join(" and ")
                ));
            }
        }
        if union && obj.len() != 1 {
            out.push(format!(
                "{path}: {} is a union: exactly one member must be set, got {}",
                shape.name,
                obj.len()
            ));
        }
    }
}

fn parse_shape(name: &str, obj: &Map<String, Value>) -> Result<Shape, String> {
    let what = format!("shape {name}");
    if let Some(k) = obj.keys().find(|k| !SHAPE_TRAITS.contains(&k.as_str())) {
        return Err(format!(
            "{what}: trait {k:?} is not understood by the validator (teach crates/repo-tests/src/ecs_model.rs)"
        ));
    }
    let ty = str_field(obj, "type", &what)?;
    let kind = match ty {
        "structure" => {
            let required = match obj.get("required") {
                Some(r) => string_list(r, &what)?,
                None => Vec::new(),
            };
            let raw = obj
                .get("members")
                .and_then(Value::as_object)
                .ok_or_else(|| format!("{what}: no members"))?;
            let mut members = Vec::new();
            for (m, spec) in raw {
                let spec = spec
                    .as_object()
                    .ok_or_else(|| format!("{what}.{m}: not an object"))?;
                if let Some(k) = spec.keys().find(|k| !MEMBER_TRAITS.contains(&k.as_str())) {
                    return Err(format!(
                        "{what}.{m}: member trait {k:?} is not understood by the validator"
                    ));
                }
                members.push(Member {
                    name: m.clone(),
                    pascal: pascal(m),
                    shape: str_field(spec, "shape", &format!("{what}.{m}"))?.to_string(),
                    required: required.contains(m),
                    documented: None,
                });
            }
            if let Some(r) = required.iter().find(|r| !raw.contains_key(r.as_str())) {
                return Err(format!("{what}: required {r} is not a member"));
            }
            for (i, a) in members.iter().enumerate() {
                if let Some(b) = members[i + 1..].iter().find(|b| b.pascal == a.pascal) {
                    return Err(format!(
                        "{what}: members {} and {} have the same PascalCase name",
                        a.name, b.name
                    ));
                }
            }
            Kind::Structure {
                members,
                exclusive: Vec::new(),
                union: obj.get("union").and_then(Value::as_bool).unwrap_or(false),
            }
        }
        "list" => Kind::List {
            member: ref_shape(obj, "member", &what)?,
        },
        "map" => Kind::Map {
            key: ref_shape(obj, "key", &what)?,
            value: ref_shape(obj, "value", &what)?,
        },
        "string" => Kind::String,
        "integer" => Kind::Integer,
        "long" => Kind::Long,
        "float" | "double" => Kind::Double,
        "boolean" => Kind::Boolean,
        "timestamp" => Kind::Timestamp,
        "blob" => Kind::Blob,
        other => return Err(format!("{what}: type {other:?} is not understood")),
    };
    let limits = Limits {
        min: int_field(obj, "min", &what)?,
        max: int_field(obj, "max", &what)?,
        enum_values: obj.get("enum").map(|e| string_list(e, &what)).transpose()?,
        not_enum: Vec::new(),
        pattern: match obj.get("pattern") {
            Some(p) => Some(Pattern::new(
                p.as_str().ok_or_else(|| format!("{what}: pattern"))?,
            )?),
            None => None,
        },
        max_json_length: None,
        unique_by: None,
    };
    Ok(Shape {
        name: name.to_string(),
        kind,
        limits,
    })
}

fn child_path(path: &str, key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A value quoted for a message, cut to 40 characters.
fn shown(s: &str) -> String {
    if s.chars().count() > 40 {
        let head: String = s.chars().take(40).collect();
        format!("{}…", Value::String(head))
    } else {
        Value::String(s.to_string()).to_string()
    }
}

fn check_size(n: usize, unit: &str, l: &Limits, tag: &str, path: &str, out: &mut Vec<String>) {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    if let Some(max) = l.max.filter(|max| n > *max) {
        out.push(format!(
            "{path}: {n} {unit}, more than the maximum {max}{tag}"
        ));
    }
    if let Some(min) = l.min.filter(|min| n < *min) {
        out.push(format!(
            "{path}: {n} {unit}, fewer than the minimum {min}{tag}"
        ));
    }
}

fn check_range(v: i64, l: &Limits, tag: &str, path: &str, out: &mut Vec<String>) {
    if let Some(max) = l.max.filter(|max| v > *max) {
        out.push(format!("{path}: {v} is more than the maximum {max}{tag}"));
    }
    if let Some(min) = l.min.filter(|min| v < *min) {
        out.push(format!("{path}: {v} is less than the minimum {min}{tag}"));
    }
}

fn check_string(s: &str, l: &Limits, tag: &str, path: &str, out: &mut Vec<String>) {
    if let Some(values) = &l.enum_values {
        if !values.iter().any(|v| v == s) {
            out.push(format!(
                "{path}: {} is not one of {}{tag}",
                shown(s),
                values.join(", ")
            ));
        }
    }
    if l.not_enum.iter().any(|v| v == s) {
        out.push(format!("{path}: {} is not allowed here{tag}", shown(s)));
    }
    // Smithy's @length counts Unicode scalar values.
    check_size(s.chars().count(), "characters", l, tag, path, out);
    if let Some(p) = &l.pattern {
        if !p.regex.is_match(s) {
            out.push(format!(
                "{path}: {} does not match the pattern {}{tag}",
                shown(s),
                p.source
            ));
        }
    }
}

fn check_unique(items: &[Value], by: &str, path: &str, out: &mut Vec<String>) {
    let key = pascal(by);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let Some(v) = item.get(&key) else { continue };
        let text = v.to_string();
        if let Some(first) = seen.get(&text) {
            out.push(format!(
                "{path}[{i}].{key}: {text} repeats {path}[{first}].{key}, must be unique (documented)"
            ));
        } else {
            seen.insert(text, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A model with a map shape: its keys are data (never re-cased), its values are validated.
    #[test]
    fn map_keys_are_free_form_and_values_checked() {
        let m = Model::from_json(
            &json!({
                "source": {"version": "test"}, "service": {"apiVersion": "x"},
                "operation": {"input": "In"},
                "shapes": {
                    "In": {"type": "structure", "members": {"labels": {"shape": "Labels"}}},
                    "Labels": {"type": "map", "key": {"shape": "Key"}, "value": {"shape": "Int"}, "max": 2},
                    "Key": {"type": "string", "min": 1, "max": 5},
                    "Int": {"type": "integer", "min": 0}
                }
            })
            .to_string(),
        )
        .expect("model");
        assert_eq!(
            m.validate(&json!({"Labels": {"lowerCase": 1, "x": 0}}), "In"),
            Err(vec![
                "$.Labels[\"lowerCase\"] (key): 9 characters, more than the maximum 5".to_string()
            ])
        );
        assert!(m.validate(&json!({"Labels": {"abc": 1}}), "In").is_ok());
        let e = m
            .validate(&json!({"Labels": {"a": -1, "b": "1", "c": 2}}), "In")
            .expect_err("invalid");
        assert_eq!(
            e,
            vec![
                "$.Labels[\"a\"]: -1 is less than the minimum 0",
                "$.Labels[\"b\"]: expected integer, got string",
                "$.Labels: 3 entries, more than the maximum 2",
            ]
        );
    }

    #[test]
    fn unknown_traits_fail_loading() {
        let err = Model::from_json(
            &json!({
                "source": {"version": "test"}, "service": {"apiVersion": "x"},
                "operation": {"input": "In"},
                "shapes": {"In": {"type": "structure", "members": {}, "newTrait": true}}
            })
            .to_string(),
        )
        .expect_err("unknown trait");
        assert!(err.contains("newTrait"), "{err}");
    }

    #[test]
    fn pascal_upper_cases_the_first_character_only() {
        assert_eq!(pascal("enableECSManagedTags"), "EnableECSManagedTags");
        assert_eq!(pascal("sizeInGiB"), "SizeInGiB");
        assert_eq!(pascal(""), "");
    }
}
