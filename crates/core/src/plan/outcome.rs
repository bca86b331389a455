//! The outcome notices' words (CONTRACT §5), written here once: the plan carries one template per
//! outcome, and the state machine's "Notify Outcome" only fills in what it learns while it runs —
//! `{attempt}`, `{taskCount}`, `{failureCount}`, `{stillMissing}`, `{error}` in the description, the summary and the
//! context values — plus the new task ARNs, the failures and the RunTask error. Amazon Q and Slack
//! therefore show the same words.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::notification::{Content, Kind, Metadata, Notification};
use crate::plan::Plan;
use crate::reason::FailureReason;
use crate::text::plural;

/// Placeholder: the re-run that decided the outcome (1-based).
pub const ATTEMPT: &str = "{attempt}";
/// Placeholder: tasks the last re-run started.
pub const TASK_COUNT: &str = "{taskCount}";
/// Placeholder: launch failures of the last re-run (ECS's failure entries, not tasks).
pub const FAILURE_COUNT: &str = "{failureCount}";
/// Placeholder: tasks still missing after the last re-run (missing − started).
pub const STILL_MISSING: &str = "{stillMissing}";
/// Placeholder: the RunTask API error (`Ecs.AccessDeniedException`).
pub const ERROR: &str = "{error}";

/// How an execution ends after its re-runs; the key of [`Plan::outcomes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A re-run started every missing task.
    Recovered,
    /// A re-run started some of them; no further re-run.
    PartiallyRecovered,
    /// Every re-run failed to launch the task.
    GaveUp,
    /// The RunTask call itself failed.
    RerunError,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 4] = [
        Outcome::Recovered,
        Outcome::PartiallyRecovered,
        Outcome::GaveUp,
        Outcome::RerunError,
    ];

    /// The key in the plan's `outcomes` (and the `$outcome` the state machine assigns).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Recovered => "recovered",
            Outcome::PartiallyRecovered => "partially-recovered",
            Outcome::GaveUp => "gave-up",
            Outcome::RerunError => "rerun-error",
        }
    }

    /// The notice kind it is announced as.
    pub fn kind(self) -> Kind {
        match self {
            Outcome::Recovered => Kind::Recovered,
            Outcome::PartiallyRecovered => Kind::PartiallyRecovered,
            Outcome::GaveUp | Outcome::RerunError => Kind::GaveUp,
        }
    }
}

/// The words of one outcome, before the counts are known.
struct Words {
    title: String,
    description: String,
    summary: String,
    next_steps: Vec<String>,
    /// `additionalContext.missingCount` (may be a placeholder).
    missing: String,
}

/// Advice for each distinct reason of the original launch, as next steps.
fn advice(plan: &Plan) -> Vec<String> {
    plan.reasons
        .iter()
        .map(|r| {
            let shown = if r.is_empty() { "(none)" } else { r.as_str() };
            format!("{shown}: {}", FailureReason::classify(r).advice())
        })
        .collect()
}

