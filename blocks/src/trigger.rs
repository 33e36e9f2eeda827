//! Triggers: what starts a case besides a person submitting the intake form, or reacts to one.
//!
//! A [`Schedule`] runs on the working calendar — every day, week or month, on a weekday, a day
//! of the month or its first or last working day, at a time — and opens a case, or one case per
//! row of a register that matches a condition (a monthly visit to every elderly resident living
//! alone). The runtime keeps each schedule's next run durably and runs it exactly once.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// What starts a case (besides a form submission) or reacts to one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// A case was created.
    RecordCreated,
    /// A field of the record changed.
    FieldChanged { field: String },
    /// On a schedule: opens a case, or one per register row that matches.
    Schedule(Schedule),
    /// A case arrives through an intake channel (hotline, patrol, social media, API).
    Intake { channel: String },
}

/// A schedule: when it runs and which cases it opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Stable id within the app (lower case, digits, `_`, `-`), e.g. `monthly-visit`: the
    /// runtime keeps the schedule's next run under it across versions.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    /// `day`, `week` or `month`.
    pub every: Every,
    /// Which day: for `week` a weekday (`mon` … `sun`); for `month` a day `1`–`28`,
    /// `first_working_day` or `last_working_day`; for `day`, `working` (working days only) or
    /// nothing (every day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// The time of day, `HH:MM` in the deployment's time zone (default `09:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Open one case per row of a register of this app that matches `where`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<ForEach>,
    /// Record field → rhai expression over `row` (the register row's values, with its `key`)
    /// and `today` (`YYYY-MM-DD`): the new case's answers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub record: BTreeMap<String, String>,
    /// After downtime that missed runs: `once` runs the latest missed run once (default);
    /// `skip` runs nothing until the next time comes.
    #[serde(default)]
    pub catch_up: CatchUp,
    /// A run that would open more cases than this waits for someone to confirm it on the
    /// app's schedules (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_over: Option<u32>,
}

/// How often a schedule runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Day,
    Week,
    Month,
}

/// The rows a schedule opens a case for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// The id of one of the app's registers.
    pub register: String,
    /// rhai condition over `row`, e.g. `row.lives_alone == true`; every row when omitted.
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// What a schedule does about runs missed while the service was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    #[default]
    Once,
    Skip,
}

/// The default for [`Schedule::confirm_over`].
pub const CONFIRM_OVER: u32 = 1000;

impl Schedule {
    /// The time of day as (hour, minute), when `at` is one.
    pub fn time(&self) -> Option<(u32, u32)> {
        let at = self.at.as_deref().unwrap_or("09:00");
        let (h, m) = at.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && at.len() == 5).then_some((h, m))
    }

    /// The expressions in the order they are compiled: `for_each.where` (when given), then
    /// `record` in key order.
    pub fn expressions(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.for_each.iter().filter_map(|f| f.when.as_deref()).collect();
        out.extend(self.record.values().map(String::as_str));
        out
    }
}

/// The weekday a schedule's `on` names, Monday = 0.
pub fn weekday(on: &str) -> Option<u32> {
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().position(|d| *d == on).map(|i| i as u32)
}
