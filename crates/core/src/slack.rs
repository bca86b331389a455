//! Slack Block Kit rendering of SNS messages. [`render_sns`] never fails:
//! - our notifications (CONTRACT §5) → header by outcome, fields, why, tasks/failures, links;
//! - another app's Amazon Q custom notification → its title, description and next steps;
//! - anything else → the text, escaped, in a section.
//!
//! Every piece of data is escaped (`&`, `<`, `>`), so nothing in an event can ping a channel or
//! forge a link, and every text respects Slack's limits, truncated visibly ("…(truncated)").

use serde::Serialize;

use crate::links;
use crate::notification::{Kind, Notification};
use crate::text::plural;

/// Max characters of a section's text.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Max characters of a header.
pub const MAX_HEADER: usize = 150;
/// Max fields of a section.
pub const MAX_FIELDS: usize = 10;
/// Max characters of one field.
pub const MAX_FIELD_TEXT: usize = 2000;
/// Max blocks of a message.
pub const MAX_BLOCKS: usize = 50;
/// Max elements of a context block.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Max characters of a button label.
pub const MAX_BUTTON_TEXT: usize = 75;
/// Max characters of the top-level fallback text we send.
pub const MAX_TEXT: usize = 3000;
/// What a truncated text ends with.
pub const TRUNCATED: &str = "…(truncated)";
/// Max characters of one line in a list (a failure, a task).
const MAX_LINE: usize = 600;

/// A Slack incoming-webhook payload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlackMessage {
    /// Fallback text (notifications, screen readers).
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Vec<Block>,
}

/// The Block Kit blocks we send, typed: serialised straight to the webhook body (no
/// intermediate `serde_json::Value`, which cost more than half of a render).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    /// `header`: one plain-text line.
    Header {
        /// The header's text (plain_text).
        text: Text,
    },
    /// `section`: a text, or up to [`MAX_FIELDS`] fields shown in two columns.
    Section {
        /// The section's text.
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<Text>,
        /// The section's fields.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        fields: Vec<Text>,
    },
    /// `context`: small print.
    Context {
        /// Up to [`MAX_CONTEXT_ELEMENTS`] texts.
        elements: Vec<Text>,
    },
    /// `actions`: link buttons.
    Actions {
        /// The buttons.
        elements: Vec<Button>,
    },
}

/// A Block Kit text object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    /// `plain_text` (emoji shortcodes rendered when `emoji` is true).
    PlainText {
        /// The text.
        text: String,
        /// Whether `:emoji:` codes are rendered.
        #[serde(skip_serializing_if = "Option::is_none")]
        emoji: Option<bool>,
    },
    /// `mrkdwn`.
    Mrkdwn {
        /// The text.
        text: String,
    },
}

impl Text {
    /// The text, whatever its type.
    pub fn as_str(&self) -> &str {
        match self {
            Text::PlainText { text, .. } | Text::Mrkdwn { text } => text,
        }
    }
}

/// A link button of an `actions` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "button")]
pub struct Button {
    /// Unique within the message.
    pub action_id: String,
    /// The label (plain_text).
    pub text: Text,
    /// Where it leads.
    pub url: String,
}

/// Broadcast words that some clients turn into mentions after an `@` (`link_names`).
const BROADCASTS: [&str; 3] = ["channel", "here", "everyone"];

/// Escapes Slack's control characters `&`, `<`, `>`, and defuses `@channel`, `@here` and
/// `@everyone` with an invisible word joiner after the `@`.
pub fn escape(s: &str) -> String {
    // The characters to act on are ASCII, so a byte scan never splits a UTF-8 sequence; the text
    // between them is copied as whole slices.
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'@' if BROADCASTS.iter().any(|w| {
                bytes.len() > i + w.len()
                    && bytes[i + 1..=i + w.len()].eq_ignore_ascii_case(w.as_bytes())
            }) =>
            {
                "@\u{2060}"
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(replacement);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out
}

/// Cuts already-escaped text to `max` characters, ending with [`TRUNCATED`] when cut, never in
/// the middle of an `&…;` entity.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(TRUNCATED.chars().count());
    let mut cut: String = s.chars().take(keep).collect();
    if let Some(amp) = cut.rfind('&') {
        if !cut[amp..].contains(';') {
            cut.truncate(amp);
        }
    }
    cut.push_str(TRUNCATED);
    cut
}

/// [`truncate`] for an owned text: no copy when it fits.
fn fit(s: String, max: usize) -> String {
    if s.len() <= max || s.chars().count() <= max {
        s
    } else {
        truncate(&s, max)
    }
}

