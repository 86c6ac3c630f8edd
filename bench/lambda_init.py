#!/usr/bin/env python3
"""Cold-init benchmark of tidegate's three Lambda functions.

Usage: python3 bench/lambda_init.py [--runs N] [--no-build] [--policy FILE] ...

For each function (alarm, scheduler, budget) it starts the release binary N
times, as Lambda would, against moto server and an in-process emulator of the
Lambda Runtime API, and measures:

* cold init: from process spawn to the binary's first
  ``GET /2018-06-01/runtime/invocation/next`` -- by then the function has read
  its policy from S3 (moto, on 127.0.0.1), validated it and built its SDK
  clients;
* first invocation: from handing it one real event to its response;
* peak memory: VmHWM from /proc/PID/status at its next
  ``GET .../invocation/next``, just before the process is killed.

It prints a table against the targets (cold init <= 30 ms, peak RSS <= 40 MB)
and says PASS or OVER for each. It is a benchmark, not a test: a miss never
fails the script (exit status 0 unless something did not run at all).

Requirements: Linux (/proc), the moto virtualenv the integration tests
install (``cargo test`` creates ``<target dir>/moto-venv``; see
tests/README.md), and this file's standard library. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS = ("alarm", "scheduler", "budget")
REGION = "us-east-1"
ACCOUNT = "123456789012"
INIT_TARGET_MS = 30.0
RSS_TARGET_MB = 40.0
RUNTIME_PREFIX = "/2018-06-01/runtime"

# Events used when tests/events/ has none of the right kind. Shapes as AWS
# delivers them; the alarm is one the reference policy (estate.yaml) names.
EMBEDDED_EVENTS = {
    "alarm": {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": "2026-11-02T10:15:00Z",
        "region": REGION,
        "resources": [
            f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:orders-aurora-read-latency-high"
        ],
        "detail": {
            "alarmName": "orders-aurora-read-latency-high",
            "state": {
                "value": "ALARM",
                "reason": "Threshold Crossed: 3 datapoints were greater than the threshold (0.02).",
                "timestamp": "2026-11-02T10:15:00.000+0000",
            },
            "previousState": {
                "value": "OK",
                "reason": "Threshold Crossed: no datapoints were greater than the threshold.",
                "timestamp": "2026-11-02T09:40:00.000+0000",
            },
            "configuration": {"description": "Aurora reader latency high"},
        },
    },
    "scheduler": {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": "2026-11-02T10:15:00Z",
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/tidegate-scheduler"],
        "detail": {},
    },
    "budget": {
        "version": "0",
        "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-02T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/tidegate-budget-hourly"],
        "detail": {},
    },
}


def log(msg: str) -> None:
    print(f"[lambda_init] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------


def target_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else REPO / "target"


def moto_python(arg: str | None, target: Path) -> Path:
    venv = Path(arg or os.environ.get("TIDEGATE_MOTO_VENV") or target / "moto-venv")
    python = venv / "bin" / "python"
    if not python.exists():
        sys.exit(
            f"no moto virtualenv at {venv}: run `cargo test --workspace` once (it installs it), "
            "or pass --moto-venv / set TIDEGATE_MOTO_VENV"
        )
    return python


def build(profile_args: list[str]) -> None:
    cmd = ["cargo", "build", *profile_args]
    for f in FUNCTIONS:
        cmd += ["-p", f"tidegate-{f}"]
    log("building: " + " ".join(cmd))
    started = time.monotonic()
    subprocess.run(cmd, cwd=REPO, check=True)
    log(f"built in {time.monotonic() - started:.1f} s")


def pick_events(events_dir: Path, overrides: dict[str, Path]) -> dict[str, tuple[dict, str]]:
    """Each function's event: --event override, else the first file in
    tests/events/ of the right kind (by content, not name), else embedded."""
    found: dict[str, tuple[dict, str]] = {}
    for name, path in overrides.items():
        found[name] = (json.loads(path.read_text()), str(path))
    files = sorted(glob.glob(str(events_dir / "**" / "*.json"), recursive=True))
    parsed = []
    for f in files:
        try:
            parsed.append((f, json.loads(Path(f).read_text())))
        except (OSError, ValueError):
            continue

    def first(pred, prefer: str):
        # A file whose name mentions the function wins over any other match.
        hits = [(f, e) for f, e in parsed if isinstance(e, dict) and pred(e)]
        hits.sort(key=lambda fe: prefer not in Path(fe[0]).name)
        return hits[0] if hits else None

    kinds = {
        "alarm": lambda e: e.get("detail-type") == "CloudWatch Alarm State Change",
        "scheduler": lambda e: e.get("detail-type") == "Scheduled Event",
        "budget": lambda e: e.get("detail-type") == "Scheduled Event",
    }
    for name in FUNCTIONS:
        if name in found:
            continue
        hit = first(kinds[name], name)
        if hit:
            found[name] = (hit[1], os.path.relpath(hit[0], REPO))
        else:
            found[name] = (EMBEDDED_EVENTS[name], "embedded")
    return found


def policy_alarm(policy: bytes) -> str | None:
    """The first alarm the policy names (`{ alarm: NAME, ... }`)."""
    m = re.search(rb"\balarm:\s*([A-Za-z0-9_.\-/#:]+)", policy)
    return m.group(1).decode() if m else None


def fresh(event: dict, alarm: str | None = None) -> dict:
    """The event with a new id and timestamps, so the ledger's idempotency
    record does not turn a later run into a no-op duplicate; an alarm event
    also gets `alarm` as its alarm's name (as the handler tests do), so the
    run maps it to resources instead of ignoring an unknown alarm."""
    e = json.loads(json.dumps(event))
    now = dt.datetime.now(dt.timezone.utc)
    if "id" in e:
        e["id"] = str(uuid.uuid4())
    if "time" in e:
        e["time"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = e.get("detail")
    if isinstance(detail, dict) and detail.get("alarmName"):
        if alarm:
            old = detail["alarmName"]
            detail["alarmName"] = alarm
            e["resources"] = [r.replace(f"alarm:{old}", f"alarm:{alarm}") for r in e.get("resources", [])]
        state = detail.get("state")
        if isinstance(state, dict) and "timestamp" in state:
            state["timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"
    return e


# --------------------------------------------------------------------------
# moto: started from the test harness's launcher, set up over plain HTTP
# --------------------------------------------------------------------------


class Moto:
    def __init__(self, python: Path, log_path: Path):
        self.log_file = open(log_path, "wb")
        env = dict(os.environ, TIDEGATE_MOTO_PARENT=str(os.getpid()))
        self.proc = subprocess.Popen(
            [str(python), str(REPO / "tests" / "moto" / "launcher.py"), "0"],
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            env=env,
        )
        ready = "tidegate-moto ready on "
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        self.url = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            if line.startswith(ready):
                self.url = line[len(ready):].strip()
                break
        if not self.url:
            self.stop()
            sys.exit(f"moto did not start; see {log_path}")
        # The rest of its stdout goes to the log, without blocking it.
        threading.Thread(target=self._drain, daemon=True).start()
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/tidegate/health", timeout=5).read()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log_file.write(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def request(self, service: str, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> bytes:
        # moto routes a request by the service in the credential scope and
        # does not check the signature.
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
        h = {
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/{stamp}/{REGION}/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0",
            **(headers or {}),
        }
        req = urllib.request.Request(self.url + path, data=body or None, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"moto {service} {method} {path}: HTTP {e.code}: {e.read()[:500]!r}") from e

    def set_up(self, bucket: str, key: str, policy: bytes, table: str, topic: str) -> str:
        self.request("s3", "PUT", f"/{bucket}")
        self.request("s3", "PUT", f"/{bucket}/{key}", policy, {"Content-Type": "application/yaml"})
        ddb = {"Content-Type": "application/x-amz-json-1.0"}
        self.request("dynamodb", "POST", "/", json.dumps({
            "TableName": table,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        }).encode(), {**ddb, "X-Amz-Target": "DynamoDB_20120810.CreateTable"})
        out = self.request("sns", "POST", "/", f"Action=CreateTopic&Version=2010-03-31&Name={topic}".encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        text = out.decode()
        start = text.find("<TopicArn>") + len("<TopicArn>")
        return text[start:text.find("</TopicArn>")]


# --------------------------------------------------------------------------
# The Lambda Runtime API, in-process: one invocation per process
# --------------------------------------------------------------------------


class Run:
    """One process's life: spawn, first GET next (init done), the event,
    its response, the second GET next (peak memory read, then killed)."""

    def __init__(self, function: str, event: dict):
        self.function = function
        self.event = event
        self.request_id = str(uuid.uuid4())
        self.pid = 0
        self.spawned = 0.0
        self.init_done = 0.0
        self.responded = 0.0
        self.rss_init_kb = 0
        self.hwm_kb = 0
        self.outcome = ""          # "response", "error", "init-error"
        self.body = b""
        self.finished = threading.Event()   # second GET next, or an error
        self.release = threading.Event()    # the parked GET may return
        self.nexts = 0


def last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return lines[-1][:300] if lines else ""


def proc_status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RuntimeApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    current: Run | None = None

    def log_message(self, *_args) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers, up to the empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        run = RuntimeApi.current
        if self.path != f"{RUNTIME_PREFIX}/invocation/next" or run is None:
            self._reply(404)
            return
        now = time.perf_counter()
        run.nexts += 1
        if run.nexts == 1:
            run.init_done = now
            run.rss_init_kb = proc_status_kb(run.pid, "VmHWM")
            deadline_ms = int(time.time() * 1000) + 900_000
            trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
            self._reply(200, json.dumps(run.event).encode(), {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": run.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn":
                    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tidegate-{run.function}",
                "Lambda-Runtime-Trace-Id": trace,
            })
            return
        # The invocation is over: the peak is what it will ever be.
        run.hwm_kb = proc_status_kb(run.pid, "VmHWM")
        run.finished.set()
        run.release.wait(30)  # park the request until the process is gone
        self.close_connection = True

    def do_POST(self) -> None:
        run = RuntimeApi.current
        body = self._body()
        if run is None:
            self._reply(404)
            return
        if self.path == f"{RUNTIME_PREFIX}/init/error":
            run.outcome, run.body = "init-error", body
            self._reply(202, b'{"status":"OK"}')
            run.finished.set()
            return
        prefix = f"{RUNTIME_PREFIX}/invocation/{run.request_id}/"
        if self.path.startswith(prefix) and self.path[len(prefix):] in ("response", "error"):
            run.responded = time.perf_counter()
            run.outcome, run.body = self.path[len(prefix):], body
            self._reply(202, b'{"status":"OK"}')
            return
        self._reply(404)


def run_once(binary: Path, function: str, event: dict, env: dict[str, str],
             log_path: Path, timeout: float, wrap: list[str]) -> Run:
    run = Run(function, event)
    RuntimeApi.current = run
    with open(log_path, "ab") as out:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.write(f"--- {function} run, request {run.request_id}, spawned {stamp}\n".encode())
        out.flush()
        run.spawned = time.perf_counter()
        proc = subprocess.Popen([*wrap, str(binary)], env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
        run.pid = proc.pid
        deadline = time.monotonic() + timeout
        while not run.finished.wait(0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
        done = run.finished.is_set()
        if run.hwm_kb == 0:
            run.hwm_kb = proc_status_kb(proc.pid, "VmHWM")
        exited = proc.poll()
        if exited is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        run.release.set()
    RuntimeApi.current = None
    if not done:
        run.outcome = run.outcome or ("exited" if exited is not None else "timeout")
    return run


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="cold starts per function (default 5)")
    p.add_argument("--warmup", type=int, default=1,
                   help="unmeasured cold starts per function first: page cache, moto's service models (default 1)")
    p.add_argument("--no-build", action="store_true", help="use the binaries already built")
    p.add_argument("--profile", default="release", help="cargo profile of the binaries (default release)")
    p.add_argument("--target-dir", help="cargo target dir (default $CARGO_TARGET_DIR or ./target)")
    p.add_argument("--moto-venv", help="moto virtualenv (default $TIDEGATE_MOTO_VENV or <target>/moto-venv)")
    p.add_argument("--policy", default="policies/estate.yaml", help="policy put in S3 (default policies/estate.yaml)")
    p.add_argument("--events-dir", default="tests/events", help="where to look for events (default tests/events)")
    p.add_argument("--event", action="append", default=[], metavar="FUNCTION=FILE",
                   help="the event for one function (repeatable)")
    p.add_argument("--alarm", help="alarm name put in the alarm event (default: the first the policy names)")
    p.add_argument("--only", action="append", choices=FUNCTIONS, help="benchmark only these functions")
    p.add_argument("--log-level", default="info", help="TIDEGATE_LOG for the functions (default info)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds one run may take (default 60)")
    p.add_argument("--wrap", metavar="CMD",
                   help="run each binary under CMD, e.g. 'strace -f -tt -o /tmp/alarm.strace' "
                        "(timings then include CMD; peak RSS is CMD's, not the binary's)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="extra environment for the functions (repeatable), e.g. SSL_CERT_DIR=/nonexistent")
    p.add_argument("--json", action="store_true", help="also print every run as JSON lines")
    p.add_argument("--print-event", choices=FUNCTIONS, metavar="FUNCTION",
                   help="print the event FUNCTION would be invoked with, and exit (for `cargo lambda invoke`)")
    args = p.parse_args()

    overrides = {}
    for spec in args.event:
        name, _, path = spec.partition("=")
        if name not in FUNCTIONS or not path:
            sys.exit(f"--event {spec}: expected FUNCTION=FILE with FUNCTION one of {', '.join(FUNCTIONS)}")
        overrides[name] = Path(path)
    events = pick_events(REPO / args.events_dir, overrides)
    if args.print_event:
        event, source = events[args.print_event]
        log(f"{args.print_event}: event from {source}")
        policy = (REPO / args.policy).read_bytes()
        print(json.dumps(fresh(event, args.alarm or policy_alarm(policy)), indent=2))
        return 0

    if not Path("/proc/self/status").exists():
        sys.exit("this benchmark reads /proc/PID/status: Linux only")
    target = target_dir(args.target_dir)
    python = moto_python(args.moto_venv, target)
    profile_dir = "debug" if args.profile == "dev" else args.profile
    if not args.no_build:
        build((["--release"] if args.profile == "release" else ["--profile", args.profile])
              + (["--target-dir", str(target)] if args.target_dir else []))
    binaries = {f: target / profile_dir / f"tidegate-{f}" for f in FUNCTIONS}
    functions = args.only or list(FUNCTIONS)
    for f in functions:
        if not binaries[f].exists():
            sys.exit(f"{binaries[f]} is missing: build it, or drop --no-build")
    policy = (REPO / args.policy).read_bytes()  # an absolute path stays as it is
    alarm = args.alarm or policy_alarm(policy)
    extra_env = dict(kv.split("=", 1) for kv in args.env if "=" in kv)

    logs = target / "tmp" / "lambda-init"
    logs.mkdir(parents=True, exist_ok=True)
    for f in functions:
        (logs / f"{f}.log").unlink(missing_ok=True)
    log(f"logs in {logs}")
    moto = Moto(python, logs / "moto.log")
    api = ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
    api.daemon_threads = True
    threading.Thread(target=api.serve_forever, daemon=True).start()
    try:
        bucket, key, table = "tidegate-bench-policy", "policies/estate.yaml", "tidegate-bench-ledger"
        topic_arn = moto.set_up(bucket, key, policy, table, "tidegate-bench-notices")
        log(f"moto on {moto.url}; runtime API on 127.0.0.1:{api.server_address[1]}")
        results: dict[str, list[Run]] = {}
        for f in functions:
            event, source = events[f]
            env = {
                "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "TZ": ":UTC",
                "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
                "AWS_LAMBDA_FUNCTION_NAME": f"tidegate-{f}",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"2026/11/02/[$LATEST]{uuid.uuid4().hex}",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/tidegate-{f}",
                "TIDEGATE_POLICY_BUCKET": bucket,
                "TIDEGATE_POLICY_KEY": key,
                "TIDEGATE_LEDGER_TABLE": table,
                "TIDEGATE_TOPIC_ARN": topic_arn,
                "TIDEGATE_RETENTION_DAYS": "30",
                "TIDEGATE_LOG": args.log_level,
                "AWS_ENDPOINT_URL": moto.url,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            env.update(extra_env)
            named = f", alarm {alarm}" if f == "alarm" and alarm else ""
            log(f"{f}: event {source}{named}; {args.warmup} warm-up + {args.runs} measured cold starts")
            runs = []
            for i in range(args.warmup + args.runs):
                r = run_once(binaries[f], f, fresh(event, alarm), env, logs / f"{f}.log", args.timeout,
                             shlex.split(args.wrap or ""))
                if r.outcome != "response":
                    detail = r.body.decode(errors="replace")[:300] or last_line(logs / f"{f}.log")
                    log(f"{f} run {i}: {r.outcome or 'no response'}: {detail} (log: {logs / (f + '.log')})")
                if i >= args.warmup:
                    runs.append(r)
            results[f] = runs
    finally:
        api.shutdown()
        moto.stop()

    print_table(results, args.json)
    return 0 if all(r.init_done for runs in results.values() for r in runs) else 1


def print_table(results: dict[str, list[Run]], as_json: bool) -> None:
    rows = []
    for f, runs in results.items():
        inits = [(r.init_done - r.spawned) * 1000 for r in runs if r.init_done]
        firsts = [(r.responded - r.init_done) * 1000 for r in runs if r.responded]
        peaks = [r.hwm_kb / 1024 for r in runs if r.hwm_kb]
        init_peaks = [r.rss_init_kb / 1024 for r in runs if r.rss_init_kb]
        outcomes = sorted({r.outcome for r in runs})
        rows.append((f, inits, firsts, peaks, init_peaks, outcomes))
        if as_json:
            for r in runs:
                print(json.dumps({
                    "function": f,
                    "init_ms": round((r.init_done - r.spawned) * 1000, 2) if r.init_done else None,
                    "first_invocation_ms": round((r.responded - r.init_done) * 1000, 2) if r.responded else None,
                    "peak_rss_mb": round(r.hwm_kb / 1024, 1),
                    "rss_at_init_mb": round(r.rss_init_kb / 1024, 1),
                    "outcome": r.outcome,
                    "response": r.body.decode(errors="replace")[:2000],
                }))

    def fmt(xs, f="{:.1f}"):
        return f.format(xs) if xs is not None else "-"

    header = ("function", "init median", "min", "max", "target", "", "peak RSS", "at init", "target", "",
              "1st invoke", "outcome")
    lines = [header]
    for f, inits, firsts, peaks, init_peaks, outcomes in rows:
        med = statistics.median(inits) if inits else None
        peak = max(peaks) if peaks else None
        lines.append((
            f,
            fmt(med) + " ms", fmt(min(inits) if inits else None), fmt(max(inits) if inits else None),
            f"<= {INIT_TARGET_MS:.0f} ms",
            "-" if med is None else ("PASS" if med <= INIT_TARGET_MS else "OVER"),
            fmt(peak) + " MB", fmt(max(init_peaks) if init_peaks else None) + " MB",
            f"<= {RSS_TARGET_MB:.0f} MB",
            "-" if peak is None else ("PASS" if peak <= RSS_TARGET_MB else "OVER"),
            fmt(statistics.median(firsts) if firsts else None) + " ms",
            ",".join(outcomes),
        ))
    widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
    print()
    for n, row in enumerate(lines):
        print("  ".join(str(c).ljust(w) if i == 0 or i == len(row) - 1 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    runs = len(next(iter(results.values()))) if results else 0
    print(f"""
Cold starts per function: {runs} (after warm-up); native build on this machine, not arm64 Lambda.
Cold init: process spawn -> first GET /runtime/invocation/next. It includes loading the SDK
config and building the clients, and the policy GetObject from moto on 127.0.0.1 (a real S3
read adds network latency; Lambda's own sandbox start is not included).
Peak RSS: VmHWM of the process after its first invocation; "at init" is VmHWM at the first GET next.
1st invoke: event handed over -> response posted (median), against moto's empty estate.
Targets are for information: a miss is reported as OVER, never as a failure.""")


if __name__ == "__main__":
    sys.exit(main())
