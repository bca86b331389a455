//! Live mode against the SDK's own test utilities (aws-smithy-mocks): rules (one ECS target and
//! one Lambda target), Scheduler schedules, RunTask calls from CloudTrail on two pages, task fates
//! from ECS DescribeTasks; one run ran, one launched (ECS no longer knows its task), one missed.

use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsOutput;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
use aws_sdk_eventbridge::operation::describe_rule::DescribeRuleOutput;
use aws_sdk_eventbridge::operation::list_event_buses::ListEventBusesOutput;
use aws_sdk_eventbridge::operation::list_rules::ListRulesOutput;
use aws_sdk_eventbridge::operation::list_targets_by_rule::ListTargetsByRuleOutput;
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::operation::list_schedule_groups::ListScheduleGroupsOutput;
use aws_sdk_scheduler::operation::list_schedules::ListSchedulesOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use chrono::TimeZone;

use super::*;

const ACCOUNT: &str = "arn:aws:events:us-east-1:123456789012";
const CLUSTER: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/batch";
const TASK_RAN: &str =
    "arn:aws:ecs:us-east-1:123456789012:task/batch/0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const TASK_GONE: &str =
    "arn:aws:ecs:us-east-1:123456789012:task/batch/9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const SCHED: &str = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/";

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, s)
        .single()
        .expect("test data")
}

fn events() -> aws_sdk_eventbridge::Client {
    use aws_sdk_eventbridge::Client;
    use aws_sdk_eventbridge::types::{EcsParameters, EventBus, Rule as EbRule, RuleState, Target};
    let buses = mock!(Client::list_event_buses).then_output(|| {
        ListEventBusesOutput::builder()
            .event_buses(EventBus::builder().name("default").build())
            .build()
    });
    let rules = mock!(Client::list_rules)
        .match_requests(|r| r.event_bus_name() == Some("default"))
        .then_output(|| {
            ListRulesOutput::builder()
                .rules(
                    EbRule::builder()
                        .name("nightly-export")
                        .schedule_expression("cron(0 10 * * ? *)")
                        .build(),
                )
                .rules(
                    EbRule::builder()
                        .name("lambda-only")
                        .schedule_expression("rate(5 minutes)")
                        .build(),
                )
                .build()
        });
    let describe = mock!(Client::describe_rule)
        .match_requests(|r| r.name() == Some("nightly-export"))
        .then_output(|| {
            DescribeRuleOutput::builder()
                .name("nightly-export")
                .arn(format!("{ACCOUNT}:rule/nightly-export"))
                .event_bus_name("default")
                .schedule_expression("cron(0 10 * * ? *)")
                .state(RuleState::Enabled)
                .build()
        });
    let describe_lambda = mock!(Client::describe_rule)
        .match_requests(|r| r.name() == Some("lambda-only"))
        .then_output(|| {
            DescribeRuleOutput::builder()
                .name("lambda-only")
                .arn(format!("{ACCOUNT}:rule/lambda-only"))
                .schedule_expression("rate(5 minutes)")
                .state(RuleState::Enabled)
                .build()
        });
    let targets = mock!(Client::list_targets_by_rule)
        .match_requests(|r| r.rule() == Some("nightly-export"))
        .then_output(|| {
            ListTargetsByRuleOutput::builder()
                .targets(
                    Target::builder()
                        .id("ecs")
                        .arn(CLUSTER)
                        .ecs_parameters(
                            EcsParameters::builder()
                                .task_definition_arn(
                                    "arn:aws:ecs:us-east-1:123456789012:task-definition/export:3",
                                )
                                .build()
                                .expect("test data"),
                        )
                        .build()
                        .expect("test data"),
                )
                .build()
        });
    let lambda_targets = mock!(Client::list_targets_by_rule)
        .match_requests(|r| r.rule() == Some("lambda-only"))
        .then_output(|| {
            ListTargetsByRuleOutput::builder()
                .targets(
                    Target::builder()
                        .id("fn")
                        .arn("arn:aws:lambda:us-east-1:123456789012:function:tick")
                        .build()
                        .expect("test data"),
                )
                .build()
        });
    mock_client!(
        aws_sdk_eventbridge,
        RuleMode::MatchAny,
        [
            &buses,
            &rules,
            &describe,
            &describe_lambda,
            &targets,
            &lambda_targets
        ]
    )
}

