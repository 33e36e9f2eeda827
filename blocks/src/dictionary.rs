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

/// One dictionary field: a [`Field`] whose key is `category.name`, with its sensitivity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DictField {
    #[serde(flatten)]
    pub field: Field,
    #[serde(default)]
    pub sensitivity: Sensitivity,
    /// Scenarios (e.g. `new-resident`, `complaint`) that use this field.
    #[serde(default)]
    pub scenarios: Vec<String>,
}

/// A category of the dictionary with its fields and code lists, as stored in one data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    pub fn field(&self, key: &str) -> Option<&DictField> {
        self.fields.get(key)
    }

    pub fn code_list(&self, key: &str) -> Option<&[Choice]> {
        self.code_lists.get(key).map(Vec::as_slice)
    }
}
