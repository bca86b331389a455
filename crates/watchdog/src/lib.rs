//! `ecs-rerun-watchdog`: the stack's watchdog (docs/CONTRACT.md §10): two Lambdas, one crate.
//!
//! - the **recorder** (`ecs-rerun-recorder`, SQS): every `ECS Task State Change` of a scheduled
//!   or re-run task and every RunTask launch failure becomes one fact item ([`record`]);
//! - the **watchdog** (`ecs-rerun-watchdog`, every few minutes): the inventory, each run decided
//!   with the audit core ([`decide`]), published once, disabled schedules reported daily, and the
//!   launch failures EventBridge never delivered sent to the starter ([`reconcile`]).
//!
//! Pure: [`record`], [`decide`], [`reconcile`]. Shells: [`recorder`], [`watchdog`] on the
//! [`ports`]; [`adapters`] are the ports on AWS. The binaries only wire.

pub mod adapters;
pub mod config;
pub mod decide;
pub mod error;
pub mod ports;
pub mod reconcile;
pub mod record;
pub mod recorder;
pub mod watchdog;

pub use error::Error;

/// The namespace of the stack's own metrics (`ReconciledLaunches`).
pub const METRICS_NAMESPACE: &str = "ecs-rerun";

/// The watchdog Lambda's handler: a scheduled event → one run → its summary.
pub struct Handler<W>(pub watchdog::Watchdog<W>);

impl<W: ports::World> ecs_rerun_lambda::EventHandler for Handler<W> {
    type Error = Error;

    async fn handle(
        &self,
        event: serde_json::Value,
        _deadline: ecs_rerun_lambda::Deadline,
    ) -> Result<serde_json::Value, Error> {
        let now = watchdog::invocation_time(&event)?;
        let summary = self.0.run(now).await?;
        Ok(serde_json::to_value(summary).unwrap_or_default())
    }
}