fn schedule_output(name: &str, expr: &str) -> GetScheduleOutput {
    use aws_sdk_scheduler::types::{
        EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
    };
    GetScheduleOutput::builder()
        .name(name)
        .arn(format!("{SCHED}{name}"))
        .group_name("default")
        .schedule_expression(expr)
        .schedule_expression_timezone("Europe/Paris")
        .state(ScheduleState::Enabled)
        .creation_date(aws_smithy_types::DateTime::from_secs(1_700_000_000))
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .expect("test data"),
        )
        .target(
            Target::builder()
                .arn(CLUSTER)
                .role_arn("arn:aws:iam::123456789012:role/scheduler-ecs")
                .ecs_parameters(
                    EcsParameters::builder()
                        .task_definition_arn(format!(
                            "arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:1"
                        ))
                        .build()
                        .expect("test data"),
                )
                .build()
                .expect("test data"),
        )
        .build()
}

fn scheduler() -> aws_sdk_scheduler::Client {
    use aws_sdk_scheduler::Client;
    use aws_sdk_scheduler::types::{ScheduleGroupSummary, ScheduleSummary};
    let groups = mock!(Client::list_schedule_groups).then_output(|| {
        ListScheduleGroupsOutput::builder()
            .schedule_groups(ScheduleGroupSummary::builder().name("default").build())
            .build()
            .expect("test data")
    });
    let list = mock!(Client::list_schedules)
        .match_requests(|r| r.group_name() == Some("default"))
        .then_output(|| {
            ListSchedulesOutput::builder()
                .schedules(ScheduleSummary::builder().name("report").build())
                .schedules(ScheduleSummary::builder().name("sync").build())
                .build()
                .expect("test data")
        });
    // 12:00 and 13:00 in Paris (UTC+1 in March) are 11:00 and 12:00 UTC
    let report = mock!(Client::get_schedule)
        .match_requests(|r| r.name() == Some("report"))
        .then_output(|| schedule_output("report", "cron(0 12 * * ? *)"));
    let sync = mock!(Client::get_schedule)
        .match_requests(|r| r.name() == Some("sync"))
        .then_output(|| schedule_output("sync", "cron(0 13 * * ? *)"));
    mock_client!(
        aws_sdk_scheduler,
        RuleMode::MatchAny,
        [&groups, &list, &report, &sync]
    )
}

fn record(id: &str, time: &str, started_by: &str, td: &str, task: &str) -> String {
    json!({
        "eventVersion": "1.09",
        "eventTime": time,
        "eventSource": "ecs.amazonaws.com",
        "eventName": "RunTask",
        "awsRegion": "us-east-1",
        "requestParameters": {
            "cluster": CLUSTER,
            "taskDefinition": format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{td}"),
            "count": 1,
            "launchType": "FARGATE",
            "startedBy": started_by
        },
        "responseElements": {
            "tasks": [{"taskArn": task, "lastStatus": "PROVISIONING", "startedBy": started_by}],
            "failures": []
        },
        "eventID": id,
        "eventType": "AwsApiCall",
        "recipientAccountId": "123456789012"
    })
    .to_string()
}

fn cloudtrail() -> (aws_sdk_cloudtrail::Client, [Rule; 2]) {
    cloudtrail_for("events-rule/nightly-export", "chronos-schedule/report")
}

