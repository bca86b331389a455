//! The watchdog's resources (docs/CONTRACT.md §10) in the template: the functions' environment is
//! exactly the contract's list, everything of the watchdog exists only with `Watchdog=Enabled`
//! (and nothing else depends on it but through `!If [HasWatchdog, …]`), the facts table has the
//! contract's keys and TTL, the state-change rule forwards what the recorder keeps, the interval
//! drives the schedule, the event age and the not-running alarm, and the roles hold what the
//! watchdog calls.

mod common;

use common::{if_parts, tagged, text};

use serde_yaml_ng::Value;
use std::collections::BTreeSet;

/// The backticked names in `text`, in order.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// CONTRACT §10's environment: (watchdog, recorder).
fn contract_env() -> (Vec<String>, Vec<String>) {
    let contract = common::read("docs/CONTRACT.md");
    let section = contract
        .split_once("## 10. Watchdog")
        .map(|(_, rest)| rest)
        .expect("CONTRACT has §10 Watchdog");
    let (_, env) = section.split_once("\nEnv: ").expect("§10 has an Env: line");
    let (watchdog, rest) = env
        .split_once("; the recorder:")
        .expect("§10 names the recorder's variables after the watchdog's");
    let (recorder, _) = rest.split_once(". ").expect("the recorder's list ends");
    (backticked(watchdog), backticked(recorder))
}

