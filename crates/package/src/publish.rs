//! `ecs-rerun package`: upload the four Lambda zips, the state machine definition and a deployable
//! template to `s3://<bucket>/<prefix>`, and return the template's URL and quick-create link.
//!
//! Every local input is read (and the template's bucket and prefix set) before the first request,
//! so a missing zip never leaves a half-published release; the template goes up last, pinned to the
//! object versions S3 gave the uploads (a versioned bucket, as the release buckets are), so a
//! published template never points at objects that are not there yet, nor at a later replacement.

use std::path::{Path, PathBuf};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;

use crate::Error;
use crate::args::{normalize_prefix, validate_bucket, validate_region, validate_stack_name};
use crate::links::{quick_create_url, s3_endpoint_object_url, s3_object_url};
use crate::template::set_parameter_defaults;

/// Object name of the starter Lambda's zip (after the prefix). The template's `Code.S3Key` uses it.
pub const STARTER_ZIP_KEY: &str = "ecs-rerun-starter.zip";
/// Object name of the notifier Lambda's zip.
pub const NOTIFIER_ZIP_KEY: &str = "ecs-rerun-notifier.zip";
/// Object name of the watchdog's recorder Lambda's zip (binary `ecs-rerun-recorder` of the
/// `ecs-rerun-watchdog` package).
pub const RECORDER_ZIP_KEY: &str = "ecs-rerun-recorder.zip";
/// Object name of the watchdog Lambda's zip (binary `ecs-rerun-watchdog`).
pub const WATCHDOG_ZIP_KEY: &str = "ecs-rerun-watchdog.zip";
/// Object name of the state machine definition (`DefinitionS3Location`).
pub const STATE_MACHINE_KEY: &str = "rerun.asl.json";
/// Object name of the deployable template.
pub const TEMPLATE_KEY: &str = "template.yaml";
/// The template parameter naming the artifacts' bucket.
pub const BUCKET_PARAMETER: &str = "ArtifactBucket";
/// The template parameter naming the artifacts' key prefix.
pub const PREFIX_PARAMETER: &str = "ArtifactPrefix";
/// The template parameters pinning each artifact's S3 object version, by artifact key: filled
/// with the `VersionId` S3 answered for the upload (a versioned bucket), so replacing an object
/// never changes a deployed stack; left as they are when the bucket keeps no versions.
pub const VERSION_PARAMETERS: [(&str, &str); 5] = [
    (STARTER_ZIP_KEY, "StarterZipVersion"),
    (NOTIFIER_ZIP_KEY, "NotifierZipVersion"),
    (RECORDER_ZIP_KEY, "RecorderZipVersion"),
    (WATCHDOG_ZIP_KEY, "WatchdogZipVersion"),
    (STATE_MACHINE_KEY, "DefinitionVersion"),
];

/// Where the files to publish are on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifacts {
    /// `cargo lambda build` output of the starter.
    pub starter_zip: PathBuf,
    /// `cargo lambda build` output of the notifier.
    pub notifier_zip: PathBuf,
    /// `cargo lambda build` output of the recorder (`ecs-rerun-watchdog` package).
    pub recorder_zip: PathBuf,
    /// `cargo lambda build` output of the watchdog (`ecs-rerun-watchdog` package).
    pub watchdog_zip: PathBuf,
    /// `statemachine/rerun.asl.json`.
    pub state_machine: PathBuf,
    /// `cloudformation/template.yaml`.
    pub template: PathBuf,
}

impl Artifacts {
    /// The standard locations in a checkout at `root` whose cargo target directory is `target_dir`
    /// (`<root>/target` unless `CARGO_TARGET_DIR` says otherwise): cargo-lambda writes
    /// `<target_dir>/lambda/<binary>/bootstrap.zip`.
    pub fn in_checkout(root: &Path, target_dir: &Path) -> Self {
        let zip = |bin: &str| target_dir.join("lambda").join(bin).join("bootstrap.zip");
        Artifacts {
            starter_zip: zip("ecs-rerun-starter"),
            notifier_zip: zip("ecs-rerun-notifier"),
            recorder_zip: zip("ecs-rerun-recorder"),
            watchdog_zip: zip("ecs-rerun-watchdog"),
            state_machine: root.join("statemachine").join("rerun.asl.json"),
            template: root.join("cloudformation").join("template.yaml"),
        }
    }

