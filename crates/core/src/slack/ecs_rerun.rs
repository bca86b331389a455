//! Our notifications (CONTRACT §5): the notice's title as the header, its description, the facts as
//! fields, why and who, the new tasks or the failures, its next steps, links. The words are the
//! notice's own, so Slack and Amazon Q say the same; what differs between the kinds is ONE row of
//! [`LOOKS`] per kind: a new kind is one row here.

use super::blocks::{
    SlackMessage, buttons, context, fields, finish, header, link, list_section, section,
};
use super::escape::escape;
use super::generic::next_steps;
use crate::links;
use crate::notification::{Kind, Notification};

/// How one kind of notice looks. The words are the notice's own (its title, description and
/// next steps, written by the core and filled in by the state machine: what Amazon Q shows);
/// a row only decides which facts and sections go around them.
pub(crate) struct Look {
    /// The kind it is for.
    kind: Kind,
    /// The "Attempt" field.
    attempt: fn(&Facts) -> String,
    /// Whether the context shows `why` (not when the description already says it).
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
        attempt: |f| format!("*Attempt*\n{} of {} (re-run 1 next)", f.attempt, f.max),
        why: false,
        new_tasks: false,
        failures: Some("*Failures*"),
        cause: false,
    },
    Look {
        kind: Kind::NotRetryable,
        attempt: |_| "*Attempt*\nnone (not retried)".to_string(),
        why: false,
        new_tasks: false,
        failures: Some("*Failures*"),
        cause: false,
    },
    Look {
        kind: Kind::Recovered,
        attempt: attempt_of_max,
        why: true,
        new_tasks: true,
        failures: None,
        cause: false,
    },
    Look {
        kind: Kind::PartiallyRecovered,
        attempt: attempt_of_max,
        why: true,
        new_tasks: true,
        failures: Some("*Last failures*"),
        cause: false,
    },
    Look {
        kind: Kind::GaveUp,
        attempt: attempt_of_max,
        why: true,
        new_tasks: false,
        failures: Some("*Last failures*"),
        cause: true,
    },
];

fn attempt_of_max(f: &Facts) -> String {
    format!("*Attempt*\n{} of {}", f.attempt, f.max)
}

/// The row of a kind (every kind has one: see the tests).
pub(crate) fn look(kind: Kind) -> Option<&'static Look> {
    LOOKS.iter().find(|l| l.kind == kind)
}

/// The counts the rows' fields show, read once from `additionalContext`.
pub(crate) struct Facts {
    attempt: u32,
    max: u32,
    requested: usize,
    missing: usize,
    task_arns: Vec<String>,
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
        attempt: n.context_u32("attempt").unwrap_or(0),
        max: n.context_u32("maxAttempts").unwrap_or(0),
        requested: n.context_u32("requestedCount").unwrap_or(1) as usize,
        missing: n.context_u32("missingCount").unwrap_or(0) as usize,
        task_arns: n.task_arns(),
    };
    let (missing, requested) = (facts.missing, facts.requested);
    let title = n.content.title.as_deref().map_or_else(
        || format!("ECS task {family} on {cluster_name}"),
        str::to_owned,
    );
    let description = n.content.description.as_deref().unwrap_or_default();
    let summary = n
        .metadata
        .as_ref()
        .and_then(|m| m.summary.as_deref())
        .unwrap_or(description);

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

    // The fallback text is the title and the one-line summary.
    let text = format!("{} – {}", escape(&title), escape(summary));
    let mut blocks = vec![header(escape(&title))];
    if !description.is_empty() {
        blocks.push(section(escape(description)));
    }
    blocks.push(fields(field_items));
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
                    "• {}",
                    link(
                        &links::task_url(region, cluster_name, arn),
                        &escape(task_id(arn))
                    )
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
            &json!({"version": "1.0", "source": "custom",
                    "content": {"title": format!(":x: {kind} <b>"), "description": "It & <that>."},
                    "metadata": {"summary": "one line", "additionalContext": ctx}})
            .to_string(),
        )
        .expect("parses")
    }

    /// Kind, which titled sections show, and whether the context says why.
    #[test]
    fn each_row_decides_its_sections_around_the_notice_s_own_words() {
        let cases = [
            ("launch-failed", &["*Failures*"][..], false),
            ("not-retryable", &["*Failures*"][..], false),
            ("recovered", &["*New tasks*"][..], true),
            (
                "partially-recovered",
                &["*New tasks*", "*Last failures*"][..],
                true,
            ),
            ("gave-up", &["*Last failures*", "*Cause*"][..], true),
        ];
        let all_titles = ["*New tasks*", "*Failures*", "*Last failures*", "*Cause*"];
        for (kind, titles, why) in cases {
            let m = serde_json::to_value(render_notification(&notice(kind, json!({}))))
                .expect("serialises");
            assert_eq!(
                m["text"],
                format!(":x: {kind} &lt;b&gt; – one line"),
                "{kind}"
            );
            assert_eq!(
                m["blocks"][0]["text"]["text"],
                format!(":x: {kind} &lt;b&gt;")
            );
            assert_eq!(
                m["blocks"][1]["text"]["text"], "It &amp; &lt;that&gt;.",
                "{kind}"
            );
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
    }
}
