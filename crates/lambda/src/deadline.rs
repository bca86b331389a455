//! [`Deadline`]: when the invocation ends, as the runtime announced it.

use std::time::{Duration, Instant, SystemTime};

/// Time kept back at the end of the invocation to answer the runtime.
pub const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// The invocation's deadline, or none known.
///
/// Lambda's deadline is always ahead when an invocation arrives. A deadline already past on
/// arrival is not one: `cargo lambda watch` (the local pipeline) sends a constant
/// `lambda-runtime-deadline-ms: 600000`, ten minutes after 1970. That is taken as *unknown*:
/// records are still started (the work given is done), but nothing optional waits on it
/// ([`Deadline::fits`] is false), which is what the notifier's rate-limit retry always did there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// The deadline of the invocation `ctx` belongs to.
    pub fn from_context(ctx: &lambda_runtime::Context) -> Self {
        Self::from_system_time(ctx.deadline(), SystemTime::now())
    }

    /// `deadline` as seen at `now`; unknown when it is not after `now`.
    fn from_system_time(deadline: SystemTime, now: SystemTime) -> Self {
        match deadline.duration_since(now) {
            Ok(left) if !left.is_zero() => Self::after(left),
            _ => Self::unknown(),
        }
    }

    /// A deadline at `at`.
    pub fn at(at: Instant) -> Self {
        Deadline(Some(at))
    }

    /// A deadline `left` from now.
    pub fn after(left: Duration) -> Self {
        Self::at(Instant::now() + left)
    }

    /// No deadline known.
    pub fn unknown() -> Self {
        Deadline(None)
    }

    /// Time left (zero once passed); `None` when no deadline is known.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// Whether work that takes at most `work`, started now, ends [`ANSWER_MARGIN`] before the
    /// deadline. False when no deadline is known: with no known budget, nothing waits on purpose.
    pub fn fits(&self, work: Duration) -> bool {
        self.0
            .is_some_and(|at| Instant::now() + work + ANSWER_MARGIN <= at)
    }

    /// Whether a record that may take `budget` can still be started: it [fits](Deadline::fits),
    /// or no deadline is known.
    pub fn allows_start(&self, budget: Duration) -> bool {
        self.0.is_none() || self.fits(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn a_deadline_already_past_on_arrival_is_unknown() {
        let now = SystemTime::now();
        // what cargo lambda watch sends: lambda-runtime-deadline-ms: 600000
        let watch = SystemTime::UNIX_EPOCH + Duration::from_millis(600_000);
        for deadline in [watch, now, now - S] {
            let d = Deadline::from_system_time(deadline, now);
            assert_eq!(d, Deadline::unknown(), "{deadline:?}");
            assert_eq!(d.remaining(), None);
            assert!(d.allows_start(60 * S), "records are still handled");
            assert!(!d.fits(Duration::ZERO), "nothing waits on it");
        }
        let d = Deadline::from_system_time(now + 30 * S, now);
        let left = d.remaining().expect("known");
        assert!(left > 29 * S && left <= 30 * S, "{left:?}");
    }

    #[test]
    fn fits_keeps_the_answer_margin() {
        let d = Deadline::after(10 * S);
        for (work, want) in [
            (Duration::ZERO, true),
            (5 * S, true),
            (9 * S, true),
            (10 * S - ANSWER_MARGIN + S / 10, false),
            (10 * S, false),
        ] {
            assert_eq!(d.fits(work), want, "{work:?}");
            assert_eq!(d.allows_start(work), want, "{work:?}");
        }
        let passed = Deadline::at(Instant::now());
        assert_eq!(passed.remaining(), Some(Duration::ZERO));
        assert!(!passed.allows_start(Duration::ZERO));
    }
}
