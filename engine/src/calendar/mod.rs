//! The working-time calendar that SLA clocks run on ("close within 5 working days", "reply
//! within 24 working hours"): which days are working days, the working hours of those days,
//! and arithmetic over them.
//!
//! A working day is Monday to Friday unless it is a public holiday (法定节假日), plus the
//! weekend days the State Council turns into make-up working days (调休上班). The holiday data
//! is shipped as one JSON file per year under `engine/calendar/` (embedded at build time and
//! checked by `year`), for the current and the next year; a `provisional` year was written
//! before the State Council published its arrangement and lacks the make-up working days. An
//! administrator loads a corrected file of the same shape with [`Calendar::with_overrides`];
//! it replaces that year. A year with no data is Monday to Friday.
//!
//! Every computation walks working days and their periods, never minute by minute; where no
//! holiday data applies, whole weeks are taken at once, so even `4294967295h` costs a few
//! thousand steps. A result past what chrono can represent saturates at
//! [`DateTime::<Utc>::MAX_UTC`] ("never").
//!
//! Kept whole (over 500 lines): the arithmetic of working time and its tests read as one
//! argument; the year files' checks are already apart in [`year`].

use std::collections::{BTreeMap, HashMap};

use baida_blocks::step::{Calendar as SlaCalendar, Sla, parse_duration};
use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

mod year;

use year::SHIPPED;
pub use year::{CalendarYear, NamedDay, Status};

/// What can be wrong with calendar data or settings.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("{file}: not a calendar year file: {source}")]
    Json { file: String, source: serde_json::Error },
    #[error("{file}: {date} is not in the year {year}")]
    OutsideYear { file: String, date: NaiveDate, year: i32 },
    #[error("{file}: {date} is listed twice")]
    Duplicate { file: String, date: NaiveDate },
    #[error("{file}: {date} is listed both as a holiday and as a make-up working day")]
    HolidayAndWorkday { file: String, date: NaiveDate },
    #[error("{file}: {date} is listed as a make-up working day but is a {weekday}, not a weekend day")]
    WorkdayNotWeekend { file: String, date: NaiveDate, weekday: Weekday },
    #[error("working hours {start}–{end}: {problem}")]
    WorkingHours { start: NaiveTime, end: NaiveTime, problem: &'static str },
    #[error("`{0}` is not a duration such as 30m, 24h, 3d or 5wd")]
    Duration(String),
}

pub type Result<T, E = CalendarError> = std::result::Result<T, E>;

/// Where working time is counted: the deployment's time zone and its daily working hours.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarConfig {
    pub timezone: Tz,
    /// Periods of a working day, in order, e.g. 09:00–12:00 and 13:30–18:00.
    pub hours: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        CalendarConfig { timezone: chrono_tz::Asia::Shanghai, hours: vec![(t(9, 0), t(12, 0)), (t(13, 30), t(18, 0))] }
    }
}

/// Units of the durations in app definitions (`30m`, `24h`, `3d`, `5wd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Minutes,
    Hours,
    Days,
    WorkingDays,
}

impl Unit {
    /// `m`, `h`, `d` or `wd`.
    pub fn parse(unit: &str) -> Option<Unit> {
        Some(match unit {
            "m" => Unit::Minutes,
            "h" => Unit::Hours,
            "d" => Unit::Days,
            "wd" => Unit::WorkingDays,
            _ => return None,
        })
    }
}

/// Working days and hours in one time zone, with the holiday data of the years it knows.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: Tz,
    hours: Vec<(NaiveTime, NaiveTime)>,
    years: BTreeMap<i32, CalendarYear>,
    /// Listed days: `true` for a make-up working day, `false` for a holiday.
    days: HashMap<NaiveDate, bool>,
    /// Working time in five plain working days.
    week: Duration,
}

const NEVER: DateTime<Utc> = DateTime::<Utc>::MAX_UTC;

