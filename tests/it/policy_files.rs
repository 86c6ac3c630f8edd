//! Policy files: the shipped policies validate and mean what they say; bad
//! policies fail with the exact line, column, field path and message; every
//! problem of a file is reported; `policies/schema.json` is current; the
//! `validate` and `schema` commands report and exit as documented.

use std::path::PathBuf;

use tidegate::policy::{self, Comparison, Direction, KnobName, PolicyError, Scale, Span, Trigger};

mod cases;
mod cli;

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped(name: &str) -> PathBuf {
    root().join("policies").join(name)
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/policies").join(name)
}

pub(crate) fn refused(text: &str) -> PolicyError {
    match policy::load_str(text, "case.yaml") {
        Ok(_) => panic!("policy should be refused:\n{text}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- shipped

#[test]
fn shipped_policies_validate() {
    for name in ["estate.yaml", "minimal.yaml"] {
        if let Err(e) = policy::load_file(&shipped(name)) {
            panic!("{name} should validate:\n{e}");
        }
    }
}

#[test]
fn estate_policy_means_what_it_says() {
    let p = policy::load_file(&shipped("estate.yaml")).expect("estate.yaml validates");
    assert_eq!(p.region, "us-east-1");
    assert_eq!(p.resources.len(), 7);
    assert!(p.guardrails.dry_run);

    let aurora = p.resource("orders-aurora").expect("orders-aurora");
    let acu = aurora
        .knob(KnobName::ServerlessV2)
        .expect("serverless_v2 knob");
    assert_eq!(
        acu.scale,
        Scale::Acu {
            max_values: vec![2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0],
            min_acu: 2.0
        }
    );
    assert_eq!(acu.floor, 1, "floor_acu 4 is the second position");
    let readers = aurora.knob(KnobName::Readers).expect("readers knob");
    assert_eq!(readers.scale, Scale::Counts((0..=15).collect()));
    assert_eq!(readers.floor, 1);
    let business = aurora.profile("business_hours").expect("business_hours");
    assert_eq!(business.ranges.get(&KnobName::ServerlessV2), Some(&(1, 7)));
    assert_eq!(business.min_acu, Some(4.0));
    assert_eq!(business.ranges.get(&KnobName::Readers), Some(&(2, 15)));
    let emergency = aurora.profile("emergency").expect("emergency");
    assert_eq!(emergency.ranges.get(&KnobName::ServerlessV2), Some(&(0, 1)));

    let db = p.resource("billing-db").expect("billing-db");
    // Its own cooldown, not the guardrails' default (up 15m, down 30m).
    assert!(db.cooldown.down > Span::from_mins(30), "{:?}", db.cooldown);
    assert!(db.apply_immediately && db.multi_az);
    let names: Vec<&str> = db.scale_up.iter().map(|r| r.alarm_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "tidegate-billing-db-up-cpuutilization",
            "tidegate-billing-db-up-freeablememory",
            "tidegate-billing-db-up-databaseconnections",
        ]
    );
    assert!(db.rules().all(|r| r.knob == KnobName::InstanceClass));
    let conn = &db.scale_up[2];
    assert!(conn.critical);
    assert!(matches!(
        &conn.trigger,
        Trigger::Metric(m) if m.comparison == Comparison::AbovePercentOfMaxConnections(80.0)
            && m.statistic == "Average" && m.evaluation_periods == 3
    ));
    assert_eq!(db.scale_down[0].direction, Direction::Down);

    let msk = p.resource("events-msk").expect("events-msk");
    let brokers = msk.knob(KnobName::Brokers).expect("brokers");
    assert_eq!(brokers.scale, Scale::Counts(vec![3, 6]));
    assert_eq!(msk.knobs[0].name, KnobName::Brokers, "brokers come first");

    // Named alarms are looked up by their own name.
    let hits: Vec<_> = p
        .rules_for_alarm("orders-aurora-read-latency-high")
        .map(|(r, rule)| (r.id.as_str(), rule.knob))
        .collect();
    assert_eq!(hits, [("orders-aurora", KnobName::Readers)]);

    // No cooldown of its own, so the guardrails' default.
    let pgb = p.resource("pgbouncer-fleet").expect("pgbouncer-fleet");
    assert_eq!(pgb.cooldown.up, Span::from_mins(15));
    assert_eq!(pgb.cooldown.down, Span::from_mins(30));
}

#[test]
fn the_estate_looks_for_spend_anomalies_over_six_weeks() {
    let p = policy::load_file(&shipped("estate.yaml")).expect("estate.yaml validates");
    let b = p.budgets.expect("budgets");
    assert_eq!(
        b.anomaly,
        policy::AnomalySettings {
            weeks: 6,
            ..policy::AnomalySettings::default()
        }
    );
    // Without the block, the defaults: on, four weeks.
    let m = policy::load_str(&rds("budgets: { daily_usd: 100, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: night }\n"), "m.yaml")
        .expect("valid");
    let d = m.budgets.expect("budgets").anomaly;
    assert!(d.enabled && d.aws_anomalies);
    assert_eq!((d.weeks, d.threshold_mads), (4, 3.0));
}

#[test]
fn minimal_policy_gets_the_documented_defaults() {
    let p = policy::load_file(&shipped("minimal.yaml")).expect("minimal.yaml validates");
    assert_eq!(p.region, "us-east-1");
    let db = &p.resources[0];
    assert!(!db.apply_immediately && !db.multi_az && !db.allow_stop);
    let ladder = db.knob(KnobName::InstanceClass).expect("ladder");
    assert_eq!(ladder.floor, 0);
    assert_eq!(ladder.scale.len(), 4);
    // No guardrails default either: 15m up, 30m down.
    assert_eq!(db.cooldown.up, Span::from_mins(15));
    // Prices: the Pricing API, its answer kept a day, no spot discount.
    assert_eq!(p.prices, policy::PriceSettings::default());
    assert!(p.prices.pricing_api && p.prices.spot_discount_percent.is_none());
    assert_eq!(p.prices.cache_ttl, Span::from_secs(24 * 3600));
    assert_eq!(
        db.scale_down[0].alarm_name,
        "tidegate-app-db-down-cpuutilization"
    );
}

#[test]
fn generated_alarm_names_are_deterministic_and_unique() {
    let text = format!(
        "{HEAD}resources:
  - id: Web-ASG
    kind: autoscaling_group
    identifier: web
    workload_class: web
    capacity: {{ min: 1, max: 4 }}
    scale_up:
      - {{ metric: CPUUtilization, above: 80 }}
      - {{ metric: CPUUtilization, above: 60, evaluation_periods: 10 }}
spot_mix:
  web: {{ spot_percent: 0 }}
"
    );
    let p = policy::load_str(&text, "case.yaml").expect("valid");
    let names: Vec<&str> = p.resources[0]
        .scale_up
        .iter()
        .map(|r| r.alarm_name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "tidegate-web-asg-up-cpuutilization",
            "tidegate-web-asg-up-cpuutilization-2"
        ]
    );
    assert_eq!(
        policy::generated_alarm_name("Web-ASG", Direction::Up, "CPUUtilization", 2),
        names[1]
    );
}

// ------------------------------------------------------------ helpers

/// Lines 1–8 of most cases; the case text continues at line 9.
pub(crate) const HEAD: &str = "\
version: 1
estate: test
guardrails:
  max_actions_per_hour: 10
  oscillation_window: 1h
profiles:
  day: {}
  night: {}
";

/// A valid RDS resource at lines 9–15, for cases that append to it.
pub(crate) const RDS: &str = "\
resources:
  - id: db
    kind: rds_instance
    identifier: db
    engine: postgres
    instance_class:
      ladder: [db.r6g.large, db.r6g.xlarge, db.r6g.2xlarge]
";

pub(crate) fn head(rest: &str) -> String {
    format!("{HEAD}{rest}")
}

pub(crate) fn rds(rest: &str) -> String {
    format!("{HEAD}{RDS}{rest}")
}

#[test]
fn huge_file_is_refused_before_parsing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.yaml");
    let line = "# padding padding padding padding padding padding padding padding\n";
    let mut text = head(RDS);
    while (text.len() as u64) <= policy::MAX_POLICY_BYTES {
        text.push_str(line);
    }
    std::fs::write(&path, &text).expect("write huge file");
    let started = std::time::Instant::now();
    let err = policy::load_file(&path).expect_err("a huge file is refused");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(err.problems.len(), 1);
    let p = &err.problems[0];
    assert_eq!((p.line, p.column, p.path.as_str()), (None, None, ""));
    assert!(p.message.contains("too large"), "{p:?}");
    // The same limit holds for text handed over directly.
    let err = refused(&text);
    assert!(
        err.problems[0]
            .message
            .contains(&format!("{} bytes", text.len()))
    );
}

