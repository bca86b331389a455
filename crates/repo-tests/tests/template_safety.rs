//! Deploying the template must not run someone else's code, and the machinery must not fail
//! silently (issue 9): release buckets listed explicitly (one source, release-buckets.json),
//! object versions pinned, permissions boundary on every role, a dead-letter queue behind every
//! delivery, alarms on every part with the operator topic as action and no alarm loop through
//! Slack, and the webhook readable from exactly one Secrets Manager secret.

mod common;

use common::{if_parts, tagged, text};

use serde_yaml_ng::Value;
use std::collections::BTreeMap;

fn release_buckets() -> BTreeMap<String, String> {
    serde_json::from_str(&common::read("cloudformation/release-buckets.json"))
        .expect("release-buckets.json is a JSON object {region: bucket}")
}

fn resources_of(template: &Value, kind: &str) -> Vec<(String, Value)> {
    common::resources(template)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .collect()
}

#[test]
fn release_regions_in_the_template_are_release_buckets_json() {
    let template = common::template();
    let want = release_buckets();
    assert!(!want.is_empty(), "at least one release region");
    let mapping: BTreeMap<String, String> = common::mapping(&template["Mappings"], "ReleaseBucket")
        .into_iter()
        .map(|(region, entry)| {
            let bucket = entry["Bucket"].as_str().expect("Bucket").to_owned();
            (region, bucket)
        })
        .collect();
    assert_eq!(
        mapping, want,
        "Mappings.ReleaseBucket vs release-buckets.json (run scripts/release-buckets)"
    );
    let assertion = &template["Rules"]["ReleaseBucketInThisRegion"]["Assertions"][0];
    let (tag, args) = tagged(&assertion["Assert"]).expect("a tagged Assert");
    assert_eq!(tag, "Contains");
    let regions: Vec<&str> = args[0]
        .as_sequence()
        .expect("a region list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut regions_sorted = regions.clone();
    regions_sorted.sort_unstable();
    let keys: Vec<&str> = want.keys().map(String::as_str).collect();
    assert_eq!(
        regions_sorted, keys,
        "the rule's regions are the mapping's regions"
    );
    assert_eq!(common::ref_target(&args[1]), Some("AWS::Region"));
    let rule = &template["Rules"]["ReleaseBucketInThisRegion"];
    assert!(
        text(&rule["RuleCondition"]).contains("ArtifactBucket"),
        "the rule applies when ArtifactBucket is empty"
    );
    let description = assertion["AssertDescription"].as_str().unwrap_or_default();
    assert!(
        description.contains("ecs-rerun package --bucket"),
        "the rule says how to deploy from your own bucket: {description}"
    );
}

#[test]
fn no_release_template_names_another_regions_bucket() {
    let template = common::template();
    let buckets = release_buckets();
    // Each release bucket is its own region's: its name carries that region and no other.
    for (region, bucket) in &buckets {
        for other in buckets.keys().filter(|r| *r != region) {
            assert!(
                !bucket.contains(other.as_str()) || bucket.contains(region.as_str()),
                "{region}'s bucket {bucket} names {other}"
            );
        }
        assert!(
            bucket.contains(region.as_str()),
            "{bucket} is not named after {region}"
        );
    }
    // Outside the mapping, no bucket name or name pattern appears in the template.
    let mut without_mappings = template.clone();
    without_mappings
        .as_mapping_mut()
        .expect("a mapping")
        .remove("Mappings");
    let rest = text(&without_mappings);
    assert!(
        !rest.contains("ecs-rerun-releases"),
        "a release bucket name outside Mappings.ReleaseBucket"
    );
    for bucket in buckets.values() {
        assert!(
            !rest.contains(bucket.as_str()),
            "{bucket} outside the mapping"
        );
    }
    // Every artifact location is ArtifactBucket, or this region's entry of the mapping.
    let locations = [
        ("StarterFunction", "Code", "S3Bucket"),
        ("NotifierFunction", "Code", "S3Bucket"),
        ("RecorderFunction", "Code", "S3Bucket"),
        ("WatchdogFunction", "Code", "S3Bucket"),
        ("StateMachine", "DefinitionS3Location", "Bucket"),
    ];
    for (id, property, key) in locations {
        let value = &template["Resources"][id]["Properties"][property][key];
        let (cond, release, own) =
            if_parts(value).unwrap_or_else(|| panic!("{id}.{property}.{key} is an !If"));
        assert_eq!(cond, "UseReleaseBucket", "{id}");
        assert_eq!(common::ref_target(own), Some("ArtifactBucket"), "{id}");
        let (tag, args) = tagged(release).expect("!FindInMap");
        assert_eq!(tag, "FindInMap", "{id}");
        assert_eq!(args[0].as_str(), Some("ReleaseBucket"), "{id}");
        assert_eq!(
            common::ref_target(&args[1]),
            Some("AWS::Region"),
            "{id}: this region only"
        );
    }
}

#[test]
fn artifact_object_versions_are_pinned_by_parameters() {
    let template = common::template();
    for (id, property, key, parameter) in [
        (
            "StarterFunction",
            "Code",
            "S3ObjectVersion",
            "StarterZipVersion",
        ),
        (
            "NotifierFunction",
            "Code",
            "S3ObjectVersion",
            "NotifierZipVersion",
        ),
        (
            "RecorderFunction",
            "Code",
            "S3ObjectVersion",
            "RecorderZipVersion",
        ),
        (
            "WatchdogFunction",
            "Code",
            "S3ObjectVersion",
            "WatchdogZipVersion",
        ),
        (
            "StateMachine",
            "DefinitionS3Location",
            "Version",
            "DefinitionVersion",
        ),
    ] {
        let value = &template["Resources"][id]["Properties"][property][key];
        let (_, set, unset) =
            if_parts(value).unwrap_or_else(|| panic!("{id}.{property}.{key} is an !If"));
        assert_eq!(common::ref_target(set), Some(parameter), "{id}.{key}");
        assert_eq!(
            common::ref_target(unset),
            Some("AWS::NoValue"),
            "{id}.{key}: empty = unpinned"
        );
        assert!(
            template["Parameters"][parameter]["Default"].as_str() == Some(""),
            "{parameter} defaults to empty"
        );
    }
}

#[test]
fn every_role_has_the_permissions_boundary() {
    let template = common::template();
    let roles = resources_of(&template, "AWS::IAM::Role");
    assert!(
        roles.len() >= 3,
        "starter, state machine and notifier roles"
    );
    for (id, role) in roles {
        let value = &role["Properties"]["PermissionsBoundary"];
        let (cond, set, unset) =
            if_parts(value).unwrap_or_else(|| panic!("{id} has no PermissionsBoundary !If"));
        assert_eq!(cond, "HasPermissionsBoundary", "{id}");
        assert_eq!(common::ref_target(set), Some("PermissionsBoundary"), "{id}");
        assert_eq!(common::ref_target(unset), Some("AWS::NoValue"), "{id}");
    }
}

#[test]
fn state_machine_logs_under_vendedlogs() {
    let template = common::template();
    let name = &template["Resources"]["StateMachineLogGroup"]["Properties"]["LogGroupName"];
    let (tag, args) = tagged(name).expect("a !Sub name");
    assert_eq!(tag, "Sub");
    let pattern = args[0].as_str().expect("the !Sub string");
    assert!(
        pattern.starts_with("/aws/vendedlogs/states/"),
        "{pattern} is not under /aws/vendedlogs/states/"
    );
}

#[test]
fn every_delivery_has_a_dead_letter_queue() {
    let template = common::template();
    let resources = &template["Resources"];
    let target = &resources["RunTaskFailureRule"]["Properties"]["Targets"][0];
    assert!(
        text(&target["DeadLetterConfig"]["Arn"]).contains("RuleDeadLetterQueue"),
        "the rule's SQS target has a DLQ"
    );
    assert!(
        target["RetryPolicy"]["MaximumRetryAttempts"]
            .as_u64()
            .is_some()
    );
    assert!(
        target["RetryPolicy"]["MaximumEventAgeInSeconds"]
            .as_u64()
            .is_some()
    );
    // Every rule target that is a queue, the watchdog's conditional one included, is retried and
    // has the rules' DLQ.
    let mut queue_targets = 0;
    for (id, rule) in resources_of(&template, "AWS::Events::Rule") {
        for target in rule["Properties"]["Targets"]
            .as_sequence()
            .expect("Targets")
        {
            let target = match if_parts(target) {
                Some((_, then, _)) => then,
                None => target,
            };
            if !text(&target["Arn"]).contains("Queue.Arn") {
                continue;
            }
            queue_targets += 1;
            assert!(
                text(&target["DeadLetterConfig"]["Arn"]).contains("RuleDeadLetterQueue"),
                "{id}: its queue target has the rules' DLQ"
            );
            assert!(
                target["RetryPolicy"]["MaximumEventAgeInSeconds"]
                    .as_u64()
                    .is_some(),
                "{id}: RetryPolicy"
            );
        }
    }
    assert_eq!(
        queue_targets, 3,
        "starter queue, facts queue from both rules"
    );
    // Every queue a consumer reads has a DLQ behind it (maxReceiveCount).
    for (id, queue) in resources_of(&template, "AWS::SQS::Queue") {
        if id.ends_with("DeadLetterQueue") {
            continue;
        }
        let redrive = &queue["Properties"]["RedrivePolicy"];
        assert!(
            text(&redrive["deadLetterTargetArn"]).contains("DeadLetterQueue"),
            "{id} has a redrive policy"
        );
        assert!(redrive["maxReceiveCount"].as_u64().is_some(), "{id}");
    }
    let subscription = &resources["NotifierSubscription"];
    assert!(
        text(&subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
            .contains("NotifierDeadLetterQueue"),
        "the SNS -> SQS subscription has a redrive policy"
    );
    let depends: Vec<&str> = subscription["DependsOn"]
        .as_sequence()
        .expect("DependsOn list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for policy in ["NotifierQueuePolicy", "NotifierDeadLetterQueuePolicy"] {
        assert!(
            depends.contains(&policy),
            "the subscription waits for {policy}"
        );
    }
    // Each DLQ lets in only its own sender.
    for (policy, service) in [
        ("RuleDeadLetterQueuePolicy", "events.amazonaws.com"),
        ("NotifierDeadLetterQueuePolicy", "sns.amazonaws.com"),
    ] {
        let statement = &resources[policy]["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(statement["Principal"]["Service"].as_str(), Some(service));
        assert!(statement["Condition"]["ArnEquals"]["aws:SourceArn"].is_tagged());
    }
}

trait IsTagged {
    fn is_tagged(&self) -> bool;
}
impl IsTagged for Value {
    fn is_tagged(&self) -> bool {
        matches!(self, Value::Tagged(_))
    }
}

#[test]
fn dead_letter_queues_are_kept_on_delete_when_the_parameter_says_so() {
    let template = common::template();
    assert_eq!(
        template["Transform"].as_str(),
        Some("AWS::LanguageExtensions"),
        "a conditional DeletionPolicy needs the transform"
    );
    let retain = text(&template["Conditions"]["RetainDlqs"]);
    assert!(retain.contains("RetainDeadLetterQueues"), "{retain}");
    let mut queues: Vec<String> = resources_of(&template, "AWS::SQS::Queue")
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| id.ends_with("DeadLetterQueue"))
        .collect();
    queues.sort_unstable();
    assert_eq!(
        queues,
        [
            "FactsDeadLetterQueue",
            "NotifierDeadLetterQueue",
            "RuleDeadLetterQueue",
            "StarterDeadLetterQueue",
            "WatchdogDeadLetterQueue",
        ],
        "starter, rule, notifier, facts and watchdog DLQs"
    );
    for id in queues {
        for attribute in ["DeletionPolicy", "UpdateReplacePolicy"] {
            let value = &template["Resources"][id.as_str()][attribute];
            let (cond, yes, no) =
                if_parts(value).unwrap_or_else(|| panic!("{id}.{attribute} is an !If"));
            assert_eq!(
                (cond, yes.as_str(), no.as_str()),
                ("RetainDlqs", Some("Retain"), Some("Delete")),
                "{id}.{attribute}"
            );
        }
    }
}

#[test]
fn queues_and_topics_use_the_kms_key_when_given() {
    let template = common::template();
    for (id, q) in resources_of(&template, "AWS::SQS::Queue") {
        let key = &q["Properties"]["KmsMasterKeyId"];
        let (cond, set, _) = if_parts(key).unwrap_or_else(|| panic!("{id}: KmsMasterKeyId !If"));
        assert_eq!(
            (cond, common::ref_target(set)),
            ("HasKmsKey", Some("KmsKey")),
            "{id}"
        );
        let sse = &q["Properties"]["SqsManagedSseEnabled"];
        let (cond, _, otherwise) = if_parts(sse).unwrap_or_else(|| panic!("{id}: SSE !If"));
        assert_eq!(
            (cond, otherwise.as_bool()),
            ("HasKmsKey", Some(true)),
            "{id}"
        );
    }
    for (id, topic) in resources_of(&template, "AWS::SNS::Topic") {
        let key = &topic["Properties"]["KmsMasterKeyId"];
        assert!(
            text(key).contains("KmsKey"),
            "{id}: the topic uses KmsKey when given"
        );
    }
    // The roles that read or write the encrypted queues and topic may use the key.
    for role in [
        "StarterRole",
        "StateMachineRole",
        "NotifierRole",
        "RecorderRole",
        "WatchdogRole",
    ] {
        let policy = text(&template["Resources"][role]["Properties"]["Policies"]);
        assert!(
            policy.contains("kms:Decrypt") && policy.contains("HasKmsKey"),
            "{role} gets kms:Decrypt under KmsKey"
        );
    }
}

/// The alarms whose failure is on the Slack path itself.
const SLACK_PATH: &[&str] = &[
    "NotifierErrorsAlarm",
    "NotifierThrottlesAlarm",
    "NotifierDeadLetterQueueAlarm",
    "NotificationDeliveryFailedAlarm",
];

#[test]
fn alarms_cover_the_machinery_and_reach_the_operator_without_a_loop() {
    let template = common::template();
    let alarms: BTreeMap<String, Value> = resources_of(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .collect();
    let watched: Vec<(String, String, String)> = alarms
        .values()
        .map(|a| {
            let p = &a["Properties"];
            (
                p["Namespace"].as_str().unwrap_or_default().to_owned(),
                p["MetricName"].as_str().unwrap_or_default().to_owned(),
                text(&p["Dimensions"][0]["Value"]),
            )
        })
        .collect();
    for (namespace, metric, subject) in [
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "StarterDeadLetterQueue",
        ),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "NotifierDeadLetterQueue",
        ),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "RuleDeadLetterQueue",
        ),
        ("AWS/States", "ExecutionsFailed", "StateMachine"),
        ("AWS/States", "ExecutionsTimedOut", "StateMachine"),
        ("AWS/States", "ExecutionsAborted", "StateMachine"),
        ("AWS/Lambda", "Errors", "StarterFunction"),
        ("AWS/Lambda", "Throttles", "StarterFunction"),
        ("AWS/Lambda", "Errors", "NotifierFunction"),
        ("AWS/Lambda", "Throttles", "NotifierFunction"),
        ("AWS/Events", "FailedInvocations", "RunTaskFailureRule"),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "FactsDeadLetterQueue",
        ),
        (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            "WatchdogDeadLetterQueue",
        ),
        ("AWS/Lambda", "Errors", "RecorderFunction"),
        ("AWS/Lambda", "Errors", "WatchdogFunction"),
        ("AWS/Lambda", "Invocations", "WatchdogFunction"),
        ("ecs-rerun", "ReconciledLaunches", "AWS::StackName"),
        (
            "AWS/SNS",
            "NumberOfNotificationsFailed",
            "NotificationTopic",
        ),
    ] {
        assert!(
            watched
                .iter()
                .any(|(n, m, s)| n == namespace && m == metric && s.contains(subject)),
            "no alarm on {namespace} {metric} of {subject}"
        );
    }
    for name in SLACK_PATH {
        assert!(alarms.contains_key(*name), "{name} exists");
    }
    for (id, alarm) in &alarms {
        let p = &alarm["Properties"];
        assert!(p.get("AlarmName").is_none(), "{id}: no fixed alarm name");
        // Missing data is no news, except for the alarm whose news is that nothing happened.
        let missing = if id == "WatchdogNotRunningAlarm" {
            "breaching"
        } else {
            "notBreaching"
        };
        assert_eq!(p["TreatMissingData"].as_str(), Some(missing), "{id}");
        let actions = p["AlarmActions"].as_sequence().expect("AlarmActions");
        let operator = actions.iter().any(|a| {
            if_parts(a).is_some_and(|(cond, new, existing)| {
                cond == "CreateOperatorTopic"
                    && common::ref_target(new) == Some("OperatorTopic")
                    && common::ref_target(existing) == Some("OperatorTopicArn")
            })
        });
        assert!(operator, "{id}: the operator topic is an action");
        let to_slack = actions
            .iter()
            .any(|a| common::ref_target(a) == Some("NotificationTopic"));
        if SLACK_PATH.contains(&id.as_str()) {
            assert!(
                !to_slack,
                "{id} is about the Slack path: operator topic only (no loop)"
            );
        } else {
            assert!(
                to_slack,
                "{id} also reaches Slack through the notification topic"
            );
        }
    }
}

