#!/usr/bin/env python3
"""The Lambdas run on what Terraform built (issue 16.3; deploy.py --lambdas).

After deploy.py's `terraform apply` of examples/complete into moto, with the
state it wrote (`terraform show -json`):

1. seeds the estate the policy manages into moto (the RDS instance
   `billing-db` at its floor, the Auto Scaling group `batch-workers`), and
   subscribes an SQS queue to the notices topic Terraform created;
2. runs each function's binary under the Lambda Runtime API emulator of
   bench/lambda_init.py with exactly the environment Terraform gave that
   function (read from the state: its name, its variables, so the policy
   object Terraform uploaded, the table, the topic), plus what Lambda
   itself sets (region, credentials, the runtime API) pointed at moto;
3. feeds real event JSON from tests/events/: a state change of the alarm
   Terraform generated for billing-db's CPU rule, a scheduled event for the
   scheduler, a budget notice, a spot interruption warning for an instance
   of batch-workers; and asserts AWS state changed as the policy says
   (billing-db one rung up), the ledger table holds the intent and outcome,
   the notices topic delivered a message, the spot warning was recorded;
4. renames one Terraform-set variable (TIDEGATE_LEDGER_TABLE) and asserts
   the function then fails: drift between the module and the code shows.

Runs with the moto virtualenv's python (boto3). Exit 1 on any failure.
Usage: lambdas_e2e.py --endpoint URL --state STATE.json --bin DIR --policy FILE
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import lambda_init as emu  # noqa: E402  (the Runtime API emulator)

REGION = "us-east-1"
LADDER_UP_FROM = "db.r6g.large"


def fail(msg):
    sys.exit(f"lambdas_e2e.py: {msg}")


def managed(state):
    out = []

    def walk(mod):
        out.extend(r for r in mod.get("resources", []) if r["mode"] == "managed")
        for child in mod.get("child_modules", []):
            walk(child)

    walk(state["values"]["root_module"])
    return out


def functions(state):
    """{role: (function name, its environment variables)} from the state."""
    out = {}
    for r in managed(state):
        if r["type"] == "aws_lambda_function":
            env = (r["values"].get("environment") or [{}])[0].get("variables") or {}
            out[r["index"]] = (r["values"]["function_name"], dict(env))
    return out


def cpu_alarm(state, identifier):
    """The alarm Terraform generated for `identifier`'s CPUUtilization scale-up rule."""
    for r in managed(state):
        v = r["values"]
        if (r["type"] == "aws_cloudwatch_metric_alarm" and r["name"] == "rule"
                and v.get("metric_name") == "CPUUtilization"
                and (v.get("dimensions") or {}).get("DBInstanceIdentifier") == identifier
                and v.get("comparison_operator", "").startswith("GreaterThan")):
            return v["alarm_name"]
    fail(f"no generated CPUUtilization alarm for {identifier} in the state")


def event(name, **kw):
    return emu.fresh(json.loads((ROOT / "tests/events" / name).read_text()), **kw)


