//! The backtest report: what tidegate did to each resource, what it cost
//! against static peak provisioning, and where load per unit of capacity
//! went past the SLO. Built from the run's own tallies, never from
//! constants; serialised as-is for `--json`, rendered by
//! [`super::render`] for people.
//!
//! Money is rounded to cents and percentages to one decimal place. Savings
//! (and the extra cost of a raised on-demand share) are computed from the
//! rounded figures, and totals add up the rounded per-resource figures, so
//! every row and the totals agree to the cent.
//!
//! The folder: `schema.rs` the serialised shape, `build.rs` the builder,
//! `format.rs` how settings and figures are written, `spot.rs` the
//! spot-mix part (its shape and its builder), `series.rs` the report over
//! time for charts, `html/` the page `--html` writes.

mod build;
mod format;
pub mod html;
mod prediction;
mod schema;
mod series;
mod spot;

pub use build::build;
pub use format::{cents, change_text, short, summary, tenths};
pub use prediction::{PredictionReport, Without};
pub use schema::*;
pub use series::{
    BudgetSeries, CostSeries, Held, MAX_POINTS, ReportSeries, ResourceSeries, Span, Threshold,
};
pub use spot::{ClassWarnings, MixChange, MixLevel, SpotMixReport, WarningsReport};
