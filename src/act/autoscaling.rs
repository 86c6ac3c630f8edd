//! Carries out Auto Scaling group actions: one UpdateAutoScalingGroup each.
//!
//! Capacity sets MinSize, MaxSize and DesiredCapacity together. The spot
//! mix replaces the MixedInstancesPolicy's instances distribution and
//! instance-type overrides (the launch template is kept); running instances
//! keep their purchase option until they are replaced, as no instance
//! refresh is started here. Whether the change is already in effect was
//! decided by the caller on a fresh observation.

use crate::aws::{AwsError, ErrorKind};
use crate::estate::{Member, Setting};
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::KnobName;

/// Applies one planned action; returns the calls made, for the operator.
pub(crate) async fn apply(
    action: &Action,
    member: &Member,
    ports: Ports<'_>,
) -> Result<String, AwsError> {
    let name = member.identifier.as_str();
    match (action.knob, &action.to) {
        (KnobName::Capacity, &Setting::Capacity { min, max, desired }) => {
            ports
                .autoscaling
                .set_capacity(name, min, max, desired)
                .await?;
            Ok(format!(
                "UpdateAutoScalingGroup {name}: MinSize {min}, MaxSize {max}, DesiredCapacity {desired}"
            ))
        }
        (KnobName::SpotMix, Setting::Mix(mix)) => {
            ports.autoscaling.set_spot_mix(name, mix).await?;
            Ok(format!(
                "UpdateAutoScalingGroup {name}: MixedInstancesPolicy OnDemandBaseCapacity {}, \
                 OnDemandPercentageAboveBaseCapacity {}, SpotAllocationStrategy {}, overrides [{}]; \
                 running instances keep their current purchase option until replaced \
                 (an instance refresh would change the mix now; none was started)",
                mix.on_demand_base,
                mix.on_demand_percent_above_base,
                mix.allocation_strategy,
                mix.instance_types.join(", ")
            ))
        }
        (knob, to) => Err(AwsError {
            service: "autoscaling",
            operation: "UpdateAutoScalingGroup",
            resource: name.to_owned(),
            kind: ErrorKind::Other,
            code: None,
            message: format!("tidegate cannot set {knob} of an Auto Scaling group to {to}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use chrono::{DateTime, TimeDelta, Utc};

    use super::*;
    use crate::estate::Status;
    use crate::plan::Cause;
    use crate::policy::{ResourceKind, SpotMix};
    use crate::ports::{
        AutoScalingGroup, AutoScalingPort, CloudWatchPort, DbCluster, DbInstance, ElastiCachePort,
        KafkaCluster, KafkaPort, MetricQuery, RdsPort, ReplicationGroup, Tags,
    };
    use crate::signals::AlarmState;

    /// Records the calls; fails every call on the group named `missing`.
    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<String>>,
    }

    impl Recorder {
        fn record(&self, name: &str, call: String) -> Result<(), AwsError> {
            if name == "missing" {
                return Err(AwsError {
                    service: "autoscaling",
                    operation: "UpdateAutoScalingGroup",
                    resource: name.to_owned(),
                    kind: ErrorKind::NotFound,
                    code: Some("ValidationError".into()),
                    message: "AutoScalingGroup name not found".into(),
                });
            }
            if let Ok(mut c) = self.calls.lock() {
                c.push(call);
            }
            Ok(())
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().map(|c| c.clone()).unwrap_or_default()
        }
    }

    #[async_trait]
    impl AutoScalingPort for Recorder {
        async fn groups(&self) -> Result<Vec<AutoScalingGroup>, AwsError> {
            Ok(Vec::new())
        }
        async fn set_capacity(
            &self,
            name: &str,
            min: u32,
            max: u32,
            desired: u32,
        ) -> Result<(), AwsError> {
            self.record(name, format!("capacity {name} {min} {max} {desired}"))
        }
        async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError> {
            self.record(name, format!("mix {name} {mix}"))
        }
    }

    /// Ports other than Auto Scaling: never called by these actions.
    struct Unused;

    fn unused() -> AwsError {
        AwsError::malformed("test", "unused", "not part of this test")
    }

    #[async_trait]
    impl RdsPort for Unused {
        async fn db_instances(&self) -> Result<Vec<DbInstance>, AwsError> {
            Err(unused())
        }
        async fn db_clusters(&self) -> Result<Vec<DbCluster>, AwsError> {
            Err(unused())
        }
        async fn modify_instance_class(&self, _: &str, _: &str, _: bool) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn modify_storage_ceiling(&self, _: &str, _: u32) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn stop_instance(&self, _: &str) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn start_instance(&self, _: &str) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn modify_serverless_capacity(
            &self,
            _: &str,
            _: f64,
            _: f64,
        ) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn create_cluster_instance(
            &self,
            _: &str,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn delete_instance(&self, _: &str) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn failover_cluster(&self, _: &str, _: &str) -> Result<(), AwsError> {
            Err(unused())
        }
    }

    #[async_trait]
    impl ElastiCachePort for Unused {
        async fn replication_groups(&self) -> Result<Vec<ReplicationGroup>, AwsError> {
            Err(unused())
        }
        async fn tags(&self, _: &str) -> Result<Tags, AwsError> {
            Err(unused())
        }
        async fn modify_node_type(&self, _: &str, _: &str) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn modify_shard_count(&self, _: &str, _: u32) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn modify_replica_count(&self, _: &str, _: u32, _: u32) -> Result<(), AwsError> {
            Err(unused())
        }
    }

    #[async_trait]
    impl KafkaPort for Unused {
        async fn clusters(&self) -> Result<Vec<KafkaCluster>, AwsError> {
            Err(unused())
        }
        async fn update_broker_count(&self, _: &str, _: &str, _: u32) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn update_broker_type(&self, _: &str, _: &str, _: &str) -> Result<(), AwsError> {
            Err(unused())
        }
        async fn update_broker_storage(&self, _: &str, _: &str, _: u32) -> Result<(), AwsError> {
            Err(unused())
        }
    }

    #[async_trait]
    impl CloudWatchPort for Unused {
        async fn alarm_states(
            &self,
            _: &[String],
        ) -> Result<BTreeMap<String, AlarmState>, AwsError> {
            Err(unused())
        }
        async fn recent_values(
            &self,
            _: &[MetricQuery],
            _: DateTime<Utc>,
            _: TimeDelta,
        ) -> Result<BTreeMap<(String, String), Vec<f64>>, AwsError> {
            Err(unused())
        }
    }

    fn ports<'a>(asg: &'a Recorder) -> Ports<'a> {
        Ports {
            rds: &Unused,
            elasticache: &Unused,
            kafka: &Unused,
            autoscaling: asg,
            cloudwatch: &Unused,
        }
    }

    fn member(name: &str) -> Member {
        Member {
            policy_id: "fleet".into(),
            identifier: name.into(),
            kind: ResourceKind::AutoscalingGroup,
            status: Status::Available,
            pending_changes: false,
            settings: BTreeMap::new(),
            multi_az: false,
            spot_mix: None,
            storage_used_percent: None,
            tags: BTreeMap::new(),
        }
    }

    fn action(knob: KnobName, from: Setting, to: Setting) -> Action {
        Action {
            policy_id: "fleet".into(),
            identifier: "web".into(),
            kind: ResourceKind::AutoscalingGroup,
            knob,
            from,
            to,
            direction: None,
            cause: Cause::SpotMix {
                class: "api".into(),
            },
            reason: "test".into(),
            cost_delta_per_hour: None,
            refused: None,
            notes: Vec::new(),
        }
    }

    fn mix() -> SpotMix {
        SpotMix {
            on_demand_base: 2,
            on_demand_percent_above_base: 70,
            allocation_strategy: "price-capacity-optimized".into(),
            instance_types: vec!["m6i.large".into(), "m5.large".into()],
        }
    }

    #[tokio::test]
    async fn capacity_sets_min_max_and_desired_together() {
        let asg = Recorder::default();
        let a = action(
            KnobName::Capacity,
            Setting::Capacity {
                min: 2,
                max: 10,
                desired: 4,
            },
            Setting::Capacity {
                min: 2,
                max: 12,
                desired: 6,
            },
        );
        let detail = apply(&a, &member("web"), ports(&asg))
            .await
            .expect("applied");
        assert_eq!(asg.calls(), ["capacity web 2 12 6"]);
        assert_eq!(
            detail,
            "UpdateAutoScalingGroup web: MinSize 2, MaxSize 12, DesiredCapacity 6"
        );
    }

    #[tokio::test]
    async fn spot_mix_updates_the_policy_and_says_running_instances_stay() {
        let asg = Recorder::default();
        let a = action(KnobName::SpotMix, Setting::Mix(mix()), Setting::Mix(mix()));
        let detail = apply(&a, &member("web"), ports(&asg))
            .await
            .expect("applied");
        assert_eq!(asg.calls().len(), 1);
        assert!(
            asg.calls()[0].starts_with("mix web 30% spot"),
            "{:?}",
            asg.calls()
        );
        assert!(
            detail.contains("OnDemandPercentageAboveBaseCapacity 70"),
            "{detail}"
        );
        assert!(
            detail.contains("overrides [m6i.large, m5.large]"),
            "{detail}"
        );
        assert!(
            detail.contains("keep their current purchase option until replaced"),
            "{detail}"
        );
        assert!(detail.contains("instance refresh"), "{detail}");
    }

    #[tokio::test]
    async fn aws_errors_pass_through_and_odd_settings_are_refused() {
        let asg = Recorder::default();
        let a = action(
            KnobName::Capacity,
            Setting::Capacity {
                min: 1,
                max: 2,
                desired: 1,
            },
            Setting::Capacity {
                min: 1,
                max: 2,
                desired: 2,
            },
        );
        let e = apply(&a, &member("missing"), ports(&asg))
            .await
            .expect_err("missing group");
        assert_eq!(
            (e.kind, e.resource.as_str()),
            (ErrorKind::NotFound, "missing")
        );

        let odd = action(KnobName::Capacity, Setting::Count(1), Setting::Count(2));
        let e = apply(&odd, &member("web"), ports(&asg))
            .await
            .expect_err("count is not a capacity");
        assert!(e.message.contains("cannot set capacity"), "{e}");
        assert!(asg.calls().is_empty());
    }
}
