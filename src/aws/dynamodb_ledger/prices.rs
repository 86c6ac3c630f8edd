//! The price cache in the ledger's table: one item per region,
//! `STATE / PRICES#{region}`, holding the Price List API's last answer as
//! JSON. A few hundred prices make a few tens of KB, well under DynamoDB's
//! 400 KB item limit. Written whole (no condition): two runs refreshing at
//! once write the same prices, and the later one wins.

use async_trait::async_trait;
use chrono::TimeDelta;

use super::DynamoDbLedger;
use super::codec::{Item, Key, STATE, epoch_secs_ceil, n, record, s, string};
use crate::ledger::{LedgerError, PriceCache};
use crate::pricing::CachedPrices;

impl Key {
    fn prices(region: &str) -> Key {
        Key {
            pk: STATE.to_owned(),
            sk: format!("PRICES#{region}"),
        }
    }
}

#[async_trait]
impl PriceCache for DynamoDbLedger {
    /// The item is read whatever its `expires_at`: a stale cache is still
    /// the best fallback when the API cannot be reached.
    async fn cached_prices(&self, region: &str) -> Result<Option<CachedPrices>, LedgerError> {
        let key = Key::prices(region);
        let Some(item) = self.get(&key).await? else {
            return Ok(None);
        };
        let json = string(&item, "prices", &key.shown())?;
        serde_json::from_str(json)
            .map(Some)
            .map_err(|e| record(&key.shown(), format!("prices: {e}")))
    }

    async fn store_prices(
        &self,
        prices: &CachedPrices,
        keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        let key = Key::prices(&prices.region);
        let json =
            serde_json::to_string(prices).map_err(|e| record(&key.shown(), e.to_string()))?;
        let item = Item::from([
            ("prices".to_owned(), s(&json)),
            (
                "expires_at".to_owned(),
                n(epoch_secs_ceil(prices.fetched_at + keep)),
            ),
        ]);
        self.put(&key, item, None).await.map(|_| ())
    }
}
