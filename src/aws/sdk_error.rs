//! An SDK error read into an [`AwsError`] (feature `aws`): its code, its
//! HTTP status, the transport's cause, a credentials problem, and how many
//! attempts the SDK made.

use std::fmt;
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{AwsError, ErrorKind, classify_code};

impl AwsError {
    /// Classifies an SDK error from `service`'s `operation` on `resource`.
    pub fn from_sdk<E>(
        service: &'static str,
        operation: &'static str,
        resource: &str,
        err: SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let Some(why) = credentials_problem(&err) {
            return AwsError {
                service,
                operation,
                resource: resource.to_owned(),
                kind: ErrorKind::AccessDenied,
                code: None,
                message: format!(
                    "no AWS credentials could be loaded ({why}); the call was not sent. \
                     Give the environment credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
                     or a role)"
                ),
            };
        }
        let attempts = attempts_made(&err);
        let timed_out = match &err {
            SdkError::TimeoutError(_) => true,
            SdkError::DispatchFailure(d) => d.is_timeout(),
            _ => false,
        };
        let (kind, code, message) = match &err {
            SdkError::ServiceError(service_err) => {
                let e = service_err.err();
                let status = service_err.raw().status().as_u16();
                let code = e.code().map(str::to_owned);
                match (code, e.message()) {
                    (Some(code), message) => {
                        let message = message.map_or_else(|| e.to_string(), str::to_owned);
                        (classify_code(Some(&code)), Some(code), message)
                    }
                    // No AWS error code: judge by the HTTP status alone.
                    (None, message) => {
                        let kind = if status >= 500 {
                            ErrorKind::Transient
                        } else {
                            ErrorKind::Other
                        };
                        let detail = message.map_or_else(|| e.to_string(), str::to_owned);
                        (
                            kind,
                            None,
                            format!("HTTP {status} without an AWS error code: {detail}"),
                        )
                    }
                }
            }
            SdkError::TimeoutError(_) => (
                ErrorKind::Transient,
                None,
                match std::error::Error::source(&err) {
                    Some(e) => format!("no answer in time: {}", causes(e)),
                    None => "no answer in time".to_owned(),
                },
            ),
            SdkError::DispatchFailure(d) => {
                let detail = d
                    .as_connector_error()
                    .map_or_else(|| format!("{d:?}"), |e| causes(e));
                let message = if d.is_timeout() {
                    format!("no answer in time: {detail}")
                } else if d.is_io() {
                    format!("could not reach the endpoint: {detail}")
                } else {
                    format!("the request could not be sent: {detail}")
                };
                (ErrorKind::Transient, None, message)
            }
            SdkError::ResponseError(r) => (
                ErrorKind::Transient,
                None,
                format!("unreadable response: {r:?}"),
            ),
            other => (ErrorKind::Other, None, format!("{other}")),
        };
        let message = match attempts {
            Some((n, Some(limit))) if n > 1 && timed_out => {
                format!("{message} (after {n} attempts, attempt timeout {limit:?})")
            }
            Some((n, _)) if n > 1 => format!("{message} (after {n} attempts)"),
            _ => message,
        };
        AwsError {
            service,
            operation,
            resource: resource.to_owned(),
            kind,
            code,
            message,
        }
    }
}

/// What the credentials chain said, when the call failed for want of
/// credentials (the SDK reports that as a dispatch failure, which read as
/// "could not reach the endpoint").
fn credentials_problem<E, R>(err: &SdkError<E, R>) -> Option<String>
where
    E: std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
        {
            return Some(causes(c));
        }
        next = e.source();
    }
    None
}

/// How many attempts the SDK made, where the answer says, or the error
/// that came without one (see `super::attempts::Recorder`); and, for the
/// latter, the limit on each attempt.
fn attempts_made<E>(err: &SdkError<E, HttpResponse>) -> Option<(u32, Option<Duration>)>
where
    E: std::error::Error + 'static,
{
    let raw = match err {
        SdkError::ServiceError(e) => e.raw(),
        SdkError::ResponseError(e) => e.raw(),
        _ => {
            return super::attempts::find(err).map(|c| (c.attempts, c.attempt_timeout));
        }
    };
    super::attempts::read(raw).map(|n| (n, None))
}

/// An error and its causes, outermost first, as one line (`io error:
/// tcp connect error: Connection refused (os error 111)`).
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut next = Some(e);
    while let Some(cause) = next {
        // The attempt count is said once, at the end of the message.
        if let Some(counted) = cause.downcast_ref::<super::attempts::Counted>() {
            next = counted.cause();
            continue;
        }
        let text = cause.to_string();
        if out.is_empty() {
            out = text;
        } else if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service_error(
        status: u16,
        meta: aws_smithy_types::error::ErrorMetadata,
    ) -> SdkError<
        aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError,
        HttpResponse,
    > {
        let raw = HttpResponse::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(status).expect("valid status"),
            aws_smithy_types::body::SdkBody::empty(),
        );
        SdkError::service_error(
            aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError::generic(meta),
            raw,
        )
    }

    #[test]
    fn a_5xx_without_a_code_is_transient_and_names_the_status() {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .message("boom")
            .build();
        let e = AwsError::from_sdk("rds", "DescribeDBInstances", "", service_error(503, meta));
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("HTTP 503"), "{}", e.message);
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .message("bad")
            .build();
        let e = AwsError::from_sdk("rds", "DescribeDBInstances", "", service_error(400, meta));
        assert_eq!(e.kind, ErrorKind::Other);
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("Throttling")
            .message("Rate exceeded")
            .build();
        let e = AwsError::from_sdk("rds", "DescribeDBInstances", "", service_error(400, meta));
        assert_eq!(
            (e.kind, e.code.as_deref()),
            (ErrorKind::Throttled, Some("Throttling"))
        );
        assert_eq!(e.message, "Rate exceeded");
    }
}
