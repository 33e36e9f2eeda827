//! The `register` block: writes a row of one of the app's registers from the record. The
//! write is carried by the transition ([`baida_store::CaseChange::rows`]) and made in its
//! transaction, so a case never moves on without its row written, nor a row without its case.

use baida_blocks::step::{RegisterAction, RegisterConfig};
use baida_blocks::{FieldType, Text};
use baida_core::kinds::EventKind;
use baida_core::register::{Mode, RowWrite};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::flow::{Flow, FlowError};

/// The longest key a row can have.
pub const KEY_MAX: usize = 100;

impl Flow<'_> {
    /// Computes the row write step `step` describes; refuses when the record gives no key or a
    /// number to add is not a number.
    pub(crate) fn write_row(&mut self, step: &str, c: &RegisterConfig) -> Result<(), FlowError> {
        let register = self.app.register(&c.register).ok_or_else(|| {
            FlowError::Definition(Text::new(
                format!("没有台账“{}”", c.register),
                format!("There is no register “{}”", c.register),
            ))
        })?;
        let scripts = self.app.step_scripts.get(step).map(Vec::as_slice).unwrap_or_default();
        if scripts.len() != c.expressions().len() {
            return Err(FlowError::Definition(Text::new(
                "台账步骤的表达式无法运行",
                "The register step's expressions cannot run",
            )));
        }
        let record = self.record_value();
        let eval = |i: usize| scripts[i].eval(&record, None).map_err(|e| FlowError::Script(e.message));
        let key = key_text(&eval(0)?).ok_or_else(|| {
            FlowError::Refused(Text::new(
                format!("这一行的编号为空或太长（{}）", c.row),
                format!("The row's key is empty or too long ({})", c.row),
            ))
        })?;
        let mut i = 1;
        let mut set = Map::new();
        for field in c.set.keys() {
            set.insert(field.clone(), eval(i)?);
            i += 1;
        }
        let mut add = Vec::new();
        for field in c.add.keys() {
            let by = eval(i)?.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                FlowError::Refused(Text::new(
                    format!("累加到“{field}”的值不是数字"),
                    format!("The amount to add to “{field}” is not a number"),
                ))
            })?;
            add.push((field.clone(), by));
            i += 1;
        }
        let mut append = Vec::new();
        for field in c.append.keys() {
            append.push((field.clone(), eval(i)?));
            i += 1;
        }
        let mode = match c.action {
            RegisterAction::Create => Mode::Create,
            RegisterAction::Update => Mode::Update,
            RegisterAction::Upsert => Mode::Upsert,
        };
        if mode != Mode::Update
            && let Some(f) = register.key_field()
        {
            let typed = match f.ty {
                FieldType::Integer | FieldType::Number => key.parse::<f64>().ok().map(|n| json!(n)),
                _ => None,
            };
            set.insert(f.field.key.clone(), typed.unwrap_or_else(|| Value::String(key.clone())));
        }
        self.emit(
            EventKind::RegisterWritten,
            json!({"step": step, "register": c.register, "row": key, "action": mode,
                   "set": set, "add": add.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
                   "append": append.iter().cloned().collect::<Map<_, _>>()}),
        );
        self.rows.push(RowWrite {
            app_id: self.app.app.id.clone(),
            register_id: c.register.clone(),
            community_id: self.community_id.clone(),
            grid_id: self.grid_id.clone(),
            key,
            mode,
            set,
            add,
            append,
            new_id: Uuid::now_v7().to_string(),
            expected_count: None,
            actor: self.actor.clone(),
            at: self.now,
            source: json!({"case": self.case_id, "step": step}),
        });
        Ok(())
    }
}

/// A key as text: a string trimmed, or a whole number; `None` when empty, too long or of
/// another kind.
pub fn key_text(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => format!("{}", x as i64),
            _ => n.to_string(),
        },
        _ => return None,
    };
    (!text.is_empty() && text.chars().count() <= KEY_MAX).then_some(text)
}
