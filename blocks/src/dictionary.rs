//! The data dictionary: shared field definitions (一次录入，多方共享) and code lists.
//!
//! Dictionary fields are keyed `category.name` (e.g. `vehicle.plate_number`); app fields
//! reference them with `dict` and inherit their type, labels, limits and options. Code lists
//! (e.g. `complaint.category`) give the options of select fields through `options_dict`.
//! The data lives in `templates-library/dictionary/`; this module is only the model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Choice, Field, Text};

/// How carefully a field's values must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// May be published.
    Public,
    /// Staff only.
    #[default]
    Internal,
    /// Personal data: masked for roles without need to know.
    Personal,
    /// Sensitive personal data (ID numbers, faces, health): masked and never logged.
    Sensitive,
}

/// Whose profile remembers a dictionary field's values between apps (一次录入，多方共享).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileScope {
    /// The resident's own profile (their name, phone, car).
    Resident,
    /// Their household's, shared by everyone registered at the same home (its address, size,
    /// tenure).
    Household,
}

/// One dictionary field: a [`Field`] whose key is `category.name`, with its sensitivity.
/// Both the sensitivity and the scenarios must be stated in the data files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DictField {
    #[serde(flatten)]
    pub field: Field,
    pub sensitivity: Sensitivity,
    /// Scenarios (e.g. `new-resident`, `complaint`) that use this field.
    pub scenarios: Vec<String>,
    /// Whose profile keeps its values; absent for what a case is about (a complaint's title,
    /// a visit's note), which no profile keeps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileScope>,
}

/// A high-frequency scenario of community work (e.g. `move-car`, `rental-registration`):
/// the dictionary lists the fields each one uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    /// The category it belongs to.
    pub category: String,
    pub name: Text,
    pub description: Text,
}

/// The list of scenarios, as stored in `templates-library/scenarios.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioList {
    pub scenarios: Vec<Scenario>,
}

/// A category of the dictionary with its fields and code lists, as stored in one data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DictionaryPart {
    pub category: String,
    pub name: Text,
    #[serde(default)]
    pub fields: Vec<DictField>,
    #[serde(default)]
    pub code_lists: BTreeMap<String, Vec<Choice>>,
}

/// The whole dictionary, one version of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dictionary {
    pub version: String,
    pub categories: Vec<(String, Text)>,
    pub fields: BTreeMap<String, DictField>,
    pub code_lists: BTreeMap<String, Vec<Choice>>,
    pub scenarios: Vec<Scenario>,
}

/// The JSON Schema (2020-12) of one dictionary data file, generated from [`DictionaryPart`].
pub fn part_schema() -> serde_json::Value {
    use schemars::{SchemaGenerator, generate::SchemaSettings};
    let mut schema =
        SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<DictionaryPart>().to_value();
    // In an app a field may leave its type, label and help to the dictionary; in the
    // dictionary itself they must be stated.
    if let Some(serde_json::Value::Array(required)) = schema.pointer_mut("/$defs/DictField/required") {
        required.extend(["type", "label", "help"].map(serde_json::Value::from));
    }
    schema
}

/// The JSON Schema (2020-12) of the scenario list, generated from [`ScenarioList`].
pub fn scenarios_schema() -> serde_json::Value {
    use schemars::{SchemaGenerator, generate::SchemaSettings};
    SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<ScenarioList>().to_value()
}

impl Dictionary {
    /// Assembles a dictionary from its parts. Field and code-list keys are prefixed with
    /// their part's category when they are not already.
    pub fn from_parts(version: impl Into<String>, parts: Vec<DictionaryPart>) -> Dictionary {
        let mut dict = Dictionary { version: version.into(), ..Dictionary::default() };
        for part in parts {
            let prefix = format!("{}.", part.category);
            let qualify = |k: String| if k.starts_with(&prefix) { k } else { format!("{prefix}{k}") };
            for mut f in part.fields {
                f.field.key = qualify(f.field.key);
                dict.fields.insert(f.field.key.clone(), f);
            }
            for (k, list) in part.code_lists {
                dict.code_lists.insert(qualify(k), list);
            }
            dict.categories.push((part.category, part.name));
        }
        dict
    }

    /// The same dictionary with its scenarios.
    pub fn with_scenarios(mut self, scenarios: Vec<Scenario>) -> Dictionary {
        self.scenarios = scenarios;
        self
    }

    pub fn field(&self, key: &str) -> Option<&DictField> {
        self.fields.get(key)
    }

    pub fn code_list(&self, key: &str) -> Option<&[Choice]> {
        self.code_lists.get(key).map(Vec::as_slice)
    }
}
