//! CloudFormation quick-create links and S3 object URLs, partition-aware, with every piece of data
//! percent-encoded. Pure: no network, no environment.
//!
//! The partition of a region and the console domain come from [`ecs_rerun_core::links`] (one source
//! of truth for the whole project).

use ecs_rerun_core::links::{console_domain, encode, partition_for_region};

use crate::Error;

/// The default stack name in quick-create links.
pub const DEFAULT_STACK_NAME: &str = "ecs-rerun";

/// DNS suffix of a region's partition (`amazonaws.com`, or `amazonaws.com.cn` in China).
pub fn dns_suffix(region: &str) -> &'static str {
    match partition_for_region(region) {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    }
}

/// The CloudFormation console's base for a region: regional host in the `aws` partition
/// (`https://eu-west-1.console.aws.amazon.com`), the partition's console host elsewhere
/// (`https://console.amazonaws.cn`, `https://console.amazonaws-us-gov.com`); the region is always
/// also given as `?region=`.
fn cloudformation_console(region: &str) -> String {
    match partition_for_region(region) {
        "aws" => format!("https://{region}.{}", console_domain(region)),
        _ => format!("https://{}", console_domain(region)),
    }
}

/// The quick-create link: the console's "Quick create stack" page with the template URL, the stack
/// name and `param_<Name>=<value>` pre-filled.
///
/// ```
/// let url = ecs_rerun_package::quick_create_url(
///     "eu-west-1",
///     "https://b.s3.eu-west-1.amazonaws.com/ecs-rerun/v1.0.0/template.yaml",
///     "ecs-rerun",
///     &[("MaxAttempts", "3")],
/// );
/// assert_eq!(
///     url,
///     "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1\
///      #/stacks/create/review?templateURL=https%3A%2F%2Fb.s3.eu-west-1.amazonaws.com\
///      %2Fecs-rerun%2Fv1.0.0%2Ftemplate.yaml&stackName=ecs-rerun&param_MaxAttempts=3"
/// );
/// ```
pub fn quick_create_url<N: AsRef<str>, V: AsRef<str>>(
    region: &str,
    template_url: &str,
    stack_name: &str,
    params: &[(N, V)],
) -> String {
    let mut url = format!(
        "{}/cloudformation/home?region={}#/stacks/create/review?templateURL={}&stackName={}",
        cloudformation_console(region),
        encode(region, ""),
        encode(template_url, ""),
        encode(stack_name, ""),
    );
    for (name, value) in params {
        url.push_str("&param_");
        url.push_str(&encode(name.as_ref(), ""));
        url.push('=');
        url.push_str(&encode(value.as_ref(), ""));
    }
    url
}

/// The HTTPS URL of an S3 object: virtual-hosted style
/// (`https://<bucket>.s3.<region>.amazonaws.com/<key>`, `.amazonaws.com.cn` in China), or path style
/// (`https://s3.<region>.<suffix>/<bucket>/<key>`) for a bucket name with dots, whose virtual host
/// would not match S3's TLS certificate. Each key segment is percent-encoded, `/` kept.
pub fn s3_object_url(region: &str, bucket: &str, key: &str) -> String {
    let suffix = dns_suffix(region);
    let key = encode(key, "/");
    if bucket.contains('.') {
        format!("https://s3.{region}.{suffix}/{bucket}/{key}")
    } else {
        format!("https://{bucket}.s3.{region}.{suffix}/{key}")
    }
}

/// The URL of an S3 object behind an endpoint override (`AWS_ENDPOINT_URL`, e.g. LocalStack):
/// path style, `<endpoint>/<bucket>/<key>`.
pub fn s3_endpoint_object_url(endpoint: &str, bucket: &str, key: &str) -> String {
    format!(
        "{}/{bucket}/{}",
        endpoint.trim_end_matches('/'),
        encode(key, "/")
    )
}