impl Calendar {
    /// The shipped holiday data with `config`'s time zone and hours.
    pub fn new(config: &CalendarConfig) -> Result<Calendar> {
        let mut previous = NaiveTime::MIN;
        if config.hours.is_empty() {
            return Err(CalendarError::WorkingHours { start: previous, end: previous, problem: "no working hours" });
        }
        for (i, &(start, end)) in config.hours.iter().enumerate() {
            let problem = if start >= end {
                "a period must end after it starts"
            } else if i > 0 && start < previous {
                "periods must be in order and must not overlap"
            } else {
                previous = end;
                continue;
            };
            return Err(CalendarError::WorkingHours { start, end, problem });
        }
        let day: Duration = config.hours.iter().map(|&(start, end)| end - start).sum();
        let mut calendar = Calendar {
            tz: config.timezone,
            hours: config.hours.clone(),
            years: BTreeMap::new(),
            days: HashMap::new(),
            week: day * 5,
        };
        for (file, json) in SHIPPED {
            let year = CalendarYear::parse(file, json)?;
            calendar.years.insert(year.year, year);
        }
        calendar.index();
        Ok(calendar)
    }

    /// Replaces the data of each year given (checked again; a year is named by its number).
    pub fn with_overrides(mut self, years: &[CalendarYear]) -> Result<Calendar> {
        for year in years {
            year.check(&format!("override for {}", year.year))?;
            self.years.insert(year.year, year.clone());
        }
        self.index();
        Ok(self)
    }

    fn index(&mut self) {
        self.days = (self.years.values())
            .flat_map(|y| y.holidays.iter().map(|d| (d.date, false)).chain(y.workdays.iter().map(|d| (d.date, true))))
            .collect();
    }

    /// The data for `year`, if any (its status says whether it is official).
    pub fn year(&self, year: i32) -> Option<&CalendarYear> {
        self.years.get(&year)
    }

