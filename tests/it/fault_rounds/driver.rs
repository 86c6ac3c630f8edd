//! The driver: rounds of `tidegate apply` (a child process) through the
//! fault proxy, kills at chosen points, and the invariants after each round.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tidegate::estate::Setting;
use tidegate::ledger::LoggedStatus;

use super::estate::{self, MAX_ACTIONS_PER_HOUR, Observed, Push, RESOURCES};
use super::proxy::{FaultProxy, Mutation, Schedule};
use crate::support::MotoServer;

/// A run that takes longer is killed and counted as hung.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// Pause between two runs held off by a dead run's lease.
const LEASE_RETRY: Duration = Duration::from_secs(1);
/// The runs' lease (`tidegate apply --lease-secs`): short, so a killed
/// run's leases lapse within a few seconds instead of the default two
/// minutes, and the next run takes them over and reconciles what it left.
const LEASE_SECS: u64 = 3;
const KINDS: [&str; 5] = ["drop", "reset", "delay", "status5xx", "throttle"];

/// A fault mix: what share of requests gets which fault, and how runs are
/// killed.
#[derive(Debug, Clone)]
pub struct Mix {
    /// Fault kind → share of requests.
    pub faults: BTreeMap<String, f64>,
    /// How long a `delay` waits.
    pub delay_ms: u64,
    /// Faults only on calls that change something.
    pub mutating_only: bool,
    /// Share of rounds whose first run is killed (at its 1st to 3rd
    /// mutating call, by the seed).
    pub kill: f64,
    /// `after`: once moto carried the call out; `before`: instead of it.
    pub kill_mode: String,
    /// Kill at this mutating call (0: the round's number) instead of the
    /// 1st to 3rd by the seed.
    pub kill_at: Option<u32>,
    /// Move this resource only, up and down in turn (round 1 up), instead
    /// of every resource by the seed.
    pub only: Option<String>,
}

impl Default for Mix {
    fn default() -> Self {
        Mix {
            faults: BTreeMap::new(),
            delay_ms: 200,
            mutating_only: false,
            kill: 0.0,
            kill_mode: "after".to_owned(),
            kill_at: None,
            only: None,
        }
    }
}

impl Mix {
    /// `drop=0.1,reset=0.05,delay=0.1,status5xx=0.1,throttle=0.1,
    /// delay_ms=300,mutating_only=1,kill=0.5,kill_mode=before,kill_at=2,
    /// only=faults-prov` (`kill_at=round`: at the round's number).
    pub fn parse(text: &str) -> Result<Mix, String> {
        let mut mix = Mix::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected key=value"))?;
            let number = || {
                value
                    .parse::<f64>()
                    .map_err(|_| format!("`{part}`: not a number"))
            };
            match key {
                k if KINDS.contains(&k) => {
                    mix.faults.insert(k.to_owned(), number()?);
                }
                "delay_ms" => mix.delay_ms = number()? as u64,
                "mutating_only" => mix.mutating_only = value == "1" || value == "true",
                "kill" => mix.kill = number()?,
                "kill_mode" if value == "after" || value == "before" => {
                    mix.kill_mode = value.to_owned();
                }
                "kill_at" if value == "round" => mix.kill_at = Some(0),
                "kill_at" => mix.kill_at = Some(number()? as u32),
                "only" if RESOURCES.contains(&value) => mix.only = Some(value.to_owned()),
                _ => {
                    return Err(format!(
                        "`{part}`: keys are {}, delay_ms, mutating_only, kill, kill_mode (after|before), \
                         kill_at (N|round), only ({})",
                        RESOURCES.join("|"),
                        KINDS.join(", ")
                    ));
                }
            }
        }
        if mix.faults.values().sum::<f64>() > 1.0 {
            return Err("the fault shares add up to more than 1".to_owned());
        }
        Ok(mix)
    }
}

/// A named, seeded sequence of rounds under one mix.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name (in the report).
    pub name: &'static str,
    /// Seeds the alarms, the kill points and the proxy's schedules.
    pub seed: u64,
    /// Rounds.
    pub rounds: u32,
    /// The faults.
    pub mix: Mix,
}