class Estate:
    def __init__(self, endpoint):
        kw = dict(endpoint_url=endpoint, region_name=REGION,
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        self.c = {s: boto3.client(s, **kw) for s in
                  ("rds", "autoscaling", "ec2", "cloudwatch", "dynamodb", "sns", "sqs")}

    def seed(self, notices_arn):
        rds, asg, ec2 = self.c["rds"], self.c["autoscaling"], self.c["ec2"]
        rds.create_db_instance(DBInstanceIdentifier="billing-db", DBInstanceClass=LADDER_UP_FROM,
                               Engine="postgres", AllocatedStorage=100, MultiAZ=True,
                               MasterUsername="admin", MasterUserPassword="password123",
                               Tags=[{"Key": "tidegate:managed", "Value": "true"}])
        lt = ec2.create_launch_template(LaunchTemplateName="batch-workers-lt", LaunchTemplateData={
            "ImageId": "ami-12c6146b", "InstanceType": "m6i.large"})["LaunchTemplate"]["LaunchTemplateId"]
        asg.create_auto_scaling_group(AutoScalingGroupName="batch-workers", MinSize=1, MaxSize=40,
                                      DesiredCapacity=2, AvailabilityZones=["us-east-1a"],
                                      LaunchTemplate={"LaunchTemplateId": lt},
                                      Tags=[{"Key": "tidegate:managed", "Value": "true",
                                             "ResourceId": "batch-workers",
                                             "ResourceType": "auto-scaling-group",
                                             "PropagateAtLaunch": False}])
        # The CPU the alarm saw: high for the last 20 minutes.
        now = time.time()
        self.c["cloudwatch"].put_metric_data(Namespace="AWS/RDS", MetricData=[
            {"MetricName": "CPUUtilization", "Value": 95.0, "Timestamp": now - 60 * m,
             "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "billing-db"}]}
            for m in range(1, 21)])
        sqs = self.c["sqs"]
        url = sqs.create_queue(QueueName=f"notices-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.c["sns"].subscribe(TopicArn=notices_arn, Protocol="sqs", Endpoint=arn,
                                Attributes={"RawMessageDelivery": "true"})
        self.queue = url

    def instance(self, group):
        groups = self.c["autoscaling"].describe_auto_scaling_groups(AutoScalingGroupNames=[group])
        return groups["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]

    def fire(self, alarm):
        self.c["cloudwatch"].set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="e2e")

    def db_class(self, ident):
        return self.c["rds"].describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["DBInstanceClass"]

    def ledger(self, table):
        items, kw = [], {"TableName": table}
        while True:
            page = self.c["dynamodb"].scan(**kw)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def notices(self):
        got = []
        for _ in range(3):
            r = self.c["sqs"].receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            got += [m["Body"] for m in r.get("Messages", [])]
        return got


class Lambdas:
    """Runs a function's binary once under the emulated Runtime API."""

    def __init__(self, bin_dir, endpoint, logs):
        self.bin_dir, self.endpoint, self.logs = Path(bin_dir), endpoint, logs
        self.api = ThreadingHTTPServer(("127.0.0.1", 0), emu.RuntimeApi)
        threading.Thread(target=self.api.serve_forever, daemon=True).start()

    def invoke(self, role, name, tf_env, ev):
        env = {
            **tf_env,
            # What Lambda sets itself, and moto in place of AWS.
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.api.server_address[1]}",
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"e2e/[$LATEST]{uuid.uuid4().hex}",
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        t0 = time.monotonic()
        run = emu.run_once(self.bin_dir / f"tidegate-{role}", role, ev, env, self.logs / f"{role}.log", 120, [])
        body = {}
        try:
            body = json.loads(run.body or b"{}")
        except ValueError:
            pass
        print(f"   {role} ({name}): {run.outcome} in {time.monotonic() - t0:.1f} s: "
              f"status {body.get('status')}, applied {body.get('applied')}, failed {body.get('failed')}")
        return run.outcome, body

    def close(self):
        self.api.shutdown()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--bin", required=True, help="folder with the tidegate-{alarm,scheduler,budget,spot} binaries")
    ap.add_argument("--logs", required=True, help="folder for the functions' output")
    ap.add_argument("--policy", required=True, help="the policy file Terraform uploaded")
    a = ap.parse_args()
    state = json.loads(Path(a.state).read_text())
    policy = yaml.safe_load(Path(a.policy).read_text())
    if policy["guardrails"].get("dry_run", True):
        fail("the uploaded policy is a dry run: nothing would change")
    fns = functions(state)
    if sorted(fns) != ["alarm", "budget", "scheduler", "spot"]:
        fail(f"functions in the state: {sorted(fns)}")
    table = next(r["values"]["name"] for r in managed(state) if r["type"] == "aws_dynamodb_table")
    notices = next(r["values"]["arn"] for r in managed(state)
                   if r["type"] == "aws_sns_topic" and r["name"] == "notices")
    failures = []

    def check(what, ok, detail=""):
        print(f"   {'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(what)

    aws = Estate(a.endpoint)
    aws.seed(notices)
    logs = Path(a.logs)
    logs.mkdir(parents=True, exist_ok=True)
    lambdas = Lambdas(a.bin, a.endpoint, logs)
    t0 = time.monotonic()
    try:
        # The alarm Terraform generated, in ALARM, as EventBridge delivers it.
        alarm = cpu_alarm(state, "billing-db")
        aws.fire(alarm)
        name, env = fns["alarm"]
        outcome, body = lambdas.invoke("alarm", name, env, event("alarm-eventbridge.json", alarm=alarm))
        check("alarm function answered", outcome == "response", f"{outcome}: {body}")
        ladder = policy_ladder(policy, "billing-db")
        now = aws.db_class("billing-db")
        check(f"billing-db moved up its ladder from {LADDER_UP_FROM} (now {now})",
              now in ladder and ladder.index(now) > ladder.index(LADDER_UP_FROM), body)
        logged = [(json.loads(i["entry"]["S"]), i.get("open", {}).get("BOOL"))
                  for i in aws.ledger(table) if i["pk"]["S"].startswith("LOG#") and "entry" in i]
        mine = [(e, is_open) for e, is_open in logged if "billing-db" in json.dumps(e)]
        check("ledger holds billing-db's intent and its outcome (entry closed)",
              bool(mine) and all(e.get("outcome") and is_open is False for e, is_open in mine),
              f"{len(logged)} log entries: {mine}")
        msgs = aws.notices()
        check("notices topic delivered the action's notice (SNS → SQS)",
              any("billing-db" in m for m in msgs), f"{len(msgs)} messages")

        name, env = fns["scheduler"]
        outcome, body = lambdas.invoke("scheduler", name, env, event("schedule-eventbridge.json"))
        check("scheduler function answered, nothing failed", outcome == "response" and not body.get("failed"),
              f"{outcome}: {body}")

        name, env = fns["budget"]
        outcome, body = lambdas.invoke("budget", name, env, event("budget-sns.json"))
        check("budget function answered the budget notice", outcome == "response"
              and body.get("status") != "policy_invalid", f"{outcome}: {body}")

        name, env = fns["spot"]
        ev = event("spot-interruption-warning.json")
        ev["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        ev["region"] = REGION
        instance = aws.instance("batch-workers")
        ev["detail"] = {"instance-id": instance, "instance-action": "terminate"}
        outcome, body = lambdas.invoke("spot", name, env, ev)
        check("spot function answered", outcome == "response", f"{outcome}: {body}")
        spot = [i for i in aws.ledger(table) if i["pk"]["S"] == "SPOT#batch-workers"]
        check("the spot warning is recorded for batch-workers", len(spot) == 1, f"{len(spot)} items")

        # Drift: the module renames a variable the code reads.
        name, env = fns["alarm"]
        drifted = dict(env)
        drifted["TIDEGATE_LEDGER"] = drifted.pop("TIDEGATE_LEDGER_TABLE")
        outcome, body = lambdas.invoke("alarm", name, drifted, event("alarm-eventbridge.json", alarm=alarm))
        check("a renamed Terraform variable (TIDEGATE_LEDGER_TABLE) fails the function",
              outcome in ("init-error", "error", "exited") or body.get("status") == "policy_invalid",
              f"{outcome}: {body}")
    finally:
        lambdas.close()
    print(f"   (the four functions on the applied state took {time.monotonic() - t0:.0f} s; output in {logs})")
    if failures:
        fail("; ".join(failures))
    print("   lambdas_e2e.py: the functions run on what Terraform built")


def policy_ladder(policy, rid):
    r = next(r for r in policy["resources"] if r["id"] == rid)
    return r["instance_class"]["ladder"]


if __name__ == "__main__":
    main()
