//! One home per configuration rule: the template's parameters hold the same defaults, ranges,
//! allowed values and comma-list policy as the core's constants (`ecs_rerun_core::plan::config`),
//! which the starter's environment and the CLI's flags use too.

mod common;

use ecs_rerun_core::plan::config::{
    ALL_CLUSTERS, DEFAULT_BACKOFF_RATE, DEFAULT_INTERVAL_SECONDS, DEFAULT_MAX_ATTEMPTS,
    DEFAULT_OTHER_STATE_MACHINES, DEFAULT_RETRYABLE_REASONS, DEFAULT_TARGET_CLUSTERS,
    INTERVAL_SECONDS_RANGE, MAX_ATTEMPTS_RANGE, MIN_BACKOFF_RATE, OtherStateMachines, PlanConfig,
    TEMPLATE_MAX_BACKOFF_RATE, parse_list,
};
use regex::Regex;
use serde_yaml_ng::Value;

fn parameter(name: &str) -> Value {
    let template = common::template();
    let p = template["Parameters"][name].clone();
    assert!(p.is_mapping(), "the template has no parameter {name}");
    p
}

/// A parameter attribute as a number (`Default`, `MinValue`, `MaxValue`).
fn number(name: &str, attribute: &str) -> f64 {
    let p = parameter(name);
    let text =
        common::scalar_string(&p[attribute]).unwrap_or_else(|| panic!("{name} has no {attribute}"));
    text.parse()
        .unwrap_or_else(|_| panic!("{name}.{attribute} = {text:?} is not a number"))
}

fn string(name: &str, attribute: &str) -> String {
    common::scalar_string(&parameter(name)[attribute])
        .unwrap_or_else(|| panic!("{name} has no {attribute}"))
}

/// The parameter's `AllowedPattern`, matched as CloudFormation does: against the whole value.
fn allowed_pattern(name: &str) -> Regex {
    let pattern = string(name, "AllowedPattern");
    Regex::new(&format!("^(?:{pattern})$"))
        .unwrap_or_else(|e| panic!("{name}'s AllowedPattern is not a regex: {e}"))
}

#[test]
fn numeric_parameters_have_the_cores_defaults_and_ranges() {
    let cases: [(&str, f64, f64, f64); 3] = [
        (
            "MaxAttempts",
            f64::from(DEFAULT_MAX_ATTEMPTS),
            f64::from(*MAX_ATTEMPTS_RANGE.start()),
            f64::from(*MAX_ATTEMPTS_RANGE.end()),
        ),
        (
            "RetryIntervalSeconds",
            f64::from(DEFAULT_INTERVAL_SECONDS),
            f64::from(*INTERVAL_SECONDS_RANGE.start()),
            f64::from(*INTERVAL_SECONDS_RANGE.end()),
        ),
        (
            "BackoffRate",
            DEFAULT_BACKOFF_RATE,
            MIN_BACKOFF_RATE,
            TEMPLATE_MAX_BACKOFF_RATE,
        ),
    ];
    for (name, default, min, max) in cases {
        assert_eq!(string(name, "Type"), "Number", "{name}");
        assert_eq!(number(name, "Default"), default, "{name} Default");
        assert_eq!(number(name, "MinValue"), min, "{name} MinValue");
        assert_eq!(number(name, "MaxValue"), max, "{name} MaxValue");
    }
}

#[test]
fn the_templates_defaults_are_the_cores_default_config_and_fit_one_execution() {
    let defaults = PlanConfig {
        retryable_reasons: parse_list(&string("RetryableReasons", "Default")).expect("a list"),
        max_attempts: number("MaxAttempts", "Default") as u32,
        interval_seconds: number("RetryIntervalSeconds", "Default") as u32,
        backoff_rate: number("BackoffRate", "Default"),
        target_clusters: parse_list(&string("TargetClusters", "Default")).expect("a list"),
        other_state_machines: OtherStateMachines::parse(&string(
            "OtherStateMachineLaunches",
            "Default",
        ))
        .expect("a policy"),
        ..PlanConfig::default()
    };
    assert_eq!(defaults, PlanConfig::default());
    assert_eq!(defaults.validate(), Ok(()));
}

#[test]
fn other_state_machine_launches_allows_exactly_the_cores_policies() {
    let name = "OtherStateMachineLaunches";
    assert_eq!(
        string(name, "Default"),
        DEFAULT_OTHER_STATE_MACHINES.as_str()
    );
    let allowed: Vec<String> = parameter(name)["AllowedValues"]
        .as_sequence()
        .expect("AllowedValues")
        .iter()
        .filter_map(common::scalar_string)
        .collect();
    let core: Vec<&str> = OtherStateMachines::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(allowed, core);
}

/// Value, whether the template's pattern accepts it, whether the core's `parse_list` does.
type ListCase = (&'static str, bool, bool);

/// The pattern and the core agree on every list: what the pattern accepts the core reads as
/// exactly its comma-separated items; an empty item is refused by both. The pattern also refuses
/// spaces around commas, which the core trims (what CloudFormation refuses never reaches it).
fn check_list_policy(name: &str, cases: &[ListCase]) {
    let pattern = allowed_pattern(name);
    for &(value, template_accepts, core_accepts) in cases {
        assert_eq!(
            pattern.is_match(value),
            template_accepts,
            "{name}: template on {value:?}"
        );
        let parsed = parse_list(value);
        assert_eq!(parsed.is_ok(), core_accepts, "{name}: core on {value:?}");
        if template_accepts {
            let items: Vec<String> = value.split(',').map(str::to_owned).collect();
            assert_eq!(parsed, Ok(items), "{name}: {value:?}");
        }
        if let Err(e) = parsed {
            assert_eq!(
                e.error_type(),
                "EcsRerun.EmptyListItem",
                "{name}: {value:?}"
            );
            assert!(!template_accepts, "{name}: {value:?}");
        }
    }
}

#[test]
fn retryable_reasons_follow_the_one_comma_list_policy() {
    let name = "RetryableReasons";
    assert_eq!(string(name, "Default"), DEFAULT_RETRYABLE_REASONS);
    check_list_policy(
        name,
        &[
            ("AGENT", true, true),
            ("AGENT,RESOURCE:MEMORY", true, true),
            (
                "AGENT,Capacity is unavailable at this time. Please try again later or in a different availability zone",
                true,
                true,
            ),
            ("AGENT,,X", false, false),
            ("AGENT,", false, false),
            (",AGENT", false, false),
            ("", false, false),
            ("AGENT, RESOURCE:MEMORY", false, true),
            (" AGENT", false, true),
        ],
    );
}

#[test]
fn target_clusters_follow_the_one_comma_list_policy() {
    let name = "TargetClusters";
    assert_eq!(string(name, "Default"), DEFAULT_TARGET_CLUSTERS);
    check_list_policy(
        name,
        &[
            ("*", true, true),
            ("prod", true, true),
            ("prod,batch-2,dev_1", true, true),
            ("prod,", false, false),
            (",prod", false, false),
            ("prod,,batch", false, false),
            ("", false, false),
            ("prod, batch", false, true),
        ],
    );
    // `*` is every cluster, for the core as for the template's description.
    let all = PlanConfig {
        target_clusters: parse_list(ALL_CLUSTERS).expect("a list"),
        ..PlanConfig::default()
    };
    assert!(all.cluster_allowed("anything"));
}
