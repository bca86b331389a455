//! The Block Kit blocks we send, typed, with Slack's limits and the builders that respect them:
//! every text is cut to its limit (visibly, see [`super::escape::truncate`]), lists and blocks are
//! capped.

use serde::Serialize;

use super::escape::{TRUNCATED, fit, truncate};

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
/// Max buttons of an actions block.
const MAX_BUTTONS: usize = 25;
/// Max characters of one line in a list (a failure, a task).
const MAX_LINE: usize = 600;
/// Max characters of a button's URL (Slack rejects longer ones).
pub const MAX_URL: usize = 3000;
/// Max characters of a link's label.
const MAX_LINK_LABEL: usize = 100;

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

fn mrkdwn(text: String, max: usize) -> Text {
    Text::Mrkdwn {
        text: fit(text, max),
    }
}

/// A header (plain text, emoji codes rendered), cut to [`MAX_HEADER`].
pub(crate) fn header(text: String) -> Block {
    Block::Header {
        text: Text::PlainText {
            text: fit(text, MAX_HEADER),
            emoji: Some(true),
        },
    }
}

/// A mrkdwn section, cut to [`MAX_SECTION_TEXT`].
pub(crate) fn section(text: String) -> Block {
    Block::Section {
        text: Some(mrkdwn(text, MAX_SECTION_TEXT)),
        fields: Vec::new(),
    }
}

/// A section of up to [`MAX_FIELDS`] fields, each cut to [`MAX_FIELD_TEXT`].
pub(crate) fn fields(items: Vec<String>) -> Block {
    Block::Section {
        text: None,
        fields: items
            .into_iter()
            .take(MAX_FIELDS)
            .map(|f| mrkdwn(f, MAX_FIELD_TEXT))
            .collect(),
    }
}

/// A context block of up to [`MAX_CONTEXT_ELEMENTS`] texts.
pub(crate) fn context(items: Vec<String>) -> Block {
    Block::Context {
        elements: items
            .into_iter()
            .take(MAX_CONTEXT_ELEMENTS)
            .map(|t| mrkdwn(t, MAX_FIELD_TEXT))
            .collect(),
    }
}

/// Link buttons `(label, url)`, labels cut to [`MAX_BUTTON_TEXT`]; a button whose URL is longer
/// than [`MAX_URL`] (built from outsized data) is left out rather than cut into a broken link.
pub(crate) fn buttons(items: Vec<(&str, String)>) -> Block {
    Block::Actions {
        elements: items
            .into_iter()
            .filter(|(_, url)| url.chars().count() <= MAX_URL)
            .take(MAX_BUTTONS)
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

/// `<url|label>` (mrkdwn; `label` already escaped, cut to a short label), or the label alone when
/// the link would not fit a list line: a link is never cut in the middle.
pub(crate) fn link(url: &str, label: &str) -> String {
    let label = truncate(label, MAX_LINK_LABEL);
    if url.chars().count() + label.chars().count() + 8 > MAX_LINE {
        label
    } else {
        format!("<{url}|{label}>")
    }
}

/// A titled list in one section: whole lines while they fit, then a visible truncation note.
pub(crate) fn list_section(title: &str, lines: &[String]) -> Block {
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

/// The message: the fallback text cut to [`MAX_TEXT`], at most [`MAX_BLOCKS`] blocks.
pub(crate) fn finish(text: String, mut blocks: Vec<Block>) -> SlackMessage {
    blocks.truncate(MAX_BLOCKS);
    SlackMessage {
        text: fit(text, MAX_TEXT),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_respect_the_limits() {
        let long = "x".repeat(10_000);
        let texts = |b: &Block| -> Vec<String> {
            match b {
                Block::Header { text } => vec![text.as_str().to_string()],
                Block::Section { text, fields } => text
                    .iter()
                    .chain(fields)
                    .map(|t| t.as_str().to_string())
                    .collect(),
                Block::Context { elements } => {
                    elements.iter().map(|t| t.as_str().to_string()).collect()
                }
                Block::Actions { elements } => elements
                    .iter()
                    .map(|b| b.text.as_str().to_string())
                    .collect(),
            }
        };
        for (block, max, count) in [
            (header(long.clone()), MAX_HEADER, 1),
            (section(long.clone()), MAX_SECTION_TEXT, 1),
            (fields(vec![long.clone(); 12]), MAX_FIELD_TEXT, MAX_FIELDS),
            (
                context(vec![long.clone(); 12]),
                MAX_FIELD_TEXT,
                MAX_CONTEXT_ELEMENTS,
            ),
            (
                buttons(vec![(long.as_str(), "https://x".to_string()); 30]),
                MAX_BUTTON_TEXT,
                MAX_BUTTONS,
            ),
            (
                list_section("*Title*", &vec!["y".repeat(100); 100]),
                MAX_SECTION_TEXT,
                1,
            ),
        ] {
            let t = texts(&block);
            assert_eq!(t.len(), count, "{block:?}");
            assert!(t.iter().all(|t| t.chars().count() <= max), "{block:?}");
        }
        let m = finish(long, vec![section(String::new()); 60]);
        assert_eq!(m.blocks.len(), MAX_BLOCKS);
        assert!(m.text.chars().count() <= MAX_TEXT);
    }

    #[test]
    fn a_cut_list_says_how_many_lines_it_left_out() {
        let Block::Section {
            text: Some(text), ..
        } = list_section("*Failures*", &vec!["z".repeat(100); 100])
        else {
            panic!("a list is one section")
        };
        let text = text.as_str();
        assert!(text.starts_with("*Failures*\n"));
        let shown = text.lines().count() - 2;
        assert!(
            text.ends_with(&format!("{TRUNCATED} {} more", 100 - shown)),
            "{text}"
        );
    }

    #[test]
    fn outsized_links_are_left_out_whole() {
        let long = format!("https://example.com/{}", "x".repeat(MAX_URL));
        let Block::Actions { elements } = buttons(vec![
            ("ok", "https://example.com/a".into()),
            ("long", long.clone()),
        ]) else {
            panic!("actions")
        };
        assert_eq!(elements.len(), 1, "the over-long button is dropped");
        assert_eq!(
            link("https://example.com/a", "a"),
            "<https://example.com/a|a>"
        );
        assert_eq!(link(&long, "label"), "label", "never a cut link");
        assert!(
            link("https://example.com/a", &"y".repeat(500))
                .chars()
                .count()
                < MAX_LINE
        );
    }
}
