//! Exporting a register's rows the actor may read, as they may see them (personal values
//! masked without need to know): CSV (UTF-8 with a BOM, so spreadsheet programs read the
//! Chinese; every cell inert, never a formula) and XLSX. The first line names the columns by
//! their Chinese labels, so an export can be edited and imported back.

use baida_blocks::{CompiledField, FieldType, RowAccess};
use baida_core::register::Row;
use baida_store::RowQuery;
use rust_xlsxwriter::{Format as CellFormat, Workbook};
use serde_json::Value;

use super::{Opened, RegisterError, forbidden};
use crate::Engine;
use crate::auth::Actor;
use crate::ledger::export::inert_cell;

/// The most rows one export holds.
pub const EXPORT_MAX_ROWS: usize = 200_000;

/// A value as a spreadsheet cell's text: choices by their label, yes/no as 是/否, several
/// values separated by 、, a location by its address.
pub fn cell_text(f: &CompiledField, v: Option<&Value>) -> String {
    let label = |t: &str| {
        f.choices.iter().find(|c| c.value() == t).map_or_else(|| t.to_string(), |c| c.label().zh().to_string())
    };
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
        Some(Value::String(s)) if f.ty == FieldType::Select => label(s),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if f.ty != FieldType::Group => items
            .iter()
            .map(|i| match i {
                Value::String(s) => label(s),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("、"),
        Some(Value::Object(m)) if f.ty == FieldType::Location => {
            m.get("address").and_then(Value::as_str).unwrap_or_default().to_string()
        }
        Some(other) => other.to_string(),
    }
}

impl Engine {
    /// Every row of the register the actor may read (at most [`EXPORT_MAX_ROWS`]), oldest
    /// first, as they may see them; refused without the register's export right.
    pub async fn export_rows(&self, actor: &Actor, opened: &Opened) -> Result<Vec<Row>, RegisterError> {
        let tree = self.org_tree().await?;
        let register = opened.register();
        let readable = Some(opened.units(actor, RowAccess::Read, &tree));
        if readable.as_ref().is_some_and(Vec::is_empty) {
            return Err(RegisterError::NotFound);
        }
        // Only where one may both read and export.
        let units = match (readable, Some(opened.units(actor, RowAccess::Export, &tree))) {
            (None, None) => None,
            (Some(r), None) => Some(r),
            (None, Some(e)) => Some(e),
            (Some(r), Some(e)) => Some(r.into_iter().filter(|u| e.contains(u)).collect::<Vec<_>>()),
        };
        if units.as_ref().is_some_and(Vec::is_empty) {
            return Err(forbidden(RowAccess::Export));
        }
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .store
                .rows(&RowQuery {
                    app_id: opened.loaded.meta.app_id.clone(),
                    register_id: register.register.id.clone(),
                    units: units.clone(),
                    offset,
                    limit: baida_store::registers::PAGE_MAX,
                    ..RowQuery::default()
                })
                .await?;
            let n = page.rows.len();
            out.extend(page.rows);
            offset += n as i64;
            if n == 0 || out.len() >= EXPORT_MAX_ROWS {
                break;
            }
        }
        out.truncate(EXPORT_MAX_ROWS);
        for row in &mut out {
            self.mask_row(actor, opened, row, &tree);
        }
        Ok(out)
    }
}

fn header(opened: &Opened) -> Vec<String> {
    opened.columns().iter().map(|f| f.field.label_text().zh().to_string()).collect()
}

fn cells(opened: &Opened, row: &Row) -> Vec<String> {
    opened
        .columns()
        .iter()
        .map(|f| {
            if f.field.key == opened.register().register.key {
                row.key.clone()
            } else {
                cell_text(f, row.values.get(&f.field.key))
            }
        })
        .collect()
}

/// The rows as CSV, UTF-8 with a byte-order mark; every cell inert.
pub fn csv(opened: &Opened, rows: &[Row]) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut writer = csv::Writer::from_writer(&mut out);
    let _ = writer.write_record(header(opened));
    for row in rows {
        let _ = writer.write_record(cells(opened, row).iter().map(|c| inert_cell(c).into_owned()));
    }
    drop(writer);
    out
}

/// The rows as an XLSX workbook (numbers as numbers).
pub fn xlsx(opened: &Opened, rows: &[Row]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let name: String =
        opened.register().register.name.zh().chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    sheet.set_name(if name.is_empty() { "台账".to_string() } else { name })?;
    let bold = CellFormat::new().set_bold();
    for (c, h) in header(opened).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    let columns = opened.columns();
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, text) in cells(opened, row).iter().enumerate() {
            let number =
                matches!(columns[c].ty, FieldType::Number | FieldType::Integer | FieldType::Rating | FieldType::Slider)
                    .then(|| row.values.get(&columns[c].field.key).and_then(Value::as_f64))
                    .flatten();
            match number {
                Some(n) => sheet.write_number(r, c as u16, n)?,
                None => sheet.write_string(r, c as u16, text)?,
            };
        }
    }
    book.save_to_buffer()
}
