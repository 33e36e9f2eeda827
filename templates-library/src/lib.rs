//! # baida-catalog
//!
//! Baida's built-in content, as data: the district **data dictionary** (shared field
//! definitions and code lists, one JSON file per category under `dictionary/`) and the
//! **reference apps** (complete app definitions under `apps/`, such as 民意速办, 新邻护航 and
//! 挪车e站) that seed a new deployment's catalog and serve as worked examples.
//!
//! The files are compiled into the crate with `include_str!`, so the binary carries them and
//! nothing is read from disk at run time. This crate only loads them: [`dictionary`] assembles
//! a [`Dictionary`] (with the scenarios of `scenarios.json`), [`apps`] and [`app_docs`] hand out the app definitions, which the caller
//! compiles with [`baida_blocks::App::compile`].
//!
//! Architecture invariant: this crate depends on `baida-blocks` (and serde_json) only. It knows
//! nothing of HTTP, SQL, tenants or clocks; installing an app into a community is the runtime's
//! business.
//!
//! The built-in data is checked by this crate's tests: every dictionary file loads, every field
//! is labelled in both languages, and every reference app compiles against the dictionary and
//! accepts a realistic set of answers. Loading it can therefore only fail on a build whose
//! tests fail, and the loaders panic with a clear message rather than return an error.

use baida_blocks::{Dictionary, DictionaryPart, Scenario, ScenarioList};
use serde_json::Value;

/// The version of the built-in data dictionary, `YEAR.RELEASE`. Bump it whenever a file under
/// `dictionary/` changes, so that compiled apps can say which dictionary they were checked with.
pub const DICTIONARY_VERSION: &str = "2026.2";

/// The dictionary files, one per category, in the order the dictionary lists its categories.
const DICTIONARY_FILES: [(&str, &str); 7] = [
    ("people.json", include_str!("../dictionary/people.json")),
    ("household.json", include_str!("../dictionary/household.json")),
    ("housing.json", include_str!("../dictionary/housing.json")),
    ("business.json", include_str!("../dictionary/business.json")),
    ("vehicle.json", include_str!("../dictionary/vehicle.json")),
    ("complaint.json", include_str!("../dictionary/complaint.json")),
    ("service.json", include_str!("../dictionary/service.json")),
];

/// The high-frequency scenarios whose fields the dictionary lists.
const SCENARIOS_FILE: &str = include_str!("../scenarios.json");

/// The JSON Schema of a dictionary file, as committed (generated from
/// [`baida_blocks::DictionaryPart`]; a test fails when it is stale).
pub const DICTIONARY_SCHEMA_JSON: &str = include_str!("../schema/dictionary.schema.json");

/// The JSON Schema of `scenarios.json`, as committed.
pub const SCENARIOS_SCHEMA_JSON: &str = include_str!("../schema/scenarios.schema.json");

/// The reference apps, in catalog order.
const APP_FILES: [(&str, &str); 4] = [
    ("minyi-suban.json", include_str!("../apps/minyi-suban.json")),
    ("xinlin-huhang.json", include_str!("../apps/xinlin-huhang.json")),
    ("nuoche-e-zhan.json", include_str!("../apps/nuoche-e-zhan.json")),
    ("ti-ping-jue-fu.json", include_str!("../apps/ti-ping-jue-fu.json")),
];

/// The dictionary's parts, one per category, as stored.
///
/// # Panics
///
/// If a built-in dictionary file is not a valid [`DictionaryPart`]; the tests rule that out.
pub fn dictionary_parts() -> Vec<DictionaryPart> {
    DICTIONARY_FILES
        .iter()
        .map(|(file, json)| {
            serde_json::from_str(json).unwrap_or_else(|e| {
                panic!("built-in dictionary file templates-library/dictionary/{file} is invalid: {e}")
            })
        })
        .collect()
}

/// The built-in data dictionary, version [`DICTIONARY_VERSION`], with field and code-list keys
/// qualified as `category.name` (e.g. `vehicle.plate_number`, `complaint.category`).
///
/// # Panics
///
/// As [`dictionary_parts`].
pub fn dictionary() -> Dictionary {
    Dictionary::from_parts(DICTIONARY_VERSION, dictionary_parts()).with_scenarios(scenarios())
}

/// The scenarios, in the order of `scenarios.json`.
///
/// # Panics
///
/// If `scenarios.json` is not a valid [`ScenarioList`]; the tests rule that out.
pub fn scenarios() -> Vec<Scenario> {
    let list: ScenarioList = serde_json::from_str(SCENARIOS_FILE)
        .unwrap_or_else(|e| panic!("built-in templates-library/scenarios.json is invalid: {e}"));
    list.scenarios
}

/// A reference app as stored: its file name under `templates-library/apps/` and its JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateApp {
    /// The file name, e.g. `nuoche-e-zhan.json`.
    pub file: &'static str,
    /// The app definition, exactly as in the file.
    pub json: &'static str,
}

/// Every reference app, in catalog order.
pub fn apps() -> Vec<TemplateApp> {
    APP_FILES.iter().map(|&(file, json)| TemplateApp { file, json }).collect()
}

/// Every reference app as (file name, parsed app definition), ready for
/// [`baida_blocks::App::compile`].
///
/// # Panics
///
/// If a built-in app file is not JSON; the tests rule that out.
pub fn app_docs() -> Vec<(&'static str, Value)> {
    apps()
        .into_iter()
        .map(|app| {
            let doc = serde_json::from_str(app.json)
                .unwrap_or_else(|e| panic!("built-in app templates-library/apps/{} is not JSON: {e}", app.file));
            (app.file, doc)
        })
        .collect()
}
