//! How many attempts a failed call took. The SDK retries throttling and
//! transient errors by itself and then returns only the last answer; an
//! error that says "Rate exceeded" without saying it was the third try
//! reads like a first failure. [`Recorder`] puts the orchestrator's own
//! attempt count on the final answer as a header, which
//! [`super::AwsError::from_sdk`] reads back. A call that ends without an
//! answer (a timeout, a connection that failed) has no header to carry it:
//! its error is wrapped in [`Counted`] instead, keeping its kind.

use std::fmt;
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    Error as ErasedError, FinalizerInterceptorContextMut,
};
use aws_smithy_runtime_api::client::orchestrator::OrchestratorError;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::timeout::TimeoutConfig;

/// The header the count travels in (never sent to AWS: it is added to the
/// answer after the call).
const HEADER: &str = "x-tidegate-attempts";

/// Records the attempt count on each call's final answer. Every adapter's
/// client carries it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recorder;

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "tidegate-attempts"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(n) = cfg.load::<RequestAttempts>().map(RequestAttempts::attempts) else {
            return Ok(());
        };
        if let Some(response) = context.response_mut() {
            response.headers_mut().insert(HEADER, n.to_string());
            return Ok(());
        }
        let attempt_timeout = cfg
            .load::<TimeoutConfig>()
            .and_then(TimeoutConfig::operation_attempt_timeout);
        if let Some(Err(e)) = context.output_or_error_mut() {
            let inner = std::mem::replace(e, OrchestratorError::other("counted"));
            *e = count(inner, n, attempt_timeout);
        }
        Ok(())
    }
}

/// `inner` wrapped with its attempt count, of the same kind (a timeout
/// stays a timeout, a connector error keeps its class); any other kind is
/// returned as it is.
fn count(
    inner: OrchestratorError<ErasedError>,
    attempts: u32,
    attempt_timeout: Option<Duration>,
) -> OrchestratorError<ErasedError> {
    enum Kind {
        Timeout,
        Io,
        User,
        Other(Option<aws_smithy_types::retry::ErrorKind>),
    }
    let kind = if inner.is_timeout_error() {
        None
    } else if let Some(c) = inner.as_connector_error() {
        Some(if c.is_timeout() {
            Kind::Timeout
        } else if c.is_io() {
            Kind::Io
        } else if c.is_user() {
            Kind::User
        } else {
            Kind::Other(c.as_other())
        })
    } else {
        return inner;
    };
    let counted: BoxError = Box::new(Counted {
        attempts,
        attempt_timeout,
        inner,
    });
    match kind {
        None => OrchestratorError::timeout(counted),
        Some(Kind::Timeout) => OrchestratorError::connector(ConnectorError::timeout(counted)),
        Some(Kind::Io) => OrchestratorError::connector(ConnectorError::io(counted)),
        Some(Kind::User) => OrchestratorError::connector(ConnectorError::user(counted)),
        Some(Kind::Other(k)) => OrchestratorError::connector(ConnectorError::other(counted, k)),
    }
}

/// A call's error that came without an answer, and how many attempts were
/// made before it.
#[derive(Debug)]
pub(super) struct Counted {
    /// Attempts made, the last included.
    pub(super) attempts: u32,
    /// The limit on each attempt, when one was set.
    pub(super) attempt_timeout: Option<Duration>,
    inner: OrchestratorError<ErasedError>,
}

impl Counted {
    /// The error the call ended with, below the orchestrator's own layer
    /// (whose text, "timeout" or "connector error", says nothing more).
    pub(super) fn cause(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.inner)
    }
}

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "after {} attempts", self.attempts)
    }
}

impl std::error::Error for Counted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause()
    }
}

/// The attempt count [`Recorder`] left on `response`, if any.
pub(super) fn read(response: &Response) -> Option<u32> {
    response.headers().get(HEADER)?.parse().ok()
}

/// The [`Counted`] wrapper in `err`'s chain, if any.
pub(super) fn find<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a Counted> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(c) = e.downcast_ref::<Counted>() {
            return Some(c);
        }
        next = e.source();
    }
    None
}
