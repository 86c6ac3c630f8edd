//! Warnings: a policy that validates but of which some part can never take
//! effect. `tidegate validate` prints them (and `--strict` refuses them);
//! the engine runs regardless, since nothing here is unsafe, only silent.

use super::Ctx;
use crate::policy::locate;
use crate::policy::model::{Policy, Resource};

/// Records a warning for every part of `policy` that can never take effect:
/// a resource's profile that nothing can put in force (the resource has no
/// schedule and it is not the budget's emergency profile), and a resource
/// that nothing could ever change (no rules, no storage rule, no profiles,
/// no spot mix).
pub(super) fn check(cx: &mut Ctx<'_>, policy: &Policy) {
    let emergency = policy
        .budgets
        .as_ref()
        .map(|b| b.emergency_profile.as_str());
    for (i, r) in policy.resources.iter().enumerate() {
        let p = locate::item("resources", i);
        if r.schedule.is_none() {
            let profiles = locate::key(&p, "profiles");
            for name in r.profiles.keys() {
                if Some(name.as_str()) == emergency {
                    continue;
                }
                cx.warn(
                    &locate::key(&profiles, name),
                    format!(
                        "profile `{name}` of {} can never be in force: the resource has no `schedule:` and it is not the budget's emergency profile",
                        r.id
                    ),
                    "a `schedule:` on the resource whose transitions name this profile",
                );
            }
        }
        if nothing_changes(r, policy) {
            cx.warn(
                &p,
                format!(
                    "nothing could ever change {}: it has no scale rules, no storage rule and no profiles",
                    r.id
                ),
                "`scale_up:`/`scale_down:` rules, a `storage:` rule, or `profiles:` with a `schedule:`",
            );
        }
    }
}

fn nothing_changes(r: &Resource, policy: &Policy) -> bool {
    let spot = r
        .workload_class
        .as_ref()
        .is_some_and(|c| policy.spot_mix.contains_key(c));
    r.rules().next().is_none() && r.storage.is_none() && r.profiles.is_empty() && !spot
}
