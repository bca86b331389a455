//! `at(yyyy-mm-ddThh:mm:ss)`: one run at a local (wall) time, Scheduler only.

use chrono::NaiveDateTime;

use crate::error::Error;

/// Parses the inside of `at(...)`.
pub fn parse(body: &str, full: &str) -> Result<NaiveDateTime, Error> {
    NaiveDateTime::parse_from_str(body.trim(), "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| Error::expr(full, "at needs yyyy-mm-ddThh:mm:ss"))
}
