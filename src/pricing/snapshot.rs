//! The price snapshot built into the binary: a CSV of AWS list prices for one
//! region, parsed once and then looked up by [`PriceKey`] in O(log n). Pure
//! after parsing: no I/O, no clock.
//!
//! The CSV has the columns [`COLUMNS`], in that order, one price per row. The
//! `usd_per_hour` column holds the price in the row's `unit` (`USD/hour`,
//! `USD/ACU-hour`, `USD/GB-month`, ...), so every [`Quote`] carries its unit
//! and callers check it before adding prices up. Provenance of every number is
//! in `data/prices/README.md`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use super::{Origin, PriceBook, PriceKey, Quote};

/// The name the embedded snapshot goes by in reports (its path in the repo).
pub const EMBEDDED_NAME: &str = "data/prices/aws-us-east-1.csv";

/// The snapshot shipped with tidegate.
const EMBEDDED_CSV: &str = include_str!("../../data/prices/aws-us-east-1.csv");

/// The header a snapshot CSV must have, in this order.
pub const COLUMNS: [&str; 9] = [
    "service",
    "instance_type",
    "engine",
    "deployment",
    "region",
    "usd_per_hour",
    "unit",
    "source",
    "as_of",
];

/// Services a snapshot may price ([`PriceKey::service`] is one of these).
pub const SERVICES: [&str; 5] = ["ec2", "rds", "aurora", "elasticache", "msk"];

/// Column indices (0-based) into [`COLUMNS`].
const SERVICE: usize = 0;
const INSTANCE_TYPE: usize = 1;
const ENGINE: usize = 2;
const DEPLOYMENT: usize = 3;
const REGION: usize = 4;
const USD: usize = 5;
const UNIT: usize = 6;
const SOURCE: usize = 7;
const AS_OF: usize = 8;

/// A [`PriceBook`] over a CSV snapshot of list prices for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotPriceBook {
    /// How the snapshot is named in reports (a path, usually).
    name: String,
    /// True for the snapshot compiled into the binary.
    built_in: bool,
    /// The one region every row is for.
    region: String,
    /// Prices by key, with the line each came from.
    prices: BTreeMap<PriceKey, (Quote, usize)>,
    /// Oldest and newest `as_of` date.
    oldest: NaiveDate,
    newest: NaiveDate,
}

impl SnapshotPriceBook {
    /// The snapshot compiled into the binary ([`EMBEDDED_NAME`]).
    ///
    /// # Panics
    ///
    /// Never in a released build: the embedded CSV is part of the source
    /// tree and a unit test parses it. A panic here means someone replaced
    /// `data/prices/aws-us-east-1.csv` with a file that does not parse.
    pub fn embedded() -> Self {
        match Self::from_csv(EMBEDDED_CSV, EMBEDDED_NAME) {
            Ok(book) => Self {
                built_in: true,
                ..book
            },
            Err(e) => panic!("the built-in price snapshot does not parse: {e}"),
        }
    }

    /// Parses a snapshot from CSV text. `name` names it in errors and in
    /// [`PriceBook::describe`].
    ///
    /// Blank lines are skipped, `\r\n` and a leading byte-order mark are
    /// accepted, and fields may be double-quoted (`""` inside quotes is a
    /// quote). Every row must have all nine columns, a known service, a
    /// finite non-negative price, a `USD/...` unit, an ISO `as_of` date and
    /// the same region as the first row; no two rows may share a key.
    ///
    /// # Errors
    ///
    /// The first problem found, with its 1-based line and, where one column
    /// is at fault, its 1-based column and name.
    pub fn from_csv(text: &str, name: &str) -> Result<Self, SnapshotError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let err = |line: usize, column: Option<usize>, problem: SnapshotProblem| SnapshotError {
            name: name.to_string(),
            line,
            column: column.map(|index| Column {
                index: index + 1,
                name: COLUMNS[index],
            }),
            problem,
        };

        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
            .filter(|(_, l)| !l.trim().is_empty());

        let (header_line, header) = lines
            .next()
            .ok_or_else(|| err(1, None, SnapshotProblem::NoHeader))?;
        let header =
            split_fields(header).map_err(|i| err(header_line, i, SnapshotProblem::Quote))?;
        let differs = |i: &usize| header.get(*i).map(String::as_str) != Some(COLUMNS[*i]);
        if let Some(i) = (0..COLUMNS.len()).find(differs) {
            let found = header.get(i).cloned().unwrap_or_default();
            return Err(err(header_line, Some(i), SnapshotProblem::Header { found }));
        }
        if header.len() != COLUMNS.len() {
            let found = header.len();
            return Err(err(
                header_line,
                None,
                SnapshotProblem::FieldCount { found },
            ));
        }

