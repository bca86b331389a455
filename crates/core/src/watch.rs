//! The watchdog's notifications (CONTRACT §10a): a scheduled ECS run that went wrong — missed,
//! failed to start, failed — or a disabled ECS schedule, as an Amazon Q custom notification
//! (same schema as §5). Every word is written here ([`watch_notice`]); the watchdog only fills in
//! a [`WatchRun`] from the audit's verdict, and the notifier renders it (`slack::watch`).

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::notification::{Content, Metadata, Notification};

/// `additionalContext.source` of every watchdog notification: how the notifier tells them from
/// §5's (and from another app's notification that happens to say `kind: missed`).
pub const SOURCE: &str = "ecs-rerun-watchdog";
/// The most audit reasons a notification carries (`additionalContext.details`).
pub const MAX_DETAILS: usize = 20;
/// The most characters of one audit reason.
pub const MAX_DETAIL_CHARS: usize = 500;
/// The most task ARNs a notification carries (`additionalContext.taskArns`; a scheduled run
/// starts at most 10 tasks per RunTask).
pub const MAX_TASKS: usize = 20;
/// The most characters of any other value taken from the run (an ARN is at most 2048): with the
/// other caps, a notification stays well inside SNS's 256 KiB whatever the data.
pub const MAX_VALUE_CHARS: usize = 2048;
/// The most characters of `missedBecause`.
const MAX_MISSED_BECAUSE: usize = 500;
/// The most characters of a value quoted in the title, the description or the one-line summary
/// (a schedule name is at most 64, an expression 256; this only bounds hostile data).
const MAX_QUOTED: usize = 300;
/// The most characters of the schedule's name in the title (names are at most 64; the title stays
/// within Slack's 150-character header).
const MAX_TITLE_NAME: usize = 100;
/// The most characters of a keyword.
const MAX_KEYWORD: usize = 64;

/// What went wrong with a scheduled run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WatchKind {
    /// No RunTask with the schedule's `startedBy` by the decision time (§9 `missed`).
    #[default]
    Missed,
    /// A task was started and stopped without ever running (§9 `failed-to-start`).
    FailedToStart,
    /// A task ran and a container exited non-zero (§9 `failed`).
    Failed,
    /// The ECS schedule is disabled: it runs nothing until enabled.
    Disabled,
}

impl WatchKind {
    /// Every kind.
    pub const ALL: [WatchKind; 4] = [
        WatchKind::Missed,
        WatchKind::FailedToStart,
        WatchKind::Failed,
        WatchKind::Disabled,
    ];

    /// Slug of `additionalContext.kind`, the id suffix, the SNS `kind` attribute and
    /// `ALERT_KINDS`.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchKind::Missed => "missed",
            WatchKind::FailedToStart => "failed-to-start",
            WatchKind::Failed => "failed",
            WatchKind::Disabled => "disabled",
        }
    }

    /// `metadata.eventType`.
    pub fn event_type(self) -> &'static str {
        match self {
            WatchKind::Missed => "RunMissed",
            WatchKind::FailedToStart => "RunFailedToStart",
            WatchKind::Failed => "RunFailed",
            WatchKind::Disabled => "ScheduleDisabled",
        }
    }

    /// Parses a slug or an eventType.
    pub fn parse(s: &str) -> Option<WatchKind> {
        WatchKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.event_type() == s)
    }

    /// How the one-line summary (and Slack's fallback text) starts: `Missed`, `Failed to start`….
    fn label(self) -> &'static str {
        match self {
            WatchKind::Missed => "Missed",
            WatchKind::FailedToStart => "Failed to start",
            WatchKind::Failed => "Failed",
            WatchKind::Disabled => "Disabled",
        }
    }
}

/// Which kind of ECS schedule: an EventBridge rule or an EventBridge Scheduler schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScheduleType {
    /// An EventBridge rule with a `ScheduleExpression` (runs in UTC).
    #[default]
    Rule,
    /// An EventBridge Scheduler schedule (in a schedule group, in its own time zone).
    Schedule,
}

impl ScheduleType {
    /// `rule` or `schedule` (`additionalContext.scheduleType`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleType::Rule => "rule",
            ScheduleType::Schedule => "schedule",
        }
    }

    /// Parses `rule` or `schedule`.
    pub fn parse(s: &str) -> Option<ScheduleType> {
        [ScheduleType::Rule, ScheduleType::Schedule]
            .into_iter()
            .find(|t| t.as_str() == s)
    }

    /// In words: `EventBridge rule`, `Scheduler schedule`.
    pub fn words(self) -> &'static str {
        match self {
            ScheduleType::Rule => "EventBridge rule",
            ScheduleType::Schedule => "Scheduler schedule",
        }
    }
}

