//! `ecs-rerun package`: publish a release to S3 and print its quick-create link (the work is in the
//! `ecs-rerun-package` crate; this module is the command line around it).

use std::path::PathBuf;

use ecs_rerun_package::links::DEFAULT_STACK_NAME;
use ecs_rerun_package::{Artifacts, Request};

use crate::common::InputError;

/// Upload the four Lambda zips (starter, notifier, recorder, watchdog), the state machine and a
/// deployable template to S3; print the CloudFormation quick-create URL.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// Bucket to publish to (must exist, in the target region: Lambda reads code only from its own region)
    #[arg(long, value_name = "BUCKET")]
    pub bucket: String,
    /// Key prefix ("folder") of this release, e.g. ecs-rerun/v1.2.3 (a trailing / is added)
    #[arg(long, value_name = "PREFIX", default_value = "")]
    pub prefix: String,
    /// Region (default: the AWS configuration: AWS_REGION, profile, …)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Stack name in the quick-create link
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STACK_NAME)]
    pub stack_name: String,
    /// Template parameter value for the quick-create link, repeatable (e.g. --param MaxAttempts=3);
    /// the template's NoEcho parameters (SlackWebhookUrl) are refused: a link cannot carry them
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
    /// Root of the ecs-rerun checkout (statemachine/, cloudformation/)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Cargo target directory holding lambda/<binary>/bootstrap.zip (default: $CARGO_TARGET_DIR, else <root>/target)
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
}

/// Bad arguments and missing local files are input errors (exit 2, like the other subcommands);
/// a failed upload is not.
pub fn classify(err: ecs_rerun_package::Error) -> anyhow::Error {
    use ecs_rerun_package::Error as E;
    match err {
        E::Upload { .. } | E::Read { .. } => err.into(),
        E::MissingZip(_)
        | E::MissingFile(_)
        | E::Invalid { .. }
        | E::NoRegion
        | E::Template { .. }
        | E::NoEchoParameter { .. } => InputError(err.to_string()).into(),
    }
}

/// Refuses a `--param` that names one of `template`'s NoEcho parameters (exit 2), before anything
/// is uploaded. No `--param` → the template is not read here.
pub fn refuse_no_echo_params(
    params: &[(String, String)],
    template: &std::path::Path,
    stack_name: &str,
) -> anyhow::Result<()> {
    use ecs_rerun_package::Error as E;
    if params.is_empty() {
        return Ok(());
    }
    let text = std::fs::read_to_string(template).map_err(|e| {
        classify(if e.kind() == std::io::ErrorKind::NotFound {
            E::MissingFile(template.to_path_buf())
        } else {
            E::Read {
                path: template.to_path_buf(),
                source: e,
            }
        })
    })?;
    let no_echo = ecs_rerun_package::no_echo_parameters(&text);
    ecs_rerun_package::refuse_no_echo(params, &no_echo, stack_name).map_err(classify)
}

/// clap value parser for `--param NAME=VALUE`.
pub fn parse_param(arg: &str) -> Result<(String, String), String> {
    ecs_rerun_package::parse_param(arg).map_err(|e| e.to_string())
}

