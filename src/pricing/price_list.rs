//! The AWS Price List Query API's products, read into the engine's
//! [`PriceKey`] / [`Quote`] vocabulary (the same as the CSV snapshot's).
//! Pure: no I/O, no clock; same text, same answer.
//!
//! `GetProducts` answers with one JSON *string* per product: its
//! `product.attributes` (`servicecode`, `instanceType`, `databaseEngine`,
//! `deploymentOption`, `usagetype`, `regionCode`, ...) and its
//! `terms.OnDemand.<offer>.priceDimensions.<dim>` (`unit`,
//! `pricePerUnit.USD`, `beginRange`, `endRange`). [`ProductSpec::for_key`]
//! says which product a key means (the `GetProducts` filters and the checks
//! on what comes back); [`parse_product`] reads one product for one key and
//! refuses, with a typed [`PriceListError`], a product that is not the one
//! asked for, a price in another unit, several different prices, or a
//! tiered price.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::snapshot::describe_key;
use super::{Origin, PriceKey, Quote};

/// What the price-list unit becomes in a [`Quote`].
const UNITS: [(&str, &str); 6] = [
    ("Hrs", "USD/hour"),
    ("Hours", "USD/hour"),
    ("hours", "USD/hour"),
    ("ACU-Hr", "USD/ACU-hour"),
    ("GB-Mo", "USD/GB-month"),
    ("MBps-Mo", "USD/MBps-month"),
];

/// Which product a [`PriceKey`] means in the price list, for one region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProductSpec {
    /// `AmazonRDS`, `AmazonElastiCache`, `AmazonMSK`, `AmazonEC2`.
    pub service_code: &'static str,
    /// Attributes the product must have, exactly (sent as `TERM_MATCH`
    /// filters), `regionCode` and `locationType` (`AWS Region`) included.
    pub attributes: Vec<(&'static str, String)>,
    /// The `usagetype` without its region prefix (`Multi-AZUsage:db.r6g.large`,
    /// `Kafka.Storage.GP2`): the product's `usagetype` must be this or end
    /// with `-` and this. Checked on the answer, not sent (the prefix
    /// differs by region).
    pub usage_type: String,
    /// The quote's unit (`USD/hour`, `USD/ACU-hour`, `USD/GB-month`).
    pub unit: &'static str,
}

