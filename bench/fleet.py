#!/usr/bin/env python3
"""Fleet benchmark: one `tidegate apply` against moto over N RDS instances.

Seeds N DB instances (db.r6g.xlarge, half tagged env=dev) in a fresh moto
server, writes a policy whose schedule caps the dev half at db.r6g.large,
runs one `tidegate apply --auto-approve --live --offline` over a fresh file
ledger, and prints wall time, peak RSS, tool CPU, the requests moto answered
for the run and moto's own CPU while it answered them. See bench/README.md.

Standard library only; Linux (reads /proc/PID/stat of the moto server).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import lambda_init  # the moto launcher wrapper, shared (same folder)

REPO = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

POLICY = """\
version: 1
estate: fleet-bench
region: us-east-1
guardrails:
  max_actions_per_hour: 100000
  oscillation_window: 1h
  dry_run: false
{extra}
profiles:
  off_hours: {{ description: "Always in force: dev instances capped one class down." }}
schedules:
  - name: always
    timezone: UTC
    transitions:
      - {{ cron: "0 0 * * *", profile: off_hours }}
resources:
  - id: dev-dbs
    kind: rds_instance
    tags: {{ env: dev }}
    engine: postgres
    schedule: always
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge]
      floor: db.r6g.large
    profiles:
      off_hours: {{ instance_class: {{ max: db.r6g.large }} }}
"""


def log(msg: str) -> None:
    print(f"[fleet] {msg}", file=sys.stderr, flush=True)


def target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else REPO / "target"


def moto_python(arg: str | None, target: Path) -> Path:
    venv = Path(arg or os.environ.get("TIDEGATE_MOTO_VENV") or target / "moto-venv")
    python = venv / "bin" / "python"
    if not python.exists():
        sys.exit(f"no moto virtualenv at {venv}: run `cargo test --workspace` once, or set TIDEGATE_MOTO_VENV")
    return python


class Moto(lambda_init.Moto):
    """The tests' launcher (moto plus /tidegate/ control endpoints), as the
    Lambda bench starts it, with what this bench reads of it."""

    def cpu_seconds(self) -> float:
        """utime + stime of the server process (moto is one process, threaded)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def control(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.url + path, data=b"" if method == "POST" else None, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    def rds(self, params: dict[str, str]) -> None:
        body = urllib.parse.urlencode({"Version": "2014-10-31", **params}).encode()
        self.request("rds", "POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})


def seed(moto: Moto, n: int) -> None:
    for i in range(n):
        params = {
            "Action": "CreateDBInstance",
            "DBInstanceIdentifier": f"fleet-{i:05d}",
            "DBInstanceClass": "db.r6g.xlarge",
            "Engine": "postgres",
            "AllocatedStorage": "20",
            "MasterUsername": "admin",
            "MasterUserPassword": "password123",
            "Tags.Tag.1.Key": "env",
            "Tags.Tag.1.Value": "dev" if i % 2 == 0 else "prod",
        }
        moto.rds(params)


def run(binary: Path, moto: Moto, n: int, concurrency: int | None, work: Path) -> dict:
    moto.control("POST", "/moto-api/reset")
    log(f"seeding {n} DB instances")
    seed(moto, n)
    extra = f"  max_concurrent_actions: {concurrency}" if concurrency is not None else ""
    policy = work / f"fleet-{n}.yaml"
    policy.write_text(POLICY.format(extra=extra))
    ledger = work / f"ledger-{n}.json"
    ledger.unlink(missing_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    cmd = [str(binary), "apply", "--policy", str(policy), "--ledger", str(ledger),
           "--auto-approve", "--live", "--offline"]
    moto.control("POST", "/tidegate/calls/reset")
    moto_cpu0 = moto.cpu_seconds()
    out_path = work / f"apply-{n}.out"
    with open(out_path, "wb") as sink:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=work)
        # wait4: this child's own CPU and peak RSS, not moto's.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
    moto_cpu = moto.cpu_seconds() - moto_cpu0
    calls = moto.control("GET", "/tidegate/calls")["calls"]
    code = os.waitstatus_to_exitcode(status)
    applied = sum(1 for line in out_path.read_text(errors="replace").splitlines() if line.startswith("applied "))
    if code != 0:
        log(f"apply exited {code}; output in {out_path}")
    tool_cpu = usage.ru_utime + usage.ru_stime
    return {
        "n": n,
        "changed": applied,
        "exit": code,
        "wall_s": wall,
        "tool_cpu_s": tool_cpu,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "requests": sum(c["count"] for c in calls),
        "by_operation": {f'{c["service"]}:{c["operation"]}': c["count"] for c in calls},
        "moto_cpu_s": moto_cpu,
        "wall_per_moto_cpu": wall / moto_cpu if moto_cpu else float("inf"),
        "tool_cpu_ms_per_change": 1000 * tool_cpu / applied if applied else float("nan"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="300,1000", help="fleet sizes, comma-separated (default 300,1000)")
    ap.add_argument("--binary", help="tidegate binary (default <target dir>/release/tidegate, else debug)")
    ap.add_argument("--moto-venv", help="moto virtualenv (default $TIDEGATE_MOTO_VENV, else <target>/moto-venv)")
    ap.add_argument("--concurrency", type=int,
                    help="guardrails.max_concurrent_actions for the policy (default: the policy default)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()

    target = target_dir()
    binary = Path(args.binary) if args.binary else next(
        (p for p in (target / "release" / "tidegate", target / "debug" / "tidegate") if p.exists()), None)
    if binary is None or not binary.exists():
        sys.exit("no tidegate binary: `cargo build --workspace --release` or pass --binary")
    work = Path(tempfile.mkdtemp(prefix="tidegate-fleet-"))
    moto = Moto(moto_python(args.moto_venv, target), work / "moto.log")
    log(f"binary {binary}; work folder {work}")
    results = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            results.append(run(binary, moto, n, args.concurrency, work))
    finally:
        moto.stop()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'N':>6} {'changed':>7} {'wall':>8} {'tool CPU':>9} {'peak RSS':>9} {'requests':>8} "
          f"{'moto CPU':>9} {'wall/moto':>9} {'CPU/change':>10}")
    for r in results:
        print(f"{r['n']:>6} {r['changed']:>7} {r['wall_s']:>7.2f}s {r['tool_cpu_s']:>8.2f}s "
              f"{r['peak_rss_mb']:>7.1f}MB {r['requests']:>8} {r['moto_cpu_s']:>8.2f}s "
              f"{r['wall_per_moto_cpu']:>9.2f} {r['tool_cpu_ms_per_change']:>8.2f}ms")
    for r in results:
        ops = ", ".join(f"{k} {v}" for k, v in sorted(r["by_operation"].items()))
        print(f"  N={r['n']}: {ops}" + (f"  (apply exited {r['exit']})" if r["exit"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
