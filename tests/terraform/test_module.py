"""Static checks of terraform/: every .tf parses (python-hcl2), and the
module, walked as parsed, deploys what the policy file and the code need.

No provider here (tests/terraform/deploy.py runs the real one). What the
walk cannot evaluate (for_each over locals), it checks by the references
the module makes, and the policy-derived sets are computed here from the
same YAML file with the same naming rule as the engine
(src/policy/validate/rules.rs, generated_alarm_name).

Run: python -m pytest tests/terraform
"""

import json
import re
from collections import Counter
from pathlib import Path

import hcl2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "terraform"
MODULE = TF / "modules" / "tidegate"
IAM = TF / "iam"
POLICY = ROOT / "policies" / "estate.yaml"
OPERATIONS = json.loads((Path(__file__).parent / "operations.json").read_text())
FUNCTIONS = ["alarm", "scheduler", "budget", "spot"]


def unquote(s):
    if isinstance(s, str) and len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return s[1:-1]
    return s


def norm(v):
    """python-hcl2 keeps string quotes and block markers; drop them."""
    if isinstance(v, dict):
        return {unquote(k): norm(x) for k, x in v.items() if not k.startswith("__")}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return unquote(v)


def parse(path):
    with open(path) as f:
        return norm(hcl2.load(f))


ALL_TF = sorted(TF.rglob("*.tf"))


@pytest.fixture(scope="module")
def module():
    """{kind: {type: {name: body}}} for resource/data, plus locals and variables."""
    out = {"resource": {}, "data": {}, "locals": {}, "variable": {}, "output": {}, "terraform": []}
    for path in sorted(MODULE.glob("*.tf")):
        doc = parse(path)
        for kind in ("resource", "data"):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        out[kind].setdefault(rtype, {})[name] = body
        for block in doc.get("locals", []):
            out["locals"].update(block)
        for block in doc.get("variable", []):
            out["variable"].update(block)
        for block in doc.get("output", []):
            out["output"].update(block)
        out["terraform"].extend(doc.get("terraform", []))
    return out


def res(module, rtype, name):
    assert name in module["resource"].get(rtype, {}), f"missing resource {rtype}.{name}"
    return module["resource"][rtype][name]


def block(body, key):
    """A nested block: python-hcl2 gives a list of one dict."""
    v = body[key]
    return v[0] if isinstance(v, list) else v


def alarm_name(resource_id, direction, metric, occurrence):
    raw = f"tidegate-{resource_id}-{direction}-{metric}".lower()
    name = re.sub(r"[^a-z0-9._-]", "-", raw)
    return name if occurrence < 2 else f"{name}-{occurrence}"


def policy_rules(policy):
    seen = Counter()
    for r in policy.get("resources", []):
        for direction, key in (("up", "scale_up"), ("down", "scale_down")):
            for rule in r.get(key, []):
                name = None
                if "metric" in rule:
                    base = alarm_name(r["id"], direction, rule["metric"], 1)
                    seen[base] += 1
                    name = alarm_name(r["id"], direction, rule["metric"], seen[base])
                yield r, rule, name


@pytest.fixture(scope="module")
def policy():
    return yaml.safe_load(POLICY.read_text())


# -- parsing and layout -------------------------------------------------------


@pytest.mark.parametrize("path", ALL_TF, ids=lambda p: str(p.relative_to(TF)))
def test_every_tf_file_parses(path):
    parse(path)


def test_module_layout():
    for f in ["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"]:
        assert (MODULE / f).is_file(), f
    for f in ["main.tf", "variables.tf", "outputs.tf", "versions.tf"]:
        assert (TF / "examples" / "complete" / f).is_file(), f


