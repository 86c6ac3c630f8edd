//! [`AutoScalingPort`] on `aws-sdk-autoscaling`.
//!
//! Contract: `groups` is one paginated DescribeAutoScalingGroups over the
//! whole region (up to 100 groups a page); every update is one
//! UpdateAutoScalingGroup. The spot mix update keeps the group's launch
//! template: the adapter re-describes that one group first and carries its
//! launch template specification (and the distribution settings tidegate
//! does not manage) into the new MixedInstancesPolicy. Nothing is cached
//! between calls. SDK types never leave this file.

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::types::{
    AutoScalingGroup as SdkGroup, InstancesDistribution, LaunchTemplate, LaunchTemplateOverrides,
    LaunchTemplateSpecification, MixedInstancesPolicy, RefreshPreferences,
};

use super::{AwsError, ErrorKind};
use crate::policy::SpotMix;
use crate::ports::{AutoScalingGroup, AutoScalingPort, Listing, Tags, Unreadable};

const SERVICE: &str = "autoscaling";
const DESCRIBE: &str = "DescribeAutoScalingGroups";
const UPDATE: &str = "UpdateAutoScalingGroup";

/// The most groups AWS returns per DescribeAutoScalingGroups page.
pub const MAX_PAGE_SIZE: u32 = 100;

/// AWS's defaults for an InstancesDistribution field left unset.
const DEFAULT_ON_DEMAND_BASE: i32 = 0;
const DEFAULT_ON_DEMAND_PERCENT: i32 = 100;
const DEFAULT_SPOT_STRATEGY: &str = "lowest-price";

/// EC2 Auto Scaling through the AWS SDK.
#[derive(Debug, Clone)]
pub struct AutoScalingAdapter {
    client: Client,
    page_size: u32,
}

impl AutoScalingAdapter {
    /// A client on the shared SDK configuration; pages of
    /// [`MAX_PAGE_SIZE`] groups.
    pub fn new(config: &SdkConfig) -> Self {
        AutoScalingAdapter {
            client: Client::from_conf(
                aws_sdk_autoscaling::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
            page_size: MAX_PAGE_SIZE,
        }
    }

    /// The same adapter asking for `page_size` groups per page (clamped to
    /// 1..=100): small pages let tests show that every page is read.
    pub fn with_page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// The one group named `name`, as the SDK describes it.
    async fn describe_one(
        &self,
        name: &str,
        operation: &'static str,
    ) -> Result<SdkGroup, AwsError> {
        let out = self
            .client
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .map_err(|e| refine(AwsError::from_sdk(SERVICE, DESCRIBE, name, e)))?;
        out.auto_scaling_groups()
            .iter()
            .find(|g| g.auto_scaling_group_name() == Some(name))
            .cloned()
            .ok_or_else(|| not_found(operation, name))
    }
}

#[async_trait]
impl AutoScalingPort for AutoScalingAdapter {
    async fn groups(&self) -> Result<Listing<AutoScalingGroup>, AwsError> {
        let page_size = i32::try_from(self.page_size).unwrap_or(100);
        let mut pages = self
            .client
            .describe_auto_scaling_groups()
            .into_paginator()
            .page_size(page_size)
            .send();
        let mut groups = Listing::default();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| refine(AwsError::from_sdk(SERVICE, DESCRIBE, "", e)))?;
            for g in page.auto_scaling_groups() {
                // One group the answer half-describes is that group's
                // problem, not the others'.
                match group_from_sdk(g) {
                    Ok(group) => groups.items.push(group),
                    Err(e) => groups.unreadable.push(Unreadable {
                        id: g.auto_scaling_group_name().unwrap_or_default().to_owned(),
                        why: e.to_string(),
                    }),
                }
            }
        }
        Ok(groups)
    }

    async fn set_capacity(
        &self,
        name: &str,
        min: u32,
        max: u32,
        desired: u32,
    ) -> Result<(), AwsError> {
        self.client
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .min_size(to_i32(min, name)?)
            .max_size(to_i32(max, name)?)
            .desired_capacity(to_i32(desired, name)?)
            .send()
            .await
            .map_err(|e| refine(AwsError::from_sdk(SERVICE, UPDATE, name, e)))?;
        Ok(())
    }

    async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError> {
        let current = self.describe_one(name, UPDATE).await?;
        let policy = mixed_policy_for(&current, mix)?;
        self.client
            .update_auto_scaling_group()
            .auto_scaling_group_name(name)
            .mixed_instances_policy(policy)
            .send()
            .await
            .map_err(|e| refine(AwsError::from_sdk(SERVICE, UPDATE, name, e)))?;
        Ok(())
    }

    async fn group_of_instance(&self, instance_id: &str) -> Result<Option<String>, AwsError> {
        let out = self
            .client
            .describe_auto_scaling_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| {
                refine(AwsError::from_sdk(
                    SERVICE,
                    "DescribeAutoScalingInstances",
                    instance_id,
                    e,
                ))
            })?;
        Ok(out
            .auto_scaling_instances()
            .iter()
            .find(|i| i.instance_id() == Some(instance_id))
            .and_then(|i| i.auto_scaling_group_name())
            .map(str::to_owned))
    }

    async fn start_instance_refresh(
        &self,
        name: &str,
        min_healthy_percent: u32,
    ) -> Result<String, AwsError> {
        const START: &str = "StartInstanceRefresh";
        let preferences = RefreshPreferences::builder()
            .min_healthy_percentage(to_i32(min_healthy_percent, name)?)
            .build();
        let out = self
            .client
            .start_instance_refresh()
            .auto_scaling_group_name(name)
            .preferences(preferences)
            .send()
            .await
            .map_err(|e| refine(AwsError::from_sdk(SERVICE, START, name, e)))?;
        out.instance_refresh_id().map(str::to_owned).ok_or_else(|| {
            AwsError::malformed(SERVICE, START, format!("{name}: no InstanceRefreshId"))
        })
    }
}

