//! Everything that is not one of ours: another app's Amazon Q custom notification (its title,
//! description, next steps and summary) and plain text (escaped, in one section).

use super::blocks::{
    Block, MAX_SECTION_TEXT, SlackMessage, context, finish, header, list_section, section,
};
use super::escape::escape;
use crate::notification::Notification;

/// A message that is not a Q custom notification: the subject as a header, the text in a section.
pub(crate) fn render_plain(subject: Option<&str>, message: &str) -> SlackMessage {
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

/// Another app's Q custom notification (or one of ours without a kind or an execution name).
pub(crate) fn render_generic(subject: Option<&str>, n: &Notification) -> SlackMessage {
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
    if let Some(steps) = next_steps(n) {
        blocks.push(steps);
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

/// The notification's next steps as a bulleted list, if it has any.
pub(crate) fn next_steps(n: &Notification) -> Option<Block> {
    if n.content.next_steps.is_empty() {
        return None;
    }
    let lines: Vec<String> = n
        .content
        .next_steps
        .iter()
        .map(|s| format!("• {}", escape(s)))
        .collect();
    Some(list_section("*Next steps*", &lines))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::slack::{Block, MAX_SECTION_TEXT, MAX_TEXT, TRUNCATED, render_sns};

    fn all_texts(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| all_texts(x, out)),
            Value::Object(m) => m.values().for_each(|x| all_texts(x, out)),
            _ => {}
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

    #[test]
    fn another_apps_notification_keeps_its_words() {
        let m = render_sns(
            Some("ignored"),
            r#"{"version":"1.0","source":"custom","content":{"title":"Deploy <done>","description":"all @here","nextSteps":["relax"]},"metadata":{"summary":"ok"}}"#,
        );
        let v = serde_json::to_value(&m).expect("serialises");
        assert_eq!(v["text"], "Deploy &lt;done&gt;: all @\u{2060}here");
        assert_eq!(v["blocks"][0]["text"]["text"], "Deploy &lt;done&gt;");
        assert_eq!(v["blocks"][2]["text"]["text"], "*Next steps*\n• relax");
        assert_eq!(v["blocks"][3]["elements"][0]["text"], "ok");
    }
}
