//! Partition-aware AWS console links (Step Functions execution, CloudTrail event, ECS task and its
//! logs, EventBridge rule, Scheduler schedule).
//!
//! Every piece of data that goes into a URL is percent-encoded, so a link can never break out of
//! its URL (or out of a Slack `<url|label>` link).

/// The AWS partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`.
pub fn partition_for_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The console domain for a region's partition.
pub fn console_domain(region: &str) -> &'static str {
    match partition_for_region(region) {
        "aws-cn" => "console.amazonaws.cn",
        "aws-us-gov" => "console.amazonaws-us-gov.com",
        _ => "console.aws.amazon.com",
    }
}

/// Console origin for a region: `https://<region>.console.aws.amazon.com` in the `aws` partition,
/// `https://<console domain>` elsewhere (and without a region); pages select the region with
/// their `region=` parameter.
pub fn console_base(region: &str) -> String {
    if region.is_empty() || partition_for_region(region) != "aws" {
        format!("https://{}", console_domain(region))
    } else {
        format!("https://{}.{}", encode(region, ""), console_domain(region))
    }
}

/// Step Functions console page of one execution.
pub fn execution_url(region: &str, execution_arn: &str) -> String {
    format!(
        "{}/states/home?region={}#/v2/executions/details/{}",
        console_base(region),
        encode(region, ""),
        encode(execution_arn, ":/")
    )
}

/// CloudTrail console page of one event (by CloudTrail `eventID`).
pub fn cloudtrail_event_url(region: &str, event_id: &str) -> String {
    format!(
        "{}/cloudtrailv2/home?region={}#/events/{}",
        console_base(region),
        encode(region, ""),
        encode(event_id, "")
    )
}

/// ECS console page of one task. `cluster` may be a name or an ARN, `task` an id or an ARN.
pub fn task_url(region: &str, cluster: &str, task: &str) -> String {
    let (prefix, suffix) = task_url_parts(region, cluster);
    format!("{prefix}{}{suffix}", encode(last_segment(task), ""))
}

/// [`task_url`] split around the task id: what comes before it and after it.
pub fn task_url_parts(region: &str, cluster: &str) -> (String, String) {
    (
        format!(
            "{}/ecs/v2/clusters/{}/tasks/",
            console_base(region),
            encode(last_segment(cluster), "")
        ),
        format!("?region={}", encode(region, "")),
    )
}

/// ECS console page of one cluster's tasks. `cluster` may be a name or an ARN.
pub fn cluster_url(region: &str, cluster: &str) -> String {
    format!(
        "{}/ecs/v2/clusters/{}/tasks?region={}",
        console_base(region),
        encode(last_segment(cluster), ""),
        encode(region, "")
    )
}

/// ECS console page of one task's logs (its Logs tab). `cluster` may be a name or an ARN, `task`
/// an id or an ARN.
pub fn task_logs_url(region: &str, cluster: &str, task: &str) -> String {
    let (prefix, suffix) = task_url_parts(region, cluster);
    format!("{prefix}{}/logs{suffix}", encode(last_segment(task), ""))
}

/// EventBridge console page of one rule on its event bus (`""` is the `default` bus).
pub fn rule_url(region: &str, event_bus: &str, rule: &str) -> String {
    let bus = if event_bus.is_empty() {
        "default"
    } else {
        event_bus
    };
    format!(
        "{}/events/home?region={}#/eventbus/{}/rules/{}",
        console_base(region),
        encode(region, ""),
        encode(bus, ""),
        encode(rule, "")
    )
}

/// EventBridge Scheduler console page of one schedule in its group (`""` is the `default`
/// group).
pub fn schedule_url(region: &str, group: &str, schedule: &str) -> String {
    let group = if group.is_empty() { "default" } else { group };
    format!(
        "{}/scheduler/home?region={}#schedules/{}/{}",
        console_base(region),
        encode(region, ""),
        encode(group, ""),
        encode(schedule, "")
    )
}

/// The part after the last `/` (an ARN's resource id), or the whole string.
fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Percent-encodes everything but RFC 3986 unreserved characters and those in `keep`.
pub fn encode(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "-._~".contains(c) || (b < 0x80 && keep.contains(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_domains() {
        for (region, partition, domain) in [
            ("us-east-1", "aws", "console.aws.amazon.com"),
            ("eu-central-1", "aws", "console.aws.amazon.com"),
            ("cn-north-1", "aws-cn", "console.amazonaws.cn"),
            ("cn-northwest-1", "aws-cn", "console.amazonaws.cn"),
            (
                "us-gov-west-1",
                "aws-us-gov",
                "console.amazonaws-us-gov.com",
            ),
            ("", "aws", "console.aws.amazon.com"),
        ] {
            assert_eq!(partition_for_region(region), partition, "{region}");
            assert_eq!(console_domain(region), domain, "{region}");
        }
    }

    #[test]
    fn urls() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:nightly-batch-6f1c";
        assert_eq!(
            execution_url("us-east-1", arn),
            "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:123456789012:execution:ecs-rerun:nightly-batch-6f1c"
        );
        assert_eq!(
            cloudtrail_event_url("cn-north-1", "6f1c9c1e-2b0a"),
            "https://console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/6f1c9c1e-2b0a"
        );
        assert_eq!(
            task_url(
                "us-gov-west-1",
                "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/prod",
                "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task/prod/0a1b2c"
            ),
            "https://console.amazonaws-us-gov.com/ecs/v2/clusters/prod/tasks/0a1b2c?region=us-gov-west-1"
        );
        assert_eq!(
            cluster_url("us-east-1", "prod"),
            "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks?region=us-east-1"
        );
    }

    #[test]
    fn schedule_and_task_log_urls() {
        assert_eq!(
            rule_url("us-east-1", "", "nightly-batch"),
            "https://us-east-1.console.aws.amazon.com/events/home?region=us-east-1#/eventbus/default/rules/nightly-batch"
        );
        assert_eq!(
            rule_url("cn-north-1", "ops", "a b"),
            "https://console.amazonaws.cn/events/home?region=cn-north-1#/eventbus/ops/rules/a%20b"
        );
        assert_eq!(
            schedule_url("us-gov-west-1", "etl", "nightly"),
            "https://console.amazonaws-us-gov.com/scheduler/home?region=us-gov-west-1#schedules/etl/nightly"
        );
        assert_eq!(
            schedule_url("eu-west-1", "", "x"),
            "https://eu-west-1.console.aws.amazon.com/scheduler/home?region=eu-west-1#schedules/default/x"
        );
        assert_eq!(
            task_logs_url(
                "us-east-1",
                "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
                "arn:aws:ecs:us-east-1:123456789012:task/prod/0a1b2c"
            ),
            "https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0a1b2c/logs?region=us-east-1"
        );
        let hostile = schedule_url("us-east-1", "g/<!here>", "n|x");
        assert!(
            hostile.ends_with("#schedules/g%2F%3C%21here%3E/n%7Cx"),
            "{hostile}"
        );
    }

    #[test]
    fn hostile_data_is_encoded() {
        let url = cloudtrail_event_url("us-east-1", "x|<!channel> & é");
        assert!(
            url.ends_with("#/events/x%7C%3C%21channel%3E%20%26%20%C3%A9"),
            "{url}"
        );
        assert!(!url.contains(['<', '>', '|', ' ', '&']));
    }
}
