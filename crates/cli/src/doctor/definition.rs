//! Check `definition`: Step Functions' own validator (ValidateStateMachineDefinition, type
//! STANDARD, severity WARNING so warnings come back too) finds no ERROR in the deployed
//! definition. Warnings are shown in the detail.

use aws_sdk_sfn::types::{StateMachineType, ValidateStateMachineDefinitionSeverity as Severity};

use super::aws::describe;
use super::report::Check;
use super::stack::StateMachine;

/// The check's name.
pub const NAME: &str = "definition";

/// Runs the check.
pub async fn check(sfn: &aws_sdk_sfn::Client, sm: &StateMachine) -> Check {
    let out = match sfn
        .validate_state_machine_definition()
        .definition(&sm.definition)
        .r#type(StateMachineType::Standard)
        .severity(Severity::Warning)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            return Check::fail(
                NAME,
                format!("ValidateStateMachineDefinition failed: {}", describe(&e)),
                "the caller needs states:ValidateStateMachineDefinition",
            );
        }
    };
    let show = |severity: &Severity| {
        out.diagnostics()
            .iter()
            .filter(|d| d.severity() == severity)
            .map(|d| match d.location() {
                Some(at) => format!("{} at {at}: {}", d.code(), d.message()),
                None => format!("{}: {}", d.code(), d.message()),
            })
            .collect::<Vec<_>>()
    };
    let (errors, warnings) = (show(&Severity::Error), show(&Severity::Warning));
    let states = serde_json::from_str::<serde_json::Value>(&sm.definition)
        .ok()
        .and_then(|v| v["States"].as_object().map(|s| s.len()))
        .unwrap_or(0);
    let warned = if warnings.is_empty() {
        "no warnings".to_string()
    } else {
        format!("warnings: {}", warnings.join("; "))
    };
    let fails = out.result().as_str() == "FAIL";
    if errors.is_empty() && !fails {
        return Check::pass(
            NAME,
            format!(
                "Step Functions validates the deployed definition of {} (STANDARD, {states} states): {}, {warned}",
                sm.arn,
                out.result().as_str()
            ),
        );
    }
    let errors = if errors.is_empty() {
        "result FAIL without diagnostics".to_string()
    } else {
        errors.join("; ")
    };
    Check::fail(
        NAME,
        format!(
            "the deployed definition of {} has errors: {errors}; {warned}",
            sm.arn
        ),
        "fix statemachine/rerun.asl.json (scripts/validate runs the validators on it), publish it and update the stack",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::Client;
    use aws_sdk_sfn::operation::validate_state_machine_definition::ValidateStateMachineDefinitionOutput;
    use aws_sdk_sfn::types::{
        ValidateStateMachineDefinitionDiagnostic, ValidateStateMachineDefinitionResultCode as Code,
    };
    use aws_smithy_mocks::{mock, mock_client};

    fn sm() -> StateMachine {
        StateMachine {
            arn: "arn:aws:states:us-east-1:123456789012:stateMachine:sm".into(),
            definition: r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#.into(),
            role_arn: "arn:aws:iam::123456789012:role/r".into(),
        }
    }

    fn diagnostic(
        severity: Severity,
        code: &str,
        message: &str,
    ) -> ValidateStateMachineDefinitionDiagnostic {
        ValidateStateMachineDefinitionDiagnostic::builder()
            .severity(severity)
            .code(code)
            .message(message)
            .location("/States/A")
            .build()
            .expect("diagnostic")
    }

    #[tokio::test]
    async fn passes_and_shows_warnings() {
        let rule = mock!(Client::validate_state_machine_definition)
            .match_requests(|r| {
                r.r#type() == Some(&StateMachineType::Standard)
                    && r.severity() == Some(&Severity::Warning)
                    && r.definition() == Some(sm().definition.as_str())
            })
            .then_output(|| {
                ValidateStateMachineDefinitionOutput::builder()
                    .result(Code::Ok)
                    .diagnostics(diagnostic(Severity::Warning, "NO_DOLLAR", "looks odd"))
                    .build()
                    .expect("output")
            });
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &sm()).await;
        assert!(c.ok, "{c:?}");
        assert_eq!(
            c.detail,
            "Step Functions validates the deployed definition of arn:aws:states:us-east-1:123456789012:stateMachine:sm (STANDARD, 1 states): OK, warnings: NO_DOLLAR at /States/A: looks odd"
        );
    }

    #[tokio::test]
    async fn fails_on_an_error_diagnostic() {
        let rule = mock!(Client::validate_state_machine_definition).then_output(|| {
            ValidateStateMachineDefinitionOutput::builder()
                .result(Code::Fail)
                .diagnostics(diagnostic(
                    Severity::Error,
                    "SCHEMA_VALIDATION_FAILED",
                    "bad Next",
                ))
                .build()
                .expect("output")
        });
        let sfn = mock_client!(aws_sdk_sfn, [&rule]);
        let c = check(&sfn, &sm()).await;
        assert!(!c.ok);
        assert!(
            c.detail.contains(
                "has errors: SCHEMA_VALIDATION_FAILED at /States/A: bad Next; no warnings"
            ),
            "{}",
            c.detail
        );
    }
}
