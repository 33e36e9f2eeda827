//! Steps: block instances with their configuration, and the transitions between them.
//!
//! A step is `{"id": "...", "block": "<kind>", "config": {...}}`. The block kinds form a
//! closed enum: an unknown kind is a validation error that lists the known ones.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Text;

/// One step of an app: an instance of a block kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// Unique within the app: lower case, digits, `_` and `-`.
    pub id: String,
    /// The step's name as staff and residents see it on the case timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Text>,
    #[serde(flatten)]
    pub block: BlockConfig,
}

/// The block kind of a step and its configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "block", content = "config", rename_all = "snake_case")]
pub enum BlockConfig {
    Form(FormConfig),
    Dispatch(DispatchConfig),
    Sign(HumanTaskConfig),
    Handle(HumanTaskConfig),
    Review(ReviewConfig),
    Claim(HumanTaskConfig),
    Vote(VoteConfig),
    Notify(NotifyConfig),
    Webhook(WebhookConfig),
    Timer(TimerConfig),
    Script(ScriptConfig),
    Ledger(LedgerConfig),
    Register(RegisterConfig),
    Plugin(PluginConfig),
}

/// A form step: people fill (some of) the record's fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormConfig {
    /// Who may fill it: `public` (anyone, no log-in), `resident`, `reporter`, or a staff role.
    #[serde(default)]
    pub who: Vec<String>,
    /// Keys of the record fields this form shows; all of them when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// The text on the submit button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_label: Option<Text>,
    /// A short text above the form for the people who fill it (the app's description, which
    /// is written for staff and the catalog, is shown when this is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<Text>,
}

/// Automatic dispatch: the first rule whose condition holds names the receiver.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchConfig {
    #[serde(default)]
    pub rules: Vec<DispatchRule>,
    /// The receiver when no rule matches: an org unit (`dept:fire-safety`), a role
    /// (`role:street_admin`) or the responsibility list (`list:responsibility`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchRule {
    /// rhai condition over `record`.
    pub when: String,
    /// The receiver, as in `otherwise`.
    pub to: String,
}

/// A step a person works on: sign (签收), handle (办理) or claim (认领).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HumanTaskConfig {
    /// Roles that may act; for sign and handle the dispatched receiver by default.
    #[serde(default)]
    pub who: Vec<String>,
    /// Record fields the person fills at this step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Sla>,
}

/// A review: approve or reject, possibly at several levels.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewConfig {
    #[serde(default)]
    pub who: Vec<String>,
    /// How many levels review in turn (1–3).
    #[serde(default = "one")]
    pub levels: u8,
    /// Record fields the reviewer fills (e.g. the decision and a comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<Sla>,
}

fn one() -> u8 {
    1
}

/// A vote among residents or members, with a quorum.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteConfig {
    #[serde(default)]
    pub who: Vec<String>,
    /// Share of eligible voters that must vote, 0–1.
    pub quorum: f64,
    /// Share of votes cast that must be "yes", 0–1 (default: more than half).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<f64>,
    /// How long the vote stays open, e.g. `7d`.
    pub duration: String,
    /// How many may vote: a number (`"320"`) or a record field holding it
    /// (`"record.households"`). The quorum is a share of it.
    pub electorate: String,
    /// The record field the outcome is written to: `passed`, `failed` or `no_quorum`.
    #[serde(default = "vote_result")]
    pub result: String,
}

fn vote_result() -> String {
    "vote_result".into()
}

/// Books an entry in the community ledger from the record (提-评-决-付: the pay step). An
/// expense is booked only when `approved_if` holds: the decision trail authorised it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// The account: `property_fees`, `public_income`, `maintenance_fund`, `community_fund` or
    /// another lowercase name; or `record.<field>` to take it from the record.
    pub account: String,
    pub direction: LedgerDirection,
    /// The record field holding the amount in yuan (exact, at most two decimals).
    pub amount: String,
    /// The record field naming who is paid (or who pays).
    pub counterparty: String,
    /// The record field saying what it is for.
    pub purpose: String,
    /// The record field with the evidence photos (receipts, contracts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// rhai condition over the record that must hold (required for an expense), e.g.
    /// `record.decision == "approve" || record.vote_result == "passed"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_if: Option<String>,
}

/// Writes a row of one of the app's registers from the record, in the step's transaction:
/// make it, change it by key, add to its numbers, append to its lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterConfig {
    /// The register's id (one of the app's `registers`).
    pub register: String,
    /// `create` (refused when the key is taken), `update` (refused when there is no such row)
    /// or `upsert` (either).
    #[serde(default)]
    pub action: RegisterAction,
    /// rhai expression giving the key of the row, e.g. `record.volunteer_phone`.
    pub row: String,
    /// Register field → rhai expression over `record`: the values to set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, String>,
    /// Register number field → rhai expression: the amount to add (e.g. hours served).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub add: BTreeMap<String, String>,
    /// Register list field (multiple choice, repeat group, photos) → rhai expression: the item
    /// to append (a repeat group's item is a map, e.g. `#{date: record.visit_date}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub append: BTreeMap<String, String>,
}

