//! Check `trail`: a CloudTrail trail logs management events in the stack's region.
//!
//! Why: the rule matches `AWS API Call via CloudTrail` events, and the EventBridge User Guide
//! ("AWS service events delivered via AWS CloudTrail",
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html>)
//! says: "To record events with one of the CloudTrail `detail-type` values, you must enable a
//! CloudTrail trail with logging." The same page says write (mutating) management events, which
//! RunTask is, are matched by rules in the default `ENABLED` state. CloudTrail's always-on Event
//! history is not a trail. So the check wants a trail that covers the region (its home region, or
//! multi-region), is logging (GetTrailStatus `IsLogging`), and whose event selectors
//! (GetEventSelectors) record RunTask: a classic selector with `IncludeManagementEvents` and
//! `ReadWriteType` `All` or `WriteOnly`, or an advanced selector with `eventCategory` =
//! `Management` whose other fields keep a write `ecs.amazonaws.com` RunTask event.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, EventSelector, ReadWriteType};

use super::aws::describe;
use super::report::Check;

/// The check's name.
pub const NAME: &str = "trail";

/// What AWS documents, quoted in the check's detail when no trail qualifies.
pub const DOCUMENTED: &str = "AWS: \"To record events with one of the CloudTrail detail-type values, you must enable a CloudTrail trail with logging\" (EventBridge User Guide, AWS service events delivered via AWS CloudTrail)";

/// The RunTask call as a CloudTrail management event: the field values an advanced event selector
/// is matched against.
const RUNTASK_FIELDS: [(&str, &str); 5] = [
    ("eventCategory", "Management"),
    ("readOnly", "false"),
    ("eventSource", "ecs.amazonaws.com"),
    ("eventName", "RunTask"),
    ("eventType", "AwsApiCall"),
];

/// Whether a trail's event selectors record RunTask (a write management event from
/// `ecs.amazonaws.com`).
pub fn records_runtask(classic: &[EventSelector], advanced: &[AdvancedEventSelector]) -> bool {
    classic.iter().any(classic_records_runtask) || advanced.iter().any(advanced_records_runtask)
}

fn classic_records_runtask(s: &EventSelector) -> bool {
    // Both default to "on" when CloudTrail leaves them out.
    let management = s.include_management_events().unwrap_or(true);
    let writes = matches!(
        s.read_write_type(),
        None | Some(ReadWriteType::All | ReadWriteType::WriteOnly)
    );
    let ecs_excluded = s
        .exclude_management_event_sources()
        .iter()
        .any(|e| e == "ecs.amazonaws.com");
    management && writes && !ecs_excluded
}

fn advanced_records_runtask(s: &AdvancedEventSelector) -> bool {
    let fields = s.field_selectors();
    let management = fields
        .iter()
        .any(|f| f.field() == "eventCategory" && f.equals().iter().any(|v| v == "Management"));
    management
        && fields.iter().all(|f| {
            match RUNTASK_FIELDS.iter().find(|(name, _)| *name == f.field()) {
                // A field CloudTrail evaluates on something we cannot know here (userIdentity.arn,
                // sessionCredentialFromConsole …) does not exclude RunTask as such.
                None => true,
                Some((_, value)) => field_matches(f, value),
            }
        })
}

fn field_matches(f: &aws_sdk_cloudtrail::types::AdvancedFieldSelector, value: &str) -> bool {
    let any = |list: &[String], test: &dyn Fn(&str) -> bool| list.iter().any(|v| test(v));
    (f.equals().is_empty() || any(f.equals(), &|v| v == value))
        && !any(f.not_equals(), &|v| v == value)
        && (f.starts_with().is_empty() || any(f.starts_with(), &|v| value.starts_with(v)))
        && !any(f.not_starts_with(), &|v| value.starts_with(v))
        && (f.ends_with().is_empty() || any(f.ends_with(), &|v| value.ends_with(v)))
        && !any(f.not_ends_with(), &|v| value.ends_with(v))
}

