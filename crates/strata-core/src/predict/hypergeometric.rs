//! The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, by its power series: what
//! the BG/NBD conditional expectation needs (its argument is t / (α + T + t) < 1).

/// Terms after which the series is cut (the error is then below z^MAX_TERMS, tiny for any z a
/// purchase model produces).
const MAX_TERMS: u32 = 100_000;

/// ₂F₁(a, b; c; z), for 0 ≤ z < 1 and c not a non-positive integer.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 0..MAX_TERMS {
        let k = f64::from(k);
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() <= 1e-16 * sum.abs() {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::hyp2f1;

    #[test]
    fn closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
        for z in [0.1, 0.5, 0.9, 0.99] {
            let want = -(1.0f64 - z).ln() / z;
            assert!((hyp2f1(1.0, 1.0, 2.0, z) - want).abs() < 1e-12 * want, "z = {z}");
        }
        // ₂F₁(a, b; b; z) = (1 − z)^(−a)
        for (a, z) in [(0.5, 0.3), (2.5, 0.7), (0.243, 0.47)] {
            let want = (1.0f64 - z).powf(-a);
            assert!((hyp2f1(a, 1.7, 1.7, z) - want).abs() < 1e-12 * want, "a = {a}, z = {z}");
        }
        assert_eq!(hyp2f1(3.0, 4.0, 5.0, 0.0), 1.0);
    }
}
