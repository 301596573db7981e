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

/// The day number of year-month-day, or None when that is no date (month 13, 30 February).
/// The same as `day_of` on the date, without building one: readers call it per event row.
pub fn day_of_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || !(-100_000..=100_000).contains(&year) {
        return None;
    }
    // Days from civil (H. Hinnant): years start in March so the leap day is the last one.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = ((153 * ((month + 9) % 12) + 2) / 5 + day - 1) as i32;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
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

    #[test]
    fn day_numbers_from_parts_agree_with_chrono() {
        use chrono::Datelike;
        let mut d = NaiveDate::from_ymd_opt(1599, 1, 1).unwrap();
        while d.year() < 2450 {
            assert_eq!(day_of_ymd(d.year(), d.month(), d.day()), Some(day_of(d)), "{d}");
            d = d.succ_opt().unwrap();
        }
        for (y, m, day) in [(2023, 2, 29), (1900, 2, 29), (2024, 13, 1), (2024, 0, 1), (2024, 4, 31), (2024, 1, 0), (i32::MAX, 1, 1)] {
            assert_eq!(day_of_ymd(y, m, day), None, "{y}-{m}-{day}");
        }
        assert_eq!(day_of_ymd(2000, 2, 29), Some(11_016));
    }
}
