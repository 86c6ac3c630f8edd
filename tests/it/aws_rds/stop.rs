//! Issue 17.5 against moto: a profile stops an Aurora cluster
//! (StopDBCluster) and starts it again (StartDBCluster); observe reads the
//! cluster's power from its status.

use super::*;

#[tokio::test]
async fn an_aurora_cluster_is_stopped_and_started() {
    let rig = Rig::new(MotoServer::shared()).await;
    let id = unique("sv2-stop");
    rig.create_cluster(&id, "db.serverless", &[&format!("{id}-w")])
        .await;
    let p = aurora_policy(
        &id,
        "    allow_stop: true\n    serverless_v2: { min_acu: 0.5, max_acu: 16, step_acu: 0.5 }\n",
    );
    let (running, stopped) = (
        Setting::Power(Power::Running),
        Setting::Power(Power::Stopped),
    );
    let m = rig.member(&p, &id).await;
    assert_eq!(m.settings.get(&KnobName::Power), Some(&running));

    let stop = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Power,
        running.clone(),
        stopped.clone(),
    );
    let reports = rig.apply(&p, vec![stop]).await;
    assert_eq!(applied(&reports[0]), format!("StopDBCluster {id}"));
    let m = rig.member(&p, &id).await;
    assert_eq!(
        (m.status, m.settings.get(&KnobName::Power)),
        (Status::Stopped, Some(&stopped))
    );

    let start = action(
        &id,
        ResourceKind::AuroraCluster,
        KnobName::Power,
        stopped,
        running.clone(),
    );
    let reports = rig.apply(&p, vec![start]).await;
    assert_eq!(applied(&reports[0]), format!("StartDBCluster {id}"));
    let m = rig.member(&p, &id).await;
    assert_eq!(m.settings.get(&KnobName::Power), Some(&running));
}
