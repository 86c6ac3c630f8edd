#!/usr/bin/env python3
"""The module against the real AWS provider (.ci/run, terraform step).

1. `terraform init -backend=false -plugin-dir=<mirror>` and `terraform
   validate` for the module and every example, offline.
2. `terraform apply` of examples/complete against moto server
   (tests/moto/launcher.py) on 127.0.0.1, then the counts the policy file
   implies, read from `terraform show -json`; then `terraform plan` must
   show no changes but the moto gaps listed in tests/README.md.

Everything runs on a copy of terraform/ and policies/ in a temp dir, so
`.terraform/`, lock files, state and the test overrides never reach the
clone. Overrides (moto endpoints, and the shims for what moto lacks) are
`*_override.tf` files written into the copy only.

With `--lambdas DIR` (the folder of the tidegate-{alarm,scheduler,budget,
spot} binaries, e.g. `$CARGO_TARGET_DIR/debug` after `cargo build
--workspace`), the copy's policy goes live (`dry_run: false`) before the
apply, and after the checks tests/terraform/lambdas_e2e.py runs each
function on what Terraform built (issue 16.3).

Usage: deploy.py --moto-python VENV/bin/python [--plugin-dir DIR] [--lambdas DIR]
Needs `terraform` on PATH (or $TERRAFORM) and PyYAML.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = os.environ.get("TERRAFORM", "terraform")
FUNCTIONS = ["alarm", "scheduler", "budget", "spot"]

# Provider settings for moto: endpoints of every service the module uses,
# fake credentials, no account or metadata look-ups.
SERVICES = [
    "budgets", "cloudcontrolapi", "cloudwatch", "dynamodb", "elasticache", "events",
    "iam", "kms", "lambda", "logs", "s3", "scheduler", "sns", "sqs", "sts",
]


def provider_override(endpoint):
    eps = "\n".join(f'    {s} = "{endpoint}"' for s in SERVICES)
    return f"""provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  # moto has no Cloud Control API: do not retry for minutes.
  max_retries = 1
  endpoints {{
{eps}
  }}
}}
"""


# moto gap: no Cloud Control API. The named alarms (seeded into moto below)
# are not read through it; their ARNs are built from their names instead.
MODULE_OVERRIDE = """data "aws_cloudcontrolapi_resource" "named_alarm" {
  for_each = toset([])
}

resource "aws_cloudwatch_event_rule" "named_alarms" {
  event_pattern = jsonencode({
    source      = ["aws.cloudwatch"]
    detail-type = ["CloudWatch Alarm State Change"]
    resources   = [for a in sort(tolist(local.named_alarms)) : "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${a}"]
    detail      = { state = { value = ["ALARM"] } }
  })
}

