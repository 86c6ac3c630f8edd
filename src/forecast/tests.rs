use super::*;

/// A deterministic uniform noise in [-1, 1) (an LCG: no dependency, same
/// numbers every run).
fn noise(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// 40% at night, 80% mid-day, and 20 points lower at the weekend.
fn shape(t: usize) -> f64 {
    let day = (t % DAY) as f64 / DAY as f64;
    let weekend = (t % WEEK) / DAY >= 5;
    let base = 60.0 - 20.0 * (day * std::f64::consts::TAU).cos();
    if weekend { base - 20.0 } else { base }
}

#[test]
fn a_known_seasonal_series_is_forecast_exactly() {
    let history: Vec<f64> = (0..3 * WEEK).map(shape).collect();
    // Same weekday, same time: the weekly values and most daily ones agree.
    for t in [3 * WEEK, 3 * WEEK + 100, 3 * WEEK + 2 * DAY + 7] {
        let f = seasonal_median(&history, t).expect("history");
        assert!((f - shape(t)).abs() < 1e-9, "t {t}: {f} vs {}", shape(t));
        assert_eq!(seasonal_naive(&history, t), Some(shape(t)));
    }
}

#[test]
fn on_a_noisy_seasonal_series_the_model_beats_seasonal_naive_and_covers_nominal() {
    let mut n = noise(7);
    let history: Vec<f64> = (0..3 * WEEK).map(|t| shape(t) + 8.0 * n()).collect();
    let score = evaluate(&history, 90.0).expect("enough history");
    assert!(score.mase < 1.0, "{score:?}");
    assert!((score.coverage - 90.0).abs() <= COVERAGE_SLACK, "{score:?}");
    assert!(score.trusted, "{}", score.describe());
}

#[test]
fn interval_coverage_on_pure_noise_is_near_nominal() {
    for (seed, q) in [(1, 90.0), (2, 80.0), (3, 50.0)] {
        let mut n = noise(seed);
        let history: Vec<f64> = (0..3 * WEEK).map(|_| 50.0 + 10.0 * n()).collect();
        let score = evaluate(&history, q).expect("enough history");
        assert!(
            (score.coverage - q).abs() <= COVERAGE_SLACK,
            "q {q}: {score:?}"
        );
    }
}

#[test]
fn a_series_that_breaks_the_model_closes_the_gate() {
    // Every weekday has its own shape, repeated exactly each week: seasonal
    // naive is perfect, the daily median mixes the days up.
    let mut n = noise(11);
    let week: Vec<f64> = (0..WEEK).map(|_| 50.0 + 40.0 * n()).collect();
    let history: Vec<f64> = (0..3 * WEEK).map(|t| week[t % WEEK]).collect();
    let score = evaluate(&history, 90.0).expect("enough history");
    assert!(score.mase >= 1.0, "{score:?}");
    assert!(!score.trusted);
    assert!(score.describe().contains("reactive rules only"));
}

#[test]
fn too_little_history_gives_no_score() {
    let history: Vec<f64> = (0..WEEK).map(shape).collect();
    assert_eq!(evaluate(&history, 90.0), None);
}

#[test]
fn a_future_spike_changes_nothing_before_its_time() {
    let mut n = noise(5);
    let mut series: Vec<f64> = (0..3 * WEEK).map(|t| shape(t) + 5.0 * n()).collect();
    let cut = 3 * WEEK - DAY;
    let before = (
        evaluate(&series[..cut], 90.0),
        peak_ahead(&series[..cut], 6, 3.0),
    );
    series[cut + 3] = 400.0;
    let after = (
        evaluate(&series[..cut], 90.0),
        peak_ahead(&series[..cut], 6, 3.0),
    );
    assert_eq!(before, after);
    // Once it is history, a spike a day back is one value of eight in the
    // median: it does not move the forecast a day later.
    let f = seasonal_median(&series[..cut + DAY], cut + 3 + DAY).expect("history");
    assert!(f < 150.0, "{f}");
}

#[test]
fn peak_ahead_is_the_highest_upper_bound_over_the_lead() {
    let history: Vec<f64> = (0..2 * WEEK).map(shape).collect();
    let lead = 12;
    let want = (2 * WEEK..2 * WEEK + lead)
        .map(shape)
        .fold(f64::MIN, f64::max)
        + 5.0;
    let got = peak_ahead(&history, lead, 5.0).expect("history");
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
}