/// One run the watchdog reports (or one disabled schedule): what the audit decided, and the
/// schedule it is about. Times are `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchRun {
    /// What went wrong.
    pub kind: WatchKind,
    /// The rule's or the schedule's ARN.
    pub schedule_arn: String,
    /// Its name.
    pub schedule_name: String,
    /// Rule or Scheduler schedule.
    pub schedule_type: ScheduleType,
    /// The Scheduler group; `""` for rules.
    pub schedule_group: String,
    /// The rule's event bus (`default`); `""` for Scheduler.
    pub event_bus: String,
    /// e.g. `cron(0 2 * * ? *)`.
    pub expression: String,
    /// IANA name, `UTC` for rules.
    pub timezone: String,
    /// When the run was due; `""` for [`WatchKind::Disabled`].
    pub due_at: String,
    /// When it was decided (due + flexible window + grace; for `Disabled`, when it was seen).
    pub decided_at: String,
    /// The (first) ECS target's cluster ARN (`""` unknown).
    pub cluster: String,
    /// Its task definition ARN (`""` unknown).
    pub task_definition: String,
    /// The run's tasks.
    pub task_arns: Vec<String>,
    /// The audit's reasons, e.g. `no RunTask with startedBy events-rule/nightly by 2026-12-02T02:15:00Z`.
    pub details: Vec<String>,
    /// Missed only: what AWS's metrics say (e.g. the rule's `FailedInvocations`); `""` when they
    /// say nothing.
    pub missed_because: String,
}

