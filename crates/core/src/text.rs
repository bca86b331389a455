//! The wording helpers the plan, the first notice and the Slack rendering share: one of each.

use std::fmt::Display;

use serde_json::Value;

/// `1 task`, `2 tasks`: the count and the word that agrees with it.
pub fn plural<N>(n: N, one: &str, many: &str) -> String
where
    N: Display + PartialEq + From<u8>,
{
    let word = if n == N::from(1) { one } else { many };
    format!("{n} {word}")
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `s` with its first character upper-cased; the rest is copied as one slice (collecting the
/// chars one by one cost more than the rest of the key conversion).
pub fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.extend(first.to_uppercase());
    out.push_str(chars.as_str());
    out
}

/// Keeps a message on one line (serde_json errors are one line already; this guards the rest).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A JSON value's type in words, for "expected …, got …" messages: `null`, `a string`, ….
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        for (got, want) in [
            (plural(0u32, "task", "tasks"), "0 tasks"),
            (plural(1u32, "task", "tasks"), "1 task"),
            (plural(2u32, "time", "times"), "2 times"),
            (plural(1usize, "resource", "resources"), "1 resource"),
            (plural(10usize, "resource", "resources"), "10 resources"),
        ] {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn joins_cases_and_lines() {
        for (items, want) in [
            (&[][..], ""),
            (&["AGENT"][..], "AGENT"),
            (&["AGENT", "ATTRIBUTE"][..], "AGENT and ATTRIBUTE"),
            (&["a", "b", "c"][..], "a, b and c"),
        ] {
            assert_eq!(join_and(items), want, "{items:?}");
        }
        for (s, want) in [
            ("", ""),
            ("not retried", "Not retried"),
            ("enableECSManagedTags", "EnableECSManagedTags"),
            ("élan", "Élan"),
            ("ß", "SS"),
        ] {
            assert_eq!(upper_first(s), want, "{s:?}");
        }
        assert_eq!(one_line("a\n  b\tc"), "a b c");
    }
}
