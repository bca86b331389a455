//! `ecs-rerun-watchdog`: invoked every few minutes by `WatchdogScheduleRule`; one run per
//! invocation, as of the event's `time` (docs/CONTRACT.md §10).
// the SDK clients' futures nest deeper than the default limit allows
#![recursion_limit = "256"]

use std::process::ExitCode;

use ecs_rerun_watchdog::adapters::Aws;
use ecs_rerun_watchdog::config::WatchdogConfig;
use ecs_rerun_watchdog::watchdog::Watchdog;
use ecs_rerun_watchdog::{Error, Handler};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    ecs_rerun_lambda::run_event(async {
        let config = WatchdogConfig::from_env()?;
        let sdk = ecs_rerun_lambda::sdk_config().await;
        let aws = Aws::new(&sdk, &config);
        Ok::<_, Error>(Handler(Watchdog::new(config, aws)))
    })
    .await
}
