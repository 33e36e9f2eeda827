//! Importing rows from a spreadsheet: a CSV file (UTF-8, with or without a BOM, or GBK as
//! Excel saves it on a Chinese Windows) or an XLSX workbook's first sheet. The first line
//! names the columns — a field's Chinese or English label, or its key —, every other line is a
//! row. Every line is checked first, values as people type them in a spreadsheet (是/否,
//! an option's label, several choices separated by 、); any problem names its line and column
//! and nothing is written. Otherwise every row is made or changed by its key in one
//! transaction, and the report says how many of each.

use std::collections::HashMap;
use std::io::Cursor;

use baida_blocks::{CompiledField, FieldType, Problem, RowAccess, Text};
use baida_core::register::{Mode, RowEventKind, RowWrite};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Opened, RegisterError, community_of, forbidden, key_text};
use crate::Engine;
use crate::auth::Actor;

/// The most rows one file may hold.
pub const IMPORT_MAX_ROWS: usize = 100_000;
/// The most problems one import reports (the count says how many there were in all).
const PROBLEMS_SHOWN: usize = 200;

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format a file name or its content says; XLSX files are ZIP archives.
    pub fn of(file_name: &str, bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") || file_name.to_lowercase().ends_with(".xlsx") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    /// Data lines read.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Lines that matched their row exactly.
    pub unchanged: usize,
    /// Columns read and left aside: repeat groups and photos, which steps write (an export
    /// has them; importing it back keeps the rows' own).
    pub ignored_columns: Vec<String>,
}

fn problem(pointer: String, code: &'static str, zh: String, en: String) -> Problem {
    Problem::new(pointer, code, Text::new(zh, en))
}

/// The cells of a file, line by line, as text; the problem (one) when it cannot be read.
pub fn table(bytes: &[u8], format: Format) -> Result<Vec<Vec<String>>, Vec<Problem>> {
    match format {
        Format::Csv => {
            let text = decode(bytes);
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            let mut out = Vec::new();
            for (i, record) in reader.records().enumerate() {
                let record = record.map_err(|e| {
                    vec![problem(
                        format!("/lines/{}", i + 1),
                        "bad_file",
                        format!("第 {} 行无法读取：{e}", i + 1),
                        format!("Line {} cannot be read: {e}", i + 1),
                    )]
                })?;
                out.push(record.iter().map(|c| c.trim().to_string()).collect());
                if out.len() > IMPORT_MAX_ROWS + 1 {
                    break;
                }
            }
            Ok(out)
        }
        Format::Xlsx => {
            use calamine::{Data, Reader, Xlsx};
            let bad = |e: String| {
                vec![problem(
                    String::new(),
                    "bad_file",
                    format!("无法读取这个 XLSX 文件：{e}"),
                    format!("This XLSX file cannot be read: {e}"),
                )]
            };
            let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
                .map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
            let range = book
                .worksheet_range_at(0)
                .ok_or_else(|| bad("no worksheet".into()))?
                .map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
            let cell = |d: &Data| match d {
                Data::Empty => String::new(),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
                Data::DateTime(dt) => match dt.as_datetime() {
                    Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
                    Some(t) => t.format("%Y-%m-%dT%H:%M").to_string(),
                    None => dt.as_f64().to_string(),
                },
                Data::Error(e) => format!("#{e:?}"),
            };
            Ok(range.rows().take(IMPORT_MAX_ROWS + 2).map(|r| r.iter().map(cell).collect()).collect())
        }
    }
}

/// A CSV file's text: UTF-8 (a BOM dropped), else GBK (what Excel writes on a Chinese system).
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    }
}

/// A cell as the answer its field expects, the way people type it in a spreadsheet.
fn answer(f: &CompiledField, text: &str) -> Value {
    let choice = |t: &str| {
        f.choices
            .iter()
            .find(|c| c.value() == t || c.label().zh() == t || c.label().en().eq_ignore_ascii_case(t))
            .map_or_else(|| t.to_string(), |c| c.value().to_string())
    };
    match f.ty {
        FieldType::YesNo => match text.to_lowercase().as_str() {
            "是" | "yes" | "y" | "true" | "1" | "√" => Value::Bool(true),
            "否" | "no" | "n" | "false" | "0" | "×" => Value::Bool(false),
            _ => Value::String(text.to_string()),
        },
        FieldType::Select => Value::String(choice(text)),
        FieldType::Multiselect => Value::Array(
            text.split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(choice(t)))
                .collect(),
        ),
        FieldType::Location => json!({"address": text}),
        _ => Value::String(text.to_string()),
    }
}