impl ProductSpec {
    /// The product `key` means in `region`.
    ///
    /// # Errors
    ///
    /// [`PriceListError::Unsupported`] for a key the price list cannot
    /// answer (an unknown engine or deployment, spot prices, MSK provisioned
    /// throughput).
    pub fn for_key(key: &PriceKey, region: &str) -> Result<Self, PriceListError> {
        let unsupported = || PriceListError::Unsupported {
            key: describe_key(key),
        };
        let class = key.instance_type.clone();
        let spec = |service_code, attributes: Vec<(&'static str, String)>, usage_type, unit| {
            let mut attributes = attributes;
            // A region's own product, not an Outpost's or a Local Zone's.
            attributes.push(("regionCode", region.to_string()));
            attributes.push(("locationType", "AWS Region".to_string()));
            attributes.sort();
            ProductSpec {
                service_code,
                attributes,
                usage_type,
                unit,
            }
        };
        Ok(match (key.service, key.deployment.as_str()) {
            ("rds", deployment @ ("single-az" | "multi-az")) => {
                let engine = match key.engine.as_str() {
                    "postgresql" => "PostgreSQL",
                    "mysql" => "MySQL",
                    "mariadb" => "MariaDB",
                    _ => return Err(unsupported()),
                };
                let (option, multi) = if deployment == "multi-az" {
                    ("Multi-AZ", "Multi-AZ-")
                } else {
                    ("Single-AZ", "")
                };
                let common = vec![
                    ("databaseEngine", engine.to_string()),
                    ("deploymentOption", option.to_string()),
                ];
                if class == "storage-gp3" {
                    let mut attrs = common;
                    attrs.push(("volumeType", "General Purpose-GP3".to_string()));
                    let usage = format!("RDS:{multi}GP3-Storage");
                    spec("AmazonRDS", attrs, usage, "USD/GB-month")
                } else {
                    let mut attrs = common;
                    attrs.push(("instanceType", class.clone()));
                    let usage = if deployment == "multi-az" {
                        format!("Multi-AZUsage:{class}")
                    } else {
                        format!("InstanceUsage:{class}")
                    };
                    spec("AmazonRDS", attrs, usage, "USD/hour")
                }
            }
            ("aurora", deployment) => {
                let engine = match key.engine.as_str() {
                    "aurora-postgresql" => "Aurora PostgreSQL",
                    "aurora-mysql" => "Aurora MySQL",
                    _ => return Err(unsupported()),
                };
                let engine_attr = ("databaseEngine", engine.to_string());
                match deployment {
                    "provisioned-instance" => spec(
                        "AmazonRDS",
                        vec![engine_attr, ("instanceType", class.clone())],
                        format!("InstanceUsage:{class}"),
                        "USD/hour",
                    ),
                    "serverless-v2-standard" | "serverless-v2-io-optimized" => {
                        let usage = if deployment == "serverless-v2-standard" {
                            "Aurora:ServerlessV2Usage"
                        } else {
                            "Aurora:ServerlessV2IOOptimizedUsage"
                        };
                        spec(
                            "AmazonRDS",
                            vec![engine_attr, ("productFamily", "ServerlessV2".to_string())],
                            usage.to_string(),
                            "USD/ACU-hour",
                        )
                    }
                    _ => return Err(unsupported()),
                }
            }
            ("elasticache", "node") => {
                let engine = match key.engine.as_str() {
                    "redis" => "Redis",
                    "valkey" => "Valkey",
                    "memcached" => "Memcached",
                    _ => return Err(unsupported()),
                };
                spec(
                    "AmazonElastiCache",
                    vec![
                        ("cacheEngine", engine.to_string()),
                        ("instanceType", class.clone()),
                    ],
                    format!("NodeUsage:{class}"),
                    "USD/hour",
                )
            }
            ("msk", "broker") if key.engine == "kafka" => {
                let short = class.strip_prefix("kafka.").ok_or_else(unsupported)?;
                spec(
                    "AmazonMSK",
                    Vec::new(),
                    format!("Kafka.{short}"),
                    "USD/hour",
                )
            }
            ("msk", "broker-storage") if key.engine == "kafka" && class == "storage-ebs" => spec(
                "AmazonMSK",
                Vec::new(),
                "Kafka.Storage.GP2".to_string(),
                "USD/GB-month",
            ),
            ("ec2", "on-demand") if key.engine == "linux" => spec(
                "AmazonEC2",
                vec![
                    ("instanceType", class.clone()),
                    ("operatingSystem", "Linux".to_string()),
                    ("tenancy", "Shared".to_string()),
                    ("preInstalledSw", "NA".to_string()),
                    ("capacitystatus", "Used".to_string()),
                ],
                format!("BoxUsage:{class}"),
                "USD/hour",
            ),
            _ => return Err(unsupported()),
        })
    }

    /// Whether `usage_type` (as the product has it) is this spec's, with or
    /// without a region prefix (`USE1-Kafka.m5.large`).
    fn usage_type_matches(&self, usage_type: &str) -> bool {
        usage_type == self.usage_type
            || usage_type
                .strip_suffix(self.usage_type.as_str())
                .and_then(|prefix| prefix.strip_suffix('-'))
                .is_some_and(|region| {
                    !region.is_empty()
                        && region
                            .chars()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                })
    }
}

/// Why a price-list product gave no quote for a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceListError {
    /// The key has no product in the price list tidegate knows how to ask for.
    #[error("no price-list product for {key}")]
    Unsupported {
        /// `service instance_type engine deployment`.
        key: String,
    },
    /// The text is not a price-list product.
    #[error("not a price-list product: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The product is another one than the one asked for.
    #[error("product {sku} is not the one asked for: {field} is `{found}`, expected `{expected}`")]
    NotTheProduct {
        /// The product's SKU.
        sku: String,
        /// The attribute that differs.
        field: String,
        /// The value asked for.
        expected: String,
        /// The product's value (empty when it has none).
        found: String,
    },
    /// The product has no on-demand price in the unit the key needs.
    #[error("product {sku} has no on-demand price in {unit} (units found: {found})")]
    NoPrice {
        /// The product's SKU.
        sku: String,
        /// The unit needed.
        unit: &'static str,
        /// The price-list units the product has, comma-separated.
        found: String,
    },
    /// Several on-demand prices in the unit, for the same range.
    #[error("product {sku} has several on-demand prices in {unit}: {prices}")]
    Ambiguous {
        /// The product's SKU.
        sku: String,
        /// The unit.
        unit: &'static str,
        /// The prices, comma-separated.
        prices: String,
    },
    /// A price that depends on how much is used (tiers with different prices).
    #[error("product {sku} has a tiered price in {unit}: {tiers}")]
    Tiered {
        /// The product's SKU.
        sku: String,
        /// The unit.
        unit: &'static str,
        /// `begin–end: price` per tier.
        tiers: String,
    },
}

