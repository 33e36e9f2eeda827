//! Registers (台账): rows that outlive cases — parking spaces, volunteers, elderly residents to
//! visit — each kept by a community, with its history as a hash chain.
//!
//! A [`Row`] is what the store keeps; a [`RowWrite`] is one change to one row, from a case's
//! `register` step, from staff on the register page or from a line of an import. The store
//! applies a write inside the transaction that carries it, reading the row as it is then:
//! [`RowWrite::apply`] says what the row becomes (or why the write is refused) and
//! [`RowEvent::next`] chains the event that records it (who, when, before and after).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::chain::{self, Link};

/// A stored register row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub id: String,
    pub app_id: String,
    pub register_id: String,
    /// The community that keeps the row; its key is unique there.
    pub community_id: String,
    /// The grid it belongs to, when it belongs to one.
    pub grid_id: Option<String>,
    pub key: String,
    pub values: Map<String, Value>,
    /// The row's revision: how many events its history holds.
    pub event_count: i64,
    #[serde(skip)]
    pub head_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Removed from the register (its history stays; cases linking it keep their copy).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Row {
    /// The text a search matches: every value, lower case, one line.
    pub fn search_text(key: &str, values: &Map<String, Value>) -> String {
        let mut out = key.to_lowercase();
        for v in values.values() {
            out.push(' ');
            match v {
                Value::String(s) => out.push_str(&s.to_lowercase()),
                Value::Null => {}
                other => out.push_str(&other.to_string().to_lowercase()),
            }
        }
        out
    }
}

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RowEventKind {
    /// The row was made (or a removed row made again).
    #[serde(rename = "row.created")]
    Created,
    /// Some of its values changed.
    #[serde(rename = "row.updated")]
    Updated,
    /// It was removed from the register.
    #[serde(rename = "row.deleted")]
    Deleted,
}

impl RowEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowEventKind::Created => "row.created",
            RowEventKind::Updated => "row.updated",
            RowEventKind::Deleted => "row.deleted",
        }
    }

    pub fn parse(s: &str) -> Option<RowEventKind> {
        [RowEventKind::Created, RowEventKind::Updated, RowEventKind::Deleted].into_iter().find(|k| k.as_str() == s)
    }
}

/// An event of a row's history, hash-chained to the one before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowEvent {
    pub row_id: String,
    pub seq: i64,
    pub kind: RowEventKind,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// `{"before": {…} | null, "after": {…}, "source": {…}}`.
    pub data: Value,
    pub prev_hash: String,
    pub hash: String,
}

impl Link for RowEvent {
    fn seq(&self) -> i64 {
        self.seq
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn body(&self) -> Value {
        chain::body(("row_id", &self.row_id), self.seq, self.kind.as_str(), &self.actor, self.at, &self.data)
    }
}

impl RowEvent {
    /// The event after the head `(seq, hash)` of row `row_id`'s history.
    pub fn next(
        head: Option<(i64, &str)>,
        row_id: &str,
        kind: RowEventKind,
        actor: &str,
        at: DateTime<Utc>,
        data: Value,
    ) -> RowEvent {
        let (seq, prev_hash) = chain::after(head);
        let hash = chain::hash(&prev_hash, &chain::body(("row_id", row_id), seq, kind.as_str(), actor, at, &data));
        RowEvent { row_id: row_id.into(), seq, kind, actor: actor.into(), at, data, prev_hash, hash }
    }
}

/// What a write expects of the row it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Make a new row; refused when the key is taken.
    Create,
    /// Change the row with the key; refused when there is none.
    Update,
    /// Change it, or make it when there is none.
    Upsert,
    /// Remove it; refused when there is none.
    Delete,
}

/// One change to one row, in the community `community_id`, by key.
#[derive(Debug, Clone, PartialEq)]
pub struct RowWrite {
    pub app_id: String,
    pub register_id: String,
    pub community_id: String,
    pub grid_id: Option<String>,
    pub key: String,
    pub mode: Mode,
    /// Values to set (a `null` clears one).
    pub set: Map<String, Value>,
    /// Numbers to add to number fields (absent counts as 0).
    pub add: Vec<(String, f64)>,
    /// Values to append to list fields (absent is an empty list).
    pub append: Vec<(String, Value)>,
    /// The id a row made by this write gets.
    pub new_id: String,
    /// The revision the writer saw (staff editing a row): refused when it moved on since.
    pub expected_count: Option<i64>,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// Where the write comes from: `{"case": id, "number": …, "step": …}`, `{"staff": true}`,
    /// `{"import": id, "line": n}`.
    pub source: Value,
}

