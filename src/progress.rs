//! Progress on long work (a backtest replay, `prices refresh`, an apply
//! waiting on a multi-step change, `record`), drawn on stderr only when
//! stderr is a terminal: logs and CI get no bar, no carriage returns, no
//! escape codes, only the lines the command prints anyway.
//!
//! A [`Progress`] hands out [`Task`]s. A task shows itself only once it has
//! run longer than [`Progress::delay`] (a one-second replay draws nothing);
//! [`Task::println`] prints a line above the bar, or plainly on stderr when
//! no bar is drawn. Every method takes `&self`, so a task can sit in a
//! static and be reached from a plain `fn` callback.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before its progress is drawn.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// Where tasks draw: stderr when it is a terminal, or nowhere.
#[derive(Debug, Clone)]
pub struct Progress {
    enabled: bool,
    delay: Duration,
}

impl Progress {
    /// Draws on stderr when stderr is a terminal (and `TIDEGATE_NO_PROGRESS`
    /// is unset); draws nothing otherwise. `TIDEGATE_PROGRESS_DELAY_MS`
    /// sets the delay (tests on a pseudo-terminal use 0).
    pub fn stderr() -> Progress {
        let delay = std::env::var("TIDEGATE_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(DEFAULT_DELAY, Duration::from_millis);
        Progress {
            enabled: std::io::stderr().is_terminal()
                && std::env::var_os("TIDEGATE_NO_PROGRESS").is_none(),
            delay,
        }
    }

    /// Draws nothing (tests, library callers).
    pub fn hidden() -> Progress {
        Progress {
            enabled: false,
            delay: DEFAULT_DELAY,
        }
    }

    /// True when tasks will draw.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How long a task waits before it draws.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// The same, drawing after `delay` instead.
    pub fn with_delay(mut self, delay: Duration) -> Progress {
        self.delay = delay;
        self
    }

    /// A task of `total` steps: `what [bar] done/total, elapsed, ETA`.
    pub fn bar(&self, what: &str, total: u64) -> Task {
        self.task(
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden()),
            "{msg} [{bar:30}] {pos}/{len} {prefix} · {elapsed} elapsed · ETA {eta}",
            what,
        )
    }

    /// A task of unknown length: a spinner with `what` and the time spent.
    pub fn spinner(&self, what: &str) -> Task {
        self.task(
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
            "{spinner} {msg} · {elapsed}",
            what,
        )
    }

    fn task(&self, bar: ProgressBar, template: &str, what: &str) -> Task {
        if !self.enabled {
            return Task {
                bar: None,
                started: Instant::now(),
                delay: self.delay,
                shown: AtomicBool::new(false),
                target: None,
            };
        }
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        Task {
            bar: Some(bar),
            started: Instant::now(),
            delay: self.delay,
            shown: AtomicBool::new(false),
            target: Some(ProgressDrawTarget::stderr),
        }
    }
}

type Target = fn() -> ProgressDrawTarget;

/// One piece of long work.
#[derive(Debug)]
pub struct Task {
    bar: Option<ProgressBar>,
    started: Instant,
    delay: Duration,
    shown: AtomicBool,
    target: Option<Target>,
}

impl Task {
    /// `done` steps of the total are done.
    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            self.show_when_due(bar);
        }
    }

    /// One more step is done.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            self.show_when_due(bar);
        }
    }

    /// What it is doing now (e.g. what it waits for).
    pub fn message(&self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_owned());
            self.show_when_due(bar);
        }
    }

    /// A short note after the counts (e.g. `decisions`).
    pub fn prefix(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(text.to_owned());
        }
    }

    /// Prints `line` on stderr: above the bar when one is drawn.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) if self.shown.load(Ordering::Relaxed) => bar.println(line),
            _ => eprintln!("{line}"),
        }
    }

    /// True once the bar is being drawn.
    pub fn shown(&self) -> bool {
        self.shown.load(Ordering::Relaxed)
    }

    /// Takes the bar off the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn show_when_due(&self, bar: &ProgressBar) {
        if self.shown.load(Ordering::Relaxed) || self.started.elapsed() < self.delay {
            return;
        }
        if let Some(target) = self.target {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(target());
            // A spinner moves on its own while the work waits.
            if bar.length().is_none() {
                bar.enable_steady_tick(Duration::from_millis(200));
            }
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_progress_draws_nothing_and_never_shows() {
        let p = Progress::hidden().with_delay(Duration::ZERO);
        let t = p.bar("replay", 10);
        t.set(5);
        t.message("still");
        assert!(!t.shown());
        assert!(!p.enabled());
    }

    #[test]
    fn a_task_shows_only_after_its_delay() {
        let drawing = |delay| Progress {
            enabled: true,
            delay,
        };
        let mut t = drawing(Duration::from_secs(3600)).bar("replay", 10);
        // Drawn nowhere, so the test's own stderr stays clean.
        t.target = Some(ProgressDrawTarget::hidden);
        t.set(5);
        assert!(!t.shown(), "an hour has not passed");
        let mut t = drawing(Duration::ZERO).spinner("waiting");
        t.target = Some(ProgressDrawTarget::hidden);
        t.message("waiting for the writer");
        assert!(t.shown(), "past a zero delay the task draws");
    }
}