# moto gap: a bucket policy Deny with a condition is applied as a plain
# Deny (PutObject and HeadObject of the policy file answer 403). The
# statement keeps its shape but covers a prefix nothing uses.
data "aws_iam_policy_document" "policy_bucket" {
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["${aws_s3_bucket.policy.arn}/moto-gap-unused/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
"""

# What the module reads from the account at plan time: the alarms the
# policy names and the ElastiCache replication groups it watches.
SEED = """
import sys, boto3, yaml
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1",
          aws_access_key_id="testing", aws_secret_access_key="testing")
policy = yaml.safe_load(open(sys.argv[2]))
cw, ec = boto3.client("cloudwatch", **kw), boto3.client("elasticache", **kw)
for r in policy.get("resources", []):
    for d in ("scale_up", "scale_down"):
        for rule in r.get(d, []):
            if "alarm" in rule:
                cw.put_metric_alarm(AlarmName=rule["alarm"], MetricName="ReadLatency",
                    Namespace="AWS/RDS", Statistic="Average", Period=60,
                    EvaluationPeriods=1, Threshold=1.0,
                    ComparisonOperator="GreaterThanThreshold")
    if r["kind"] == "elasticache_redis" and r.get("identifier"):
        ec.create_replication_group(ReplicationGroupId=r["identifier"],
            ReplicationGroupDescription="seed", Engine="redis",
            CacheNodeType="cache.r6g.large", NumNodeGroups=2,
            ReplicasPerNodeGroup=1, ClusterMode="enabled")
"""


def run(args, cwd, env, check=True, capture=False):
    t0 = time.monotonic()
    p = subprocess.run(args, cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE if capture else None)
    took = time.monotonic() - t0
    if check and p.returncode != 0:
        sys.exit(f"deploy.py: {' '.join(args)} failed in {cwd} (exit {p.returncode})")
    return p, took


def find_mirror():
    """The filesystem mirror root (the folder above registry.terraform.io/)."""
    pats = ["/opt/*/registry.terraform.io/hashicorp/aws", "/usr/share/terraform/plugins/registry.terraform.io/hashicorp/aws",
            os.path.expanduser("~/.terraform.d/plugins/registry.terraform.io/hashicorp/aws")]
    hits = [h for p in pats for h in glob.glob(p)]
    if not hits:
        sys.exit("deploy.py: no local mirror of hashicorp/aws; pass --plugin-dir")
    return str(Path(hits[0]).parents[2])


def start_moto(python):
    p = subprocess.Popen([python, str(ROOT / "tests/moto/launcher.py"), "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    if "ready on" not in line:
        p.kill()
        sys.exit(f"deploy.py: moto did not start: {line!r}")
    return p, line.rsplit(" ", 1)[1]


def expected(policy):
    """The counts the module derives from the policy (main.tf)."""
    rules = [(r, rule) for r in policy.get("resources", [])
             for d in ("scale_up", "scale_down") for rule in r.get(d, [])]
    b = policy.get("budgets", {})
    periods = [p for p, k in (("DAILY", "daily_usd"), ("MONTHLY", "monthly_usd")) if b.get(k) is not None]
    return {
        "alarms": sum(1 for r, rule in rules if "metric" in rule and r.get("identifier")),
        "budgets": periods,
        "named": len({rule["alarm"] for _, rule in rules if "alarm" in rule}),
        "schedules": len(policy.get("schedules", [])),
    }


def resources(state):
    out = []

    def walk(mod):
        out.extend(r for r in mod.get("resources", []) if r["mode"] == "managed")
        for child in mod.get("child_modules", []):
            walk(child)

    walk(state["values"]["root_module"])
    return out


def check_state(state, policy):
    want = expected(policy)
    rs = resources(state)
    by_type = {}
    for r in rs:
        by_type.setdefault(r["type"], []).append(r)
    n = lambda t: len(by_type.get(t, []))  # noqa: E731
    failures = []
    notices = next((r["values"]["arn"] for r in by_type.get("aws_sns_topic", []) if r["name"] == "notices"), None)

    def eq(what, got, exp):
        print(f"   {what}: {got} (expected {exp})")
        if got != exp:
            failures.append(f"{what}: {got} != {exp}")

    alarms = by_type.get("aws_cloudwatch_metric_alarm", [])
    eq("metric alarms (one per metric rule)", sum(1 for r in alarms if r["name"] == "rule"), want["alarms"])
    eq("operator alarms to the notices topic", sorted(
        (r["name"], r["values"]["alarm_actions"] == [notices]) for r in alarms if r["name"] != "rule"),
        sorted([("failure_queue", True)] + [("actions_failed", True)] * len(FUNCTIONS)))
    # A rule with its own namespace: (issue 21.1) is alarmed where it lives.
    for r, rule in ((r, rule) for r in policy.get("resources", [])
                    for d in ("scale_up", "scale_down") for rule in r.get(d, [])):
        if "namespace" in rule and r.get("identifier"):
            own = [a["values"] for a in alarms if a["name"] == "rule"
                   and a["values"]["metric_name"] == rule["metric"] and r["id"] in a["index"]]
            eq(f"custom-metric alarm of {r['id']} ({rule['metric']})",
               [(a["namespace"], a["dimensions"]) for a in own],
               [(rule["namespace"], rule.get("dimensions", {}))])
    eq("dashboards", n("aws_cloudwatch_dashboard"), 1)
    widgets = json.loads(by_type["aws_cloudwatch_dashboard"][0]["values"]["dashboard_body"])["widgets"] if n(
        "aws_cloudwatch_dashboard") else []
    eq("dashboard widgets (one per function, decision time, failure queue)", len(widgets), len(FUNCTIONS) + 2)
    url = state["values"].get("outputs", {}).get("tidegate", {}).get("value", {}).get("dashboard_url", "")
    eq("dashboard_url output names the dashboard", url.endswith("#dashboards/dashboard/tidegate-operations"), True)
    budgets = sorted(r["values"]["time_unit"] for r in by_type.get("aws_budgets_budget", []))
    eq("budgets (one per period)", budgets, sorted(want["budgets"]))
    for r in by_type.get("aws_budgets_budget", []):
        kinds = sorted(x["notification_type"] for x in r["values"]["notification"])
        exp = ["ACTUAL", "ACTUAL"] + ([] if r["values"]["time_unit"] == "DAILY" else ["FORECASTED"])
        eq(f"notifications of the {r['values']['time_unit']} budget", kinds, exp)
        eq(f"account_id of the {r['values']['time_unit']} budget", r["values"]["account_id"], "123456789012")
    eq("ledger tables", n("aws_dynamodb_table"), 1)
    eq("topics (notices, budget alerts)", n("aws_sns_topic"), 2)
    roles = sorted(r["index"] for r in by_type.get("aws_iam_role", []) if r["name"] == "function")
    eq("function roles", roles, sorted(FUNCTIONS))
    eq("functions", sorted(r["index"] for r in by_type.get("aws_lambda_function", [])), sorted(FUNCTIONS))
    eq("alarm-action permissions", n("aws_lambda_permission") - sum(
        1 for r in by_type.get("aws_lambda_permission", []) if r["name"] != "alarm_action"), want["alarms"])
    eq("named-alarm rules", n("aws_cloudwatch_event_rule") - sum(
        1 for r in by_type.get("aws_cloudwatch_event_rule", []) if r["name"] != "named_alarms"),
        1 if want["named"] else 0)
    print(f"   resources in the state: {len(rs)}")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moto-python", required=True)
    ap.add_argument("--plugin-dir", default=None)
    ap.add_argument("--lambdas", default=None, help="run the functions' binaries from DIR on the applied state")
    a = ap.parse_args()
    mirror = a.plugin_dir or find_mirror()
    env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    env.setdefault("TF_CLI_CONFIG_FILE", "/dev/null")
    if not Path(env["TF_CLI_CONFIG_FILE"]).exists():
        env["TF_CLI_CONFIG_FILE"] = "/dev/null"
    init = [TERRAFORM, "init", "-backend=false", f"-plugin-dir={mirror}", "-input=false", "-no-color"]

    with tempfile.TemporaryDirectory(prefix="tidegate-tf-") as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "terraform", tmp / "terraform")
        shutil.copytree(ROOT / "policies", tmp / "policies")
        uploaded = tmp / "policies/estate.yaml"
        if a.lambdas:
            # The functions must act for the end-to-end run to show anything;
            # only the copy Terraform uploads goes live.
            text, n = re.subn(r"(?m)^(\s*dry_run:\s*)true\b", r"\g<1>false", uploaded.read_text())
            if n != 1:
                sys.exit("deploy.py: no `dry_run: true` in policies/estate.yaml to turn off")
            uploaded.write_text(text)
        module = tmp / "terraform/modules/tidegate"
        examples = sorted(p for p in (tmp / "terraform/examples").iterdir() if p.is_dir())

        t0 = time.monotonic()
        for d in [module, *examples]:
            run(init, d, env, capture=True)
            run([TERRAFORM, "validate", "-no-color"], d, env)
        print(f"   (init + validate of the module and {len(examples)} example(s) took {time.monotonic() - t0:.0f} s)")

        # The apply: dummy zips (moto stores but never runs them).
        zips = tmp / "lambda"
        for f in FUNCTIONS:
            (zips / f"tidegate-{f}").mkdir(parents=True)
            with zipfile.ZipFile(zips / f"tidegate-{f}/bootstrap.zip", "w") as z:
                z.writestr("bootstrap", "#!/bin/sh\n")
        moto, endpoint = start_moto(a.moto_python)
        try:
            t0 = time.monotonic()
            run([a.moto_python, "-c", SEED, endpoint, str(ROOT / "policies/estate.yaml")], tmp, env)
            complete = tmp / "terraform/examples/complete"
            (complete / "moto_override.tf").write_text(provider_override(endpoint))
            (module / "moto_override.tf").write_text(MODULE_OVERRIDE)
            run(init, complete, env, capture=True)
            tfvars = ["-var", f"lambda_dir={zips}", "-no-color", "-input=false"]
            run([TERRAFORM, "apply", "-auto-approve", *tfvars], complete, env, capture=True)
            print(f"   (apply into moto took {time.monotonic() - t0:.0f} s)")
            shown, _ = run([TERRAFORM, "show", "-json"], complete, env, capture=True)
            state = json.loads(shown.stdout)
            failures = check_state(state, yaml.safe_load((ROOT / "policies/estate.yaml").read_text()))

            t0 = time.monotonic()
            plan, _ = run([TERRAFORM, "plan", "-detailed-exitcode", "-out=again", *tfvars], complete, env,
                          check=False, capture=True)
            if plan.returncode == 1:
                failures.append("terraform plan after apply failed")
            elif plan.returncode == 2:
                shown, _ = run([TERRAFORM, "show", "-json", "again"], complete, env, capture=True)
                changed = [c["address"] for c in json.loads(shown.stdout).get("resource_changes", [])
                           if c["change"]["actions"] != ["no-op"]]
                unexpected = [c for c in changed if not any(g in c for g in KNOWN_DRIFT)]
                print(f"   plan after apply: changes only where moto lacks a read-back: {changed}")
                if unexpected:
                    failures.append(f"plan after apply changes {unexpected}")
            print(f"   (plan after apply took {time.monotonic() - t0:.0f} s)")

            if a.lambdas and not failures:
                t0 = time.monotonic()
                (tmp / "state.json").write_text(json.dumps(state))
                e2e, _ = run([a.moto_python, str(ROOT / "tests/terraform/lambdas_e2e.py"),
                              "--endpoint", endpoint, "--state", str(tmp / "state.json"),
                              "--bin", a.lambdas, "--logs", str(Path(a.lambdas).parent / "tmp/lambdas-e2e"),
                              "--policy", str(uploaded)], tmp, env, check=False)
                if e2e.returncode != 0:
                    failures.append("the functions did not run as the policy says on the applied state")
                print(f"   (the Lambdas on the applied state took {time.monotonic() - t0:.0f} s)")
        finally:
            moto.kill()
            moto.wait()
    if failures:
        sys.exit("deploy.py: " + "; ".join(failures))
    print("   deploy.py: validate, apply and plan against moto as the policy says")


# Resources a second plan changes only because moto does not read back
# what the provider wrote (tests/README.md, "Terraform against moto").
KNOWN_DRIFT = [
    "aws_lambda_function.this",  # no LoggingConfig read-back
    # Read again because it names the functions above (not a drift of its own).
    "data.aws_iam_policy_document.scheduler",
    "aws_iam_role_policy.scheduler",
]

if __name__ == "__main__":
    main()
