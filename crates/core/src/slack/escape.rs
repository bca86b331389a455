//! Escaping and truncation: nothing in an event can ping a channel or forge a link (`&`, `<`, `>`
//! and the broadcast words are defused), and a text cut to a limit says so ([`TRUNCATED`]) without
//! ending inside an entity.

/// What a truncated text ends with.
pub const TRUNCATED: &str = "…(truncated)";

/// Broadcast words that some clients turn into mentions after an `@` (`link_names`).
const BROADCASTS: [&str; 3] = ["channel", "here", "everyone"];

/// Escapes Slack's control characters `&`, `<`, `>`, and defuses `@channel`, `@here` and
/// `@everyone` with an invisible word joiner after the `@`.
pub fn escape(s: &str) -> String {
    // The characters to act on are ASCII, so a byte scan never splits a UTF-8 sequence; the text
    // between them is copied as whole slices.
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'@' if BROADCASTS.iter().any(|w| {
                bytes.len() > i + w.len()
                    && bytes[i + 1..=i + w.len()].eq_ignore_ascii_case(w.as_bytes())
            }) =>
            {
                "@\u{2060}"
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(replacement);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out
}

/// Cuts already-escaped text to `max` characters, ending with [`TRUNCATED`] when cut, never in
/// the middle of an `&…;` entity.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(TRUNCATED.chars().count());
    let mut cut: String = s.chars().take(keep).collect();
    if let Some(amp) = cut.rfind('&') {
        if !cut[amp..].contains(';') {
            cut.truncate(amp);
        }
    }
    cut.push_str(TRUNCATED);
    cut
}

/// [`truncate`] for an owned text: no copy when it fits.
pub(crate) fn fit(s: String, max: usize) -> String {
    if s.len() <= max || s.chars().count() <= max {
        s
    } else {
        truncate(&s, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_truncation() {
        assert_eq!(
            escape("<!channel> & co >"),
            "&lt;!channel&gt; &amp; co &gt;"
        );
        assert_eq!(
            escape("hi @Channel @here @bob"),
            "hi @\u{2060}Channel @\u{2060}here @bob"
        );
        assert_eq!(truncate("short", 10), "short");
        let t = truncate(&"a".repeat(100), 20);
        assert_eq!(t.chars().count(), 20);
        assert!(t.ends_with(TRUNCATED));
        // Never ends inside an entity.
        let t = truncate(&escape(&format!("{}&&&&&&&&&&&&", "a".repeat(5))), 12);
        assert!(!t.trim_end_matches(TRUNCATED).ends_with("&am"), "{t}");
        assert!(t.chars().count() <= 12);
        assert_eq!(fit("short".to_string(), 10), "short");
        assert_eq!(fit("a".repeat(100), 20), truncate(&"a".repeat(100), 20));
    }

    /// The byte-scanning `escape` equals the obvious char-by-char definition.
    #[test]
    fn escape_matches_the_char_by_char_definition() {
        fn reference(s: &str) -> String {
            let mut out = String::new();
            for (i, c) in s.char_indices() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '@' => {
                        out.push('@');
                        let rest = s[i + 1..].to_ascii_lowercase();
                        if BROADCASTS.iter().any(|b| rest.starts_with(b)) {
                            out.push('\u{2060}');
                        }
                    }
                    c => out.push(c),
                }
            }
            out
        }
        let pieces = [
            "&",
            "<",
            ">",
            "@",
            "@here",
            "@HERE",
            "@channe",
            "@channel",
            "@everyone",
            "é",
            "日本",
            "x",
            " ",
            "🦀",
            "&amp;",
        ];
        let mut cases = vec![String::new()];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    cases.push(format!("{a}{b}{c}"));
                }
            }
        }
        for case in cases {
            assert_eq!(escape(&case), reference(&case), "{case:?}");
        }
    }
}
