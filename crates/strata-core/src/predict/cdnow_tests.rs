//! The purchase models against published results: the CDNOW sample (Fader, Hardie & Lee 2005),
//! calibration end 1997-09-30, weeks. Also gradient checks and the too-little-data errors.

use chrono::NaiveDate;

use super::*;
use crate::metrics::{day_of, Day, EventBook};

const CDNOW: &str = include_str!("../../../../fixtures/cdnow/CDNOW_sample.txt");

fn day(text: &str) -> Day {
    day_of(NaiveDate::parse_from_str(text, "%Y%m%d").expect("date"))
}

/// The sample as an order book: position = sample customer id − 1, amounts in cents.
fn cdnow_book() -> EventBook {
    let rows: Vec<(u32, Day, i64)> = CDNOW
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let id: u32 = f[1].parse().expect("id");
            let dollars: f64 = f[4].parse().expect("amount");
            (id - 1, day(f[2]), (dollars * 100.0).round() as i64)
        })
        .collect();
    EventBook::of_orders(&rows)
}

fn within(got: f64, want: f64, share: f64) -> bool {
    (got - want).abs() <= share * want.abs()
}

fn calibration() -> Histories {
    Histories::of_book(&cdnow_book(), day("19970930"))
}

#[test]
fn cdnow_histories_match_the_paper() {
    let h = calibration();
    assert_eq!(h.buyers().count(), 2357);
    assert_eq!(h.buyers().filter(|c| c.repeat > 0).count(), 946);
    // customer 1: purchases 1997-01-01, 01-18, 08-02 → x = 2, t_x = 213 days, T = 272 days
    assert_eq!(h.rows[0], Some(History { repeat: 2, last_days: 213, age_days: 272, repeat_value: (29.73 + 14.96) / 2.0 }));
}

#[test]
fn cdnow_bgnbd_matches_the_paper() {
    let grouped = calibration().grouped(TimeUnit::Weeks).expect("grouped");
    let fit = BgNbd::fit(&grouped).expect("fit");
    let p = fit.params;
    for (name, got, want) in [("r", p.r, 0.243), ("alpha", p.alpha, 4.414), ("a", p.a, 0.793), ("b", p.b, 2.426)] {
        assert!(within(got, want, 0.005), "{name} = {got}, paper {want}");
    }
    assert!((fit.log_likelihood - -9582.4).abs() <= 0.5, "log-likelihood {}", fit.log_likelihood);
    assert!((p.log_likelihood(&grouped) - fit.log_likelihood).abs() < 1e-6);
    assert_eq!((fit.customers, fit.repeat_customers), (2357, 946));
    // The paper's worked example: x = 2, t_x = 30.43, T = 38.86 → 1.226 purchases in 39 weeks.
    let paper = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let e = paper.expected_purchases(39.0, 2.0, 30.43, 38.86);
    assert!((e - 1.226).abs() < 0.001, "expected purchases {e}");
    let alive = p.p_alive(2.0, 30.43, 38.86);
    assert!(alive > 0.0 && alive < 1.0);
    assert_eq!(p.p_alive(0.0, 0.0, 38.86), 1.0);
}

#[test]
fn cdnow_gamma_gamma_matches_the_paper() {
    let spend = SpendData::of_histories(&calibration());
    assert_eq!(spend.len(), 946);
    let fit = GammaGamma::fit(&spend).expect("fit");
    let g = fit.params;
    for (name, got, want) in [("p", g.p, 6.25), ("q", g.q, 3.74), ("gamma", g.gamma, 15.44)] {
        assert!(within(got, want, 0.005), "{name} = {got}, paper {want}");
    }
    // Shrinkage: a heavy spender's expected value lies between their mean and the population's.
    let population = g.expected_value(0, 0.0);
    let heavy = g.expected_value(5, 100.0);
    assert!(heavy < 100.0 && heavy > population, "{heavy} vs {population}");
}

