//! The table of refused policies: each fails with exactly one problem, at
//! the exact line and column, with its field path and a key phrase.

use super::{HEAD, head, rds, refused};
use tidegate::policy::Problem;

/// One refused policy: where the (only) problem is and what it says.
struct Case {
    name: &'static str,
    text: String,
    line: Option<usize>,
    column: Option<usize>,
    path: &'static str,
    /// Found in the message or the expectation.
    phrase: &'static str,
}

fn case(
    name: &'static str,
    text: String,
    at: (usize, usize),
    path: &'static str,
    phrase: &'static str,
) -> Case {
    Case {
        name,
        text,
        line: Some(at.0),
        column: Some(at.1),
        path,
        phrase,
    }
}

fn cases() -> Vec<Case> {
    let deep = head(&format!(
        "schedules:\n  - name: s\n    timezone: UTC\n    transitions: [{{ cron: '0 8 * * *', profile: day }}]\n    holidays: {}\nresources: []\n",
        "[".repeat(100_000)
    ));
    let mut bomb = String::from("[[ &a [x, x, x, x, x, x, x, x, x, x]");
    for (p, c) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            ", &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]"
        ));
    }
    bomb.push_str("]]");
    let bomb = head(&format!(
        "schedules:\n  - name: s\n    timezone: UTC\n    transitions: [{{ cron: '0 8 * * *', profile: day }}]\n    holidays: {bomb}\nresources: []\n"
    ));
    let schedule = |tz: &str, cron: &str, profile: &str| {
        rds(&format!(
            "schedules:\n  - name: office\n    timezone: {tz}\n    transitions:\n      - {{ cron: \"{cron}\", profile: {profile} }}\n"
        ))
    };
    let spot = |step: u32, ceiling: u32| {
        head(&format!(
            "spot_mix:\n  api:\n    spot_percent: 30\n    interruptions:\n      warnings: 3\n      within: 10m\n      step_percent: {step}\n      max_on_demand_percent: {ceiling}\n      quiet_period: 1h\nresources: []\n"
        ))
    };
    vec![
        // --- spot interruptions ---
        case(
            "spot ceiling below the class's own on-demand share",
            spot(20, 60),
            (16, 7),
            "spot_mix.api.interruptions.max_on_demand_percent",
            "a percent above 70 and at most 100",
        ),
        case(
            "spot step of zero",
            spot(0, 90),
            (15, 7),
            "spot_mix.api.interruptions.step_percent",
            "a percent from 1 to 100",
        ),
        // --- prices ---
        case(
            "cache ttl of zero",
            head("prices: { cache_ttl: 0s }\nresources: []\n"),
            (9, 11),
            "prices.cache_ttl",
            "a span from `1m` to `30d`",
        ),
        case(
            "spot discount of 100 percent",
            head("prices:\n  spot_discount_percent: 100\nresources: []\n"),
            (10, 3),
            "prices.spot_discount_percent",
            "up to (not including) 100",
        ),
        case(
            "unknown prices key",
            head("prices: { api: false }\nresources: []\n"),
            (9, 11),
            "prices.api",
            "pricing_api, cache_ttl, spot_discount_percent",
        ),
        // --- shape (serde) ---
        case(
            "unknown key",
            rds("      sise: 3\n"),
            (16, 7),
            "resources[0].instance_class.sise",
            "one of: ladder, floor",
        ),
        case(
            "unknown top-level key",
            head("guardrail: {}\nresources: []\n"),
            (9, 1),
            "guardrail",
            "did you mean `guardrails`?",
        ),
        case(
            "wrong type",
            HEAD.replace("max_actions_per_hour: 10", "max_actions_per_hour: ten")
                + "resources: []\n",
            (4, 25),
            "guardrails.max_actions_per_hour",
            "`ten` is not a whole number",
        ),
        case(
            "a fraction where a whole number belongs",
            head("resources: []\n").replace("version: 1", "version: 1.0"),
            (1, 10),
            "version",
            "`1.0` is not a whole number",
        ),
        case(
            "a list given as a string",
            rds("").replace(
                "ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge]",
                "ladder: db.r6g.large",
            ),
            (15, 15),
            "resources[0].instance_class.ladder",
            "a list",
        ),
        case(
            "unknown resource kind",
            rds("").replace("kind: rds_instance", "kind: rds"),
            (11, 11),
            "resources[0].kind",
            "unknown value `rds`",
        ),
        case(
            "missing required key",
            rds("").replace("    kind: rds_instance\n", ""),
            (10, 5),
            "resources[0].kind",
            "missing required key `kind`",
        ),
        case(
            "duration in words",
            HEAD.replace("oscillation_window: 1h", "oscillation_window: 1 hour")
                + "resources: []\n",
            (5, 23),
            "guardrails.oscillation_window",
            "`1 hour` is not a duration",
        ),
        case(
            "duplicate key",
            rds("    engine: mysql\n"),
            (16, 5),
            "resources[0].engine",
            "duplicate key `engine`",
        ),
        case(
            "holiday with a misspelt key",
            schedule("UTC", "0 8 * * *", "day")
                + "    holiday_profile: night\n    holidays:\n      - { date: 2026-12-25, nam: Christmas }\n",
            (23, 29),
            "schedules[0].holidays[0].nam",
            "did you mean `name`?",
        ),
        // --- ladders ---
        case(
            "ladder not ordered by size",
            rds("").replace(
                "[db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge]",
                "[db.r6g.large, db.r6g.2xlarge, db.r6g.xlarge]",
            ),
            (15, 46),
            "resources[0].instance_class.ladder[2]",
            "ladder not ordered by size",
        ),
        case(
            "instance class unknown for the engine",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-mysql\n    writer_class: { ladder: [db.r6g.large, db.m6g.xlarge] }\n",
            ),
            (14, 44),
            "resources[0].writer_class.ladder[1]",
            "`db.m6g.xlarge` is not available for aurora_cluster with engine aurora-mysql",
        ),
        case(
            "misspelt instance class",
            rds("").replace("db.r6g.2xlarge]", "db.r6g.2xlarg]"),
            (15, 45),
            "resources[0].instance_class.ladder[2]",
            "did you mean `db.r6g.2xlarge`?",
        ),
        case(
            "floor outside the ladder",
            rds("      floor: db.r6g.4xlarge\n"),
            (16, 7),
            "resources[0].instance_class.floor",
            "floor `db.r6g.4xlarge` is not on the ladder",
        ),
        // --- counts ---
        case(
            "min greater than max",
            asg("{ min: 6, max: 2 }", ""),
            (14, 17),
            "resources[0].capacity.min",
            "min 6 is greater than max 2",
        ),
        case(
            "count floor outside the range",
            asg("{ min: 2, max: 6, floor: 8 }", ""),
            (14, 33),
            "resources[0].capacity.floor",
            "floor 8 is outside the range 2–6",
        ),
        case(
            "MSK brokers not a multiple of the AZ count",
            head(
                "resources:\n  - id: events\n    kind: msk_cluster\n    identifier: events\n    az_count: 3\n    brokers: { min: 3, max: 8 }\n    broker_type: { ladder: [kafka.m5.large] }\n",
            ),
            (14, 24),
            "resources[0].brokers.max",
            "not a multiple of the AZ count 3",
        ),
        case(
            "Aurora readers beyond 15",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-postgresql\n    serverless_v2: { min_acu: 1, max_acu: 8 }\n    readers: { min: 0, max: 16 }\n",
            ),
            (15, 24),
            "resources[0].readers.max",
            "max ≤ 15",
        ),
        case(
            "Serverless v2 auto-pause sooner than AWS allows",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-postgresql\n    serverless_v2: { min_acu: 0, max_acu: 8, seconds_until_auto_pause: 60 }\n",
            ),
            (14, 46),
            "resources[0].serverless_v2.seconds_until_auto_pause",
            "300 to 86400",
        ),
        case(
            "Serverless v2 auto-pause longer than a day",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-postgresql\n    serverless_v2: { min_acu: 0, max_acu: 8, seconds_until_auto_pause: 86401 }\n",
            ),
            (14, 46),
            "resources[0].serverless_v2.seconds_until_auto_pause",
            "300 to 86400",
        ),
        case(
            "Serverless v2 auto-pause delay on a cluster that never pauses",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-postgresql\n    serverless_v2: { min_acu: 1, max_acu: 8, seconds_until_auto_pause: 600 }\n",
            ),
            (14, 46),
            "resources[0].serverless_v2.seconds_until_auto_pause",
            "never pauses",
        ),
        case(
            "Serverless v2 above 256 ACU",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-postgresql\n    serverless_v2: { min_acu: 1, max_acu: 256.5 }\n",
            ),
            (14, 34),
            "resources[0].serverless_v2.max_acu",
            "at most 256",
        ),
        case(
            "Serverless v2 minimum between 0 and 0.5",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-postgresql\n    serverless_v2: { min_acu: 0.25, max_acu: 8 }\n",
            ),
            (14, 22),
            "resources[0].serverless_v2.min_acu",
            "0 (auto-pause)",
        ),
        // --- storage ---
        case(
            "storage rule that shrinks",
            rds(
                "    storage: { grow_when_used_percent: 80, grow_by_percent: -10, max_gib: 500 }\n",
            ),
            (16, 44),
            "resources[0].storage.grow_by_percent",
            "storage never shrinks",
        ),
        // --- schedules ---
        case(
            "invalid cron",
            schedule("UTC", "0 8 * * 1-5 *", "day"),
            (20, 11),
            "schedules[0].transitions[0].cron",
            "invalid cron expression `0 8 * * 1-5 *`",
        ),
        case(
            "cron that never fires",
            schedule("UTC", "0 0 30 2 *", "day"),
            (20, 11),
            "schedules[0].transitions[0].cron",
            "cron expression `0 0 30 2 *` never fires",
        ),
        case(
            "unknown time zone",
            schedule("Europe/Berlim", "0 8 * * 1-5", "day"),
            (18, 5),
            "schedules[0].timezone",
            "unknown time zone `Europe/Berlim` (did you mean `Europe/Berlin`?)",
        ),
        case(
            "schedule names an unknown profile",
            schedule("UTC", "0 8 * * 1-5", "weekend"),
            (20, 32),
            "schedules[0].transitions[0].profile",
            "schedule names an unknown profile `weekend`",
        ),
        case(
            "holidays without a holiday profile",
            schedule("UTC", "0 8 * * 1-5", "day") + "    holidays: [2026-12-25]\n",
            (17, 5),
            "schedules[0].holiday_profile",
            "holidays but no `holiday_profile`",
        ),
        // --- budgets and spot ---
        case(
            "warn at or above emergency",
            rds(
                "budgets:\n  daily_usd: 100\n  warn_at_percent: 90\n  emergency_at_percent: 90\n  emergency_profile: night\n",
            ),
            (18, 3),
            "budgets.warn_at_percent",
            "warn ≥ emergency",
        ),
        case(
            "anomaly baseline of too few weeks",
            rds(
                "budgets:\n  daily_usd: 100\n  warn_at_percent: 80\n  emergency_at_percent: 90\n  emergency_profile: night\n  anomaly:\n    weeks: 2\n",
            ),
            (22, 5),
            "budgets.anomaly.weeks",
            "weeks 2 is out of range",
        ),
        case(
            "anomaly threshold of no MADs",
            rds(
                "budgets:\n  daily_usd: 100\n  warn_at_percent: 80\n  emergency_at_percent: 90\n  emergency_profile: night\n  anomaly: { enabled: true, threshold_mads: 0 }\n",
            ),
            (21, 29),
            "budgets.anomaly.threshold_mads",
            "threshold_mads 0 is out of range",
        ),
        case(
            "anomaly floor below zero dollars",
            rds(
                "budgets:\n  daily_usd: 100\n  warn_at_percent: 80\n  emergency_at_percent: 90\n  emergency_profile: night\n  anomaly:\n    min_excess_percent: 20\n    min_excess_usd: -1\n",
            ),
            (23, 5),
            "budgets.anomaly.min_excess_usd",
            "min_excess_usd -1 is negative",
        ),
        case(
            "spot percent outside 0–100",
            asg("{ min: 0, max: 4 }", "  web: { spot_percent: 120 }\n"),
            (16, 10),
            "spot_mix.web.spot_percent",
            "spot percent 120 is outside 0–100",
        ),
        // --- resources ---
        case(
            "duplicate resource id",
            rds(
                "  - id: db\n    kind: rds_instance\n    identifier: db2\n    engine: mysql\n    instance_class: { ladder: [db.t4g.medium] }\n",
            ),
            (16, 5),
            "resources[1].id",
            "duplicate resource id `db`",
        ),
        case(
            "identifier and tags together",
            rds("    tags: { team: billing }\n"),
            (16, 5),
            "resources[0].tags",
            "both `identifier` and `tags`",
        ),
        case(
            "a block of another kind",
            rds("    readers: { min: 0, max: 2 }\n"),
            (16, 5),
            "resources[0].readers",
            "`readers` does not apply to rds_instance",
        ),
        case(
            "resource names an unknown profile",
            rds("    profiles:\n      weekend: { instance_class: { max: db.r6g.large } }\n"),
            (17, 7),
            "resources[0].profiles.weekend",
            "names an unknown profile `weekend`",
        ),
        case(
            "profile max below the protected floor",
            rds(
                "      floor: db.r6g.xlarge\n    profiles:\n      night: { instance_class: { max: db.r6g.large } }\n",
            ),
            (18, 34),
            "resources[0].profiles.night.instance_class.max",
            "below the protected floor `db.r6g.xlarge`",
        ),
        case(
            "profile count off the step",
            head(
                "resources:\n  - id: events\n    kind: msk_cluster\n    identifier: events\n    az_count: 2\n    brokers: { min: 2, max: 8 }\n    broker_type: { ladder: [kafka.m5.large] }\n    profiles:\n      night: { brokers: { max: 5 } }\n",
            ),
            (17, 27),
            "resources[0].profiles.night.brokers.max",
            "one of: 2, 4, 6, 8",
        ),
        case(
            "stopped without allow_stop",
            rds("    profiles:\n      night: { stopped: true }\n"),
            (17, 16),
            "resources[0].profiles.night.stopped",
            "allow_stop: true",
        ),
        case(
            "ElastiCache asked to stop",
            head(
                "resources:\n  - id: cache\n    kind: elasticache_redis\n    identifier: cache\n    engine: valkey\n    node_type: { ladder: [cache.r6g.large] }\n    profiles:\n      night: { stopped: true }\n",
            ),
            (16, 16),
            "resources[0].profiles.night.stopped",
            "ElastiCache has no stop",
        ),
        case(
            "MSK asked to stop",
            head(
                "resources:\n  - id: events\n    kind: msk_cluster\n    identifier: events\n    az_count: 2\n    brokers: { min: 2, max: 8 }\n    broker_type: { ladder: [kafka.m5.large] }\n    profiles:\n      night: { stopped: true }\n",
            ),
            (17, 16),
            "resources[0].profiles.night.stopped",
            "MSK has no stop",
        ),
        case(
            "Aurora stopped without allow_stop",
            head(
                "resources:\n  - id: orders\n    kind: aurora_cluster\n    identifier: orders\n    engine: aurora-mysql\n    serverless_v2: { min_acu: 1, max_acu: 8 }\n    profiles:\n      night: { stopped: true }\n",
            ),
            (16, 16),
            "resources[0].profiles.night.stopped",
            "allow_stop: true",
        ),
        // --- rules ---
        case(
            "rule scales storage",
            rds(
                "    storage: { grow_when_used_percent: 80, grow_by_percent: 20, max_gib: 500 }\n    scale_up:\n      - { metric: FreeStorageSpace, below: 10, scales: storage }\n",
            ),
            (18, 48),
            "resources[0].scale_up[0].scales",
            "a rule may not scale `storage`",
        ),
        case(
            "percent of max_connections on another metric",
            rds(
                "    scale_up:\n      - { metric: CPUUtilization, above_percent_of_max_connections: 80 }\n",
            ),
            (17, 35),
            "resources[0].scale_up[0].above_percent_of_max_connections",
            "metric `DatabaseConnections`",
        ),
        case(
            "metric rule with two thresholds",
            rds("    scale_down:\n      - { metric: CPUUtilization, above: 80, below: 20 }\n"),
            (17, 9),
            "resources[0].scale_down[0]",
            "more than one threshold: above, below",
        ),
        // --- metric names (issue 21.1) ---
        case(
            "British spelling of an RDS metric",
            rds("    scale_up:\n      - { metric: CPUUtilisation, above: 80 }\n"),
            (17, 11),
            "resources[0].scale_up[0].metric",
            "`CPUUtilisation` is not a metric AWS/RDS publishes for an rds_instance (did you mean `CPUUtilization`?)",
        ),
        case(
            "an Aurora metric on an RDS instance",
            rds("    scale_up:\n      - { metric: ACUUtilization, above: 80 }\n"),
            (17, 11),
            "resources[0].scale_up[0].metric",
            "a metric name of AWS/RDS (case-sensitive)",
        ),
        case(
            "an MSK metric in the wrong case",
            head(
                "resources:\n  - id: k\n    kind: msk_cluster\n    identifier: k\n    az_count: 3\n    brokers: { min: 3, max: 6 }\n    broker_type: { ladder: [kafka.m5.large] }\n    scale_up:\n      - { metric: cpuuser, above: 60 }\n",
            ),
            (17, 11),
            "resources[0].scale_up[0].metric",
            "is not a metric AWS/Kafka publishes for an msk_cluster (did you mean `CpuUser`?)",
        ),
        case(
            "an RDS metric on an Auto Scaling group",
            asg(
                "{ min: 1, max: 4 }\n    scale_up:\n      - { metric: FreeableMemory, below: 100 }",
                "",
            ),
            (16, 11),
            "resources[0].scale_up[0].metric",
            "is not a metric AWS/EC2 publishes for an autoscaling_group",
        ),
        // --- custom metrics: `namespace:` and `dimensions:` (issue 21.1) ---
        case(
            "dimensions without a namespace",
            rds(
                "    scale_up:\n      - { metric: cl_waiting, above: 5, dimensions: { pool: main } }\n",
            ),
            (17, 41),
            "resources[0].scale_up[0].dimensions",
            "there is no `namespace`",
        ),
        case(
            "the kind's own namespace without dimensions",
            rds(
                "    scale_up:\n      - { metric: CPUUtilization, above: 80, namespace: AWS/RDS }\n",
            ),
            (17, 46),
            "resources[0].scale_up[0].namespace",
            "is this kind's own namespace, and the rule gives no `dimensions`",
        ),
        case(
            "a misspelt metric in the kind's own namespace is still refused",
            rds(
                "    scale_up:\n      - { metric: CPUUtilisation, above: 80, namespace: AWS/RDS, dimensions: { DBInstanceIdentifier: db } }\n",
            ),
            (17, 11),
            "resources[0].scale_up[0].metric",
            "did you mean `CPUUtilization`?",
        ),
        case(
            "an empty dimension value",
            rds(
                "    scale_up:\n      - { metric: cl_waiting, above: 5, namespace: PgBouncer, dimensions: { pool: '' } }\n",
            ),
            (17, 77),
            "resources[0].scale_up[0].dimensions.pool",
            "empty or over-long name or value",
        ),
        case(
            "a namespace on an alarm rule",
            rds("    scale_up:\n      - { alarm: db-busy, namespace: PgBouncer }\n"),
            (17, 27),
            "resources[0].scale_up[0].namespace",
            "only applies to metric rules",
        ),
        // --- the file as a whole ---
        case(
            "empty file",
            "  \n\n".to_owned(),
            (1, 1),
            "",
            "the file is empty",
        ),
        case(
            "not YAML",
            "This is a README, not a policy.\nIt has two lines.\n".to_owned(),
            (1, 1),
            "",
            "not a policy mapping",
        ),
        case(
            "YAML syntax error",
            HEAD.replace("estate: test", "estate: test: x") + "resources: []\n",
            (2, 13),
            "",
            "YAML syntax error: mapping values are not allowed",
        ),
        case(
            "two documents",
            format!("{HEAD}resources: []\n---\n{HEAD}resources: []\n"),
            (11, 1),
            "",
            "more than one YAML document",
        ),
        case(
            "deeply nested",
            deep,
            (13, 39),
            "",
            "nests deeper than 24 levels",
        ),
        case("alias bomb", bomb, (13, 175), "", "alias"),
    ]
}

