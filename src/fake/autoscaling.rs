//! The Auto Scaling fake.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::{lock, refuse};
use crate::policy::SpotMix;
use crate::ports::{AutoScalingGroup, AutoScalingPort, Listing};
use crate::ports::{AwsError, ErrorKind};

/// Auto Scaling with state.
#[derive(Debug, Default)]
pub struct FakeAutoScaling {
    groups: Mutex<BTreeMap<String, AutoScalingGroup>>,
    instances: Mutex<BTreeMap<String, String>>,
    refreshes: Mutex<Vec<(String, u32)>>,
}

impl FakeAutoScaling {
    /// Adds or replaces a group.
    pub fn put(&self, g: AutoScalingGroup) {
        lock(&self.groups).insert(g.name.clone(), g);
    }

    /// The instance refreshes started: (group, minimum healthy percent).
    pub fn refreshes(&self) -> Vec<(String, u32)> {
        lock(&self.refreshes).clone()
    }

    /// Says that `instance_id` runs in `group`.
    pub fn put_instance(&self, instance_id: &str, group: &str) {
        lock(&self.instances).insert(instance_id.to_owned(), group.to_owned());
    }
}

#[async_trait]
impl AutoScalingPort for FakeAutoScaling {
    async fn groups(&self) -> Result<Listing<AutoScalingGroup>, AwsError> {
        Ok(Listing::whole(
            lock(&self.groups).values().cloned().collect(),
        ))
    }

    async fn set_capacity(
        &self,
        name: &str,
        min: u32,
        max: u32,
        desired: u32,
    ) -> Result<(), AwsError> {
        let mut all = lock(&self.groups);
        let g = all.get_mut(name).ok_or_else(|| {
            refuse(
                "autoscaling",
                "UpdateAutoScalingGroup",
                name,
                ErrorKind::NotFound,
                "ValidationError",
                "AutoScalingGroup name not found",
            )
        })?;
        if min > desired || desired > max {
            return Err(refuse(
                "autoscaling",
                "UpdateAutoScalingGroup",
                name,
                ErrorKind::Other,
                "ValidationError",
                "Desired capacity must be between min and max",
            ));
        }
        (g.min, g.max, g.desired) = (min, max, desired);
        Ok(())
    }

    async fn set_spot_mix(&self, name: &str, mix: &SpotMix) -> Result<(), AwsError> {
        let mut all = lock(&self.groups);
        let g = all.get_mut(name).ok_or_else(|| {
            refuse(
                "autoscaling",
                "UpdateAutoScalingGroup",
                name,
                ErrorKind::NotFound,
                "ValidationError",
                "AutoScalingGroup name not found",
            )
        })?;
        g.mix = Some(mix.clone());
        Ok(())
    }

    async fn group_of_instance(&self, instance_id: &str) -> Result<Option<String>, AwsError> {
        Ok(lock(&self.instances).get(instance_id).cloned())
    }

    async fn start_instance_refresh(
        &self,
        name: &str,
        min_healthy_percent: u32,
    ) -> Result<String, AwsError> {
        let mut all = lock(&self.refreshes);
        all.push((name.to_owned(), min_healthy_percent));
        Ok(format!("refresh-{}", all.len()))
    }
}
