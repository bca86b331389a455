//! Two stacks of this template must coexist in one account and region: no resource may carry a
//! fixed physical name, and nothing secret may leave the stack through its outputs.

mod common;

use serde_yaml_ng::Value;

/// Properties that set a physical name, by resource type ("*" = any type).
const NAME_PROPERTIES: &[(&str, &str)] = &[
    ("*", "FunctionName"),
    ("*", "QueueName"),
    ("*", "TopicName"),
    ("*", "StateMachineName"),
    ("*", "RoleName"),
    ("*", "LogGroupName"),
    ("*", "ManagedPolicyName"),
    ("*", "BucketName"),
    ("*", "TableName"),
    ("*", "AlarmName"),
    ("AWS::Events::Rule", "Name"),
    ("AWS::Events::EventBus", "Name"),
];

#[test]
fn no_resource_has_a_fixed_name() {
    let template = common::template();
    let resources = common::resources(&template);
    assert!(!resources.is_empty());
    let ids: Vec<&str> = resources.iter().map(|(id, _)| id.as_str()).collect();
    // A reference to another resource of this stack (an event source mapping's FunctionName) is
    // not a name; anything else is: a literal, a !Sub, a parameter.
    let refers_to_resource =
        |value: &Value| common::ref_target(value).is_some_and(|target| ids.contains(&target));
    // A name built from the stack id (its UUID) differs for every stack, even a re-created one
    // (the state machine's log group must have a name, under /aws/vendedlogs/states/).
    let unique_per_stack = |value: &Value| {
        serde_yaml_ng::to_string(value).is_ok_and(|text| text.contains("AWS::StackId"))
    };
    let mut fixed = Vec::new();
    for (id, resource) in &resources {
        let kind = resource["Type"].as_str().unwrap_or_default();
        let Some(props) = resource.get("Properties").and_then(Value::as_mapping) else {
            continue;
        };
        for (for_type, property) in NAME_PROPERTIES {
            let applies = *for_type == "*" || *for_type == kind;
            if let Some(value) = props.get(*property).filter(|_| applies) {
                if !refers_to_resource(value) && !unique_per_stack(value) {
                    fixed.push(format!("{id} ({kind}).{property}"));
                }
            }
        }
    }
    assert!(fixed.is_empty(), "fixed physical names: {fixed:?}");
}

#[test]
fn outputs_never_expose_the_webhook_and_nothing_is_exported() {
    let template = common::template();
    for (name, output) in common::mapping(&template, "Outputs") {
        let text = serde_yaml_ng::to_string(output).expect("serialise output");
        assert!(
            !text.contains("SlackWebhookUrl"),
            "output {name} reveals the webhook"
        );
        assert!(
            output.get("Export").is_none(),
            "output {name} exports a fixed name"
        );
    }
    let webhook = &template["Parameters"]["SlackWebhookUrl"];
    assert_eq!(
        webhook["NoEcho"],
        Value::Bool(true),
        "SlackWebhookUrl is NoEcho"
    );
}

#[test]
fn every_log_group_has_a_retention() {
    let template = common::template();
    for (id, resource) in common::resources(&template) {
        if resource["Type"].as_str() == Some("AWS::Logs::LogGroup") {
            assert_eq!(
                common::ref_target(&resource["Properties"]["RetentionInDays"]),
                Some("LogRetentionDays"),
                "{id}: retention from the LogRetentionDays parameter"
            );
        }
    }
}