impl Engine {
    /// Imports a file's rows into the register, kept by the community (or grid) `unit`: every
    /// line checked, then all written in one transaction, or nothing.
    pub async fn import_rows(
        &self,
        actor: &Actor,
        opened: &Opened,
        unit: &str,
        bytes: &[u8],
        format: Format,
    ) -> Result<ImportReport, RegisterError> {
        let tree = self.org_tree().await?;
        let register = opened.register();
        let Some((community_id, grid_id)) = community_of(unit, &tree) else {
            return Err(RegisterError::Invalid(vec![problem(
                "/unit".into(),
                "unknown_unit",
                format!("“{unit}”不是社区或网格"),
                format!("“{unit}” is not a community or a grid"),
            )]));
        };
        if !opened.may(actor, RowAccess::Read, unit, &tree) {
            return Err(RegisterError::NotFound);
        }
        if !opened.may(actor, RowAccess::Import, unit, &tree) {
            return Err(forbidden(RowAccess::Import));
        }
        let lines = table(bytes, format).map_err(RegisterError::Invalid)?;
        let Some((header, data)) = lines.split_first() else {
            return Err(RegisterError::Invalid(vec![problem(
                String::new(),
                "empty_file",
                "文件是空的：第一行应是列名".into(),
                "The file is empty: its first line should name the columns".into(),
            )]));
        };
        let data: Vec<(usize, &Vec<String>)> =
            data.iter().enumerate().map(|(i, l)| (i + 2, l)).filter(|(_, l)| l.iter().any(|c| !c.is_empty())).collect();
        if data.len() > IMPORT_MAX_ROWS {
            return Err(RegisterError::Invalid(vec![problem(
                String::new(),
                "too_many_rows",
                format!("一次最多导入 {IMPORT_MAX_ROWS} 行；请分成几个文件"),
                format!("At most {IMPORT_MAX_ROWS} rows at once; split the file"),
            )]));
        }
        // Columns: a field's label (zh or en) or its key.
        let columns = opened.columns();
        let mut problems = Vec::new();
        let mut mapped: Vec<Option<&CompiledField>> = Vec::new();
        let mut ignored = Vec::new();
        for (c, name) in header.iter().enumerate() {
            let f = columns.iter().find(|f| {
                let label = f.field.label_text();
                f.field.key == *name || label.zh() == name || label.en().eq_ignore_ascii_case(name)
            });
            match f {
                _ if name.is_empty() => mapped.push(None),
                Some(f) if matches!(f.ty, FieldType::Group | FieldType::Photo) => {
                    ignored.push(name.clone());
                    mapped.push(None);
                }
                Some(f) => mapped.push(Some(f)),
                None => {
                    let known: Vec<String> = columns.iter().map(|f| f.field.label_text().zh().to_string()).collect();
                    problems.push(
                        problem(
                            format!("/columns/{}", c + 1),
                            "unknown_column",
                            format!("第 {} 列“{name}”不是这本台账的字段", c + 1),
                            format!("Column {} “{name}” is not a field of this register", c + 1),
                        )
                        .with_hint(Text::new(
                            format!("可用的列名：{}", known.join("、")),
                            format!("Columns it can have: {}", known.join(", ")),
                        )),
                    );
                    mapped.push(None);
                }
            }
        }
        let key_field = &register.register.key;
        let Some(key_column) = mapped.iter().position(|f| f.is_some_and(|f| &f.field.key == key_field)) else {
            problems.push(problem(
                "/columns".into(),
                "missing_key_column",
                format!(
                    "缺少编号列“{}”",
                    register.key_field().map(|f| f.field.label_text().zh().to_string()).unwrap_or_default()
                ),
                format!("The key column “{key_field}” is missing"),
            ));
            return Err(RegisterError::Invalid(problems));
        };
        if !problems.is_empty() {
            return Err(RegisterError::Invalid(problems));
        }
        // The rows the file names, as they are now.
        let keys: Vec<String> = data.iter().filter_map(|(_, l)| l.get(key_column).cloned()).collect();
        let existing =
            self.store.rows_by_keys(&opened.loaded.meta.app_id, &register.register.id, &community_id, &keys).await?;
        let existing: HashMap<&str, &baida_core::register::Row> =
            existing.iter().filter(|r| r.deleted_at.is_none()).map(|r| (r.key.as_str(), r)).collect();
        let batch = Uuid::now_v7().to_string();
        let now = self.clock.now();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut writes = Vec::with_capacity(data.len());
        let mut total_problems = 0usize;
        for (line, cells) in &data {
            let mut values = Map::new();
            for (c, f) in mapped.iter().enumerate() {
                if let (Some(f), Some(text)) = (f, cells.get(c))
                    && !text.is_empty()
                {
                    values.insert(f.field.key.clone(), answer(f, text));
                }
            }
            let key = values.get(key_field).and_then(key_text);
            let here = |field: &str| {
                let c = mapped.iter().position(|f| f.is_some_and(|f| f.field.key == field));
                c.map_or_else(|| field.to_string(), |c| header[c].clone())
            };
            let mut line_problems = Vec::new();
            match &key {
                None => line_problems.push(problem(
                    format!("/lines/{line}/{key_field}"),
                    "required",
                    format!("第 {line} 行“{}”：编号为空", here(key_field)),
                    format!("Line {line}, “{}”: the key is empty", here(key_field)),
                )),
                Some(k) => {
                    if let Some(first) = seen.insert(k.clone(), *line) {
                        line_problems.push(problem(
                            format!("/lines/{line}/{key_field}"),
                            "duplicate_key",
                            format!("第 {line} 行“{}”：编号“{k}”与第 {first} 行重复", here(key_field)),
                            format!("Line {line}, “{}”: key “{k}” repeats line {first}", here(key_field)),
                        ));
                    }
                }
            }
            let before = key.as_deref().and_then(|k| existing.get(k)).map(|r| r.values.clone()).unwrap_or_default();
            match self.checked_values(register, &before, &values, "") {
                Ok(checked) => {
                    if line_problems.is_empty()
                        && let Some(key) = key
                    {
                        let mut set = checked.clone();
                        for k in before.keys().filter(|k| !checked.contains_key(*k)) {
                            set.insert(k.clone(), Value::Null);
                        }
                        writes.push(RowWrite {
                            app_id: opened.loaded.meta.app_id.clone(),
                            register_id: register.register.id.clone(),
                            community_id: community_id.clone(),
                            grid_id: grid_id.clone(),
                            key,
                            mode: Mode::Upsert,
                            set,
                            add: Vec::new(),
                            append: Vec::new(),
                            new_id: Uuid::now_v7().to_string(),
                            expected_count: None,
                            actor: actor.label(),
                            at: now,
                            source: json!({"import": batch, "line": line}),
                        });
                    }
                }
                Err(RegisterError::Invalid(found)) => {
                    for p in found {
                        let field = p.pointer.trim_start_matches('/').split('/').next().unwrap_or_default().to_string();
                        let column = here(&field);
                        line_problems.push(problem(
                            format!("/lines/{line}/{field}"),
                            p.code,
                            format!("第 {line} 行“{column}”：{}", p.message.zh()),
                            format!("Line {line}, “{column}”: {}", p.message.en()),
                        ));
                    }
                }
                Err(other) => return Err(other),
            }
            total_problems += line_problems.len();
            if problems.len() < PROBLEMS_SHOWN {
                problems.extend(line_problems.into_iter().take(PROBLEMS_SHOWN - problems.len()));
            }
        }
        if total_problems > 0 {
            if total_problems > problems.len() {
                problems.push(problem(
                    String::new(),
                    "more_problems",
                    format!("共 {total_problems} 处问题，只列出前 {}", problems.len()),
                    format!("{total_problems} problems in all; the first {} are listed", problems.len()),
                ));
            }
            return Err(RegisterError::Invalid(problems));
        }
        let written = self.store.write_rows(&writes).await?;
        let mut report = ImportReport { rows: written.len(), ignored_columns: ignored, ..ImportReport::default() };
        for w in &written {
            match w.kind {
                Some(RowEventKind::Created) => report.created += 1,
                Some(_) => report.updated += 1,
                None => report.unchanged += 1,
            }
        }
        tracing::info!(register = %register.register.id, rows = report.rows, created = report.created, "register import");
        Ok(report)
    }
}
