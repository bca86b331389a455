//! [`Env`]: the environment read through a lookup function (the process environment, or a map in
//! tests), trimmed, failing with the variable's name.

use std::str::FromStr;

use crate::error::Error;

/// Reads configuration variables. A value is trimmed; a blank one counts as unset (so an optional
/// variable set to `""` takes its default, and a required one is missing).
pub struct Env<F> {
    lookup: F,
}

/// The lookup [`Env::from_process`] uses.
type ProcessLookup = fn(&str) -> Option<String>;

fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Env<ProcessLookup> {
    /// The process environment (a variable that is not valid Unicode counts as unset).
    pub fn from_process() -> Self {
        Env::new(process_var)
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// Reads through `lookup`.
    pub fn new(lookup: F) -> Self {
        Env { lookup }
    }

    /// The trimmed value; `None` when unset or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        let value = (self.lookup)(name)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            None
        } else if trimmed.len() == value.len() {
            Some(value)
        } else {
            Some(trimmed.to_owned())
        }
    }

    /// The trimmed value, or [`Error::MissingEnv`]. The value is never repeated in an error, so
    /// this is also how a secret is read.
    pub fn required(&self, name: &'static str) -> Result<String, Error> {
        self.optional(name).ok_or(Error::MissingEnv { name })
    }

    /// An optional value parsed as `T`; `None` when unset or blank. A value that does not parse is
    /// [`Error::InvalidEnv`] `must be {what}`, value repeated (not for secrets).
    pub fn parse<T: FromStr>(&self, name: &'static str, what: &str) -> Result<Option<T>, Error> {
        self.parse_where(name, what, |_| true)
    }

    /// [`Env::parse`], and the parsed value must also pass `accept` (a range, a sign, …); `what`
    /// describes both (`an integer from 1 to 10`).
    pub fn parse_where<T: FromStr>(
        &self,
        name: &'static str,
        what: &str,
        accept: impl FnOnce(&T) -> bool,
    ) -> Result<Option<T>, Error> {
        let Some(raw) = self.optional(name) else {
            return Ok(None);
        };
        match raw.parse::<T>() {
            Ok(value) if accept(&value) => Ok(Some(value)),
            _ => Err(Error::invalid(name, raw, format!("must be {what}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::error::ErrorType;

    fn env(vars: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Env::new(move |name| map.get(name).cloned())
    }

    #[test]
    fn values_are_trimmed_and_blank_is_unset() {
        let e = env(&[("A", " x y "), ("B", ""), ("C", " \t"), ("D", "plain")]);
        for (name, want) in [
            ("A", Some("x y")),
            ("B", None),
            ("C", None),
            ("D", Some("plain")),
            ("UNSET", None),
        ] {
            assert_eq!(e.optional(name).as_deref(), want, "{name}");
        }
        assert_eq!(e.required("A"), Ok("x y".to_owned()));
        for name in ["B", "C", "UNSET"] {
            let err = e.required(name).expect_err("missing");
            assert_eq!(err, Error::MissingEnv { name });
            assert_eq!(err.error_type(), "EcsRerunLambda.MissingEnv");
        }
    }

    #[test]
    fn parse_reads_optional_values_and_names_the_bad_ones() {
        let e = env(&[
            ("N", " 7 "),
            ("BAD", "seven"),
            ("BLANK", " "),
            ("ZERO", "0"),
        ]);
        assert_eq!(e.parse::<u32>("N", "an integer"), Ok(Some(7)));
        assert_eq!(e.parse::<u32>("BLANK", "an integer"), Ok(None));
        assert_eq!(e.parse::<u32>("UNSET", "an integer"), Ok(None));
        let err = e.parse::<u32>("BAD", "an integer").expect_err("invalid");
        assert_eq!(err.error_type(), "EcsRerunLambda.InvalidEnv");
        assert_eq!(
            err.to_string(),
            "invalid environment variable BAD=\"seven\": must be an integer"
        );

        let from_1_to_10 = |n: &u32| (1..=10).contains(n);
        let what = "an integer from 1 to 10";
        assert_eq!(e.parse_where("N", what, from_1_to_10), Ok(Some(7)));
        assert_eq!(e.parse_where("UNSET", what, from_1_to_10), Ok(None));
        for name in ["ZERO", "BAD"] {
            let err = e.parse_where(name, what, from_1_to_10).expect_err(name);
            let msg = err.to_string();
            assert!(
                msg.starts_with(&format!("invalid environment variable {name}=")),
                "{msg}"
            );
            assert!(msg.ends_with(": must be an integer from 1 to 10"), "{msg}");
        }
    }

    #[test]
    fn the_process_environment_is_a_lookup_like_any_other() {
        // PATH is set wherever tests run; the name below is not
        assert!(Env::from_process().optional("PATH").is_some());
        assert!(
            Env::from_process()
                .optional("ECS_RERUN_LAMBDA_TEST_SURELY_UNSET")
                .is_none()
        );
    }
}
