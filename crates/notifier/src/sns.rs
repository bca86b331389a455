//! The SQS record body → (subject, message). SNS → SQS delivers the SNS envelope (`Type`,
//! `MessageId`, `TopicArn`, `Subject`, `Message`, `Timestamp`, signature fields, …); with
//! RawMessageDelivery the body is the message itself.
//!
//! `aws_lambda_events::sns::SnsMessage` is not used on purpose: it requires `Timestamp`,
//! `Signature`, `SignatureVersion`, `SigningCertURL` and `UnsubscribeURL`, none of which we need,
//! so an envelope missing one of them would be mistaken for a raw message and posted to Slack as
//! escaped JSON. We read the few fields we use and tolerate the rest.

use serde::Deserialize;

/// What the record carries, whichever way SNS delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The SNS Subject (envelope only; absent or null when not published with one).
    pub subject: Option<String>,
    /// The SNS Message (the whole body for raw delivery).
    pub message: String,
    /// The SNS MessageId, for logs (envelope only).
    pub sns_message_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope {
    #[serde(rename = "Type")]
    kind: String,
    message: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
}

impl Incoming {
    /// Unwraps an SNS `Notification` envelope; anything else is a raw message.
    pub fn from_body(body: &str) -> Self {
        match serde_json::from_str::<Envelope>(body) {
            Ok(env) if env.kind == "Notification" => Incoming {
                subject: env.subject.filter(|s| !s.is_empty()),
                message: env.message,
                sns_message_id: env.message_id,
            },
            _ => Incoming {
                subject: None,
                message: body.to_owned(),
                sns_message_id: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTICE: &str = r#"{"version":"1.0","source":"custom","content":{"description":"x"}}"#;

    fn envelope(extra: &str) -> String {
        format!(
            r#"{{"Type":"Notification","MessageId":"0b1f8a52-6a43-5c2e-9d1b-1f2a3b4c5d6e","TopicArn":"arn:aws:sns:us-east-1:123456789012:ecs-rerun"{extra},"Message":{},"Timestamp":"2026-11-24T02:00:03.512Z"}}"#,
            serde_json::Value::String(NOTICE.to_owned())
        )
    }

    #[test]
    fn unwraps_envelopes_and_keeps_raw_bodies() {
        let full = envelope(
            r#","Subject":"ECS task nightly-batch failed to launch","SignatureVersion":"1","Signature":"EXAMPLE==","SigningCertURL":"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem","UnsubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe","MessageAttributes":{"kind":{"Type":"String","Value":"launch-failed"}}"#,
        );
        let cases = [
            // AWS / LocalStack SNS → SQS envelope
            (
                full.as_str(),
                Some("ECS task nightly-batch failed to launch"),
                NOTICE,
                true,
            ),
            // no Subject, no signature fields: still an envelope
            (&envelope(""), None, NOTICE, true),
            // Subject null (as the Lambda SNS event shows it)
            (&envelope(r#","Subject":null"#), None, NOTICE, true),
            // raw message delivery: the body is the message
            (NOTICE, None, NOTICE, false),
            // plain text
            ("hello <world>", None, "hello <world>", false),
            // JSON that looks a bit like an envelope but is not a Notification
            (
                r#"{"Type":"SubscriptionConfirmation","Message":"m"}"#,
                None,
                r#"{"Type":"SubscriptionConfirmation","Message":"m"}"#,
                false,
            ),
            (r#"{"Type":1}"#, None, r#"{"Type":1}"#, false),
        ];
        for (body, subject, message, is_envelope) in cases {
            let got = Incoming::from_body(body);
            assert_eq!(got.subject.as_deref(), subject, "{body}");
            assert_eq!(got.message, message, "{body}");
            assert_eq!(got.sns_message_id.is_some(), is_envelope, "{body}");
        }
    }
}