/// What a `register` step does with the row its key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegisterAction {
    Create,
    Update,
    #[default]
    Upsert,
}

impl RegisterConfig {
    /// The step's expressions in the order they are compiled: `row`, then `set`, `add` and
    /// `append` in key order.
    pub fn expressions(&self) -> Vec<&str> {
        let mut out = vec![self.row.as_str()];
        for map in [&self.set, &self.add, &self.append] {
            out.extend(map.values().map(String::as_str));
        }
        out
    }
}

/// Money in or money out of a ledger account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerDirection {
    Income,
    Expense,
}

/// Send a message through a channel from a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    pub channel: Channel,
    /// The receiver: a record field (`record.contact_phone`), a role or an org unit.
    pub to: String,
    /// The template name.
    pub template: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Inbox,
    Email,
    Sms,
    Webhook,
}

/// Post the case to an outside system, signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
}

/// Wait for a duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimerConfig {
    /// e.g. `30m`, `24h`, `3d`, `5wd` (working days).
    pub after: String,
}

/// Run a rhai script over the record; the map it returns is merged into the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptConfig {
    pub run: String,
}

/// Call a WebAssembly plugin (see `docs/plugins.md`): it gets the mapped record fields and
/// `params` as JSON, and its output is written into the record only where `output` maps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// The plugin: `sha256:<64 hex digits>` (exactly those bytes) or `name@version` as uploaded.
    pub plugin: String,
    /// Plugin input key → record field key: the only record fields the plugin sees.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub input: BTreeMap<String, String>,
    /// Constant parameters passed to the plugin as `params`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    /// Plugin output key (or JSON pointer such as `/plate/normalized`) → record field key: the
    /// only fields the plugin's output can change.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub output: BTreeMap<String, String>,
    /// How long a call may run, in milliseconds (default 100; the district caps it, at most
    /// 10 000 here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Capabilities granted to the plugin beyond logging: `clock`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<String>,
}

/// The largest `timeout_ms` a plugin step can ask for; a district's own cap may be lower.
pub const PLUGIN_TIMEOUT_MAX_MS: u64 = 10_000;

/// The capabilities a plugin step can grant.
pub const PLUGIN_GRANTS: &[&str] = &["clock"];

/// A service-level clock on a human step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// e.g. `30m`, `24h`, `5wd`.
    pub due: String,
    #[serde(default)]
    pub calendar: Calendar,
    /// Escalation ladder, e.g. `["remind@80%", "urge@100%", "supervise@+2h"]`.
    #[serde(default)]
    pub ladder: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    #[default]
    Natural,
    Working,
}

/// A move from one step to another, optionally guarded by a rhai condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub from: String,
    pub to: String,
    /// rhai condition over `record`; the transition is taken only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Text>,
}

/// Parses a duration such as `30m`, `24h`, `3d` or `5wd` into (amount, unit).
pub fn parse_duration(s: &str) -> Option<(u32, &str)> {
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (amount, unit) = s.split_at(split);
    let amount: u32 = amount.parse().ok()?;
    matches!(unit, "m" | "h" | "d" | "wd").then_some((amount, unit))
}

/// `sha256:<64 lower-case hex>` or `name@version` (name: lower case, digits, `-`, `_`;
/// version: digits, dots, letters, `-`).
pub fn plugin_reference_ok(r: &str) -> bool {
    if let Some(hex) = r.strip_prefix("sha256:") {
        return hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    }
    let Some((name, version)) = r.split_once('@') else { return false };
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    let version_ok = !version.is_empty()
        && version.len() <= 32
        && version.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    name_ok && version_ok
}

impl BlockConfig {
    /// The block kind's id, as written in `block`.
    pub fn kind(&self) -> &'static str {
        match self {
            BlockConfig::Form(_) => "form",
            BlockConfig::Dispatch(_) => "dispatch",
            BlockConfig::Sign(_) => "sign",
            BlockConfig::Handle(_) => "handle",
            BlockConfig::Review(_) => "review",
            BlockConfig::Claim(_) => "claim",
            BlockConfig::Vote(_) => "vote",
            BlockConfig::Ledger(_) => "ledger",
            BlockConfig::Register(_) => "register",
            BlockConfig::Notify(_) => "notify",
            BlockConfig::Webhook(_) => "webhook",
            BlockConfig::Timer(_) => "timer",
            BlockConfig::Script(_) => "script",
            BlockConfig::Plugin(_) => "plugin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30m"), Some((30, "m")));
        assert_eq!(parse_duration("5wd"), Some((5, "wd")));
        assert_eq!(parse_duration("5 days"), None);
        assert_eq!(parse_duration("h"), None);
    }

    #[test]
    fn step_reads_block_and_config() {
        let s: Step = serde_json::from_str(
            r#"{"id":"sign","block":"sign","config":{"sla":{"due":"30m","ladder":["remind@80%"]}}}"#,
        )
        .unwrap();
        assert_eq!(s.block.kind(), "sign");
    }
}
