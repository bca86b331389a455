//! Slack Block Kit rendering of SNS messages. [`render_sns`] never fails:
//! - our notifications (CONTRACT §5) → header by outcome, fields, why, tasks/failures, links
//!   (`ecs_rerun`: one row per kind);
//! - the watchdog's notifications (CONTRACT §10a: `additionalContext.source` is
//!   `ecs-rerun-watchdog`) → the notice's words, the schedule's facts, what the audit found, the
//!   tasks and their logs, console links (`watch`);
//! - another app's Amazon Q custom notification → its title, description and next steps;
//! - a CloudWatch alarm state change (the `alarm` kind) → header by state, what it watches, why,
//!   when, a console link (`alarm`);
//! - anything else → the text, escaped, in a section (`generic`).
//!
//! Every piece of data is escaped (`&`, `<`, `>`), so nothing in an event can ping a channel or
//! forge a link ([`escape()`]), and every text respects Slack's limits, truncated visibly
//! ("…(truncated)", [`blocks`]).

pub mod alarm;
pub mod blocks;
mod ecs_rerun;
pub mod escape;
mod generic;
mod watch;

pub use blocks::{
    Block, Button, MAX_BLOCKS, MAX_BUTTON_TEXT, MAX_CONTEXT_ELEMENTS, MAX_FIELD_TEXT, MAX_FIELDS,
    MAX_HEADER, MAX_SECTION_TEXT, MAX_TEXT, SlackMessage, Text,
};
pub use escape::{TRUNCATED, escape, truncate};

use crate::notification::Notification;
use crate::watch::watch_kind;

/// Renders an SNS message (`subject` as SNS gives it). Never fails.
pub fn render_sns(subject: Option<&str>, message: &str) -> SlackMessage {
    match Notification::parse(message) {
        Ok(n) => render_notification_with_subject(subject, &n),
        Err(_) => match alarm::Alarm::parse(message) {
            Some(a) => alarm::render(&a),
            None => generic::render_plain(subject, message),
        },
    }
}

/// Renders a parsed notification (ours and the watchdog's richly, others generically).
pub fn render_notification(n: &Notification) -> SlackMessage {
    render_notification_with_subject(None, n)
}

fn render_notification_with_subject(subject: Option<&str>, n: &Notification) -> SlackMessage {
    match n
        .kind()
        .filter(|_| n.is_ecs_rerun())
        .and_then(ecs_rerun::look)
    {
        Some(look) => ecs_rerun::render(look, n),
        None => match watch_kind(n) {
            Some(kind) => watch::render(kind, n),
            None => generic::render_generic(subject, n),
        },
    }
}