#[test]
fn chained_aliases_fail_cleanly_on_a_small_stack() {
    // Each anchor nests the previous one 20 levels deeper: expanded, the
    // last is 2,800 levels deep. Serde stops at the unknown key on line 1;
    // the location index must not expand the rest on this thread's stack.
    let mut text = String::from("sise: 1\na0: &a0 [x]\n");
    for i in 1..140 {
        let open = "[".repeat(20);
        let close = "]".repeat(20);
        text.push_str(&format!("a{i}: &a{i} {open}*a{}{close}\n", i - 1));
    }
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || policy::load_str(&text, "chain.yaml").map(|_| ()))
        .expect("spawn");
    let err = handle
        .join()
        .expect("no stack overflow")
        .expect_err("refused");
    assert_eq!(err.problems.len(), 1);
    assert!(
        err.problems[0].message.contains("unknown key `sise`"),
        "{err}"
    );
    assert_eq!(err.problems[0].line, Some(1));
}

#[test]
fn aliases_in_a_valid_policy_are_expanded_and_located() {
    let text = rds(
        "    profiles:\n      day: &small { instance_class: { max: db.r6g.xlarge } }\n      night: *small\n  - id: db2\n    kind: rds_instance\n    identifier: db2\n    engine: mysql\n    instance_class: { ladder: [db.r6g.large, db.r6g.4xlarge] }\n    profiles: { night: *small }\n",
    );
    let err = refused(&text);
    // The shared override names a class that is not on db2's ladder: the
    // path says where the alias is used, the line where the value is written
    // (the anchor, line 17).
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.path, "resources[1].profiles.night.instance_class.max");
    assert_eq!((p.line, p.column), (Some(17), Some(39)));
    assert!(
        p.message.contains("`db.r6g.xlarge` is not on the ladder"),
        "{err}"
    );
    let ok = text.replace("db.r6g.4xlarge] }", "db.r6g.xlarge] }");
    let policy = policy::load_str(&ok, "ok.yaml").expect("valid with aliases");
    let night = policy.resources[1].profile("night").expect("night");
    assert_eq!(night.ranges.get(&KnobName::InstanceClass), Some(&(0, 1)));
}

