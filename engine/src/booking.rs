//! The `ledger` block: books the case's decided income or spending in the community ledger.
//! The entry is written with its transparency-log leaf in the same transaction as the
//! transition, so a case never pays without its entry, nor an entry without its case.

use baida_blocks::Text;
use baida_blocks::step::{LedgerConfig, LedgerDirection};
use baida_core::kinds::EventKind;
use serde_json::{Value, json};
use uuid::Uuid;

use super::flow::{Flow, FlowError};
use baida_core::ledger::entry::{Amount, Direction, NewEntry, Source};

impl Flow<'_> {
    /// Books the entry `c` describes from the record; refuses when the decision trail does not
    /// approve it or the record does not give an amount.
    pub(super) fn book(&mut self, step: &str, c: &LedgerConfig) -> Result<(), FlowError> {
        let record = self.record_value();
        if let Some(script) = self.app.step_scripts.get(step).and_then(|s| s.first()) {
            let approved = script.eval_bool(&record, None).map_err(|e| FlowError::Script(e.message))?;
            if !approved {
                return Err(FlowError::Refused(Text::new(
                    "这笔收支没有经过批准，不能记账",
                    "This spending was not approved, so it cannot be booked",
                )));
            }
        }
        let amount = self.record.get(&c.amount).and_then(Amount::from_json).filter(|a| a.0 > 0).ok_or_else(|| {
            FlowError::Refused(Text::new(
                format!("字段“{}”应是大于 0、最多两位小数的金额", c.amount),
                format!("The field “{}” must be an amount above 0 with at most two decimals", c.amount),
            ))
        })?;
        let account = match c.account.strip_prefix("record.") {
            Some(key) => self.record.get(key).and_then(Value::as_str).unwrap_or_default().to_string(),
            None => c.account.clone(),
        };
        if !baida_core::ledger::entry::valid_account_kind(&account) {
            return Err(FlowError::Refused(Text::new(
                format!("账户“{account}”无效"),
                format!("The account “{account}” is not valid"),
            )));
        }
        let text = |key: &str| match self.record.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let evidence: Vec<String> =
            c.evidence.as_ref().and_then(|k| self.record.get(k)).map(photo_hashes).unwrap_or_default();
        let entry = NewEntry {
            id: Uuid::now_v7().to_string(),
            community_id: self.community_id.clone(),
            account,
            direction: match c.direction {
                LedgerDirection::Income => Direction::Income,
                LedgerDirection::Expense => Direction::Expense,
            },
            amount,
            booked_on: self.now.with_timezone(&self.calendar.timezone()).date_naive(),
            counterparty: text(&c.counterparty),
            purpose: text(&c.purpose),
            evidence,
            case_id: Some(self.case_id.clone()),
            source: Source::Case,
            created_by: self.actor.clone(),
            created_at: NewEntry::now(self.now),
        };
        self.emit(
            EventKind::LedgerBooked,
            json!({"step": step, "entry": entry.id, "account": entry.account, "direction": entry.direction.as_str(),
                   "amount": entry.amount.yuan()}),
        );
        self.ledger.push(entry);
        Ok(())
    }
}

/// The SHA-256 of the photos in a photo field's value (a photo or a list of them).
fn photo_hashes(value: &Value) -> Vec<String> {
    let one = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => m.get("sha256").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}
