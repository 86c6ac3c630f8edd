//! The [`PolicyStorePort`] adapter on `aws-sdk-s3`: the policy file
//! Terraform puts in a bucket, read whole with GetObject. A missing bucket
//! or key is [`ErrorKind::NotFound`], named `s3://bucket/key`.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::operation::get_object::GetObjectError;

use super::{AwsError, ErrorKind};
use crate::ports::PolicyStorePort;

const SERVICE: &str = "s3";
const OPERATION: &str = "GetObject";

/// Policy files in S3.
#[derive(Debug, Clone)]
pub struct S3PolicyStore {
    client: Client,
}

impl S3PolicyStore {
    /// A client on the shared configuration (region, credentials, endpoint,
    /// retries).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        S3PolicyStore {
            client: Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
        }
    }
}

#[async_trait]
impl PolicyStorePort for S3PolicyStore {
    async fn read(&self, bucket: &str, key: &str) -> Result<String, AwsError> {
        let url = format!("s3://{bucket}/{key}");
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let missing = e
                    .as_service_error()
                    .is_some_and(GetObjectError::is_no_such_key)
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                let mut err = AwsError::from_sdk(SERVICE, OPERATION, &url, e);
                // NoSuchKey may come without a code in the body (a bare 404).
                if missing {
                    err.kind = ErrorKind::NotFound;
                }
                err
            })?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| AwsError {
                service: SERVICE,
                operation: OPERATION,
                resource: url.clone(),
                // The connection broke while the body streamed in.
                kind: ErrorKind::Transient,
                code: None,
                message: format!("reading the object's body failed: {e}"),
            })?
            .into_bytes();
        String::from_utf8(bytes.to_vec()).map_err(|e| {
            let mut err = AwsError::malformed(
                SERVICE,
                OPERATION,
                format!("the object is not UTF-8 text: {e}"),
            );
            err.resource = url;
            err
        })
    }
}
