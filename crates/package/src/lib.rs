//! ecs-rerun packaging: publish a release (the four Lambda zips, the state machine definition and a
//! deployable CloudFormation template) to S3, and build the console's quick-create link for it in
//! any region of any partition.
//!
//! - [`links`]: quick-create links and S3 object URLs (pure).
//! - [`args`]: checks of the arguments: region, bucket, key prefix, stack name, `--param`,
//!   template URL, the template's `NoEcho` parameters that a link cannot carry (pure).
//! - [`template`]: sets the template's `ArtifactBucket` / `ArtifactPrefix` defaults, textually.
//! - [`publish`]: the upload (aws-config + aws-sdk-s3, honouring the usual AWS environment).
//!
//! Bucket layout (one release = one prefix):
//! ```text
//! s3://<bucket>/<prefix>ecs-rerun-starter.zip
//! s3://<bucket>/<prefix>ecs-rerun-notifier.zip
//! s3://<bucket>/<prefix>ecs-rerun-recorder.zip   the watchdog's two (package ecs-rerun-watchdog)
//! s3://<bucket>/<prefix>ecs-rerun-watchdog.zip
//! s3://<bucket>/<prefix>rerun.asl.json
//! s3://<bucket>/<prefix>template.yaml      ArtifactBucket/ArtifactPrefix default to <bucket>/<prefix>
//! ```

pub mod args;
pub mod error;
pub mod links;
pub mod publish;
pub mod template;

pub use args::{
    no_echo_parameters, normalize_prefix, parse_param, refuse_no_echo, validate_bucket,
    validate_region, validate_stack_name, validate_template_url,
};
pub use error::Error;
pub use links::{quick_create_url, region_of_s3_url, s3_object_url};
pub use publish::{Artifacts, Published, Request, package, package_with_config};
