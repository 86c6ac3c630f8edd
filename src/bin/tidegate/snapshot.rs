//! The fallback price snapshot `backtest` prices with and the live
//! commands fall back on (no AWS: it is in the light build).

use anyhow::Context as _;
use tidegate::pricing::SnapshotPriceBook;

/// The snapshot CSV at `path`, or the built-in one.
pub fn snapshot(path: Option<&std::path::Path>) -> anyhow::Result<SnapshotPriceBook> {
    let Some(path) = path else {
        return Ok(SnapshotPriceBook::embedded());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the price snapshot {}", path.display()))?;
    SnapshotPriceBook::from_csv(&text, &path.display().to_string()).map_err(Into::into)
}