/// Runs the check for `region`.
pub async fn check(ct: &aws_sdk_cloudtrail::Client, region: &str) -> Check {
    let trails = match ct
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
    {
        Ok(out) => out.trail_list.unwrap_or_default(),
        Err(err) => {
            let error = describe(&err);
            // LocalStack's answer for a service it does not emulate (HTTP 501, InternalFailure).
            let not_emulated = error.contains("not yet been emulated")
                || err
                    .raw_response()
                    .is_some_and(|r| r.status().as_u16() == 501);
            let fix = if not_emulated {
                "this endpoint does not emulate CloudTrail: run doctor against the AWS account itself to check its trails"
            } else {
                "give the caller cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors"
            };
            return Check::fail(
                NAME,
                format!(
                    "cannot list CloudTrail trails in {region}: DescribeTrails failed: {error}; {DOCUMENTED}"
                ),
                fix,
            );
        }
    };
    let covering: Vec<_> = trails
        .iter()
        .filter(|t| t.is_multi_region_trail() == Some(true) || t.home_region() == Some(region))
        .collect();
    if covering.is_empty() {
        return Check::fail(
            NAME,
            format!(
                "no CloudTrail trail covers {region}, so EventBridge never sees RunTask; {DOCUMENTED}"
            ),
            format!(
                "create one: aws cloudtrail create-trail --name management-events --s3-bucket-name <bucket> --is-multi-region-trail --region {region} && aws cloudtrail start-logging --name management-events --region {region}"
            ),
        );
    }

    let mut problems = Vec::new();
    let mut not_logging = None;
    let mut no_writes = None;
    for trail in covering {
        let id = trail.trail_arn().or(trail.name()).unwrap_or_default();
        let name = trail.name().unwrap_or(id);
        let status = match ct.get_trail_status().name(id).send().await {
            Ok(s) => s,
            Err(err) => {
                problems.push(format!("{name}: GetTrailStatus failed: {}", describe(&err)));
                continue;
            }
        };
        if status.is_logging() != Some(true) {
            problems.push(format!("{name} is not logging"));
            not_logging.get_or_insert_with(|| {
                (
                    name.to_string(),
                    trail.home_region().unwrap_or(region).to_string(),
                )
            });
            continue;
        }
        let selectors = match ct.get_event_selectors().trail_name(id).send().await {
            Ok(s) => s,
            Err(err) => {
                problems.push(format!(
                    "{name}: GetEventSelectors failed: {}",
                    describe(&err)
                ));
                continue;
            }
        };
        if records_runtask(
            selectors.event_selectors(),
            selectors.advanced_event_selectors(),
        ) {
            let scope = if trail.is_multi_region_trail() == Some(true) {
                "multi-region".to_string()
            } else {
                format!("in {region}")
            };
            return Check::pass(
                NAME,
                format!(
                    "trail {name} ({scope}) is logging and records write management events, so RunTask calls reach EventBridge"
                ),
            );
        }
        problems.push(format!(
            "{name} is logging but its event selectors leave out write management events from ecs.amazonaws.com"
        ));
        no_writes.get_or_insert_with(|| {
            (
                name.to_string(),
                trail.home_region().unwrap_or(region).to_string(),
            )
        });
    }
    let fix = if let Some((name, home)) = not_logging {
        format!("aws cloudtrail start-logging --name {name} --region {home}")
    } else if let Some((name, home)) = no_writes {
        format!(
            "aws cloudtrail put-event-selectors --trail-name {name} --region {home} --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]'"
        )
    } else {
        "give the caller cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors on the trails"
            .to_string()
    };
    Check::fail(
        NAME,
        format!(
            "no trail in {region} logs RunTask: {}; {DOCUMENTED}",
            problems.join("; ")
        ),
        fix,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudtrail::Client;
    use aws_sdk_cloudtrail::operation::describe_trails::{
        DescribeTrailsError, DescribeTrailsOutput,
    };
    use aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput;
    use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput;
    use aws_sdk_cloudtrail::types::{AdvancedFieldSelector, Trail};
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    const ARN: &str = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events";

    fn trails(multi: bool, home: &'static str) -> Rule {
        mock!(Client::describe_trails)
            .match_requests(|r| r.include_shadow_trails() == Some(true))
            .then_output(move || {
                DescribeTrailsOutput::builder()
                    .trail_list(
                        Trail::builder()
                            .name("management-events")
                            .trail_arn(ARN)
                            .home_region(home)
                            .is_multi_region_trail(multi)
                            .build(),
                    )
                    .build()
            })
    }

    fn logging(on: bool) -> Rule {
        mock!(Client::get_trail_status)
            .match_requests(|r| r.name() == Some(ARN))
            .then_output(move || GetTrailStatusOutput::builder().is_logging(on).build())
    }

    fn selectors(output: fn() -> GetEventSelectorsOutput) -> Rule {
        mock!(Client::get_event_selectors)
            .match_requests(|r| r.trail_name() == Some(ARN))
            .then_output(output)
    }

    fn classic(rw: ReadWriteType, management: bool) -> EventSelector {
        EventSelector::builder()
            .read_write_type(rw)
            .include_management_events(management)
            .build()
    }

    fn field(
        name: &str,
        f: impl FnOnce(
            aws_sdk_cloudtrail::types::builders::AdvancedFieldSelectorBuilder,
        ) -> aws_sdk_cloudtrail::types::builders::AdvancedFieldSelectorBuilder,
    ) -> AdvancedFieldSelector {
        f(AdvancedFieldSelector::builder().field(name))
            .build()
            .expect("field")
    }

    fn advanced(fields: Vec<AdvancedFieldSelector>) -> AdvancedEventSelector {
        AdvancedEventSelector::builder()
            .set_field_selectors(Some(fields))
            .build()
            .expect("selector")
    }

    #[test]
    fn selectors_that_do_and_do_not_record_runtask() {
        let management = || field("eventCategory", |b| b.equals("Management"));
        for (what, classic_sel, advanced_sel, want) in [
            (
                "classic All",
                vec![classic(ReadWriteType::All, true)],
                vec![],
                true,
            ),
            (
                "classic WriteOnly",
                vec![classic(ReadWriteType::WriteOnly, true)],
                vec![],
                true,
            ),
            (
                "classic ReadOnly",
                vec![classic(ReadWriteType::ReadOnly, true)],
                vec![],
                false,
            ),
            (
                "classic data events only",
                vec![classic(ReadWriteType::All, false)],
                vec![],
                false,
            ),
            (
                "classic excluding ecs",
                vec![
                    EventSelector::builder()
                        .read_write_type(ReadWriteType::All)
                        .include_management_events(true)
                        .exclude_management_event_sources("ecs.amazonaws.com")
                        .build(),
                ],
                vec![],
                false,
            ),
            (
                "classic excluding kms only",
                vec![
                    EventSelector::builder()
                        .include_management_events(true)
                        .exclude_management_event_sources("kms.amazonaws.com")
                        .build(),
                ],
                vec![],
                true,
            ),
            (
                "advanced management",
                vec![],
                vec![advanced(vec![management()])],
                true,
            ),
            (
                "advanced management, writes only",
                vec![],
                vec![advanced(vec![
                    management(),
                    field("readOnly", |b| b.equals("false")),
                ])],
                true,
            ),
            (
                "advanced management, reads only",
                vec![],
                vec![advanced(vec![
                    management(),
                    field("readOnly", |b| b.equals("true")),
                ])],
                false,
            ),
            (
                "advanced management without ecs",
                vec![],
                vec![advanced(vec![
                    management(),
                    field("eventSource", |b| {
                        b.not_equals("ecs.amazonaws.com")
                            .not_equals("kms.amazonaws.com")
                    }),
                ])],
                false,
            ),
            (
                "advanced management of s3 only",
                vec![],
                vec![advanced(vec![
                    management(),
                    field("eventSource", |b| b.equals("s3.amazonaws.com")),
                ])],
                false,
            ),
            (
                "advanced management without kms",
                vec![],
                vec![advanced(vec![
                    management(),
                    field("eventSource", |b| b.not_equals("kms.amazonaws.com")),
                ])],
                true,
            ),
            (
                "advanced data events",
                vec![],
                vec![advanced(vec![
                    field("eventCategory", |b| b.equals("Data")),
                    field("resources.type", |b| b.equals("AWS::S3::Object")),
                ])],
                false,
            ),
            ("nothing", vec![], vec![], false),
        ] {
            assert_eq!(records_runtask(&classic_sel, &advanced_sel), want, "{what}");
        }
    }

    #[tokio::test]
    async fn passes_with_a_logging_multi_region_trail() {
        let (t, l) = (trails(true, "eu-west-1"), logging(true));
        let s = selectors(|| {
            GetEventSelectorsOutput::builder()
                .trail_arn(ARN)
                .event_selectors(classic(ReadWriteType::All, true))
                .build()
        });
        let ct = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&t, &l, &s]);
        let c = check(&ct, "us-east-1").await;
        assert!(c.ok, "{c:?}");
        assert_eq!(
            c.detail,
            "trail management-events (multi-region) is logging and records write management events, so RunTask calls reach EventBridge"
        );
    }

    #[tokio::test]
    async fn fails_when_the_trail_is_not_logging() {
        let (t, l) = (trails(false, "us-east-1"), logging(false));
        let ct = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&t, &l]);
        let c = check(&ct, "us-east-1").await;
        assert!(!c.ok);
        assert!(
            c.detail.contains("management-events is not logging"),
            "{}",
            c.detail
        );
        assert!(
            c.detail
                .contains("you must enable a CloudTrail trail with logging")
        );
        assert_eq!(
            c.fix.as_deref(),
            Some("aws cloudtrail start-logging --name management-events --region us-east-1")
        );
    }

    #[tokio::test]
    async fn fails_when_the_selectors_leave_out_writes() {
        let (t, l) = (trails(false, "us-east-1"), logging(true));
        let s = selectors(|| {
            GetEventSelectorsOutput::builder()
                .event_selectors(classic(ReadWriteType::ReadOnly, true))
                .build()
        });
        let ct = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&t, &l, &s]);
        let c = check(&ct, "us-east-1").await;
        assert!(!c.ok);
        assert!(
            c.detail.contains("leave out write management events"),
            "{}",
            c.detail
        );
        assert!(c.fix.as_deref().is_some_and(|f| {
            f.starts_with("aws cloudtrail put-event-selectors --trail-name management-events")
        }));
    }

    #[tokio::test]
    async fn fails_without_a_trail_in_the_region() {
        // A single-region trail elsewhere does not count.
        let t = trails(false, "eu-west-1");
        let ct = mock_client!(aws_sdk_cloudtrail, [&t]);
        let c = check(&ct, "us-east-1").await;
        assert!(!c.ok);
        assert!(
            c.detail.starts_with("no CloudTrail trail covers us-east-1"),
            "{}",
            c.detail
        );
        assert!(c.fix.as_deref().is_some_and(|f| f.contains("create-trail")));
    }

    #[tokio::test]
    async fn an_api_error_is_a_failed_check_with_the_error() {
        let t = mock!(Client::describe_trails).then_error(|| {
            DescribeTrailsError::generic(
                aws_sdk_cloudtrail::error::ErrorMetadata::builder()
                    .code("InternalFailure")
                    .message("The API for service cloudtrail is either not included in your current license plan or has not yet been emulated by LocalStack.")
                    .build(),
            )
        });
        let ct = mock_client!(aws_sdk_cloudtrail, [&t]);
        let c = check(&ct, "us-east-1").await;
        assert!(!c.ok);
        assert!(
            c.detail.starts_with("cannot list CloudTrail trails in us-east-1: DescribeTrails failed: InternalFailure: The API for service cloudtrail"),
            "{}",
            c.detail
        );
        assert!(
            c.fix
                .as_deref()
                .is_some_and(|f| f.starts_with("this endpoint does not emulate CloudTrail"))
        );

        let t = mock!(Client::describe_trails).then_error(|| {
            DescribeTrailsError::generic(
                aws_sdk_cloudtrail::error::ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("no")
                    .build(),
            )
        });
        let ct = mock_client!(aws_sdk_cloudtrail, [&t]);
        let c = check(&ct, "us-east-1").await;
        assert!(
            c.detail
                .contains("DescribeTrails failed: AccessDeniedException: no;"),
            "{}",
            c.detail
        );
        assert!(
            c.fix
                .as_deref()
                .is_some_and(|f| f.starts_with("give the caller cloudtrail:DescribeTrails"))
        );
    }
}