/// One `PriceList` item as the parser reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    product: Product,
    service_code: Option<String>,
    #[serde(default)]
    terms: Terms,
    publication_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    #[serde(default)]
    sku: String,
    product_family: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct Terms {
    #[serde(rename = "OnDemand", default)]
    on_demand: BTreeMap<String, BTreeMap<String, Term>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Term {
    #[serde(default)]
    price_dimensions: BTreeMap<String, Dimension>,
    effective_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Dimension {
    unit: String,
    #[serde(default)]
    price_per_unit: BTreeMap<String, String>,
    begin_range: Option<String>,
    end_range: Option<String>,
}

/// The on-demand price of `key` in `region`, read from one `PriceList`
/// item (the JSON text of one product).
///
/// The quote's unit is the engine's (`USD/hour`, `USD/ACU-hour`,
/// `USD/GB-month`); its source names the API and the product's SKU; its
/// date is the product's `publicationDate` (else the term's
/// `effectiveDate`), as `YYYY-MM-DD`.
///
/// Of several price dimensions, the ones in the key's unit count: one price
/// (or several equal ones) is the price; different prices for the same
/// range are [`PriceListError::Ambiguous`]; ranges with different prices
/// are [`PriceListError::Tiered`] (the engine has no quantity to pick a
/// tier with).
///
/// # Errors
///
/// [`PriceListError`]: unsupported key, malformed text, another product,
/// or no single on-demand price in the unit.
pub fn parse_product(item: &str, key: &PriceKey, region: &str) -> Result<Quote, PriceListError> {
    let spec = ProductSpec::for_key(key, region)?;
    let item: Item = serde_json::from_str(item).map_err(|e| PriceListError::Malformed {
        reason: e.to_string(),
    })?;
    let sku = item.product.sku.clone();
    check_product(&item, &spec)?;

    let mut found_units: Vec<&str> = Vec::new();
    // (begin, end, price text, price), in the key's unit.
    let mut matching: Vec<(f64, f64, String, f64)> = Vec::new();
    let mut effective: Option<&str> = None;
    for term in item.terms.on_demand.values().flat_map(BTreeMap::values) {
        effective = effective.or(term.effective_date.as_deref());
        for dim in term.price_dimensions.values() {
            if !found_units.contains(&dim.unit.as_str()) {
                found_units.push(&dim.unit);
            }
            let unit = UNITS.iter().find(|(u, _)| *u == dim.unit).map(|(_, q)| *q);
            if unit != Some(spec.unit) {
                continue;
            }
            let text = dim
                .price_per_unit
                .get("USD")
                .ok_or_else(|| malformed(&sku, "a dimension without a USD price"))?;
            let usd: f64 = text
                .parse()
                .ok()
                .filter(|p: &f64| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| malformed(&sku, &format!("USD price `{text}` is not a price")))?;
            let begin = range(dim.begin_range.as_deref(), 0.0, &sku)?;
            let end = range(dim.end_range.as_deref(), f64::INFINITY, &sku)?;
            matching.push((begin, end, text.clone(), usd));
        }
    }
    let usd = one_price(&sku, spec.unit, matching, &found_units)?;
    let as_of = item
        .publication_date
        .as_deref()
        .or(effective)
        .and_then(|d| d.get(..10))
        .unwrap_or_default()
        .to_string();
    Ok(Quote {
        usd,
        unit: spec.unit.to_string(),
        origin: Origin::Api,
        source: format!("aws-pricing-api:{}:{sku}", spec.service_code),
        as_of,
    })
}

/// Checks that the product is the one `spec` means.
fn check_product(item: &Item, spec: &ProductSpec) -> Result<(), PriceListError> {
    let sku = &item.product.sku;
    let attrs = &item.product.attributes;
    let differs =
        |field: &str, expected: &str, found: Option<&str>| PriceListError::NotTheProduct {
            sku: sku.clone(),
            field: field.to_string(),
            expected: expected.to_string(),
            found: found.unwrap_or_default().to_string(),
        };
    let service = item
        .service_code
        .as_deref()
        .or(attrs.get("servicecode").map(String::as_str));
    if service != Some(spec.service_code) {
        return Err(differs("servicecode", spec.service_code, service));
    }
    for (field, expected) in &spec.attributes {
        let found = if *field == "productFamily" {
            item.product.product_family.as_deref()
        } else {
            attrs.get(*field).map(String::as_str)
        };
        if found != Some(expected.as_str()) {
            return Err(differs(field, expected, found));
        }
    }
    let usage = attrs.get("usagetype").map(String::as_str);
    if !usage.is_some_and(|u| spec.usage_type_matches(u)) {
        return Err(differs("usagetype", &spec.usage_type, usage));
    }
    Ok(())
}

/// The one price among the dimensions in the key's unit.
fn one_price(
    sku: &str,
    unit: &'static str,
    mut dims: Vec<(f64, f64, String, f64)>,
    found_units: &[&str],
) -> Result<f64, PriceListError> {
    let Some(first) = dims.first() else {
        return Err(PriceListError::NoPrice {
            sku: sku.to_string(),
            unit,
            found: found_units.join(", "),
        });
    };
    let price = first.3;
    if dims.iter().all(|d| d.3 == price) {
        return Ok(price);
    }
    dims.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let same_range = dims
        .windows(2)
        .any(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1);
    if same_range {
        let prices: Vec<&str> = dims.iter().map(|d| d.2.as_str()).collect();
        return Err(PriceListError::Ambiguous {
            sku: sku.to_string(),
            unit,
            prices: prices.join(", "),
        });
    }
    let tiers: Vec<String> = dims
        .iter()
        .map(|(b, e, text, _)| format!("{b}–{e}: {text}"))
        .collect();
    Err(PriceListError::Tiered {
        sku: sku.to_string(),
        unit,
        tiers: tiers.join(", "),
    })
}

/// A `beginRange`/`endRange` value (`Inf` is unbounded); `default` when absent.
fn range(text: Option<&str>, default: f64, sku: &str) -> Result<f64, PriceListError> {
    match text {
        None | Some("") => Ok(default),
        Some("Inf") => Ok(f64::INFINITY),
        Some(t) => t
            .parse()
            .map_err(|_| malformed(sku, &format!("range `{t}` is not a number"))),
    }
}

fn malformed(sku: &str, what: &str) -> PriceListError {
    PriceListError::Malformed {
        reason: format!("product {sku}: {what}"),
    }
}

#[cfg(test)]
#[path = "price_list_tests.rs"]
mod tests;

/// What the price list said for a set of keys: a quote per key it priced,
/// and why it priced none for the others.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceListAnswer {
    /// One quote per priced key.
    pub quotes: BTreeMap<PriceKey, Quote>,
    /// The keys without a quote, each with the reason.
    pub unpriced: BTreeMap<PriceKey, Unquoted>,
}

/// Why the price list gave no quote for a key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Unquoted {
    /// No product tidegate knows how to ask for.
    #[error("{0}")]
    Unsupported(PriceListError),
    /// No product in the answer is the one asked for.
    #[error("no product in the price list")]
    NoProduct,
    /// A product that is the key's gave no single price (the first refusal).
    #[error("{0}")]
    Refused(PriceListError),
    /// Several products are the one asked for, with different prices.
    #[error("{} products with different prices: {}", .quotes.len(), sources(.quotes))]
    SeveralProducts {
        /// Their quotes.
        quotes: Vec<Quote>,
    },
}