#[test]
fn a_huge_bad_value_is_reported_quickly_and_briefly() {
    // "Did you mean" is quadratic in the word; a 1.5 MB time zone name must
    // not take minutes, nor be echoed whole.
    let tz = "Europe/".repeat(220_000);
    let text = rds(&format!(
        "schedules:\n  - name: s\n    timezone: {tz}\n    transitions: [{{ cron: '0 8 * * *', profile: day }}]\n"
    ));
    let started = std::time::Instant::now();
    let err = refused(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(err.problems.len(), 1);
    let p = &err.problems[0];
    assert_eq!(p.path, "schedules[0].timezone");
    assert!(
        p.message.starts_with("unknown time zone `Europe/Europe/"),
        "{}",
        p.message
    );
    assert!(p.message.len() < 500, "{} bytes", p.message.len());
}

#[test]
fn file_that_is_not_utf8_is_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("latin1.yaml");
    std::fs::write(&path, b"version: 1\nestate: caf\xe9\n").expect("write file");
    let err = policy::load_file(&path).expect_err("refused");
    let p = &err.problems[0];
    assert_eq!((p.line, p.column), (Some(2), Some(12)));
    assert!(p.message.contains("not UTF-8"), "{p:?}");
}

#[test]
fn unreadable_file_names_the_file_and_the_os_error() {
    let path = root().join("tests/fixtures/policies/does-not-exist.yaml");
    let err = policy::load_file(&path).expect_err("refused");
    assert_eq!(err.file, path.display().to_string());
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}: (document): cannot read the file: ",
            path.display()
        )),
        "{text}"
    );
    assert!(text.contains("No such file"), "{text}");
}

#[test]
fn every_problem_of_a_file_is_reported_in_file_order() {
    let err = policy::load_file(&fixture("bad/multiple_problems.yaml")).expect_err("refused");
    let got: Vec<(Option<usize>, &str)> = err
        .problems
        .iter()
        .map(|p| (p.line, p.path.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(5), "guardrails.max_actions_per_hour"),
            (Some(12), "schedules[0].timezone"),
            (Some(14), "schedules[0].transitions[0].cron"),
            (Some(17), "budgets.warn_at_percent"),
            (Some(28), "resources[0].instance_class.ladder[1]"),
            (Some(29), "resources[0].instance_class.floor"),
            (Some(30), "resources[1].id"),
            (Some(34), "resources[1].capacity.min"),
        ]
    );
    // Display: one line per problem, `file:line:col: path: message; expected ...`.
    let text = err.to_string();
    assert_eq!(text.lines().count(), 8);
    for line in text.lines() {
        assert!(line.contains("multiple_problems.yaml:"), "{line}");
        assert!(line.contains("; expected "), "{line}");
    }
}

// ----------------------------------------------------------------- schema

fn schema() -> serde_json::Value {
    serde_json::from_str(&policy::schema::json_schema()).expect("the schema is JSON")
}

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(shipped("schema.json")).unwrap_or_default();
    assert!(
        committed == policy::schema::json_schema(),
        "policies/schema.json is out of date; regenerate it with\n    cargo run -- schema --out policies/schema.json"
    );
}

