//! At-ceiling / at-floor episodes in the ledger's table: partition `LIMIT`,
//! one item per open episode keyed by [`LimitEpisode::key`], read whole by
//! `history` (one query, as many items as knobs held at an end). Closing an
//! episode deletes its item; an episode has no expiry (it ends when a run
//! finds the knob free again).

use super::DynamoDbLedger;
use super::codec::{Item, Key, record, s, string};
use crate::ledger::{LedgerError, LimitEpisode};

const LIMIT: &str = "LIMIT";

impl Key {
    fn limit(episode: &LimitEpisode) -> Key {
        Key {
            pk: LIMIT.to_owned(),
            sk: episode.key(),
        }
    }
}

impl DynamoDbLedger {
    pub(super) async fn put_limit_episode(
        &self,
        episode: &LimitEpisode,
        open: bool,
    ) -> Result<(), LedgerError> {
        let key = Key::limit(episode);
        if !open {
            return self.delete(&key, None).await.map(|_| ());
        }
        let json =
            serde_json::to_string(episode).map_err(|e| record(&key.shown(), e.to_string()))?;
        let item = Item::from([("episode".to_owned(), s(&json))]);
        self.put(&key, item, None).await.map(|_| ())
    }

    pub(super) async fn query_limit_episodes(&self) -> Result<Vec<LimitEpisode>, LedgerError> {
        let mut out = Vec::new();
        for item in self.query(LIMIT, None).await? {
            let shown = format!("{LIMIT}/{}", string(&item, "sk", LIMIT).unwrap_or("?"));
            let json = string(&item, "episode", &shown)?;
            out.push(serde_json::from_str(json).map_err(|e| record(&shown, e.to_string()))?);
        }
        Ok(out)
    }
}
