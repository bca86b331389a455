//! What every Slack webhook payload we post must respect, as one checker the golden tests and the
//! generated-input tests share: Block Kit's size limits, and no markup from data (the only `<` are
//! our own `<https://…|label>` links, no `<!channel>`-style mention, every `&` an entity).

use serde_json::Value;

/// Block Kit limits the renderer promises (the values of `ecs_rerun_core::slack`'s constants; the
/// core's own tests hold them equal).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Blocks per message.
    pub blocks: usize,
    /// Characters of the fallback `text`.
    pub text: usize,
    /// Characters of a header.
    pub header: usize,
    /// Characters of a section's text.
    pub section: usize,
    /// Fields per section.
    pub fields: usize,
    /// Characters of a field.
    pub field: usize,
    /// Elements per context block.
    pub context: usize,
    /// Characters of a button's label.
    pub button: usize,
}

/// Every way `msg` (the JSON posted to the webhook) breaks a limit or lets data through as
/// markup, one line each; empty when it is safe.
pub fn problems(msg: &Value, limits: &Limits) -> Vec<String> {
    let mut out = Vec::new();
    let mut texts: Vec<(&str, &str)> = Vec::new();
    let chars = |s: &str| s.chars().count();
    match msg["text"].as_str() {
        Some(t) if chars(t) <= limits.text => texts.push(("text", t)),
        Some(t) => out.push(format!("fallback text has {} characters", chars(t))),
        None => out.push("no fallback text".to_owned()),
    }
    let Some(blocks) = msg["blocks"].as_array() else {
        out.push("no blocks array".to_owned());
        return out;
    };
    if blocks.is_empty() || blocks.len() > limits.blocks {
        out.push(format!("{} blocks", blocks.len()));
    }
    for (i, b) in blocks.iter().enumerate() {
        // a limited text: its string when within `max`, else what is wrong (noted below)
        let limited = |what: &'static str, max: usize, v: &Value| match v.as_str() {
            Some(s) if chars(s) <= max => Ok(s.to_owned()),
            Some(s) => Err(format!("block {i}: {what} has {} characters", chars(s))),
            None => Err(format!("block {i}: {what} is not a string")),
        };
        let mut found: Vec<Result<String, String>> = Vec::new();
        match b["type"].as_str() {
            Some("header") => found.push(limited("header", limits.header, &b["text"]["text"])),
            Some("section") => {
                if !b["text"].is_null() {
                    found.push(limited("section", limits.section, &b["text"]["text"]));
                }
                if let Some(fields) = b["fields"].as_array() {
                    if fields.len() > limits.fields {
                        out.push(format!("block {i}: {} fields", fields.len()));
                    }
                    for f in fields {
                        found.push(limited("field", limits.field, &f["text"]));
                    }
                }
            }
            Some("context") => {
                let els = b["elements"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if els.is_empty() || els.len() > limits.context {
                    out.push(format!("block {i}: {} context elements", els.len()));
                }
                for e in els {
                    found.push(limited("context element", limits.section, &e["text"]));
                }
            }
            Some("actions") => {
                for e in b["elements"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    found.push(limited("button", limits.button, &e["text"]["text"]));
                    let url = e["url"].as_str().unwrap_or_default();
                    if !url.starts_with("https://")
                        || url.len() > 3000
                        || url.contains(['<', '>', '|', ' '])
                    {
                        out.push(format!("block {i}: button url {url:?}"));
                    }
                }
            }
            other => out.push(format!("block {i}: unexpected block type {other:?}")),
        }
        for t in found {
            match t {
                Ok(t) => out.extend(
                    markup_problems(&t)
                        .into_iter()
                        .map(|p| format!("block {i}: {p}")),
                ),
                Err(problem) => out.push(problem),
            }
        }
    }
    for (what, t) in texts {
        out.extend(
            markup_problems(t)
                .into_iter()
                .map(|p| format!("{what}: {p}")),
        );
    }
    out
}

/// Markup in `t` that did not come from the renderer: a `<` that does not open one of our
/// `<https://…>` links, a `>` outside one, a mention, an `&` that is not `&amp;`/`&lt;`/`&gt;`.
pub fn markup_problems(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    if t.contains("<!") || t.contains("<@") || t.contains("<#") {
        out.push(format!("a mention in {t:?}"));
    }
    let mut rest = t;
    while let Some(i) = rest.find(['<', '>', '&']) {
        let tail = &rest[i..];
        let skip = if tail.starts_with("<https://") {
            match tail.find('>') {
                Some(end) if !tail[1..end].contains('<') => end + 1,
                _ => {
                    out.push(format!("an unclosed link in {t:?}"));
                    break;
                }
            }
        } else if tail.starts_with("&amp;") {
            5
        } else if tail.starts_with("&lt;") || tail.starts_with("&gt;") {
            4
        } else {
            out.push(format!("a raw {:?} in {t:?}", &tail[..1]));
            1
        };
        rest = &tail[skip..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_from_data_is_found() {
        for ok in [
            "plain",
            "a &amp; b &lt;c&gt;",
            "<https://x.example/a?b=1|label &amp; more> then text",
            "",
        ] {
            assert!(
                markup_problems(ok).is_empty(),
                "{ok}: {:?}",
                markup_problems(ok)
            );
        }
        for bad in [
            "<!channel>",
            "a < b",
            "a > b",
            "Tom & Jerry",
            "<http://insecure|x>",
            "<https://open",
            "<@U123>",
        ] {
            assert!(!markup_problems(bad).is_empty(), "{bad} must be found");
        }
    }
}
