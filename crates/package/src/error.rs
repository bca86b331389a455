//! The packaging crate's one error type. Messages are one line and name the problem; each variant
//! has a stable name ([`Error::error_type`]).

use std::path::PathBuf;

/// Everything that can go wrong while checking inputs, building links or publishing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Lambda zip that `cargo lambda build` should have produced is not there.
    #[error(
        "missing {}: run cargo lambda build --release --arm64 --output-format zip first",
        .0.display()
    )]
    MissingZip(PathBuf),
    /// A source file of the checkout (state machine, template) is not there.
    #[error("missing {}: run from the root of the ecs-rerun checkout (or pass --root)", .0.display())]
    MissingFile(PathBuf),
    /// A file exists but could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A command-line or API argument is malformed; names the argument and the problem.
    #[error("invalid {what} {value:?}: {problem}")]
    Invalid {
        /// Which argument, e.g. `--bucket`.
        what: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// No region was given and none is configured.
    #[error(
        "no AWS region: pass --region or set AWS_REGION (or a region in the AWS config profile)"
    )]
    NoRegion,
    /// The template cannot be edited as asked (no such parameter, flow style, …).
    #[error("cannot set the default of template parameter {name}: {problem}")]
    Template {
        /// The parameter.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A `--param` names a `NoEcho` parameter, which CloudFormation ignores in a quick-create link.
    #[error(
        "{name} is NoEcho: a quick-create link cannot carry it (CloudFormation ignores NoEcho parameters in links); {}",
        no_echo_hint(name, stack_name)
    )]
    NoEchoParameter {
        /// The parameter.
        name: String,
        /// The stack the link is for (named in the hint).
        stack_name: String,
    },
    /// An S3 upload failed (the SDK's message, one line).
    #[error("uploading s3://{bucket}/{key} failed: {message}")]
    Upload {
        /// Target bucket.
        bucket: String,
        /// Target key.
        key: String,
        /// The SDK's error, with its context.
        message: String,
    },
}

impl Error {
    /// Stable error-type name, e.g. `EcsRerun.MissingZip`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::MissingZip(_) => "EcsRerun.MissingZip",
            Error::MissingFile(_) => "EcsRerun.MissingFile",
            Error::Read { .. } => "EcsRerun.Read",
            Error::Invalid { .. } => "EcsRerun.InvalidArgument",
            Error::NoRegion => "EcsRerun.NoRegion",
            Error::Template { .. } => "EcsRerun.Template",
            Error::NoEchoParameter { .. } => "EcsRerun.NoEchoParameter",
            Error::Upload { .. } => "EcsRerun.Upload",
        }
    }
}

/// How to set a NoEcho parameter instead: on the stack once it exists (or, for the webhook, through
/// Secrets Manager, which keeps the URL out of the stack altogether).
fn no_echo_hint(name: &str, stack_name: &str) -> String {
    let update = format!(
        "after creating the stack set it with `aws cloudformation update-stack --stack-name {stack_name} --use-previous-template --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameters ParameterKey={name},ParameterValue=<value>` (plus ParameterKey=<each other>,UsePreviousValue=true)"
    );
    if name == "SlackWebhookUrl" {
        format!(
            "store the URL in Secrets Manager and pass --param SlackWebhookSecret=<secret name or ARN>, or {update}"
        )
    } else {
        update
    }
}
