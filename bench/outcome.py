#!/usr/bin/env python3
"""The outcome bench: what the reference policy saves and breaches.

    python3 bench/outcome.py                       # policies/estate.yaml on policies/traces
    python3 bench/outcome.py --policy P --metrics DIR [--json]

Runs `tidegate backtest --json` (the binary under $CARGO_TARGET_DIR/debug,
or --bin) and prints, in all and per resource: cost saved against the
static-peak baseline, the share of 5-minute intervals over the SLO, and
actions per resource per day, with prediction and without it (the
backtest replays every policy with `predictive` twice; each resource's
`prediction.without` holds the second replay).

Target (issue 15): >= 45% saved, <= 0.5% of intervals over the SLO,
<= 12 actions per resource per day. Standard library only.
"""

import argparse
import json
import os
import subprocess
import sys

TARGET_SAVED, TARGET_OVER, TARGET_ACTIONS = 45.0, 0.5, 12.0


def backtest(binary, policy, metrics, extra):
    """The backtest's --json report."""
    cmd = [binary, "backtest", "--policy", policy, "--metrics", metrics, "--json", *extra]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def figures(report, without=False):
    """Per resource and in all; `without`: the replay without prediction
    (each resource's `prediction.without`, where it has one)."""
    decisions = report["period"]["decisions"]
    days = report["period"]["days"] or 1.0
    rows = []
    for r in report["resources"]:
        slo = r.get("slo")
        cost, over, actions = r["cost"]["tidegate_usd"], (slo["tidegate"]["intervals"] if slo else 0), r["actions"]["taken"]
        w = (r.get("prediction") or {}).get("without")
        if without and w:
            cost, over, actions = w["cost_usd"], w["breach_intervals"], w["actions"]
        peak = r["cost"]["static_peak_usd"]
        rows.append(
            {
                "id": r["id"],
                "cost": cost,
                "static": peak,
                "saved": 100.0 * (peak - cost) / peak if peak else None,
                "over": over,
                "intervals": decisions if slo else 0,
                "actions_per_day": actions / days,
            }
        )
    cost = sum(x["cost"] for x in rows)
    peak = sum(x["static"] for x in rows)
    total = {
        "id": "all",
        "cost": cost,
        "static": peak,
        "saved": 100.0 * (peak - cost) / peak if peak else None,
        "over": sum(x["over"] for x in rows),
        "intervals": sum(x["intervals"] for x in rows),
        "actions_per_day": sum(x["actions_per_day"] for x in rows) / (len(rows) or 1),
    }
    return total, rows


def line(x):
    share = 100.0 * x["over"] / x["intervals"] if x["intervals"] else 0.0
    saved = "   n/a" if x["saved"] is None else f"{x['saved']:5.1f}%"
    return f"{x['id']:<18} saved {saved}  over SLO {x['over']:>5}/{x['intervals']:<6} ({share:4.2f}%)  actions/day {x['actions_per_day']:5.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", default="policies/estate.yaml")
    ap.add_argument("--metrics", default="policies/traces")
    ap.add_argument("--bin")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    binary = a.bin or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "tidegate")
    report = backtest(binary, a.policy, a.metrics, [])
    results = {}
    for name, without in (("with prediction", False), ("without prediction", True)):
        total, rows = figures(report, without)
        results[name] = {"total": total, "resources": rows}
    if a.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return
    for name, r in results.items():
        t = r["total"]
        share = 100.0 * t["over"] / t["intervals"] if t["intervals"] else 0.0
        ok = (t["saved"] or 0) >= TARGET_SAVED and share <= TARGET_OVER and t["actions_per_day"] <= TARGET_ACTIONS
        print(f"== {name} (target: >= {TARGET_SAVED}% saved, <= {TARGET_OVER}% over SLO, <= {TARGET_ACTIONS} actions/resource/day: {'met' if ok else 'NOT met'})")
        print(line(t))
        for x in r["resources"]:
            print("  " + line(x))


if __name__ == "__main__":
    main()
