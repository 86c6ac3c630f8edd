#!/usr/bin/env python3
"""tidegate's fault proxy: an HTTP proxy in front of the moto launcher that
injects faults by a seeded, deterministic schedule. Standard library only.

Usage: proxy.py UPSTREAM_URL [PORT]   (PORT 0 or absent: a free port)

Prints one line, ``tidegate-fault-proxy ready on http://127.0.0.1:PORT``,
once it listens, and exits when its parent (or the pid in
$TIDEGATE_MOTO_PARENT) dies. AWS requests are forwarded to UPSTREAM_URL
(the launcher); each may instead get a fault:

* ``drop``: forwarded, moto carries the call out, then the connection is
  closed without an answer (the client never hears);
* ``reset``: the connection is reset (TCP RST) before anything is forwarded;
* ``delay``: forwarded after ``delay_ms`` milliseconds;
* ``status5xx``: answered HTTP 500 ``InternalFailure`` in the service's error
  shape (the launcher shapes it: header ``X-Tidegate-Fault``), not carried out;
* ``throttle``: answered 400 ``Throttling`` (MSK: 429
  ``TooManyRequestsException``) the same way, not carried out.

Which request gets which fault is a hash of (seed, service, operation, the
request's number among that operation's requests since the schedule was
set), so a schedule is the same whatever the timing and whatever other
operations run concurrently. ``kill_at: K`` holds the K-th mutating request
(``kill_mode`` ``after``: once moto has carried it out; ``before``: without
forwarding it) until ``POST /faultproxy/release``; meanwhile the driver sees
``held`` in ``GET /faultproxy/state`` and kills the client (kill -9).

Control endpoints (JSON, never faulted):

* ``POST /faultproxy/schedule`` {seed, mix: {kind: probability}, delay_ms,
  mutating_only, kill_at, kill_mode}: a new schedule; counters restart.
* ``GET /faultproxy/state``: {held, requests, injected: {kind: n},
  mutations: [{service, operation, subject, body_sha, status, fault}]}, the
  mutating requests moto received since the schedule was set.
* ``POST /faultproxy/release``: drop the held request.

Requests under ``/tidegate/`` and ``/moto-api/`` go to the launcher as they are.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KINDS = ("drop", "reset", "delay", "status5xx", "throttle")
MUTATING = re.compile(
    r"^(Create|Modify|Delete|Update|Increase|Decrease|Failover|Reboot|Start|Stop|"
    r"Promote|Add|Remove|Set|Put|Attach|Detach|Enable|Disable|Execute|Terminate)"
)
# MSK is REST-JSON: the operation is in the method and path.
KAFKA_ROUTES = [
    ("GET", re.compile(r"^/api/v2/clusters$"), "ListClustersV2"),
    ("GET", re.compile(r"^/api/v2/clusters/[^/]+$"), "DescribeClusterV2"),
    ("GET", re.compile(r"^/v1/clusters$"), "ListClusters"),
    ("GET", re.compile(r"^/v1/clusters/[^/]+$"), "DescribeCluster"),
    ("PUT", re.compile(r"^/v1/clusters/[^/]+/nodes/count$"), "UpdateBrokerCount"),
    ("PUT", re.compile(r"^/v1/clusters/[^/]+/nodes/storage$"), "UpdateBrokerStorage"),
    ("PUT", re.compile(r"^/v1/clusters/[^/]+/nodes/type$"), "UpdateBrokerType"),
    ("GET", re.compile(r"^/v1/clusters/[^/]+/operations$"), "ListClusterOperations"),
    ("GET", re.compile(r"^/v1/tags/.+$"), "ListTagsForResource"),
]


class Schedule:
    """The faults to inject and what was seen, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.set({})

    def set(self, spec: dict[str, Any]) -> None:
        with self.lock:
            self.seed = str(spec.get("seed", 0))
            mix = spec.get("mix") or {}
            self.mix = [(k, float(mix.get(k, 0.0))) for k in KINDS]
            self.delay_ms = int(spec.get("delay_ms", 200))
            self.mutating_only = bool(spec.get("mutating_only", False))
            self.kill_at = spec.get("kill_at")
            self.kill_mode = spec.get("kill_mode", "after")
            self.per_operation: dict[tuple[str, str], int] = {}
            self.requests = 0
            self.mutation_count = 0
            self.injected = {k: 0 for k in KINDS}
            self.mutations: list[dict[str, Any]] = []
            self.held = False
            self.release = threading.Event()

    def decide(self, service: str, operation: str, mutating: bool) -> tuple[str | None, bool]:
        """The fault for this request (or None), and whether to hold it
        for the kill."""
        with self.lock:
            self.requests += 1
            key = (service, operation)
            n = self.per_operation.get(key, 0) + 1
            self.per_operation[key] = n
            hold = False
            if mutating:
                self.mutation_count += 1
                hold = self.kill_at is not None and self.mutation_count == int(self.kill_at)
            if hold or (self.mutating_only and not mutating):
                return None, hold
            digest = hashlib.sha256(f"{self.seed}|{service}|{operation}|{n}".encode()).digest()
            draw = int.from_bytes(digest[:8], "big") / 2**64
            for kind, p in self.mix:
                if draw < p:
                    self.injected[kind] += 1
                    return kind, False
                draw -= p
            return None, False

    def record_mutation(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.mutations.append(entry)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "held": self.held,
                "requests": self.requests,
                "injected": dict(self.injected),
                "mutations": list(self.mutations),
            }


