//! `package` against LocalStack's S3 and CloudFormation: publish the real artifacts to a fresh
//! bucket, then create a stack from the uploaded template URL — with no ArtifactBucket/ArtifactPrefix
//! parameters, so the stack reads its code and state machine from where the uploaded template's
//! defaults point — and check what got created.
//!
//! Ignored by plain `cargo test` (which stays offline); scripts/package-test starts LocalStack and
//! runs it with `--ignored` and `ECS_RERUN_LOCALSTACK=http://127.0.0.1:<port>`. The zips come from
//! `ECS_RERUN_PACKAGE_TARGET_DIR` (else `CARGO_TARGET_DIR`, else `<workspace>/target`), as
//! `<dir>/lambda/<binary>/bootstrap.zip`.
//!
//! LocalStack (community, no Docker) cannot create `AWS::Lambda::Function` ("Service 'lambda' is not
//! enabled", or with lambda enabled "Installation of lambda-runtime … failed"), and it creates a
//! stack's resources one at a time, stopping at the first failure. So the stack is created with
//! rollback disabled (`SlackWebhookUrl` empty: no notifier; `Watchdog=Disabled`: no DynamoDB table,
//! which this LocalStack cannot create without Java and a download) and the test asserts exactly
//! that: the first and only failures are Lambda resources, the core resources (rule, queues, topic,
//! roles, state machine) were created, nothing conditioned on a webhook or on the watchdog exists,
//! and the state machine's definition is the one uploaded to the bucket. Resources LocalStack never
//! reached are printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use ecs_rerun_package::publish::{
    NOTIFIER_ZIP_KEY, RECORDER_ZIP_KEY, STARTER_ZIP_KEY, STATE_MACHINE_KEY, TEMPLATE_KEY,
    VERSION_PARAMETERS, WATCHDOG_ZIP_KEY,
};
use ecs_rerun_package::template::set_parameter_defaults;
use ecs_rerun_package::{Artifacts, Request, package_with_config};

const REGION: &str = "us-east-1";

fn endpoint() -> Option<String> {
    let endpoint = std::env::var("ECS_RERUN_LOCALSTACK").ok()?;
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "ECS_RERUN_LOCALSTACK must be http://127.0.0.1:<port>, got {endpoint}"
    );
    Some(endpoint)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    std::env::var_os("ECS_RERUN_PACKAGE_TARGET_DIR")
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
            aws_sdk_s3::config::Credentials::new("test", "test", None, None, "localstack"),
        ))
        .build()
}

