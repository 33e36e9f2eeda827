//! Exports of a community's entries: CSV (UTF-8 with a BOM, so spreadsheet programs read the
//! Chinese) and XLSX.

use rust_xlsxwriter::{Format, Workbook};

use super::entry::{Entry, account_name};

const HEADER: [&str; 10] = [
    "序号 Leaf",
    "日期 Date",
    "账户 Account",
    "收支 Direction",
    "金额 Amount (CNY)",
    "对方 Counterparty",
    "用途 Purpose",
    "来源 Source",
    "案件 Case",
    "凭证 Evidence",
];

fn row(e: &Entry) -> [String; 10] {
    let direction = match e.direction {
        super::entry::Direction::Income => "收入 income",
        super::entry::Direction::Expense => "支出 expense",
    };
    [
        e.leaf_index.to_string(),
        e.booked_on.format("%Y-%m-%d").to_string(),
        account_name(&e.account).zh().to_string(),
        direction.to_string(),
        e.amount.clone(),
        e.counterparty.clone(),
        e.purpose.clone(),
        e.source.as_str().to_string(),
        e.case_id.clone().unwrap_or_default(),
        e.evidence.join(" "),
    ]
}

/// A cell as a spreadsheet program will show it, never run it: text that starts like a
/// formula (`=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, the way
/// OWASP's "CSV injection" advice says, so `=HYPERLINK(…)` typed as a counterparty stays text.
pub fn inert_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The entries as CSV, UTF-8 with a byte-order mark. Every cell is an [`inert_cell`].
pub fn csv(entries: &[Entry]) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut writer = csv::Writer::from_writer(&mut out);
    let _ = writer.write_record(HEADER);
    for e in entries {
        let _ = writer.write_record(row(e).iter().map(|c| inert_cell(c).into_owned()));
    }
    drop(writer);
    out
}

/// The entries as an XLSX workbook (amounts as numbers with two decimals).
pub fn xlsx(entries: &[Entry]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("账目 Entries")?;
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("0.00");
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, e) in entries.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row(e).iter().enumerate() {
            if c == 4 {
                sheet.write_number_with_format(r, 4, e.amount_fen.0 as f64 / 100.0, &money)?;
            } else {
                sheet.write_string(r, c as u16, value)?;
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::inert_cell;

    #[test]
    fn cells_that_start_like_a_formula_stay_text() {
        for (typed, shown) in [
            ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("维修 = 换灯", "维修 = 换灯"),
            ("", ""),
        ] {
            assert_eq!(inert_cell(typed), shown, "{typed}");
        }
    }
}