        let mut prices: BTreeMap<PriceKey, (Quote, usize)> = BTreeMap::new();
        let mut region: Option<(String, usize)> = None;
        let mut dates: Option<(NaiveDate, NaiveDate)> = None;
        for (line, text) in lines {
            let (key, quote, row_region, as_of) =
                parse_row(text).map_err(|(column, problem)| err(line, column, problem))?;
            match &region {
                None => region = Some((row_region, line)),
                Some((first, first_line)) if *first != row_region => {
                    let (first, first_line) = (first.clone(), *first_line);
                    let problem = SnapshotProblem::MixedRegion {
                        found: row_region,
                        first,
                        first_line,
                    };
                    return Err(err(line, Some(REGION), problem));
                }
                Some(_) => {}
            }
            if let Some((_, first_line)) = prices.get(&key) {
                let (key, first_line) = (describe_key(&key), *first_line);
                return Err(err(
                    line,
                    None,
                    SnapshotProblem::Duplicate { key, first_line },
                ));
            }
            prices.insert(key, (quote, line));
            dates = Some(dates.map_or((as_of, as_of), |(lo, hi)| (lo.min(as_of), hi.max(as_of))));
        }

        match (region, dates) {
            (Some((region, _)), Some((oldest, newest))) => Ok(Self {
                name: name.to_string(),
                built_in: false,
                region,
                prices,
                oldest,
                newest,
            }),
            _ => Err(err(header_line, None, SnapshotProblem::NoRows)),
        }
    }

    /// The name given at parse time (a path, usually).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The region every price is for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Number of prices.
    pub fn len(&self) -> usize {
        self.prices.len()
    }

    /// True when the snapshot holds no price (never, once parsed).
    pub fn is_empty(&self) -> bool {
        self.prices.is_empty()
    }

    /// Oldest and newest `as_of` date of the prices.
    pub fn as_of_range(&self) -> (NaiveDate, NaiveDate) {
        (self.oldest, self.newest)
    }

    /// Every price, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&PriceKey, &Quote)> {
        self.prices.iter().map(|(k, (q, _))| (k, q))
    }
}

impl PriceBook for SnapshotPriceBook {
    fn quote(&self, key: &PriceKey) -> Option<Quote> {
        self.prices.get(key).map(|(q, _)| q.clone())
    }

    fn describe(&self) -> String {
        format!(
            "{} {} ({}, {} prices as of {} … {})",
            if self.built_in {
                "built-in snapshot"
            } else {
                "price snapshot"
            },
            self.name,
            self.region,
            self.prices.len(),
            self.oldest,
            self.newest
        )
    }
}

