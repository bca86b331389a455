//! One check's result, and the report: `✓ name: detail` / `✗ name: what is wrong — fix` per line,
//! or a JSON array of `{"check","ok","detail","fix"}`.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// One line per check.
    Text,
    /// A JSON array.
    Json,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The check's name (`trail`, `rule`, …).
    pub check: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found (when it passed) or what is wrong (when it failed); one line.
    pub detail: String,
    /// How to fix it, one line; `None` when it passed.
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(check: &str, detail: impl Into<String>) -> Self {
        Check {
            check: check.to_string(),
            ok: true,
            detail: one_line(&detail.into()),
            fix: None,
        }
    }

    /// A failed check with its fix.
    pub fn fail(check: &str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            check: check.to_string(),
            ok: false,
            detail: one_line(&detail.into()),
            fix: Some(one_line(&fix.into())),
        }
    }

    /// The text line.
    pub fn line(&self) -> String {
        match &self.fix {
            None => format!("✓ {}: {}", self.check, self.detail),
            Some(fix) => format!("✗ {}: {} — {fix}", self.check, self.detail),
        }
    }
}

/// Collapses whitespace (an SDK error can carry newlines) so every check is one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The report, as `format` says.
pub fn render(checks: &[Check], format: Output) -> anyhow::Result<String> {
    Ok(match format {
        Output::Text => checks.iter().map(|c| c.line() + "\n").collect(),
        Output::Json => {
            serde_json::to_string_pretty(checks).context("cannot encode the report")? + "\n"
        }
    })
}

/// Prints the report on stdout.
pub fn print(checks: &[Check], format: Output) -> anyhow::Result<()> {
    let text = render(checks, format)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write the report to stdout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json() {
        let checks = [
            Check::pass("rule", "rule r is ENABLED\nand targets the queue"),
            Check::fail(
                "dead-letter queues",
                "starter DLQ holds 2 messages",
                "read them",
            ),
        ];
        assert_eq!(
            render(&checks, Output::Text).expect("text"),
            "✓ rule: rule r is ENABLED and targets the queue\n\
             ✗ dead-letter queues: starter DLQ holds 2 messages — read them\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&checks, Output::Json).expect("json")).expect("JSON");
        assert_eq!(
            json,
            serde_json::json!([
                {"check": "rule", "ok": true, "detail": "rule r is ENABLED and targets the queue", "fix": null},
                {"check": "dead-letter queues", "ok": false, "detail": "starter DLQ holds 2 messages", "fix": "read them"}
            ])
        );
    }
}
