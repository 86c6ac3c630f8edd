//! The one shell every function's `main` is: logs, configuration, the cold
//! start, then each invocation handed to its [`Handler`] under the
//! Lambda's deadline. A function's crate under `lambdas/` is one line:
//! `tidegate::lambda::serve("alarm", |_| alarm::Alarm).await`.

use chrono::Utc;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use super::{Config, Function, HandlerError, within_deadline};

/// What a function's `main` returns (the Lambda runtime's error).
pub use lambda_runtime::Error;

/// What one function does with an event: the four are
/// [`super::alarm::Alarm`], [`super::scheduler::Scheduler`],
/// [`super::spot::Spot`] and `budget::Budget` (feature `cost-explorer`).
pub trait Handler {
    /// Answers `event` (invocation `request_id`, at `now`) with what
    /// `function` built at its cold start.
    fn handle(
        &self,
        function: &Function,
        event: &Value,
        request_id: &str,
        now: chrono::DateTime<Utc>,
    ) -> impl std::future::Future<Output = Result<Value, HandlerError>>;
}

/// Starts function `name` and serves its invocations until the runtime
/// stops: [`start`], then `handler` (made from the cold-started function,
/// for a handler with clients of its own) answers each event, its runs
/// bounded by the invocation's deadline (see [`within_deadline`]) so a run
/// can say it stopped and give its claim back before Lambda kills it.
pub async fn serve<H: Handler>(
    name: &'static str,
    handler: impl FnOnce(&Function) -> H,
) -> Result<(), Error> {
    let function = start(name).await?;
    let handler = handler(&function);
    let (function, handler) = (&function, &handler);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline;
        let answer = handler.handle(
            function,
            &event.payload,
            &event.context.request_id,
            Utc::now(),
        );
        within_deadline(deadline, answer).await.map_err(Error::from)
    }))
    .await
}

/// What every function's `main` does before serving events: JSON logs on
/// stdout (level from `TIDEGATE_LOG`: `error`, `warn`, `info` (default),
/// `debug` or `trace`), the
/// configuration from the environment, the SDK configuration from the
/// standard chain (the Lambda's role), and the cold start.
pub async fn start(name: &'static str) -> Result<Function, HandlerError> {
    let level = std::env::var("TIDEGATE_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing::Level>().ok())
        .unwrap_or(tracing::Level::INFO);
    // A second subscriber (tests) is not an error worth stopping for.
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(level)
        .with_writer(std::io::stdout)
        .try_init();
    let config = Config::from_env(|k| std::env::var(k).ok()).inspect_err(|e| {
        tracing::error!(function = name, error = %e, "cannot start: {e}");
    })?;
    let sdk = crate::aws::load_config(&crate::aws::Endpoint::default()).await;
    Ok(Function::cold_start(name, &config, &sdk).await)
}
