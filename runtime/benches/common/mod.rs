//! What the benchmarks share: the request they send.

use serde_json::{Value, json};

/// A realistic 民意速办 report, as in `tests/src/lib.rs` (`minyi_answers`).
pub fn minyi_answers() -> Value {
    json!({
        "category": "city_appearance",
        "subcategory": "garbage",
        "title": "小区门口垃圾三天没人清运",
        "description": "新洲花园东门垃圾桶满溢三天，气味很大，请尽快安排清运。",
        "location": {"lon": 114.0513, "lat": 22.5121, "address": "新洲花园东门"},
        "anonymous": false,
        "contact_name": "李明",
        "contact_phone": "13812345678"
    })
}
