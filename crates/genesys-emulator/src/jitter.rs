//! Run-to-run variation of the simulated latency of test and execute (opt-in).
//!
//! A real backend never answers in exactly the same time twice: most calls land near a
//! typical value and a few take much longer. With `Config::execution_jitter = σ > 0`, each
//! call's latency is the action's base latency times a log-normal factor `exp(σ·Z)`, Z a
//! standard normal draw: the median stays the base latency, p99 is about `exp(2.33σ)` times
//! it (σ = 0.25: ×1.8). The factor applies before the timeout check, so a call that runs past
//! the action's timeout fails as a timeout, as on the platform. σ = 0 (the default) keeps the
//! latency exact and deterministic.

/// The latency of one call, in ms.
pub(crate) fn jittered(base_ms: u64, sigma: f64) -> u64 {
    if sigma.is_nan() || sigma <= 0.0 || base_ms == 0 {
        return base_ms;
    }
    // Box-Muller from two uniform draws in (0, 1].
    let u1 = 1.0 - fastrand::f64();
    let u2 = fastrand::f64();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let factor = (sigma.min(2.0) * z.clamp(-4.0, 4.0)).exp();
    (base_ms as f64 * factor).round().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sigma_is_exact() {
        assert_eq!(jittered(420, 0.0), 420);
        assert_eq!(jittered(0, 0.5), 0);
    }

    #[test]
    fn jitter_keeps_the_median_and_spreads_the_tail() {
        let mut v: Vec<u64> = (0..4000).map(|_| jittered(1000, 0.25)).collect();
        v.sort_unstable();
        let median = v[v.len() / 2];
        let p99 = v[v.len() * 99 / 100];
        assert!((900..=1100).contains(&median), "median {median}");
        assert!((1450..=2200).contains(&p99), "p99 {p99}");
        assert!(v[0] >= 1 && v[v.len() - 1] <= 2_720, "bounded by exp(4σ)");
    }
}
