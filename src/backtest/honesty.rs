//! Warnings about figures a trace makes arbitrary. Pure.

/// A count trace's peak this many times its p99 is one spike, not load.
pub const SPIKE_RATIO: f64 = 2.0;

/// Warnings for a trace whose values (percent at the starting setting) are
/// `percents`; `peak_percent` is set for a count trace (its scaled peak).
/// - A count trace is scaled so its peak is `peak_percent`: a peak far
///   above its p99 makes that scale, and the static-peak baseline sized on
///   it, rest on one spike.
/// - A `peak_percent` equal to the SLO puts the scaled peak exactly on the
///   breach line: whether static peak breaches is a rounding question.
pub fn warnings(percents: &[f64], peak_percent: Option<f64>, slo_percent: f64) -> Vec<String> {
    let Some(peak_percent) = peak_percent else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut v: Vec<f64> = percents.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    if let (Some(&peak), false) = (v.last(), v.is_empty()) {
        let rank = ((0.99 * v.len() as f64).ceil() as usize).clamp(1, v.len());
        let p99 = v[rank - 1];
        if p99 > 0.0 && peak >= SPIKE_RATIO * p99 {
            out.push(format!(
                "count trace: its peak is {:.1}× its p99 ({peak:.1}% vs {p99:.1}% at the start): the scaling (peak = {peak_percent}%) and the static-peak baseline rest on one spike, so both are arbitrary",
                peak / p99
            ));
        }
    }
    if (peak_percent - slo_percent).abs() < 1e-9 {
        out.push(format!(
            "peak_percent {peak_percent} equals the SLO ({slo_percent}%): the scaled peak sits on the breach line, so static peak's breaches are a rounding question"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_point_spike_and_a_peak_on_the_slo_are_warned() {
        let mut v = vec![20.0; 1000];
        v[500] = 90.0;
        let w = warnings(&v, Some(90.0), 90.0);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("4.5× its p99"), "{w:?}");
        assert!(warnings(&v, Some(80.0), 90.0).len() == 1);
        // Utilisation traces are not scaled: nothing to warn about.
        assert!(warnings(&v, None, 90.0).is_empty());
        // A broad peak is load, not a spike.
        let broad: Vec<f64> = (0..1000).map(|i| f64::from(i % 100)).collect();
        assert!(warnings(&broad, Some(70.0), 90.0).is_empty());
    }
}