fn sources(quotes: &[Quote]) -> String {
    let each: Vec<String> = quotes
        .iter()
        .map(|q| format!("{} {} ({})", q.usd, q.unit, q.source))
        .collect();
    each.join(", ")
}

/// Reads `items` (`PriceList` items from `GetProducts`) for `keys` in
/// `region`: for each key, the one product that is the key's. Products
/// that are other ones are skipped; several matching products with the same
/// price (the same product listed twice) are one quote. A product that is
/// the key's but gives no single price refuses the key, even when another
/// one prices it: two products claim the key, and tidegate does not guess.
pub fn answer_from_items<'a>(
    region: &str,
    keys: &[PriceKey],
    items: impl IntoIterator<Item = &'a str> + Clone,
) -> PriceListAnswer {
    let mut answer = PriceListAnswer::default();
    for key in keys {
        if let Err(e) = ProductSpec::for_key(key, region) {
            answer
                .unpriced
                .insert(key.clone(), Unquoted::Unsupported(e));
            continue;
        }
        let mut found: Vec<Quote> = Vec::new();
        let mut refused: Option<PriceListError> = None;
        for item in items.clone() {
            match parse_product(item, key, region) {
                Ok(q) => {
                    if !found.iter().any(|f| f.usd == q.usd) {
                        found.push(q);
                    }
                }
                Err(PriceListError::NotTheProduct { .. }) => {}
                Err(e) => refused = refused.or(Some(e)),
            }
        }
        let outcome = match (found.len(), refused) {
            (_, Some(e)) => Err(Unquoted::Refused(e)),
            (1, None) => Ok(found.remove(0)),
            (0, None) => Err(Unquoted::NoProduct),
            _ => Err(Unquoted::SeveralProducts { quotes: found }),
        };
        match outcome {
            Ok(q) => {
                answer.quotes.insert(key.clone(), q);
            }
            Err(why) => {
                answer.unpriced.insert(key.clone(), why);
            }
        }
    }
    answer
}
