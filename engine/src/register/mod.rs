//! Registers (台账) at work: the rows an app's registers keep per community, as staff read,
//! search, add, change and remove them on the register page and the API, with who may do what
//! (the register's `access`, held at the row's grid or community or above) and personal values
//! masked as in cases. A register's definition is always its app's **latest** version's.
//!
//! - `step`: the `register` block, a case writing a row with its transition.
//! - `import`: CSV and XLSX files checked whole, then written in one transaction.
//! - `export`: CSV (with a BOM, for Excel) and XLSX.
//! - `relation`: the rows a relation field offers, and what a case keeps of the row it links.

pub mod export;
pub mod import;
pub mod relation;
mod step;

use std::collections::BTreeSet;

use baida_blocks::form::evaluate;
use baida_blocks::{CompiledField, CompiledRegister, FieldType, Problem, RowAccess, Text};
use baida_core::kinds::UnitKind;
use baida_core::register::{Mode, Row, RowEvent, RowWrite};
use baida_store::{self as store, RowQuery, Wanted};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::Engine;
use crate::access::needs_to_know_at;
use crate::apps::{self, Loaded};
use crate::auth::mask::{self, Masking};
use crate::auth::{Actor, OrgTree, Role, is_within, subtree};

pub use step::{KEY_MAX, key_text};

/// The most rows a page shows.
pub const PAGE_SIZE_MAX: i64 = 200;

/// Why a register operation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// No such app, register or row — or one the actor may not read: the two look alike.
    #[error("not found")]
    NotFound,
    /// The actor may read the register but not do this.
    #[error("{}", .0.en())]
    Forbidden(Text),
    /// The values (or the file) have problems, each with its pointer; nothing was written.
    #[error("{} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    App(#[from] apps::Error),
    #[error(transparent)]
    Store(#[from] store::Error),
}

/// A register an actor may read, for lists.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterSummary {
    pub app_id: String,
    pub app_name: Value,
    pub register_id: String,
    pub name: Text,
    pub description: Option<Text>,
}

/// What an actor may do with a register (somewhere).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct RowMay {
    pub create: bool,
    pub update: bool,
    pub import: bool,
    pub export: bool,
}

/// A register as loaded for one request: the app's latest version and the register in it.
pub struct Opened {
    pub loaded: Loaded,
    index: usize,
}

impl Opened {
    pub fn register(&self) -> &CompiledRegister {
        &self.loaded.compiled.registers[self.index]
    }

    /// May the actor do `what` with rows at `unit`? Only where the app is offered (its owner's
    /// unit and below), and only with one of the roles the register grants it.
    pub fn may(&self, actor: &Actor, what: RowAccess, unit: &str, tree: &OrgTree) -> bool {
        is_within(tree, unit, &self.loaded.meta.owner_id) && may_at(actor, self.register(), what, unit, tree)
    }

    /// Every unit where the actor may do `what` with rows: within the app's owner, where they
    /// hold a role the register grants it (all of the owner's units for the operator's token).
    pub fn units(&self, actor: &Actor, what: RowAccess, tree: &OrgTree) -> Vec<String> {
        let within = subtree(tree, &self.loaded.meta.owner_id);
        match units_where(actor, self.register(), what, tree) {
            None => within,
            Some(units) => units.into_iter().filter(|u| within.contains(u)).collect(),
        }
    }

    /// The fields that hold a value, in order: the register's columns.
    pub fn columns(&self) -> Vec<&CompiledField> {
        self.register().fields.iter().filter(|f| f.ty.holds_value()).collect()
    }
}

/// A page of rows as the actor may see them.
#[derive(Debug, Clone, Serialize)]
pub struct RowsPage {
    pub rows: Vec<Row>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    pub may: RowMay,
}

/// What staff ask of a page of rows.
#[derive(Debug, Clone, Default)]
pub struct RowsAsked {
    pub search: Option<String>,
    pub filters: Vec<(String, String)>,
    pub sort: Option<(String, bool)>,
    pub offset: i64,
    pub limit: i64,
}

