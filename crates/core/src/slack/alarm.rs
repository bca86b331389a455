//! CloudWatch alarm notifications (the `alarm` kind): the JSON CloudWatch publishes to an SNS
//! topic when an alarm changes state (`AlarmName`, `NewStateValue`, `NewStateReason`,
//! `StateChangeTime`, `AlarmArn`, `Trigger{…}`), rendered with its own Block Kit: a header by
//! state, what the alarm watches in plain words, the reason, when, and a console link to the alarm.
//!
//! Parsing is tolerant (every field but `AlarmName` and `NewStateValue` may be missing or null);
//! a message without those two is not an alarm and goes to the generic rendering. CloudWatch's
//! `Region` is a display name ("EU (Ireland)"), so the region code comes from `AlarmArn`.

use serde::Deserialize;

use super::blocks::{SlackMessage, buttons, context, fields, finish, header, section};
use super::escape::escape;
use crate::links::{console_base, encode};

/// The alarm message, as CloudWatch sends it (only what we show).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    /// The alarm's name.
    pub alarm_name: String,
    /// Its description, if any.
    #[serde(default)]
    pub alarm_description: Option<String>,
    /// The account (`AWSAccountId`).
    #[serde(default, rename = "AWSAccountId")]
    pub account: Option<String>,
    /// `ALARM`, `OK` or `INSUFFICIENT_DATA`.
    pub new_state_value: String,
    /// Why it changed state.
    #[serde(default)]
    pub new_state_reason: Option<String>,
    /// When (`2026-12-02T11:02:41.521+0000`).
    #[serde(default)]
    pub state_change_time: Option<String>,
    /// `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`.
    #[serde(default)]
    pub alarm_arn: Option<String>,
    /// The state before.
    #[serde(default)]
    pub old_state_value: Option<String>,
    /// The metric and the condition (absent for a composite alarm).
    #[serde(default)]
    pub trigger: Option<Trigger>,
}

/// What a metric alarm watches.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Trigger {
    /// e.g. `ApproximateNumberOfMessagesVisible`.
    pub metric_name: Option<String>,
    /// e.g. `AWS/SQS`.
    pub namespace: Option<String>,
    /// e.g. `MAXIMUM`, `SUM`.
    pub statistic: Option<String>,
    /// e.g. `p99` (instead of `Statistic`).
    pub extended_statistic: Option<String>,
    /// The metric's dimensions (`[{"name": …, "value": …}]`).
    pub dimensions: Option<Vec<Dimension>>,
    /// Seconds per period.
    pub period: Option<f64>,
    /// Periods evaluated.
    pub evaluation_periods: Option<f64>,
    /// Periods that must breach (M of N).
    pub datapoints_to_alarm: Option<f64>,
    /// e.g. `GreaterThanOrEqualToThreshold`.
    pub comparison_operator: Option<String>,
    /// The threshold.
    pub threshold: Option<f64>,
}

/// One metric dimension (CloudWatch writes these keys in lower case).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Dimension {
    /// e.g. `QueueName`.
    pub name: Option<String>,
    /// e.g. `ecs-rerun-notifier-dlq`.
    pub value: Option<String>,
}

impl Alarm {
    /// The message as an alarm, if it is one (`AlarmName` and `NewStateValue` non-empty).
    pub fn parse(message: &str) -> Option<Alarm> {
        let alarm: Alarm = serde_json::from_str(message).ok()?;
        (!alarm.alarm_name.trim().is_empty() && !alarm.new_state_value.trim().is_empty())
            .then_some(alarm)
    }