/// RunTask at 10:00:04 by `ran_by` (task `TASK_RAN`), at 11:00:02 by `gone_by` (`TASK_GONE`).
fn cloudtrail_for(
    ran_by: &'static str,
    gone_by: &'static str,
) -> (aws_sdk_cloudtrail::Client, [Rule; 2]) {
    use aws_sdk_cloudtrail::Client;
    use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey};
    let runtask = |r: &aws_sdk_cloudtrail::operation::lookup_events::LookupEventsInput| {
        r.lookup_attributes().iter().any(|a| {
            a.attribute_key() == &LookupAttributeKey::EventName && a.attribute_value() == "RunTask"
        }) && r.start_time().is_some()
            && r.end_time()
                == Some(&aws_smithy_types::DateTime::from_secs(
                    t(13, 0, 0).timestamp(),
                ))
    };
    let first = mock!(Client::lookup_events)
        .match_requests(move |r| runtask(r) && r.next_token().is_none())
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(
                    Event::builder()
                        .event_id("11111111-2222-4333-8444-555555555555")
                        .event_name("RunTask")
                        .cloud_trail_event(record(
                            "11111111-2222-4333-8444-555555555555",
                            "2026-03-02T10:00:04Z",
                            ran_by,
                            "export:3",
                            TASK_RAN,
                        ))
                        .build(),
                )
                .next_token("page-2")
                .build()
        });
    let second = mock!(Client::lookup_events)
        .match_requests(move |r| runtask(r) && r.next_token() == Some("page-2"))
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(
                    Event::builder()
                        .event_id("66666666-7777-4888-9999-000000000000")
                        .event_name("RunTask")
                        .cloud_trail_event(record(
                            "66666666-7777-4888-9999-000000000000",
                            "2026-03-02T11:00:02Z",
                            gone_by,
                            "report:1",
                            TASK_GONE,
                        ))
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&first, &second]);
    (client, [first, second])
}

fn ecs() -> (aws_sdk_ecs::Client, Rule) {
    use aws_sdk_ecs::Client;
    use aws_sdk_ecs::types::{Container, Failure, Task};
    let describe = mock!(Client::describe_tasks)
        .match_requests(|r| {
            r.cluster() == Some("batch")
                && r.tasks().len() == 2
                && r.tasks().iter().all(|t| t == TASK_RAN || t == TASK_GONE)
        })
        .then_output(|| {
            DescribeTasksOutput::builder()
                .tasks(
                    Task::builder()
                        .task_arn(TASK_RAN)
                        .cluster_arn(CLUSTER)
                        .started_by("events-rule/whatever-started-it")
                        .last_status("STOPPED")
                        .created_at(aws_sdk_ecs::primitives::DateTime::from_secs(
                            t(10, 0, 4).timestamp(),
                        ))
                        .started_at(aws_sdk_ecs::primitives::DateTime::from_secs(
                            t(10, 0, 40).timestamp(),
                        ))
                        .stopped_at(aws_sdk_ecs::primitives::DateTime::from_secs(
                            t(10, 5, 0).timestamp(),
                        ))
                        .stop_code(aws_sdk_ecs::types::TaskStopCode::EssentialContainerExited)
                        .stopped_reason("Essential container in task exited")
                        .containers(Container::builder().name("app").exit_code(0).build())
                        .build(),
                )
                .failures(Failure::builder().arn(TASK_GONE).reason("MISSING").build())
                .build()
        });
    let client = mock_client!(aws_sdk_ecs, [&describe]);
    (client, describe)
}

fn clients() -> (Clients, Vec<Rule>) {
    let (cloudtrail, pages) = cloudtrail();
    let (ecs, describe) = ecs();
    let mut rules = pages.to_vec();
    rules.push(describe);
    (
        Clients {
            events: events(),
            scheduler: scheduler(),
            cloudtrail,
            ecs,
        },
        rules,
    )
}