/// Why a write was not made; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A row with the key exists (create).
    Exists { register: String, key: String },
    /// No row has the key (update, delete).
    Missing { register: String, key: String },
    /// The row changed since the writer read it.
    Stale { register: String, key: String },
}

/// What a write does to a row: the event's kind and the values after.
pub type Change = (RowEventKind, Map<String, Value>);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Exists { register, key } => write!(f, "register {register} already has a row with key {key}"),
            Refusal::Missing { register, key } => write!(f, "register {register} has no row with key {key}"),
            Refusal::Stale { register, key } => {
                write!(f, "row {key} of register {register} was changed by someone else; reload and try again")
            }
        }
    }
}

impl Refusal {
    /// The message a person reads, in both languages: (zh-CN, en).
    pub fn words(&self) -> (String, String) {
        match self {
            Refusal::Exists { key, .. } => (format!("台账中已有编号为“{key}”的一行"), self.to_string()),
            Refusal::Missing { key, .. } => (format!("台账中没有编号为“{key}”的一行"), self.to_string()),
            Refusal::Stale { key, .. } => (format!("“{key}”这一行刚被别人改过，请刷新后再改"), self.to_string()),
        }
    }
}

impl RowWrite {
    /// What this write makes of the row as it is now (`None`: no row with the key; a removed
    /// row counts as none): the event's kind and the values after — `None` when it changes
    /// nothing —, or why it is refused.
    pub fn apply(&self, now: Option<&Row>) -> Result<Option<Change>, Refusal> {
        let live = now.filter(|r| r.deleted_at.is_none());
        let who = || (self.register_id.clone(), self.key.clone());
        if let (Some(expected), Some(row)) = (self.expected_count, now)
            && row.event_count != expected
        {
            let (register, key) = who();
            return Err(Refusal::Stale { register, key });
        }
        match (self.mode, live) {
            (Mode::Create, Some(_)) => {
                let (register, key) = who();
                Err(Refusal::Exists { register, key })
            }
            (Mode::Update | Mode::Delete, None) => {
                let (register, key) = who();
                Err(Refusal::Missing { register, key })
            }
            (Mode::Delete, Some(row)) => Ok(Some((RowEventKind::Deleted, row.values.clone()))),
            (_, before) => {
                let mut values = before.map(|r| r.values.clone()).unwrap_or_default();
                for (k, v) in &self.set {
                    if v.is_null() {
                        values.remove(k);
                    } else {
                        values.insert(k.clone(), v.clone());
                    }
                }
                for (k, by) in &self.add {
                    let was = values.get(k).and_then(Value::as_f64).unwrap_or(0.0);
                    values.insert(k.clone(), number(was + by));
                }
                for (k, item) in &self.append {
                    let mut list = match values.remove(k) {
                        Some(Value::Array(a)) => a,
                        Some(Value::Null) | None => Vec::new(),
                        Some(other) => vec![other],
                    };
                    list.push(item.clone());
                    values.insert(k.clone(), Value::Array(list));
                }
                match before {
                    Some(row) if row.values == values => Ok(None),
                    Some(_) => Ok(Some((RowEventKind::Updated, values))),
                    None => Ok(Some((RowEventKind::Created, values))),
                }
            }
        }
    }

    /// The event recording this write on `row` (its history's head as it is now), given the
    /// values before (`None` for a new row) and after.
    pub fn event(
        &self,
        row_id: &str,
        head: Option<(i64, &str)>,
        kind: RowEventKind,
        before: Option<&Map<String, Value>>,
        after: &Map<String, Value>,
    ) -> RowEvent {
        let data = json!({"before": before, "after": after, "source": self.source});
        RowEvent::next(head, row_id, kind, &self.actor, self.at, data)
    }
}