fn mrkdwn(text: String, max: usize) -> Text {
    Text::Mrkdwn {
        text: fit(text, max),
    }
}

fn header(text: String) -> Block {
    Block::Header {
        text: Text::PlainText {
            text: fit(text, MAX_HEADER),
            emoji: Some(true),
        },
    }
}

fn section(text: String) -> Block {
    Block::Section {
        text: Some(mrkdwn(text, MAX_SECTION_TEXT)),
        fields: Vec::new(),
    }
}

fn fields(items: Vec<String>) -> Block {
    Block::Section {
        text: None,
        fields: items
            .into_iter()
            .take(MAX_FIELDS)
            .map(|f| mrkdwn(f, MAX_FIELD_TEXT))
            .collect(),
    }
}

fn context(items: Vec<String>) -> Block {
    Block::Context {
        elements: items
            .into_iter()
            .take(MAX_CONTEXT_ELEMENTS)
            .map(|t| mrkdwn(t, MAX_FIELD_TEXT))
            .collect(),
    }
}

fn buttons(items: Vec<(&str, String)>) -> Block {
    Block::Actions {
        elements: items
            .into_iter()
            .take(25)
            .enumerate()
            .map(|(i, (label, url))| Button {
                action_id: format!("link-{i}"),
                text: Text::PlainText {
                    text: truncate(label, MAX_BUTTON_TEXT),
                    emoji: None,
                },
                url,
            })
            .collect(),
    }
}

/// A titled list in one section: whole lines while they fit, then a visible truncation note.
fn list_section(title: &str, lines: &[String]) -> Block {
    let mut text = title.to_string();
    for (i, line) in lines.iter().enumerate() {
        let line = truncate(line, MAX_LINE);
        let rest = lines.len() - i;
        let note = format!("\n{TRUNCATED} {rest} more");
        if text.chars().count() + 1 + line.chars().count() + note.chars().count() > MAX_SECTION_TEXT
        {
            text.push_str(&note);
            break;
        }
        text.push('\n');
        text.push_str(&line);
    }
    section(text)
}

fn finish(text: String, mut blocks: Vec<Block>) -> SlackMessage {
    blocks.truncate(MAX_BLOCKS);
    SlackMessage {
        text: fit(text, MAX_TEXT),
        blocks,
    }
}

/// Renders an SNS message (`subject` as SNS gives it). Never fails.
pub fn render_sns(subject: Option<&str>, message: &str) -> SlackMessage {
    match Notification::parse(message) {
        Ok(n) => render_notification_with_subject(subject, &n),
        Err(_) => render_plain(subject, message),
    }
}

/// Renders a parsed notification (ours richly, others generically).
pub fn render_notification(n: &Notification) -> SlackMessage {
    render_notification_with_subject(None, n)
}

fn render_notification_with_subject(subject: Option<&str>, n: &Notification) -> SlackMessage {
    match n.kind() {
        Some(kind) if n.is_ecs_rerun() => render_ours(kind, n),
        _ => render_generic(subject, n),
    }
}

fn render_plain(subject: Option<&str>, message: &str) -> SlackMessage {
    let subject = subject.map(str::trim).filter(|s| !s.is_empty());
    // Escaping never shortens text, so more than one section's worth of input is never shown.
    let shown: String = message.chars().take(MAX_SECTION_TEXT + 1).collect();
    let body = if message.trim().is_empty() {
        "(empty message)".to_string()
    } else {
        escape(&shown)
    };
    let mut blocks = Vec::new();
    if let Some(s) = subject {
        blocks.push(header(escape(s)));
    }
    let text = match subject {
        Some(s) => format!("{}: {body}", escape(s)),
        None => body.clone(),
    };
    blocks.push(section(body));
    finish(text, blocks)
}

fn render_generic(subject: Option<&str>, n: &Notification) -> SlackMessage {
    let title = n
        .content
        .title
        .as_deref()
        .or(subject)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("Notification");
    let title = escape(title);
    let mut blocks = vec![header(title.clone())];
    if let Some(d) = n
        .content
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        blocks.push(section(escape(d)));
    }
    if !n.content.next_steps.is_empty() {
        let lines: Vec<String> = n
            .content
            .next_steps
            .iter()
            .map(|s| format!("• {}", escape(s)))
            .collect();
        blocks.push(list_section("*Next steps*", &lines));
    }
    if let Some(summary) = n.metadata.as_ref().and_then(|m| m.summary.as_deref()) {
        blocks.push(context(vec![escape(summary)]));
    }
    let text = match n.content.description.as_deref() {
        Some(d) => format!("{title}: {}", escape(d)),
        None => title,
    };
    finish(text, blocks)
}

