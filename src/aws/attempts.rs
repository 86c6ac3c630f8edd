//! How many attempts a failed call took. The SDK retries throttling and
//! transient errors by itself and then returns only the last answer; an
//! error that says "Rate exceeded" without saying it was the third try
//! reads like a first failure. [`Recorder`] puts the orchestrator's own
//! attempt count on the final answer as a header, which
//! [`super::AwsError::from_sdk`] reads back.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::config_bag::ConfigBag;

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
        let attempts = cfg.load::<RequestAttempts>().map(RequestAttempts::attempts);
        if let (Some(n), Some(response)) = (attempts, context.response_mut()) {
            response.headers_mut().insert(HEADER, n.to_string());
        }
        Ok(())
    }
}

/// The attempt count [`Recorder`] left on `response`, if any.
pub(super) fn read(response: &Response) -> Option<u32> {
    response.headers().get(HEADER)?.parse().ok()
}
