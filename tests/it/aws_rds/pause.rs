//! Issue 17.1 against moto: ModifyDBCluster with MinCapacity 0 and
//! SecondsUntilAutoPause, read back through DescribeDBClusters.

use super::*;

#[tokio::test]
async fn a_cluster_is_set_to_pause_at_zero_acu_and_back() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("sv2-pause");
    rig.create_cluster(&id, "db.serverless", &[&format!("{id}-w")])
        .await;
    let p = aurora_policy(
        &id,
        "    serverless_v2: { min_acu: 0, max_acu: 16, step_acu: 0.5, seconds_until_auto_pause: 600 }\n",
    );
    let pause = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::ServerlessV2,
        Setting::Acu { min: 0.5, max: 4.0 },
        Setting::Acu { min: 0.0, max: 4.0 },
    );
    let reports = rig.apply(&p, vec![pause]).await;
    assert!(
        applied(&reports[0]).ends_with("0.5–4 ACU → 0–4 ACU (auto-pause after 600 s idle)"),
        "{}",
        applied(&reports[0])
    );
    let scaling = rig.scaling(&id).await;
    assert_eq!(scaling.min_capacity(), Some(0.0));
    assert_eq!(scaling.seconds_until_auto_pause(), Some(600));
    assert_eq!(
        rig.member(&p, &id)
            .await
            .settings
            .get(&KnobName::ServerlessV2),
        Some(&Setting::Acu { min: 0.0, max: 4.0 })
    );

    let wake = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::ServerlessV2,
        Setting::Acu { min: 0.0, max: 4.0 },
        Setting::Acu { min: 1.0, max: 4.0 },
    );
    let reports = rig.apply(&p, vec![wake]).await;
    assert!(applied(&reports[0]).ends_with("0–4 ACU → 1–4 ACU"));
    assert_eq!(rig.scaling(&id).await.min_capacity(), Some(1.0));
}
