//! Setting a CloudFormation parameter's `Default` in a YAML template, textually: the one `Default:`
//! line of the parameter is replaced (or added), every other byte of the template is kept, so the
//! published template is the reviewed one with two defaults changed — no YAML round trip that would
//! drop comments, reorder keys or mangle short-form intrinsics (`!Sub`, `!If`).
//!
//! Supported: the block style every hand-written template uses (`Parameters:` at column 0, one
//! parameter per key, its properties one indentation deeper). Anything else is a clear error.

use crate::Error;

/// Returns `template` with `Parameters.<name>.Default` set to each `(name, value)` (as a
/// double-quoted YAML string).
pub fn set_parameter_defaults(template: &str, defaults: &[(&str, &str)]) -> Result<String, Error> {
    let mut lines: Vec<String> = template.split_inclusive('\n').map(str::to_string).collect();
    for (name, value) in defaults {
        set_one(&mut lines, name, value)?;
    }
    Ok(lines.concat())
}

fn set_one(lines: &mut Vec<String>, name: &str, value: &str) -> Result<(), Error> {
    let fail = |problem: &str| Error::Template {
        name: name.to_string(),
        problem: problem.to_string(),
    };
    let section = lines
        .iter()
        .position(|l| indent(l) == 0 && key_of(l).as_deref() == Some("Parameters"))
        .ok_or_else(|| fail("the template has no top-level Parameters section"))?;
    let section_end = (section + 1..lines.len())
        .find(|&i| is_content(&lines[i]) && indent(&lines[i]) == 0)
        .unwrap_or(lines.len());
    let child_indent = (section + 1..section_end)
        .find(|&i| is_content(&lines[i]))
        .map(|i| indent(&lines[i]))
        .ok_or_else(|| fail("the Parameters section is empty"))?;

    let param = (section + 1..section_end)
        .find(|&i| {
            is_content(&lines[i])
                && indent(&lines[i]) == child_indent
                && key_of(&lines[i]).as_deref() == Some(name)
        })
        .ok_or_else(|| fail("no such parameter in the Parameters section"))?;
    if !value_part(&lines[param]).is_empty() {
        return Err(fail("its properties are not in block style (one per line)"));
    }
    let param_end = (param + 1..section_end)
        .find(|&i| is_content(&lines[i]) && indent(&lines[i]) <= child_indent)
        .unwrap_or(section_end);
    let prop_indent = (param + 1..param_end)
        .find(|&i| is_content(&lines[i]))
        .map(|i| indent(&lines[i]))
        .ok_or_else(|| fail("the parameter has no properties (no Type)"))?;

    let quoted = yaml_double_quoted(value);
    let default = (param + 1..param_end).find(|&i| {
        is_content(&lines[i])
            && indent(&lines[i]) == prop_indent
            && key_of(&lines[i]).as_deref() == Some("Default")
    });
    match default {
        Some(i) => {
            let line = &lines[i];
            let ending = line_ending(line);
            let scalar = value_part(line);
            let comment = match scalar.chars().next() {
                None => return Err(fail("its Default value is not on the Default: line")),
                Some('|' | '>') => return Err(fail("its Default is a block scalar")),
                Some('[' | '{' | '&' | '*' | '!') => {
                    return Err(fail("its Default is not a plain or quoted string"));
                }
                Some(_) => trailing_comment(scalar),
            };
            let mut new = format!("{}Default: {quoted}", " ".repeat(prop_indent));
            if let Some(comment) = comment {
                new.push(' ');
                new.push_str(comment);
            }
            new.push_str(ending);
            lines[i] = new;
        }
        None => {
            let ending = if lines[param].ends_with("\r\n") {
                "\r\n"
            } else {
                "\n"
            };
            if !lines[param].ends_with('\n') {
                lines[param].push('\n');
            }
            let new = format!("{}Default: {quoted}{ending}", " ".repeat(prop_indent));
            lines.insert(param + 1, new);
        }
    }
    Ok(())
}

/// Leading spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Not blank, not a comment.
fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// `\r\n`, `\n` or nothing (last line).
fn line_ending(line: &str) -> &str {
    if line.ends_with("\r\n") {
        "\r\n"
    } else if line.ends_with('\n') {
        "\n"
    } else {
        ""
    }
}

/// The mapping key of a `key: …` line (quotes removed), if it is one.
fn key_of(line: &str) -> Option<String> {
    let t = line.trim();
    let (key, _) = split_key(t)?;
    Some(key.trim_matches(|c| c == '"' || c == '\'').to_string())
}

