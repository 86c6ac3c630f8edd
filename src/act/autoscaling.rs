//! Carries out Auto Scaling group actions: one UpdateAutoScalingGroup each.
//!
//! Capacity sets MinSize, MaxSize and DesiredCapacity together. The spot
//! mix replaces the MixedInstancesPolicy's instances distribution and
//! instance-type overrides (the launch template is kept). Auto Scaling then
//! replaces running instances gradually to reach a new on-demand share; new
//! overrides apply to new launches, as no instance refresh is started here.
//! Whether the change is already in effect was decided by the caller on a
//! fresh observation.

use crate::estate::{Member, Setting};
use crate::observe::Ports;
use crate::plan::Action;
use crate::policy::KnobName;
use crate::ports::{AwsError, ErrorKind};

/// Applies one planned action; returns the calls made, for the operator.
/// `refresh`: the minimum healthy percent of an instance refresh to start
/// after a spot-mix change. The mix is changed either way: a refresh that
/// cannot start (one is in progress, or AWS refuses) is said in the detail,
/// not a failure of the action.
pub(crate) async fn apply(
    action: &Action,
    member: &Member,
    refresh: Option<u32>,
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
            let refreshed = match refresh {
                None => " (no instance refresh was started)".to_owned(),
                Some(healthy) => match ports
                    .autoscaling
                    .start_instance_refresh(name, healthy)
                    .await
                {
                    Ok(id) => {
                        format!("; StartInstanceRefresh {name} (minimum healthy {healthy}%): {id}")
                    }
                    Err(e) if e.code.as_deref() == Some("InstanceRefreshInProgress") => {
                        "; an instance refresh is already in progress: none started".to_owned()
                    }
                    Err(e) => format!("; instance refresh not started: {e}"),
                },
            };
            Ok(format!(
                "UpdateAutoScalingGroup {name}: MixedInstancesPolicy OnDemandBaseCapacity {}, \
                 OnDemandPercentageAboveBaseCapacity {}, SpotAllocationStrategy {}, overrides [{}]; \
                 Auto Scaling replaces running instances gradually to reach the on-demand share; \
                 added instance types are used by new launches{refreshed}",
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

#[cfg(all(test, feature = "test-util"))]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::estate::Status;
    use crate::fake::FakeAws;
    use crate::plan::Cause;
    use crate::policy::{ResourceKind, SpotMix};
    use crate::ports::{AutoScalingGroup, AutoScalingPort};

    fn aws_with(name: &str) -> FakeAws {
        let aws = FakeAws::default();
        aws.autoscaling.put(AutoScalingGroup {
            name: name.into(),
            arn: format!(
                "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:u:autoScalingGroupName/{name}"
            ),
            min: 2,
            max: 10,
            desired: 4,
            status: None,
            mix: None,
            tags: BTreeMap::new(),
        });
        aws
    }

    async fn group(aws: &FakeAws, name: &str) -> AutoScalingGroup {
        aws.autoscaling
            .groups()
            .await
            .ok()
            .and_then(|gs| gs.into_iter().find(|g| g.name == name))
            .expect("group")
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
            storage: None,
            parts: Vec::new(),
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
            prices: Vec::new(),
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
        let aws = aws_with("web");
        let a = action(
            KnobName::Capacity,
            Setting::Capacity {
                min: 2,
                max: 10,
                desired: 4,
            },
            Setting::Capacity {
                min: 3,
                max: 12,
                desired: 6,
            },
        );
        let detail = apply(&a, &member("web"), None, aws.ports())
            .await
            .expect("applied");
        let g = group(&aws, "web").await;
        assert_eq!((g.min, g.max, g.desired), (3, 12, 6));
        assert_eq!(
            detail,
            "UpdateAutoScalingGroup web: MinSize 3, MaxSize 12, DesiredCapacity 6"
        );
    }

    #[tokio::test]
    async fn spot_mix_updates_the_policy_and_says_how_instances_follow() {
        let aws = aws_with("web");
        let a = action(KnobName::SpotMix, Setting::Mix(mix()), Setting::Mix(mix()));
        let detail = apply(&a, &member("web"), None, aws.ports())
            .await
            .expect("applied");
        assert_eq!(group(&aws, "web").await.mix, Some(mix()));
        assert!(
            detail.contains("OnDemandPercentageAboveBaseCapacity 70"),
            "{detail}"
        );
        assert!(
            detail.contains("overrides [m6i.large, m5.large]"),
            "{detail}"
        );
        assert!(
            detail.contains("replaces running instances gradually to reach the on-demand share"),
            "{detail}"
        );
        assert!(
            detail.ends_with("(no instance refresh was started)"),
            "{detail}"
        );
        assert!(aws.autoscaling.refreshes().is_empty());
    }

    #[tokio::test]
    async fn a_refresh_the_class_asks_for_is_started_after_the_mix() {
        let aws = aws_with("web");
        let a = action(KnobName::SpotMix, Setting::Mix(mix()), Setting::Mix(mix()));
        let detail = apply(&a, &member("web"), Some(90), aws.ports())
            .await
            .expect("applied");
        assert_eq!(aws.autoscaling.refreshes(), [("web".to_owned(), 90)]);
        assert!(
            detail.ends_with("; StartInstanceRefresh web (minimum healthy 90%): refresh-1"),
            "{detail}"
        );
    }

    #[tokio::test]
    async fn aws_errors_pass_through_and_odd_settings_are_refused() {
        let aws = aws_with("web");
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
        let e = apply(&a, &member("missing"), None, aws.ports())
            .await
            .expect_err("missing group");
        assert_eq!(
            (e.kind, e.resource.as_str()),
            (ErrorKind::NotFound, "missing")
        );

        let odd = action(KnobName::Capacity, Setting::Count(1), Setting::Count(2));
        let e = apply(&odd, &member("web"), None, aws.ports())
            .await
            .expect_err("count is not a capacity");
        assert!(e.message.contains("cannot set capacity"), "{e}");
        let g = group(&aws, "web").await;
        assert_eq!(
            (g.min, g.max, g.desired, g.mix),
            (2, 10, 4, None),
            "nothing changed"
        );
    }
}