/// A sum as JSON: an integer when it is one (hours 2 + 3 are `5`, not `5.0`).
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        json!(x as i64)
    } else {
        // Sums of decimals typed by people (1.1 + 2.2) keep at most six decimals.
        json!((x * 1e6).round() / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(mode: Mode) -> RowWrite {
        RowWrite {
            app_id: "a".into(),
            register_id: "volunteers".into(),
            community_id: "c".into(),
            grid_id: None,
            key: "13800000000".into(),
            mode,
            set: Map::new(),
            add: Vec::new(),
            append: Vec::new(),
            new_id: "r1".into(),
            expected_count: None,
            actor: "u".into(),
            at: DateTime::parse_from_rfc3339("2026-12-07T08:00:00.123Z").unwrap().with_timezone(&Utc),
            source: json!({"staff": true}),
        }
    }

    fn row(values: Value) -> Row {
        let at = DateTime::parse_from_rfc3339("2026-12-01T08:00:00Z").unwrap().with_timezone(&Utc);
        Row {
            id: "r1".into(),
            app_id: "a".into(),
            register_id: "volunteers".into(),
            community_id: "c".into(),
            grid_id: None,
            key: "13800000000".into(),
            values: values.as_object().cloned().unwrap(),
            event_count: 2,
            head_hash: "h".into(),
            created_at: at,
            updated_at: at,
            deleted_at: None,
        }
    }

    #[test]
    fn add_and_append_start_from_nothing_and_keep_integers_whole() {
        let mut w = write(Mode::Upsert);
        w.add = vec![("hours".into(), 2.0)];
        w.append = vec![("needs".into(), json!("N-1"))];
        let (kind, after) = w.apply(None).unwrap().unwrap();
        assert_eq!(kind, RowEventKind::Created);
        assert_eq!(Value::Object(after), json!({"hours": 2, "needs": ["N-1"]}));
        w.add = vec![("hours".into(), 1.5)];
        let (kind, after) = w.apply(Some(&row(json!({"hours": 2, "name": "李梅"})))).unwrap().unwrap();
        assert_eq!(kind, RowEventKind::Updated);
        assert_eq!(Value::Object(after), json!({"hours": 3.5, "name": "李梅", "needs": ["N-1"]}));
        w.add = vec![("hours".into(), 0.1)];
        let (_, after) = w.apply(Some(&row(json!({"hours": 0.2})))).unwrap().unwrap();
        assert_eq!(after["hours"], json!(0.3));
    }

    #[test]
    fn modes_refuse_what_they_do_not_expect() {
        let existing = row(json!({"name": "李梅"}));
        assert!(matches!(write(Mode::Create).apply(Some(&existing)), Err(Refusal::Exists { .. })));
        assert!(matches!(write(Mode::Update).apply(None), Err(Refusal::Missing { .. })));
        assert!(matches!(write(Mode::Delete).apply(None), Err(Refusal::Missing { .. })));
        let mut removed = existing.clone();
        removed.deleted_at = Some(removed.created_at);
        assert!(matches!(write(Mode::Update).apply(Some(&removed)), Err(Refusal::Missing { .. })));
        assert_eq!(write(Mode::Create).apply(Some(&removed)).unwrap().unwrap().0, RowEventKind::Created);
        let mut stale = write(Mode::Update);
        stale.expected_count = Some(1);
        assert!(matches!(stale.apply(Some(&existing)), Err(Refusal::Stale { .. })));
        stale.expected_count = Some(2);
        assert!(stale.apply(Some(&existing)).is_ok());
    }

    #[test]
    fn a_null_clears_a_value_and_history_chains() {
        let mut w = write(Mode::Update);
        w.set.insert("phone".into(), Value::Null);
        let before = row(json!({"name": "李梅", "phone": "138"}));
        let (kind, after) = w.apply(Some(&before)).unwrap().unwrap();
        assert_eq!(Value::Object(after.clone()), json!({"name": "李梅"}));
        assert_eq!(w.apply(Some(&Row { values: after.clone(), ..before.clone() })), Ok(None), "nothing to change");
        let first = w.event("r1", None, kind, None, &after);
        let second = w.event("r1", Some((first.seq, &first.hash)), kind, Some(&before.values), &after);
        let events = [first, second];
        assert_eq!(chain::verify(&events, 2, &events[1].hash), Ok(()));
        let mut edited = events.clone();
        edited[0].data["after"]["name"] = json!("王五");
        assert_eq!(chain::verify(&edited, 2, &events[1].hash), Err(chain::Break::Content { seq: 1 }));
    }
}
