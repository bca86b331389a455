//! Checks of the packaging arguments: regions, bucket names, key prefixes, stack names, `--param`
//! pairs and template URLs. Each names the argument and the problem in an [`Error::Invalid`].
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
}