SCHEDULE = Schedule()


def identify(method: str, path: str, headers: Any, body: bytes) -> tuple[str, str]:
    """(service, operation) of an AWS request, as moto names them."""
    service = ""
    match = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", headers.get("Authorization", ""))
    if match:
        service = match.group(1)
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    if "/operation/" in path:
        return service, path.rsplit("/", 1)[-1]
    if "x-www-form-urlencoded" in headers.get("Content-Type", ""):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return service, action[0]
    if service == "kafka":
        bare = urlsplit(path).path
        for m, route, operation in KAFKA_ROUTES:
            if m == method and route.match(bare):
                return service, operation
    return service, f"{method} {urlsplit(path).path}"


def _subject(path: str, body: bytes) -> str:
    """The path and the start of the body: enough to name the resource."""
    return f"{path}?{body[:600].decode('utf-8', 'replace')}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: tuple[str, int] = ("127.0.0.1", 0)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # the launcher logs the requests

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, body: bytes) -> None:
        path = urlsplit(self.path).path
        if path == "/faultproxy/schedule" and self.command == "POST":
            SCHEDULE.release.set()  # a request still held is dropped
            SCHEDULE.set(json.loads(body or b"{}"))
            return self._json(200, {})
        if path == "/faultproxy/state" and self.command == "GET":
            return self._json(200, SCHEDULE.state())
        if path == "/faultproxy/release" and self.command == "POST":
            SCHEDULE.release.set()
            return self._json(200, {})
        return self._json(404, {"error": f"unknown control endpoint {self.command} {path}"})

    def _forward(self, body: bytes, fault_header: str | None) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "transfer-encoding")}
            headers["Content-Length"] = str(len(body))
            if fault_header:
                headers["X-Tidegate-Fault"] = fault_header
            conn.request(self.command, self.path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            skip = ("connection", "transfer-encoding", "content-length", "keep-alive")
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in skip]
            return response.status, kept, payload
        finally:
            conn.close()

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0), as a dropped connection looks."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _handle(self) -> None:
        body = self._body()
        path = urlsplit(self.path).path
        if path.startswith("/faultproxy/"):
            return self._control(body)
        if path.startswith("/tidegate/") or path.startswith("/moto-api/"):
            status, headers, payload = self._forward(body, None)
            return self._answer(status, headers, payload)

        service, operation = identify(self.command, self.path, self.headers, body)
        mutating = bool(MUTATING.match(operation))
        fault, hold = SCHEDULE.decide(service, operation, mutating)
        if hold:
            return self._hold(body, service, operation)
        if fault == "reset":
            return self._reset()
        if fault == "delay":
            time.sleep(SCHEDULE.delay_ms / 1000)
        header = None
        if fault == "status5xx":
            header = "InternalFailure;500"
        elif fault == "throttle":
            header = "TooManyRequestsException;429" if service == "kafka" else "Throttling;400"
        status, headers, payload = self._forward(body, header)
        if mutating:
            SCHEDULE.record_mutation(
                {
                    "service": service,
                    "operation": operation,
                    "subject": _subject(path, body),
                    "body_sha": hashlib.sha256(body).hexdigest()[:16],
                    "status": status,
                    "fault": fault,
                }
            )
        if fault == "drop":
            self.close_connection = True
            return  # carried out, never answered
        self._answer(status, headers, payload)

    def _hold(self, body: bytes, service: str, operation: str) -> None:
        release = SCHEDULE.release
        if SCHEDULE.kill_mode == "after":
            status, _, _ = self._forward(body, None)
            SCHEDULE.record_mutation(
                {
                    "service": service,
                    "operation": operation,
                    "subject": _subject(urlsplit(self.path).path, body),
                    "body_sha": hashlib.sha256(body).hexdigest()[:16],
                    "status": status,
                    "fault": "kill",
                }
            )
        with SCHEDULE.lock:
            SCHEDULE.held = True
        release.wait(60)
        with SCHEDULE.lock:
            SCHEDULE.held = False
        self._reset()

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET


def _exit_with_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.5)


def main() -> None:
    upstream = urlsplit(sys.argv[1])
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    parent = int(os.environ.get("TIDEGATE_MOTO_PARENT") or os.getppid())
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    Handler.upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(f"tidegate-fault-proxy ready on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