#[test]
fn the_webhook_secret_is_readable_and_nothing_more() {
    let template = common::template();
    let resources = &template["Resources"];
    let env = &resources["NotifierFunction"]["Properties"]["Environment"]["Variables"];
    let (cond, set, _) = if_parts(&env["SLACK_WEBHOOK_SECRET_ARN"]).expect("an !If");
    assert_eq!(
        (cond, common::ref_target(set)),
        ("HasWebhookSecret", Some("SlackWebhookSecret"))
    );
    let (cond, set, _) = if_parts(&env["SLACK_WEBHOOK_URL"]).expect("an !If");
    assert_eq!(
        (cond, common::ref_target(set)),
        ("HasWebhookUrl", Some("SlackWebhookUrl"))
    );
    assert_eq!(
        common::ref_target(&env["NOTIFIER_DLQ_URL"]),
        Some("NotifierDeadLetterQueue")
    );

    let statements =
        resources["NotifierRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .expect("statements");
    let conditional = |sid: &str| -> (String, Value) {
        statements
            .iter()
            .find_map(|s| {
                let (cond, stmt, _) = if_parts(s)?;
                (stmt["Sid"].as_str() == Some(sid)).then(|| (cond.to_owned(), stmt.clone()))
            })
            .unwrap_or_else(|| panic!("no conditional statement {sid}"))
    };
    let (cond, read) = conditional("ReadTheWebhookSecret");
    assert_eq!(cond, "HasWebhookSecret");
    assert_eq!(
        read["Action"].as_str(),
        Some("secretsmanager:GetSecretValue")
    );
    let (cond, arn, by_name) = if_parts(&read["Resource"]).expect("ARN or name");
    assert_eq!(cond, "WebhookSecretIsArn");
    assert_eq!(common::ref_target(arn), Some("SlackWebhookSecret"));
    assert!(
        text(by_name).contains(
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SlackWebhookSecret}-??????"
        ),
        "a name becomes exactly that secret's ARN pattern"
    );
    let (cond, decrypt) = conditional("DecryptTheWebhookSecret");
    assert_eq!(cond, "HasWebhookSecretKmsKey");
    assert_eq!(
        common::ref_target(&decrypt["Resource"]),
        Some("SlackWebhookSecretKmsKey")
    );
    assert!(text(&decrypt["Condition"]).contains("kms:ViaService"));

    for statement in statements {
        let action = text(statement);
        if action.contains("sqs:SendMessage") {
            assert!(
                action.contains("NotifierDeadLetterQueue"),
                "SendMessage only to its DLQ"
            );
        }
    }
    let rules = text(&template["Rules"]["OneWebhookSource"]);
    assert!(rules.contains("SlackWebhookUrl") && rules.contains("SlackWebhookSecret"));
    let notifier_condition = text(&template["Conditions"]["HasSlackWebhook"]);
    assert!(
        notifier_condition.contains("HasWebhookUrl")
            && notifier_condition.contains("HasWebhookSecret"),
        "the notifier exists with either"
    );
}
