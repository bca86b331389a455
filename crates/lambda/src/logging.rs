//! Logging set from the function's LoggingConfig.
//!
//! [`init_logging`] replaces `lambda_runtime::tracing::init_default_subscriber`: the same output
//! (no target, no timestamp — CloudWatch adds one; JSON when the function's LoggingConfig says so,
//! level from it), without `EnvFilter`, whose regex engine made the notifier's zip much larger
//! (docs/PERFORMANCE.md has the figures). Per-target `RUST_LOG` directives are not supported; a
//! plain level is.

use tracing_subscriber::filter::LevelFilter;

/// The log level: `AWS_LAMBDA_LOG_LEVEL` (set by LoggingConfig), else `RUST_LOG`, else INFO.
/// Lambda's `FATAL` maps to ERROR; anything unreadable falls back to INFO.
pub fn log_level(lambda_level: Option<&str>, rust_log: Option<&str>) -> LevelFilter {
    let parse = |s: &str| {
        if s.eq_ignore_ascii_case("fatal") {
            Some(LevelFilter::ERROR)
        } else {
            s.trim().parse::<LevelFilter>().ok()
        }
    };
    lambda_level
        .and_then(parse)
        .or_else(|| rust_log.and_then(parse))
        .unwrap_or(LevelFilter::INFO)
}

/// Whether LoggingConfig asked for JSON (`AWS_LAMBDA_LOG_FORMAT=JSON`).
pub fn json_format(lambda_format: Option<&str>) -> bool {
    lambda_format.is_some_and(|f| f.eq_ignore_ascii_case("json"))
}

/// Install the global tracing subscriber from the function's environment. Call once, first.
pub fn init_logging() {
    let level = log_level(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    if json_format(std::env::var("AWS_LAMBDA_LOG_FORMAT").ok().as_deref()) {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_table() {
        for (lambda, rust, want) in [
            (Some("DEBUG"), None, LevelFilter::DEBUG),
            (Some("FATAL"), None, LevelFilter::ERROR),
            (Some("TRACE"), Some("error"), LevelFilter::TRACE),
            (None, Some("warn"), LevelFilter::WARN),
            (Some("nonsense"), Some("error"), LevelFilter::ERROR),
            (Some("nonsense"), None, LevelFilter::INFO),
            (None, None, LevelFilter::INFO),
        ] {
            assert_eq!(log_level(lambda, rust), want, "{lambda:?} {rust:?}");
        }
    }

    #[test]
    fn format_table() {
        for (format, want) in [
            (Some("JSON"), true),
            (Some("json"), true),
            (Some("Text"), false),
            (None, false),
        ] {
            assert_eq!(json_format(format), want, "{format:?}");
        }
    }
}