/// `key: value` → (key, value) at the first `:` followed by a space or the end of the line.
fn split_key(t: &str) -> Option<(&str, &str)> {
    let bytes = t.as_bytes();
    (0..bytes.len()).find_map(|i| {
        (bytes[i] == b':'
            && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t'))
            .then(|| (&t[..i], &t[i + 1..]))
    })
}

/// What follows `key:`, trimmed, with a whole-line comment counted as nothing.
fn value_part(line: &str) -> &str {
    let t = line.trim();
    let v = split_key(t).map(|(_, v)| v.trim()).unwrap_or("");
    if v.starts_with('#') { "" } else { v }
}

/// The `# …` comment after a scalar, if any.
fn trailing_comment(scalar: &str) -> Option<&str> {
    let end = match scalar.chars().next()? {
        '"' => {
            let mut escaped = false;
            scalar
                .char_indices()
                .skip(1)
                .find(|&(_, c)| {
                    let close = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    close
                })
                .map(|(i, _)| i + 1)?
        }
        '\'' => {
            let b = scalar.as_bytes();
            let mut i = 1;
            loop {
                match b.get(i) {
                    Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => break i + 1,
                    Some(_) => i += 1,
                    None => return None,
                }
            }
        }
        _ => {
            return scalar.find(" #").map(|i| scalar[i + 1..].trim_end());
        }
    };
    let rest = scalar[end..].trim();
    rest.starts_with('#').then_some(rest)
}

/// A YAML double-quoted scalar.
fn yaml_double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: >-
  ecs-rerun test copy
# Parameters follow
Parameters:
  SlackWebhookUrl:
    Type: String
    NoEcho: true
    Default: ""
  ArtifactBucket:
    Type: String
    Default: "" # empty: the public release bucket of the region
    Description: Bucket holding the Lambda zips and the state machine
  ArtifactPrefix:

    Type: String
    Description: 'Key prefix, e.g. ecs-rerun/v1.2.3/'
    Default: 'ecs-rerun/v0.0.0/'
  MaxAttempts:
    Type: Number
    Default: 3
Conditions:
  UsePublicBucket: !Equals [!Ref ArtifactBucket, ""]
Resources:
  Starter:
    Type: AWS::Lambda::Function
    Properties:
      Code:
        S3Bucket: !If [UsePublicBucket, !Sub "ecs-rerun-releases-${AWS::Region}", !Ref ArtifactBucket]
        S3Key: !Sub "${ArtifactPrefix}ecs-rerun-starter.zip"
      Default: not-a-parameter
"#;

    fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
        assert_eq!(a.lines().count(), b.lines().count(), "line count changed");
        a.lines()
            .zip(b.lines())
            .filter(|(x, y)| x != y)
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect()
    }

    #[test]
    fn sets_exactly_the_two_defaults() {
        let out = set_parameter_defaults(
            TEMPLATE,
            &[
                ("ArtifactBucket", "my-bucket"),
                ("ArtifactPrefix", "ecs-rerun/v1.2.3/"),
            ],
        )
        .expect("edits");
        assert_eq!(
            changed_lines(TEMPLATE, &out),
            vec![
                (
                    "    Default: \"\" # empty: the public release bucket of the region"
                        .to_string(),
                    "    Default: \"my-bucket\" # empty: the public release bucket of the region"
                        .to_string()
                ),
                (
                    "    Default: 'ecs-rerun/v0.0.0/'".to_string(),
                    "    Default: \"ecs-rerun/v1.2.3/\"".to_string()
                ),
            ]
        );
    }

    #[test]
    fn adds_a_missing_default_and_keeps_crlf() {
        let t = "Parameters:\r\n  ArtifactPrefix:\r\n    Type: String\r\nResources: {}\r\n";
        let out = set_parameter_defaults(t, &[("ArtifactPrefix", "p/")]).expect("edits");
        assert_eq!(
            out,
            "Parameters:\r\n  ArtifactPrefix:\r\n    Default: \"p/\"\r\n    Type: String\r\nResources: {}\r\n"
        );
    }

    #[test]
    fn quotes_values() {
        let out =
            set_parameter_defaults(TEMPLATE, &[("ArtifactPrefix", "a\"b\\c")]).expect("edits");
        assert!(out.contains("    Default: \"a\\\"b\\\\c\"\n"), "{out}");
    }

    #[test]
    fn clear_errors() {
        for (template, name, want) in [
            (TEMPLATE, "Nope", "no such parameter"),
            (
                "Resources: {}\n",
                "ArtifactBucket",
                "no top-level Parameters",
            ),
            (
                "Parameters:\n  ArtifactBucket: {Type: String}\n",
                "ArtifactBucket",
                "block style",
            ),
            (
                "Parameters:\n  ArtifactBucket:\n    Type: String\n    Default: |\n      x\n",
                "ArtifactBucket",
                "block scalar",
            ),
            // A Resources property named Default is not a parameter's.
            (
                "Parameters:\n  A:\n    Type: String\nResources:\n  ArtifactBucket:\n    Default: x\n",
                "ArtifactBucket",
                "no such parameter",
            ),
        ] {
            let err = set_parameter_defaults(template, &[(name, "v")])
                .expect_err(want)
                .to_string();
            assert!(err.contains(want), "{err}");
            assert!(err.starts_with(&format!(
                "cannot set the default of template parameter {name}"
            )));
        }
    }

    /// The project's real template: the two artifact parameters exist and only their `Default`
    /// lines change.
    #[test]
    fn real_template_changes_only_the_two_defaults() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../cloudformation/template.yaml"
        );
        let real = std::fs::read_to_string(path).expect("cloudformation/template.yaml");
        let out = set_parameter_defaults(
            &real,
            &[
                ("ArtifactBucket", "my-own-bucket"),
                ("ArtifactPrefix", "ecs-rerun/v9.9.9/"),
            ],
        )
        .expect("edits the real template");
        let added = out.lines().count() - real.lines().count();
        let changed: Vec<String> = if added == 0 {
            changed_lines(&real, &out)
                .into_iter()
                .map(|(_, new)| new)
                .collect()
        } else {
            out.lines()
                .filter(|l| !real.lines().any(|r| r == *l))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert!(
            changed[0].trim() == "Default: \"my-own-bucket\""
                || changed[0].contains("\"my-own-bucket\" #")
        );
        assert!(
            changed[1].trim() == "Default: \"ecs-rerun/v9.9.9/\""
                || changed[1].contains("\"ecs-rerun/v9.9.9/\" #")
        );
    }
}
