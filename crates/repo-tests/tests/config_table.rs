//! The README's configuration table (between `<!-- config-table:start -->` and
//! `<!-- config-table:end -->`) is the one documented list of settings: its rows must equal the
//! template's Parameters (name, default, description, order) and name the environment variable
//! each parameter sets on the Lambdas (docs/CONTRACT.md §7), or "—" when it sets none.

mod common;

use std::collections::BTreeMap;

const START: &str = "<!-- config-table:start -->";
const END: &str = "<!-- config-table:end -->";

#[derive(Debug, PartialEq)]
struct Row {
    parameter: String,
    default: String,
    env: String,
    description: String,
}

/// `` `x` `` → `x`; `*(empty)*` → the empty string.
fn unquote(cell: &str) -> String {
    let cell = cell.trim();
    if cell == "*(empty)*" {
        return String::new();
    }
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or(cell)
        .to_owned()
}

fn readme_rows() -> Vec<Row> {
    let readme = common::read("README.md");
    let start = readme
        .find(START)
        .expect("README has the config-table:start marker")
        + START.len();
    let end = readme
        .find(END)
        .expect("README has the config-table:end marker");
    assert!(start < end, "markers out of order");
    let lines: Vec<&str> = readme[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(lines.len() > 2, "table has a header, a separator and rows");
    assert_eq!(
        lines[0],
        "| Parameter | Default | Environment variable | Description |"
    );
    lines[2..]
        .iter()
        .map(|line| {
            let cells: Vec<&str> = line
                .strip_prefix('|')
                .and_then(|l| l.strip_suffix('|'))
                .unwrap_or_else(|| panic!("not a table row: {line}"))
                .split(" | ")
                .collect();
            assert_eq!(cells.len(), 4, "four cells in {line}");
            Row {
                parameter: unquote(cells[0]),
                default: unquote(cells[1]),
                env: cells[2].trim().to_owned(),
                description: cells[3].trim().to_owned(),
            }
        })
        .collect()
}

/// The parameter a variable's value names: `!Ref P`, `!If [Cond, !Ref P, !Ref AWS::NoValue]`
/// (a variable set only when its parameter is), or `!If [Cond, !Sub "${P},more", !Ref P]` (the
/// parameter's list, extended under a condition).
fn parameter_of(value: &serde_yaml_ng::Value) -> Option<&str> {
    if let Some(target) = common::ref_target(value) {
        return Some(target);
    }
    match value {
        serde_yaml_ng::Value::Tagged(tagged) if tagged.tag == "If" => {
            let branches = tagged.value.as_sequence()?;
            let [_, set, unset] = branches.as_slice() else {
                return None;
            };
            if common::ref_target(unset) == Some("AWS::NoValue") {
                return common::ref_target(set);
            }
            let parameter = common::ref_target(unset)?;
            let extended = match set {
                serde_yaml_ng::Value::Tagged(sub) if sub.tag == "Sub" => sub.value.as_str(),
                _ => None,
            }?;
            extended
                .starts_with(&format!("${{{parameter}}},"))
                .then_some(parameter)
        }
        _ => None,
    }
}

/// Parameter name → "`ENV_VAR` (function)" for every Lambda environment variable set from a
/// parameter (`!Ref`, or `!If` on the parameter being set).
fn env_by_parameter(template: &serde_yaml_ng::Value) -> BTreeMap<String, String> {
    // Only template parameters: a resource (the state machine, the facts table) may be wired into
    // several functions.
    let parameters: Vec<String> = common::mapping(template, "Parameters")
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mut map = BTreeMap::new();
    for (id, resource) in common::resources(template) {
        if resource["Type"].as_str() != Some("AWS::Lambda::Function") {
            continue;
        }
        let function = id.strip_suffix("Function").unwrap_or(&id).to_lowercase();
        let variables = &resource["Properties"]["Environment"]["Variables"];
        for (var, value) in variables.as_mapping().into_iter().flatten() {
            let param = parameter_of(value).filter(|p| parameters.iter().any(|n| n == p));
            if let (Some(var), Some(param)) = (var.as_str(), param) {
                let previous = map.insert(param.to_owned(), format!("`{var}` ({function})"));
                assert!(previous.is_none(), "{param} sets more than one variable");
            }
        }
    }
    map
}

#[test]
fn readme_table_matches_the_template_parameters() {
    let template = common::template();
    let env = env_by_parameter(&template);
    let want: Vec<Row> = common::mapping(&template, "Parameters")
        .into_iter()
        .map(|(name, p)| Row {
            default: common::scalar_string(&p["Default"])
                .unwrap_or_else(|| panic!("parameter {name} has no default")),
            env: env.get(&name).cloned().unwrap_or_else(|| "—".to_owned()),
            description: p["Description"]
                .as_str()
                .unwrap_or_else(|| panic!("parameter {name} has no Description"))
                .to_owned(),
            parameter: name,
        })
        .collect();
    let got = readme_rows();
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "README row vs template parameter");
    }
    assert_eq!(
        got.len(),
        want.len(),
        "one README row per template parameter"
    );
}

#[test]
fn every_contract_variable_is_set_from_a_parameter() {
    // CONTRACT §7 variables a user configures through the stack (STATE_MACHINE_ARN is wired, and
    // SLACK_TIMEOUT_MS keeps its default).
    let template = common::template();
    let env = env_by_parameter(&template);
    let vars: Vec<&str> = env
        .values()
        .map(|v| {
            v.trim_start_matches('`')
                .split('`')
                .next()
                .unwrap_or_default()
        })
        .collect();
    for var in [
        "RETRYABLE_REASONS",
        "MAX_ATTEMPTS",
        "RETRY_INTERVAL_SECONDS",
        "BACKOFF_RATE",
        "TARGET_CLUSTERS",
        "SLACK_WEBHOOK_URL",
        "SLACK_WEBHOOK_SECRET_ARN",
    ] {
        assert!(vars.contains(&var), "{var} is not set from a parameter");
    }
    let starter =
        &template["Resources"]["StarterFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        common::ref_target(&starter["STATE_MACHINE_ARN"]),
        Some("StateMachine"),
        "the starter starts this stack's state machine"
    );
}

#[test]
fn example_parameters_set_every_template_parameter_with_an_allowed_value() {
    let template = common::template();
    let example: serde_json::Value =
        serde_json::from_str(&common::read("cloudformation/example-parameters.json"))
            .expect("example-parameters.json is JSON");
    let entries = example
        .as_array()
        .expect("a list of ParameterKey/ParameterValue");
    let mut keys: Vec<&str> = entries
        .iter()
        .map(|e| e["ParameterKey"].as_str().expect("ParameterKey"))
        .collect();
    keys.sort_unstable();
    let mut want: Vec<String> = common::mapping(&template, "Parameters")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    want.sort_unstable();
    assert_eq!(keys, want, "example parameters vs template parameters");
    for entry in entries {
        let key = entry["ParameterKey"].as_str().unwrap_or_default();
        let value = entry["ParameterValue"]
            .as_str()
            .expect("ParameterValue is a string");
        let allowed = &template["Parameters"][key]["AllowedValues"];
        if let Some(allowed) = allowed.as_sequence() {
            let allowed: Vec<String> = allowed.iter().filter_map(common::scalar_string).collect();
            assert!(
                allowed.iter().any(|a| a == value),
                "{key}={value} not in {allowed:?}"
            );
        }
    }
}