fn task_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn render_ours(kind: Kind, n: &Notification) -> SlackMessage {
    let ctx = |k: &str| n.context(k).unwrap_or("");
    let region = ctx("region");
    let family = n.context_nonempty("taskFamily").unwrap_or("?");
    let cluster_name = n.context_nonempty("clusterName").unwrap_or("?");
    let attempt = n.context_u32("attempt").unwrap_or(0);
    let max = n.context_u32("maxAttempts").unwrap_or(0);
    let requested = n.context_u32("requestedCount").unwrap_or(1) as usize;
    let missing = n.context_u32("missingCount").unwrap_or(0) as usize;
    let task_arns = n.task_arns();
    let failures = n.failures();

    let (emoji, words) = match kind {
        Kind::LaunchFailed => (":warning:", "Launch failed – retrying"),
        Kind::NotRetryable => (":x:", "Launch failed – not retried"),
        Kind::Recovered => (":white_check_mark:", "Recovered"),
        Kind::PartiallyRecovered => (":large_orange_diamond:", "Partially recovered"),
        Kind::GaveUp => (":rotating_light:", "Gave up"),
    };
    let subject = format!(
        "{}: ECS task {} on {}",
        words,
        escape(family),
        escape(cluster_name)
    );

    let outcome = match kind {
        Kind::LaunchFailed => format!(
            "RunTask started {} of {}. ecs-rerun re-runs the {} up to {}: re-run 1 of {max} in {} s.",
            requested.saturating_sub(missing),
            plural(requested, "task", "tasks"),
            plural(missing, "missing task", "missing tasks"),
            plural(max as usize, "time", "times"),
            n.context_u32("nextWaitSeconds").unwrap_or(0)
        ),
        Kind::NotRetryable => format!(
            "RunTask started {} of {}. *Not retried*: {}.",
            requested.saturating_sub(missing),
            plural(requested, "task", "tasks"),
            escape(
                n.context_nonempty("why")
                    .map(|w| w.strip_prefix("not retried: ").unwrap_or(w))
                    .unwrap_or("no reason given")
            )
        ),
        Kind::Recovered => format!(
            "*Recovered on re-run {attempt} of {max}*: started {}.",
            plural(task_arns.len(), "task", "tasks")
        ),
        Kind::PartiallyRecovered => format!(
            "*Re-run {attempt} of {max} started {}*; {missing} still missing, not re-run again (a repeat would duplicate the started tasks).",
            plural(task_arns.len(), "task", "tasks"),
        ),
        Kind::GaveUp => match n.context_nonempty("error") {
            Some(error) => format!(
                "*Gave up at re-run {attempt} of {max}*: the RunTask call failed with `{}`.",
                escape(error)
            ),
            None => format!(
                "*Gave up after {attempt} of {max} re-runs*: none started the {}.",
                plural(missing, "missing task", "missing tasks")
            ),
        },
    };

    let attempt_field = match kind {
        Kind::LaunchFailed => format!("*Attempt*\n{attempt} of {max} (re-run 1 next)"),
        Kind::NotRetryable => "*Attempt*\nnone (not retried)".to_string(),
        _ => format!("*Attempt*\n{attempt} of {max}"),
    };
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
        attempt_field,
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
    if let Some(why) = n
        .context_nonempty("why")
        .filter(|_| kind != Kind::NotRetryable)
    {
        notes.push(format!("*Why:* {}", escape(why)));
    }
    if let Some(p) = n.context_nonempty("principal") {
        notes.push(format!("*Called by:* {}", escape(p)));
    }
    if !notes.is_empty() {
        blocks.push(context(notes));
    }

    match kind {
        Kind::Recovered | Kind::PartiallyRecovered => {
            let lines: Vec<String> = task_arns
                .iter()
                .map(|arn| {
                    format!(
                        "• <{}|{}>",
                        links::task_url(region, cluster_name, arn),
                        escape(task_id(arn))
                    )
                })
                .collect();
            if !lines.is_empty() {
                blocks.push(list_section("*New tasks*", &lines));
            }
        }
        _ => {}
    }
    if matches!(
        kind,
        Kind::GaveUp | Kind::PartiallyRecovered | Kind::LaunchFailed | Kind::NotRetryable
    ) {
        let title = match kind {
            Kind::GaveUp | Kind::PartiallyRecovered => "*Last failures*",
            _ => "*Failures*",
        };
        let lines: Vec<String> = failures
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
    if kind == Kind::GaveUp {
        if let Some(cause) = n.context_nonempty("cause") {
            blocks.push(section(format!("*Cause*\n{}", escape(cause))));
        }
    }
    if !n.content.next_steps.is_empty() {
        let lines: Vec<String> = n
            .content
            .next_steps
            .iter()
            .map(|s| format!("• {}", escape(s)))
            .collect();
        blocks.push(list_section("*Next steps*", &lines));
    }

    let mut link_buttons: Vec<(&str, String)> = Vec::new();
    if let Some(arn) = n.context_nonempty("executionArn") {
        link_buttons.push(("Execution", links::execution_url(region, arn)));
    }
    if let Some(id) = n.context_nonempty("eventId") {
        link_buttons.push(("CloudTrail event", links::cloudtrail_event_url(region, id)));
    }
    match task_arns.as_slice() {
        [one] => link_buttons.push(("ECS task", links::task_url(region, cluster_name, one))),
        _ => link_buttons.push(("ECS tasks", links::cluster_url(region, cluster_name))),
    }
    blocks.push(buttons(link_buttons));

    finish(text, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn all_texts(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| all_texts(x, out)),
            Value::Object(m) => m.values().for_each(|x| all_texts(x, out)),
            _ => {}
        }
    }

    #[test]
    fn escaping_and_truncation() {
        assert_eq!(
            escape("<!channel> & co >"),
            "&lt;!channel&gt; &amp; co &gt;"
        );
        assert_eq!(
            escape("hi @Channel @here @bob"),
            "hi @\u{2060}Channel @\u{2060}here @bob"
        );
        assert_eq!(truncate("short", 10), "short");
        let t = truncate(&"a".repeat(100), 20);
        assert_eq!(t.chars().count(), 20);
        assert!(t.ends_with(TRUNCATED));
        // Never ends inside an entity.
        let t = truncate(&escape(&format!("{}&&&&&&&&&&&&", "a".repeat(5))), 12);
        assert!(!t.trim_end_matches(TRUNCATED).ends_with("&am"), "{t}");
        assert!(t.chars().count() <= 12);
    }

    /// The byte-scanning `escape` equals the obvious char-by-char definition.
    #[test]
    fn escape_matches_the_char_by_char_definition() {
        fn reference(s: &str) -> String {
            let mut out = String::new();
            for (i, c) in s.char_indices() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '@' => {
                        out.push('@');
                        let rest = s[i + 1..].to_ascii_lowercase();
                        if BROADCASTS.iter().any(|b| rest.starts_with(b)) {
                            out.push('\u{2060}');
                        }
                    }
                    c => out.push(c),
                }
            }
            out
        }
        let pieces = [
            "&",
            "<",
            ">",
            "@",
            "@here",
            "@HERE",
            "@channe",
            "@channel",
            "@everyone",
            "é",
            "日本",
            "x",
            " ",
            "🦀",
            "&amp;",
        ];
        let mut cases = vec![String::new()];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    cases.push(format!("{a}{b}{c}"));
                }
            }
        }
        for case in cases {
            assert_eq!(escape(&case), reference(&case), "{case:?}");
        }
    }

    #[test]
    fn plain_text_is_escaped_and_never_fails() {
        for msg in [
            "",
            "hello",
            "<!channel> ping & <https://evil|x>",
            "{\"not\": \"q\"}",
            "[1,2]",
        ] {
            let m = render_sns(Some("Subj <!here>"), msg);
            assert!(!m.blocks.is_empty());
            let mut texts = vec![m.text.clone()];
            let blocks = serde_json::to_value(&m.blocks).expect("blocks serialise");
            all_texts(&blocks, &mut texts);
            for t in texts {
                assert!(!t.contains('<') && !t.contains('>'), "{t}");
            }
        }
    }

    #[test]
    fn huge_plain_text_respects_limits() {
        let m = render_sns(None, &"x".repeat(10_000));
        let Block::Section {
            text: Some(text), ..
        } = &m.blocks[0]
        else {
            panic!("a plain message is one section: {:?}", m.blocks)
        };
        let text = text.as_str();
        assert_eq!(text.chars().count(), MAX_SECTION_TEXT);
        assert!(text.ends_with(TRUNCATED));
        assert!(m.text.chars().count() <= MAX_TEXT);
    }
}
