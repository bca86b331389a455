//! Repository contract tests live in tests/; shared test support lives here.
//!
//! - [`ecs_model`]: ECS's RunTask input model (extracted from botocore) and a validator for the
//!   requests the state machine sends to `aws-sdk:ecs:runTask`.
//! - [`fixtures`]: the one fixture-folder walker every test uses.
//! - [`slack_limits`]: what every Slack payload must respect (Block Kit limits, no markup from data).

pub mod ecs_model;
pub mod fixtures;
pub mod slack_limits;
