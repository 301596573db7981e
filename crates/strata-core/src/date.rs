//! Dates and times as Chinese spreadsheets write them, and Excel's serial dates.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::{text::clean, ValueError};

/// Parses 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105, and Excel serial numbers
/// (e.g. `45296` or `45296.0`, as exported when a date cell is read as a number).
pub fn parse_date(raw: &str) -> Result<NaiveDate, ValueError> {
    let s = clean(raw);
    if s.is_empty() {
        return Err(ValueError::new("empty_date", "date is empty").zh("日期为空"));
    }
    // A time part after the date is accepted and ignored ("2024-01-05 00:00:00").
    let date_part = s.split([' ', 'T']).next().unwrap_or(&s);
    if let Some(d) = parse_ymd(date_part) {
        return Ok(d);
    }
    if let Ok(serial) = date_part.parse::<f64>() {
        if (1.0..=2_958_465.0).contains(&serial) && date_part.len() != 8 {
            return excel_serial_date(serial);
        }
    }
    Err(ValueError::new("invalid_date", format!("`{s}` is not a date; write it as 2024-01-05, 2024/1/5 or 2024年1月5日"))
        .zh(format!("`{s}` 不是日期；请写成 2024-01-05、2024/1/5 或 2024年1月5日")))
}

fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let s = s.trim_end_matches('日').trim_end_matches('号');
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y = s[0..4].parse().ok()?;
        let m = s[4..6].parse().ok()?;
        let d = s[6..8].parse().ok()?;
        return plausible(NaiveDate::from_ymd_opt(y, m, d)?);
    }
    let mut split = s.split(['-', '/', '.', '年', '月']);
    let parts = [split.next()?, split.next()?, split.next()?];
    if split.next().is_some() || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return None;
    }
    let nums: [u32; 3] = [parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?];
    let (y, m, d) = if parts[0].len() == 4 {
        (nums[0] as i32, nums[1], nums[2])
    } else if parts[2].len() == 4 && nums[0] > 12 {
        // 15/1/2024 (day first) is only accepted when unambiguous
        (nums[2] as i32, nums[1], nums[0])
    } else {
        return None;
    };
    plausible(NaiveDate::from_ymd_opt(y, m, d)?)
}

fn plausible(d: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    (1900..=2200).contains(&d.year()).then_some(d)
}

/// Excel's 1900 date system: serial 1 = 1900-01-01, with Excel's phantom 1900-02-29 (serial 60).
pub fn excel_serial_date(serial: f64) -> Result<NaiveDate, ValueError> {
    let days = serial.floor() as i64;
    let Some(base) = EXCEL_EPOCH else { return Err(ValueError::new("invalid_date", "no Excel epoch").zh("无法换算 Excel 日期")) };
    // Serials before 61 are off by one because of the phantom leap day; nobody has such data.
    if days < 61 {
        return Err(ValueError::new("invalid_date", format!("Excel date serial {serial} is before 1900-03-01"))
            .zh(format!("Excel 日期序号 {serial} 早于 1900-03-01")));
    }
    base.checked_add_signed(chrono::Duration::days(days)).ok_or_else(|| {
        ValueError::new("invalid_date", format!("Excel date serial {serial} is out of range"))
            .zh(format!("Excel 日期序号 {serial} 超出范围"))
    })
}

/// Parses a point in time. A naive time ("2024-01-05 14:30", "2024/1/5 9:05:00") is read in
/// `offset` (the business's time zone); RFC 3339 with an offset is taken as written; a bare date
/// means midnight.
pub fn parse_datetime(raw: &str, offset: FixedOffset) -> Result<DateTime<Utc>, ValueError> {
    let s = clean(raw);
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Ok(t.with_timezone(&Utc));
    }
    let (date_s, time_s) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s.as_ref(), None),
    };
    let date = parse_date(date_s)?;
    let time = match time_s {
        None | Some("") => NaiveTime::MIN,
        Some(t) => parse_time(t).ok_or_else(|| {
            ValueError::new("invalid_time", format!("`{t}` is not a time of day; write it as 14:30 or 14:30:05"))
                .zh(format!("`{t}` 不是时间；请写成 14:30 或 14:30:05"))
        })?,
    };
    let naive = NaiveDateTime::new(date, time);
    offset.from_local_datetime(&naive).single().map(|t| t.with_timezone(&Utc)).ok_or_else(|| {
        ValueError::new("invalid_time", format!("`{s}` does not exist in the time zone")).zh(format!("`{s}` 在该时区不存在"))
    })
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    let t = t.replace(['时', '点'], ":").replace('分', ":").replace('秒', "");
    let t = t.trim_end_matches(':');
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S%.f"))
        .ok()
}

/// Day zero of Excel's 1900 date system (as Excel counts, with its phantom leap day).
const EXCEL_EPOCH: Option<NaiveDate> = NaiveDate::from_ymd_opt(1899, 12, 30);

/// China Standard Time (UTC+8), checked at compile time.
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

/// China Standard Time, the default business time zone.
pub fn china_offset() -> FixedOffset {
    CHINA
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parses_chinese_sheet_dates() {
        let cases = [
            ("2024-01-05", d(2024, 1, 5)),
            ("2024/1/5", d(2024, 1, 5)),
            ("2024.1.5", d(2024, 1, 5)),
            ("2024年1月5日", d(2024, 1, 5)),
            ("2024年01月05号", d(2024, 1, 5)),
            ("２０２４－０１－０５", d(2024, 1, 5)),
            ("20240105", d(2024, 1, 5)),
            ("2024-01-05 13:45:00", d(2024, 1, 5)),
            ("45296", d(2024, 1, 5)),
            ("45296.5", d(2024, 1, 5)),
            ("15/1/2024", d(2024, 1, 15)),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_date(raw), Ok(want), "input {raw:?}");
        }
    }

    #[test]
    fn rejects_non_dates() {
        for raw in ["", "tomorrow", "2024-13-01", "2024-02-30", "1/2/2024", "12", "3000-01-01"] {
            assert!(parse_date(raw).is_err(), "input {raw:?} should be rejected");
        }
    }

    #[test]
    fn parses_times_in_business_zone() {
        let t = parse_datetime("2024/1/5 9:05", china_offset()).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-05T01:05:00+00:00");
        let t = parse_datetime("2024-01-05T09:05:00Z", china_offset()).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-05T09:05:00+00:00");
        let t = parse_datetime("2024年1月5日 14时30分", china_offset()).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-05T06:30:00+00:00");
        assert!(parse_datetime("2024-01-05 25:00", china_offset()).is_err());
    }
}