    /// The time zone working hours are read in.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Monday to Friday unless a holiday; a weekend day only when a make-up working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.days.get(&date).copied().unwrap_or(!is_weekend(date))
    }

    /// `from` advanced by `duration` of working time. Landing on the end of a period gives
    /// that end (18:00), not the next start. A zero or negative duration gives `from`.
    pub fn add_working(&self, from: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        if duration <= Duration::zero() {
            return from;
        }
        let mut left = duration;
        let first = self.local_date(from);
        let mut date = first;
        loop {
            if date > first {
                let wanted = (left.num_milliseconds() - 1) / self.week.num_milliseconds();
                let Some((weeks, after)) = self.skip_weeks(date, wanted) else { return NEVER };
                left -= self.week * weeks;
                date = after;
            }
            for (start, end) in self.periods(date) {
                if end <= from {
                    continue;
                }
                let start = start.max(from);
                if left <= end - start {
                    return start.checked_add_signed(left).unwrap_or(NEVER);
                }
                left -= end - start;
            }
            let Some(next) = date.succ_opt() else { return NEVER };
            date = next;
        }
    }

    /// The same time of day `days` working days later, counted from `from` or, outside
    /// working hours, from the start of the next working period. Zero days gives `from`.
    pub fn add_working_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        if days == 0 {
            return from;
        }
        let start = self.next_working_instant(from);
        let Some(local) = self.local(start) else { return NEVER };
        let mut date = local.date();
        let mut left = days;
        while left > 0 {
            // Seven days clear of holiday data hold exactly five working days.
            let Some(next) = date.succ_opt() else { return NEVER };
            let Some((weeks, after)) = self.skip_weeks(next, i64::from(left - 1) / 5) else { return NEVER };
            if weeks > 0 {
                left -= 5 * weeks.unsigned_abs();
                date = after.pred_opt().unwrap_or(after);
                continue;
            }
            date = next;
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        self.to_utc(date.and_time(local.time()))
    }

    /// Working time between two instants; negative when `b` is before `a`.
    pub fn working_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b < a {
            return -self.working_between(b, a);
        }
        let (first, last) = (self.local_date(a), self.local_date(b));
        let mut total = Duration::zero();
        let mut date = first;
        while date <= last {
            if date > first {
                let Some((weeks, after)) = self.skip_weeks(date, (last - date).num_days() / 7) else { break };
                total += self.week * weeks;
                date = after;
            }
            for (start, end) in self.periods(date) {
                let (start, end) = (start.max(a), end.min(b));
                if end > start {
                    total += end - start;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    /// `from` plus `amount` natural time (`m`, `h`, `d`: same wall-clock time `amount` days
    /// later) or, for `wd`, working days.
    pub fn add(&self, from: DateTime<Utc>, amount: u32, unit: Unit) -> DateTime<Utc> {
        match unit {
            Unit::Minutes => from.checked_add_signed(Duration::minutes(amount.into())).unwrap_or(NEVER),
            Unit::Hours => from.checked_add_signed(Duration::hours(amount.into())).unwrap_or(NEVER),
            Unit::Days => match self.local(from).and_then(|t| t.checked_add_days(Days::new(amount.into()))) {
                Some(local) => self.to_utc(local),
                None => NEVER,
            },
            Unit::WorkingDays => self.add_working_days(from, amount),
        }
    }

    /// Like [`Calendar::add`], on the SLA's clock: on `working`, `m` and `h` are working time
    /// and `d` means working days.
    pub fn add_on(&self, clock: SlaCalendar, from: DateTime<Utc>, amount: u32, unit: Unit) -> DateTime<Utc> {
        match (clock, unit) {
            (SlaCalendar::Natural, _) | (_, Unit::WorkingDays) => self.add(from, amount, unit),
            (SlaCalendar::Working, Unit::Minutes) => self.add_working(from, Duration::minutes(amount.into())),
            (SlaCalendar::Working, Unit::Hours) => self.add_working(from, Duration::hours(amount.into())),
            (SlaCalendar::Working, Unit::Days) => self.add_working_days(from, amount),
        }
    }

    /// When an SLA such as `{"due": "24h", "calendar": "working"}` started at `from` is due.
    pub fn due(&self, sla: &Sla, from: DateTime<Utc>) -> Result<DateTime<Utc>> {
        let (amount, unit) = parse_duration(&sla.due)
            .and_then(|(amount, unit)| Some((amount, Unit::parse(unit)?)))
            .ok_or_else(|| CalendarError::Duration(sla.due.clone()))?;
        Ok(self.add_on(sla.calendar, from, amount, unit))
    }

    /// The first working instant at or after `from`.
    fn next_working_instant(&self, from: DateTime<Utc>) -> DateTime<Utc> {
        let mut date = self.local_date(from);
        loop {
            if let Some((start, _)) = self.periods(date).find(|&(_, end)| end > from) {
                return start.max(from);
            }
            let Some(next) = date.succ_opt() else { return NEVER };
            date = next;
        }
    }

    /// Up to `wanted` whole weeks from `date` that no year's data touches: how many, and the
    /// date after them; `None` past the last representable date.
    fn skip_weeks(&self, date: NaiveDate, wanted: i64) -> Option<(i32, NaiveDate)> {
        let next_data = if self.years.contains_key(&date.year()) {
            Some(date)
        } else {
            self.years.range(date.year() + 1..).next().and_then(|(&year, _)| NaiveDate::from_ymd_opt(year, 1, 1))
        };
        let clear = next_data.map_or(wanted, |next| wanted.min((next - date).num_days() / 7));
        let weeks = i32::try_from(clear.max(0)).ok()?;
        Some((weeks, date.checked_add_days(Days::new(7 * u64::from(weeks.unsigned_abs())))?))
    }

    /// The working periods of `date` as instants (none on a day off).
    fn periods(&self, date: NaiveDate) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let working = self.is_working_day(date);
        (self.hours.iter().filter(move |_| working))
            .map(move |&(start, end)| (self.to_utc(date.and_time(start)), self.to_utc(date.and_time(end))))
    }

    fn local(&self, t: DateTime<Utc>) -> Option<NaiveDateTime> {
        t.naive_utc().checked_add_offset(self.tz.offset_from_utc_datetime(&t.naive_utc()).fix())
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        self.local(t).map_or(if t.timestamp() > 0 { NaiveDate::MAX } else { NaiveDate::MIN }, |t| t.date())
    }

    /// A wall-clock time as an instant; one that a daylight-saving gap skips, as an instant beside the gap.
    fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => (local.checked_sub_offset(self.tz.offset_from_utc_datetime(&local).fix()))
                .map_or(NEVER, |utc| utc.and_utc()),
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn china() -> Calendar {
        Calendar::new(&CalendarConfig::default()).unwrap()
    }

    /// A wall-clock time in Shanghai, `2026-11-20 17:00`.
    fn at(s: &str) -> DateTime<Utc> {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Asia::Shanghai.from_local_datetime(&local).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn hours(h: i64, m: i64) -> Duration {
        Duration::hours(h) + Duration::minutes(m)
    }

    #[test]
    fn friday_evening_plus_two_working_hours_is_monday_morning() {
        let cal = china();
        assert_eq!(cal.add_working(at("2026-11-20 17:00"), hours(2, 0)), at("2026-11-23 10:00"));
        // 清明: Saturday 4 April to Monday 6 April 2026 are off.
        assert_eq!(cal.add_working(at("2026-04-03 17:00"), hours(2, 0)), at("2026-04-07 10:00"));
        // Through the lunch break, and ending exactly at closing time.
        assert_eq!(cal.add_working(at("2026-11-23 11:00"), hours(2, 0)), at("2026-11-23 14:30"));
        assert_eq!(cal.add_working(at("2026-11-23 16:00"), hours(2, 0)), at("2026-11-23 18:00"));
        // Started on a Saturday, the clock runs from Monday 09:00.
        assert_eq!(cal.add_working(at("2026-11-21 15:00"), Duration::minutes(30)), at("2026-11-23 09:30"));
    }

    #[test]
    fn five_working_days_across_national_day() {
        let cal = china();
        // 1–7 October off; Saturday 10 October is a make-up working day, Sunday 11 is not.
        assert_eq!(cal.add_working_days(at("2026-09-30 10:00"), 5), at("2026-10-13 10:00"));
        assert_eq!(cal.add_working_days(at("2026-09-30 10:00"), 3), at("2026-10-10 10:00"));
    }

    #[test]
    fn five_working_days_across_the_spring_festival() {
        let cal = china();
        // Saturday 14 February works, 15–23 February are off, Saturday 28 February works.
        assert_eq!(cal.add_working_days(at("2026-02-13 10:00"), 1), at("2026-02-14 10:00"));
        assert_eq!(cal.add_working_days(at("2026-02-13 10:00"), 5), at("2026-02-27 10:00"));
        assert_eq!(cal.add_working_days(at("2026-02-13 10:00"), 6), at("2026-02-28 10:00"));
        assert_eq!(cal.add_working_days(at("2026-02-13 10:00"), 7), at("2026-03-02 10:00"));
    }

    #[test]
    fn working_days_from_outside_working_hours_start_at_the_next_period() {
        let cal = china();
        // Saturday afternoon: counted from Monday 09:00.
        assert_eq!(cal.add_working_days(at("2026-11-21 15:00"), 1), at("2026-11-24 09:00"));
        // Lunch: counted from 13:30; after closing time: from the next morning.
        assert_eq!(cal.add_working_days(at("2026-11-23 12:30"), 2), at("2026-11-25 13:30"));
        assert_eq!(cal.add_working_days(at("2026-11-23 18:00"), 1), at("2026-11-25 09:00"));
        assert_eq!(cal.add_working_days(at("2026-11-21 15:00"), 0), at("2026-11-21 15:00"));
    }

    #[test]
    fn a_make_up_working_sunday_counts() {
        let cal = china();
        assert!(cal.is_working_day(day("2026-09-20")));
        assert!(cal.is_working_day(day("2026-01-04")));
        assert!(!cal.is_working_day(day("2026-09-27")), "中秋, a Sunday, is off");
        assert!(!cal.is_working_day(day("2026-10-05")), "National Day, a Monday, is off");
        assert!(!cal.is_working_day(day("2026-11-22")), "a plain Sunday");
        assert_eq!(cal.add_working(at("2026-09-19 12:00"), hours(1, 0)), at("2026-09-20 10:00"));
        assert_eq!(cal.working_between(at("2026-09-19 00:00"), at("2026-09-21 00:00")), hours(7, 30));
    }

    #[test]
    fn working_time_between_skips_nights_weekends_and_lunch() {
        let cal = china();
        // Friday 11:00–12:00 and 13:30–18:00, Monday 09:00–12:00 and 13:30–14:30.
        assert_eq!(cal.working_between(at("2026-11-20 11:00"), at("2026-11-23 14:30")), hours(9, 30));
        assert_eq!(cal.working_between(at("2026-11-23 12:10"), at("2026-11-23 13:20")), Duration::zero());
        assert_eq!(cal.working_between(at("2026-11-23 11:50"), at("2026-11-23 13:40")), Duration::minutes(20));
        assert_eq!(cal.working_between(at("2026-11-23 14:30"), at("2026-11-20 11:00")), -hours(9, 30));
        // The whole National Day week, Thursday to Wednesday: nothing.
        assert_eq!(cal.working_between(at("2026-10-01 00:00"), at("2026-10-08 00:00")), Duration::zero());
    }

    #[test]
    fn adding_working_time_then_measuring_it_gives_it_back() {
        let cal = china();
        let starts =
            ["2026-11-20 17:00", "2026-11-23 12:15", "2026-11-23 18:00", "2026-02-13 17:59", "2026-09-30 08:00"];
        let durations = [Duration::minutes(1), Duration::minutes(90), hours(7, 30), hours(37, 0), hours(200, 0)];
        for start in starts {
            for d in durations {
                let due = cal.add_working(at(start), d);
                assert_eq!(cal.working_between(at(start), due), d, "{start} + {d}");
            }
        }
    }

    /// Day by day, hour by hour: what the week skipping must agree with.
    fn add_working_slowly(cal: &Calendar, from: DateTime<Utc>, mut left: Duration) -> DateTime<Utc> {
        let mut date = cal.local_date(from);
        loop {
            for (start, end) in cal.periods(date) {
                let start = start.max(from);
                if end > start && left <= end - start {
                    return start + left;
                } else if end > start {
                    left -= end - start;
                }
            }
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn long_spans_beyond_the_data_agree_with_counting_day_by_day() {
        let cal = china();
        for (start, d) in [("2026-12-30 10:00", hours(1000, 10)), ("2031-03-04 09:00", hours(75, 0))] {
            let due = cal.add_working(at(start), d);
            assert_eq!(due, add_working_slowly(&cal, at(start), d), "{start} + {d}");
            assert_eq!(cal.working_between(at(start), due), d);
        }
        // 2030-01-01 is a Tuesday, and no data covers 2030: 261 weekdays later.
        assert_eq!(cal.add_working_days(at("2030-01-01 10:00"), 261), at("2031-01-01 10:00"));
        // Absurd amounts saturate instead of looping for ever.
        let now = at("2026-11-20 10:00");
        assert_eq!(cal.add(now, u32::MAX, Unit::Minutes), now + Duration::minutes(u32::MAX.into()));
        let far = cal.add_on(SlaCalendar::Working, now, u32::MAX, Unit::Minutes);
        assert!(far.year() > 30_000);
        assert_eq!(cal.working_between(now, far), Duration::minutes(u32::MAX.into()));
        assert_eq!(cal.add(now, u32::MAX, Unit::Hours), NEVER);
        assert_eq!(cal.add_on(SlaCalendar::Working, at("2026-11-20 10:00"), u32::MAX, Unit::Hours), NEVER);
        assert_eq!(cal.add_working_days(at("2026-11-20 10:00"), u32::MAX), NEVER);
        assert!(cal.working_between(at("2026-11-20 10:00"), NEVER) > Duration::days(365 * 10_000));
    }

    #[test]
    fn sla_durations_on_either_clock() {
        let cal = china();
        let sla = |due: &str, calendar| Sla { due: due.into(), calendar, ladder: vec![] };
        let friday = at("2026-11-20 17:00");
        assert_eq!(cal.due(&sla("30m", SlaCalendar::Natural), friday).unwrap(), at("2026-11-20 17:30"));
        assert_eq!(cal.due(&sla("24h", SlaCalendar::Natural), friday).unwrap(), at("2026-11-21 17:00"));
        assert_eq!(cal.due(&sla("3d", SlaCalendar::Natural), friday).unwrap(), at("2026-11-23 17:00"));
        assert_eq!(cal.due(&sla("5wd", SlaCalendar::Natural), friday).unwrap(), at("2026-11-27 17:00"));
        // 24 working hours: 1 h on Friday, 7.5 h each on Monday, Tuesday and Wednesday, 0.5 h on Thursday.
        assert_eq!(cal.due(&sla("24h", SlaCalendar::Working), friday).unwrap(), at("2026-11-26 09:30"));
        assert_eq!(cal.due(&sla("30m", SlaCalendar::Working), friday).unwrap(), at("2026-11-20 17:30"));
        assert_eq!(cal.due(&sla("90m", SlaCalendar::Working), friday).unwrap(), at("2026-11-23 09:30"));
        assert_eq!(cal.due(&sla("3d", SlaCalendar::Working), friday).unwrap(), at("2026-11-25 17:00"));
        assert!(matches!(cal.due(&sla("5 days", SlaCalendar::Working), friday), Err(CalendarError::Duration(_))));
    }

    #[test]
    fn an_override_replaces_its_year() {
        let corrected = r#"{"year": 2027, "region": "CN", "status": "official", "source": "test",
            "holidays": [{"date": "2027-05-01", "name": "劳动节"}, {"date": "2027-05-03", "name": "劳动节"}],
            "workdays": [{"date": "2027-04-25", "name": {"zh-CN": "劳动节调休上班", "en": "Make-up working day"}}]}"#;
        let cal = china().with_overrides(&[CalendarYear::parse("cn-2027.json", corrected).unwrap()]).unwrap();
        assert_eq!(cal.year(2027).unwrap().status, Status::Official);
        assert!(!cal.is_working_day(day("2027-05-03")), "a Monday off");
        assert!(cal.is_working_day(day("2027-04-25")), "a Sunday at work");
        assert!(cal.is_working_day(day("2027-02-05")), "the old file's holidays are gone");
        assert!(!cal.is_working_day(day("2026-10-01")), "other years are kept");
    }

    #[test]
    fn working_hours_and_time_zone_are_configurable() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let config = CalendarConfig { timezone: chrono_tz::UTC, hours: vec![(t(8), t(16))] };
        let cal = Calendar::new(&config).unwrap();
        let utc = |s| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap().and_utc();
        assert_eq!(cal.add_working(utc("2026-11-20 15:00"), hours(2, 0)), utc("2026-11-23 09:00"));
        assert_eq!(cal.working_between(utc("2026-11-21 00:00"), utc("2026-11-28 00:00")), hours(40, 0));
        let bad =
            |hours| Calendar::new(&CalendarConfig { hours, ..CalendarConfig::default() }).unwrap_err().to_string();
        assert_eq!(bad(vec![(t(12), t(9))]), "working hours 12:00:00–09:00:00: a period must end after it starts");
        assert!(bad(vec![(t(9), t(12)), (t(11), t(18))]).contains("must not overlap"));
        assert!(bad(vec![]).contains("no working hours"));
    }
}
