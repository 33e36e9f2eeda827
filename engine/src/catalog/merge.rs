//! Differences between app definitions, and the three-way merge of a community's local changes
//! with a new published version.
//!
//! Definitions are compared as JSON, with lists of named things (fields by `key`, steps by `id`,
//! transitions by `from→to`) matched by name rather than position, so that adding a field in
//! one place and changing a step in another never collide. A path names what changed, e.g.
//! `/record/fields/plate/label` (a label in both languages is one value); [`describe`] turns
//! it into a sentence in both languages.
//!
//! The merge takes, at every path, the side that changed (base → mine or base → theirs); when
//! both changed the same value differently it is a [`Conflict`], decided by a resolution for
//! that path if one is given, else left as it was locally and reported.

use std::collections::{BTreeMap, HashSet};

use baida_blocks::Text;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What happened at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference between two definitions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// e.g. `/record/fields/plate/label`.
    pub path: String,
    pub kind: ChangeKind,
    /// Any JSON value (a text, a list, an object…), absent when the change added it.
    pub before: Option<Value>,
    /// Any JSON value, absent when the change removed it.
    pub after: Option<Value>,
    /// The change in one sentence, `{"zh-CN": …, "en": …}`.
    #[schema(value_type = Object)]
    pub summary: Text,
}

/// A value both the community and the new version changed, differently.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub path: String,
    #[schema(value_type = Object)]
    pub base: Option<Value>,
    /// The community's value.
    #[schema(value_type = Object)]
    pub mine: Option<Value>,
    /// The new version's value.
    #[schema(value_type = Object)]
    pub theirs: Option<Value>,
    #[schema(value_type = Object)]
    pub summary: Text,
}

/// Which side wins a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Mine,
    Theirs,
}

/// The outcome of a merge: the definition, and the conflicts left undecided (each kept as the
/// community had it).
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub definition: Value,
    pub conflicts: Vec<Conflict>,
}

/// Every difference from `before` to `after`.
pub fn diff(before: &Value, after: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_at(&mut Vec::new(), Some(before), Some(after), &mut out);
    out
}

/// Merges `mine` and `theirs`, both derived from `base`.
pub fn merge(base: &Value, mine: &Value, theirs: &Value, resolutions: &BTreeMap<String, Side>) -> Merged {
    let mut conflicts = Vec::new();
    let definition = merge_at(&mut Vec::new(), Some(base), Some(mine), Some(theirs), resolutions, &mut conflicts)
        .unwrap_or(Value::Null);
    Merged { definition, conflicts }
}

fn path_of(segments: &[String]) -> String {
    segments.iter().map(|s| format!("/{}", baida_blocks::problem::pointer_token(s))).collect()
}

/// The name of an element of a list of named things: a field's `key`, a step's `id`, a
/// transition's `from→to`.
fn name_of(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    if let Some(k) = o.get("key").or_else(|| o.get("id")).and_then(Value::as_str) {
        return Some(k.to_string());
    }
    match (o.get("from").and_then(Value::as_str), o.get("to").and_then(Value::as_str)) {
        (Some(f), Some(t)) => Some(format!("{f}→{t}")),
        _ => None,
    }
}

/// The list by name, when every element has a distinct name.
fn named(list: &[Value]) -> Option<Vec<(String, &Value)>> {
    let mut seen = HashSet::new();
    list.iter().map(|v| name_of(v).filter(|n| seen.insert(n.clone())).map(|n| (n, v))).collect()
}

fn lookup<'a>(list: &'a Option<Vec<(String, &Value)>>, name: &str) -> Option<&'a Value> {
    list.as_ref()?.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
}

/// A label in both languages, `{"zh-CN": …, "en": …}`: one value when describing changes.
fn is_text(o: &Map<String, Value>) -> bool {
    !o.is_empty() && o.keys().all(|k| k == "zh-CN" || k == "en")
}

