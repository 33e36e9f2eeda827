//! # baida-designer
//!
//! The web designer where grid workers build apps by dragging blocks: native ES modules and
//! Web Components (no build step, no CDN, no third-party JavaScript), served from the binary,
//! and the JSON the editor is generated from — the block palette with each block's config
//! JSON Schema, and each field type's schema — so a new block kind gets its property panel
//! with no designer code.
//!
//! Architecture invariant: this crate depends on `baida-blocks` only and never on the
//! runtime's storage or on HTTP (`baida_web::designer` serves what it gives); the editor talks to the runtime's JSON API (`/api/v1/drafts`,
//! `/api/v1/apps/preview`, `/api/v1/apps/test-run`, …) like any other client.
//!
//! Reading order of the assets: `editor.js` (the editor element: state, undo, autosave),
//! `model.js` (pure edits of a definition), `canvas.js`, `palette.js`, `schema-form.js` (the
//! generic property panel), `drag.js` (pointer-event drag and drop), `panels.js` (preview,
//! problems, history, test run), `list.js` (the app list), `api.js`, `i18n.js`.

use baida_blocks::FieldType;
use serde_json::{Value, json};

/// Every asset: (file name, content type, content).
const ASSETS: &[(&str, &str, &str)] = &[
    ("designer.css", "text/css; charset=utf-8", include_str!("../assets/designer.css")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../assets/api.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_str!("../assets/i18n.js")),
    ("list.js", "text/javascript; charset=utf-8", include_str!("../assets/list.js")),
    ("editor.js", "text/javascript; charset=utf-8", include_str!("../assets/editor.js")),
    ("model.js", "text/javascript; charset=utf-8", include_str!("../assets/model.js")),
    ("canvas.js", "text/javascript; charset=utf-8", include_str!("../assets/canvas.js")),
    ("palette.js", "text/javascript; charset=utf-8", include_str!("../assets/palette.js")),
    ("schema-form.js", "text/javascript; charset=utf-8", include_str!("../assets/schema-form.js")),
    ("drag.js", "text/javascript; charset=utf-8", include_str!("../assets/drag.js")),
    ("panels.js", "text/javascript; charset=utf-8", include_str!("../assets/panels.js")),
];

/// The app list page (`/designer`).
pub const LIST_PAGE: &str = include_str!("../assets/index.html");

/// The editor page (`/designer/apps/{app}`).
pub const EDITOR_PAGE: &str = include_str!("../assets/editor.html");

/// An asset by file name: its content type and content.
pub fn asset(file: &str) -> Option<(&'static str, &'static str)> {
    ASSETS.iter().find(|(name, ..)| *name == file).map(|(_, content_type, body)| (*content_type, *body))
}

/// Every block kind with its names, help and config schema (`/designer/blocks.json`).
pub fn blocks() -> Value {
    serde_json::to_value(baida_blocks::block::all()).unwrap_or(Value::Null)
}

/// The schemas of an app's messages, registers and schedules (`/designer/app-parts.json`).
pub fn app_parts() -> Value {
    baida_blocks::property::app_parts()
}

/// Every field type with its name and its schema (only the properties it can have).
pub fn field_types() -> Value {
    Value::Array(
        FieldType::ALL
            .iter()
            .map(|t| json!({"id": t.id(), "name": t.name(), "schema": baida_blocks::property::field_type_schema(*t)}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_pages_import_is_served() {
        let pages = [LIST_PAGE, EDITOR_PAGE];
        let mut sources: Vec<&str> = pages.to_vec();
        sources.extend(ASSETS.iter().map(|(_, _, body)| *body));
        for src in sources {
            for part in src.split("/designer/assets/").skip(1).chain(src.split("from './").skip(1)) {
                let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '.' || *c == '-').collect();
                assert!(ASSETS.iter().any(|(n, ..)| *n == name), "{name} is imported but not served");
            }
        }
    }

    #[test]
    fn the_app_parts_have_labelled_properties() {
        let parts = app_parts();
        for part in ["messages", "registers", "schedule"] {
            let props = parts[part]["properties"].as_object().unwrap_or_else(|| panic!("{part} has properties"));
            for (name, p) in props {
                assert!(p.get("x-label").is_some(), "{part}.{name} has no label");
            }
        }
        assert_eq!(parts["registers"]["properties"]["key"]["x-label"]["zh-CN"], "编号字段");
    }

    #[test]
    fn every_field_type_has_a_schema() {
        let types = field_types();
        assert_eq!(types.as_array().map(Vec::len), Some(FieldType::ALL.len()));
        assert!(types[0]["schema"]["properties"]["label"]["x-label"]["zh-CN"].is_string());
    }
}