    fn read(&self) -> Result<Contents, Error> {
        let read = |path: &Path, missing: fn(PathBuf) -> Error| {
            std::fs::read(path).map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => missing(path.to_path_buf()),
                _ => Error::Read {
                    path: path.to_path_buf(),
                    source,
                },
            })
        };
        let starter = read(&self.starter_zip, Error::MissingZip)?;
        let notifier = read(&self.notifier_zip, Error::MissingZip)?;
        let recorder = read(&self.recorder_zip, Error::MissingZip)?;
        let watchdog = read(&self.watchdog_zip, Error::MissingZip)?;
        let state_machine = read(&self.state_machine, Error::MissingFile)?;
        let template = read(&self.template, Error::MissingFile)?;
        let template = String::from_utf8(template).map_err(|e| Error::Read {
            path: self.template.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        Ok(Contents {
            starter,
            notifier,
            recorder,
            watchdog,
            state_machine,
            template,
        })
    }
}

struct Contents {
    starter: Vec<u8>,
    notifier: Vec<u8>,
    recorder: Vec<u8>,
    watchdog: Vec<u8>,
    state_machine: Vec<u8>,
    template: String,
}

/// What to publish where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Target bucket (must exist, in `region`: Lambda reads code only from a bucket in its region).
    pub bucket: String,
    /// Key prefix ("folder"); `""` or e.g. `ecs-rerun/v1.2.3` (a `/` is appended if missing).
    pub prefix: String,
    /// Region; `None` = the usual AWS configuration chain (`AWS_REGION`, profile, …).
    pub region: Option<String>,
    /// Stack name in the quick-create link.
    pub stack_name: String,
    /// Parameter values for the quick-create link, in order.
    pub params: Vec<(String, String)>,
}

/// What was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The region the link and the artifacts are for.
    pub region: String,
    /// The bucket.
    pub bucket: String,
    /// The normalised prefix (`""` or ending in `/`).
    pub prefix: String,
    /// The keys written, in upload order (the template last).
    pub keys: Vec<String>,
    /// The object versions pinned in the published template, `(parameter, version id)`, in
    /// upload order; empty when the bucket is not versioned.
    pub pinned_versions: Vec<(String, String)>,
    /// URL of the deployable template (behind the endpoint override, if one is configured).
    pub template_url: String,
    /// The console's quick-create link for it.
    pub quick_create_url: String,
}

/// Uploads the artifacts and returns where they went. AWS configuration comes from the usual chain
/// (environment, profile, SSO, instance role …), including an endpoint override
/// (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`), which switches S3 to path-style addressing.
/// Local problems (bad arguments, missing files) are reported before the configuration is loaded.
pub async fn package(request: &Request, artifacts: &Artifacts) -> Result<Published, Error> {
    let prepared = prepare(request, artifacts)?;
    let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
    upload(request, prepared, &sdk).await
}

/// [`package`] with a given SDK configuration (`request.region` still wins over its region).
pub async fn package_with_config(
    request: &Request,
    artifacts: &Artifacts,
    sdk: &SdkConfig,
) -> Result<Published, Error> {
    let prepared = prepare(request, artifacts)?;
    upload(request, prepared, sdk).await
}

struct Prepared {
    prefix: String,
    contents: Contents,
    template: String,
}

fn prepare(request: &Request, artifacts: &Artifacts) -> Result<Prepared, Error> {
    validate_bucket(&request.bucket)?;
    let prefix = normalize_prefix(&request.prefix)?;
    validate_stack_name(&request.stack_name)?;
    if let Some(region) = &request.region {
        validate_region(region)?;
    }
    let contents = artifacts.read()?;
    let template = set_parameter_defaults(
        &contents.template,
        &[
            (BUCKET_PARAMETER, &request.bucket),
            (PREFIX_PARAMETER, &prefix),
        ],
    )?;
    Ok(Prepared {
        prefix,
        contents,
        template,
    })
}