/// The region named by an S3 object URL's host, if it names one: `<bucket>.s3.<region>.amazonaws.com`,
/// `s3.<region>.amazonaws.com`, `<bucket>.s3.dualstack.<region>.amazonaws.com`,
/// `<bucket>.s3-<region>.amazonaws.com` (legacy dash form), and the
/// same under `amazonaws.com.cn`. The legacy global `s3.amazonaws.com` host means `us-east-1`.
pub fn region_of_s3_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let host = host
        .strip_suffix(".amazonaws.com.cn")
        .or_else(|| host.strip_suffix(".amazonaws.com"))?;
    let labels: Vec<&str> = host.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if *label == "s3" {
            let next = match labels.get(i + 1) {
                Some(&"dualstack") => i + 2,
                _ => i + 1,
            };
            return match labels.get(next) {
                Some(region) if validate_region(region).is_ok() => Some((*region).to_string()),
                None => Some("us-east-1".to_string()),
                _ => None,
            };
        }
        match label.strip_prefix("s3-") {
            Some(region) if validate_region(region).is_ok() => return Some(region.to_string()),
            _ => {}
        }
    }
    None
}

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
    fn quick_create_per_partition() {
        for (region, base) in [
            (
                "us-east-1",
                "https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1",
            ),
            (
                "ap-southeast-7",
                "https://ap-southeast-7.console.aws.amazon.com/cloudformation/home?region=ap-southeast-7",
            ),
            (
                "cn-north-1",
                "https://console.amazonaws.cn/cloudformation/home?region=cn-north-1",
            ),
            (
                "cn-northwest-1",
                "https://console.amazonaws.cn/cloudformation/home?region=cn-northwest-1",
            ),
            (
                "us-gov-west-1",
                "https://console.amazonaws-us-gov.com/cloudformation/home?region=us-gov-west-1",
            ),
        ] {
            let url = quick_create_url(
                region,
                "https://t/x.yaml",
                "ecs-rerun",
                &[] as &[(&str, &str)],
            );
            assert_eq!(
                url,
                format!(
                    "{base}#/stacks/create/review?templateURL=https%3A%2F%2Ft%2Fx.yaml&stackName=ecs-rerun"
                ),
                "{region}"
            );
        }
    }

    #[test]
    fn quick_create_encodes_template_and_params_in_order() {
        let url = quick_create_url(
            "eu-west-1",
            TEMPLATE,
            "ecs-rerun-prod",
            &[
                (
                    "SlackWebhookUrl",
                    "https://hooks.slack.com/services/T0/B0/xyz?a=1&b=2",
                ),
                ("RetryableReasons", "AGENT,RESOURCE:MEMORY"),
                ("MaxAttempts", "3"),
                ("ArtifactPrefix", "ecs-rerun/v1 beta/ü#"),
                ("Empty", ""),
            ],
        );
        assert_eq!(
            url,
            "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1\
             #/stacks/create/review\
             ?templateURL=https%3A%2F%2Fecs-rerun-releases-eu-west-1.s3.eu-west-1.amazonaws.com%2Fecs-rerun%2Fv1.2.3%2Ftemplate.yaml\
             &stackName=ecs-rerun-prod\
             &param_SlackWebhookUrl=https%3A%2F%2Fhooks.slack.com%2Fservices%2FT0%2FB0%2Fxyz%3Fa%3D1%26b%3D2\
             &param_RetryableReasons=AGENT%2CRESOURCE%3AMEMORY\
             &param_MaxAttempts=3\
             &param_ArtifactPrefix=ecs-rerun%2Fv1%20beta%2F%C3%BC%23\
             &param_Empty="
        );
        // Exactly one '#' (the console's fragment) and no raw separators from the data.
        assert_eq!(url.matches('#').count(), 1);
        assert_eq!(url.matches('?').count(), 2);
        assert_eq!(url.matches('&').count(), 6);
        assert!(!url.contains(' '));
    }

    #[test]
    fn s3_urls_per_partition_and_bucket_kind() {
        for (region, bucket, key, want) in [
            (
                "eu-west-1",
                "ecs-rerun-releases-eu-west-1",
                "ecs-rerun/v1.2.3/template.yaml",
                "https://ecs-rerun-releases-eu-west-1.s3.eu-west-1.amazonaws.com/ecs-rerun/v1.2.3/template.yaml",
            ),
            (
                "us-east-1",
                "my-bucket",
                "template.yaml",
                "https://my-bucket.s3.us-east-1.amazonaws.com/template.yaml",
            ),
            (
                "cn-north-1",
                "ecs-rerun-releases-cn-north-1",
                "ecs-rerun/v1.2.3/template.yaml",
                "https://ecs-rerun-releases-cn-north-1.s3.cn-north-1.amazonaws.com.cn/ecs-rerun/v1.2.3/template.yaml",
            ),
            (
                "us-gov-west-1",
                "b-gov",
                "p/template.yaml",
                "https://b-gov.s3.us-gov-west-1.amazonaws.com/p/template.yaml",
            ),
            (
                "eu-central-1",
                "my.dotted.bucket",
                "a b/ü+.yaml",
                "https://s3.eu-central-1.amazonaws.com/my.dotted.bucket/a%20b/%C3%BC%2B.yaml",
            ),
        ] {
            assert_eq!(s3_object_url(region, bucket, key), want);
        }
        assert_eq!(
            s3_endpoint_object_url("http://127.0.0.1:4566/", "b", "p/template.yaml"),
            "http://127.0.0.1:4566/b/p/template.yaml"
        );
    }

    #[test]
    fn region_from_s3_urls() {
        for (url, want) in [
            (TEMPLATE, Some("eu-west-1")),
            (
                "https://s3.ap-south-1.amazonaws.com/b/t.yaml",
                Some("ap-south-1"),
            ),
            (
                "https://b.s3.cn-north-1.amazonaws.com.cn/t.yaml",
                Some("cn-north-1"),
            ),
            (
                "https://b.s3-us-west-2.amazonaws.com/t.yaml",
                Some("us-west-2"),
            ),
            ("https://b.s3.amazonaws.com/t.yaml", Some("us-east-1")),
            ("https://s3.amazonaws.com/b/t.yaml", Some("us-east-1")),
            (
                "https://b.s3.dualstack.eu-north-1.amazonaws.com/t.yaml",
                Some("eu-north-1"),
            ),
            ("https://example.com/t.yaml", None),
            ("http://127.0.0.1:4566/b/t.yaml", None),
            ("not a url", None),
        ] {
            assert_eq!(region_of_s3_url(url).as_deref(), want, "{url}");
        }
    }

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
