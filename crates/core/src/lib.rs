//! ecs-rerun core: pure functions and types, no I/O, no environment, no clock.
//!
//! - [`event`]: the EventBridge "AWS API Call via CloudTrail" RunTask event, typed and tolerant.
//! - [`reason`]: every ECS RunTask failure reason, classified from one table.
//! - [`plan`]: the re-run plan (the state machine's input), built from an event and [`plan::PlanConfig`]
//!   (one file per job: configuration, decision, identifiers, request, first notice).
//! - [`notification`]: the SNS message contract (Amazon Q Developer custom-notification schema); a
//!   leaf: it knows no plan and no Slack.
//! - [`slack`]: Slack Block Kit rendering of notifications (and of anything else, as escaped text).
//! - [`links`]: partition-aware AWS console links.
//! - [`watch`]: the watchdog's notifications (CONTRACT §10a): a scheduled run missed, failed to
//!   start or failed, a disabled schedule; its words and `additionalContext`.
//! - [`text`]: the wording helpers the others share (plural, join_and, upper_first, one_line, json_type).
//!
//! The shapes are specified in `docs/CONTRACT.md`.

pub mod error;
pub mod event;
pub mod links;
pub mod notification;
pub mod plan;
pub mod reason;
pub mod slack;
pub mod text;
pub mod watch;

pub use error::Error;