fn diff_at(path: &mut Vec<String>, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<Change>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) if !(is_text(b) && is_text(a)) => {
            let keys: Vec<&String> = b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))).collect();
            for k in keys {
                path.push(k.clone());
                diff_at(path, b.get(k), a.get(k), out);
                path.pop();
            }
        }
        (Some(Value::Array(b)), Some(Value::Array(a))) if named(b).is_some() && named(a).is_some() => {
            let (nb, na) = (named(b), named(a));
            let names: Vec<String> = nb
                .iter()
                .flatten()
                .map(|(n, _)| n.clone())
                .chain(na.iter().flatten().map(|(n, _)| n.clone()).filter(|n| lookup(&nb, n).is_none()))
                .collect();
            for n in names {
                path.push(n.clone());
                diff_at(path, lookup(&nb, &n), lookup(&na, &n), out);
                path.pop();
            }
        }
        _ => {
            let kind = match (before, after) {
                (None, _) => ChangeKind::Added,
                (_, None) => ChangeKind::Removed,
                _ => ChangeKind::Changed,
            };
            out.push(Change {
                path: path_of(path),
                kind,
                before: before.cloned(),
                after: after.cloned(),
                summary: describe(path, kind),
            });
        }
    }
}

fn merge_at(
    path: &mut Vec<String>,
    base: Option<&Value>,
    mine: Option<&Value>,
    theirs: Option<&Value>,
    resolutions: &BTreeMap<String, Side>,
    conflicts: &mut Vec<Conflict>,
) -> Option<Value> {
    if mine == theirs || base == theirs {
        return mine.cloned();
    }
    if base == mine {
        return theirs.cloned();
    }
    match (mine, theirs) {
        (Some(Value::Object(m)), Some(Value::Object(t))) if !(is_text(m) && is_text(t)) => {
            let empty = Map::new();
            let b = base.and_then(Value::as_object).unwrap_or(&empty);
            let mut out = Map::new();
            let keys: Vec<&String> = t.keys().chain(m.keys().filter(|k| !t.contains_key(*k))).collect();
            for k in keys {
                path.push(k.clone());
                if let Some(v) = merge_at(path, b.get(k), m.get(k), t.get(k), resolutions, conflicts) {
                    out.insert(k.clone(), v);
                }
                path.pop();
            }
            Some(Value::Object(out))
        }
        (Some(Value::Array(m)), Some(Value::Array(t)))
            if named(m).is_some()
                && named(t).is_some()
                && base.is_none_or(|b| b.as_array().is_some_and(|b| named(b).is_some())) =>
        {
            let (nm, nt) = (named(m), named(t));
            let nb = base.and_then(Value::as_array).and_then(|b| named(b));
            // Their order, with the community's own additions after the item they follow.
            let mut order: Vec<String> = nt.iter().flatten().map(|(n, _)| n.clone()).collect();
            let mut after: Option<String> = None;
            for (n, _) in nm.iter().flatten() {
                if !order.contains(n) {
                    let at =
                        after.as_ref().and_then(|a| order.iter().position(|x| x == a)).map_or(order.len(), |i| i + 1);
                    order.insert(at, n.clone());
                }
                after = Some(n.clone());
            }
            let mut out = Vec::new();
            for n in order {
                path.push(n.clone());
                if let Some(v) =
                    merge_at(path, lookup(&nb, &n), lookup(&nm, &n), lookup(&nt, &n), resolutions, conflicts)
                {
                    out.push(v);
                }
                path.pop();
            }
            Some(Value::Array(out))
        }
        _ => {
            let at = path_of(path);
            match resolutions.get(&at) {
                Some(Side::Theirs) => theirs.cloned(),
                Some(Side::Mine) => mine.cloned(),
                None => {
                    conflicts.push(Conflict {
                        summary: describe(path, ChangeKind::Changed),
                        path: at,
                        base: base.cloned(),
                        mine: mine.cloned(),
                        theirs: theirs.cloned(),
                    });
                    mine.cloned()
                }
            }
        }
    }
}

