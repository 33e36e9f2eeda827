//! One year of holiday data, as shipped under `engine/calendar/` (embedded at build time) or
//! loaded by an administrator: the days off, the make-up working days, and the checks a year
//! file must pass before the [`Calendar`](super::Calendar) uses it.

use std::collections::HashSet;

use baida_blocks::Text;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{CalendarError, Result, is_weekend};

/// The shipped data: (file, JSON), current and next year.
pub(super) const SHIPPED: [(&str, &str); 2] = [
    ("engine/calendar/cn-2026.json", include_str!("../../calendar/cn-2026.json")),
    ("engine/calendar/cn-2027.json", include_str!("../../calendar/cn-2027.json")),
];

/// One year of holiday data: the shape of `engine/calendar/cn-YYYY.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    pub year: i32,
    /// e.g. `CN`.
    pub region: String,
    pub status: Status,
    /// Where the dates come from (the State Council notice, or how they were computed).
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every day off, weekends inside a holiday period included.
    pub holidays: Vec<NamedDay>,
    /// Weekend days that are working days.
    pub workdays: Vec<NamedDay>,
}

/// Whether a year's data is the State Council's published arrangement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Official,
    /// Statutory days only, make-up working days not yet published.
    Provisional,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedDay {
    pub date: NaiveDate,
    pub name: Text,
}

impl CalendarYear {
    /// Reads and checks one year file; `file` names it in errors.
    pub fn parse(file: &str, json: &str) -> Result<CalendarYear> {
        let year: CalendarYear =
            serde_json::from_str(json).map_err(|source| CalendarError::Json { file: file.to_owned(), source })?;
        year.check(file)?;
        Ok(year)
    }

    /// Every date in the year, listed once, no holiday also a working day, make-up working
    /// days on weekends.
    pub fn check(&self, file: &str) -> Result<()> {
        let file = || file.to_owned();
        let mut seen = HashSet::new();
        for (day, is_workday) in self.holidays.iter().map(|d| (d, false)).chain(self.workdays.iter().map(|d| (d, true)))
        {
            let date = day.date;
            if date.year() != self.year {
                return Err(CalendarError::OutsideYear { file: file(), date, year: self.year });
            }
            if !seen.insert(date) {
                return Err(if is_workday && self.holidays.iter().any(|h| h.date == date) {
                    CalendarError::HolidayAndWorkday { file: file(), date }
                } else {
                    CalendarError::Duplicate { file: file(), date }
                });
            }
            if is_workday && !is_weekend(date) {
                return Err(CalendarError::WorkdayNotWeekend { file: file(), date, weekday: date.weekday() });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::calendar::{Calendar, CalendarConfig};

    fn shipped() -> Vec<CalendarYear> {
        SHIPPED.iter().map(|(file, json)| CalendarYear::parse(file, json).unwrap()).collect()
    }

    #[test]
    fn shipped_files_are_consistent() {
        for year in shipped() {
            assert_eq!(year.region, "CN");
            let holidays: HashSet<_> = year.holidays.iter().map(|d| d.date).collect();
            assert_eq!(holidays.len(), year.holidays.len());
            for d in year.holidays.iter().chain(&year.workdays) {
                assert_eq!(d.date.year(), year.year, "{}", d.date);
            }
            for d in &year.workdays {
                assert!(is_weekend(d.date), "{} is a make-up working day on a weekday", d.date);
                assert!(!holidays.contains(&d.date), "{} is both", d.date);
            }
        }
    }

    fn count_by_name(days: &[NamedDay]) -> BTreeMap<&str, usize> {
        days.iter().fold(BTreeMap::new(), |mut counts, d| {
            *counts.entry(d.name.zh()).or_default() += 1;
            counts
        })
    }

    #[test]
    fn the_2026_file_matches_the_state_council_notice() {
        let y2026 = shipped().into_iter().find(|y| y.year == 2026).unwrap();
        assert_eq!(y2026.status, Status::Official);
        let expected =
            [("元旦", 3), ("春节", 9), ("清明节", 3), ("劳动节", 5), ("端午节", 3), ("中秋节", 3), ("国庆节", 7)];
        assert_eq!(count_by_name(&y2026.holidays), BTreeMap::from(expected));
        let workdays: Vec<_> = y2026.workdays.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(workdays, ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]);
    }

    #[test]
    fn bad_files_name_the_file_and_the_date() {
        let file = |holidays: &str, workdays: &str| {
            format!(
                r#"{{"year": 2027, "region": "CN", "status": "official", "source": "test", "holidays": [{holidays}], "workdays": [{workdays}]}}"#
            )
        };
        let h = |date: &str| format!(r#"{{"date": "{date}", "name": "假"}}"#);
        let error = |json: String| CalendarYear::parse("cn-2027.json", &json).unwrap_err().to_string();
        assert_eq!(error(file(&h("2028-01-01"), "")), "cn-2027.json: 2028-01-01 is not in the year 2027");
        assert_eq!(
            error(file(&h("2027-02-06"), &h("2027-02-06"))),
            "cn-2027.json: 2027-02-06 is listed both as a holiday and as a make-up working day"
        );
        assert_eq!(
            error(file(&format!("{},{}", h("2027-10-01"), h("2027-10-01")), "")),
            "cn-2027.json: 2027-10-01 is listed twice"
        );
        assert_eq!(
            error(file("", &h("2027-02-10"))),
            "cn-2027.json: 2027-02-10 is listed as a make-up working day but is a Wed, not a weekend day"
        );
        assert!(error(file(&h("2027-02-30"), "")).starts_with("cn-2027.json: not a calendar year file"));
        assert!(error(file("", "").replace("\"year\"", "\"yaer\"")).contains("yaer"));
    }

    #[test]
    fn the_2027_file_is_provisional_with_the_thirteen_statutory_days() {
        let cal = Calendar::new(&CalendarConfig::default()).unwrap();
        let y2027 = cal.year(2027).unwrap();
        assert_eq!(y2027.status, Status::Provisional);
        assert!(y2027.note.as_deref().is_some_and(|n| n.contains("调休")));
        assert!(y2027.workdays.is_empty());
        let expected =
            [("元旦", 1), ("春节", 4), ("清明节", 1), ("劳动节", 2), ("端午节", 1), ("中秋节", 1), ("国庆节", 3)];
        assert_eq!(count_by_name(&y2027.holidays), BTreeMap::from(expected));
        // 除夕 2027-02-05 is a Friday.
        assert!(!cal.is_working_day("2027-02-05".parse().unwrap()));
        assert!(cal.is_working_day("2027-02-04".parse().unwrap()));
    }
}
