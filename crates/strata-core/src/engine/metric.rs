//! Computing a rule metric (count, sum, average, min, max, distinct, days since, growth) for
//! customers from an event book, as of an explicit today. Money is reported in currency units;
//! orders count only when they are revenue (not cancelled or refunded). Missing is NaN.

use crate::{
    metrics::{Day, DayRange, EventBook, EventSlice, NO_NUM},
    predict::Forecast,
    rules::{
        program::{Aggregate, Metric},
        schema::EventField,
        syntax::End,
    },
    tiering::rfm::REVENUE,
};

/// A metric resolved against today: day ranges and the scale of its values.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedMetric {
    pub metric: Metric,
    range: DayRange,
    previous: Option<DayRange>,
    today: Day,
    /// Multiplier for values (0.01 for money in cents).
    scale: f64,
    /// Only events with the revenue flag count (orders).
    revenue_only: bool,
    /// The purchase models in force, for predicted metrics.
    forecast: Forecast,
}

impl ResolvedMetric {
    pub fn new(metric: Metric, today: Day, forecast: Forecast) -> ResolvedMetric {
        let field = match metric.aggregate {
            Aggregate::Sum(i) | Aggregate::Avg(i) | Aggregate::Min(i) | Aggregate::Max(i) => metric.kind.numbers().get(i).copied(),
            _ => None,
        };
        let money = field.is_some_and(|f| metric.kind.is_money(f));
        ResolvedMetric {
            metric,
            range: metric.window.range(today),
            previous: if metric.growth { metric.window.previous(today) } else { None },
            today,
            scale: if money { 0.01 } else { 1.0 },
            revenue_only: metric.kind == crate::metrics::EventKind::Orders,
            forecast: if matches!(metric.aggregate, Aggregate::Predicted(_)) { forecast } else { Forecast::default() },
        }
    }

    /// The metric's value for the customer at `p`.
    pub fn value(&self, book: &EventBook, p: u32) -> f64 {
        self.value_of(&book.events(p))
    }

    /// The metric's value over one customer's events.
    pub fn value_of(&self, events: &EventSlice<'_>) -> f64 {
        if events.is_empty() {
            return self.empty_value();
        }
        let now = self.aggregate(events, self.range);
        if !self.metric.growth {
            return now;
        }
        let Some(prev_range) = self.previous else { return f64::NAN };
        let before = self.aggregate(events, prev_range);
        if before.is_nan() || now.is_nan() || before == 0.0 {
            f64::NAN
        } else {
            (now - before) / before.abs()
        }
    }

    /// The value of a customer without events of the kind.
    fn empty_value(&self) -> f64 {
        if self.metric.growth {
            return f64::NAN;
        }
        match self.metric.aggregate {
            Aggregate::Count | Aggregate::Sum(_) | Aggregate::Distinct(_) => 0.0,
            _ => f64::NAN,
        }
    }

    fn counts(&self, s: &EventSlice<'_>, j: usize) -> bool {
        !self.revenue_only || s.flag[j] & REVENUE != 0
    }

    fn aggregate(&self, s: &EventSlice<'_>, range: DayRange) -> f64 {
        let span = s.span(range);
        match self.metric.aggregate {
            Aggregate::Count => {
                if self.revenue_only {
                    span.filter(|&j| s.flag[j] & REVENUE != 0).count() as f64
                } else {
                    span.len() as f64
                }
            }
            Aggregate::Sum(i) | Aggregate::Avg(i) | Aggregate::Min(i) | Aggregate::Max(i) => {
                let col = s.nums[i.min(s.nums.len() - 1)];
                let (mut n, mut sum, mut lo, mut hi) = (0u64, 0i64, i64::MAX, i64::MIN);
                for j in span {
                    let v = col.get(j);
                    if v == NO_NUM || !self.counts(s, j) {
                        continue;
                    }
                    n += 1;
                    sum = sum.saturating_add(v);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                let x = match self.metric.aggregate {
                    Aggregate::Sum(_) => sum as f64,
                    _ if n == 0 => return f64::NAN,
                    Aggregate::Avg(_) => sum as f64 / n as f64,
                    Aggregate::Min(_) => lo as f64,
                    _ => hi as f64,
                };
                x * self.scale
            }
            Aggregate::Distinct(field) => {
                let mut seen: Vec<i64> = Vec::new();
                for j in span {
                    if !self.counts(s, j) {
                        continue;
                    }
                    let v = match field {
                        EventField::Cat(c) => i64::from(s.cats[c.min(s.cats.len() - 1)].get(j)),
                        EventField::Num(c) => s.nums[c.min(s.nums.len() - 1)].get(j),
                    };
                    let missing = match field {
                        EventField::Cat(_) => v == 0,
                        EventField::Num(_) => v == NO_NUM,
                    };
                    if !missing && !seen.contains(&v) {
                        seen.push(v);
                    }
                }
                seen.len() as f64
            }
            Aggregate::Predicted(prediction) => self.forecast.value(prediction, s, self.today),
            Aggregate::DaysSince(end) => {
                let span = s.span(range);
                let mut days = span.filter(|&j| self.counts(s, j)).map(|j| s.day.get(j));
                let day = match end {
                    End::First => days.next(),
                    End::Last => days.next_back(),
                };
                day.map_or(f64::NAN, |d| f64::from(self.today) - f64::from(d))
            }
        }
    }
}

/// Computes several metrics of the same event kind for every position of `book` in one pass
/// over the book (each customer's events are read once for all of them), on up to `threads`
/// threads. `outs[i]` receives `metrics[i]`.
pub fn metric_columns(metrics: &[ResolvedMetric], book: &EventBook, outs: &mut [Vec<f64>], threads: usize) {
    let n = book.customers();
    for out in outs.iter_mut() {
        out.clear();
        out.resize(n, 0.0);
    }
    let threads = if n < 50_000 { 1 } else { threads.clamp(1, 16) };
    let chunk = n.div_ceil(threads).max(1);
    let mut parts: Vec<Vec<&mut [f64]>> = (0..threads).map(|_| Vec::new()).collect();
    for out in outs.iter_mut() {
        for (k, piece) in out.chunks_mut(chunk).enumerate() {
            parts[k].push(piece);
        }
    }
    let fill = |k: usize, mut cols: Vec<&mut [f64]>| {
        let base = k * chunk;
        let len = cols.first().map_or(0, |c| c.len());
        for i in 0..len {
            let events = book.events((base + i) as u32);
            for (m, col) in metrics.iter().zip(cols.iter_mut()) {
                col[i] = m.value_of(&events);
            }
        }
    };
    if threads == 1 {
        for (k, cols) in parts.into_iter().enumerate() {
            fill(k, cols);
        }
        return;
    }
    std::thread::scope(|s| {
        for (k, cols) in parts.into_iter().enumerate() {
            let fill = &fill;
            s.spawn(move || fill(k, cols));
        }
    });
}