/// A path in words: "修改 字段“plate”：label" / "Changed field “plate”: label".
pub fn describe(path: &[String], kind: ChangeKind) -> Text {
    let (verb_zh, verb_en) = match kind {
        ChangeKind::Added => ("新增", "Added"),
        ChangeKind::Removed => ("删除", "Removed"),
        ChangeKind::Changed => ("修改", "Changed"),
    };
    let (what_zh, what_en, rest) = match path {
        [r, f, k, rest @ ..] if r == "record" && f == "fields" => (format!("字段“{k}”"), format!("field “{k}”"), rest),
        [r, f, k, rest @ ..] if r == "record" && f == "rules" => (format!("规则“{k}”"), format!("rule “{k}”"), rest),
        [s, k, rest @ ..] if s == "steps" => (format!("步骤“{k}”"), format!("step “{k}”"), rest),
        [t, k, rest @ ..] if t == "transitions" => (format!("流转“{k}”"), format!("transition “{k}”"), rest),
        [] => ("应用".to_string(), "the app".to_string(), &[][..]),
        [k, rest @ ..] => (format!("“{k}”"), format!("“{k}”"), rest),
    };
    if rest.is_empty() {
        Text::new(format!("{verb_zh} {what_zh}"), format!("{verb_en} {what_en}"))
    } else {
        let detail = rest.join(".");
        Text::new(format!("{verb_zh} {what_zh}：{detail}"), format!("{verb_en} {what_en}: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "name": {"zh-CN": "挪车", "en": "Move"},
            "record": {"fields": [
                {"key": "plate", "label": "车牌"},
                {"key": "note", "type": "textarea", "max_length": 300}
            ]},
            "steps": [{"id": "report", "block": "form"}, {"id": "notify", "config": {"template": "a"}}],
            "transitions": [{"from": "report", "to": "notify"}]
        })
    }

    #[test]
    fn differences_are_named_by_key_and_described() {
        let mut after = base();
        after["record"]["fields"][1]["max_length"] = json!(500);
        after["record"]["fields"].as_array_mut().unwrap().insert(0, json!({"key": "rating", "type": "rating"}));
        let changes = diff(&base(), &after);
        let seen: Vec<(&str, ChangeKind, &str)> =
            changes.iter().map(|c| (c.path.as_str(), c.kind, c.summary.zh())).collect();
        assert_eq!(
            seen,
            vec![
                ("/record/fields/note/max_length", ChangeKind::Changed, "修改 字段“note”：max_length"),
                ("/record/fields/rating", ChangeKind::Added, "新增 字段“rating”"),
            ]
        );
        assert_eq!(changes[1].summary.en(), "Added field “rating”");
    }

    #[test]
    fn changes_on_both_sides_in_different_places_merge_cleanly() {
        let mut mine = base();
        mine["record"]["fields"].as_array_mut().unwrap().push(json!({"key": "local_note", "type": "text"}));
        mine["name"]["zh-CN"] = json!("新洲挪车");
        let mut theirs = base();
        theirs["steps"][1]["config"]["template"] = json!("b");
        theirs["record"]["fields"].as_array_mut().unwrap().insert(1, json!({"key": "photos", "type": "photo"}));
        let merged = merge(&base(), &mine, &theirs, &BTreeMap::new());
        assert!(merged.conflicts.is_empty(), "{:?}", merged.conflicts);
        let d = merged.definition;
        assert_eq!(d["name"]["zh-CN"], "新洲挪车");
        assert_eq!(d["steps"][1]["config"]["template"], "b");
        let keys: Vec<&str> =
            d["record"]["fields"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["plate", "photos", "note", "local_note"]);
    }

    #[test]
    fn the_same_value_changed_differently_is_a_conflict_until_resolved() {
        let mut mine = base();
        mine["steps"][1]["config"]["template"] = json!("mine");
        let mut theirs = base();
        theirs["steps"][1]["config"]["template"] = json!("theirs");
        let merged = merge(&base(), &mine, &theirs, &BTreeMap::new());
        assert_eq!(merged.conflicts.len(), 1);
        let c = &merged.conflicts[0];
        assert_eq!(c.path, "/steps/notify/config/template");
        assert_eq!((c.mine.clone(), c.theirs.clone()), (Some(json!("mine")), Some(json!("theirs"))));
        assert_eq!(c.summary.en(), "Changed step “notify”: config.template");
        assert_eq!(merged.definition["steps"][1]["config"]["template"], "mine");
        let pick = BTreeMap::from([("/steps/notify/config/template".to_string(), Side::Theirs)]);
        let merged = merge(&base(), &mine, &theirs, &pick);
        assert!(merged.conflicts.is_empty());
        assert_eq!(merged.definition["steps"][1]["config"]["template"], "theirs");
    }

    #[test]
    fn a_removal_against_a_change_is_a_conflict_and_an_untouched_removal_applies() {
        let mut mine = base();
        mine["record"]["fields"].as_array_mut().unwrap().remove(1);
        let mut theirs = base();
        theirs["record"]["fields"][1]["max_length"] = json!(500);
        let merged = merge(&base(), &mine, &theirs, &BTreeMap::new());
        assert_eq!(merged.conflicts.len(), 1, "{:?}", merged.conflicts);
        assert_eq!(merged.conflicts[0].path, "/record/fields/note");
        let mut theirs = base();
        theirs["transitions"] = json!([]);
        let merged = merge(&base(), &base(), &theirs, &BTreeMap::new());
        assert_eq!(merged.definition["transitions"], json!([]));
    }
}