/// A row's values as staff enter them, to make a row or change one.
#[derive(Debug, Clone, Default)]
pub struct RowInput {
    /// The grid or community the row belongs to (for a new row).
    pub unit: Option<String>,
    /// Field → value; a `null` clears a value. For a change, only the fields to change.
    pub values: Map<String, Value>,
    /// For a change: the row's revision (`event_count`) as the person saw it.
    pub expected_count: Option<i64>,
}

impl Engine {
    /// The register `register_id` of app `app_id`'s latest version.
    pub async fn open_register(&self, app_id: &str, register_id: &str) -> Result<Opened, RegisterError> {
        let loaded = self.apps.load(app_id, None).await?.ok_or(RegisterError::NotFound)?;
        let index = loaded
            .compiled
            .registers
            .iter()
            .position(|r| r.register.id == register_id)
            .ok_or(RegisterError::NotFound)?;
        Ok(Opened { loaded, index })
    }

    /// Every register the actor may read somewhere, by app.
    pub async fn registers_for(&self, actor: &Actor) -> Result<Vec<RegisterSummary>, RegisterError> {
        let tree = self.org_tree().await?;
        let mut out = Vec::new();
        for app in self.apps.summaries().await? {
            let Some(loaded) = self.apps.load(&app.app_id, None).await? else { continue };
            for (index, r) in loaded.compiled.registers.iter().enumerate() {
                let opened = Opened { loaded: loaded.clone(), index };
                if !opened.units(actor, RowAccess::Read, &tree).is_empty() {
                    out.push(RegisterSummary {
                        app_id: app.app_id.clone(),
                        app_name: app.name.clone(),
                        register_id: r.register.id.clone(),
                        name: r.register.name.clone(),
                        description: r.register.description.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// A page of a register's rows the actor may read, searched, filtered and sorted, each as
    /// they may see it.
    pub async fn register_rows(
        &self,
        actor: &Actor,
        opened: &Opened,
        asked: RowsAsked,
    ) -> Result<RowsPage, RegisterError> {
        let tree = self.org_tree().await?;
        let register = opened.register();
        let units = Some(opened.units(actor, RowAccess::Read, &tree));
        if units.as_ref().is_some_and(Vec::is_empty) {
            return Err(RegisterError::NotFound);
        }
        let known = |k: &str| register.fields.iter().any(|f| f.field.key == k && f.ty.holds_value());
        let mut problems = Vec::new();
        for k in asked.filters.iter().map(|(k, _)| k).chain(asked.sort.iter().map(|(k, _)| k)) {
            if !known(k) {
                problems.push(Problem::new(
                    format!("/{k}"),
                    "unknown_field",
                    Text::new(format!("台账没有字段“{k}”"), format!("The register has no field “{k}”")),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(RegisterError::Invalid(problems));
        }
        let limit = if asked.limit <= 0 { 50 } else { asked.limit.min(PAGE_SIZE_MAX) };
        let page = self
            .store
            .rows(&RowQuery {
                app_id: opened.loaded.meta.app_id.clone(),
                register_id: register.register.id.clone(),
                units,
                search: asked.search.filter(|s| !s.trim().is_empty()),
                filters: asked
                    .filters
                    .into_iter()
                    .map(|(k, v)| {
                        let yes_no = register.fields.iter().any(|f| f.field.key == k && f.ty == FieldType::YesNo);
                        let wanted = match v.as_str() {
                            "true" | "yes" | "是" if yes_no => Wanted::Bool(true),
                            "false" | "no" | "否" if yes_no => Wanted::Bool(false),
                            _ => Wanted::Text(v),
                        };
                        (k, wanted)
                    })
                    .collect(),
                sort: asked.sort,
                offset: asked.offset.max(0),
                limit,
            })
            .await?;
        let mut rows = page.rows;
        for row in &mut rows {
            self.mask_row(actor, opened, row, &tree);
        }
        Ok(RowsPage {
            rows,
            total: page.total,
            offset: asked.offset.max(0),
            limit,
            may: self.may(actor, opened, &tree),
        })
    }

    /// What the actor may do with the register somewhere.
    fn may(&self, actor: &Actor, opened: &Opened, tree: &OrgTree) -> RowMay {
        let somewhere = |what| !opened.units(actor, what, tree).is_empty();
        RowMay {
            create: somewhere(RowAccess::Create),
            update: somewhere(RowAccess::Update),
            import: somewhere(RowAccess::Import),
            export: somewhere(RowAccess::Export),
        }
    }

    /// The row and its history, if the actor may read it (else `NotFound`), as they may see
    /// them.
    pub async fn register_row(
        &self,
        actor: &Actor,
        opened: &Opened,
        row_id: &str,
    ) -> Result<(Row, Vec<RowEvent>, RowMay), RegisterError> {
        let tree = self.org_tree().await?;
        let mut row = self.readable_row(actor, opened, row_id, &tree).await?;
        let mut events = self.store.row_events(&row.id).await?;
        if !needs_to_know_at(actor, &opened.loaded.compiled.app.access, row_unit(&row), &tree) {
            let masks = crate::access::field_masks(&opened.register().fields.iter().collect::<Vec<_>>());
            for e in &mut events {
                for key in ["before", "after"] {
                    if let Some(Value::Object(m)) = e.data.get(key) {
                        e.data[key] = Value::Object(mask::mask_record(m, &masks));
                    }
                }
            }
        }
        self.mask_row(actor, opened, &mut row, &tree);
        let unit = row_unit(&row).to_string();
        let may = RowMay {
            create: opened.may(actor, RowAccess::Create, &unit, &tree),
            update: opened.may(actor, RowAccess::Update, &unit, &tree),
            import: opened.may(actor, RowAccess::Import, &unit, &tree),
            export: opened.may(actor, RowAccess::Export, &unit, &tree),
        };
        Ok((row, events, may))
    }

    async fn readable_row(
        &self,
        actor: &Actor,
        opened: &Opened,
        row_id: &str,
        tree: &OrgTree,
    ) -> Result<Row, RegisterError> {
        let row = self.store.row(row_id).await?.ok_or(RegisterError::NotFound)?;
        let ours = row.app_id == opened.loaded.meta.app_id && row.register_id == opened.register().register.id;
        if !ours || row.deleted_at.is_some() || !opened.may(actor, RowAccess::Read, row_unit(&row), tree) {
            return Err(RegisterError::NotFound);
        }
        Ok(row)
    }

    fn mask_row(&self, actor: &Actor, opened: &Opened, row: &mut Row, tree: &OrgTree) {
        if !needs_to_know_at(actor, &opened.loaded.compiled.app.access, row_unit(row), tree) {
            let masks = crate::access::field_masks(&opened.register().fields.iter().collect::<Vec<_>>());
            row.values = mask::mask_record(&row.values, &masks);
            // The key may itself be personal (a phone number).
            if let Some((_, Masking::Value(how))) = masks.iter().find(|(k, _)| k == &opened.register().register.key) {
                row.key =
                    mask::mask_value(&Value::String(row.key.clone()), *how).as_str().unwrap_or_default().to_string();
            }
        }
    }

    /// Makes a row from staff's values, in the grid or community `input.unit`.
    pub async fn create_row(&self, actor: &Actor, opened: &Opened, input: RowInput) -> Result<Row, RegisterError> {
        let tree = self.org_tree().await?;
        let register = opened.register();
        let unit = input.unit.clone().ok_or_else(|| {
            RegisterError::Invalid(vec![Problem::new(
                "/unit",
                "required",
                Text::new("请选择这一行所属的社区或网格", "Choose the community or grid the row belongs to"),
            )])
        })?;
        let (community_id, grid_id) = community_of(&unit, &tree).ok_or_else(|| {
            RegisterError::Invalid(vec![Problem::new(
                "/unit",
                "unknown_unit",
                Text::new(format!("“{unit}”不是社区或网格"), format!("“{unit}” is not a community or a grid")),
            )])
        })?;
        if !opened.may(actor, RowAccess::Read, &unit, &tree) {
            return Err(RegisterError::NotFound);
        }
        if !opened.may(actor, RowAccess::Create, &unit, &tree) {
            return Err(forbidden(RowAccess::Create));
        }
        let values = self.checked_values(register, &Map::new(), &input.values, "/values")?;
        let key = values.get(&register.register.key).and_then(key_text).ok_or_else(|| {
            RegisterError::Invalid(vec![Problem::new(
                format!("/values/{}", register.register.key),
                "required",
                Text::new("请填写编号", "The key is required"),
            )])
        })?;
        let write = RowWrite {
            app_id: opened.loaded.meta.app_id.clone(),
            register_id: register.register.id.clone(),
            community_id,
            grid_id,
            key,
            mode: Mode::Create,
            set: values,
            add: Vec::new(),
            append: Vec::new(),
            new_id: Uuid::now_v7().to_string(),
            expected_count: None,
            actor: actor.label(),
            at: self.clock.now(),
            source: json!({"staff": true}),
        };
        let mut written = self.store.write_rows(&[write]).await?;
        let mut row = written.remove(0).row;
        self.mask_row(actor, opened, &mut row, &tree);
        Ok(row)
    }

    /// Changes the values `input` names of a row (its key stays), if it is still at the
    /// revision the person saw.
    pub async fn update_row(
        &self,
        actor: &Actor,
        opened: &Opened,
        row_id: &str,
        input: RowInput,
    ) -> Result<Row, RegisterError> {
        let tree = self.org_tree().await?;
        let register = opened.register();
        let row = self.readable_row(actor, opened, row_id, &tree).await?;
        if !opened.may(actor, RowAccess::Update, row_unit(&row), &tree) {
            return Err(forbidden(RowAccess::Update));
        }
        if let Some(v) = input.values.get(&register.register.key)
            && key_text(v).as_deref() != Some(row.key.as_str())
        {
            return Err(RegisterError::Invalid(vec![Problem::new(
                format!("/values/{}", register.register.key),
                "key_changed",
                Text::new("编号不能修改；请新建一行", "The key cannot change; make a new row instead"),
            )]));
        }
        // A personal value shown masked and sent back unchanged (the edit form holds what the
        // person saw) is no change: it must not overwrite the real one.
        let mut changes = input.values;
        if !needs_to_know_at(actor, &opened.loaded.compiled.app.access, row_unit(&row), &tree) {
            let masks = crate::access::field_masks(&register.fields.iter().collect::<Vec<_>>());
            let shown = mask::mask_record(&row.values, &masks);
            changes.retain(|k, v| !(masks.iter().any(|(m, _)| m == k) && shown.get(k) == Some(v)));
        }
        let values = self.checked_values(register, &row.values, &changes, "/values")?;
        let mut set = values.clone();
        for k in row.values.keys().filter(|k| !values.contains_key(*k)) {
            set.insert(k.clone(), Value::Null);
        }
        let expected = input.expected_count.or(Some(row.event_count));
        let write = self.staff_write(actor, &row, Mode::Update, set, expected);
        let mut written = self.store.write_rows(&[write]).await?;
        let mut row = written.remove(0).row;
        self.mask_row(actor, opened, &mut row, &tree);
        Ok(row)
    }

    /// A change staff make to an existing row, by its key in its community.
    fn staff_write(
        &self,
        actor: &Actor,
        row: &Row,
        mode: Mode,
        set: Map<String, Value>,
        expected: Option<i64>,
    ) -> RowWrite {
        RowWrite {
            app_id: row.app_id.clone(),
            register_id: row.register_id.clone(),
            community_id: row.community_id.clone(),
            grid_id: None,
            key: row.key.clone(),
            mode,
            set,
            add: Vec::new(),
            append: Vec::new(),
            new_id: Uuid::now_v7().to_string(),
            expected_count: expected,
            actor: actor.label(),
            at: self.clock.now(),
            source: json!({"staff": true}),
        }
    }

    /// Removes a row from the register (its history stays; cases that link it keep their copy).
    pub async fn delete_row(
        &self,
        actor: &Actor,
        opened: &Opened,
        row_id: &str,
        expected_count: Option<i64>,
    ) -> Result<(), RegisterError> {
        let tree = self.org_tree().await?;
        let row = self.readable_row(actor, opened, row_id, &tree).await?;
        if !opened.may(actor, RowAccess::Update, row_unit(&row), &tree) {
            return Err(forbidden(RowAccess::Update));
        }
        let write = self.staff_write(actor, &row, Mode::Delete, Map::new(), expected_count.or(Some(row.event_count)));
        self.store.write_rows(&[write]).await?;
        Ok(())
    }

    /// The row's values after `changes` over `before` (fields the register no longer has
    /// dropped), checked like a form: types, required, limits, formats, options. Problems
    /// point at `{prefix}/{field}`.
    pub(crate) fn checked_values(
        &self,
        register: &CompiledRegister,
        before: &Map<String, Value>,
        changes: &Map<String, Value>,
        prefix: &str,
    ) -> Result<Map<String, Value>, RegisterError> {
        let fields: Vec<&CompiledField> = register.fields.iter().collect();
        let mut problems = Vec::new();
        let mut answers: Map<String, Value> = before
            .iter()
            .filter(|(k, _)| fields.iter().any(|f| &f.field.key == *k && f.compute.is_none()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in changes {
            if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
                answers.remove(k);
            } else {
                answers.insert(k.clone(), v.clone());
            }
        }
        let ev = evaluate(&fields, &[], &Value::Object(answers), self.today());
        for mut p in ev.errors {
            p.pointer = format!("{prefix}{}", p.pointer);
            problems.push(p);
        }
        if problems.is_empty() { Ok(ev.record) } else { Err(RegisterError::Invalid(problems)) }
    }
}

fn forbidden(what: RowAccess) -> RegisterError {
    let (zh, en) = match what {
        RowAccess::Read => ("你不能查看这本台账", "You may not read this register"),
        RowAccess::Create => ("你不能在这里新增台账行", "You may not add rows here"),
        RowAccess::Update => ("你不能修改这一行", "You may not change this row"),
        RowAccess::Import => ("你不能向这本台账导入", "You may not import into this register"),
        RowAccess::Export => ("你不能导出这本台账", "You may not export this register"),
    };
    RegisterError::Forbidden(Text::new(zh, en))
}

/// The unit a row belongs to most precisely: its grid, else its community.
pub fn row_unit(row: &Row) -> &str {
    row.grid_id.as_deref().unwrap_or(&row.community_id)
}

/// The community a grid or community belongs to, and the grid: `None` for any other unit.
pub fn community_of(unit: &str, tree: &OrgTree) -> Option<(String, Option<String>)> {
    let u = tree.get(unit)?;
    match u.kind {
        UnitKind::Community => Some((u.id.clone(), None)),
        UnitKind::Grid => {
            let parent = tree.get(u.parent_id.as_deref()?)?;
            (parent.kind == UnitKind::Community).then(|| (parent.id.clone(), Some(u.id.clone())))
        }
        _ => None,
    }
}

/// The roles a register grants `what`.
fn roles(register: &CompiledRegister, what: RowAccess) -> Vec<Role> {
    register.register.access.roles(what).iter().filter_map(|r| Role::parse(r)).collect()
}

/// May the actor do `what` with rows of the register at `unit` (a grid or community)?
pub fn may_at(actor: &Actor, register: &CompiledRegister, what: RowAccess, unit: &str, tree: &OrgTree) -> bool {
    actor.is_root() || roles(register, what).into_iter().any(|r| actor.holds(r, unit, tree))
}

/// Every unit where the actor may do `what` with the register's rows; `None`: everywhere.
pub fn units_where(actor: &Actor, register: &CompiledRegister, what: RowAccess, tree: &OrgTree) -> Option<Vec<String>> {
    if actor.is_root() {
        return None;
    }
    let roles = roles(register, what);
    let mut out = BTreeSet::new();
    for h in actor.holdings().iter().filter(|h| h.role.is_some_and(|r| roles.contains(&r))) {
        out.extend(subtree(tree, &h.unit_id));
    }
    Some(out.into_iter().collect())
}