impl WatchRun {
    /// The run a watchdog notification was built from (its `additionalContext`), if it is one
    /// ([`watch_kind`]); `watch_notice` of it gives the notification back.
    pub fn from_notification(n: &Notification) -> Option<WatchRun> {
        let kind = watch_kind(n)?;
        let s = |k: &str| n.context(k).unwrap_or_default().to_string();
        let list = |k: &str| -> Vec<String> {
            n.context(k)
                .and_then(|t| serde_json::from_str::<Vec<Value>>(t).ok())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        Some(WatchRun {
            kind,
            schedule_arn: s("scheduleArn"),
            schedule_name: s("scheduleName"),
            schedule_type: n
                .context("scheduleType")
                .and_then(ScheduleType::parse)
                .unwrap_or_default(),
            schedule_group: s("scheduleGroup"),
            event_bus: s("eventBus"),
            expression: s("expression"),
            timezone: s("timezone"),
            due_at: s("dueAt"),
            decided_at: s("decidedAt"),
            cluster: s("cluster"),
            task_definition: s("taskDefinition"),
            task_arns: list("taskArns"),
            details: list("details"),
            missed_because: s("missedBecause"),
        })
    }

    /// The schedule's name, else the last part of its ARN.
    fn name(&self) -> &str {
        let name = self.schedule_name.trim();
        if name.is_empty() {
            last_segment(&self.schedule_arn)
        } else {
            name
        }
    }
}

/// The kind of a watchdog notification: `additionalContext.source` is [`SOURCE`] and
/// `additionalContext.kind` (else `metadata.eventType`) a known kind.
pub fn watch_kind(n: &Notification) -> Option<WatchKind> {
    if n.context("source") != Some(SOURCE) {
        return None;
    }
    n.context("kind").and_then(WatchKind::parse).or_else(|| {
        n.metadata
            .as_ref()
            .and_then(|m| m.event_type.as_deref())
            .and_then(WatchKind::parse)
    })
}

/// The part after the last `/` (an ARN's resource id), or the whole string.
fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// The `n`th `:`-separated field of an ARN (3 = region, 4 = account), `""` if absent.
fn arn_field(arn: &str, n: usize) -> &str {
    if !arn.starts_with("arn:") {
        return "";
    }
    arn.split(':').nth(n).unwrap_or_default()
}

/// `s` cut to `max` characters, ending with `…` when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` on one line (data goes into sentences and one-line summaries), cut to `max`.
fn line(s: &str, max: usize) -> String {
    cut(&s.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// The value after `key ` in a reason such as `… stopCode TaskFailedToStart; stoppedReason X`, up
/// to the next `; `.
fn reason_field<'a>(details: &'a [String], key: &str) -> Option<&'a str> {
    let needle = format!("{key} ");
    details.iter().find_map(|d| {
        let start = d.find(&needle)? + needle.len();
        let rest = &d[start..];
        let value = rest.split("; ").next().unwrap_or(rest).trim();
        (!value.is_empty()).then_some(value)
    })
}

/// The `container <name> exited with code <n>` parts of the reasons.
fn exits(details: &[String]) -> Vec<&str> {
    details
        .iter()
        .flat_map(|d| d.split(['\n', ';', ':']))
        .map(str::trim)
        .filter(|p| p.starts_with("container ") && p.contains(" exited with code "))
        .collect()
}

/// The first word of a stoppedReason (`CannotPullContainerError: …` → `CannotPullContainerError`),
/// if it looks like an error name.
fn error_name(reason: &str) -> Option<&str> {
    let word = reason.split([':', ' ']).next()?.trim();
    (word.len() > 3
        && word.len() <= MAX_KEYWORD
        && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        && word.bytes().next().is_some_and(|b| b.is_ascii_uppercase()))
    .then_some(word)
}

/// The one-line summary (`metadata.summary`, Slack's fallback text), e.g.
/// `Missed: nightly-batch (rule cron(0 2 * * ? *) UTC) due 2026-12-02T02:00:00Z: no task started`.
/// Unescaped; data is kept on one line.
pub fn summary_line(
    kind: WatchKind,
    name: &str,
    schedule_type: &str,
    expression: &str,
    timezone: &str,
    due_at: &str,
    outcome: &str,
) -> String {
    let schedule = [schedule_type, expression, timezone]
        .iter()
        .map(|s| line(s, MAX_QUOTED))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = format!("{}: {}", kind.label(), line(name, MAX_QUOTED));
    if !schedule.is_empty() {
        out.push_str(&format!(" ({schedule})"));
    }
    if !due_at.trim().is_empty() {
        out.push_str(&format!(" due {}", line(due_at, MAX_QUOTED)));
    }
    if !outcome.is_empty() {
        out.push_str(&format!(": {}", line(outcome, MAX_QUOTED)));
    }
    out
}

/// The run with every value within its cap ([`MAX_VALUE_CHARS`], [`MAX_TASKS`], [`MAX_DETAILS`],
/// [`MAX_DETAIL_CHARS`]) and no empty task or reason.
fn bounded(run: &WatchRun) -> WatchRun {
    let v = |s: &String| cut(s, MAX_VALUE_CHARS);
    WatchRun {
        kind: run.kind,
        schedule_arn: v(&run.schedule_arn),
        schedule_name: v(&run.schedule_name),
        schedule_type: run.schedule_type,
        schedule_group: v(&run.schedule_group),
        event_bus: v(&run.event_bus),
        expression: v(&run.expression),
        timezone: v(&run.timezone),
        due_at: v(&run.due_at),
        decided_at: v(&run.decided_at),
        cluster: v(&run.cluster),
        task_definition: v(&run.task_definition),
        task_arns: run
            .task_arns
            .iter()
            .filter(|t| !t.trim().is_empty())
            .take(MAX_TASKS)
            .map(v)
            .collect(),
        details: run
            .details
            .iter()
            .filter(|d| !d.trim().is_empty())
            .take(MAX_DETAILS)
            .map(|d| cut(d, MAX_DETAIL_CHARS))
            .collect(),
        missed_because: v(&run.missed_because),
    }
}

/// What happened, in a few words, for the one-line summary.
fn outcome_words(run: &WatchRun) -> String {
    match run.kind {
        WatchKind::Missed => "no task started".into(),
        WatchKind::FailedToStart => match reason_field(&run.details, "stoppedReason") {
            Some(r) => format!("stopped before running ({})", line(r, 120)),
            None => "the task stopped before running".into(),
        },
        WatchKind::Failed => match exits(&run.details).first() {
            Some(e) => line(e, 120),
            None => "a container exited non-zero".into(),
        },
        WatchKind::Disabled => "runs nothing until enabled".into(),
    }
}

/// Builds the notification of a run (CONTRACT §10a): the words (title, description, next steps,
/// keywords), the ids, and the `additionalContext` keys of §10a, all strings (`region` and
/// `account` from the schedule ARN).
pub fn watch_notice(run: &WatchRun) -> Notification {
    let run = &bounded(run);
    let kind = run.kind;
    let name = run.name().to_string();
    let q = |s: &str| line(s, MAX_QUOTED);
    let details = &run.details;
    let tasks = &run.task_arns;
    let missed_because = match kind {
        WatchKind::Missed => line(&run.missed_because, MAX_MISSED_BECAUSE),
        _ => String::new(),
    };
    let region = arn_field(&run.schedule_arn, 3);
    let account = arn_field(&run.schedule_arn, 4);
    let is_rule = run.schedule_type == ScheduleType::Rule;

    let title_name = line(&name, MAX_TITLE_NAME);
    let title = match kind {
        WatchKind::Missed => format!(":rotating_light: Scheduled run missed: {title_name}"),
        WatchKind::FailedToStart => {
            format!(":rotating_light: Scheduled run failed to start: {title_name}")
        }
        WatchKind::Failed => format!(":x: Scheduled run failed: {title_name}"),
        WatchKind::Disabled => format!(":warning: Schedule disabled: {title_name}"),
    };

    // The schedule, in words: `EventBridge rule `nightly-batch` (bus `default`, `cron(…)`, UTC)`.
    let mut about = vec![];
    if is_rule && !run.event_bus.is_empty() {
        about.push(format!("bus `{}`", q(&run.event_bus)));
    }
    if !is_rule && !run.schedule_group.is_empty() {
        about.push(format!("group `{}`", q(&run.schedule_group)));
    }
    if !run.expression.is_empty() {
        about.push(format!("`{}`", q(&run.expression)));
    }
    if !run.timezone.is_empty() {
        about.push(q(&run.timezone));
    }
    let mut schedule = format!("{} `{}`", run.schedule_type.words(), q(&name));
    if !about.is_empty() {
        schedule.push_str(&format!(" ({})", about.join(", ")));
    }
    let target = match (
        last_segment(&run.task_definition),
        last_segment(&run.cluster),
    ) {
        ("", "") => String::new(),
        (td, "") => format!(" task definition `{}`", q(td)),
        ("", c) => format!(" a task on cluster `{}`", q(c)),
        (td, c) => format!(" `{}` on cluster `{}`", q(td), q(c)),
    };
    let target_or_task = if target.is_empty() {
        " its task".to_string()
    } else {
        target.clone()
    };
    let due = q(&run.due_at);
    let decided = q(&run.decided_at);
    let stopped_reason = reason_field(details, "stoppedReason").map(|r| line(r, MAX_DETAIL_CHARS));
    let stop_code = reason_field(details, "stopCode").map(q);
    let exit_lines = exits(details);

    let mut description = match kind {
        WatchKind::Disabled => format!(
            "{schedule} is disabled: it runs nothing{} until it is enabled again, and the watchdog reports no missed run of it meanwhile. Checked at {decided}.",
            if target.is_empty() {
                String::new()
            } else {
                format!(" (it would start{target})")
            }
        ),
        _ => format!("{schedule} was due to start{target_or_task} at {due}."),
    };
    match kind {
        WatchKind::Missed => description.push_str(&format!(
            " No task had been started by {decided} (the decision time: due + the schedule's flexible window + grace)."
        )),
        WatchKind::FailedToStart => {
            description.push_str(" ECS accepted the task, and it stopped without ever running");
            match (&stopped_reason, &stop_code) {
                (Some(r), _) => description.push_str(&format!(": {}.", r.trim_end_matches('.'))),
                (None, Some(c)) => description.push_str(&format!(" (stopCode {c}).")),
                (None, None) => description.push('.'),
            }
        }
        WatchKind::Failed => {
            description.push_str(" The task ran, and ");
            if exit_lines.is_empty() {
                description.push_str("a container exited with a non-zero code.");
            } else {
                let shown: Vec<String> = exit_lines.iter().take(5).map(|e| line(e, 200)).collect();
                description.push_str(&format!("{}.", shown.join(", ")));
            }
            if let Some(r) = &stopped_reason {
                description.push_str(&format!(" stoppedReason: {}.", r.trim_end_matches('.')));
            }
        }
        WatchKind::Disabled => {}
    }
    if !missed_because.is_empty() {
        description.push_str(&format!("\n\nAWS says: {missed_because}"));
    }
    if !tasks.is_empty() && kind != WatchKind::Disabled {
        let ids: Vec<String> = tasks.iter().take(5).map(|t| q(last_segment(t))).collect();
        let more = tasks.len().saturating_sub(ids.len());
        description.push_str(&format!(
            "\n\n{} `{}`{}.",
            if tasks.len() == 1 { "Task" } else { "Tasks" },
            ids.join("`, `"),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }

    let mut next_steps: Vec<String> = Vec::new();
    let name_q = q(&name);
    match (kind, is_rule) {
        (WatchKind::Missed, true) => {
            next_steps.push(format!(
                "Check the rule's `FailedInvocations` metric (AWS/Events, RuleName `{name_q}`) around {due}: failed invocations mean the rule fired and could not call ECS."
            ));
            next_steps.push(
                "Check the target's role (ecs:RunTask on the task definition, iam:PassRole for its task and execution roles) and its ECS parameters (cluster, launch type, subnets); a dead-letter queue on the target keeps the error of each failed invocation.".into(),
            );
            next_steps.push(
                "No failed invocation means the rule did not fire: check it was enabled at that time and its expression is the one you expect (rules run in UTC).".into(),
            );
        }
        (WatchKind::Missed, false) => {
            let group = q(&run.schedule_group);
            next_steps.push(format!(
                "Check the schedule group's `TargetErrorCount` and `InvocationThrottleCount` metrics (AWS/Scheduler, ScheduleGroup `{group}`) around {due}."
            ));
            next_steps.push(
                "Check the schedule's execution role (ecs:RunTask on the task definition, iam:PassRole for its task and execution roles) and its ECS parameters; the schedule's dead-letter queue keeps the error of each failed invocation.".into(),
            );
            next_steps.push(
                "Check the schedule was enabled then, its time zone and its start and end dates."
                    .into(),
            );
        }
        (WatchKind::FailedToStart, _) => {
            next_steps.push(match &stopped_reason {
                Some(r) => format!("Read the stopped task's stoppedReason in the ECS console: {r}"),
                None => "Read the stopped task's stoppedReason in the ECS console (Tasks, filter Stopped).".into(),
            });
            let reason = stopped_reason.as_deref().unwrap_or_default();
            let pull = reason.contains("CannotPullContainer");
            let init = reason.contains("ResourceInitializationError");
            if pull || !init {
                next_steps.push(
                    "CannotPullContainerError: check the image and tag exist and the task execution role may pull them; the subnets need a route to the registry (NAT gateway, or VPC endpoints for ECR and S3).".into(),
                );
            }
            if init || !pull {
                next_steps.push(
                    "ResourceInitializationError: check the subnets reach Secrets Manager, SSM and CloudWatch Logs, the security groups allow it, and the subnets have free IP addresses for the task's ENI.".into(),
                );
            }
        }
        (WatchKind::Failed, _) => {
            next_steps.push(
                "Read the task's logs (the task page's Logs tab, or its log group in CloudWatch Logs) around the exit.".into(),
            );
            let oom = details
                .iter()
                .any(|d| d.contains("OutOfMemory") || d.contains("exited with code 137"));
            next_steps.push(if oom {
                "Exit code 137 or `OutOfMemoryError` means the container was killed for memory: raise the task's or the container's memory, or find what grew.".into()
            } else {
                "Compare with the last run that succeeded: the task definition revision, the image tag, and what the job read.".into()
            });
        }
        (WatchKind::Disabled, true) => {
            let bus = if run.event_bus.is_empty() {
                "default".to_string()
            } else {
                q(&run.event_bus)
            };
            next_steps.push(format!(
                "If its runs are still needed, enable it: `aws events enable-rule --name {name_q} --event-bus-name {bus}`."
            ));
            next_steps.push("If it is no longer needed, delete it.".into());
        }
        (WatchKind::Disabled, false) => {
            next_steps.push(
                "If its runs are still needed, set its state to ENABLED (Scheduler console, or `aws scheduler update-schedule` with its full definition).".into(),
            );
            next_steps.push("If it is no longer needed, delete it.".into());
        }
    }
    match kind {
        WatchKind::Disabled => next_steps.push(format!(
            "If it stays disabled on purpose, add `{name_q}` (or its ARN) to the stack parameter `WatchdogSilencedSchedules`; until then this is reported once a day."
        )),
        _ => next_steps.push(
            "If this run's work is still needed, start the task by hand once the cause is fixed (same parameters as the schedule's target).".into(),
        ),
    }

    let summary = summary_line(
        kind,
        &name,
        run.schedule_type.as_str(),
        &run.expression,
        &run.timezone,
        &run.due_at,
        &outcome_words(run),
    );

    let cluster_name = last_segment(&run.cluster);
    let mut keywords = vec!["ecs-rerun".to_string(), "watchdog".to_string()];
    for k in [
        kind.as_str(),
        name.as_str(),
        cluster_name,
        stopped_reason.as_deref().and_then(error_name).unwrap_or(""),
    ] {
        let k = cut(k.trim(), MAX_KEYWORD);
        if !k.is_empty() && !keywords.contains(&k) {
            keywords.push(k);
        }
    }

    let mut related = Vec::new();
    let mut seen = HashSet::new();
    for r in [&run.schedule_arn, &run.cluster, &run.task_definition]
        .into_iter()
        .chain(tasks)
    {
        if !r.is_empty() && seen.insert(r.as_str()) {
            related.push(r.clone());
        }
    }

    let mut ctx = Map::new();
    let mut put = |k: &str, v: String| {
        ctx.insert(k.to_string(), Value::String(v));
    };
    put("kind", kind.as_str().into());
    put("source", SOURCE.into());
    put("scheduleArn", run.schedule_arn.clone());
    put("scheduleName", name.clone());
    put("scheduleType", run.schedule_type.as_str().into());
    put("scheduleGroup", run.schedule_group.clone());
    put("eventBus", run.event_bus.clone());
    put("expression", run.expression.clone());
    put("timezone", run.timezone.clone());
    put(
        "dueAt",
        match kind {
            WatchKind::Disabled => String::new(),
            _ => run.due_at.clone(),
        },
    );
    put("decidedAt", run.decided_at.clone());
    put("region", region.into());
    put("account", account.into());
    put("cluster", run.cluster.clone());
    put("taskDefinition", run.task_definition.clone());
    put(
        "taskArns",
        serde_json::to_string(tasks).unwrap_or_else(|_| "[]".into()),
    );
    put(
        "details",
        serde_json::to_string(details).unwrap_or_else(|_| "[]".into()),
    );
    put("missedBecause", missed_because);

    let due_key = match kind {
        WatchKind::Disabled => "",
        _ => run.due_at.as_str(),
    };
    let thread = format!("watch/{name}/{due_key}");
    Notification {
        version: "1.0".into(),
        source: "custom".into(),
        id: Some(format!("{thread}/{}", kind.as_str())),
        content: Content {
            text_type: Some("client-markdown".into()),
            title: Some(title),
            description: Some(description),
            next_steps,
            keywords,
        },
        metadata: Some(Metadata {
            thread_id: Some(thread),
            summary: Some(summary),
            event_type: Some(kind.event_type().into()),
            related_resources: related,
            additional_context: ctx,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_run(kind: WatchKind) -> WatchRun {
        WatchRun {
            kind,
            schedule_arn: "arn:aws:events:us-east-1:123456789012:rule/nightly-batch".into(),
            schedule_name: "nightly-batch".into(),
            schedule_type: ScheduleType::Rule,
            schedule_group: String::new(),
            event_bus: "default".into(),
            expression: "cron(0 2 * * ? *)".into(),
            timezone: "UTC".into(),
            due_at: if kind == WatchKind::Disabled {
                String::new()
            } else {
                "2026-12-02T02:00:00Z".into()
            },
            decided_at: "2026-12-02T02:15:00Z".into(),
            cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/prod".into(),
            task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:12"
                .into(),
            task_arns: match kind {
                WatchKind::FailedToStart | WatchKind::Failed => {
                    vec!["arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f".into()]
                }
                _ => vec![],
            },
            details: match kind {
                WatchKind::Missed => vec!["no RunTask with startedBy events-rule/nightly-batch by 2026-12-02T02:15:00Z".into()],
                WatchKind::FailedToStart => vec!["task 0a1b2c3d4e5f stopped without running: stopCode TaskFailedToStart; stoppedReason CannotPullContainerError: pull image manifest has been retried 5 time(s)".into()],
                WatchKind::Failed => vec!["task 0a1b2c3d4e5f: container app exited with code 1; stopCode EssentialContainerExited; stoppedReason Essential container in task exited".into()],
                WatchKind::Disabled => vec![],
            },
            missed_because: match kind {
                WatchKind::Missed => "FailedInvocations 1 from 2026-12-02T01:59:00Z to 2026-12-02T02:15:00Z: the rule fired and could not call ECS: usually the rule's role or the target's parameters".into(),
                _ => String::new(),
            },
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in WatchKind::ALL {
            assert_eq!(WatchKind::parse(k.as_str()), Some(k));
            assert_eq!(WatchKind::parse(k.event_type()), Some(k));
        }
        for (k, slug, event) in [
            (WatchKind::Missed, "missed", "RunMissed"),
            (
                WatchKind::FailedToStart,
                "failed-to-start",
                "RunFailedToStart",
            ),
            (WatchKind::Failed, "failed", "RunFailed"),
            (WatchKind::Disabled, "disabled", "ScheduleDisabled"),
        ] {
            assert_eq!((k.as_str(), k.event_type()), (slug, event));
        }
        assert_eq!(WatchKind::parse("launch-failed"), None);
        assert_eq!(ScheduleType::parse("rule"), Some(ScheduleType::Rule));
        assert_eq!(
            ScheduleType::parse("schedule"),
            Some(ScheduleType::Schedule)
        );
        assert_eq!(ScheduleType::parse("Rule"), None);
    }

    #[test]
    fn every_kind_round_trips_through_sns_json() {
        for kind in WatchKind::ALL {
            let run = rule_run(kind);
            let n = watch_notice(&run);
            let back = Notification::parse(&n.to_json()).expect("parses");
            assert_eq!(back, n, "{kind:?}");
            assert_eq!(watch_kind(&back), Some(kind), "{kind:?}");
            assert_eq!(back.kind(), None, "not one of §5's kinds: {kind:?}");
            assert!(!back.is_ecs_rerun(), "{kind:?}");
            assert_eq!(
                WatchRun::from_notification(&back).as_ref(),
                Some(&run),
                "{kind:?}"
            );
            assert_eq!((n.version.as_str(), n.source.as_str()), ("1.0", "custom"));
        }
    }

    #[test]
    fn context_keys_are_exactly_those_of_the_contract() {
        let want = [
            "kind",
            "source",
            "scheduleArn",
            "scheduleName",
            "scheduleType",
            "scheduleGroup",
            "eventBus",
            "expression",
            "timezone",
            "dueAt",
            "decidedAt",
            "region",
            "account",
            "cluster",
            "taskDefinition",
            "taskArns",
            "details",
            "missedBecause",
        ];
        for kind in WatchKind::ALL {
            let n = watch_notice(&rule_run(kind));
            let ctx = &n.metadata.as_ref().expect("metadata").additional_context;
            let mut got: Vec<&str> = ctx.keys().map(String::as_str).collect();
            let mut want = want.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{kind:?}");
            assert!(ctx.values().all(Value::is_string), "{kind:?}");
            assert_eq!(n.context("source"), Some(SOURCE));
            assert_eq!(n.context("kind"), Some(kind.as_str()));
            assert_eq!(n.context("region"), Some("us-east-1"));
            assert_eq!(n.context("account"), Some("123456789012"));
            assert_eq!(n.context("scheduleType"), Some("rule"));
            assert!(
                serde_json::from_str::<Vec<String>>(n.context("taskArns").unwrap_or("")).is_ok()
            );
            assert!(
                serde_json::from_str::<Vec<String>>(n.context("details").unwrap_or("")).is_ok()
            );
        }
    }

    #[test]
    fn ids_threads_and_resources() {
        let n = watch_notice(&rule_run(WatchKind::FailedToStart));
        let m = n.metadata.as_ref().expect("metadata");
        assert_eq!(
            n.id.as_deref(),
            Some("watch/nightly-batch/2026-12-02T02:00:00Z/failed-to-start")
        );
        assert_eq!(
            m.thread_id.as_deref(),
            Some("watch/nightly-batch/2026-12-02T02:00:00Z")
        );
        assert_eq!(m.event_type.as_deref(), Some("RunFailedToStart"));
        assert_eq!(
            m.related_resources,
            [
                "arn:aws:events:us-east-1:123456789012:rule/nightly-batch",
                "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                "arn:aws:ecs:us-east-1:123456789012:task-definition/nightly-batch:12",
                "arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c3d4e5f",
            ]
        );
        // A disabled schedule has no due time: its context says "" whatever the run held.
        let mut d = rule_run(WatchKind::Disabled);
        d.due_at = "2026-12-02T02:00:00Z".into();
        d.missed_because = "ignored".into();
        let n = watch_notice(&d);
        assert_eq!(n.context("dueAt"), Some(""));
        assert_eq!(n.context("missedBecause"), Some(""));
        assert_eq!(n.id.as_deref(), Some("watch/nightly-batch//disabled"));
    }

    #[test]
    fn the_words_say_what_was_expected_when_what_happened_and_what_to_do() {
        for (kind, title, description, summary, first_step) in [
            (
                WatchKind::Missed,
                ":rotating_light: Scheduled run missed: nightly-batch",
                "EventBridge rule `nightly-batch` (bus `default`, `cron(0 2 * * ? *)`, UTC) was due to start `nightly-batch:12` on cluster `prod` at 2026-12-02T02:00:00Z. No task had been started by 2026-12-02T02:15:00Z (the decision time: due + the schedule's flexible window + grace).\n\nAWS says: FailedInvocations 1 from 2026-12-02T01:59:00Z to 2026-12-02T02:15:00Z: the rule fired and could not call ECS: usually the rule's role or the target's parameters",
                "Missed: nightly-batch (rule cron(0 2 * * ? *) UTC) due 2026-12-02T02:00:00Z: no task started",
                "Check the rule's `FailedInvocations` metric",
            ),
            (
                WatchKind::FailedToStart,
                ":rotating_light: Scheduled run failed to start: nightly-batch",
                "EventBridge rule `nightly-batch` (bus `default`, `cron(0 2 * * ? *)`, UTC) was due to start `nightly-batch:12` on cluster `prod` at 2026-12-02T02:00:00Z. ECS accepted the task, and it stopped without ever running: CannotPullContainerError: pull image manifest has been retried 5 time(s).\n\nTask `0a1b2c3d4e5f`.",
                "Failed to start: nightly-batch (rule cron(0 2 * * ? *) UTC) due 2026-12-02T02:00:00Z: stopped before running (CannotPullContainerError: pull image manifest has been retried 5 time(s))",
                "Read the stopped task's stoppedReason",
            ),
            (
                WatchKind::Failed,
                ":x: Scheduled run failed: nightly-batch",
                "EventBridge rule `nightly-batch` (bus `default`, `cron(0 2 * * ? *)`, UTC) was due to start `nightly-batch:12` on cluster `prod` at 2026-12-02T02:00:00Z. The task ran, and container app exited with code 1. stoppedReason: Essential container in task exited.\n\nTask `0a1b2c3d4e5f`.",
                "Failed: nightly-batch (rule cron(0 2 * * ? *) UTC) due 2026-12-02T02:00:00Z: container app exited with code 1",
                "Read the task's logs",
            ),
            (
                WatchKind::Disabled,
                ":warning: Schedule disabled: nightly-batch",
                "EventBridge rule `nightly-batch` (bus `default`, `cron(0 2 * * ? *)`, UTC) is disabled: it runs nothing (it would start `nightly-batch:12` on cluster `prod`) until it is enabled again, and the watchdog reports no missed run of it meanwhile. Checked at 2026-12-02T02:15:00Z.",
                "Disabled: nightly-batch (rule cron(0 2 * * ? *) UTC): runs nothing until enabled",
                "If its runs are still needed, enable it: `aws events enable-rule --name nightly-batch --event-bus-name default`.",
            ),
        ] {
            let n = watch_notice(&rule_run(kind));
            assert_eq!(n.content.title.as_deref(), Some(title), "{kind:?}");
            assert_eq!(
                n.content.description.as_deref(),
                Some(description),
                "{kind:?}"
            );
            let m = n.metadata.as_ref().expect("metadata");
            assert_eq!(m.summary.as_deref(), Some(summary), "{kind:?}");
            assert!(
                n.content.next_steps[0].starts_with(first_step),
                "{kind:?}: {:?}",
                n.content.next_steps
            );
            assert!(n.content.keywords.starts_with(&[
                "ecs-rerun".into(),
                "watchdog".into(),
                kind.as_str().into()
            ]));
        }
        let disabled = watch_notice(&rule_run(WatchKind::Disabled));
        assert!(
            disabled
                .content
                .next_steps
                .iter()
                .any(|s| s.contains("`WatchdogSilencedSchedules`")),
            "{:?}",
            disabled.content.next_steps
        );
        let ftr = watch_notice(&rule_run(WatchKind::FailedToStart));
        assert!(
            ftr.content
                .keywords
                .contains(&"CannotPullContainerError".to_string())
        );
    }

    #[test]
    fn a_scheduler_schedule_is_worded_as_one() {
        let run = WatchRun {
            kind: WatchKind::Missed,
            schedule_arn: "arn:aws:scheduler:eu-west-1:123456789012:schedule/etl/hourly".into(),
            schedule_name: String::new(),
            schedule_type: ScheduleType::Schedule,
            schedule_group: "etl".into(),
            expression: "rate(1 hour)".into(),
            timezone: "Europe/Paris".into(),
            due_at: "2026-12-02T10:00:00Z".into(),
            decided_at: "2026-12-02T10:15:00Z".into(),
            ..WatchRun::default()
        };
        let n = watch_notice(&run);
        assert_eq!(n.context("scheduleName"), Some("hourly"), "from the ARN");
        assert_eq!(n.context("region"), Some("eu-west-1"));
        let d = n.content.description.as_deref().unwrap_or_default();
        assert!(d.starts_with("Scheduler schedule `hourly` (group `etl`, `rate(1 hour)`, Europe/Paris) was due to start its task at 2026-12-02T10:00:00Z."), "{d}");
        assert!(n.content.next_steps[0].contains("ScheduleGroup `etl`"));
        assert_eq!(
            n.metadata
                .as_ref()
                .and_then(|m| m.related_resources.first())
                .map(String::as_str),
            Some("arn:aws:scheduler:eu-west-1:123456789012:schedule/etl/hourly"),
            "nothing empty in relatedResources"
        );
        assert_eq!(
            n.metadata.as_ref().map(|m| m.related_resources.len()),
            Some(1)
        );
    }

    #[test]
    fn outsized_data_stays_within_q_and_slack_sizes() {
        let huge = "x".repeat(10_000);
        let run = WatchRun {
            kind: WatchKind::Failed,
            schedule_arn: huge.clone(),
            schedule_name: huge.clone(),
            expression: huge.clone(),
            timezone: huge.clone(),
            due_at: huge.clone(),
            decided_at: huge.clone(),
            cluster: huge.clone(),
            task_definition: huge.clone(),
            task_arns: vec![huge.clone(); 50],
            details: vec![format!("container {huge} exited with code 1; stoppedReason {huge}"); 50],
            missed_because: huge.clone(),
            ..WatchRun::default()
        };
        let n = watch_notice(&run);
        let chars = |s: &str| s.chars().count();
        assert!(chars(n.content.title.as_deref().unwrap_or_default()) <= 150);
        assert!(chars(n.content.description.as_deref().unwrap_or_default()) <= 4000);
        assert!(n.content.next_steps.iter().all(|s| chars(s) <= 1000));
        assert!(n.content.keywords.iter().all(|k| chars(k) <= MAX_KEYWORD));
        let m = n.metadata.as_ref().expect("metadata");
        assert!(chars(m.summary.as_deref().unwrap_or_default()) <= 1500);
        assert_eq!(
            WatchRun::from_notification(&n).map(|r| (r.details.len(), r.task_arns.len())),
            Some((MAX_DETAILS, MAX_TASKS))
        );
        // SNS takes 256 KiB.
        assert!(n.to_json().len() < 200 * 1024, "{}", n.to_json().len());
    }
}