def test_versions_pin_terraform_and_aws(module):
    (tf,) = module["terraform"]
    assert tf["required_version"].startswith(">=")
    aws = tf["required_providers"][0]["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert "<" in aws["version"], "the AWS provider needs an upper bound"


def test_aws_provider_floor_has_every_argument_the_module_uses():
    # `tags` on aws_budgets_budget came in provider 5.50.0 (CHANGELOG,
    # #37361); 5.40 would reject the module. Module and example agree.
    for path in (MODULE / "versions.tf", TF / "examples" / "complete" / "versions.tf"):
        (tf,) = parse(path)["terraform"]
        version = tf["required_providers"][0]["aws"]["version"]
        floor = re.search(r">=\s*([0-9.]+)", version).group(1)
        assert tuple(map(int, floor.split("."))) >= (5, 50, 0), f"{path}: {version}"


def test_variables_and_outputs_are_described(module):
    for kind in ("variable", "output"):
        for name, body in module[kind].items():
            assert body.get("description"), f"{kind} {name} has no description"


def test_example_deploys_the_reference_policy():
    doc = parse(TF / "examples" / "complete" / "main.tf")
    mod = doc["module"][0]["tidegate"]
    assert mod["source"] == "../../modules/tidegate"
    assert mod["policy_file"].endswith("policies/estate.yaml")
    assert set(mod["artifacts"]) == set(FUNCTIONS)


# -- the policy is what Terraform reads ---------------------------------------


def test_policy_is_read_with_yamldecode_from_var_policy_file(module):
    loc = module["locals"]
    assert loc["policy_text"] == "${file(var.policy_file)}"
    assert loc["policy"] == "${yamldecode(local.policy_text)}"
    obj = res(module, "aws_s3_object", "policy")
    assert obj["source"] == "${var.policy_file}"


def test_alarm_naming_matches_the_engine(module):
    expr = module["locals"]["rules_in_order"]
    assert 'tidegate-${r.id}-${d}-${rule.metric}' in expr
    assert "/[^a-z0-9._-]/" in expr
    # The Python copy of the rule agrees with the engine's own test cases.
    assert alarm_name("billing-db", "up", "CPUUtilization", 1) == "tidegate-billing-db-up-cpuutilization"
    assert alarm_name("Billing DB", "down", "CPUUtilization", 2) == "tidegate-billing-db-down-cpuutilization-2"


def test_each_metric_rule_of_the_policy_becomes_an_alarm(module, policy):
    alarm = res(module, "aws_cloudwatch_metric_alarm", "rule")
    assert alarm["for_each"] == "${local.alarms}"
    assert alarm["alarm_name"] == "${each.key}"
    assert alarm["alarm_actions"] == ['${aws_lambda_function.this["alarm"].arn}']
    assert "local.metric_rules" in module["locals"]["alarms"]
    # The table is the engine's (generated; src/observe/metrics/terraform.rs
    # checks the committed file is current).
    assert module["locals"]["metrics"] == '${jsondecode(file("${path.module}/metrics.json"))}'
    table = json.loads((MODULE / "metrics.json").read_text())
    namespaces = table["namespaces"]
    dims = table["dimension_names"]
    names = []
    for r, rule, name in policy_rules(policy):
        if name is None:
            continue
        assert r["kind"] in namespaces, r["kind"]
        assert r["kind"] in dims or r["kind"] == "elasticache_redis", r["kind"]
        if "identifier" in r:
            names.append(name)
    assert len(names) == len(set(names)), "duplicate alarm names"
    assert len(names) == 17, names  # the reference estate: 17 metric rules
    perm = res(module, "aws_lambda_permission", "alarm_action")
    assert perm["for_each"] == "${local.alarms}"
    assert perm["principal"] == "lambda.alarms.cloudwatch.amazonaws.com"


def test_alarms_the_policy_names_are_looked_up_not_created(module, policy):
    named = {rule["alarm"] for _, rule, _ in policy_rules(policy) if "alarm" in rule}
    assert named == {"orders-aurora-read-latency-high", "orders-aurora-read-latency-low"}
    lookup = module["data"]["aws_cloudcontrolapi_resource"]["named_alarm"]
    assert lookup["for_each"] == "${local.named_alarms}"
    assert lookup["type_name"] == "AWS::CloudWatch::Alarm"
    assert "x.alarm" in module["locals"]["named_alarms"]
    target = res(module, "aws_cloudwatch_event_target", "named_alarms")
    assert target["arn"] == '${aws_lambda_function.this["alarm"].arn}'
    # One alarm resource from the policy, keyed by metric rules alone; the
    # others are the operator's (dashboard.tf), named after var.name.
    assert sorted(module["resource"]["aws_cloudwatch_metric_alarm"]) == ["actions_failed", "failure_queue", "rule"]
    assert "x.metric != null" in module["locals"]["metric_rules"]


# -- functions ----------------------------------------------------------------


def test_four_functions_each_with_role_log_group_and_failure_destination(module):
    assert module["locals"]["functions"] == '${toset(["alarm", "scheduler", "budget", "spot"])}'
    fn = res(module, "aws_lambda_function", "this")
    assert fn["for_each"] == "${local.functions}"
    assert fn["runtime"] == "provided.al2023"
    assert fn["architectures"] == ["${var.architecture}"]
    assert fn["handler"] == "bootstrap"
    assert fn["filename"] == "${var.artifacts[each.key]}"
    assert fn["role"] == "${aws_iam_role.function[each.key].arn}"
    assert block(fn, "logging_config")["log_group"] == "${aws_cloudwatch_log_group.function[each.key].name}"
    assert block(fn, "tracing_config")["mode"] == "Active"
    assert fn["reserved_concurrent_executions"] == "${local.concurrency[each.key]}"
    conc = module["locals"]["concurrency"]
    assert set(conc) == set(FUNCTIONS)
    assert conc["scheduler"] == 1 and conc["budget"] == 1
    assert conc["alarm"] == "${var.alarm_concurrency}"
    assert conc["spot"] == "${var.spot_concurrency}"
    assert module["variable"]["spot_concurrency"]["default"] == 5
    assert set(module["locals"]["timeouts"]) == set(FUNCTIONS)
    artifacts = module["variable"]["artifacts"]["type"]
    for f in FUNCTIONS:
        assert f"{f} = string" in artifacts, artifacts

    role = res(module, "aws_iam_role", "function")
    assert role["for_each"] == "${local.functions}"
    logs = res(module, "aws_cloudwatch_log_group", "function")
    assert logs["for_each"] == "${local.functions}"
    assert logs["retention_in_days"] == "${var.log_retention_days}"
    assert logs["name"] == "/aws/lambda/${var.name}-${each.key}"

    inv = res(module, "aws_lambda_function_event_invoke_config", "this")
    assert inv["for_each"] == "${local.functions}"
    on_failure = block(block(inv, "destination_config"), "on_failure")
    assert on_failure["destination"] == "${aws_sqs_queue.failures.arn}"
    queue = res(module, "aws_sqs_queue", "failures")
    assert queue["kms_master_key_id"] == "${aws_kms_key.this.arn}"


def test_environment_is_what_the_code_reads(module):
    src = (ROOT / "src" / "lambda" / "mod.rs").read_text()
    wanted = set(re.findall(r'pub const [A-Z_]+: &str = "(TIDEGATE_[A-Z_]+)";', src))
    assert wanted == {
        "TIDEGATE_POLICY_BUCKET",
        "TIDEGATE_POLICY_KEY",
        "TIDEGATE_LEDGER_TABLE",
        "TIDEGATE_TOPIC_ARN",
        "TIDEGATE_RETENTION_DAYS",
        "TIDEGATE_PRICING_REGION",
    }
    fn = res(module, "aws_lambda_function", "this")
    assert block(fn, "environment")["variables"] == "${local.environment}"
    assert wanted <= set(module["locals"]["environment"])
    assert module["locals"]["environment"]["TIDEGATE_PRICING_REGION"] == "${var.pricing_region}"
    assert module["variable"]["pricing_region"]["default"] == "us-east-1"


def test_architecture_is_arm64_unless_set_and_only_what_lambda_runs(module):
    var = module["variable"]["architecture"]
    assert var["default"] == "arm64"
    condition = var["validation"][0]["condition"]
    assert '"arm64"' in condition and '"x86_64"' in condition


# -- spot warnings --------------------------------------------------------------

SPOT_DETAIL_TYPES = {"EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"}


def event_pattern(rule):
    """The pattern of `event_pattern = jsonencode({...})` with literal
    values only, as a dict (HCL object syntax turned into JSON)."""
    expr = rule["event_pattern"]
    m = re.fullmatch(r"\$\{jsonencode\((.*)\)\}", expr, re.S)
    assert m, expr
    text = re.sub(r'([{,]\s*)([A-Za-z_][A-Za-z0-9_-]*)\s*=', r'\1"\2":', m.group(1))
    text = re.sub(r",\s*([\]}])", r"\1", text)
    return json.loads(text)


def test_spot_warnings_reach_the_spot_function(module):
    rule = res(module, "aws_cloudwatch_event_rule", "spot_warnings")
    # EC2 sends its events to the default bus only.
    assert rule.get("event_bus_name", "default") == "default"
    assert "count" not in rule and "for_each" not in rule
    pattern = event_pattern(rule)
    assert pattern["source"] == ["aws.ec2"]
    assert set(pattern["detail-type"]) == SPOT_DETAIL_TYPES
    assert len(pattern["detail-type"]) == len(SPOT_DETAIL_TYPES)
    assert set(pattern) == {"source", "detail-type"}, "the events name no group: filtering is the function's"

    target = res(module, "aws_cloudwatch_event_target", "spot_warnings")
    assert target["rule"] == "${aws_cloudwatch_event_rule.spot_warnings.name}"
    assert target.get("event_bus_name", "default") == "default"
    assert target["arn"] == '${aws_lambda_function.this["spot"].arn}'
    assert block(target, "dead_letter_config")["arn"] == "${aws_sqs_queue.failures.arn}"
    retry = block(target, "retry_policy")
    assert retry["maximum_retry_attempts"] > 0 and retry["maximum_event_age_in_seconds"] > 0

    perm = res(module, "aws_lambda_permission", "spot_warnings")
    assert perm["action"] == "lambda:InvokeFunction"
    assert perm["function_name"] == '${aws_lambda_function.this["spot"].function_name}'
    assert perm["principal"] == "events.amazonaws.com"
    assert perm["source_arn"] == "${aws_cloudwatch_event_rule.spot_warnings.arn}"
    assert module["output"]["spot_event_rule"]["value"] == "${aws_cloudwatch_event_rule.spot_warnings.name}"


def test_only_the_spot_function_is_invoked_by_ec2_events(module):
    for name, rule in module["resource"]["aws_cloudwatch_event_rule"].items():
        if name != "spot_warnings":
            assert "aws.ec2" not in rule["event_pattern"], name
    for name, target in module["resource"]["aws_cloudwatch_event_target"].items():
        if name != "spot_warnings":
            assert '["spot"]' not in target["arn"], name


def test_spot_maps_instances_to_groups_with_a_read_on_star():
    doc = json.loads((IAM / "spot.json").read_text())
    (read,) = [s for s in statements(doc) if "autoscaling:DescribeAutoScalingInstances" in as_list(s["Action"])]
    # DescribeAutoScalingInstances has no resource-level permissions.
    assert read["Sid"] == "ReadWithoutResourceLevelPermissions"
    assert read["Resource"] == "*"
    assert "Condition" not in read


# -- schedules, budgets, topics, ledger ---------------------------------------


def test_schedules_for_the_scheduler_and_the_budget_function(module, policy):
    rates = module["locals"]["schedule_rates"]
    assert rates == {"scheduler": "${var.scheduler_rate}", "budget": "${var.budget_rate}"}
    assert module["variable"]["scheduler_rate"]["default"] == "rate(5 minutes)"
    assert module["variable"]["budget_rate"]["default"] == "rate(1 hour)"
    sched = res(module, "aws_scheduler_schedule", "function")
    assert sched["for_each"] == "${local.schedule_rates}"
    assert block(sched, "target")["arn"] == "${aws_lambda_function.this[each.key].arn}"
    # The policy's schedules are level-triggered by the scheduler: every
    # schedule it declares names profiles the scheduler converges to.
    assert [s["name"] for s in policy["schedules"]] == ["office"]
    assert "local.policy.schedules" in module["locals"]["schedules"]


def test_budgets_per_period_notify_the_topic_the_budget_function_reads(module, policy):
    limits = module["locals"]["budget_limits"]
    for key in ("daily_usd", "monthly_usd"):
        assert key in limits and key in policy["budgets"]
    budget = res(module, "aws_budgets_budget", "period")
    assert budget["for_each"] == "${local.budget_limits}"
    assert budget["time_unit"] == "${each.key}"
    for n in budget["notification"]:
        assert n["subscriber_sns_topic_arns"] == ["${aws_sns_topic.budget_alerts.arn}"]
    sub = res(module, "aws_sns_topic_subscription", "budget_function")
    assert sub["protocol"] == "lambda"
    assert sub["endpoint"] == '${aws_lambda_function.this["budget"].arn}'
    assert module["output"]["budgets_not_created"], "weekly has no AWS Budgets period"


def test_budgets_name_the_account_and_daily_ones_take_no_forecast(module):
    """AWS Budgets refuses a FORECASTED notification on a DAILY budget; the
    account is passed, not left to the provider's caller identity."""
    budget = res(module, "aws_budgets_budget", "period")
    assert budget["account_id"] == "${local.account_id}"
    static = budget.get("notification", [])
    assert static and all(n["notification_type"] == "ACTUAL" for n in static)
    forecasts = [
        d["notification"]
        for d in budget.get("dynamic", [])
        if "notification" in d and block(d["notification"], "content")["notification_type"] == "FORECASTED"
    ]
    assert len(forecasts) == 1, "one forecasted notification, for the longer periods"
    assert forecasts[0]["for_each"] == '${each.key == "DAILY" ? [] : [1]}'



def test_topics_are_kms_encrypted(module):
    for name in ("notices", "budget_alerts"):
        assert res(module, "aws_sns_topic", name)["kms_master_key_id"] == "${aws_kms_key.this.arn}"


def test_ledger_table_matches_the_adapter(module):
    t = res(module, "aws_dynamodb_table", "ledger")
    assert (t["hash_key"], t["range_key"]) == ("pk", "sk")
    assert {(a["name"], a["type"]) for a in t["attribute"]} == {("pk", "S"), ("sk", "S")}
    assert block(t, "ttl") == {"attribute_name": "expires_at", "enabled": True}
    assert block(t, "point_in_time_recovery")["enabled"] is True
    assert block(t, "server_side_encryption")["enabled"] is True


def test_policy_bucket_is_versioned_encrypted_and_private(module):
    v = res(module, "aws_s3_bucket_versioning", "policy")
    assert block(v, "versioning_configuration")["status"] == "Enabled"
    res(module, "aws_s3_bucket_server_side_encryption_configuration", "policy")
    pab = res(module, "aws_s3_bucket_public_access_block", "policy")
    assert all(pab[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))


# -- least privilege -----------------------------------------------------------

MUTATING = re.compile(r":(Modify|Update|Create|Delete|Start|Stop|Failover|Increase|Decrease|Put|Publish)")


def statements(doc):
    s = doc["Statement"]
    return s if isinstance(s, list) else [s]


def as_list(v):
    return v if isinstance(v, list) else [v]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_role_allows_exactly_what_the_code_calls(module, function):
    doc = json.loads((IAM / f"{function}.json").read_text())
    allowed = set()
    for s in statements(doc):
        assert s["Effect"] == "Allow"
        allowed |= set(as_list(s["Action"]))
    want = set(OPERATIONS["functions"][function])
    assert allowed == want, f"missing {sorted(want - allowed)}, extra {sorted(allowed - want)}"
    code = res(module, "aws_iam_role_policy", "code")
    assert code["policy"] == '${file("${local.iam_dir}/${each.key}.json")}'


# What AWS checks on the caller's behalf when a call names a launch template
# (src/lambda/permissions.rs, LAUNCH_TEMPLATE_CHECKS): allowed on the EC2
# resource types a launch touches, only for launches from a template and
# for tags at launch.
LAUNCH_CHECKS = {
    "ec2:RunInstances": {"ArnLike": {"ec2:LaunchTemplate": "arn:aws:ec2:*:*:launch-template/*"}},
    "ec2:CreateTags": {"StringEquals": {"ec2:CreateAction": "RunInstances"}},
}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_mutation_is_scoped_by_tag_or_arn(function):
    doc = json.loads((IAM / f"{function}.json").read_text())
    for s in statements(doc):
        mutations = [a for a in as_list(s["Action"]) if MUTATING.search(a)]
        if not mutations:
            continue
        if len(mutations) == 1 and mutations[0] in LAUNCH_CHECKS:
            assert as_list(s["Action"]) == mutations, s["Sid"]
            assert s.get("Condition") == LAUNCH_CHECKS[mutations[0]], s["Sid"]
            assert all(r.startswith("arn:aws:ec2:") for r in as_list(s["Resource"])), s["Sid"]
            continue
        resources = as_list(s["Resource"])
        assert "*" not in resources, f"{s['Sid']}: {mutations} on *"
        if not s.get("Condition"):
            # ARN-scoped: tidegate's own resources, or the readers it names.
            assert all(r.endswith(("tidegate*", "tidegate*/*", "-reader-*")) for r in resources), s["Sid"]
        else:
            cond = s["Condition"]["StringEquals"]
            assert cond == {"aws:ResourceTag/tidegate:managed": "true"}, s["Sid"]


def test_one_code_policy_per_function_in_the_house_style():
    assert sorted(p.stem for p in IAM.glob("*.json")) == sorted(FUNCTIONS)
    for function in FUNCTIONS:
        text = (IAM / f"{function}.json").read_text()
        assert text == json.dumps(json.loads(text), indent=2) + "\n", f"{function}.json: 2-space indent, trailing newline"
        for s in statements(json.loads(text)):
            actions = as_list(s["Action"])
            assert actions == sorted(actions), f"{function}.json {s['Sid']}: actions not sorted"


def test_platform_grants_only_the_platform_actions(module):
    doc = module["data"]["aws_iam_policy_document"]["platform"]
    actions = {a for st in doc["statement"] for a in st["actions"]}
    assert actions == set(OPERATIONS["platform"])


def test_pass_role_only_for_listed_instance_roles_and_only_to_ec2(module):
    var = module["variable"]["instance_role_arns"]
    assert var["default"] == []
    policy = res(module, "aws_iam_role_policy", "launch_roles")
    assert policy["for_each"] == "${length(var.instance_role_arns) > 0 ? local.functions : toset([])}"
    doc = module["data"]["aws_iam_policy_document"]["launch_roles"]
    (statement,) = doc["statement"]
    assert statement["actions"] == ["iam:PassRole"]
    assert statement["resources"] == "${var.instance_role_arns}"
    (condition,) = statement["condition"]
    assert (condition["test"], condition["variable"], condition["values"]) == (
        "StringEquals",
        "iam:PassedToService",
        ["ec2.amazonaws.com"],
    )


# -- operator's view (dashboard.tf) -----------------------------------------

EMF = (ROOT / "src" / "lambda" / "emf.rs").read_text()


def test_dashboard_and_alarms_read_the_metrics_the_functions_emit(module):
    # The names the Lambdas print (src/lambda/emf.rs): a rename there fails here.
    assert '"Namespace": "Tidegate"' in EMF and '[["Function", "Estate"]]' in EMF
    assert module["locals"]["emf_namespace"] == "Tidegate"
    for metric in ("ActionsApplied", "ActionsRefused", "ActionsFailed", "DecisionTime"):
        assert f'{{"Name": "{metric}"' in EMF, metric
        assert metric in module["locals"]["emf_metric"], metric
    assert '"Function", f, "Estate", local.estate' in module["locals"]["emf_metric"]
    assert res(module, "aws_cloudwatch_dashboard", "this")["dashboard_body"]

    failed = res(module, "aws_cloudwatch_metric_alarm", "actions_failed")
    assert failed["for_each"] == "${local.functions}"
    assert (failed["namespace"], failed["metric_name"]) == ("${local.emf_namespace}", "ActionsFailed")
    assert failed["dimensions"] == {"Function": "${each.key}", "Estate": "${local.estate}"}
    queue = res(module, "aws_cloudwatch_metric_alarm", "failure_queue")
    assert (queue["namespace"], queue["metric_name"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert queue["dimensions"] == {"QueueName": "${aws_sqs_queue.failures.name}"}
    for alarm in (failed, queue):
        assert (alarm["comparison_operator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["alarm_actions"] == ["${aws_sns_topic.notices.arn}"]
    assert "aws_cloudwatch_dashboard.this.dashboard_name" in module["output"]["dashboard_url"]["value"]