/// Runs the command: progress to stderr, the quick-create URL alone on stdout.
pub fn run(args: Args) -> anyhow::Result<()> {
    crate::common::check_wait_params(&args.params)?;
    let target_dir = args
        .target_dir
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .unwrap_or_else(|| args.root.join("target"));
    let artifacts = Artifacts::in_checkout(&args.root, &target_dir);
    refuse_no_echo_params(&args.params, &artifacts.template, &args.stack_name)?;
    let request = Request {
        bucket: args.bucket,
        prefix: args.prefix,
        region: args.region,
        stack_name: args.stack_name,
        params: args.params,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let published = runtime
        .block_on(ecs_rerun_package::package(&request, &artifacts))
        .map_err(classify)?;
    for key in &published.keys {
        eprintln!("uploaded s3://{}/{key}", published.bucket);
    }
    for (parameter, version) in &published.pinned_versions {
        eprintln!("pinned {parameter} = {version}");
    }
    eprintln!("template: {}", published.template_url);
    eprintln!("quick-create link ({}):", published.region);
    println!("{}", published.quick_create_url);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::try_parse_args;

    #[test]
    fn parses_flags_and_repeated_params() {
        let args: Args = try_parse_args(&[
            "--bucket",
            "my-bucket",
            "--prefix",
            "ecs-rerun/v1.2.3",
            "--region",
            "eu-west-1",
            "--param",
            "RetryableReasons=AGENT,RESOURCE:MEMORY",
            "--param",
            "MaxAttempts=5",
        ])
        .expect("parses");
        assert_eq!(args.bucket, "my-bucket");
        assert_eq!(args.stack_name, "ecs-rerun");
        assert_eq!(args.root, PathBuf::from("."));
        assert_eq!(
            args.params,
            vec![
                (
                    "RetryableReasons".to_string(),
                    "AGENT,RESOURCE:MEMORY".to_string()
                ),
                ("MaxAttempts".to_string(), "5".to_string()),
            ]
        );
    }

    #[test]
    fn bad_param_and_missing_bucket_are_usage_errors() {
        let err =
            try_parse_args::<Args>(&["--bucket", "b", "--param", "NoValue"]).expect_err("rejects");
        assert!(
            err.to_string()
                .contains("invalid --param \"NoValue\": expected Name=value"),
            "{err}"
        );
        assert!(try_parse_args::<Args>(&[]).is_err());
    }

    /// Arguments that read the zips from `<dir>/t/lambda/` (and never reach AWS in these tests).
    fn args_in(dir: &std::path::Path) -> Args {
        Args {
            bucket: "my-bucket".to_string(),
            prefix: String::new(),
            region: Some("eu-west-1".to_string()),
            stack_name: "ecs-rerun".to_string(),
            params: vec![],
            root: dir.to_path_buf(),
            target_dir: Some(dir.join("t")),
        }
    }

    #[test]
    fn missing_zip_is_one_clear_line_before_any_aws_call() {
        let dir =
            std::env::temp_dir().join(format!("ecs-rerun-cli-package-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let args = args_in(&dir);
        let err = run(args).expect_err("no zips").to_string();
        assert_eq!(
            err,
            format!(
                "missing {}/t/lambda/ecs-rerun-starter/bootstrap.zip: run cargo lambda build --release --arm64 --output-format zip first",
                dir.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The watchdog's two zips (package ecs-rerun-watchdog) are part of a release: without them
    /// nothing is uploaded, exit 2 with the same one line.
    #[test]
    fn a_missing_watchdog_zip_is_exit_2_before_any_aws_call() {
        let dir = std::env::temp_dir().join(format!(
            "ecs-rerun-cli-package-watchdog-{}",
            std::process::id()
        ));
        for bin in [
            "ecs-rerun-starter",
            "ecs-rerun-notifier",
            "ecs-rerun-recorder",
        ] {
            let d = dir.join("t/lambda").join(bin);
            std::fs::create_dir_all(&d).expect("dir");
            std::fs::write(d.join("bootstrap.zip"), b"PK\x05\x06").expect("stand-in zip");
        }
        let args = args_in(&dir);
        let err = run(args).expect_err("no watchdog zip");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
        assert_eq!(
            err.to_string(),
            format!(
                "missing {}/t/lambda/ecs-rerun-watchdog/bootstrap.zip: run cargo lambda build --release --arm64 --output-format zip first",
                dir.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_no_echo_param_is_exit_2_before_any_file_or_aws_call() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let url = "https://hooks.slack.com/services/T000/B000/XXXX";
        let args = Args {
            bucket: "my-bucket".to_string(),
            prefix: String::new(),
            region: Some("eu-west-1".to_string()),
            stack_name: "ecs-rerun".to_string(),
            params: vec![("SlackWebhookUrl".to_string(), url.to_string())],
            root,
            target_dir: Some(std::env::temp_dir().join("ecs-rerun-no-such-target")),
        };
        let err = run(args).expect_err("refused");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
        let msg = err.to_string();
        assert!(
            msg.starts_with("SlackWebhookUrl is NoEcho: a quick-create link cannot carry it"),
            "{msg}"
        );
        assert!(!msg.contains(url), "{msg}");
    }
}
