//! Checks of the packaging arguments: regions, bucket names, key prefixes, stack names, `--param`
//! pairs, template URLs, and `--param`s a quick-create link cannot carry (`NoEcho`). Each names the argument and the problem in an [`Error::Invalid`].
//! Pure: no network, no environment.

use crate::Error;

/// A region code: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-7`, …
pub fn validate_region(region: &str) -> Result<(), Error> {
    let invalid = |problem| Error::Invalid {
        what: "region",
        value: region.to_string(),
        problem,
    };
    let parts: Vec<&str> = region.split('-').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return Err(invalid("expected a region code such as eu-west-1"));
    };
    let ok = parts.len() >= 3
        && (2..=4).contains(&first.len())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && (1..=2).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(invalid("expected a region code such as eu-west-1"))
    }
}

/// An S3 bucket name (general purpose bucket rules): 3–63 characters of `a-z 0-9 . -`, starting
/// and ending with a letter or digit, no `..`.
pub fn validate_bucket(bucket: &str) -> Result<(), Error> {
    let invalid = |problem| Error::Invalid {
        what: "bucket",
        value: bucket.to_string(),
        problem,
    };
    if !(3..=63).contains(&bucket.len()) {
        return Err(invalid("a bucket name has 3 to 63 characters"));
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Err(invalid(
            "a bucket name has only lowercase letters, digits, dots and hyphens",
        ));
    }
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(bucket.as_bytes()[0]) || !edge_ok(bucket.as_bytes()[bucket.len() - 1]) {
        return Err(invalid(
            "a bucket name starts and ends with a letter or digit",
        ));
    }
    if bucket.contains("..") {
        return Err(invalid("a bucket name has no two dots in a row"));
    }
    Ok(())
}

/// A key prefix, normalised: empty, or a "folder" ending in `/` (one is appended if missing).
/// No leading `/`, no empty segment, only S3's "safe" characters (what the template's
/// `ArtifactPrefix` `AllowedPattern` accepts).
pub fn normalize_prefix(prefix: &str) -> Result<String, Error> {
    let invalid = |problem| Error::Invalid {
        what: "prefix",
        value: prefix.to_string(),
        problem,
    };
    if prefix.is_empty() {
        return Ok(String::new());
    }
    if prefix.starts_with('/') {
        return Err(invalid("a key prefix does not start with /"));
    }
    if !prefix
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!_.*'()/-".contains(&b))
    {
        return Err(invalid(
            "a key prefix has only letters, digits and ! _ . * ' ( ) / - (the template's ArtifactPrefix pattern)",
        ));
    }
    let folder = if prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    if folder.contains("//") {
        return Err(invalid("a key prefix has no empty path segment (//)"));
    }
    if folder.len() > 512 {
        return Err(invalid("a key prefix is at most 512 bytes here"));
    }
    Ok(folder)
}

/// A CloudFormation stack name: a letter, then letters, digits and hyphens, at most 128 in all.
pub fn validate_stack_name(name: &str) -> Result<(), Error> {
    let ok = name.len() <= 128
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid {
            what: "stack name",
            value: name.to_string(),
            problem: "a stack name starts with a letter and has only letters, digits and hyphens (at most 128)",
        })
    }
}

/// One `--param Name=value` argument. The name is a CloudFormation parameter name (letters and
/// digits); the value is everything after the first `=` and may be empty (`SlackWebhookUrl=`).
pub fn parse_param(arg: &str) -> Result<(String, String), Error> {
    let invalid = |problem| Error::Invalid {
        what: "--param",
        value: arg.to_string(),
        problem,
    };
    let Some((name, value)) = arg.split_once('=') else {
        return Err(invalid("expected Name=value"));
    };
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(
            "a template parameter name has only letters and digits",
        ));
    }
    Ok((name.to_string(), value.to_string()))
}

/// A template URL for `quick-create-url`: `https://…` (or `http://…`, for a local endpoint).
pub fn validate_template_url(url: &str) -> Result<(), Error> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.starts_with('/') && !url.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(Error::Invalid {
            what: "--template-url",
            value: url.to_string(),
            problem: "expected the https:// URL of a template in S3",
        }),
    }
}