#[tokio::test]
async fn one_ran_one_launched_one_missed() {
    let (c, rules) = clients();
    let report = report(
        &c,
        t(10, 0, 0),
        t(13, 0, 0),
        TimeDelta::minutes(15),
        t(13, 0, 0),
    )
    .await
    .expect("live report");
    let json = report.json();
    let runs: Vec<(String, String, String, Vec<String>)> = json
        .as_array()
        .expect("test data")
        .iter()
        .map(|r| {
            (
                r["schedule"].as_str().expect("test data").to_string(),
                r["due"].as_str().expect("test data").to_string(),
                r["status"].as_str().expect("test data").to_string(),
                r["taskArns"]
                    .as_array()
                    .expect("test data")
                    .iter()
                    .map(|a| a.as_str().expect("test data").to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        runs,
        vec![
            (
                format!("{ACCOUNT}:rule/nightly-export"),
                "2026-03-02T10:00:00Z".to_string(),
                "ran".to_string(),
                vec![TASK_RAN.to_string()]
            ),
            (
                format!("{SCHED}report"),
                "2026-03-02T11:00:00Z".to_string(),
                "launched".to_string(),
                vec![TASK_GONE.to_string()]
            ),
            (
                format!("{SCHED}sync"),
                "2026-03-02T12:00:00Z".to_string(),
                "missed".to_string(),
                vec![]
            ),
        ]
    );
    // the Lambda-only rule is no schedule of the audit
    assert!(report.schedules.iter().all(|s| s.name != "lambda-only"));
    assert!(!report.all_ran());
    for r in &rules {
        assert_eq!(
            r.num_calls(),
            1,
            "each page and the one DescribeTasks batch once"
        );
    }
}

#[tokio::test]
async fn the_document_is_the_offline_one() {
    let (c, _rules) = clients();
    let (doc, events) = read(
        &c,
        t(10, 0, 0),
        t(13, 0, 0),
        TimeDelta::minutes(15),
        t(13, 0, 0),
    )
    .await
    .expect("test data");
    let schedules = source::parse(&doc).expect("test data");
    let names: Vec<&str> = schedules.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["nightly-export", "report", "sync"]);
    assert_eq!(schedules[1].tz.name(), "Europe/Paris");
    let facts = Facts::from_events(&events).expect("test data");
    assert_eq!(facts.launches.len(), 2);
    assert_eq!(facts.fates.len(), 1, "ECS no longer knows the second task");
    let fate = &facts.fates[TASK_RAN];
    assert!(fate.ran && fate.stopped && fate.nonzero_exits.is_empty());
}

#[tokio::test]
async fn an_api_error_is_one_line_naming_the_call_exit_2() {
    use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError;
    let denied = mock!(aws_sdk_cloudtrail::Client::lookup_events).then_error(|| {
        LookupEventsError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: cloudtrail:LookupEvents")
                .build(),
        )
    });
    let (mut c, _rules) = clients();
    c.cloudtrail = mock_client!(aws_sdk_cloudtrail, [&denied]);
    let err = report(
        &c,
        t(10, 0, 0),
        t(13, 0, 0),
        TimeDelta::minutes(15),
        t(13, 0, 0),
    )
    .await
    .expect_err("an error");
    let line = crate::common::one_line(&err);
    assert!(line.starts_with("LookupEvents: "), "{line}");
    assert!(line.contains("AccessDeniedException"), "{line}");
    assert_eq!(crate::common::exit_code(&err), 2);
}

#[test]
fn since_and_the_90_days() {
    assert_eq!(since("7d").expect("test data"), TimeDelta::days(7));
    assert_eq!(since("12h").expect("test data"), TimeDelta::hours(12));
    assert_eq!(since("30m").expect("test data"), TimeDelta::minutes(30));
    for bad in ["", "d", "0d", "-1d", "7w", "7", "1.5h"] {
        let err = since(bad).expect_err("an error");
        assert_eq!(crate::common::exit_code(&err), 2, "{bad}");
    }
    let now = t(13, 0, 0);
    assert!(check_window(now - TimeDelta::days(90), now).is_ok());
    let err = check_window(now - TimeDelta::days(91), now).expect_err("an error");
    assert!(
        crate::common::one_line(&err).contains("CloudTrail LookupEvents keeps 90 days"),
        "{err:#}"
    );
}

/// Rules and schedules from LocalStack (created here through the SDK), RunTask calls and fates
/// from aws-smithy-mocks (LocalStack has neither CloudTrail LookupEvents nor ECS here).
/// Run by scripts/audit-live-test, which starts LocalStack and sets ECS_RERUN_AUDIT_LS_ENDPOINT.
#[tokio::test]
#[ignore = "needs LocalStack: scripts/audit-live-test"]
async fn localstack_rule_and_schedules() {
    use aws_sdk_eventbridge::types::{EcsParameters as EbEcs, Target as EbTarget};
    use aws_sdk_scheduler::types::{
        EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
    };
    let endpoint = std::env::var("ECS_RERUN_AUDIT_LS_ENDPOINT")
        .expect("ECS_RERUN_AUDIT_LS_ENDPOINT: LocalStack's URL (scripts/audit-live-test)");
    let sdk = crate::doctor::aws::sdk_config(Some("us-east-1"), None, Some(&endpoint))
        .await
        .expect("SDK config");
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let scheduler = aws_sdk_scheduler::Client::new(&sdk);
    let td = |n: &str| format!("arn:aws:ecs:us-east-1:000000000000:task-definition/{n}:1");
    let rule = events
        .put_rule()
        .name("ls-export")
        .schedule_expression("cron(0 10 * * ? *)")
        .send()
        .await
        .expect("PutRule");
    events
        .put_targets()
        .rule("ls-export")
        .targets(
            EbTarget::builder()
                .id("ecs")
                .arn(CLUSTER)
                .role_arn("arn:aws:iam::000000000000:role/events-ecs")
                .ecs_parameters(
                    EbEcs::builder()
                        .task_definition_arn(td("export"))
                        .build()
                        .expect("ecs"),
                )
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("PutTargets");
    events
        .put_rule()
        .name("ls-no-ecs")
        .schedule_expression("rate(5 minutes)")
        .send()
        .await
        .expect("PutRule");
    let mut arns = Vec::new();
    for (name, expr) in [
        ("ls-report", "cron(0 11 * * ? *)"),
        ("ls-sync", "cron(0 12 * * ? *)"),
    ] {
        let out = scheduler
            .create_schedule()
            .name(name)
            .schedule_expression(expr)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(
                FlexibleTimeWindow::builder()
                    .mode(FlexibleTimeWindowMode::Off)
                    .build()
                    .expect("window"),
            )
            .target(
                Target::builder()
                    .arn(CLUSTER)
                    .role_arn("arn:aws:iam::000000000000:role/scheduler-ecs")
                    .ecs_parameters(
                        EcsParameters::builder()
                            .task_definition_arn(td(name))
                            .build()
                            .expect("ecs"),
                    )
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("CreateSchedule");
        arns.push(out.schedule_arn().to_string());
    }
    let (cloudtrail, _pages) =
        cloudtrail_for("events-rule/ls-export", "chronos-schedule/ls-report");
    let (ecs, _describe) = ecs();
    let c = Clients {
        events,
        scheduler,
        cloudtrail,
        ecs,
    };
    let report = report(
        &c,
        t(10, 0, 0),
        t(13, 0, 0),
        TimeDelta::minutes(15),
        t(13, 0, 0),
    )
    .await
    .expect("live report");
    let runs: Vec<(String, String, String)> = report
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().expect("string").to_string();
            (s("schedule"), s("status"), r["taskArns"].to_string())
        })
        .collect();
    assert_eq!(
        runs,
        vec![
            (
                rule.rule_arn().expect("rule ARN").to_string(),
                "ran".to_string(),
                json!([TASK_RAN]).to_string()
            ),
            (
                arns[0].clone(),
                "launched".to_string(),
                json!([TASK_GONE]).to_string()
            ),
            (arns[1].clone(), "missed".to_string(), "[]".to_string()),
        ]
    );
    assert!(report.schedules.iter().all(|s| s.name != "ls-no-ecs"));
}
