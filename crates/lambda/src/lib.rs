//! The shell both ecs-rerun Lambdas run in. Each Lambda brings its configuration, its ports and a
//! [`RecordHandler`] (what to do with one SQS record); this crate does the rest, the same way for
//! both:
//!
//! * [`init_logging`]: the tracing subscriber, from the function's LoggingConfig;
//! * [`Env`]: environment lookup, trimmed, failing with the variable's name ([`Error::MissingEnv`],
//!   [`Error::InvalidEnv`]);
//! * [`run_batch`]: the SQS per-record loop: each record on its own, each failure logged once and
//!   listed in `batchItemFailures`, no record started that might not finish before the invocation's
//!   [`Deadline`];
//! * [`run`]: the `main` tail: logging, start-up (or exit with the error logged under its stable
//!   type), the Lambda runtime, the exit code.
//!
//! A Lambda's `main` is then a few lines:
//!
//! ```ignore
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> ExitCode {
//!     ecs_rerun_lambda::run(async {
//!         let config = Config::from_env()?;
//!         Ok::<_, Error>(Handler::new(config, Port::new(&config)))
//!     })
//!     .await
//! }
//! ```
//!
//! Error names are the Lambdas' API (they show in CloudWatch): each Lambda wraps this crate's
//! [`Error`] in its own error enum and names its variants with its own prefix
//! (`EcsRerunStarter.MissingEnv`, `EcsRerunNotifier.OutOfTime`, …).

mod batch;
mod deadline;
mod env;
mod error;
mod logging;
mod run;
mod sdk;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;

pub use batch::{Record, RecordHandler, run_batch};
pub use deadline::{ANSWER_MARGIN, Deadline};
pub use env::Env;
pub use error::{Error, ErrorType};
pub use logging::{init_logging, json_format, log_level};
pub use run::{EventHandler, run, run_event};
pub use sdk::sdk_config;
