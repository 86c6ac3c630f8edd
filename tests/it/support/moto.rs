//! moto server for the AWS-protocol tests: installed into a virtualenv on
//! first use, started through `tests/moto/launcher.py` (moto plus the
//! operations, protocol and control endpoints tidegate needs), reached over
//! plain HTTP on 127.0.0.1.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_rds::config::Credentials;

const LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/launcher.py");
const REQUIREMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/requirements.txt");
/// Written into the venv once `pip install` succeeded: the requirements it
/// installed, so a changed requirements.txt reinstalls.
const MARKER: &str = "tidegate-requirements.txt";
const REGION: &str = "us-east-1";
const READY: &str = "tidegate-moto ready on ";

/// A running moto server.
pub struct MotoServer {
    url: String,
    log: PathBuf,
    dedicated: bool,
    child: Mutex<Option<Child>>,
}

impl MotoServer {
    /// The server this test binary shares, started on first use. Tests on
    /// it must give their resources unique names ([`unique`]) and must not
    /// count calls or inject faults.
    pub fn shared() -> &'static MotoServer {
        static SHARED: OnceLock<MotoServer> = OnceLock::new();
        SHARED.get_or_init(|| MotoServer::start(false))
    }

    /// A fresh server for one test (call counting, faults, reset); stopped
    /// when dropped.
    pub fn dedicated() -> MotoServer {
        MotoServer::start(true)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the server's own output goes (request log, Python tracebacks).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The endpoint for `tidegate::aws::load_config` (credentials still come
    /// from the standard chain: see [`MotoServer::cli_env`]).
    pub fn endpoint(&self) -> tidegate::aws::Endpoint {
        tidegate::aws::Endpoint {
            region: Some(REGION.to_owned()),
            url: Some(self.url.clone()),
            max_attempts: None,
        }
    }

    /// SDK configuration for this server: us-east-1, static test
    /// credentials, standard retries with 3 attempts.
    pub async fn sdk_config(&self) -> SdkConfig {
        self.sdk_config_with_attempts(3).await
    }

    /// As [`MotoServer::sdk_config`], with `max_attempts` attempts per call
    /// (1: no retry). The SDK's standard retry mode and backoff otherwise,
    /// as `tidegate::aws::load_config` sets it.
    pub async fn sdk_config_with_attempts(&self, max_attempts: u32) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.url)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .retry_config(RetryConfig::standard().with_max_attempts(max_attempts))
            .load()
            .await
    }

    /// Environment for a `tidegate` process run against this server: the
    /// endpoint, region and test credentials, and nothing from the
    /// developer's own AWS set-up.
    pub fn cli_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_SESSION_TOKEN", String::new()),
            ("AWS_PROFILE", String::new()),
            ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
    }

    /// Requests moto has answered since start (or the last reset), per
    /// service and operation; injected faults count too.
    pub fn calls(&self) -> Calls {
        let body = self.control("GET", "/tidegate/calls", None);
        let mut calls = BTreeMap::new();
        for call in body["calls"].as_array().into_iter().flatten() {
            let key = (str_field(call, "service"), str_field(call, "operation"));
            let count = call["count"].as_u64().unwrap_or(0);
            calls.insert(key, u32::try_from(count).unwrap_or(u32::MAX));
        }
        Calls(calls)
    }

    /// Zeroes the call counter.
    pub fn reset_calls(&self) {
        self.only_dedicated("reset_calls");
        self.control("POST", "/tidegate/calls/reset", Some(serde_json::json!({})));
    }

    /// The next `count` requests for `operation` (any service) fail with AWS
    /// error `code` (e.g. `Throttling`, `TooManyRequestsException`), in the
    /// service's own error shape.
    pub fn inject_fault(&self, operation: &str, code: &str, count: u32) {
        self.inject(Fault::new(operation, code).count(count));
    }

    /// Injects a fault described in full.
    pub fn inject(&self, fault: Fault) {
        self.only_dedicated("inject");
        self.control("POST", "/tidegate/faults", Some(fault.to_json()));
    }

    /// Drops the faults not used up yet.
    pub fn clear_faults(&self) {
        self.control(
            "POST",
            "/tidegate/faults/reset",
            Some(serde_json::json!({})),
        );
    }

    /// Puts an MSK cluster in `state` (moto's clusters are ACTIVE once
    /// created; AWS's are CREATING, UPDATING, ... for a while).
    pub fn set_msk_state(&self, cluster_arn: &str, state: &str) {
        self.control(
            "POST",
            "/tidegate/msk/state",
            Some(serde_json::json!({ "clusterArn": cluster_arn, "state": state })),
        );
    }

    /// Queues Cost Explorer answers through moto's own API
    /// (`POST /moto-api/static/ce/cost-and-usage-results`). Each
    /// GetCostAndUsage request whose body moto has not seen before takes
    /// the next one (a page with a NextPageToken and the request for the
    /// next page are two bodies, so two answers); a body seen before gets
    /// the same answer again; with the queue empty the answer is empty.
    /// Each item is a GetCostAndUsage response (`ResultsByTime`,
    /// `NextPageToken`, ...). Every caller pops the queue, hence dedicated
    /// servers only.
    pub fn queue_cost_and_usage(&self, responses: Vec<serde_json::Value>) {
        self.only_dedicated("queue_cost_and_usage");
        let (status, text) = self.http(
            "POST",
            "/moto-api/static/ce/cost-and-usage-results",
            Some(serde_json::json!({ "results": responses })),
        );
        assert_eq!(
            status, 201,
            "moto cost-and-usage-results: HTTP {status}: {text}"
        );
    }

    /// Clears all of moto's state (resources, not counters or faults).
    pub fn reset(&self) {
        self.only_dedicated("reset");
        self.http("POST", "/moto-api/reset", Some(serde_json::json!({})));
    }

    fn only_dedicated(&self, what: &str) {
        assert!(
            self.dedicated,
            "MotoServer::{what} would disturb the other tests on the shared server: use MotoServer::dedicated()"
        );
    }

    fn control(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let (status, text) = self.http(method, path, body);
        assert_eq!(
            status, 200,
            "moto control {method} {path}: HTTP {status}: {text}"
        );
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("moto control {path}: {e}: {text}"))
    }

    fn http(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> (u16, String) {
        self.try_http(method, path, body)
            .unwrap_or_else(|e| panic!("moto {method} {path} at {}: {e}", self.url))
    }

    /// A minimal HTTP/1.1 exchange (no client crate needed for a few
    /// control endpoints).
    fn try_http(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> std::io::Result<(u16, String)> {
        let addr = self.url.trim_start_matches("http://");
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(addr)?;
        // A reset walks every loaded backend: slow on a busy 2-core machine.
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            payload.len()
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not HTTP: {response:?}")))?;
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("");
        Ok((status, body.to_owned()))
    }

    fn start(dedicated: bool) -> MotoServer {
        let python = venv_python();
        static SERIAL: AtomicU32 = AtomicU32::new(0);
        let n = SERIAL.fetch_add(1, Ordering::Relaxed);
        if n == 0 {
            remove_old_logs();
        }
        let log = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("moto-{}-{n}.log", std::process::id()));
        let log_file =
            File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let started = Instant::now();
        let mut child = Command::new(&python)
            .arg(LAUNCHER)
            .arg("0")
            .env("PYTHONUNBUFFERED", "1")
            .env("TIDEGATE_MOTO_PARENT", std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(
                log_file
                    .try_clone()
                    .unwrap_or_else(|e| panic!("log file: {e}")),
            )
            .spawn()
            .unwrap_or_else(|e| panic!("start {} {LAUNCHER}: {e}", python.display()));

        // First stdout line: the ready line with the port. The rest of
        // stdout goes on into the log, so the pipe never fills up.
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            let mut log_file = log_file;
            for line in lines.map_while(Result::ok) {
                let _ = writeln!(log_file, "{line}");
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Some(Ok(line))) if line.starts_with(READY) => line[READY.len()..].trim().to_owned(),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "moto launcher did not start ({other:?}); its output ({}):\n{}",
                    log.display(),
                    fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let server = MotoServer {
            url,
            log,
            dedicated,
            child: Mutex::new(Some(child)),
        };
        server.wait_until_answering(started);
        server
    }

    fn wait_until_answering(&self, started: Instant) {
        loop {
            if matches!(self.try_http("GET", "/tidegate/health", None), Ok((200, _))) {
                eprintln!(
                    "moto server {} ready after {:.1?}",
                    self.url,
                    started.elapsed()
                );
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto server {} does not answer; its output ({}):\n{}",
                self.url,
                self.log.display(),
                fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let child = self
            .child
            .get_mut()
            .map(Option::take)
            .unwrap_or_else(|e| e.into_inner().take());
        if let Some(mut child) = child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = fs::remove_file(&self.log); // kept when the test failed
        }
    }
}

/// Requests per (service, operation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls(BTreeMap<(String, String), u32>);

impl Calls {
    /// How many `service` `operation` requests moto answered (0 if none).
    pub fn count(&self, service: &str, operation: &str) -> u32 {
        self.0
            .get(&(service.to_owned(), operation.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Operation → count, for one service.
    pub fn service(&self, service: &str) -> BTreeMap<String, u32> {
        self.0
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|((_, op), n)| (op.clone(), *n))
            .collect()
    }

    /// Everything: (service, operation) → count.
    pub fn all(&self) -> &BTreeMap<(String, String), u32> {
        &self.0
    }
}

/// An injected fault: the next `count` requests for `operation` answer AWS
/// error `code`.
#[derive(Debug, Clone)]
pub struct Fault {
    operation: String,
    code: String,
    count: u32,
    service: Option<String>,
    status: Option<u16>,
    message: Option<String>,
}

impl Fault {
    /// One request for `operation` fails with `code`.
    pub fn new(operation: &str, code: &str) -> Self {
        Fault {
            operation: operation.to_owned(),
            code: code.to_owned(),
            count: 1,
            service: None,
            status: None,
            message: None,
        }
    }

    /// The next `count` requests fail.
    pub fn count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// Only requests to this service (moto's name, e.g. `rds`).
    pub fn service(mut self, service: &str) -> Self {
        self.service = Some(service.to_owned());
        self
    }

    /// HTTP status (default: the status the service's model gives the
    /// code, else 400).
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Error message (default `Rate exceeded`).
    pub fn message(mut self, message: &str) -> Self {
        self.message = Some(message.to_owned());
        self
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "operation": self.operation,
            "code": self.code,
            "count": self.count,
            "service": self.service,
            "status": self.status,
            "message": self.message,
        })
    }
}

/// A name no other test in this process uses: `prefix-N`.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Logs of earlier runs' shared servers (dedicated ones remove theirs).
fn remove_old_logs() {
    let day = Duration::from_secs(24 * 3600);
    for entry in fs::read_dir(env!("CARGO_TARGET_TMPDIR"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if old
            && name.to_string_lossy().starts_with("moto-")
            && name.to_string_lossy().ends_with(".log")
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn str_field(value: &serde_json::Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// The virtualenv's python (installing moto into it first if needed), for
/// other helper processes of the tests (the fault proxy).
pub fn python() -> PathBuf {
    venv_python()
}

/// The virtualenv's python, installing moto into it first if needed. One
/// installer at a time across processes (a file lock), once per process.
fn venv_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(install_venv).clone()
}

fn venv_dir() -> PathBuf {
    match std::env::var_os("TIDEGATE_MOTO_VENV") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        // CARGO_TARGET_TMPDIR is <target dir>/tmp.
        _ => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap_or(Path::new("target"))
            .join("moto-venv"),
    }
}

fn install_venv() -> PathBuf {
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    let requirements =
        fs::read_to_string(REQUIREMENTS).unwrap_or_else(|e| panic!("read {REQUIREMENTS}: {e}"));
    let marker = venv.join(MARKER);
    let installed =
        || fs::read_to_string(&marker).is_ok_and(|m| m == requirements) && python.exists();
    if installed() {
        return python;
    }

    if let Some(parent) = venv.parent() {
        fs::create_dir_all(parent).unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
    }
    let lock_path = venv.with_extension("lock");
    let lock =
        File::create(&lock_path).unwrap_or_else(|e| panic!("create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", lock_path.display()));
    if installed() {
        return python; // another process installed it while we waited
    }

    let started = Instant::now();
    eprintln!(
        "Installing moto into {} (about a minute, once) ...",
        venv.display()
    );
    let _ = fs::remove_file(&marker);
    if !python.exists() {
        let _ = fs::remove_dir_all(&venv);
        let base = std::env::var("TIDEGATE_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        run(
            Command::new(&base).arg("-m").arg("venv").arg(&venv),
            &format!(
                "creating the virtualenv with `{base} -m venv` failed. The AWS-protocol tests need Python 3.11+ \
                 with venv and pip (Debian/Ubuntu: apt-get install python3 python3-venv python3-pip); \
                 set TIDEGATE_PYTHON to use another interpreter"
            ),
        );
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "-r",
            ])
            .arg(REQUIREMENTS),
        &format!(
            "`pip install -r {REQUIREMENTS}` into {} failed. The AWS-protocol tests need PyPI to be \
             reachable once (or a pip configured for a mirror); delete the venv to start over",
            venv.display()
        ),
    );
    fs::write(&marker, &requirements).unwrap_or_else(|e| panic!("write {}: {e}", marker.display()));
    eprintln!("Installed moto in {:.1?}.", started.elapsed());
    python
}

fn run(command: &mut Command, what_failed: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what_failed}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what_failed}.\n{command:?} exited with {}:\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