fn unique(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{name}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

#[tokio::test]
#[ignore = "needs LocalStack: scripts/package-test runs it with ECS_RERUN_LOCALSTACK set"]
async fn package_then_create_stack_from_the_uploaded_template() {
    let endpoint = endpoint().expect(
        "set ECS_RERUN_LOCALSTACK=http://127.0.0.1:<port> (scripts/package-test starts LocalStack and does)",
    );
    let sdk = sdk_config(&endpoint);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique("ecs-rerun-package-test");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create test bucket");

    let root = workspace_root();
    let artifacts = Artifacts::in_checkout(&root, &target_dir());
    let request = Request {
        bucket: bucket.clone(),
        prefix: "ecs-rerun/v0.0.0-test".to_string(),
        region: None,
        stack_name: "ecs-rerun-package-test".to_string(),
        params: vec![
            ("SlackWebhookUrl".to_string(), String::new()),
            ("MaxAttempts".to_string(), "3".to_string()),
        ],
    };
    let published = package_with_config(&request, &artifacts, &sdk)
        .await
        .expect("package");

    // Where it went.
    let prefix = "ecs-rerun/v0.0.0-test/";
    assert_eq!(published.region, REGION);
    assert_eq!(published.prefix, prefix);
    assert_eq!(
        published.keys,
        [
            STARTER_ZIP_KEY,
            NOTIFIER_ZIP_KEY,
            RECORDER_ZIP_KEY,
            WATCHDOG_ZIP_KEY,
            STATE_MACHINE_KEY,
            TEMPLATE_KEY
        ]
        .map(|k| format!("{prefix}{k}"))
    );
    // An unversioned bucket gives no version ids: nothing is pinned (scripts/package-test checks
    // the pins on a versioned bucket).
    assert!(published.pinned_versions.is_empty(), "{published:?}");
    assert_eq!(VERSION_PARAMETERS.len(), 5);
    let template_url = format!("{endpoint}/{bucket}/{prefix}template.yaml");
    assert_eq!(published.template_url, template_url);
    assert_eq!(
        published.quick_create_url,
        format!(
            "https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1\
             #/stacks/create/review?templateURL={}&stackName=ecs-rerun-package-test\
             &param_SlackWebhookUrl=&param_MaxAttempts=3",
            template_url.replace(':', "%3A").replace('/', "%2F")
        )
    );

    // What went: byte for byte, the template with its two defaults set.
    for (key, local) in [
        (STARTER_ZIP_KEY, &artifacts.starter_zip),
        (NOTIFIER_ZIP_KEY, &artifacts.notifier_zip),
        (RECORDER_ZIP_KEY, &artifacts.recorder_zip),
        (WATCHDOG_ZIP_KEY, &artifacts.watchdog_zip),
        (STATE_MACHINE_KEY, &artifacts.state_machine),
    ] {
        let object = s3
            .get_object()
            .bucket(&bucket)
            .key(format!("{prefix}{key}"))
            .send()
            .await
            .expect("uploaded object");
        let body = object.body.collect().await.expect("body").into_bytes();
        assert_eq!(
            body.as_ref(),
            std::fs::read(local).expect("local file"),
            "{key}"
        );
    }
    let uploaded_template = s3
        .get_object()
        .bucket(&bucket)
        .key(format!("{prefix}{TEMPLATE_KEY}"))
        .send()
        .await
        .expect("uploaded template")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    let original = std::fs::read_to_string(&artifacts.template).expect("template");
    let want = set_parameter_defaults(
        &original,
        &[("ArtifactBucket", &bucket), ("ArtifactPrefix", prefix)],
    )
    .expect("edit");
    assert_eq!(String::from_utf8_lossy(&uploaded_template), want);

    // CloudFormation: the template is valid and its defaults are where it was uploaded.
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let summary = cfn
        .get_template_summary()
        .template_url(&template_url)
        .send()
        .await
        .expect("template summary from the uploaded URL");
    let defaults: BTreeMap<String, String> = summary
        .parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_key().unwrap_or_default().to_string(),
                p.default_value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(defaults.get("ArtifactBucket"), Some(&bucket));
    assert_eq!(
        defaults.get("ArtifactPrefix").map(String::as_str),
        Some(prefix)
    );

    // Create the stack from the uploaded URL, with no artifact parameters: the defaults point the
    // state machine at the uploaded definition.
    let stack_name = unique("ecs-rerun-package-test");
    cfn.create_stack()
        .stack_name(&stack_name)
        .template_url(&template_url)
        .parameters(
            Parameter::builder()
                .parameter_key("SlackWebhookUrl")
                .parameter_value("")
                .build(),
        )
        .parameters(
            Parameter::builder()
                .parameter_key("Watchdog")
                .parameter_value("Disabled")
                .build(),
        )
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .disable_rollback(true)
        .send()
        .await
        .expect("create stack");
    let status = wait_terminal(&cfn, &stack_name).await;

    let resources = cfn
        .describe_stack_resources()
        .stack_name(&stack_name)
        .send()
        .await
        .expect("stack resources");
    let mut by_status: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut types = BTreeMap::new();
    for r in resources.stack_resources() {
        let id = r.logical_resource_id().unwrap_or_default().to_string();
        types.insert(
            id.clone(),
            r.resource_type().unwrap_or_default().to_string(),
        );
        by_status
            .entry(
                r.resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            )
            .or_default()
            .push(id);
    }
    let events = cfn
        .describe_stack_events()
        .stack_name(&stack_name)
        .send()
        .await
        .expect("stack events");
    let failures: Vec<String> = events
        .stack_events()
        .iter()
        .filter(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .map(|e| {
            format!(
                "{} ({}): {}",
                e.logical_resource_id().unwrap_or_default(),
                e.resource_type().unwrap_or_default(),
                e.resource_status_reason().unwrap_or_default()
            )
        })
        .collect();
    eprintln!("stack {stack_name}: {status:?}");
    eprintln!("resources by status: {by_status:#?}");
    eprintln!("failure events: {failures:#?}");

    // What LocalStack did with the template (see the module comment). It creates resources one
    // at a time and stops at the first failure, so: the first (and every) failure is a Lambda
    // resource, each template resource without a condition was created, failed, or not reached
    // after that first failure, and nothing that needs a Slack webhook exists.
    let template_resources = resources_of(&original);
    let created: Vec<&String> = by_status
        .get("CREATE_COMPLETE")
        .into_iter()
        .flatten()
        .collect();
    let failed: Vec<&String> = by_status
        .iter()
        .filter(|(s, _)| *s != "CREATE_COMPLETE")
        .flat_map(|(_, ids)| ids)
        .collect();
    for (id, (_, condition)) in &template_resources {
        if condition.as_deref() == Some("HasSlackWebhook") {
            assert!(
                !types.contains_key(id),
                "{id} exists without a Slack webhook"
            );
        }
        if condition.as_deref() == Some("HasWatchdog") {
            assert!(
                !types.contains_key(id),
                "{id} exists with Watchdog=Disabled"
            );
        }
    }
    let not_reached: Vec<&String> = template_resources
        .iter()
        .filter(|(id, (_, condition))| condition.is_none() && !types.contains_key(*id))
        .map(|(id, _)| id)
        .collect();
    eprintln!("created: {created:?}");
    eprintln!("failed: {failed:?}");
    eprintln!("not reached after the first failure: {not_reached:?}");
    if status == StackStatus::CreateComplete {
        assert!(failed.is_empty() && not_reached.is_empty(), "{by_status:?}");
    } else {
        assert_eq!(status, StackStatus::CreateFailed, "{failures:?}");
        let first_failure = events
            .stack_events()
            .iter()
            .rev()
            .find(|e| {
                e.resource_status()
                    .is_some_and(|s| s.as_str() == "CREATE_FAILED")
                    && e.resource_type() != Some("AWS::CloudFormation::Stack")
            })
            .expect("a failed resource");
        assert_eq!(
            first_failure.resource_type(),
            Some("AWS::Lambda::Function"),
            "{failures:?}"
        );
        // a resource that names a Lambda function (an alarm on its metrics) fails with it
        let on_lambdas = lambda_dependents(&original, &template_resources);
        for id in &failed {
            assert!(
                types[*id].starts_with("AWS::Lambda::") || on_lambdas.contains(*id),
                "{id} ({}) failed: {failures:?}",
                types[*id]
            );
        }
        for id in &not_reached {
            assert!(
                !template_resources[*id].0.starts_with("AWS::Lambda::") || on_lambdas.contains(*id),
                "{id} is a Lambda resource LocalStack did not even try"
            );
        }
    }
    for want in [
        "RunTaskFailureRule",
        "StarterQueue",
        "StarterDeadLetterQueue",
        "NotificationTopic",
        "StateMachine",
        "StateMachineRole",
        "StarterRole",
    ] {
        assert!(
            created.iter().any(|c| *c == want),
            "{want} not created: {by_status:?}"
        );
    }

    // The state machine runs the definition read from the bucket (substituted).
    let state_machine_arn = resources
        .stack_resources()
        .iter()
        .find(|r| r.logical_resource_id() == Some("StateMachine"))
        .and_then(|r| r.physical_resource_id())
        .expect("state machine ARN")
        .to_string();
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let definition = sfn
        .describe_state_machine()
        .state_machine_arn(&state_machine_arn)
        .send()
        .await
        .expect("describe state machine")
        .definition;
    let deployed: serde_json::Value = serde_json::from_str(&definition).expect("definition JSON");
    let local: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&artifacts.state_machine).expect("asl"))
            .expect("asl JSON");
    assert_eq!(deployed["StartAt"], local["StartAt"]);
    let names = |v: &serde_json::Value| {
        v["States"]
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(names(&deployed), names(&local));
    assert!(!definition.contains("${NotificationTopicArn}"));

    // Clean up what this test made.
    let _ = cfn.delete_stack().stack_name(&stack_name).send().await;
    for key in &published.keys {
        let _ = s3.delete_object().bucket(&bucket).key(key).send().await;
    }
    let _ = s3.delete_bucket().bucket(&bucket).send().await;
}

/// Logical id → (type, condition) of every resource in a block-style YAML template.
fn resources_of(template: &str) -> BTreeMap<String, (String, Option<String>)> {
    let mut out = BTreeMap::new();
    let mut in_resources = false;
    let mut current: Option<String> = None;
    for line in template.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() && !line.starts_with('#') {
            in_resources = line.trim_end() == "Resources:";
            current = None;
            continue;
        }
        if !in_resources {
            continue;
        }
        if let Some(id) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !id.starts_with([' ', '#']) {
                current = Some(id.to_string());
                out.insert(id.to_string(), (String::new(), None));
            }
        } else if let (Some(id), Some(rest)) = (&current, line.strip_prefix("    ")) {
            let entry = out.get_mut(id).expect("current resource");
            if let Some(t) = rest.strip_prefix("Type: ") {
                entry.0 = t.trim().to_string();
            } else if let Some(c) = rest.strip_prefix("Condition: ") {
                entry.1 = Some(c.trim().to_string());
            }
        }
    }
    out
}