fn words(outcome: Outcome, plan: &Plan) -> Words {
    let (family, cluster, max) = (&plan.task_family, &plan.cluster_name, plan.max_attempts);
    let reasons = if plan.reasons.is_empty() {
        "no failure reason".to_owned()
    } else {
        plan.reasons.join(", ")
    };
    let missing = plural(plan.missing_count, "missing task", "missing tasks");
    let by_hand = format!(
        "The scheduled run did not happen: start the {missing} by hand (same RunTask parameters) once the cause is fixed."
    );
    match outcome {
        Outcome::Recovered => Words {
            title: format!(":white_check_mark: ECS task {family} recovered on {cluster}"),
            description: format!(
                "Recovered on re-run {ATTEMPT} of {max}: it started the {missing}. The original launch failed with {reasons}."
            ),
            summary: format!("{family} on {cluster}: recovered on re-run {ATTEMPT} of {max}"),
            next_steps: std::iter::once(
                "Check why the original launch failed, so the next scheduled run does not depend on a re-run:".to_owned(),
            )
            .chain(advice(plan))
            .collect(),
            missing: "0".to_owned(),
        },
        Outcome::PartiallyRecovered => Words {
            title: format!(":large_orange_diamond: ECS task {family} partially recovered on {cluster}"),
            description: format!(
                "Re-run {ATTEMPT} of {max} started {TASK_COUNT} of the {missing}; {STILL_MISSING} still missing. \
                 No further re-run: repeating it would duplicate the tasks that started. The original launch failed with {reasons}."
            ),
            summary: format!(
                "{family} on {cluster}: re-run {ATTEMPT} of {max} started {TASK_COUNT} of the {missing}, {STILL_MISSING} still missing"
            ),
            next_steps: std::iter::once(
                "Start the tasks that are still missing by hand if the job needs them all, after checking the failures below.".to_owned(),
            )
            .chain(advice(plan))
            .collect(),
            missing: STILL_MISSING.to_owned(),
        },
        Outcome::GaveUp => Words {
            title: format!(":rotating_light: ECS task {family} still failed to launch on {cluster}: gave up"),
            description: format!(
                "Gave up after re-run {ATTEMPT} of {max}: none of them started the {missing}. The original launch failed with {reasons}."
            ),
            summary: format!("{family} on {cluster}: gave up after re-run {ATTEMPT} of {max}"),
            next_steps: std::iter::once(by_hand).chain(advice(plan)).collect(),
            missing: plan.missing_count.to_string(),
        },
        Outcome::RerunError => Words {
            title: format!(":rotating_light: ECS task {family} could not be re-run on {cluster}: gave up"),
            description: format!(
                "Gave up at re-run {ATTEMPT} of {max}: the RunTask call failed with `{ERROR}`. The original launch failed with {reasons}."
            ),
            summary: format!("{family} on {cluster}: re-run {ATTEMPT} of {max} failed with {ERROR}; gave up"),
            next_steps: vec![
                "Read the error and cause below: a permission (the state machine role's ecs:RunTask or iam:PassRole), a parameter, or a cluster that no longer exists.".to_owned(),
                by_hand,
            ],
            missing: plan.missing_count.to_string(),
        },
    }
}

/// The notice template of one outcome.
pub fn template(outcome: Outcome, plan: &Plan) -> Notification {
    let kind = outcome.kind();
    let w = words(outcome, plan);
    let mut keywords = vec![
        "ecs-rerun".to_owned(),
        kind.as_str().to_owned(),
        plan.cluster_name.clone(),
    ];
    keywords.dedup();
    let mut context = Map::new();
    for (k, v) in [
        ("kind", kind.as_str().to_owned()),
        ("attempt", ATTEMPT.to_owned()),
        ("missingCount", w.missing),
        ("nextWaitSeconds", "0".to_owned()),
    ] {
        context.insert(k.to_owned(), Value::String(v));
    }
    Notification {
        version: "1.0".into(),
        source: "custom".into(),
        id: Some(format!("{}/{}", plan.execution_name, kind.as_str())),
        content: Content {
            text_type: Some("client-markdown".into()),
            title: Some(w.title),
            description: Some(w.description),
            next_steps: w.next_steps,
            keywords,
        },
        metadata: Some(Metadata {
            thread_id: Some(plan.execution_name.clone()),
            summary: Some(w.summary),
            event_type: Some(kind.event_type().to_owned()),
            related_resources: vec![plan.cluster.clone(), plan.task_definition.clone()],
            additional_context: context,
        }),
    }
}

/// Every outcome's template, by key; empty when the plan is not retryable (no outcome follows).
pub fn templates(plan: &Plan) -> BTreeMap<String, Notification> {
    if !plan.retryable {
        return BTreeMap::new();
    }
    Outcome::ALL
        .into_iter()
        .map(|o| (o.as_str().to_owned(), template(o, plan)))
        .collect()
}
