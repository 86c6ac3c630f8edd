//! The shared SDK configuration: region, endpoint override, retries, and
//! the timeouts that bound every call.

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, retry::RetryConfig};

use crate::policy::Timeouts;

/// Where and how to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct Endpoint {
    /// Region; the standard chain (`AWS_REGION`, profile) when None.
    pub region: Option<String>,
    /// Endpoint override (e.g. a moto server); the standard resolution when None.
    pub url: Option<String>,
    /// Maximum attempts per call, retries included (SDK adaptive retry
    /// mode: exponential backoff with jitter, and a client-side rate limit
    /// after throttling); the SDK default (3) when None.
    pub max_attempts: Option<u32>,
}

/// Loads the shared SDK configuration once; clients are cheap to build from it.
/// Every call is bounded by the default [`Timeouts`] (no call waits
/// forever); [`with_timeouts`] applies a policy's own.
pub async fn load_config(endpoint: &Endpoint) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &endpoint.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &endpoint.url {
        loader = loader.endpoint_url(url.clone());
    }
    // Adaptive: exponential backoff as in standard mode, and after a
    // throttling answer a client-side rate limit, so a run acting on many
    // resources at once slows to what AWS accepts instead of failing.
    let retry = RetryConfig::adaptive().with_max_attempts(endpoint.max_attempts.unwrap_or(3));
    loader
        .retry_config(retry)
        .timeout_config(timeout_config(&Timeouts::default()))
        .load()
        .await
}

/// `sdk` with `timeouts` on every call of the clients built from it:
/// connect, read (the next bytes of an answer), one attempt, and the whole
/// call with its retries.
pub fn with_timeouts(sdk: &aws_config::SdkConfig, timeouts: &Timeouts) -> aws_config::SdkConfig {
    sdk.to_builder()
        .timeout_config(timeout_config(timeouts))
        .build()
}

fn timeout_config(t: &Timeouts) -> TimeoutConfig {
    let [connect, read, attempt, call, _run] = t.durations();
    TimeoutConfig::builder()
        .connect_timeout(connect)
        .read_timeout(read)
        .operation_attempt_timeout(attempt)
        .operation_timeout(call)
        .build()
}

/// The Price List Query API's configuration: `sdk` (credentials, endpoint
/// override, retries) in `region`. The API is served from us-east-1,
/// eu-central-1 and ap-south-1 only, whatever region the estate is in.
pub fn pricing_config(sdk: &aws_config::SdkConfig, region: &str) -> aws_config::SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}
