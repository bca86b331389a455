//! The watchdog's notifications (CONTRACT §10a, [`crate::watch`]): the notice's title as the
//! header, its description, the schedule's facts as fields, what the audit found, what AWS says,
//! the tasks with their logs, the next steps, and buttons to the schedule, the tasks and their
//! logs in the console. The words are the notice's own, so Slack and Amazon Q say the same.

use super::blocks::{
    SlackMessage, buttons, context, fields, finish, header, link, list_section, section,
};
use super::escape::escape;
use super::generic::next_steps;
use crate::links;
use crate::notification::Notification;
use crate::watch::{ScheduleType, WatchKind, summary_line};

/// The most tasks that get their own buttons (each has two: the task and its logs).
const MAX_TASK_BUTTONS: usize = 3;

fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The cluster of a task: the notice's, else the one in a new-format task ARN
/// (`…:task/<cluster>/<id>`).
fn task_cluster<'a>(cluster: &'a str, task: &'a str) -> &'a str {
    if !cluster.is_empty() {
        return cluster;
    }
    let mut parts = task.rsplit('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(c), Some(_)) => c,
        _ => "",
    }
}

/// `0a1b2c3d4e5f…` → `0a1b2c3d` (a button label).
fn short_id(task: &str) -> String {
    last_segment(task).chars().take(8).collect()
}