async fn upload(
    request: &Request,
    prepared: Prepared,
    sdk: &SdkConfig,
) -> Result<Published, Error> {
    let Prepared {
        prefix,
        contents,
        template,
    } = prepared;
    let region = match &request.region {
        Some(region) => region.clone(),
        None => sdk.region().ok_or(Error::NoRegion)?.to_string(),
    };
    validate_region(&region)?;
    let endpoint = s3_endpoint(sdk);
    let mut s3_config = aws_sdk_s3::config::Builder::from(sdk).region(Region::new(region.clone()));
    if endpoint.is_some() {
        s3_config = s3_config.force_path_style(true);
    }
    let s3 = aws_sdk_s3::Client::from_conf(s3_config.build());

    let artifacts: [(&str, Vec<u8>, &str); 5] = [
        (STARTER_ZIP_KEY, contents.starter, "application/zip"),
        (NOTIFIER_ZIP_KEY, contents.notifier, "application/zip"),
        (RECORDER_ZIP_KEY, contents.recorder, "application/zip"),
        (WATCHDOG_ZIP_KEY, contents.watchdog, "application/zip"),
        (
            STATE_MACHINE_KEY,
            contents.state_machine,
            "application/json",
        ),
    ];
    let mut keys = Vec::with_capacity(artifacts.len() + 1);
    let mut pinned_versions = Vec::new();
    for (name, body, content_type) in artifacts {
        let (key, version) = put(&s3, &request.bucket, &prefix, name, body, content_type).await?;
        if let (Some(version), Some((_, parameter))) = (
            version,
            VERSION_PARAMETERS
                .iter()
                .find(|(artifact, _)| *artifact == name),
        ) {
            pinned_versions.push(((*parameter).to_string(), version));
        }
        keys.push(key);
    }
    // the template goes up last, pinned to exactly the objects just written
    let pins: Vec<(&str, &str)> = pinned_versions
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    let template = set_parameter_defaults(&template, &pins)?;
    let (key, _) = put(
        &s3,
        &request.bucket,
        &prefix,
        TEMPLATE_KEY,
        template.into_bytes(),
        "application/yaml",
    )
    .await?;
    keys.push(key);

    let template_key = format!("{prefix}{TEMPLATE_KEY}");
    let template_url = match &endpoint {
        Some(endpoint) => s3_endpoint_object_url(endpoint, &request.bucket, &template_key),
        None => s3_object_url(&region, &request.bucket, &template_key),
    };
    let quick_create_url =
        quick_create_url(&region, &template_url, &request.stack_name, &request.params);
    Ok(Published {
        region,
        bucket: request.bucket.clone(),
        prefix,
        keys,
        pinned_versions,
        template_url,
        quick_create_url,
    })
}

/// One `PutObject` of `<prefix><name>`; returns the key and the version id S3 gave it (only a
/// versioned bucket gives one).
async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    name: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(String, Option<String>), Error> {
    let key = format!("{prefix}{name}");
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(&key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| Error::Upload {
            bucket: bucket.to_string(),
            key: key.clone(),
            message: one_line(&DisplayErrorContext(&e).to_string()),
        })?;
    let version = out
        .version_id()
        .filter(|v| !v.is_empty() && *v != "null")
        .map(str::to_string);
    Ok((key, version))
}