/// An ASG `web` with this capacity, lines 9–14, then `spot_mix:` at line 15
/// with `extra` entries (default: `web` with 0% spot).
fn asg(capacity: &str, extra: &str) -> String {
    let mix = if extra.is_empty() {
        "  web: { spot_percent: 0 }\n"
    } else {
        extra
    };
    head(&format!(
        "resources:\n  - id: web\n    kind: autoscaling_group\n    identifier: web\n    workload_class: web\n    capacity: {capacity}\nspot_mix:\n{mix}"
    ))
}

#[test]
fn bad_policies_fail_with_line_column_path_and_message() {
    let cases = cases();
    assert!(cases.len() >= 25, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let err = refused(&c.text);
        let got: Vec<&Problem> = err.problems.iter().collect();
        let ok = got.len() == 1
            && got[0].line == c.line
            && got[0].column == c.column
            && got[0].path == c.path
            && (got[0].message.contains(c.phrase) || got[0].expected.contains(c.phrase));
        if !ok {
            failures.push(format!(
                "{}: wanted one problem at {:?}:{:?} `{}` containing {:?}; got:\n{err}",
                c.name, c.line, c.column, c.path, c.phrase
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn case_names_are_distinct() {
    let cases = cases();
    let mut names: Vec<_> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len());
}
