//! Tests of `snapshot.rs`.

use super::*;

const HEADER: &str =
    "service,instance_type,engine,deployment,region,usd_per_hour,unit,source,as_of";

fn key(service: &'static str, instance_type: &str, engine: &str, deployment: &str) -> PriceKey {
    PriceKey {
        service,
        instance_type: instance_type.to_string(),
        engine: engine.to_string(),
        deployment: deployment.to_string(),
    }
}

fn parse_err(body: &str) -> SnapshotError {
    match SnapshotPriceBook::from_csv(&format!("{HEADER}\n{body}"), "t.csv") {
        Ok(_) => panic!("expected an error for {body:?}"),
        Err(e) => e,
    }
}

#[test]
fn embedded_parses_every_row() {
    let book = SnapshotPriceBook::embedded();
    let data_lines = EMBEDDED_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(data_lines, 267);
    assert_eq!(book.len(), data_lines);
    assert_eq!(book.region(), "us-east-1");
    assert_eq!(book.name(), EMBEDDED_NAME);
    for (service, count) in [
        ("ec2", 82),
        ("rds", 96),
        ("aurora", 20),
        ("elasticache", 51),
        ("msk", 18),
    ] {
        assert_eq!(
            book.iter().filter(|(k, _)| k.service == service).count(),
            count,
            "{service}"
        );
    }
}

#[test]
fn embedded_describes_itself_with_its_date_range() {
    let book = SnapshotPriceBook::embedded();
    assert_eq!(
        book.describe(),
        "built-in snapshot data/prices/aws-us-east-1.csv \
         (us-east-1, 267 prices as of 2021-08-03 … 2026-07-20)"
    );
}

#[test]
fn embedded_quotes_carry_unit_source_and_date() {
    let book = SnapshotPriceBook::embedded();
    let q = book
        .quote(&key("rds", "db.r6g.xlarge", "postgresql", "multi-az"))
        .expect("db.r6g.xlarge postgresql multi-az is in the snapshot");
    assert_eq!(q.usd, 0.899);
    assert_eq!(q.unit, "USD/hour");
    assert_eq!(q.as_of, "2024-09-28");
    assert!(q.source.starts_with("github:yeo/ec2.shop@"), "{}", q.source);

    let acu = book
        .quote(&key(
            "aurora",
            "db.serverless(ACU)",
            "aurora-mysql",
            "serverless-v2-standard",
        ))
        .expect("aurora-mysql serverless v2 is in the snapshot");
    assert_eq!((acu.usd, acu.unit.as_str()), (0.12, "USD/ACU-hour"));

    let ebs = book
        .quote(&key("msk", "storage-ebs", "kafka", "broker-storage"))
        .expect("msk storage is in the snapshot");
    assert_eq!((ebs.usd, ebs.unit.as_str()), (0.1, "USD/GB-month"));
}

#[test]
fn unknown_key_has_no_quote() {
    let book = SnapshotPriceBook::embedded();
    // No aurora-postgresql Serverless v2 price in the data (see README).
    assert_eq!(
        book.quote(&key(
            "aurora",
            "db.serverless(ACU)",
            "aurora-postgresql",
            "serverless-v2-standard"
        )),
        None
    );
    // The policy engine name `postgres` is not a CSV engine.
    assert_eq!(
        book.quote(&key("rds", "db.r6g.large", "postgres", "single-az")),
        None
    );
}

#[test]
fn crlf_bom_blank_lines_and_quotes_are_accepted() {
    let text = format!(
        "\u{feff}{HEADER}\r\n\r\nrds,db.t4g.micro,mysql,single-az,us-east-1,0.016,USD/hour,\"a, \"\"b\"\"\",2024-09-28\r\n"
    );
    let book = SnapshotPriceBook::from_csv(&text, "x.csv").expect("parses");
    let q = book
        .quote(&key("rds", "db.t4g.micro", "mysql", "single-az"))
        .expect("row present");
    assert_eq!(q.source, "a, \"b\"");
    assert_eq!(
        book.describe(),
        "price snapshot x.csv (us-east-1, 1 prices as of 2024-09-28 … 2024-09-28)"
    );
}

#[test]
fn bad_number_names_line_and_column() {
    let e = parse_err(
        "ec2,m5.large,linux,on-demand,us-east-1,0.096,USD/hour,s,2026-07-20\n\
         ec2,m5.xlarge,linux,on-demand,us-east-1,0.1.92,USD/hour,s,2026-07-20",
    );
    assert_eq!(e.line, 3);
    assert_eq!(
        e.column,
        Some(Column {
            index: 6,
            name: "usd_per_hour"
        })
    );
    assert_eq!(
        e.to_string(),
        "t.csv: line 3, column 6 (usd_per_hour): `0.1.92` is not a number"
    );
}

