//! The prices a run decides with: the Price List Query API's answer for
//! every key the policy (and the observed estate) can need, kept in the
//! ledger's price cache for `prices.cache_ttl`, with the snapshot for what
//! neither has. Gathered before the decision, like the estate and the
//! signals; the [`LivePriceBook`] it returns does no I/O.
//!
//! In order:
//! 1. A cache younger than the TTL that has seen every wanted key is used
//!    as is: the API is not asked.
//! 2. Else the API is asked; its answer is the book and replaces the cache.
//! 3. If the API fails (or is not to be asked), the cache of any age
//!    stands in, else the snapshot alone; the book's warnings say so, and
//!    plans list them.
//!
//! A cache that cannot be read or written is logged and treated as absent:
//! prices are an input worth having, not a reason to stop a run.

use chrono::{DateTime, TimeDelta, Utc};

use crate::estate::Estate;
use crate::ledger::PriceCache;
use crate::policy::{Policy, PriceSettings};
use crate::ports::PricingPort;
use crate::pricing::{CachedPrices, LivePriceBook, PriceKey, SnapshotPriceBook, wanted_keys};

/// How long a cache record is kept after it was fetched (the DynamoDB TTL):
/// long after it stopped being fresh, because a stale answer of the API is
/// still a better fallback than the snapshot.
pub const PRICE_CACHE_KEEP: TimeDelta = TimeDelta::days(90);

/// Whether to ask the Price List API.
pub enum PriceApi<'a> {
    /// Ask it (when the cache is not fresh).
    Ask(&'a dyn PricingPort),
    /// Do not: why not, as plans say it.
    NotAsked(String),
}

impl<'a> PriceApi<'a> {
    /// Not asked because the policy says `prices.pricing_api: false`.
    pub fn turned_off() -> Self {
        PriceApi::NotAsked("Pricing API not asked (prices.pricing_api: false in the policy)".into())
    }

    /// Ask `api`, unless the policy says `prices.pricing_api: false`.
    pub fn for_policy(policy: &Policy, api: &'a dyn PricingPort) -> Self {
        if policy.prices.pricing_api {
            PriceApi::Ask(api)
        } else {
            PriceApi::turned_off()
        }
    }

    /// Not asked because the operator said `--offline`.
    pub fn offline() -> Self {
        PriceApi::NotAsked("Pricing API not asked (--offline)".into())
    }
}

/// Where a run's prices can come from.
pub struct PriceSources<'a> {
    /// The Price List API, or why it is not to be asked.
    pub api: PriceApi<'a>,
    /// Where the API's last answer is kept (None: no cache, e.g. a one-off
    /// CLI run without a ledger).
    pub cache: Option<&'a dyn PriceCache>,
    /// The snapshot for every price neither has.
    pub fallback: SnapshotPriceBook,
}

/// The price book for `policy` at `now` (see the module documentation).
/// `estate`, when observed already, adds the classes members run now.
pub async fn price_book(
    policy: &Policy,
    estate: Option<&Estate>,
    sources: PriceSources<'_>,
    now: DateTime<Utc>,
) -> LivePriceBook {
    let keys = wanted_keys(policy, estate);
    price_book_for(&policy.region, &keys, &policy.prices, sources, now).await
}

/// The price book for `keys` in `region` under `settings` (cache TTL, spot
/// discount): [`price_book`] without a policy, e.g. for one instance type.
pub async fn price_book_for(
    region: &str,
    keys: &[PriceKey],
    settings: &PriceSettings,
    sources: PriceSources<'_>,
    now: DateTime<Utc>,
) -> LivePriceBook {
    let ttl = settings.cache_ttl.to_chrono();
    let spot = settings.spot_discount_percent;
    let PriceSources {
        api,
        cache,
        fallback,
    } = sources;

    let cached = match cache {
        Some(c) => c.cached_prices(region).await.unwrap_or_else(|e| {
            tracing::warn!(region, error = %e, "Price cache unreadable; treated as empty.");
            None
        }),
        None => None,
    };
    if let Some(c) = &cached
        && c.is_fresh(now, ttl)
        && c.answers(keys)
    {
        return LivePriceBook::from_cache(c, None, fallback).with_spot_discount(spot);
    }

    let (why, failed) = match api {
        PriceApi::NotAsked(why) => (why, false),
        PriceApi::Ask(api) => match api.quotes(region, keys).await {
            Ok(answer) => {
                if let Some(cache) = cache {
                    let record = CachedPrices::from_answer(region, &answer, now);
                    if let Err(e) = cache.store_prices(&record, PRICE_CACHE_KEEP).await {
                        tracing::warn!(region, error = %e, "Price cache not written; the API will be asked again next run.");
                    }
                }
                return LivePriceBook::from_api(region, answer, now, fallback)
                    .with_spot_discount(spot);
            }
            Err(e) => {
                tracing::warn!(region, error = %e, "Pricing API unreachable; prices from the cache or the snapshot.");
                (format!("Pricing API unreachable: {e}"), true)
            }
        },
    };
    let book = match &cached {
        Some(c) => LivePriceBook::from_cache(c, Some(why), fallback),
        None => LivePriceBook::snapshot_only(region, why, failed, fallback),
    };
    book.with_spot_discount(spot)
}