#[test]
fn schema_lists_every_top_level_key_and_resource_kind() {
    let s = schema();
    let props = s["properties"].as_object().expect("properties");
    for key in [
        "version",
        "estate",
        "region",
        "guardrails",
        "profiles",
        "schedules",
        "spot_mix",
        "budgets",
        "resources",
    ] {
        assert!(props.contains_key(key), "schema lacks `{key}`");
    }
    let kinds = kinds_in(&s);
    for kind in [
        "rds_instance",
        "aurora_cluster",
        "msk_cluster",
        "elasticache_redis",
        "autoscaling_group",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "schema lacks kind `{kind}`: {kinds:?}"
        );
    }
    assert_eq!(
        s["additionalProperties"],
        serde_json::Value::Bool(false),
        "unknown keys are refused"
    );
}

fn kinds_in(schema: &serde_json::Value) -> Vec<String> {
    let kind = &schema["$defs"]["ResourceKind"];
    let mut out = Vec::new();
    for v in kind["enum"].as_array().into_iter().flatten() {
        out.extend(v.as_str().map(str::to_owned));
    }
    for alt in kind["oneOf"].as_array().into_iter().flatten() {
        out.extend(alt["const"].as_str().map(str::to_owned));
        for v in alt["enum"].as_array().into_iter().flatten() {
            out.extend(v.as_str().map(str::to_owned));
        }
    }
    out
}

#[test]
fn shipped_policies_use_only_schema_keys_and_kinds() {
    let s = schema();
    let props = s["properties"].as_object().expect("properties");
    let kinds = kinds_in(&s);
    for name in ["estate.yaml", "minimal.yaml"] {
        let text = std::fs::read_to_string(shipped(name)).expect("read policy");
        let doc: serde_json::Value = serde_saphyr::from_str(&text).expect("policy YAML as JSON");
        for key in doc.as_object().expect("a mapping").keys() {
            assert!(
                props.contains_key(key),
                "{name}: `{key}` is not in the schema"
            );
        }
        for r in doc["resources"].as_array().expect("resources") {
            let kind = r["kind"].as_str().expect("kind");
            assert!(
                kinds.iter().any(|k| k == kind),
                "{name}: kind `{kind}` not in the schema"
            );
        }
    }
}

#[test]
fn an_unknown_resource_key_is_offered_only_its_kinds_keys() {
    let err = refused(&rds("    multiaz: true\n"));
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!((p.line, p.column), (Some(16), Some(5)), "{err}");
    assert_eq!(p.path, "resources[0].multiaz");
    assert!(p.message.contains("(did you mean `multi_az`?)"), "{err}");
    for own in [
        "id",
        "kind",
        "scale_up",
        "multi_az",
        "instance_class",
        "allow_stop",
    ] {
        assert!(p.expected.contains(own), "{own} missing: {err}");
    }
    for other in [
        "serverless_v2",
        "brokers",
        "node_type",
        "capacity",
        "az_count",
    ] {
        assert!(!p.expected.contains(other), "{other} offered: {err}");
    }
}

fn warnings_of(text: &str) -> Vec<(Option<usize>, Option<usize>, String, String)> {
    let p = policy::load_str(text, "case.yaml").unwrap_or_else(|e| panic!("valid:\n{e}"));
    p.warnings
        .into_iter()
        .map(|w| (w.line, w.column, w.path, w.message))
        .collect()
}

#[test]
fn a_profile_without_a_schedule_is_a_warning_unless_it_is_the_emergency_one() {
    let text = rds("    profiles:\n      day: { instance_class: { max: db.r6g.xlarge } }\n");
    let w = warnings_of(&text);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!((w[0].0, w[0].1), (Some(17), Some(7)), "{w:?}");
    assert_eq!(w[0].2, "resources[0].profiles.day");
    assert!(
        w[0].3.contains("profile `day` of db can never be in force"),
        "{w:?}"
    );
    // The budget's emergency profile is put in force by the budget run.
    let text = format!(
        "{text}budgets: {{ daily_usd: 100, warn_at_percent: 80, emergency_at_percent: 95, emergency_profile: day }}\n"
    );
    assert_eq!(warnings_of(&text), []);
}

#[test]
fn a_resource_nothing_could_change_is_a_warning() {
    let w = warnings_of(&rds(""));
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!((w[0].0, w[0].1), (Some(10), Some(5)), "{w:?}");
    assert_eq!(w[0].2, "resources[0]");
    assert!(w[0].3.contains("nothing could ever change db"), "{w:?}");
    // One rule is enough to be managed.
    let ruled = rds("    scale_up:\n      - { metric: CPUUtilization, above: 80 }\n");
    assert_eq!(warnings_of(&ruled), []);
}
