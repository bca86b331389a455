//! The one capability the starter needs from the outside world.

use crate::error::Error;

/// What became of a StartExecution call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// A new execution was started.
    Started {
        /// The new execution's ARN, as Step Functions returned it.
        execution_arn: String,
    },
    /// An execution with this name already exists: a duplicate delivery of the same CloudTrail
    /// event (the name is derived from its eventID). Nothing to do; not an error.
    AlreadyStarted,
}

/// Starts Step Functions executions.
pub trait Executions {
    /// Starts `state_machine_arn` (passed as-is, `#TestCase` suffix included) with execution
    /// `name` and JSON `input`.
    async fn start(
        &self,
        state_machine_arn: &str,
        name: &str,
        input: &str,
    ) -> Result<StartOutcome, Error>;
}