/// The names of the template's `NoEcho` parameters, in template order. Reads a JSON template
/// (`{…}`) with serde_json and a YAML one textually, in the block style every hand-written
/// template uses (`Parameters:` at column 0, one parameter per key, `NoEcho: true` one level
/// deeper); a flow-style parameter (`Name: {Type: String, NoEcho: true}`) is read too.
pub fn no_echo_parameters(template: &str) -> Vec<String> {
    if template.trim_start().starts_with('{') {
        if let Ok(serde_json::Value::Object(doc)) = serde_json::from_str(template) {
            return doc
                .get("Parameters")
                .and_then(|p| p.as_object())
                .map(|params| {
                    params
                        .iter()
                        .filter(
                            |(_, p)| matches!(p.get("NoEcho"), Some(v) if v == true || v == "true"),
                        )
                        .map(|(name, _)| name.clone())
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    let lines: Vec<&str> = template.lines().collect();
    let content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    let Some(section) = lines
        .iter()
        .position(|l| indent(l) == 0 && yaml_key(l).as_deref() == Some("Parameters"))
    else {
        return Vec::new();
    };
    let end = (section + 1..lines.len())
        .find(|&i| content(lines[i]) && indent(lines[i]) == 0)
        .unwrap_or(lines.len());
    let Some(child) = (section + 1..end)
        .find(|&i| content(lines[i]))
        .map(|i| indent(lines[i]))
    else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut current: Option<String> = None;
    for line in &lines[section + 1..end] {
        if !content(line) {
            continue;
        }
        let depth = indent(line);
        if depth == child {
            current = yaml_key(line);
            // flow style: `Name: {Type: String, NoEcho: true}`
            if let (Some(name), Some((_, rest))) = (&current, line.split_once(": {")) {
                if rest.split([',', '}']).any(|kv| {
                    kv.split_once(':')
                        .is_some_and(|(k, v)| k.trim() == "NoEcho" && is_true(v))
                }) {
                    names.push(name.clone());
                }
            }
        } else if depth > child {
            if let (Some(name), Some((key, value))) = (&current, line.trim().split_once(':')) {
                if key.trim_matches(['"', '\'']) == "NoEcho"
                    && is_true(value)
                    && !names.contains(name)
                {
                    names.push(name.clone());
                }
            }
        }
    }
    names
}

/// A YAML `true`, quoted or not, with any trailing comment.
fn is_true(value: &str) -> bool {
    let v = value.split(" #").next().unwrap_or("").trim();
    matches!(v.trim_matches(['"', '\'']), "true" | "True" | "TRUE")
}

/// The mapping key of a `key: …` line, quotes removed.
fn yaml_key(line: &str) -> Option<String> {
    let t = line.trim();
    let bytes = t.as_bytes();
    (0..bytes.len()).find_map(|i| {
        (bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' '))
            .then(|| t[..i].trim_matches(['"', '\'']).to_string())
    })
}

/// Refuses a `--param` naming one of the template's `NoEcho` parameters: CloudFormation ignores
/// NoEcho parameters in a quick-create link (its quick-create documentation says so), so the
/// stack would be created without the value, and the value would sit in shell and browser history.
pub fn refuse_no_echo(
    params: &[(String, String)],
    no_echo: &[String],
    stack_name: &str,
) -> Result<(), Error> {
    match params.iter().find(|(name, _)| no_echo.contains(name)) {
        Some((name, _)) => Err(Error::NoEchoParameter {
            name: name.clone(),
            stack_name: stack_name.to_string(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "https://ecs-rerun-releases-eu-west-1.s3.eu-west-1.amazonaws.com/ecs-rerun/v1.2.3/template.yaml";

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-7",
            "eusc-de-east-1",
        ] {
            assert!(validate_region(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us east 1",
            "us--east-1",
            "useast1",
            "us-east-123",
        ] {
            let err = validate_region(bad).expect_err(bad).to_string();
            assert!(err.starts_with("invalid region"), "{err}");
        }
    }

    #[test]
    fn buckets() {
        for ok in [
            "abc",
            "ecs-rerun-releases-eu-west-1",
            "my.dotted.bucket",
            "0-9",
        ] {
            assert!(validate_bucket(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("ab", "3 to 63"),
            ("My-Bucket", "lowercase"),
            ("-abc", "starts and ends"),
            ("abc.", "starts and ends"),
            ("a..b", "two dots"),
            ("s3://bucket", "lowercase"),
        ] {
            let err = validate_bucket(bad).expect_err(bad).to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn prefixes() {
        for (given, want) in [
            ("", ""),
            ("ecs-rerun/v1.2.3", "ecs-rerun/v1.2.3/"),
            ("ecs-rerun/v1.2.3/", "ecs-rerun/v1.2.3/"),
            ("x", "x/"),
        ] {
            assert_eq!(normalize_prefix(given).expect(given), want);
        }
        for bad in ["/abs", "a//b", "tab\there", "v1 beta", "ü/"] {
            assert!(normalize_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stack_names_and_params() {
        assert!(validate_stack_name("ecs-rerun").is_ok());
        assert!(validate_stack_name(&format!("a{}", "b".repeat(127))).is_ok());
        for bad in ["", "1abc", "ecs_rerun", "ecs rerun", &"a".repeat(129)] {
            assert!(validate_stack_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_param("SlackWebhookUrl=https://h/x?a=b").expect("valid"),
            ("SlackWebhookUrl".to_string(), "https://h/x?a=b".to_string())
        );
        assert_eq!(
            parse_param("SlackWebhookUrl=").expect("valid"),
            ("SlackWebhookUrl".to_string(), String::new())
        );
        for bad in ["NoEquals", "=v", "Bad-Name=v", "param_X=v"] {
            let err = parse_param(bad).expect_err(bad).to_string();
            assert!(err.starts_with("invalid --param"), "{err}");
        }
    }

    #[test]
    fn template_urls() {
        assert!(validate_template_url(TEMPLATE).is_ok());
        assert!(validate_template_url("http://127.0.0.1:4566/b/t.yaml").is_ok());
        for bad in ["", "s3://b/t.yaml", "https://", "https:///x", "https://a b"] {
            assert!(validate_template_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_templates_no_echo_parameters() {
        let template = include_str!("../../../cloudformation/template.yaml");
        let names = no_echo_parameters(template);
        assert!(names.contains(&"SlackWebhookUrl".to_string()), "{names:?}");
        assert!(
            !names.contains(&"SlackWebhookSecret".to_string()),
            "{names:?}"
        );
    }

    #[test]
    fn no_echo_in_yaml_json_and_flow_style() {
        let yaml = "Description: x\nParameters:\n  Token:\n    Type: String\n    NoEcho: true # secret\n  Plain:\n    Type: String\n    NoEcho: false\n  Quoted:\n    NoEcho: \"true\"\n  Flow: {Type: String, NoEcho: true}\nResources:\n  Q:\n    Properties:\n      NoEcho: true\n";
        assert_eq!(no_echo_parameters(yaml), ["Token", "Quoted", "Flow"]);
        let json = r#"{"Parameters": {"A": {"Type": "String", "NoEcho": true}, "B": {"Type": "String"}, "C": {"NoEcho": "true"}}}"#;
        assert_eq!(no_echo_parameters(json), ["A", "C"]);
        assert!(no_echo_parameters("Resources: {}\n").is_empty());
        assert!(no_echo_parameters("").is_empty());
    }

    #[test]
    fn a_no_echo_param_is_refused_with_how_to_set_it() {
        let no_echo = vec!["SlackWebhookUrl".to_string(), "Token".to_string()];
        let ok = vec![("MaxAttempts".to_string(), "3".to_string())];
        assert!(refuse_no_echo(&ok, &no_echo, "ecs-rerun").is_ok());
        let url = "https://hooks.slack.com/services/T000/B000/XXXX";
        let bad = vec![
            ("MaxAttempts".to_string(), "3".to_string()),
            ("SlackWebhookUrl".to_string(), url.to_string()),
        ];
        let err = refuse_no_echo(&bad, &no_echo, "rerun").expect_err("refused");
        assert_eq!(err.error_type(), "EcsRerun.NoEchoParameter");
        let msg = err.to_string();
        assert!(
            msg.starts_with("SlackWebhookUrl is NoEcho: a quick-create link cannot carry it"),
            "{msg}"
        );
        assert!(
            msg.contains("SlackWebhookSecret=<secret name or ARN>"),
            "{msg}"
        );
        assert!(msg.contains("update-stack --stack-name rerun"), "{msg}");
        assert!(
            msg.contains("ParameterKey=SlackWebhookUrl,ParameterValue=<value>"),
            "{msg}"
        );
        assert!(!msg.contains(url) && !msg.contains('\n'), "{msg}");
        let other = vec![("Token".to_string(), "s3cr3t".to_string())];
        let msg = refuse_no_echo(&other, &no_echo, "rerun")
            .expect_err("refused")
            .to_string();
        assert!(
            msg.starts_with("Token is NoEcho")
                && !msg.contains("SlackWebhookSecret")
                && !msg.contains("s3cr3t"),
            "{msg}"
        );
    }
}