/// The resources whose body refers to a Lambda function of the template (`!Ref F`, `!GetAtt F.…`).
fn lambda_dependents(
    template: &str,
    resources: &BTreeMap<String, (String, Option<String>)>,
) -> Vec<String> {
    let functions: Vec<&String> = resources
        .iter()
        .filter(|(_, (t, _))| t == "AWS::Lambda::Function")
        .map(|(id, _)| id)
        .collect();
    let mut bodies: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in template.lines() {
        if let Some(id) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && resources.contains_key(id)
        {
            current = Some(id.to_string());
        } else if !line.starts_with(' ') && !line.trim().is_empty() {
            current = None;
        } else if let Some(id) = &current {
            bodies.entry(id.clone()).or_default().push_str(line);
        }
    }
    bodies
        .into_iter()
        .filter(|(_, body)| {
            functions.iter().any(|f| {
                body.contains(&format!("!Ref {f}")) || body.contains(&format!("!GetAtt {f}."))
            })
        })
        .map(|(id, _)| id)
        .collect()
}

async fn wait_terminal(cfn: &aws_sdk_cloudformation::Client, stack_name: &str) -> StackStatus {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let stacks = cfn
            .describe_stacks()
            .stack_name(stack_name)
            .send()
            .await
            .expect("describe stack");
        let status = stacks
            .stacks()
            .first()
            .and_then(|s| s.stack_status())
            .cloned()
            .expect("stack status");
        if !status.as_str().ends_with("_IN_PROGRESS") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "stack {stack_name} still {status:?} after 180 s"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
