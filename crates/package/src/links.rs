//! CloudFormation quick-create links and S3 object URLs, partition-aware, with every piece of data
//! percent-encoded. Pure: no network, no environment.
//!
//! The partition of a region and the console domain come from [`ecs_rerun_core::links`] (one source
//! of truth for the whole project).

use ecs_rerun_core::links::{console_domain, encode, partition_for_region};

// The argument checks live in `crate::args`; re-exported so `links::validate_region` etc. still resolve.
pub use crate::args::{
    normalize_prefix, parse_param, validate_bucket, validate_region, validate_stack_name,
    validate_template_url,
};

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
}