#[test]
fn lifetime_value_is_discounted_expected_spend() {
    let p = BgNbd { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    let g = GammaGamma { p: 6.25, q: 3.74, gamma: 15.44 };
    let history = (2.0, 30.43, 38.86);
    let undiscounted = customer_value(p, g, 7.0, history, 30.0, ClvTerms { months: 12, yearly_discount: 0.0 });
    let expected = p.expected_purchases(12.0 * DAYS_PER_MONTH / 7.0, 2.0, 30.43, 38.86) * g.expected_value(2, 30.0);
    assert!(within(undiscounted, expected, 1e-9), "{undiscounted} vs {expected}");
    let discounted = customer_value(p, g, 7.0, history, 30.0, ClvTerms { months: 12, yearly_discount: 0.1 });
    assert!(discounted < undiscounted && discounted > undiscounted / 1.1);
    // More months, more value; an inactive-looking customer is worth less.
    let longer = customer_value(p, g, 7.0, history, 30.0, ClvTerms { months: 24, yearly_discount: 0.1 });
    let lapsed = customer_value(p, g, 7.0, (2.0, 2.0, 38.86), 30.0, ClvTerms { months: 12, yearly_discount: 0.1 });
    assert!(longer > discounted && lapsed < discounted);
}

/// Analytic gradients against central differences, at points away from the optimum.
#[test]
fn gradients_match_finite_differences() {
    use super::optimizer::Objective;
    let h = calibration();
    let grouped = h.grouped(TimeUnit::Weeks).expect("grouped");
    let theta = [0.3f64.ln(), 3.0f64.ln(), 0.6f64.ln(), 2.0f64.ln()];
    check_gradient(&super::bgnbd::Likelihood::new(&grouped, 1), &theta);
    let spend = SpendData::of_histories(&h);
    check_gradient(&spend, &[5.0f64.ln(), 3.0f64.ln(), 12.0f64.ln()]);

    fn check_gradient<O: Objective>(o: &O, theta: &[f64]) {
        let (_, analytic) = o.value_and_gradient(theta);
        let eps = 1e-6;
        for k in 0..theta.len() {
            let mut up = theta.to_vec();
            up[k] += eps;
            let mut down = theta.to_vec();
            down[k] -= eps;
            let numeric = (o.value_and_gradient(&up).0 - o.value_and_gradient(&down).0) / (2.0 * eps);
            assert!((numeric - analytic[k]).abs() <= 1e-5 * (1.0 + numeric.abs()), "component {k}: {numeric} vs {analytic:?}");
        }
    }
}

#[test]
fn too_little_data_is_a_clear_error() {
    let one = Grouped::new([(0u32, 0u32, 10u32)].into_iter(), TimeUnit::Days).expect("grouped");
    assert_eq!(BgNbd::fit(&one).unwrap_err(), PredictError::TooFewCustomers { have: 1, need: MIN_CUSTOMERS });
    let no_repeat = Grouped::new((0..100u32).map(|i| (0, 0, i)), TimeUnit::Days).expect("grouped");
    assert_eq!(BgNbd::fit(&no_repeat).unwrap_err().code(), "too_few_repeat_buyers");
    assert_eq!(GammaGamma::fit(&SpendData::new(vec![(1, 10.0)])).unwrap_err().code(), "too_few_repeat_buyers");
    assert!(matches!(Grouped::new([(1u32, 20u32, 10u32)].into_iter(), TimeUnit::Days), Err(PredictError::BadHistory { .. })));
}

/// Summing the likelihood on several threads gives the same fit (to rounding).
#[test]
fn thread_count_does_not_change_the_fit() {
    // 60,000 customers simulated from the BG/NBD process itself (λ ~ Exp(α = 20 days),
    // p ~ Beta(1, 3)), deterministic.
    let mut seed = 42u64;
    let mut uniform = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let rows: Vec<(u32, u32, u32)> = (0..60_000)
        .map(|_| {
            let age = 30 + (uniform() * 1000.0) as u32;
            let rate = -uniform().ln() / 20.0;
            let churn = 1.0 - (1.0 - uniform()).powf(1.0 / 3.0);
            let (mut t, mut x, mut last) = (0.0f64, 0u32, 0u32);
            loop {
                if uniform() < churn && x > 0 {
                    break;
                }
                t += -uniform().ln() / rate;
                if t > f64::from(age) {
                    break;
                }
                x += 1;
                last = t as u32;
            }
            (x, last, age)
        })
        .collect();
    let grouped = Grouped::new(rows.into_iter(), TimeUnit::Days).expect("grouped");
    let one = BgNbd::fit_on(&grouped, 1).expect("fit");
    let four = BgNbd::fit_on(&grouped, 4).expect("fit");
    for (a, b) in
        [(one.params.r, four.params.r), (one.params.alpha, four.params.alpha), (one.params.a, four.params.a), (one.params.b, four.params.b)]
    {
        assert!((a - b).abs() <= 1e-6 * a.abs(), "{one:?} vs {four:?}");
    }
}

/// Histories with no structure (repeat counts unrelated to age): the fit either converges or
/// says clearly that it did not — it never returns parameters it did not reach.
#[test]
fn awkward_data_converges_or_says_so() {
    let mut seed = 7u64;
    let mut next = move |m: u32| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) % u64::from(m)) as u32
    };
    let rows: Vec<(u32, u32, u32)> = (0..60_000)
        .map(|_| {
            let age = 30 + next(1000);
            let x = if next(3) == 0 { 0 } else { 1 + next(40) };
            (x, if x == 0 { 0 } else { next(age + 1) }, age)
        })
        .collect();
    let grouped = Grouped::new(rows.into_iter(), TimeUnit::Days).expect("grouped");
    match BgNbd::fit(&grouped) {
        Ok(fit) => {
            let again = fit.params.log_likelihood(&grouped);
            assert!((again - fit.log_likelihood).abs() < 1e-6 * again.abs());
        }
        Err(e) => assert_eq!(e.code(), "fit_not_converged", "{e}"),
    }
}