/// Maps one described group to the domain.
fn group_from_sdk(g: &SdkGroup) -> Result<AutoScalingGroup, AwsError> {
    let name = g.auto_scaling_group_name().ok_or_else(|| {
        AwsError::malformed(SERVICE, DESCRIBE, "a group without AutoScalingGroupName")
    })?;
    let count = |field: &str, v: Option<i32>| -> Result<u32, AwsError> {
        v.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
            AwsError::malformed(
                SERVICE,
                DESCRIBE,
                format!("group {name}: {field} missing or negative"),
            )
        })
    };
    let tags: Tags = g
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    Ok(AutoScalingGroup {
        name: name.to_owned(),
        arn: g.auto_scaling_group_arn().unwrap_or_default().to_owned(),
        min: count("MinSize", g.min_size())?,
        max: count("MaxSize", g.max_size())?,
        desired: count("DesiredCapacity", g.desired_capacity())?,
        status: g.status().filter(|s| !s.is_empty()).map(str::to_owned),
        mix: g
            .mixed_instances_policy()
            .map(|p| mix_from_sdk(name, p))
            .transpose()?,
        tags,
    })
}

/// The instances distribution and instance-type overrides of a
/// MixedInstancesPolicy; unset fields take AWS's defaults.
fn mix_from_sdk(name: &str, p: &MixedInstancesPolicy) -> Result<SpotMix, AwsError> {
    let d = p.instances_distribution();
    let non_negative = |field: &str, v: i32| -> Result<u32, AwsError> {
        u32::try_from(v).map_err(|_| {
            AwsError::malformed(
                SERVICE,
                DESCRIBE,
                format!("group {name}: negative {field} {v}"),
            )
        })
    };
    Ok(SpotMix {
        on_demand_base: non_negative(
            "OnDemandBaseCapacity",
            d.and_then(InstancesDistribution::on_demand_base_capacity)
                .unwrap_or(DEFAULT_ON_DEMAND_BASE),
        )?,
        on_demand_percent_above_base: non_negative(
            "OnDemandPercentageAboveBaseCapacity",
            d.and_then(InstancesDistribution::on_demand_percentage_above_base_capacity)
                .unwrap_or(DEFAULT_ON_DEMAND_PERCENT),
        )?,
        allocation_strategy: d
            .and_then(InstancesDistribution::spot_allocation_strategy)
            .unwrap_or(DEFAULT_SPOT_STRATEGY)
            .to_owned(),
        instance_types: p
            .launch_template()
            .map(|lt| {
                lt.overrides()
                    .iter()
                    .filter_map(|o| o.instance_type().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The MixedInstancesPolicy that gives `current` the spot mix `mix`, keeping
/// its launch template, the distribution settings tidegate does not manage
/// (on-demand allocation strategy, spot max price; spot pools while the
/// strategy stays `lowest-price`) and, per instance type it keeps, the
/// override's other fields (weighted capacity, launch template).
fn mixed_policy_for(current: &SdkGroup, mix: &SpotMix) -> Result<MixedInstancesPolicy, AwsError> {
    let name = current.auto_scaling_group_name().unwrap_or_default();
    let existing = current.mixed_instances_policy();
    let template = existing
        .and_then(MixedInstancesPolicy::launch_template)
        .and_then(LaunchTemplate::launch_template_specification)
        .or(current.launch_template())
        .ok_or_else(|| AwsError {
            service: SERVICE,
            operation: UPDATE,
            resource: name.to_owned(),
            kind: ErrorKind::Other,
            code: None,
            message: "the group has no launch template (a launch configuration cannot carry a \
                      mixed instances policy)"
                .to_owned(),
        })?;
    // AWS and moto take either the id or the name, not both.
    let mut spec = LaunchTemplateSpecification::builder();
    spec = match (
        template.launch_template_id(),
        template.launch_template_name(),
    ) {
        (Some(id), _) => spec.launch_template_id(id),
        (None, Some(n)) => spec.launch_template_name(n),
        (None, None) => {
            return Err(AwsError::malformed(
                SERVICE,
                DESCRIBE,
                format!("group {name}: launch template without id or name"),
            ));
        }
    };
    if let Some(v) = template.version() {
        spec = spec.version(v);
    }

    let old_overrides = existing
        .and_then(MixedInstancesPolicy::launch_template)
        .map(LaunchTemplate::overrides)
        .unwrap_or_default();
    let mut launch_template = LaunchTemplate::builder().launch_template_specification(spec.build());
    for t in &mix.instance_types {
        let kept = old_overrides
            .iter()
            .find(|o| o.instance_type() == Some(t.as_str()))
            .cloned();
        launch_template = launch_template.overrides(
            kept.unwrap_or_else(|| LaunchTemplateOverrides::builder().instance_type(t).build()),
        );
    }

    let old = existing.and_then(MixedInstancesPolicy::instances_distribution);
    let mut dist = InstancesDistribution::builder()
        .on_demand_base_capacity(to_i32(mix.on_demand_base, name)?)
        .on_demand_percentage_above_base_capacity(to_i32(mix.on_demand_percent_above_base, name)?)
        .spot_allocation_strategy(&mix.allocation_strategy);
    if let Some(s) = old.and_then(InstancesDistribution::on_demand_allocation_strategy) {
        dist = dist.on_demand_allocation_strategy(s);
    }
    if let Some(p) = old.and_then(InstancesDistribution::spot_max_price) {
        dist = dist.spot_max_price(p);
    }
    if let Some(n) = old
        .and_then(InstancesDistribution::spot_instance_pools)
        .filter(|_| mix.allocation_strategy == DEFAULT_SPOT_STRATEGY)
    {
        dist = dist.spot_instance_pools(n);
    }
    Ok(MixedInstancesPolicy::builder()
        .launch_template(launch_template.build())
        .instances_distribution(dist.build())
        .build())
}

fn to_i32(v: u32, name: &str) -> Result<i32, AwsError> {
    i32::try_from(v).map_err(|_| AwsError {
        service: SERVICE,
        operation: UPDATE,
        resource: name.to_owned(),
        kind: ErrorKind::Other,
        code: None,
        message: format!("{v} is out of range"),
    })
}

fn not_found(operation: &'static str, name: &str) -> AwsError {
    AwsError {
        service: SERVICE,
        operation,
        resource: name.to_owned(),
        kind: ErrorKind::NotFound,
        code: None,
        message: format!("Auto Scaling group {name} does not exist"),
    }
}

/// Auto Scaling reports a missing group as `ValidationError` with
/// "... not found ..." in the message: classify it as not found.
fn refine(mut e: AwsError) -> AwsError {
    if e.kind == ErrorKind::Other
        && e.code.as_deref() == Some("ValidationError")
        && e.message.to_ascii_lowercase().contains("not found")
    {
        e.kind = ErrorKind::NotFound;
    }
    e
}

#[cfg(test)]
mod tests {
    use aws_sdk_autoscaling::types::TagDescription;

    use super::*;

    fn template(id: &str, name: &str) -> LaunchTemplateSpecification {
        LaunchTemplateSpecification::builder()
            .launch_template_id(id)
            .launch_template_name(name)
            .version("$Latest")
            .build()
    }

    fn mixed_group() -> SdkGroup {
        mixed_group_with(None)
    }

    fn mixed_group_with(status: Option<&str>) -> SdkGroup {
        SdkGroup::builder()
            .set_status(status.map(str::to_owned))
            .auto_scaling_group_name("api-fleet")
            .auto_scaling_group_arn(
                "arn:aws:autoscaling:us-east-1:1:autoScalingGroup:x:autoScalingGroupName/api-fleet",
            )
            .min_size(2)
            .max_size(30)
            .desired_capacity(6)
            .tags(TagDescription::builder().key("team").value("api").build())
            .mixed_instances_policy(
                MixedInstancesPolicy::builder()
                    .launch_template(
                        LaunchTemplate::builder()
                            .launch_template_specification(template("lt-1", "api"))
                            .overrides(
                                LaunchTemplateOverrides::builder()
                                    .instance_type("m5.large")
                                    .weighted_capacity("2")
                                    .build(),
                            )
                            .overrides(
                                LaunchTemplateOverrides::builder()
                                    .instance_type("c5.large")
                                    .build(),
                            )
                            .build(),
                    )
                    .instances_distribution(
                        InstancesDistribution::builder()
                            .on_demand_allocation_strategy("prioritized")
                            .on_demand_base_capacity(1)
                            .on_demand_percentage_above_base_capacity(50)
                            .spot_allocation_strategy("lowest-price")
                            .spot_instance_pools(3)
                            .spot_max_price("0.2")
                            .build(),
                    )
                    .build(),
            )
            .build()
    }

    fn mix(strategy: &str, types: &[&str]) -> SpotMix {
        SpotMix {
            on_demand_base: 2,
            on_demand_percent_above_base: 70,
            allocation_strategy: strategy.to_owned(),
            instance_types: types.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn maps_capacity_tags_status_and_mix() {
        let g = group_from_sdk(&mixed_group()).expect("maps");
        assert_eq!((g.min, g.max, g.desired), (2, 30, 6));
        assert_eq!(g.tags.get("team").map(String::as_str), Some("api"));
        assert_eq!(g.status, None);
        assert_eq!(
            g.mix,
            Some(SpotMix {
                on_demand_base: 1,
                on_demand_percent_above_base: 50,
                allocation_strategy: "lowest-price".into(),
                instance_types: vec!["m5.large".into(), "c5.large".into()],
            })
        );
        let deleting = mixed_group_with(Some("Delete in progress"));
        assert_eq!(
            group_from_sdk(&deleting).expect("maps").status.as_deref(),
            Some("Delete in progress")
        );
    }

    #[test]
    fn unset_distribution_fields_take_aws_defaults() {
        let p = MixedInstancesPolicy::builder()
            .launch_template(
                LaunchTemplate::builder()
                    .launch_template_specification(template("lt-1", "x"))
                    .build(),
            )
            .build();
        let m = mix_from_sdk("g", &p).expect("maps");
        assert_eq!(
            (
                m.on_demand_base,
                m.on_demand_percent_above_base,
                m.allocation_strategy.as_str()
            ),
            (0, 100, "lowest-price")
        );
        assert!(m.instance_types.is_empty());
    }

    #[test]
    fn negative_or_missing_sizes_are_malformed_not_panics() {
        let g = SdkGroup::builder()
            .auto_scaling_group_name("g")
            .min_size(-1)
            .max_size(2)
            .desired_capacity(1)
            .build();
        let e = group_from_sdk(&g).expect_err("negative MinSize");
        assert!(e.message.contains("MinSize"), "{e}");
        let g = SdkGroup::builder().min_size(1).build();
        assert!(group_from_sdk(&g).is_err());
    }

    #[test]
    fn spot_mix_update_keeps_the_template_by_id_and_unmanaged_settings() {
        let p = mixed_policy_for(
            &mixed_group(),
            &mix("price-capacity-optimized", &["c5.large", "m6i.large"]),
        )
        .expect("builds");
        let lt = p.launch_template().expect("launch template");
        let spec = lt.launch_template_specification().expect("spec");
        assert_eq!(spec.launch_template_id(), Some("lt-1"));
        assert_eq!(spec.launch_template_name(), None, "id or name, never both");
        assert_eq!(spec.version(), Some("$Latest"));
        let types: Vec<_> = lt
            .overrides()
            .iter()
            .filter_map(|o| o.instance_type())
            .collect();
        assert_eq!(types, ["c5.large", "m6i.large"]);
        let d = p.instances_distribution().expect("distribution");
        assert_eq!(d.on_demand_base_capacity(), Some(2));
        assert_eq!(d.on_demand_percentage_above_base_capacity(), Some(70));
        assert_eq!(
            d.spot_allocation_strategy(),
            Some("price-capacity-optimized")
        );
        assert_eq!(d.on_demand_allocation_strategy(), Some("prioritized"));
        assert_eq!(d.spot_max_price(), Some("0.2"));
        assert_eq!(
            d.spot_instance_pools(),
            None,
            "pools only go with lowest-price"
        );
    }

    #[test]
    fn kept_instance_types_keep_their_weights() {
        let p =
            mixed_policy_for(&mixed_group(), &mix("lowest-price", &["m5.large"])).expect("builds");
        let o = &p.launch_template().expect("lt").overrides()[0];
        assert_eq!(o.weighted_capacity(), Some("2"));
        assert_eq!(
            p.instances_distribution()
                .and_then(|d| d.spot_instance_pools()),
            Some(3)
        );
    }

    #[test]
    fn a_plain_launch_template_group_gets_a_mixed_policy_on_it() {
        let g = SdkGroup::builder()
            .auto_scaling_group_name("g")
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_name("web")
                    .build(),
            )
            .build();
        let p = mixed_policy_for(&g, &mix("capacity-optimized", &["m5.large"])).expect("builds");
        let spec = p
            .launch_template()
            .and_then(|lt| lt.launch_template_specification())
            .expect("spec");
        assert_eq!(spec.launch_template_name(), Some("web"));
        assert_eq!(spec.version(), None);
    }

    #[test]
    fn a_launch_configuration_group_cannot_take_a_mix() {
        let g = SdkGroup::builder()
            .auto_scaling_group_name("old")
            .launch_configuration_name("lc")
            .build();
        let e = mixed_policy_for(&g, &mix("lowest-price", &["m5.large"])).expect_err("no template");
        assert_eq!((e.resource.as_str(), e.operation), ("old", UPDATE));
    }

    #[test]
    fn validation_error_not_found_is_not_found() {
        let e = AwsError {
            service: SERVICE,
            operation: UPDATE,
            resource: "gone".into(),
            kind: ErrorKind::Other,
            code: Some("ValidationError".into()),
            message: "AutoScalingGroup name not found - null".into(),
        };
        assert_eq!(refine(e.clone()).kind, ErrorKind::NotFound);
        let other = AwsError {
            message: "MinSize must be <= MaxSize".into(),
            ..e
        };
        assert_eq!(refine(other).kind, ErrorKind::Other);
    }
}