#[test]
fn each_bad_field_is_located() {
    let row = |fields: [&str; 9]| fields.join(",");
    let good = [
        "ec2",
        "m5.large",
        "linux",
        "on-demand",
        "us-east-1",
        "0.096",
        "USD/hour",
        "s",
        "2026-07-20",
    ];
    let cases: [(usize, &str, &str); 7] = [
        (SERVICE, "lambda", "`lambda` is not a service (ec2, rds,"),
        (USD, "-1", "`-1` is not a price"),
        (USD, "NaN", "`NaN` is not a price"),
        (UNIT, "EUR/hour", "`EUR/hour` is not a unit `USD/...`"),
        (UNIT, "USD/", "`USD/` is not a unit"),
        (AS_OF, "28/09/2024", "`28/09/2024` is not a date"),
        (INSTANCE_TYPE, "", "empty"),
    ];
    for (column, value, message) in cases {
        let mut fields = good;
        fields[column] = value;
        let e = parse_err(&row(fields));
        assert_eq!(
            (e.line, e.column.map(|c| c.name)),
            (2, Some(COLUMNS[column]))
        );
        assert!(e.to_string().contains(message), "{e}");
    }
}

#[test]
fn structural_problems_are_located() {
    let e = parse_err("ec2,m5.large,linux,on-demand,us-east-1,0.096,USD/hour,s");
    assert_eq!(
        (e.line, e.problem.clone()),
        (2, SnapshotProblem::FieldCount { found: 8 })
    );

    let e = parse_err("ec2,m5.large,linux,on-demand,us-east-1,0.096,USD/hour,\"s,2026-07-20");
    assert_eq!(
        (e.line, e.problem, e.column.map(|c| c.index)),
        (2, SnapshotProblem::Quote, Some(8))
    );

    let e = SnapshotPriceBook::from_csv(
        "service,instance_type,engine,deployment,region,price,unit,source,as_of\n",
        "h.csv",
    )
    .expect_err("header with a wrong column");
    assert_eq!(
        (e.line, e.column.map(|c| c.name)),
        (1, Some("usd_per_hour"))
    );

    let e = SnapshotPriceBook::from_csv(&format!("{HEADER}\n\n"), "h.csv").expect_err("no rows");
    assert_eq!(e.problem, SnapshotProblem::NoRows);

    let e = SnapshotPriceBook::from_csv("", "h.csv").expect_err("empty");
    assert_eq!(e.problem, SnapshotProblem::NoHeader);
}

#[test]
fn duplicates_and_mixed_regions_are_refused() {
    let row = "msk,storage-ebs,kafka,broker-storage,us-east-1,0.1,USD/GB-month,s,2025-10-09";
    let e = parse_err(&format!("{row}\n{row}"));
    assert_eq!(
        e.to_string(),
        "t.csv: line 3: duplicate price for msk storage-ebs kafka broker-storage (first on line 2)"
    );

    let e = parse_err(&format!(
        "{row}\nmsk,kafka.m5.large,kafka,broker,eu-west-1,0.2,USD/hour,s,2025-10-09"
    ));
    assert_eq!((e.line, e.column.map(|c| c.name)), (3, Some("region")));
    assert!(
        e.to_string().contains("differs from `us-east-1` on line 2"),
        "{e}"
    );
}

#[test]
fn a_written_snapshot_reads_back_the_same_prices() {
    let book = SnapshotPriceBook::embedded();
    let text = to_csv(book.region(), book.iter());
    let back = SnapshotPriceBook::from_csv(&text, "written.csv").expect("reads back");
    assert_eq!(back.len(), book.len());
    assert!(book.iter().zip(back.iter()).all(|(a, b)| a == b));

    // A source with a comma, a quote and blanks survives quoting.
    let key = PriceKey {
        service: "ec2",
        instance_type: "m5.large".into(),
        engine: "linux".into(),
        deployment: "on-demand".into(),
    };
    let quote = Quote {
        usd: 0.096,
        unit: "USD/hour".into(),
        origin: Origin::Snapshot,
        source: " a, \"quoted\" source ".into(),
        as_of: "2026-11-23".into(),
    };
    let text = to_csv("eu-west-1", [(&key, &quote)]);
    let back = SnapshotPriceBook::from_csv(&text, "q.csv").expect("reads back");
    assert_eq!(back.quote(&key), Some(quote));
    assert_eq!(back.region(), "eu-west-1");
}