/// A scenario's figures.
#[derive(Debug, Default)]
pub struct Figures {
    /// Rounds run.
    pub rounds: u32,
    /// `tidegate apply` processes started.
    pub runs: u32,
    /// Runs killed at their kill point.
    pub kills: u32,
    /// Runs that panicked, died of a signal not ours, or hung.
    pub crashes: Vec<String>,
    /// Times the ledger file could not be read back.
    pub ledger_corruptions: Vec<String>,
    /// Invariant violations, each once, with the round it was first seen.
    pub violations: Vec<String>,
    /// The violations seen so far (without their round).
    seen: BTreeSet<String>,
    /// Runs that left a resource alone because another (dead) run held
    /// its lease.
    pub lease_blocked: u32,
    /// Runs that left a multi-step change under way for a later run.
    pub left_under_way: u32,
    /// Faults the proxy injected, per kind.
    pub injected: BTreeMap<String, u64>,
    /// Exit code → runs.
    pub exits: BTreeMap<String, u32>,
    /// AWS requests the runs made.
    pub requests: u64,
    /// Changes moto carried out whose answer never reached the run (an
    /// answer dropped, or the run killed).
    pub unanswered: usize,
    /// Changes moto carried out.
    pub changes: usize,
    /// Changes the ledger counts against the hourly limit.
    pub ledger_actions: usize,
}

impl Figures {
    /// Records a violation the first time it is seen.
    fn violation(&mut self, round: u32, what: String) {
        if self.seen.insert(what.clone()) {
            self.violations.push(format!("round {round}: {what}"));
        }
    }

    /// No violation, crash or ledger corruption.
    pub fn clean(&self) -> bool {
        self.violations.is_empty() && self.crashes.is_empty() && self.ledger_corruptions.is_empty()
    }

    /// The figures, then every violation, crash and corruption.
    pub fn report(&self, s: &Scenario) -> String {
        let mut out = format!(
            "fault_rounds {} (seed {}): rounds {}, runs {}, kills {}, invariant violations {}, crashes {}, \
             ledger corruptions {}; runs blocked by a dead run's lease {}, runs that left a change under way {}; AWS requests {}, changes moto carried out {} (limit \
             {MAX_ACTIONS_PER_HOUR}/h; {} unanswered), counted by the ledger {}; injected {:?}; exits {:?}",
            s.name,
            s.seed,
            self.rounds,
            self.runs,
            self.kills,
            self.violations.len(),
            self.crashes.len(),
            self.ledger_corruptions.len(),
            self.lease_blocked,
            self.left_under_way,
            self.requests,
            self.changes,
            self.unanswered,
            self.ledger_actions,
            self.injected,
            self.exits,
        );
        for line in self
            .violations
            .iter()
            .chain(&self.crashes)
            .chain(&self.ledger_corruptions)
        {
            let _ = write!(out, "\n  {line}");
        }
        out
    }
}

/// A small deterministic generator (splitmix64): the same seed, the same
/// rounds.
struct Rng(u64);

