//! `ecs-rerun quick-create-url`: the CloudFormation console link for an already published template.
//!
//! A `--param` naming a NoEcho parameter of the template is refused (CloudFormation ignores it in a
//! link). The template is read locally, never fetched: `--template-file`, else the checkout's
//! `cloudformation/template.yaml` (what `package` publishes, with only two defaults changed). With a
//! `--param` and neither file, the command refuses rather than guess.

use std::path::{Path, PathBuf};

use ecs_rerun_package::links::{
    DEFAULT_STACK_NAME, validate_region, validate_stack_name, validate_template_url,
};
use ecs_rerun_package::{Error, quick_create_url, region_of_s3_url};

/// Print the CloudFormation quick-create URL for a published template.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Args {
    /// URL of the template in S3, e.g. https://ecs-rerun-releases-eu-west-1.s3.eu-west-1.amazonaws.com/ecs-rerun/v1.2.3/template.yaml
    #[arg(long, value_name = "URL")]
    pub template_url: String,
    /// Region to create the stack in (default: the template URL's region, else AWS_REGION / AWS_DEFAULT_REGION)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Stack name
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STACK_NAME)]
    pub stack_name: String,
    /// Template parameter value, repeatable (e.g. --param MaxAttempts=3)
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = crate::package::parse_param)]
    pub params: Vec<(String, String)>,
    /// Local copy of the template the link is for, read for its NoEcho parameters (default:
    /// cloudformation/template.yaml when it exists; needed only with --param)
    #[arg(long, value_name = "FILE")]
    pub template_file: Option<PathBuf>,
}

/// The checkout's template, the default `--template-file`.
const CHECKOUT_TEMPLATE: &str = "cloudformation/template.yaml";

/// Refuses `--param`s that name a NoEcho parameter of the template the link is for.
fn refuse_no_echo(args: &Args) -> anyhow::Result<()> {
    if args.params.is_empty() {
        return Ok(());
    }
    let template = match &args.template_file {
        Some(file) => file.clone(),
        None if Path::new(CHECKOUT_TEMPLATE).is_file() => PathBuf::from(CHECKOUT_TEMPLATE),
        None => {
            return Err(crate::common::InputError(format!(
                "--param needs the template the link is for, to refuse its NoEcho parameters: pass --template-file <file> (no {CHECKOUT_TEMPLATE} here)"
            ))
            .into());
        }
    };
    crate::package::refuse_no_echo_params(&args.params, &template, &args.stack_name)
}

/// The link, or a one-line error.
pub fn link(args: &Args) -> Result<String, Error> {
    validate_template_url(&args.template_url)?;
    validate_stack_name(&args.stack_name)?;
    let region = match &args.region {
        Some(region) => region.clone(),
        None => region_of_s3_url(&args.template_url)
            .or_else(|| env_region("AWS_REGION"))
            .or_else(|| env_region("AWS_DEFAULT_REGION"))
            .ok_or(Error::NoRegion)?,
    };
    validate_region(&region)?;
    Ok(quick_create_url(
        &region,
        &args.template_url,
        &args.stack_name,
        &args.params,
    ))
}

fn env_region(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Runs the command: the URL alone on stdout.
pub fn run(args: Args) -> anyhow::Result<()> {
    crate::common::check_wait_params(&args.params)?;
    refuse_no_echo(&args)?;
    let url = link(&args).map_err(crate::package::classify)?;
    match (&args.region, region_of_s3_url(&args.template_url)) {
        (Some(given), Some(of_url)) if *given != of_url => eprintln!(
            "note: the template is in {of_url}, the stack would be in {given}; the Lambda code must be in a bucket of {given}"
        ),
        _ => {}
    }
    println!("{url}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Args {
        crate::common::try_parse_args(argv).expect("parses")
    }

    #[test]
    fn region_comes_from_the_template_url() {
        let args = parse(&[
            "--template-url",
            "https://ecs-rerun-releases-cn-north-1.s3.cn-north-1.amazonaws.com.cn/ecs-rerun/v1.2.3/template.yaml",
            "--stack-name",
            "rerun",
            "--param",
            "RetryableReasons=AGENT,RESOURCE:MEMORY",
        ]);
        assert_eq!(
            link(&args).expect("link"),
            "https://console.amazonaws.cn/cloudformation/home?region=cn-north-1#/stacks/create/review\
             ?templateURL=https%3A%2F%2Fecs-rerun-releases-cn-north-1.s3.cn-north-1.amazonaws.com.cn%2Fecs-rerun%2Fv1.2.3%2Ftemplate.yaml\
             &stackName=rerun&param_RetryableReasons=AGENT%2CRESOURCE%3AMEMORY"
        );
    }

    #[test]
    fn explicit_region_wins() {
        let args = parse(&[
            "--template-url",
            "https://b.s3.eu-west-1.amazonaws.com/template.yaml",
            "--region",
            "us-gov-west-1",
        ]);
        assert!(
            link(&args)
                .expect("link")
                .starts_with("https://console.amazonaws-us-gov.com/cloudformation/home?region=us-gov-west-1#/stacks/create/review?templateURL=")
        );
    }

    #[test]
    fn bad_input_is_one_line() {
        for (argv, want) in [
            (
                vec!["--template-url", "s3://b/t.yaml", "--region", "eu-west-1"],
                "invalid --template-url \"s3://b/t.yaml\"",
            ),
            (
                vec![
                    "--template-url",
                    "https://b.s3.eu-west-1.amazonaws.com/t",
                    "--region",
                    "moon",
                ],
                "invalid region \"moon\"",
            ),
            (
                vec![
                    "--template-url",
                    "https://b.s3.eu-west-1.amazonaws.com/t",
                    "--stack-name",
                    "9",
                ],
                "invalid stack name \"9\"",
            ),
        ] {
            let err = link(&parse(&argv)).expect_err(want).to_string();
            assert!(err.starts_with(want), "{err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn a_no_echo_param_is_refused_from_the_template_file() {
        let template =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../cloudformation/template.yaml");
        let template = template.to_str().expect("utf-8 path");
        let url = "https://b.s3.eu-west-1.amazonaws.com/t.yaml";
        let args = parse(&[
            "--template-url",
            url,
            "--template-file",
            template,
            "--param",
            "SlackWebhookUrl=https://hooks.slack.com/services/T000/B000/XXXX",
        ]);
        let err = run(args).expect_err("refused");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
        assert!(
            err.to_string().starts_with("SlackWebhookUrl is NoEcho"),
            "{err}"
        );

        let ok = parse(&[
            "--template-url",
            url,
            "--template-file",
            template,
            "--param",
            "MaxAttempts=3",
        ]);
        assert!(refuse_no_echo(&ok).is_ok());
        let missing = parse(&[
            "--template-url",
            url,
            "--template-file",
            "/nonexistent/t.yaml",
            "--param",
            "MaxAttempts=3",
        ]);
        let err = refuse_no_echo(&missing).expect_err("no file");
        assert_eq!(crate::common::exit_code(&err), crate::common::EXIT_INPUT);
        assert!(
            err.to_string().starts_with("missing /nonexistent/t.yaml"),
            "{err}"
        );
    }
}