fn env_keys(template: &Value, function: &str) -> Vec<String> {
    template["Resources"][function]["Properties"]["Environment"]["Variables"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{function} has Environment.Variables"))
        .keys()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_functions_environment_is_exactly_the_contracts() {
    let template = common::template();
    let (watchdog, recorder) = contract_env();
    assert!(
        watchdog.len() >= 12 && watchdog.contains(&"STACK_NAME".to_owned()),
        "§10's watchdog list: {watchdog:?}"
    );
    assert_eq!(recorder, ["FACTS_TABLE", "FACTS_RETENTION_DAYS"]);
    assert_eq!(env_keys(&template, "WatchdogFunction"), watchdog);
    assert_eq!(env_keys(&template, "RecorderFunction"), recorder);

    let env = &template["Resources"]["WatchdogFunction"]["Properties"]["Environment"]["Variables"];
    for (var, target) in [
        ("FACTS_TABLE", "FactsTable"),
        ("NOTIFICATION_TOPIC_ARN", "NotificationTopic"),
        ("STARTER_QUEUE_URL", "StarterQueue"),
        ("STATE_MACHINE_ARN", "StateMachine"),
        ("ALERT_KINDS", "WatchdogAlertKinds"),
        ("GRACE_MINUTES", "WatchdogGraceMinutes"),
        ("LOOKBACK_MINUTES", "WatchdogLookbackMinutes"),
        (
            "INVENTORY_REFRESH_MINUTES",
            "WatchdogInventoryRefreshMinutes",
        ),
        ("SILENCED_SCHEDULES", "WatchdogSilencedSchedules"),
        ("RECONCILE_MAX", "WatchdogReconcileMax"),
        (
            "TRANSIENT_STOPPED_REASONS",
            "WatchdogTransientStoppedReasons",
        ),
        ("STACK_NAME", "AWS::StackName"),
    ] {
        assert_eq!(common::ref_target(&env[var]), Some(target), "{var}");
    }
    assert_eq!(
        text(&env["STATE_MACHINE_ROLE_ARN"]).trim(),
        "!GetAtt StateMachineRole.Arn"
    );
    let recorder_env =
        &template["Resources"]["RecorderFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(
        common::ref_target(&recorder_env["FACTS_RETENTION_DAYS"]),
        Some("FactsRetentionDays")
    );
    assert_eq!(
        common::ref_target(&recorder_env["FACTS_TABLE"]),
        Some("FactsTable")
    );

    // The two binaries of crates/watchdog, from the release's zips.
    for (function, key) in [
        (
            "RecorderFunction",
            "${ArtifactPrefix}ecs-rerun-recorder.zip",
        ),
        (
            "WatchdogFunction",
            "${ArtifactPrefix}ecs-rerun-watchdog.zip",
        ),
    ] {
        let p = &template["Resources"][function]["Properties"];
        let (tag, value) = tagged(&p["Code"]["S3Key"]).expect("a !Sub key");
        assert_eq!((tag.as_str(), value.as_str()), ("Sub", Some(key)));
        assert_eq!(p["Runtime"].as_str(), Some("provided.al2023"), "{function}");
        assert_eq!(p["Architectures"][0].as_str(), Some("arm64"), "{function}");
    }
    // §10 step 6: the starter re-runs what the watchdog hands it as STOPPED_BEFORE_RUNNING, only
    // when the watchdog may re-run stopped tasks at all.
    let retryable = &template["Resources"]["StarterFunction"]["Properties"]["Environment"]["Variables"]
        ["RETRYABLE_REASONS"];
    let (cond, extended, plain) = if_parts(retryable).expect("RETRYABLE_REASONS !If");
    assert_eq!(cond, "RerunsStoppedTasks");
    assert_eq!(
        text(extended).trim(),
        "!Sub ${RetryableReasons},STOPPED_BEFORE_RUNNING"
    );
    assert_eq!(common::ref_target(plain), Some("RetryableReasons"));
    let condition = text(&template["Conditions"]["RerunsStoppedTasks"]);
    assert!(
        condition.contains("HasWatchdog") && condition.contains("WatchdogTransientStoppedReasons"),
        "{condition}"
    );
    assert_eq!(
        template["Parameters"]["WatchdogTransientStoppedReasons"]["Default"].as_str(),
        Some(""),
        "off by default"
    );

    let p = &template["Resources"]["WatchdogFunction"]["Properties"];
    assert_eq!(p["Timeout"].as_u64(), Some(120));
    assert_eq!(p["MemorySize"].as_u64(), Some(256));
    assert_eq!(p["ReservedConcurrentExecutions"].as_u64(), Some(1));
}

/// Logical ids `node` refers to outside the then-branch of an `!If [HasWatchdog, …]`.
fn unguarded_refs(node: &Value, out: &mut BTreeSet<String>) {
    if let Some((cond, _, otherwise)) = if_parts(node) {
        if cond == "HasWatchdog" {
            unguarded_refs(otherwise, out);
            return;
        }
    }
    match node {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            let tag = tag.trim_start_matches('!');
            match (tag, &t.value) {
                ("Ref", Value::String(id)) => {
                    out.insert(id.clone());
                }
                ("GetAtt", Value::String(path)) => {
                    out.insert(path.split('.').next().unwrap_or_default().to_owned());
                }
                ("Sub", Value::String(s)) => sub_refs(s, out),
                ("Sub", Value::Sequence(items)) => {
                    if let Some(s) = items.first().and_then(Value::as_str) {
                        sub_refs(s, out);
                    }
                    for item in items.iter().skip(1) {
                        unguarded_refs(item, out);
                    }
                }
                _ => unguarded_refs(&t.value, out),
            }
        }
        Value::Sequence(items) => items.iter().for_each(|i| unguarded_refs(i, out)),
        Value::Mapping(map) => map.values().for_each(|v| unguarded_refs(v, out)),
        _ => {}
    }
}

fn sub_refs(s: &str, out: &mut BTreeSet<String>) {
    for piece in s.split("${").skip(1) {
        if let Some((name, _)) = piece.split_once('}') {
            if !name.starts_with('!') {
                out.insert(name.split('.').next().unwrap_or_default().to_owned());
            }
        }
    }
}

#[test]
fn every_watchdog_resource_is_conditional_on_the_watchdog_parameter() {
    let template = common::template();
    let conditional: BTreeSet<String> = common::resources(&template)
        .into_iter()
        .filter(|(_, r)| r["Condition"].as_str() == Some("HasWatchdog"))
        .map(|(id, _)| id)
        .collect();
    let want: BTreeSet<String> = [
        "FactsTable",
        "TaskStateChangeRule",
        "FactsQueue",
        "FactsDeadLetterQueue",
        "FactsQueuePolicy",
        "RecorderFunction",
        "RecorderRole",
        "RecorderLogGroup",
        "RecorderEventSourceMapping",
        "WatchdogFunction",
        "WatchdogRole",
        "WatchdogLogGroup",
        "WatchdogScheduleRule",
        "WatchdogInvokePermission",
        "WatchdogEventInvokeConfig",
        "WatchdogDeadLetterQueue",
        "FactsDeadLetterQueueAlarm",
        "WatchdogDeadLetterQueueAlarm",
        "RecorderErrorsAlarm",
        "WatchdogErrorsAlarm",
        "WatchdogNotRunningAlarm",
        "ReconciledLaunchesAlarm",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(
        conditional, want,
        "the resources conditional on HasWatchdog"
    );
    assert_eq!(
        text(&template["Conditions"]["HasWatchdog"]).trim(),
        "!Equals\n- !Ref Watchdog\n- Enabled"
    );
    let watchdog = &template["Parameters"]["Watchdog"];
    assert_eq!(watchdog["Default"].as_str(), Some("Enabled"));
    assert_eq!(
        text(&watchdog["AllowedValues"]).trim(),
        "- Enabled\n- Disabled"
    );

    // Nothing that exists without the watchdog refers to it, except through !If [HasWatchdog, …].
    for (id, resource) in common::resources(&template) {
        if conditional.contains(&id) {
            continue;
        }
        let mut refs = BTreeSet::new();
        unguarded_refs(&resource, &mut refs);
        let bad: Vec<&String> = refs.intersection(&conditional).collect();
        assert!(bad.is_empty(), "{id} refers to {bad:?} without HasWatchdog");
    }
    let mut outputs = 0;
    for (name, output) in common::mapping(&template, "Outputs") {
        let mut refs = BTreeSet::new();
        unguarded_refs(output, &mut refs);
        if refs.intersection(&conditional).next().is_some() {
            outputs += 1;
            assert_eq!(
                output["Condition"].as_str(),
                Some("HasWatchdog"),
                "output {name}"
            );
        }
    }
    assert_eq!(
        outputs, 5,
        "FactsTableName, FactsQueueUrl, FactsDeadLetterQueueUrl, WatchdogDeadLetterQueueUrl, WatchdogFunctionName"
    );

    // The launch-failure rule feeds the facts queue only with the watchdog.
    let targets = template["Resources"]["RunTaskFailureRule"]["Properties"]["Targets"]
        .as_sequence()
        .expect("Targets");
    assert_eq!(targets.len(), 2);
    let (cond, facts, none) = if_parts(&targets[1]).expect("an !If target");
    assert_eq!(cond, "HasWatchdog");
    assert_eq!(facts["Id"].as_str(), Some("facts-queue"));
    assert_eq!(text(&facts["Arn"]).trim(), "!GetAtt FactsQueue.Arn");
    assert_eq!(common::ref_target(none), Some("AWS::NoValue"));
}

#[test]
fn the_facts_table_has_the_contracts_keys_and_ttl() {
    let template = common::template();
    let table = &template["Resources"]["FactsTable"];
    assert_eq!(table["Type"].as_str(), Some("AWS::DynamoDB::Table"));
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Delete"));
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    let pairs = |key: &str, a: &str, b: &str| -> Vec<(String, String)> {
        p[key]
            .as_sequence()
            .expect("a list")
            .iter()
            .map(|e| {
                (
                    e[a].as_str().unwrap_or_default().to_owned(),
                    e[b].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        pairs("KeySchema", "AttributeName", "KeyType"),
        [("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]
    );
    assert_eq!(
        pairs("AttributeDefinitions", "AttributeName", "AttributeType"),
        [("pk".into(), "S".into()), ("sk".into(), "S".into())]
    );
    assert_eq!(
        p["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some("expiresAt")
    );
    assert_eq!(
        p["TimeToLiveSpecification"]["Enabled"].as_bool(),
        Some(true)
    );
    let sse = &p["SSESpecification"];
    let (cond, on, off) = if_parts(&sse["SSEEnabled"]).expect("SSEEnabled !If");
    assert_eq!(
        (cond, on.as_bool(), off.as_bool()),
        ("HasKmsKey", Some(true), Some(false))
    );
    let (cond, key, _) = if_parts(&sse["KMSMasterKeyId"]).expect("KMSMasterKeyId !If");
    assert_eq!(
        (cond, common::ref_target(key)),
        ("HasKmsKey", Some("KmsKey"))
    );
    let days = &template["Parameters"]["FactsRetentionDays"];
    assert_eq!(
        [&days["Default"], &days["MinValue"], &days["MaxValue"]].map(Value::as_u64),
        [Some(3), Some(1), Some(30)]
    );
}

#[test]
fn the_state_change_rule_forwards_what_the_recorder_keeps() {
    let template = common::template();
    let rule = &template["Resources"]["TaskStateChangeRule"]["Properties"];
    let pattern = &rule["EventPattern"];
    assert_eq!(text(&pattern["source"]).trim(), "- aws.ecs");
    assert_eq!(
        text(&pattern["detail-type"]).trim(),
        "- ECS Task State Change"
    );
    let prefixes: Vec<&str> = pattern["detail"]["startedBy"]
        .as_sequence()
        .expect("startedBy")
        .iter()
        .filter_map(|m| m["prefix"].as_str())
        .collect();
    assert_eq!(
        prefixes,
        ["events-rule/", "chronos-schedule/", "ecs-rerun/"]
    );
    let statuses: Vec<&str> = pattern["detail"]["lastStatus"]
        .as_sequence()
        .expect("lastStatus")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(statuses, ["PROVISIONING", "PENDING", "RUNNING", "STOPPED"]);
    let target = &rule["Targets"][0];
    assert_eq!(text(&target["Arn"]).trim(), "!GetAtt FactsQueue.Arn");

    // The facts queue takes events from these two rules only, and outlasts the recorder's retries.
    let statement =
        &template["Resources"]["FactsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(
        statement["Principal"]["Service"].as_str(),
        Some("events.amazonaws.com")
    );
    let sources = text(&statement["Condition"]["ArnEquals"]["aws:SourceArn"]);
    assert_eq!(
        sources.trim(),
        "- !GetAtt TaskStateChangeRule.Arn\n- !GetAtt RunTaskFailureRule.Arn"
    );
    let dlq_policy = &template["Resources"]["RuleDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]
        ["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"];
    let (cond, both, one) = if_parts(dlq_policy).expect("the rules' DLQ: !If HasWatchdog");
    assert_eq!(cond, "HasWatchdog");
    assert!(
        text(both).contains("TaskStateChangeRule.Arn")
            && text(both).contains("RunTaskFailureRule.Arn")
    );
    assert_eq!(text(one).trim(), "!GetAtt RunTaskFailureRule.Arn");

    let queue = &template["Resources"]["FactsQueue"]["Properties"];
    let timeout = template["Resources"]["RecorderFunction"]["Properties"]["Timeout"]
        .as_u64()
        .expect("recorder Timeout");
    let visibility = queue["VisibilityTimeout"]
        .as_u64()
        .expect("VisibilityTimeout");
    assert!(
        visibility >= 6 * timeout,
        "facts queue visibility {visibility} s < 6 x the recorder's {timeout} s"
    );
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(5));
    assert_eq!(
        text(&queue["RedrivePolicy"]["deadLetterTargetArn"]).trim(),
        "!GetAtt FactsDeadLetterQueue.Arn"
    );
    let mapping = &template["Resources"]["RecorderEventSourceMapping"]["Properties"];
    assert_eq!(mapping["BatchSize"].as_u64(), Some(10));
    assert_eq!(
        text(&mapping["FunctionResponseTypes"]).trim(),
        "- ReportBatchItemFailures"
    );
}

#[test]
fn the_interval_drives_the_schedule_the_event_age_and_the_not_running_alarm() {
    let template = common::template();
    let interval = &template["Parameters"]["WatchdogIntervalMinutes"];
    assert_eq!(interval["Default"].as_u64(), Some(5));
    let (min, max) = (
        interval["MinValue"].as_u64().expect("MinValue"),
        interval["MaxValue"].as_u64().expect("MaxValue"),
    );
    assert_eq!((min, max), (1, 60));
    // One entry per allowed value, in seconds.
    let entries = common::mapping(&template["Mappings"], "WatchdogInterval");
    let got: Vec<(String, Option<u64>)> = entries
        .iter()
        .map(|(minutes, e)| (minutes.clone(), e["Seconds"].as_u64()))
        .collect();
    let want: Vec<(String, Option<u64>)> =
        (min..=max).map(|m| (m.to_string(), Some(m * 60))).collect();
    assert_eq!(got, want, "Mappings.WatchdogInterval");
    let seconds = "!FindInMap\n- WatchdogInterval\n- !Ref WatchdogIntervalMinutes\n- Seconds";

    let rule = &template["Resources"]["WatchdogScheduleRule"]["Properties"];
    let (cond, one, many) = if_parts(&rule["ScheduleExpression"]).expect("an !If");
    assert_eq!(cond, "WatchdogEveryMinute");
    assert_eq!(one.as_str(), Some("rate(1 minute)"));
    assert_eq!(
        text(many).trim(),
        "!Sub rate(${WatchdogIntervalMinutes} minutes)"
    );
    assert!(
        text(&template["Conditions"]["WatchdogEveryMinute"]).contains("WatchdogIntervalMinutes")
    );
    assert_eq!(
        text(&rule["Targets"][0]["Arn"]).trim(),
        "!GetAtt WatchdogFunction.Arn"
    );
    let permission = &template["Resources"]["WatchdogInvokePermission"]["Properties"];
    assert_eq!(
        text(&permission["SourceArn"]).trim(),
        "!GetAtt WatchdogScheduleRule.Arn"
    );

    let invoke = &template["Resources"]["WatchdogEventInvokeConfig"]["Properties"];
    assert_eq!(invoke["MaximumRetryAttempts"].as_u64(), Some(2));
    assert_eq!(text(&invoke["MaximumEventAgeInSeconds"]).trim(), seconds);
    assert_eq!(
        text(&invoke["DestinationConfig"]["OnFailure"]["Destination"]).trim(),
        "!GetAtt WatchdogDeadLetterQueue.Arn"
    );

    let alarm = &template["Resources"]["WatchdogNotRunningAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("Invocations"));
    assert_eq!(alarm["Statistic"].as_str(), Some("Sum"));
    assert_eq!(text(&alarm["Period"]).trim(), seconds);
    assert_eq!(alarm["EvaluationPeriods"].as_u64(), Some(3));
    assert_eq!(alarm["Threshold"].as_u64(), Some(1));
    assert_eq!(
        alarm["ComparisonOperator"].as_str(),
        Some("LessThanThreshold")
    );
    assert_eq!(alarm["TreatMissingData"].as_str(), Some("breaching"));

    let reconciled = &template["Resources"]["ReconciledLaunchesAlarm"]["Properties"];
    assert_eq!(reconciled["Namespace"].as_str(), Some("ecs-rerun"));
    assert_eq!(
        reconciled["MetricName"].as_str(),
        Some("ReconciledLaunches")
    );
    assert_eq!(reconciled["Dimensions"][0]["Name"].as_str(), Some("Stack"));
    assert_eq!(
        common::ref_target(&reconciled["Dimensions"][0]["Value"]),
        Some("AWS::StackName")
    );
    assert_eq!(reconciled["Statistic"].as_str(), Some("Sum"));
    assert_eq!(
        reconciled["ComparisonOperator"].as_str(),
        Some("GreaterThanThreshold")
    );
    assert_eq!(reconciled["Threshold"].as_u64(), Some(0));
}

/// Every (action, resource text) the role's policy allows.
fn allowed(template: &Value, role: &str) -> Vec<(String, String)> {
    let statements =
        template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{role} statements"));
    let mut out = Vec::new();
    for statement in statements {
        let statement = match if_parts(statement) {
            Some((_, then, _)) => then,
            None => statement,
        };
        let actions: Vec<String> = match &statement["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Sequence(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let resource = text(&statement["Resource"]).trim().to_owned();
        out.extend(actions.into_iter().map(|a| (a, resource.clone())));
    }
    out
}

#[test]
fn the_roles_hold_what_the_recorder_and_the_watchdog_call() {
    let template = common::template();
    let check = |role: &str, want: &[(&str, &str)]| {
        let got = allowed(&template, role);
        for (action, resource) in want {
            assert!(
                got.iter().any(|(a, r)| a == action && r.contains(resource)),
                "{role} may not {action} on {resource}: {got:?}"
            );
        }
        // nothing writes beyond this stack's table, topic and queues
        for (action, resource) in &got {
            if action.starts_with("dynamodb:") {
                assert_eq!(resource, "!GetAtt FactsTable.Arn", "{role} {action}");
            }
            if action == "sqs:SendMessage" || action == "sns:Publish" {
                assert!(!resource.contains('*'), "{role} {action} on {resource}");
            }
        }
    };
    check(
        "RecorderRole",
        &[
            ("dynamodb:PutItem", "FactsTable.Arn"),
            ("sqs:ReceiveMessage", "FactsQueue.Arn"),
            ("sqs:DeleteMessage", "FactsQueue.Arn"),
            ("kms:Decrypt", "KmsKey"),
        ],
    );
    check(
        "WatchdogRole",
        &[
            ("dynamodb:Query", "FactsTable.Arn"),
            ("dynamodb:UpdateItem", "FactsTable.Arn"),
            ("dynamodb:PutItem", "FactsTable.Arn"),
            ("events:ListEventBuses", "*"),
            ("events:ListRules", "*"),
            ("events:DescribeRule", ":rule/*"),
            ("events:ListTargetsByRule", ":rule/*"),
            ("scheduler:ListScheduleGroups", "*"),
            ("scheduler:ListSchedules", "*"),
            ("scheduler:GetSchedule", ":schedule/*/*"),
            ("cloudtrail:LookupEvents", "*"),
            ("cloudwatch:GetMetricData", "*"),
            ("sns:Publish", "NotificationTopic"),
            ("cloudwatch:PutMetricData", "*"),
            ("sqs:SendMessage", "StarterQueue.Arn"),
            ("sqs:SendMessage", "WatchdogDeadLetterQueue.Arn"),
            (
                "states:DescribeExecution",
                "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${StateMachine.Name}:*",
            ),
            ("kms:GenerateDataKey*", "KmsKey"),
        ],
    );
}