impl Rng {
    fn new(name: &str, seed: u64) -> Rng {
        let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The variable as a number, if set.
pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// How long a round waits for a dead run's leases to lapse
/// (`TIDEGATE_FAULT_LEASE_WAIT_SECS`, default three leases: a lease taken
/// over is taken for one more lease by the run that reconciles it).
fn lease_wait() -> Duration {
    Duration::from_secs(env_u64("TIDEGATE_FAULT_LEASE_WAIT_SECS").unwrap_or(3 * LEASE_SECS))
}

/// How a run ended.
enum RunEnd {
    Exited { code: Option<i32>, stderr: String },
    Killed,
    Hung,
}

/// Runs `tidegate apply` once through the proxy; with `kill`, kills it
/// (SIGKILL) as soon as the proxy holds its kill point.
fn apply(dir: &Path, moto: &MotoServer, proxy: &FaultProxy, kill: bool) -> RunEnd {
    let stderr_path = dir.join("stderr.txt");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidegate"));
    cmd.args(["apply", "--live", "--auto-approve", "--offline"])
        .arg("--policy")
        .arg(dir.join("policy.yaml"))
        .arg("--ledger")
        .arg(dir.join("ledger.json"))
        .arg("--lease-secs")
        .arg(LEASE_SECS.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    for (k, v) in moto.cli_env() {
        cmd.env(k, v);
    }
    cmd.env("AWS_ENDPOINT_URL", proxy.url());
    let mut child = cmd.spawn().expect("start tidegate apply");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for tidegate") {
            return RunEnd::Exited {
                code: status.code(),
                stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
            };
        }
        if kill && proxy.state().held {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            proxy.release();
            return RunEnd::Killed;
        }
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            proxy.release();
            return RunEnd::Hung;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Which managed resource a request changes.
fn resource_of(m: &Mutation) -> Option<&'static str> {
    RESOURCES.into_iter().find(|r| m.subject.contains(r))
}

/// The changes among one round's mutating requests: each carried out
/// (2xx) request once (a retry sends the same body), and for the
/// provisioned cluster's writer resize (several calls) its failover only.
fn changes(mutations: &[Mutation]) -> usize {
    let mut seen = BTreeSet::new();
    mutations
        .iter()
        .filter(|m| (200..300).contains(&m.status))
        .filter(|m| resource_of(m) != Some("faults-prov") || m.operation == "FailoverDBCluster")
        .filter(|m| seen.insert((m.operation.clone(), m.body_sha.clone())))
        .count()
}

/// Runs the scenario against a dedicated moto server and returns its figures.
pub async fn run_scenario(s: &Scenario) -> Figures {
    let moto = MotoServer::dedicated();
    let config = moto.sdk_config().await;
    estate::create(&config).await;
    let proxy = FaultProxy::start(&moto);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("policy.yaml"), estate::POLICY).expect("write policy");
    let started = Instant::now();
    let mut rng = Rng::new(s.name, s.seed);
    let mut f = Figures::default();

    for round in 1..=s.rounds {
        f.rounds = round;
        let pushes: Vec<Push> = RESOURCES
            .iter()
            .map(|r| match (&s.mix.only, rng.below(3), *r == "faults-msk") {
                (Some(only), ..) if only != r => Push::Quiet,
                (Some(_), ..) if round % 2 == 1 => Push::Up,
                (Some(_), ..) => Push::Down,
                (None, 0, _) => Push::Quiet,
                (None, 1, _) | (None, _, true) => Push::Up,
                (None, ..) => Push::Down,
            })
            .collect();
        estate::set_alarms(&config, &pushes).await;
        let kill_at = (rng.unit() < s.mix.kill).then(|| match s.mix.kill_at {
            Some(0) => round,
            Some(k) => k,
            None => 1 + rng.below(3) as u32,
        });

        let mut mutations = Vec::new();
        let mut waited = Duration::ZERO;
        for run in 1.. {
            let kill = if run == 1 { kill_at } else { None };
            proxy.schedule(&Schedule {
                seed: format!("{}/{}/{round}/{run}", s.name, s.seed),
                mix: s.mix.faults.clone(),
                delay_ms: s.mix.delay_ms,
                mutating_only: s.mix.mutating_only,
                kill_at: kill,
                kill_mode: s.mix.kill_mode.clone(),
            });
            f.runs += 1;
            let end = apply(dir.path(), &moto, &proxy, kill.is_some());
            let seen = proxy.state();
            for (kind, n) in seen.injected {
                *f.injected.entry(kind).or_default() += n;
            }
            f.requests += seen.requests;
            mutations.extend(seen.mutations);
            let stderr = match end {
                RunEnd::Killed => {
                    f.kills += 1;
                    continue; // a fresh run follows a killed one
                }
                RunEnd::Hung => {
                    let what =
                        format!("round {round} run {run}: hung, killed after {RUN_TIMEOUT:?}");
                    f.crashes.push(what);
                    break;
                }
                RunEnd::Exited { code, stderr } => {
                    if std::env::var_os("TIDEGATE_FAULT_VERBOSE").is_some() {
                        eprintln!(
                            "{} round {round} run {run}: exit {code:?}\n{stderr}",
                            s.name
                        );
                    }
                    let shown = code.map_or("signal".to_owned(), |c| c.to_string());
                    *f.exits.entry(shown).or_default() += 1;
                    if code.is_none() || code == Some(101) || stderr.contains("panicked at") {
                        let what =
                            format!("round {round} run {run}: exit {code:?}: {}", tail(&stderr));
                        f.crashes.push(what);
                    }
                    if stderr.contains("not a valid tidegate ledger") {
                        let what = format!("round {round} run {run}: {}", tail(&stderr));
                        f.ledger_corruptions.push(what);
                    }
                    stderr
                }
            };
            // After a kill, the dead run's leases may hold the next run
            // off for a while (short leases, issue 12 item 15); and a
            // multi-step change a run had to leave (a read failed even
            // after the SDK's retries) is left under way, for a later run.
            // Either way the round is not over: try again within
            // LEASE_WAIT, then check whatever state that leaves.
            if carried_on_later(&stderr) {
                f.left_under_way += 1;
            } else if held_off(&stderr) {
                f.lease_blocked += 1;
            } else {
                break;
            }
            if waited >= lease_wait() {
                break;
            }
            std::thread::sleep(LEASE_RETRY);
            waited += LEASE_RETRY;
        }
        f.changes += changes(&mutations);
        f.unanswered += mutations
            .iter()
            .filter(|m| (200..300).contains(&m.status))
            .filter(|m| matches!(m.fault.as_deref(), Some("drop" | "kill")))
            .count();
        check_round(round, &config, dir.path(), &mut f).await;
    }
    check_hourly(&mut f, started);
    f
}

/// The invariants after a round.
async fn check_round(round: u32, config: &aws_config::SdkConfig, dir: &Path, f: &mut Figures) {
    let observed = Observed::read(config).await;
    for v in observed.violations() {
        f.violation(round, v);
    }
    let state = match tidegate::ledger::file::load(&dir.join("ledger.json")) {
        Ok(state) => state,
        Err(e) => {
            f.ledger_corruptions.push(format!("round {round}: {e}"));
            return;
        }
    };

    // Ledger matches AWS: per knob, the last change the ledger says took
    // effect (or the value at creation) is what moto shows.
    let mut expected = estate::initial();
    for entry in state.log.values() {
        let took_effect = entry.outcome.as_ref().is_some_and(|o| {
            matches!(
                o.status,
                LoggedStatus::Applied | LoggedStatus::AlreadyInEffect
            )
        });
        let key = (entry.action.identifier.clone(), entry.action.knob);
        if took_effect && expected.contains_key(&key) {
            expected.insert(key, entry.action.to.clone());
        }
    }
    let actual = observed.settings();
    for (key, want) in &expected {
        let got = actual.get(key);
        if got != Some(want) {
            let what = format!(
                "ledger vs AWS: {} {}: the ledger says {}, moto shows {}",
                key.0,
                key.1,
                show(Some(want)),
                show(got)
            );
            f.violation(round, what);
        }
    }
    for entry in state.log.values().filter(|e| e.outcome.is_none()) {
        let what = format!(
            "ledger: the intent {} ({} {} → {}) has no outcome after a completed run",
            entry.id, entry.action.knob, entry.action.from, entry.action.to
        );
        f.violation(round, what);
    }
    f.ledger_actions = state.history().actions.len();
}

/// The hourly limit holds in what AWS did, and the ledger counts what AWS
/// did (checked at the end: all rounds run within the hour).
fn check_hourly(f: &mut Figures, started: Instant) {
    if started.elapsed() > Duration::from_secs(55 * 60) {
        return; // the first changes have left the hour
    }
    if f.changes > MAX_ACTIONS_PER_HOUR {
        let what = format!(
            "hourly limit: moto carried out {} changes, max_actions_per_hour is {MAX_ACTIONS_PER_HOUR}",
            f.changes
        );
        f.violation(f.rounds, what);
    }
    if f.changes != f.ledger_actions {
        let what = format!(
            "hourly count: moto carried out {} changes, the ledger counts {}",
            f.changes, f.ledger_actions
        );
        f.violation(f.rounds, what);
    }
}

fn show(s: Option<&Setting>) -> String {
    s.map_or("nothing".to_owned(), ToString::to_string)
}

/// The run left a multi-step change under way for a later run to carry on.
fn carried_on_later(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|line| line.contains("a later run carries it on"))
}

/// The run left resources alone because another run holds their lease
/// (today "another run holds its lease"; the wording may change).
fn held_off(stderr: &str) -> bool {
    stderr.lines().any(|line| {
        let line = line.to_lowercase();
        line.contains("lease") && (line.contains("holds") || line.contains("held"))
    })
}

/// The last lines of a run's stderr.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}