    /// The region code from `AlarmArn`, if it has a plausible one.
    pub fn region(&self) -> Option<&str> {
        let region = self.alarm_arn.as_deref()?.split(':').nth(3)?;
        (!region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        .then_some(region)
    }

    /// The alarm's CloudWatch console page, partition-aware, if the region is known.
    pub fn console_url(&self) -> Option<String> {
        let region = self.region()?;
        Some(format!(
            "{}/cloudwatch/home?region={}#alarmsV2:alarm/{}",
            console_base(region),
            encode(region, ""),
            encode(&self.alarm_name, "")
        ))
    }

    /// What the alarm watches, in plain words (unescaped), if it is a metric alarm.
    pub fn watches(&self) -> Option<String> {
        let t = self.trigger.as_ref()?;
        let metric = t.metric_name.as_deref().filter(|m| !m.is_empty())?;
        let statistic = t
            .extended_statistic
            .as_deref()
            .or(t.statistic.as_deref())
            .filter(|s| !s.is_empty())
            .map(statistic_words);
        let mut out = match statistic {
            Some(s) => format!("{s} of {metric}"),
            None => metric.to_string(),
        };
        if let Some(ns) = t.namespace.as_deref().filter(|n| !n.is_empty()) {
            out.push_str(&format!(" ({ns})"));
        }
        let dims: Vec<String> = t
            .dimensions
            .iter()
            .flatten()
            .filter_map(|d| Some(format!("{} {}", d.name.as_deref()?, d.value.as_deref()?)))
            .collect();
        if !dims.is_empty() {
            out.push_str(&format!(" for {}", dims.join(", ")));
        }
        if let (Some(op), Some(threshold)) = (t.comparison_operator.as_deref(), t.threshold) {
            out.push_str(&format!(" {} {}", operator_words(op), number(threshold)));
        }
        if let Some(period) = t.period {
            let n = t.evaluation_periods.unwrap_or(1.0);
            let m = t.datapoints_to_alarm.unwrap_or(n);
            out.push_str(&format!(
                ", in {} of {} period{} of {} s",
                number(m),
                number(n),
                if n == 1.0 { "" } else { "s" },
                number(period)
            ));
        }
        Some(out)
    }
}

/// `MAXIMUM` → `Maximum`; `p99` stays.
fn statistic_words(s: &str) -> String {
    if s.bytes().all(|b| b.is_ascii_uppercase()) {
        let mut c = s.chars();
        c.next()
            .map(|f| f.to_string() + &c.as_str().to_ascii_lowercase())
            .unwrap_or_default()
    } else {
        s.to_string()
    }
}

/// CloudWatch's comparison operators in words (no `<`/`>`, which Slack would need escaped).
fn operator_words(op: &str) -> &str {
    match op {
        "GreaterThanOrEqualToThreshold" => "at least",
        "GreaterThanThreshold" => "above",
        "LessThanThreshold" => "below",
        "LessThanOrEqualToThreshold" => "at most",
        "LessThanLowerOrGreaterThanUpperThreshold" => "outside the band",
        "LessThanLowerThreshold" => "below the band",
        "GreaterThanUpperThreshold" => "above the band",
        other => other,
    }
}

/// `1.0` → `1`, `0.5` → `0.5`.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// The header's emoji and words by state.
fn state_look(state: &str) -> (&'static str, &'static str) {
    match state {
        "ALARM" => (":rotating_light:", "ALARM"),
        "OK" => (":white_check_mark:", "OK"),
        "INSUFFICIENT_DATA" => (":grey_question:", "INSUFFICIENT DATA"),
        _ => (":bell:", "state change"),
    }
}

/// The alarm's Block Kit message. Every piece of data is escaped.
pub(crate) fn render(alarm: &Alarm) -> SlackMessage {
    let name = escape(&alarm.alarm_name);
    let (emoji, words) = state_look(alarm.new_state_value.as_str());
    let words = if words == "state change" {
        escape(&alarm.new_state_value)
    } else {
        words.to_string()
    };
    let mut blocks = vec![header(format!("{emoji} {words}: {name}"))];
    if let Some(d) = alarm
        .alarm_description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        blocks.push(section(escape(d)));
    }
    if let Some(w) = alarm.watches() {
        blocks.push(section(format!("*Watches:* {}", escape(&w))));
    }
    let reason = alarm
        .new_state_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty());
    if let Some(r) = reason {
        blocks.push(section(format!("*Why:* {}", escape(r))));
    }
    let mut facts = Vec::new();
    let change = match alarm.old_state_value.as_deref().filter(|s| !s.is_empty()) {
        Some(old) => format!("{} → {}", escape(old), escape(&alarm.new_state_value)),
        None => escape(&alarm.new_state_value),
    };
    facts.push(format!("*State*\n{change}"));
    if let Some(t) = alarm.state_change_time.as_deref().filter(|t| !t.is_empty()) {
        facts.push(format!("*When*\n{}", escape(t)));
    }
    if let Some(a) = alarm.account.as_deref().filter(|a| !a.is_empty()) {
        facts.push(format!("*Account*\n{}", escape(a)));
    }
    if let Some(r) = alarm.region() {
        facts.push(format!("*Region*\n{}", escape(r)));
    }
    blocks.push(fields(facts));
    if let Some(url) = alarm.console_url() {
        blocks.push(buttons(vec![("Open the alarm", url)]));
    }
    blocks.push(context(vec![
        "CloudWatch alarm on the ecs-rerun machinery".to_string(),
    ]));
    let mut text = format!("{words}: {name}");
    if let Some(r) = reason {
        text.push_str(&format!(": {}", escape(r)));
    }
    finish(text, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::render_sns;

    const ALARM: &str = r#"{"AlarmName":"ecs-rerun-NotifierDlqNotEmpty","AlarmDescription":null,"AWSAccountId":"123456789012","NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2026-12-02T11:02:41.521+0000","Region":"EU (Ireland)","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ecs-rerun-NotifierDlqNotEmpty","OldStateValue":"OK","Trigger":{"MetricName":"ApproximateNumberOfMessagesVisible","Namespace":"AWS/SQS","StatisticType":"Statistic","Statistic":"MAXIMUM","Unit":null,"Dimensions":[{"value":"ecs-rerun-notifier-dlq","name":"QueueName"}],"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Threshold":1.0}}"#;

    #[test]
    fn parses_and_words_a_metric_alarm() {
        let a = Alarm::parse(ALARM).expect("an alarm");
        assert_eq!(a.region(), Some("eu-west-1"));
        assert_eq!(
            a.watches().as_deref(),
            Some(
                "Maximum of ApproximateNumberOfMessagesVisible (AWS/SQS) for QueueName ecs-rerun-notifier-dlq at least 1, in 1 of 1 period of 60 s"
            )
        );
        assert_eq!(
            a.console_url().as_deref(),
            Some(
                "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/ecs-rerun-NotifierDlqNotEmpty"
            )
        );
        let m = render_sns(Some("ALARM: \"x\" in EU (Ireland)"), ALARM);
        assert_eq!(
            m.text,
            "ALARM: ecs-rerun-NotifierDlqNotEmpty: Threshold Crossed"
        );
    }

    #[test]
    fn console_links_per_partition_and_names_encoded() {
        for (arn, want) in [
            (
                "arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:a b",
                "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a%20b",
            ),
            (
                "arn:aws-us-gov:cloudwatch:us-gov-west-1:123456789012:alarm:a b",
                "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/a%20b",
            ),
        ] {
            let a = Alarm::parse(&format!(
                r#"{{"AlarmName":"a b","NewStateValue":"OK","AlarmArn":"{arn}"}}"#
            ))
            .expect("alarm");
            assert_eq!(a.console_url().as_deref(), Some(want));
        }
        let no_arn = Alarm::parse(r#"{"AlarmName":"x","NewStateValue":"OK"}"#).expect("alarm");
        assert_eq!(no_arn.console_url(), None);
        let bad = Alarm::parse(r#"{"AlarmName":"x","NewStateValue":"OK","AlarmArn":"arn:aws:cloudwatch:EU (Ireland):1:alarm:x"}"#).expect("alarm");
        assert_eq!(bad.console_url(), None);
    }

    #[test]
    fn not_an_alarm_goes_to_the_generic_rendering() {
        for msg in [
            r#"{"AlarmName":"x"}"#,
            r#"{"AlarmName":"","NewStateValue":"ALARM"}"#,
            r#"{"AlarmName":"x","NewStateValue":7}"#,
            "[1]",
            "plain",
        ] {
            assert!(Alarm::parse(msg).is_none(), "{msg}");
        }
    }

    #[test]
    fn data_is_escaped_and_odd_values_tolerated() {
        let m = render_sns(
            None,
            r#"{"AlarmName":"<!channel> & co","NewStateValue":"<b>","NewStateReason":"@here > 1","Trigger":{"MetricName":"M<","Dimensions":null,"Period":null,"Threshold":0.5,"ComparisonOperator":"LessThanThreshold"}}"#,
        );
        let json = serde_json::to_string(&m).expect("serialises");
        assert!(
            !json.contains("<!channel>") && !json.contains("<b>") && !json.contains("M<"),
            "{json}"
        );
        assert!(json.contains("M&lt; below 0.5"), "{json}");
        assert!(
            m.text.starts_with("&lt;b&gt;: &lt;!channel&gt; &amp; co"),
            "{}",
            m.text
        );
    }
}