/// Renders a watchdog notification of `kind`.
pub(crate) fn render(kind: WatchKind, n: &Notification) -> SlackMessage {
    let ctx = |k: &str| n.context(k).unwrap_or_default().trim();
    let schedule_arn = ctx("scheduleArn");
    let name = match ctx("scheduleName") {
        "" => match last_segment(schedule_arn) {
            "" => "?",
            s => s,
        },
        s => s,
    };
    let schedule_type = ScheduleType::parse(ctx("scheduleType"));
    let region = ctx("region");
    let cluster = ctx("cluster");
    let task_arns = n.task_arns();
    let details: Vec<String> = n
        .context("details")
        .and_then(|d| serde_json::from_str::<Vec<serde_json::Value>>(d).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|d| !d.trim().is_empty())
        .collect();

    let summary = n
        .metadata
        .as_ref()
        .and_then(|m| m.summary.as_deref())
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            summary_line(
                kind,
                name,
                ctx("scheduleType"),
                ctx("expression"),
                ctx("timezone"),
                ctx("dueAt"),
                "",
            )
        });
    let title = n
        .content
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map_or_else(|| summary.clone(), str::to_string);
    let description = n.content.description.as_deref().unwrap_or_default();

    let mut blocks = vec![header(escape(&title))];
    if !description.trim().is_empty() {
        blocks.push(section(escape(description)));
    }

    let mut facts = Vec::new();
    let mut schedule = format!("`{}`", escape(name));
    match schedule_type {
        Some(ScheduleType::Rule) => {
            let bus = match ctx("eventBus") {
                "" => "default",
                b => b,
            };
            schedule.push_str(&format!(" (EventBridge rule, bus {})", escape(bus)));
        }
        Some(ScheduleType::Schedule) => {
            let group = match ctx("scheduleGroup") {
                "" => "default",
                g => g,
            };
            schedule.push_str(&format!(" (Scheduler schedule, group {})", escape(group)));
        }
        None => {}
    }
    facts.push(format!("*Schedule*\n{schedule}"));
    let expression = [ctx("expression"), ctx("timezone")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .map(escape)
        .collect::<Vec<_>>()
        .join(" ");
    if !expression.is_empty() {
        facts.push(format!("*Expression*\n{expression}"));
    }
    let decided = match kind {
        WatchKind::Disabled => "Checked",
        _ => "Decided",
    };
    for (label, key) in [("Due", "dueAt"), (decided, "decidedAt")] {
        if !ctx(key).is_empty() {
            facts.push(format!("*{label}*\n{}", escape(ctx(key))));
        }
    }
    if !cluster.is_empty() {
        facts.push(format!("*Cluster*\n{}", escape(last_segment(cluster))));
    }
    let task_definition = ctx("taskDefinition");
    if !task_definition.is_empty() {
        facts.push(format!(
            "*Task definition*\n{}",
            escape(last_segment(task_definition))
        ));
    }
    let account = ctx("account");
    if !account.is_empty() || !region.is_empty() {
        facts.push(format!(
            "*Account / Region*\n{} / {}",
            escape(account),
            escape(region)
        ));
    }
    blocks.push(fields(facts));

    if !details.is_empty() {
        let lines: Vec<String> = details.iter().map(|d| format!("• {}", escape(d))).collect();
        blocks.push(list_section("*What the watchdog found*", &lines));
    }
    let missed_because = ctx("missedBecause");
    if !missed_because.is_empty() && !description.contains(missed_because) {
        blocks.push(section(format!("*AWS says:* {}", escape(missed_because))));
    }
    if !task_arns.is_empty() {
        let lines: Vec<String> = task_arns
            .iter()
            .map(|arn| {
                let c = task_cluster(cluster, arn);
                let id = escape(last_segment(arn));
                if region.is_empty() || c.is_empty() {
                    format!("• {id}")
                } else {
                    format!(
                        "• {} ({})",
                        link(&links::task_url(region, c, arn), &id),
                        link(&links::task_logs_url(region, c, arn), "logs")
                    )
                }
            })
            .collect();
        let title = if task_arns.len() == 1 {
            "*Task*"
        } else {
            "*Tasks*"
        };
        blocks.push(list_section(title, &lines));
    }
    blocks.extend(next_steps(n));

    let mut link_buttons: Vec<(String, String)> = Vec::new();
    if !region.is_empty() && name != "?" {
        match schedule_type {
            Some(ScheduleType::Rule) => link_buttons.push((
                "Open the rule".into(),
                links::rule_url(region, ctx("eventBus"), name),
            )),
            Some(ScheduleType::Schedule) => link_buttons.push((
                "Open the schedule".into(),
                links::schedule_url(region, ctx("scheduleGroup"), name),
            )),
            None => {}
        }
        for arn in task_arns.iter().take(MAX_TASK_BUTTONS) {
            let c = task_cluster(cluster, arn);
            if c.is_empty() {
                continue;
            }
            let (task, logs) = if task_arns.len() == 1 {
                ("ECS task".to_string(), "Task logs".to_string())
            } else {
                let id = short_id(arn);
                (format!("Task {id}"), format!("Logs {id}"))
            };
            link_buttons.push((task, links::task_url(region, c, arn)));
            link_buttons.push((logs, links::task_logs_url(region, c, arn)));
        }
    }
    if !link_buttons.is_empty() {
        blocks.push(buttons(
            link_buttons
                .iter()
                .map(|(label, url)| (label.as_str(), url.clone()))
                .collect(),
        ));
    }
    blocks.push(context(vec![match kind {
        WatchKind::Disabled => "ecs-rerun watchdog: reported once a day while disabled".to_string(),
        _ => "ecs-rerun watchdog: reported once per run".to_string(),
    }]));

    finish(escape(&summary), blocks)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::notification::Notification;
    use crate::slack::{render_notification, render_sns};
    use crate::watch::{ScheduleType, WatchKind, WatchRun, watch_notice};

    fn run(kind: WatchKind) -> WatchRun {
        WatchRun {
            kind,
            schedule_arn: "arn:aws:events:us-east-1:123456789012:rule/nightly-batch".into(),
            schedule_name: "nightly-batch".into(),
            schedule_type: ScheduleType::Rule,
            event_bus: "default".into(),
            expression: "cron(0 2 * * ? *)".into(),
            timezone: "UTC".into(),
            due_at: "2026-12-02T02:00:00Z".into(),
            decided_at: "2026-12-02T02:15:00Z".into(),
            cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/prod".into(),
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:12"
                .into(),
            task_arns: vec!["arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f".into()],
            details: vec!["task 0a1b2c3d4e5f stopped without running: stopCode TaskFailedToStart; stoppedReason CannotPullContainerError: pull access denied".into()],
            ..WatchRun::default()
        }
    }

    fn texts(v: &Value) -> Vec<String> {
        v["blocks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["text"]["text"].as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn every_kind_renders_its_own_look() {
        for kind in WatchKind::ALL {
            let n = watch_notice(&run(kind));
            let m = serde_json::to_value(render_sns(None, &n.to_json())).expect("serialises");
            assert_eq!(
                m["blocks"][0]["text"]["text"].as_str(),
                n.content.title.as_deref(),
                "{kind:?}"
            );
            let label = match kind {
                WatchKind::Missed => "Missed: ",
                WatchKind::FailedToStart => "Failed to start: ",
                WatchKind::Failed => "Failed: ",
                WatchKind::Disabled => "Disabled: ",
            };
            let text = m["text"].as_str().unwrap_or_default();
            assert!(
                text.starts_with(&format!(
                    "{label}nightly-batch (rule cron(0 2 * * ? *) UTC)"
                )),
                "{text}"
            );
            let all = texts(&m).join("\n");
            assert!(all.contains("*What the watchdog found*"), "{kind:?}");
            assert!(all.contains("*Next steps*"), "{kind:?}");
            let actions = m["blocks"]
                .as_array()
                .and_then(|b| b.iter().find(|b| b["type"] == "actions"))
                .expect("buttons");
            let urls: Vec<&str> = actions["elements"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["url"].as_str())
                .collect();
            assert_eq!(
                urls,
                [
                    "https://us-east-1.console.aws.amazon.com/events/home?region=us-east-1#/eventbus/default/rules/nightly-batch",
                    "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0a1b2c3d4e5f?region=us-east-1",
                    "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0a1b2c3d4e5f/logs?region=us-east-1",
                ],
                "{kind:?}"
            );
        }
    }

    #[test]
    fn a_scheduler_schedule_links_to_its_group() {
        let mut r = run(WatchKind::Missed);
        r.schedule_type = ScheduleType::Schedule;
        r.schedule_arn = "arn:aws-cn:scheduler:cn-north-1:123456789012:schedule/etl/nightly".into();
        r.schedule_name = "nightly".into();
        r.schedule_group = "etl".into();
        r.event_bus = String::new();
        r.task_arns = vec![];
        r.missed_because = "TargetErrorCount 1 between 02:00 and 02:15".into();
        let m = serde_json::to_value(render_notification(&watch_notice(&r))).expect("serialises");
        let json = m.to_string();
        assert!(
            json.contains(
                "https://console.amazonaws.cn/scheduler/home?region=cn-north-1#schedules/etl/nightly"
            ),
            "{json}"
        );
        assert!(json.contains("(Scheduler schedule, group etl)"), "{json}");
        // missedBecause is in the description: said once.
        assert_eq!(
            json.matches("TargetErrorCount 1 between").count(),
            1,
            "{json}"
        );
    }

    #[test]
    fn another_apps_missed_is_not_ours() {
        let n = watch_notice(&run(WatchKind::Missed));
        let mut v: Value = serde_json::from_str(&n.to_json()).expect("JSON");
        v["metadata"]["additionalContext"]
            .as_object_mut()
            .expect("context")
            .remove("source");
        let m = serde_json::to_value(render_sns(None, &v.to_string())).expect("serialises");
        let all = texts(&m).join("\n");
        assert!(!all.contains("*What the watchdog found*"), "{all}");
        assert!(
            !m.to_string().contains("\"actions\""),
            "generic has no buttons"
        );
        let other = json!({"version": "1.0", "source": "custom",
            "content": {"title": "Backup missed"},
            "metadata": {"additionalContext": {"kind": "missed", "source": "backup-app"}}});
        let n = Notification::parse(&other.to_string()).expect("parses");
        assert_eq!(crate::watch::watch_kind(&n), None);
        let m = render_notification(&n);
        assert_eq!(m.text, "Backup missed");
    }

    #[test]
    fn data_is_escaped() {
        let mut r = run(WatchKind::FailedToStart);
        r.schedule_name = "<!channel> & @here".into();
        r.expression = "cron(<b>)".into();
        r.details = vec!["stoppedReason <!everyone> <https://evil|x>".into()];
        r.task_arns = vec!["arn:aws:ecs:us-east-1:1:task/prod/<!here>".into()];
        let m = serde_json::to_value(render_sns(None, &watch_notice(&r).to_json()))
            .expect("serialises");
        let json = m.to_string();
        for raw in [
            "<!channel>",
            "<!everyone>",
            "<!here>",
            "<b>",
            "<https://evil",
            "@here",
        ] {
            assert!(!json.contains(raw), "{raw} leaked: {json}");
        }
        assert!(
            json.contains("&lt;!channel&gt; &amp; @\u{2060}here"),
            "{json}"
        );
        assert!(json.contains("tasks/%3C%21here%3E?region"), "{json}");
    }
}
