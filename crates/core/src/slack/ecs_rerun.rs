//! Our notifications (CONTRACT §5): a header by outcome, the outcome in a sentence, the facts as
//! fields, why and who, the new tasks or the failures, the next steps, links. What differs between
//! the kinds is ONE row of [`LOOKS`] per kind: a new kind is one row here.

use super::blocks::{
    SlackMessage, buttons, context, fields, finish, header, list_section, section,
};
use super::escape::escape;
use super::generic::next_steps;
use crate::links;
use crate::notification::{Kind, Notification};
use crate::text::plural;

/// How one kind of notice looks.
pub(crate) struct Look {
    /// The kind it is for.
    kind: Kind,
    /// Header emoji.
    emoji: &'static str,
    /// Header words before ": ECS task <family> on <cluster>".
    label: &'static str,
    /// The outcome sentence (mrkdwn; the fallback text drops its stars).
    outcome: fn(&Facts<'_>) -> String,
    /// The "Attempt" field.
    attempt: fn(&Facts<'_>) -> String,
    /// Whether the context shows `why` (not when the outcome sentence already says it).
    why: bool,
    /// Whether the new tasks are listed, with their console links.
    new_tasks: bool,
    /// The title of the failures list, if the kind shows one.
    failures: Option<&'static str>,
    /// Whether the RunTask error's cause is shown.
    cause: bool,
}

/// THE table: one row per kind.
const LOOKS: &[Look] = &[
    Look {
        kind: Kind::LaunchFailed,
        emoji: ":warning:",
        label: "Launch failed – retrying",
        outcome: |f| {
            format!(
                "RunTask started {} of {}. ecs-rerun re-runs the {} up to {}: re-run 1 of {} in {} s.",
                f.started(),
                plural(f.requested, "task", "tasks"),
                plural(f.missing, "missing task", "missing tasks"),
                plural(f.max, "time", "times"),
                f.max,
                f.n.context_u32("nextWaitSeconds").unwrap_or(0)
            )
        },
        attempt: |f| format!("*Attempt*\n{} of {} (re-run 1 next)", f.attempt, f.max),
        why: true,
        new_tasks: false,
        failures: Some("*Failures*"),
        cause: false,
    },
    Look {
        kind: Kind::NotRetryable,
        emoji: ":x:",
        label: "Launch failed – not retried",
        outcome: |f| {
            format!(
                "RunTask started {} of {}. *Not retried*: {}.",
                f.started(),
                plural(f.requested, "task", "tasks"),
                escape(
                    f.n.context_nonempty("why")
                        .map(|w| w.strip_prefix("not retried: ").unwrap_or(w))
                        .unwrap_or("no reason given")
                )
            )
        },
        attempt: |_| "*Attempt*\nnone (not retried)".to_string(),
        why: false,
        new_tasks: false,
        failures: Some("*Failures*"),
        cause: false,
    },
    Look {
        kind: Kind::Recovered,
        emoji: ":white_check_mark:",
        label: "Recovered",
        outcome: |f| {
            format!(
                "*Recovered on re-run {} of {}*: started {}.",
                f.attempt,
                f.max,
                plural(f.task_arns.len(), "task", "tasks")
            )
        },
        attempt: attempt_of_max,
        why: true,
        new_tasks: true,
        failures: None,
        cause: false,
    },
    Look {
        kind: Kind::PartiallyRecovered,
        emoji: ":large_orange_diamond:",
        label: "Partially recovered",
        outcome: |f| {
            format!(
                "*Re-run {} of {} started {}*; {} still missing, not re-run again (a repeat would duplicate the started tasks).",
                f.attempt,
                f.max,
                plural(f.task_arns.len(), "task", "tasks"),
                f.missing,
            )
        },
        attempt: attempt_of_max,
        why: true,
        new_tasks: true,
        failures: Some("*Last failures*"),
        cause: false,
    },
    Look {
        kind: Kind::GaveUp,
        emoji: ":rotating_light:",
        label: "Gave up",
        outcome: |f| match f.n.context_nonempty("error") {
            Some(error) => format!(
                "*Gave up at re-run {} of {}*: the RunTask call failed with `{}`.",
                f.attempt,
                f.max,
                escape(error)
            ),
            None => format!(
                "*Gave up after {} of {} re-runs*: none started the {}.",
                f.attempt,
                f.max,
                plural(f.missing, "missing task", "missing tasks")
            ),
        },
        attempt: attempt_of_max,
        why: true,
        new_tasks: false,
        failures: Some("*Last failures*"),
        cause: true,
    },
];

fn attempt_of_max(f: &Facts<'_>) -> String {
    format!("*Attempt*\n{} of {}", f.attempt, f.max)
}

/// The row of a kind (every kind has one: see the tests).
pub(crate) fn look(kind: Kind) -> Option<&'static Look> {
    LOOKS.iter().find(|l| l.kind == kind)
}

/// What the rows' sentences are made of, read once from `additionalContext`.
pub(crate) struct Facts<'a> {
    n: &'a Notification,
    attempt: u32,
    max: u32,
    requested: usize,
    missing: usize,
    task_arns: Vec<String>,
}