/// Writes `prices` for `region` as a snapshot CSV ([`COLUMNS`], a header
/// and one row per price in the order given) that
/// [`SnapshotPriceBook::from_csv`] reads back. Fields holding a comma, a
/// quote or surrounding blanks are double-quoted.
pub fn to_csv<'a>(
    region: &str,
    prices: impl IntoIterator<Item = (&'a PriceKey, &'a Quote)>,
) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for (key, quote) in prices {
        let usd = quote.usd.to_string();
        let fields = [
            key.service,
            &key.instance_type,
            &key.engine,
            &key.deployment,
            region,
            &usd,
            &quote.unit,
            &quote.source,
            &quote.as_of,
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) || field.trim() != field {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// One data row: its key, quote, region and date, or the 0-based column at
/// fault (if one is) and what is wrong.
type Row = (PriceKey, Quote, String, NaiveDate);
fn parse_row(text: &str) -> Result<Row, (Option<usize>, SnapshotProblem)> {
    let mut f = split_fields(text).map_err(|column| (column, SnapshotProblem::Quote))?;
    if f.len() != COLUMNS.len() {
        return Err((None, SnapshotProblem::FieldCount { found: f.len() }));
    }
    if let Some(i) = f.iter().position(String::is_empty) {
        return Err((Some(i), SnapshotProblem::EmptyField));
    }
    let invalid = |i: usize, f: &[String], expected| {
        let found = f[i].clone();
        (Some(i), SnapshotProblem::Invalid { found, expected })
    };
    let service = SERVICES.iter().copied().find(|s| *s == f[SERVICE]);
    let service = service.ok_or_else(|| invalid(SERVICE, &f, EXPECTED_SERVICE))?;
    let usd: f64 = f[USD].parse().map_err(|_| invalid(USD, &f, "a number"))?;
    if !usd.is_finite() || usd < 0.0 {
        return Err(invalid(USD, &f, "a price (a finite number >= 0)"));
    }
    if f[UNIT].strip_prefix("USD/").is_none_or(str::is_empty) {
        return Err(invalid(
            UNIT,
            &f,
            "a unit `USD/...` (e.g. `USD/hour`, `USD/GB-month`)",
        ));
    }
    let as_of = NaiveDate::parse_from_str(&f[AS_OF], "%Y-%m-%d");
    let as_of = as_of.map_err(|_| invalid(AS_OF, &f, "a date (YYYY-MM-DD)"))?;
    let mut take = |i: usize| std::mem::take(&mut f[i]);
    let key = PriceKey {
        service,
        instance_type: take(INSTANCE_TYPE),
        engine: take(ENGINE),
        deployment: take(DEPLOYMENT),
    };
    let quote = Quote {
        usd,
        unit: take(UNIT),
        origin: Origin::Snapshot,
        source: take(SOURCE),
        as_of: take(AS_OF),
    };
    Ok((key, quote, take(REGION), as_of))
}

/// What a service must be, for errors.
const EXPECTED_SERVICE: &str = "a service (ec2, rds, aurora, elasticache, msk)";

/// `service instance_type engine deployment`, as errors name a price.
pub(crate) fn describe_key(key: &PriceKey) -> String {
    format!(
        "{} {} {} {}",
        key.service, key.instance_type, key.engine, key.deployment
    )
}

/// Splits one CSV line into fields. Unquoted fields are trimmed; quoted
/// fields are taken as written, with `""` for a quote. On a malformed quote,
/// returns the 0-based index of the field at fault.
fn split_fields(line: &str) -> Result<Vec<String>, Option<usize>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let index = fields.len();
        // Skip leading blanks to see whether the field is quoted.
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err(column_at(index)),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.next() {
                Some(',') => fields.push(field),
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(_) => return Err(column_at(index)),
            }
        } else {
            loop {
                match chars.next() {
                    Some(',') => break,
                    Some('"') => return Err(column_at(index)),
                    Some(c) => field.push(c),
                    None => {
                        fields.push(field.trim().to_string());
                        return Ok(fields);
                    }
                }
            }
            fields.push(field.trim().to_string());
        }
    }
}

/// The column at 0-based `index`, if the header has one there.
fn column_at(index: usize) -> Option<usize> {
    (index < COLUMNS.len()).then_some(index)
}

/// Why a snapshot CSV was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: line {line}{}: {problem}", at_column(.column))]
pub struct SnapshotError {
    /// The snapshot as named by the caller.
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// The column at fault, when one is.
    pub column: Option<Column>,
    /// What is wrong.
    pub problem: SnapshotProblem,
}

/// A column of the snapshot CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// 1-based position.
    pub index: usize,
    /// Header name, e.g. `usd_per_hour`.
    pub name: &'static str,
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {} ({})", self.index, self.name)
    }
}

fn at_column(column: &Option<Column>) -> String {
    column.map(|c| format!(", {c}")).unwrap_or_default()
}

/// What is wrong with one line of a snapshot CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotProblem {
    /// The text is empty.
    #[error("no header line (expected `{}`)", COLUMNS.join(","))]
    NoHeader,
    /// A header column is not the expected one.
    #[error("header `{found}`, expected the header `{}`", COLUMNS.join(","))]
    Header {
        /// The column name found.
        found: String,
    },
    /// Wrong number of fields.
    #[error("{found} fields, expected {}", COLUMNS.len())]
    FieldCount {
        /// Fields found.
        found: usize,
    },
    /// An unterminated or stray double quote.
    #[error("malformed double quote")]
    Quote,
    /// A required field is empty.
    #[error("empty")]
    EmptyField,
    /// A value that is not what its column holds.
    #[error("`{found}` is not {expected}")]
    Invalid {
        /// The value found.
        found: String,
        /// What the column holds, e.g. `a number`.
        expected: &'static str,
    },
    /// A second region: a snapshot holds one region's prices.
    #[error(
        "region `{found}` differs from `{first}` on line {first_line}; one snapshot holds one region"
    )]
    MixedRegion {
        /// The region found.
        found: String,
        /// The region of the first row.
        first: String,
        /// The line of the first row.
        first_line: usize,
    },
    /// Two rows with the same service, instance type, engine and deployment.
    #[error("duplicate price for {key} (first on line {first_line})")]
    Duplicate {
        /// `service instance_type engine deployment`.
        key: String,
        /// Where the first one is.
        first_line: usize,
    },
    /// A header and no price.
    #[error("no prices after the header")]
    NoRows,
}

#[cfg(test)]
#[path = "snapshot_tests.rs"]
mod tests;
