//! The `guardrails.timeouts` block: how long any AWS call, and a whole run,
//! may take.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::Span;

/// How long tidegate waits for AWS before it gives up. Every field is
/// optional; the defaults suit AWS's public endpoints. Each must be at
/// most the next: `connect` ≤ `read` ≤ `attempt` ≤ `call` ≤ `run`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsSpec {
    /// Opening a connection to an endpoint (default `5s`; `1s` to `1m`).
    #[serde(default)]
    pub connect: Option<Span>,
    /// Waiting for the next bytes of an answer (default `30s`; `1s` to `5m`).
    #[serde(default)]
    pub read: Option<Span>,
    /// One attempt of a call, connection to last byte (default `40s`; `1s`
    /// to `10m`).
    #[serde(default)]
    pub attempt: Option<Span>,
    /// One call, every retry and its backoff included (default `2m`; `1s`
    /// to `15m`).
    #[serde(default)]
    pub call: Option<Span>,
    /// A whole run of `tidegate apply` or of a Lambda (default `30m`; `1m`
    /// to `6h`). A Lambda also stops before its own deadline, whichever
    /// comes first.
    #[serde(default)]
    pub run: Option<Span>,
}
