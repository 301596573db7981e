//! Purchase histories for the buy-till-you-die models: each customer's repeat count `x`, time of
//! the last purchase `t_x` and age `T` at the calibration end, derived from the order book, and the
//! same data grouped into weighted unique rows for fitting.

use crate::metrics::{Day, EventBook, EventSlice, NO_NUM};

use super::PredictError;

/// The time unit the models are fitted in. Internally every duration is a whole number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Days,
    Weeks,
}

impl TimeUnit {
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
        }
    }

    pub fn parse(text: &str) -> Option<TimeUnit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "days" | "day" | "d" | "天" => Some(TimeUnit::Days),
            "weeks" | "week" | "w" | "周" => Some(TimeUnit::Weeks),
            _ => None,
        }
    }
}

/// One customer's history at a calibration end: purchases on the same day count as one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct History {
    /// Repeat purchases (distinct purchase days after the first).
    pub repeat: u32,
    /// Days from the first to the last purchase (`t_x`).
    pub last_days: u32,
    /// Days from the first purchase to the calibration end (`T`).
    pub age_days: u32,
    /// Mean value of the repeat purchases in currency units (0 when `repeat` is 0).
    pub repeat_value: f64,
}

impl History {
    /// The history of one customer's orders at `end`; `None` when they had not bought by then.
    /// Only revenue orders count (not cancelled or refunded); amounts are in cents.
    pub fn of_orders(orders: &EventSlice<'_>, end: Day) -> Option<History> {
        let mut first: Option<Day> = None;
        let mut last = 0;
        let mut days = 0u32;
        let mut first_cents = 0i64;
        let mut total_cents = 0i64;
        for j in 0..orders.len() {
            let day = orders.day.get(j);
            if day > end {
                break;
            }
            if orders.flag[j] == 0 {
                continue;
            }
            let cents = match orders.nums[0].get(j) {
                NO_NUM => 0,
                c => c,
            };
            total_cents += cents;
            match first {
                None => {
                    first = Some(day);
                    first_cents = cents;
                    last = day;
                    days = 1;
                }
                Some(f) if day == f => first_cents += cents,
                Some(_) => {
                    if day != last {
                        days += 1;
                        last = day;
                    }
                }
            }
        }
        let first = first?;
        let repeat = days - 1;
        let repeat_value = if repeat == 0 { 0.0 } else { (total_cents - first_cents) as f64 / 100.0 / f64::from(repeat) };
        Some(History { repeat, last_days: (last - first) as u32, age_days: (end - first) as u32, repeat_value })
    }
}

/// Every customer's history at one calibration end, by engine position.
#[derive(Debug, Clone)]
pub struct Histories {
    pub end: Day,
    /// `None` for customers without a purchase by `end`.
    pub rows: Vec<Option<History>>,
}

impl Histories {
    /// Histories of all customers in an order book.
    pub fn of_book(orders: &EventBook, end: Day) -> Histories {
        let rows = (0..orders.customers() as u32).map(|p| History::of_orders(&orders.events(p), end)).collect();
        Histories { end, rows }
    }

    /// Customers who had bought by the calibration end.
    pub fn buyers(&self) -> impl Iterator<Item = &History> {
        self.rows.iter().flatten()
    }

    /// The grouped rows the purchase-count model is fitted on.
    pub fn grouped(&self, unit: TimeUnit) -> Result<Grouped, PredictError> {
        Grouped::new(self.buyers().map(|h| (h.repeat, h.last_days, h.age_days)), unit)
    }
}

/// (x, t_x, T) rows with a count each: customers with identical histories are one row.
#[derive(Debug, Clone)]
pub struct Grouped {
    pub unit: TimeUnit,
    /// Customers in all rows.
    pub customers: u64,
    /// Customers with at least one repeat purchase.
    pub repeat_customers: u64,
    /// The largest `T` in days (tables of per-day terms are this long).
    pub max_days: u32,
    /// Sorted by `repeat`, then `last_days`, then `age_days`.
    pub rows: Vec<GroupedRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupedRow {
    pub repeat: u32,
    pub last_days: u32,
    pub age_days: u32,
    pub count: u32,
}

const DAY_BITS: u32 = 21;
const DAY_MAX: u32 = (1 << DAY_BITS) - 1;

impl Grouped {
    /// Groups histories given as (x, t_x days, T days).
    pub fn new(histories: impl Iterator<Item = (u32, u32, u32)>, unit: TimeUnit) -> Result<Grouped, PredictError> {
        let mut keys: Vec<u64> = Vec::new();
        for (x, last, age) in histories {
            if last > age || age > DAY_MAX || x >= 1 << 22 {
                return Err(PredictError::BadHistory { repeat: x, last_days: last, age_days: age });
            }
            keys.push((u64::from(x) << (2 * DAY_BITS)) | (u64::from(last) << DAY_BITS) | u64::from(age));
        }
        keys.sort_unstable();
        let mut rows: Vec<GroupedRow> = Vec::new();
        let (mut customers, mut repeat_customers, mut max_days) = (0u64, 0u64, 0u32);
        for key in keys {
            let row = GroupedRow {
                repeat: (key >> (2 * DAY_BITS)) as u32,
                last_days: ((key >> DAY_BITS) as u32) & DAY_MAX,
                age_days: (key as u32) & DAY_MAX,
                count: 1,
            };
            customers += 1;
            repeat_customers += u64::from(row.repeat > 0);
            max_days = max_days.max(row.age_days);
            match rows.last_mut() {
                Some(prev) if (prev.repeat, prev.last_days, prev.age_days) == (row.repeat, row.last_days, row.age_days) => prev.count += 1,
                _ => rows.push(row),
            }
        }
        Ok(Grouped { unit, customers, repeat_customers, max_days, rows })
    }

    /// Every `step`-th row (with its count): a systematic sample for warm starts.
    pub fn sample(&self, step: usize) -> Grouped {
        let rows: Vec<GroupedRow> = self.rows.iter().step_by(step.max(1)).copied().collect();
        let customers = rows.iter().map(|r| u64::from(r.count)).sum();
        let repeat_customers = rows.iter().filter(|r| r.repeat > 0).map(|r| u64::from(r.count)).sum();
        Grouped { unit: self.unit, customers, repeat_customers, max_days: self.max_days, rows }
    }

    /// The largest repeat count.
    pub fn max_repeat(&self) -> u32 {
        self.rows.last().map_or(0, |r| r.repeat)
    }
}
