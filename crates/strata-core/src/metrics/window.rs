//! Time windows over events ("last 90d", "this quarter", "between A and B") resolved to
//! inclusive day ranges against an explicit today.

use chrono::{Datelike, NaiveDate};

use super::day::{date_of, day_of, Day};

/// A window of days, relative to today or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// Every event ever.
    All,
    /// The N days ending today (today included).
    LastDays(u32),
    ThisMonth,
    LastMonth,
    ThisQuarter,
    LastQuarter,
    ThisYear,
    LastYear,
    /// Fixed dates, both included.
    Between(Day, Day),
}

/// Inclusive range of days. `start > end` means empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub start: Day,
    pub end: Day,
}

impl DayRange {
    pub const ALL: DayRange = DayRange { start: Day::MIN, end: Day::MAX };

    pub fn contains(&self, day: Day) -> bool {
        self.start <= day && day <= self.end
    }

    pub fn len_days(&self) -> i64 {
        (i64::from(self.end) - i64::from(self.start) + 1).max(0)
    }
}

fn month_start(y: i32, m: u32) -> Day {
    NaiveDate::from_ymd_opt(y, m, 1).map(day_of).unwrap_or(0)
}

/// (year, month) shifted by `delta` months.
fn add_months(y: i32, m: u32, delta: i32) -> (i32, u32) {
    let total = y * 12 + (m as i32 - 1) + delta;
    (total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

/// The inclusive range of `months` calendar months starting at (y, m).
fn months_range(y: i32, m: u32, months: i32) -> DayRange {
    let (ny, nm) = add_months(y, m, months);
    DayRange { start: month_start(y, m), end: month_start(ny, nm) - 1 }
}

impl Window {
    /// The days this window covers on `today`. Calendar windows ("this month") cover the whole
    /// calendar period, so events dated later in the period (e.g. planned) also count.
    pub fn range(self, today: Day) -> DayRange {
        let d = date_of(today);
        let (y, m) = (d.year(), d.month());
        let q = (m - 1) / 3 * 3 + 1;
        match self {
            Window::All => DayRange::ALL,
            Window::LastDays(n) => DayRange { start: today.saturating_sub(n.min(i32::MAX as u32) as i32 - 1), end: today },
            Window::ThisMonth => months_range(y, m, 1),
            Window::LastMonth => {
                let (py, pm) = add_months(y, m, -1);
                months_range(py, pm, 1)
            }
            Window::ThisQuarter => months_range(y, q, 3),
            Window::LastQuarter => {
                let (py, pm) = add_months(y, q, -3);
                months_range(py, pm, 3)
            }
            Window::ThisYear => months_range(y, 1, 12),
            Window::LastYear => months_range(y - 1, 1, 12),
            Window::Between(a, b) => DayRange { start: a, end: b },
        }
    }

    /// The period just before this one, for growth: the previous calendar period, or the same
    /// number of days right before a rolling or fixed window. `All` has no previous period.
    pub fn previous(self, today: Day) -> Option<DayRange> {
        let d = date_of(today);
        let (y, m) = (d.year(), d.month());
        let q = (m - 1) / 3 * 3 + 1;
        Some(match self {
            Window::All => return None,
            Window::ThisMonth => Window::LastMonth.range(today),
            Window::LastMonth => {
                let (py, pm) = add_months(y, m, -2);
                months_range(py, pm, 1)
            }
            Window::ThisQuarter => Window::LastQuarter.range(today),
            Window::LastQuarter => {
                let (py, pm) = add_months(y, q, -6);
                months_range(py, pm, 3)
            }
            Window::ThisYear => Window::LastYear.range(today),
            Window::LastYear => months_range(y - 2, 1, 12),
            Window::LastDays(_) | Window::Between(..) => {
                let r = self.range(today);
                let len = r.len_days().min(i64::from(i32::MAX)) as i32;
                DayRange { start: r.start.saturating_sub(len), end: r.start.saturating_sub(1) }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        day_of(s.parse().unwrap())
    }

    fn range(a: &str, b: &str) -> DayRange {
        DayRange { start: day(a), end: day(b) }
    }

    #[test]
    fn windows_resolve_against_today() {
        let today = day("2024-05-15");
        let cases = [
            (Window::LastDays(1), range("2024-05-15", "2024-05-15")),
            (Window::LastDays(30), range("2024-04-16", "2024-05-15")),
            (Window::ThisMonth, range("2024-05-01", "2024-05-31")),
            (Window::LastMonth, range("2024-04-01", "2024-04-30")),
            (Window::ThisQuarter, range("2024-04-01", "2024-06-30")),
            (Window::LastQuarter, range("2024-01-01", "2024-03-31")),
            (Window::ThisYear, range("2024-01-01", "2024-12-31")),
            (Window::LastYear, range("2023-01-01", "2023-12-31")),
            (Window::Between(day("2024-01-01"), day("2024-01-31")), range("2024-01-01", "2024-01-31")),
        ];
        for (w, want) in cases {
            assert_eq!(w.range(today), want, "{w:?}");
        }
    }

    #[test]
    fn previous_periods_for_growth() {
        let today = day("2024-01-10");
        let cases = [
            (Window::ThisMonth, Some(range("2023-12-01", "2023-12-31"))),
            (Window::LastMonth, Some(range("2023-11-01", "2023-11-30"))),
            (Window::ThisQuarter, Some(range("2023-10-01", "2023-12-31"))),
            (Window::LastQuarter, Some(range("2023-07-01", "2023-09-30"))),
            (Window::ThisYear, Some(range("2023-01-01", "2023-12-31"))),
            (Window::LastYear, Some(range("2022-01-01", "2022-12-31"))),
            (Window::LastDays(10), Some(range("2023-12-22", "2023-12-31"))),
            (Window::All, None),
        ];
        for (w, want) in cases {
            assert_eq!(w.previous(today), want, "{w:?}");
        }
    }

    #[test]
    fn extreme_windows_do_not_overflow() {
        assert!(Window::LastDays(u32::MAX).range(0).contains(0));
        assert!(Window::LastDays(u32::MAX).previous(Day::MIN + 5).is_some());
        assert_eq!(DayRange { start: 5, end: 1 }.len_days(), 0);
    }
}
