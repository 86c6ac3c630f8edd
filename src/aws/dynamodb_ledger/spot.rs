//! Spot warnings in the ledger's table: partition `SPOT#{group}`, one item
//! per warning keyed by [`SpotWarning::key`] (instant, then instance), so
//! "the group's warnings since t" is one key-condition query and a warning
//! delivered twice is one item. Items expire `keep` after the warning.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::DynamoDbLedger;
use super::codec::{Item, Key, epoch_secs_ceil, expired, n, record, s, string};
use crate::ledger::{LedgerError, SpotWarning};

impl Key {
    fn spot(warning: &SpotWarning) -> Key {
        Key {
            pk: spot_pk(&warning.group),
            sk: warning.key(),
        }
    }
}

fn spot_pk(group: &str) -> String {
    format!("SPOT#{group}")
}

impl DynamoDbLedger {
    pub(super) async fn put_spot_warning(
        &self,
        warning: &SpotWarning,
        keep: TimeDelta,
    ) -> Result<(), LedgerError> {
        let key = Key::spot(warning);
        let json =
            serde_json::to_string(warning).map_err(|e| record(&key.shown(), e.to_string()))?;
        let item = Item::from([
            ("warning".to_owned(), s(&json)),
            (
                "expires_at".to_owned(),
                n(epoch_secs_ceil(warning.at + keep)),
            ),
        ]);
        self.put(&key, item, None).await.map(|_| ())
    }

    pub(super) async fn query_spot_warnings(
        &self,
        group: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SpotWarning>, LedgerError> {
        let pk = spot_pk(group);
        let from = since.to_rfc3339_opts(SecondsFormat::Nanos, true);
        let items = self.query(&pk, Some(&from)).await?;
        let mut out = Vec::new();
        for item in items.iter().filter(|i| !expired(i, now)) {
            let shown = format!("{pk}/{}", string(item, "sk", &pk).unwrap_or("?"));
            let json = string(item, "warning", &shown)?;
            let warning: SpotWarning =
                serde_json::from_str(json).map_err(|e| record(&shown, e.to_string()))?;
            out.push(warning);
        }
        Ok(out)
    }
}
