//! The fault proxy (`tests/faults/proxy.py`) from the tests: started in
//! front of a dedicated moto server, given one schedule per run, asked what
//! it saw.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::support::{MotoServer, python};

const PROXY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/faults/proxy.py");
const READY: &str = "tidegate-fault-proxy ready on ";

/// Which faults one run meets (see `tests/faults/proxy.py`).
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    /// Decides which request gets which fault.
    pub seed: String,
    /// Fault kind (`drop`, `reset`, `delay`, `status5xx`, `throttle`) → the
    /// share of requests that get it.
    pub mix: BTreeMap<String, f64>,
    /// How long a `delay` waits.
    pub delay_ms: u64,
    /// Faults only on calls that change something.
    pub mutating_only: bool,
    /// Hold the K-th mutating request, for the driver to kill the run.
    pub kill_at: Option<u32>,
    /// `after` (moto carried it out) or `before` (not forwarded).
    pub kill_mode: String,
}

/// A mutating request moto received.
#[derive(Debug, Clone, Deserialize)]
pub struct Mutation {
    /// The operation.
    pub operation: String,
    /// The request path and the start of its body: names the resource.
    pub subject: String,
    /// Hash of the body: a retry sends the same one.
    pub body_sha: String,
    /// moto's HTTP status (2xx: carried out).
    pub status: u16,
    /// The fault the proxy applied, if any.
    pub fault: Option<String>,
}

/// What the proxy saw since the schedule was set.
#[derive(Debug, Clone, Deserialize)]
pub struct ProxyState {
    /// A request is held at the kill point.
    pub held: bool,
    /// AWS requests seen.
    pub requests: u64,
    /// Faults injected, per kind.
    pub injected: BTreeMap<String, u64>,
    /// The mutating requests forwarded to moto.
    pub mutations: Vec<Mutation>,
}

/// A running fault proxy; stopped when dropped.
pub struct FaultProxy {
    url: String,
    log: PathBuf,
    child: Child,
}

impl FaultProxy {
    /// Starts a proxy in front of `moto`.
    pub fn start(moto: &MotoServer) -> FaultProxy {
        let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "fault-proxy-{}-{}.log",
            std::process::id(),
            crate::support::unique("p")
        ));
        let log_file =
            File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let mut child = Command::new(python())
            .arg(PROXY)
            .arg(moto.url())
            .arg("0")
            .env("PYTHONUNBUFFERED", "1")
            .env("TIDEGATE_MOTO_PARENT", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("start {PROXY}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {} // keep the pipe drained
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Ok(line))) if line.starts_with(READY) => line[READY.len()..].trim().to_owned(),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "fault proxy did not start ({other:?}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        FaultProxy { url, log, child }
    }

    /// `http://127.0.0.1:PORT`: the endpoint for the runs under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// SDK configuration through the proxy (us-east-1, test credentials,
    /// `max_attempts` attempts per call).
    pub async fn sdk_config(&self, max_attempts: u32) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_rds::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(max_attempts),
            )
            .load()
            .await
    }

    /// A new schedule; the proxy's counters restart.
    pub fn schedule(&self, schedule: &Schedule) {
        let body = serde_json::to_string(schedule).expect("schedule as JSON");
        self.http("POST", "/faultproxy/schedule", &body);
    }

    /// What the proxy saw since the schedule was set.
    pub fn state(&self) -> ProxyState {
        let text = self.http("GET", "/faultproxy/state", "");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("fault proxy state: {e}: {text}"))
    }

    /// Drops the held request (its client was killed).
    pub fn release(&self) {
        self.http("POST", "/faultproxy/release", "{}");
    }

    fn http(&self, method: &str, path: &str, body: &str) -> String {
        let addr = self.url.trim_start_matches("http://");
        let exchange = || -> std::io::Result<String> {
            let mut stream = TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            write!(
                stream,
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            let ok = response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200");
            let payload = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
            if ok {
                Ok(payload.to_owned())
            } else {
                Err(std::io::Error::other(response.clone()))
            }
        };
        exchange().unwrap_or_else(|e| {
            panic!(
                "fault proxy {method} {path}: {e}; its log: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            )
        })
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}