/// The S3 endpoint override in force, if any: `AWS_ENDPOINT_URL_S3`, else the general one the
/// config loader resolved (`AWS_ENDPOINT_URL` or the profile's `endpoint_url`).
fn s3_endpoint(sdk: &SdkConfig) -> Option<String> {
    let ignore = std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    let service = std::env::var("AWS_ENDPOINT_URL_S3")
        .ok()
        .filter(|v| !ignore && !v.is_empty());
    service.or_else(|| sdk.endpoint_url().map(str::to_string))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            bucket: "my-bucket".to_string(),
            prefix: "ecs-rerun/v1".to_string(),
            region: Some("eu-west-1".to_string()),
            stack_name: "ecs-rerun".to_string(),
            params: vec![],
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ecs-rerun-package-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn standard_locations() {
        let a = Artifacts::in_checkout(Path::new("/src"), Path::new("/build"));
        assert_eq!(
            a.starter_zip,
            Path::new("/build/lambda/ecs-rerun-starter/bootstrap.zip")
        );
        assert_eq!(
            a.notifier_zip,
            Path::new("/build/lambda/ecs-rerun-notifier/bootstrap.zip")
        );
        assert_eq!(
            a.recorder_zip,
            Path::new("/build/lambda/ecs-rerun-recorder/bootstrap.zip")
        );
        assert_eq!(
            a.watchdog_zip,
            Path::new("/build/lambda/ecs-rerun-watchdog/bootstrap.zip")
        );
        assert_eq!(
            a.state_machine,
            Path::new("/src/statemachine/rerun.asl.json")
        );
        assert_eq!(a.template, Path::new("/src/cloudformation/template.yaml"));
    }

    /// Local problems are reported before any AWS call (no region, no credentials, no network
    /// needed to see them), one line each.
    #[tokio::test]
    async fn local_problems_fail_first_with_one_line() {
        let dir = scratch("missing");
        let artifacts = Artifacts::in_checkout(&dir, &dir.join("target"));
        let err = package(&request(), &artifacts).await.expect_err("no zips");
        assert_eq!(
            err.to_string(),
            format!(
                "missing {}/target/lambda/ecs-rerun-starter/bootstrap.zip: run cargo lambda build --release --arm64 --output-format zip first",
                dir.display()
            )
        );
        assert_eq!(err.error_type(), "EcsRerun.MissingZip");

        // Each of the four zips is needed, the watchdog package's two as much as the others.
        for (bin, next) in [
            ("ecs-rerun-starter", Some("ecs-rerun-notifier")),
            ("ecs-rerun-notifier", Some("ecs-rerun-recorder")),
            ("ecs-rerun-recorder", Some("ecs-rerun-watchdog")),
            ("ecs-rerun-watchdog", None),
        ] {
            let d = dir.join("target/lambda").join(bin);
            std::fs::create_dir_all(&d).expect("mkdir");
            std::fs::write(d.join("bootstrap.zip"), b"PK\x05\x06").expect("zip");
            if let Some(next) = next {
                let err = package(&request(), &artifacts)
                    .await
                    .expect_err("a zip missing");
                assert_eq!(
                    err.to_string(),
                    format!(
                        "missing {}/target/lambda/{next}/bootstrap.zip: run cargo lambda build --release --arm64 --output-format zip first",
                        dir.display()
                    )
                );
            }
        }
        let err = package(&request(), &artifacts).await.expect_err("no asl");
        assert_eq!(
            err.to_string(),
            format!(
                "missing {}/statemachine/rerun.asl.json: run from the root of the ecs-rerun checkout (or pass --root)",
                dir.display()
            )
        );

        std::fs::create_dir_all(dir.join("statemachine")).expect("mkdir");
        std::fs::write(dir.join("statemachine/rerun.asl.json"), b"{}").expect("asl");
        std::fs::create_dir_all(dir.join("cloudformation")).expect("mkdir");
        std::fs::write(
            dir.join("cloudformation/template.yaml"),
            "Parameters:\n  X:\n    Type: String\n",
        )
        .expect("template");
        let err = package(&request(), &artifacts)
            .await
            .expect_err("no parameter");
        assert_eq!(
            err.to_string(),
            "cannot set the default of template parameter ArtifactBucket: no such parameter in the Parameters section"
        );

        for (req, want) in [
            (
                Request {
                    bucket: "Bad_Bucket".into(),
                    ..request()
                },
                "invalid bucket \"Bad_Bucket\"",
            ),
            (
                Request {
                    prefix: "/abs".into(),
                    ..request()
                },
                "invalid prefix \"/abs\"",
            ),
            (
                Request {
                    stack_name: "1x".into(),
                    ..request()
                },
                "invalid stack name \"1x\"",
            ),
            (
                Request {
                    region: Some("Europe".into()),
                    ..request()
                },
                "invalid region \"Europe\"",
            ),
        ] {
            let err = package(&req, &artifacts).await.expect_err(want).to_string();
            assert!(err.starts_with(want), "{err}");
            assert!(!err.contains('\n'));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod version_tests {
    use super::*;

    /// Every uploaded artifact but the template is pinned by a parameter of the template.
    #[test]
    fn every_artifact_has_its_version_parameter_in_the_template() {
        let template = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cloudformation/template.yaml"),
        )
        .expect("the repository's template");
        let keys: Vec<&str> = VERSION_PARAMETERS.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                STARTER_ZIP_KEY,
                NOTIFIER_ZIP_KEY,
                RECORDER_ZIP_KEY,
                WATCHDOG_ZIP_KEY,
                STATE_MACHINE_KEY
            ]
        );
        for (key, parameter) in VERSION_PARAMETERS {
            assert!(
                template.contains(&format!("\n  {parameter}:\n    Type: String\n")),
                "the template has no parameter {parameter} (for {key})"
            );
            assert!(
                template.contains(&format!("${{ArtifactPrefix}}{key}")),
                "the template reads no {key}"
            );
        }
    }
}