impl Facts<'_> {
    fn started(&self) -> usize {
        self.requested.saturating_sub(self.missing)
    }
}

fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Renders one of ours with its kind's [`Look`].
pub(crate) fn render(look: &Look, n: &Notification) -> SlackMessage {
    let ctx = |k: &str| n.context(k).unwrap_or("");
    let region = ctx("region");
    let family = n.context_nonempty("taskFamily").unwrap_or("?");
    let cluster_name = n.context_nonempty("clusterName").unwrap_or("?");
    let facts = Facts {
        n,
        attempt: n.context_u32("attempt").unwrap_or(0),
        max: n.context_u32("maxAttempts").unwrap_or(0),
        requested: n.context_u32("requestedCount").unwrap_or(1) as usize,
        missing: n.context_u32("missingCount").unwrap_or(0) as usize,
        task_arns: n.task_arns(),
    };
    let (emoji, missing, requested) = (look.emoji, facts.missing, facts.requested);
    let subject = format!(
        "{}: ECS task {} on {}",
        look.label,
        escape(family),
        escape(cluster_name)
    );
    let outcome = (look.outcome)(&facts);

    let reasons = ctx("reasons");
    let started_by = n.context_nonempty("startedBy").unwrap_or("(none)");
    let field_items = vec![
        format!("*Cluster*\n{}", escape(cluster_name)),
        format!(
            "*Task definition*\n{}",
            escape(n.context_nonempty("taskDefinition").unwrap_or(family))
        ),
        format!(
            "*Reasons*\n{}",
            if reasons.is_empty() {
                "(none)".into()
            } else {
                escape(reasons)
            }
        ),
        (look.attempt)(&facts),
        format!("*Started by*\n{}", escape(started_by)),
        format!(
            "*Time*\n{}",
            escape(n.context_nonempty("eventTime").unwrap_or("?"))
        ),
        format!("*Missing tasks*\n{missing} of {requested}"),
        format!(
            "*Account / Region*\n{} / {}",
            escape(ctx("account")),
            escape(region)
        ),
    ];

    // The fallback text is the header and the outcome without mrkdwn stars.
    let text = format!("{emoji} {subject} – {}", outcome.replace('*', ""));
    let mut blocks = vec![
        header(format!("{emoji} {subject}")),
        section(outcome),
        fields(field_items),
    ];
    let mut notes = Vec::new();
    if let Some(why) = n.context_nonempty("why").filter(|_| look.why) {
        notes.push(format!("*Why:* {}", escape(why)));
    }
    if let Some(p) = n.context_nonempty("principal") {
        notes.push(format!("*Called by:* {}", escape(p)));
    }
    if !notes.is_empty() {
        blocks.push(context(notes));
    }

    if look.new_tasks && !facts.task_arns.is_empty() {
        let lines: Vec<String> = facts
            .task_arns
            .iter()
            .map(|arn| {
                format!(
                    "• <{}|{}>",
                    links::task_url(region, cluster_name, arn),
                    escape(task_id(arn))
                )
            })
            .collect();
        blocks.push(list_section("*New tasks*", &lines));
    }
    if let Some(title) = look.failures {
        let lines: Vec<String> = n
            .failures()
            .iter()
            .map(|f| {
                let mut line = format!(
                    "• `{}`",
                    escape(
                        f.reason
                            .as_deref()
                            .filter(|r| !r.is_empty())
                            .unwrap_or("(no reason)")
                    )
                );
                if let Some(arn) = f.arn.as_deref() {
                    line.push_str(&format!(" on {}", escape(arn)));
                }
                if let Some(d) = f.detail.as_deref().filter(|d| !d.is_empty()) {
                    line.push_str(&format!(": {}", escape(d)));
                }
                line
            })
            .collect();
        if !lines.is_empty() {
            blocks.push(list_section(title, &lines));
        }
    }
    if let Some(cause) = n.context_nonempty("cause").filter(|_| look.cause) {
        blocks.push(section(format!("*Cause*\n{}", escape(cause))));
    }
    blocks.extend(next_steps(n));

    let mut link_buttons: Vec<(&str, String)> = Vec::new();
    if let Some(arn) = n.context_nonempty("executionArn") {
        link_buttons.push(("Execution", links::execution_url(region, arn)));
    }
    if let Some(id) = n.context_nonempty("eventId") {
        link_buttons.push(("CloudTrail event", links::cloudtrail_event_url(region, id)));
    }
    match facts.task_arns.as_slice() {
        [one] => link_buttons.push(("ECS task", links::task_url(region, cluster_name, one))),
        _ => link_buttons.push(("ECS tasks", links::cluster_url(region, cluster_name))),
    }
    blocks.push(buttons(link_buttons));

    finish(text, blocks)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::slack::render_notification;

    #[test]
    fn every_kind_has_exactly_one_row() {
        for kind in Kind::ALL {
            let rows = LOOKS.iter().filter(|l| l.kind == kind).count();
            assert_eq!(rows, 1, "{kind:?}");
        }
        assert_eq!(LOOKS.len(), Kind::ALL.len());
    }

    fn notice(kind: &str, extra: Value) -> Notification {
        let mut ctx = json!({"kind": kind, "executionName": "batch-e1", "taskFamily": "batch",
            "clusterName": "prod", "region": "us-east-1", "attempt": "2", "maxAttempts": "3",
            "requestedCount": "2", "missingCount": "1", "why": "not retried: no",
            "taskArns": "[\"arn:aws:ecs:us-east-1:123456789012:task/prod/t1\"]",
            "failures": "[{\"Arn\":\"a\",\"Reason\":\"AGENT\"}]", "cause": "boom"});
        for (k, v) in extra.as_object().into_iter().flatten() {
            ctx[k] = v.clone();
        }
        Notification::parse(
            &json!({"version": "1.0", "source": "custom", "content": {},
                    "metadata": {"additionalContext": ctx}})
            .to_string(),
        )
        .expect("parses")
    }

    /// Kind, the outcome sentence, and which titled sections show.
    #[test]
    fn each_row_decides_its_sentence_and_sections() {
        let cases = [
            (
                "launch-failed",
                "RunTask started 1 of 2 tasks. ecs-rerun re-runs the 1 missing task up to 3 times: re-run 1 of 3 in 0 s.",
                &["*Failures*"][..],
                true,
            ),
            (
                "not-retryable",
                "RunTask started 1 of 2 tasks. *Not retried*: no.",
                &["*Failures*"][..],
                false,
            ),
            (
                "recovered",
                "*Recovered on re-run 2 of 3*: started 1 task.",
                &["*New tasks*"][..],
                true,
            ),
            (
                "partially-recovered",
                "*Re-run 2 of 3 started 1 task*; 1 still missing, not re-run again (a repeat would duplicate the started tasks).",
                &["*New tasks*", "*Last failures*"][..],
                true,
            ),
            (
                "gave-up",
                "*Gave up after 2 of 3 re-runs*: none started the 1 missing task.",
                &["*Last failures*", "*Cause*"][..],
                true,
            ),
        ];
        let all_titles = ["*New tasks*", "*Failures*", "*Last failures*", "*Cause*"];
        for (kind, outcome, titles, why) in cases {
            let m = serde_json::to_value(render_notification(&notice(kind, json!({}))))
                .expect("serialises");
            assert_eq!(m["blocks"][1]["text"]["text"], outcome, "{kind}");
            let sections: Vec<&str> = m["blocks"]
                .as_array()
                .expect("blocks")
                .iter()
                .filter_map(|b| b["text"]["text"].as_str())
                .collect();
            for title in all_titles {
                let shown = sections.iter().any(|s| s.starts_with(title));
                assert_eq!(shown, titles.contains(&title), "{kind}: {title}");
            }
            let context = m["blocks"][3]["elements"][0]["text"].as_str().unwrap_or("");
            assert_eq!(context.starts_with("*Why:*"), why, "{kind}: {context}");
        }
        let m = render_notification(&notice("gave-up", json!({"error": "Ecs.AccessDenied"})));
        let v = serde_json::to_value(&m).expect("serialises");
        assert_eq!(
            v["blocks"][1]["text"]["text"],
            "*Gave up at re-run 2 of 3*: the RunTask call failed with `Ecs.AccessDenied`."
        );
    }
}
