//! Predictive pre-scaling settings of one resource, validated.

use super::{ResourceKind, Span};

/// Whether a forecast only reports or also pre-scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictiveMode {
    /// Report what it would do, without acting.
    ForecastOnly,
    /// Pre-scale before a forecast rise (never down).
    ForecastAndScale,
}

/// A resource's validated `predictive` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictive {
    /// Report only, or report and pre-scale.
    pub mode: PredictiveMode,
    /// The forecast metric (a target-tracked scale-up rule's).
    pub metric: String,
    /// History the forecaster reads.
    pub history: Span,
    /// How far ahead it sizes: how long the change takes.
    pub lead: Span,
    /// Forecast quantile sized for, percent.
    pub quantile: f64,
}

impl Predictive {
    /// Default history: two weeks (seasonal naive needs one; the gate
    /// scores the model on the second).
    pub const DEFAULT_HISTORY: Span = Span::from_secs(14 * 86_400);
    /// Default quantile: 90 (the seed design's confidence threshold is 80;
    /// sizing for p90 keeps a miss to one interval in ten).
    pub const DEFAULT_QUANTILE: f64 = 90.0;

    /// How long a change of `kind` takes on AWS, so how far ahead a
    /// pre-scale must be sized. Sources:
    /// - Auto Scaling group: 5 min, EC2 Auto Scaling's default instance
    ///   warmup (300 s; "Set the default instance warmup", EC2 Auto Scaling
    ///   User Guide): launch, boot and warm-up before an instance serves.
    /// - Aurora: 10 min, adding a reader (CreateDBInstance in a cluster)
    ///   typically takes 5-10 minutes before it accepts connections (Aurora
    ///   User Guide, "Adding Aurora Replicas"); a Serverless v2 range change
    ///   is faster, the reader is the slow case.
    /// - RDS instance: 15 min, a Multi-AZ class change (modify the standby,
    ///   fail over, modify the old primary; RDS User Guide "Modifying a DB
    ///   instance"), the usual case for production databases.
    /// - ElastiCache: 30 min, online resharding moves slots and data
    ///   between shards; AWS documents it as minutes to hours depending on
    ///   data size (ElastiCache User Guide, "Online resharding").
    /// - MSK: 30 min, adding brokers ("Expanding a cluster", MSK Developer
    ///   Guide: the update takes 30 minutes or more).
    pub fn default_lead(kind: ResourceKind) -> Span {
        Span::from_mins(match kind {
            ResourceKind::AutoscalingGroup => 5,
            ResourceKind::AuroraCluster => 10,
            ResourceKind::RdsInstance => 15,
            ResourceKind::ElasticacheRedis | ResourceKind::MskCluster => 30,
        })
    }
}
