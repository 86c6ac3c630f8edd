//! AWS errors, classified once: what the engine needs to know to decide
//! whether to retry, skip or report, with the call, the resource and AWS's
//! own code and message kept for the operator. No SDK type here: it is
//! the ports' error, named by the pure modules (fakes, backtest) without
//! the `aws` feature; `crate::aws`'s `sdk_error` turns an SDK error into one.

use std::fmt;

/// What kind of failure it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist.
    NotFound,
    /// The resource is in a state that does not allow the call.
    InvalidState,
    /// AWS throttled the call (after the SDK's own retries).
    Throttled,
    /// Credentials or permissions.
    AccessDenied,
    /// Timeouts, dispatch failures, 5xx: may succeed later.
    Transient,
    /// Anything else AWS refused (validation, unsupported value, ...).
    Other,
}

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AwsError {
    /// Service, e.g. `rds`.
    pub service: &'static str,
    /// Operation, e.g. `ModifyDBInstance`.
    pub operation: &'static str,
    /// The resource the call was about (empty for describes).
    pub resource: String,
    /// Classification.
    pub kind: ErrorKind,
    /// AWS's error code, when it gave one.
    pub code: Option<String>,
    /// AWS's message, or the transport's.
    pub message: String,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.service, self.operation)?;
        if !self.resource.is_empty() {
            write!(f, " on {}", self.resource)?;
        }
        match &self.code {
            Some(code) => write!(f, " failed: {code}: {}", self.message),
            None => write!(f, " failed: {}", self.message),
        }
    }
}

impl AwsError {
    /// An error found by the adapter itself (a missing field in a response).
    pub fn malformed(
        service: &'static str,
        operation: &'static str,
        what: impl Into<String>,
    ) -> Self {
        AwsError {
            service,
            operation,
            resource: String::new(),
            kind: ErrorKind::Other,
            code: None,
            message: what.into(),
        }
    }
}

/// Maps AWS error codes of the services tidegate uses to a kind.
pub fn classify_code(code: Option<&str>) -> ErrorKind {
    let Some(code) = code else {
        return ErrorKind::Other;
    };
    let c = code.to_ascii_lowercase();
    if c.contains("notfound")
        || c.ends_with("notfoundfault")
        || c == "resourcenotfoundexception"
        || c.starts_with("nosuch")
    {
        ErrorKind::NotFound
    } else if c.starts_with("invalid") && c.contains("state")
        || c == "conflictexception"
        || c == "resourceinuse"
        || c == "scalingactivityinprogress"
    {
        ErrorKind::InvalidState
    } else if c.contains("throttl")
        || c == "requestlimitexceeded"
        || c == "toomanyrequestsexception"
        || c == "slowdown"
        || c == "provisionedthroughputexceededexception"
    {
        ErrorKind::Throttled
    } else if c.contains("accessdenied")
        || c == "unauthorizedoperation"
        || c.contains("unrecognizedclient")
        || c == "invalidclienttokenid"
        || c == "expiredtoken"
    {
        ErrorKind::AccessDenied
    } else if c.contains("internal") || c.contains("serviceunavailable") {
        ErrorKind::Transient
    } else {
        ErrorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_codes_the_services_send() {
        for (code, kind) in [
            ("DBInstanceNotFound", ErrorKind::NotFound),
            ("DBClusterNotFoundFault", ErrorKind::NotFound),
            ("ReplicationGroupNotFoundFault", ErrorKind::NotFound),
            ("NotFoundException", ErrorKind::NotFound),
            ("NoSuchKey", ErrorKind::NotFound),
            ("NoSuchBucket", ErrorKind::NotFound),
            (
                "ProvisionedThroughputExceededException",
                ErrorKind::Throttled,
            ),
            ("InvalidDBInstanceState", ErrorKind::InvalidState),
            ("InvalidReplicationGroupState", ErrorKind::InvalidState),
            ("ConflictException", ErrorKind::InvalidState),
            ("ScalingActivityInProgress", ErrorKind::InvalidState),
            ("Throttling", ErrorKind::Throttled),
            ("ThrottlingException", ErrorKind::Throttled),
            ("TooManyRequestsException", ErrorKind::Throttled),
            ("AccessDenied", ErrorKind::AccessDenied),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("InternalFailure", ErrorKind::Transient),
            ("InvalidParameterCombination", ErrorKind::Other),
        ] {
            assert_eq!(classify_code(Some(code)), kind, "{code}");
        }
        assert_eq!(classify_code(None), ErrorKind::Other);
    }

    #[test]
    fn display_names_call_resource_code_and_message() {
        let e = AwsError {
            service: "rds",
            operation: "ModifyDBInstance",
            resource: "billing-db".into(),
            kind: ErrorKind::Other,
            code: Some("InvalidParameterCombination".into()),
            message: "db.x9.huge is not a valid class".into(),
        };
        assert_eq!(
            e.to_string(),
            "rds ModifyDBInstance on billing-db failed: InvalidParameterCombination: db.x9.huge is not a valid class"
        );
    }
}
