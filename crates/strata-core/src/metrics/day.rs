//! Days as integers: the engine's time unit (days since 1970-01-01 in the business time zone).

use chrono::NaiveDate;

/// Days since 1970-01-01.
pub type Day = i32;

const UNIX_EPOCH_CE: i32 = 719_163;

/// The day number of a calendar date.
pub fn day_of(date: NaiveDate) -> Day {
    use chrono::Datelike;
    date.num_days_from_ce() - UNIX_EPOCH_CE
}

/// The calendar date of a day number (clamped to chrono's range, which no real data reaches).
pub fn date_of(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day.saturating_add(UNIX_EPOCH_CE)).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        for (date, day) in [("1970-01-01", 0), ("2025-01-01", 20089), ("1969-12-31", -1), ("2024-02-29", 19782)] {
            let d: NaiveDate = date.parse().unwrap();
            assert_eq!(day_of(d), day, "{date}");
            assert_eq!(date_of(day), d);
        }
    }
}
