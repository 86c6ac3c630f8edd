#!/usr/bin/env python3
"""Renders the reference backtest's HTML page in headless Chromium.

Checks that the page loads without console errors, that its own script's
self-check passed (``body[data-check="ok"]``: every total shown equals the
embedded JSON's, every chart has points), and, from the DOM Chromium
dumps after the script ran, that every chart draws points and the totals
shown equal those of the report ``tidegate backtest --json`` printed.
Takes a screenshot (``--screenshot FILE``; the README's docs/backtest.png).

Usage: check_page.py --tidegate BIN [--screenshot FILE] [--chromium BIN]
Ends with a plain ``N passed, N failed`` line.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Dom(HTMLParser):
    """The parts of the page the checks read."""

    def __init__(self):
        super().__init__()
        self.body = {}
        self.charts = []  # (attrs, [series attrs])
        self.totals = []  # (attrs, text)
        self._total = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "figure" and "chart" in a.get("class", ""):
            self.charts.append((a, []))
        elif tag == "path" and a.get("class") == "series" and self.charts:
            self.charts[-1][1].append(a)
        elif "data-total" in a:
            self._total = [a, ""]

    def handle_data(self, data):
        if self._total is not None:
            self._total[1] += data

    def handle_endtag(self, tag):
        if self._total is not None and tag == "td":
            self.totals.append(tuple(self._total))
            self._total = None


def chromium_flags(extra):
    return [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        # Nothing may come from the network: point every host nowhere.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        *extra,
    ]


def run_chromium(binary, page, extra, profile):
    args = [binary, *chromium_flags(extra), f"--user-data-dir={profile}", page.as_uri()]
    t0 = time.monotonic()
    out = subprocess.run(args, capture_output=True, text=True, timeout=180)
    return out, time.monotonic() - t0


def console_errors(stderr):
    """Console messages and uncaught exceptions: the page logs nothing."""
    return [
        line
        for line in stderr.splitlines()
        if "Uncaught" in line or re.search(r"CONSOLE[(:]", line)
    ]


def money(v):
    text = f"{abs(v):,.2f}"
    return ("−" if v < 0 else "") + text


def field(doc, path):
    for k in path.split("."):
        doc = doc[k]
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tidegate", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--screenshot")
    args = ap.parse_args()

    passed, failed = 0, 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAILED: {what}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        page = tmp / "report.html"
        bt = subprocess.run(
            [
                args.tidegate,
                "backtest",
                "--policy",
                "policies/estate.yaml",
                "--metrics",
                "policies/traces",
                "--json",
                "--html",
                str(page),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(bt.stdout)

        dumped, took = run_chromium(args.chromium, page, ["--dump-dom"], tmp / "p1")
        print(f"chromium --dump-dom took {took:.1f} s")
        check(dumped.returncode == 0, f"chromium exit {dumped.returncode}: {dumped.stderr[-2000:]}")
        errors = console_errors(dumped.stderr)
        check(not errors, f"console errors: {errors}")

        dom = Dom()
        dom.feed(dumped.stdout)
        check(
            dom.body.get("data-check") == "ok",
            f"the page's self-check: {dom.body.get('data-check')!r}",
        )
        check(len(dom.charts) > len(report["resources"]), f"{len(dom.charts)} charts")
        for attrs, series in dom.charts:
            name = f"{attrs.get('data-chart')} {attrs.get('data-resource', attrs.get('data-period', ''))}"
            points = sum(int(s.get("data-n", "0")) for s in series)
            drawn = sum(len(re.findall(r"[ML]", s.get("d", ""))) for s in series)
            check(points > 0 and drawn >= points, f"chart {name}: {points} points, {drawn} drawn")

        check(len(dom.totals) >= 6, f"{len(dom.totals)} totals shown")
        for attrs, text in dom.totals:
            key = attrs["data-total"]
            want = field(report["totals"], key)
            shown = text.strip()
            expect = money(want) if key.endswith("_usd") else f"{want:g}"
            check(
                abs(float(attrs["data-value"]) - want) < 0.005 and shown == expect,
                f"total {key}: page shows {shown!r} ({attrs['data-value']}), JSON has {want}",
            )

        if args.screenshot:
            shot = pathlib.Path(args.screenshot).resolve()
            shot.parent.mkdir(parents=True, exist_ok=True)
            out, took = run_chromium(
                args.chromium,
                page,
                [f"--screenshot={shot}", "--window-size=1400,4000", "--hide-scrollbars"],
                tmp / "p2",
            )
            print(f"chromium --screenshot took {took:.1f} s")
            check(out.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000,
                  f"screenshot {shot}: {out.stderr[-2000:]}")
            check(not console_errors(out.stderr), f"console errors: {console_errors(out.stderr)}")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
