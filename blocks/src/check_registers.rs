//! The semantic checks of registers and of `register` steps: ids, key fields, the fields
//! themselves (as the record's), the roles access names, and what each step writes — the
//! register it names, its fields and their types, its expressions.

use std::collections::HashMap;

use crate::check::Checker;
use crate::compile::CompiledRegister;
use crate::register::{RowAccess, STAFF_ROLES};
use crate::step::{BlockConfig, RegisterConfig};
use crate::{App, FieldType};

impl Checker<'_> {
    /// Checks and compiles the app's registers; their fields are resolved in place.
    pub(crate) fn registers(&mut self, app: &mut App) -> Vec<CompiledRegister> {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, register) in app.registers.iter_mut().enumerate() {
            let at = format!("/registers/{i}");
            let id_ok = (2..=40).contains(&register.id.len())
                && register.id.as_bytes()[0].is_ascii_lowercase()
                && register.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !id_ok {
                self.hinted(
                    format!("{at}/id"),
                    "bad_key",
                    (
                        format!("台账标识“{}”格式不对", register.id),
                        format!("Register id “{}” is not valid", register.id),
                    ),
                    (
                        "用 2–40 个小写字母、数字和下划线，以字母开头，例如 volunteers",
                        "Use 2–40 lower-case letters, digits and _, starting with a letter, e.g. volunteers",
                    ),
                );
            }
            if let Some(first) = ids.insert(register.id.clone(), i) {
                self.problem(
                    format!("{at}/id"),
                    "duplicate_register",
                    format!("台账标识“{}”重复（第 {} 个台账已使用）", register.id, first + 1),
                    format!("Register id “{}” is used twice (first by register {})", register.id, first + 1),
                );
            }
            let mut resolved = Vec::new();
            let fields = self.fields(&mut register.fields, &format!("{at}/fields"), &mut resolved);
            register.fields = resolved;
            match fields.iter().find(|f| f.field.key == register.key) {
                None => {
                    let known: Vec<&str> = fields.iter().map(|f| f.field.key.as_str()).collect();
                    let known = known.join(", ");
                    self.hinted(
                        format!("{at}/key"),
                        "unknown_field",
                        (
                            format!("台账的编号字段“{}”不在它的字段中", register.key),
                            format!("The register's key “{}” is not one of its fields", register.key),
                        ),
                        (&format!("现有字段：{known}"), &format!("Its fields: {known}")),
                    );
                }
                Some(f) if !key_type(f.ty) => self.hinted(
                    format!("{at}/key"),
                    "bad_register_key",
                    (
                        format!("{}类型的字段不能作编号", f.ty.name().zh()),
                        format!("A {} field cannot be the key", f.ty.name().en()),
                    ),
                    (
                        "选一个文本、数字、手机号、身份证号或单选字段作编号，例如车位号",
                        "Choose a text, number, phone, ID number or single-choice field as the key, e.g. the space number",
                    ),
                ),
                Some(_) => {}
            }
            for what in RowAccess::ALL {
                for (j, role) in register.access.written(what).into_iter().flatten().enumerate() {
                    if !STAFF_ROLES.contains(&role.as_str()) {
                        let known = STAFF_ROLES.join(", ");
                        self.hinted(
                            format!("{at}/access/{}/{j}", what.as_str()),
                            "unknown_role",
                            (format!("不认识的角色“{role}”"), format!("Unknown role “{role}”")),
                            (&format!("可用的角色：{known}"), &format!("Known roles: {known}")),
                        );
                    }
                }
            }
            out.push(CompiledRegister { register: register.clone(), fields });
        }
        out
    }

    /// Checks the record's relation fields against the registers they pick rows of: the
    /// register exists, the fields they show are its own, and relations stand in the record
    /// itself (not in a repeat group, not in a register).
    pub(crate) fn relations(&mut self, app: &App, fields: &[crate::CompiledField], registers: &[CompiledRegister]) {
        for (i, f) in fields.iter().enumerate() {
            let at = format!("/record/fields/{i}");
            for (j, item) in f.items.iter().enumerate() {
                if item.ty == FieldType::Relation {
                    self.problem(
                        format!("{at}/fields/{j}/type"),
                        "relation_in_group",
                        "重复组中不能放关联台账字段".into(),
                        "A repeat group cannot hold a linked-row field".into(),
                    );
                }
            }
            if f.ty != FieldType::Relation {
                continue;
            }
            let Some(id) = &f.field.register else {
                self.hinted(
                    format!("{at}/register"),
                    "required",
                    (
                        "关联台账字段要写明 register：选哪本台账的行".into(),
                        "A linked-row field needs register: whose rows it picks".into(),
                    ),
                    (
                        "写应用中一本台账的标识，例如 parking_spaces",
                        "Write the id of one of the app's registers, e.g. parking_spaces",
                    ),
                );
                continue;
            };
            let Some(register) = registers.iter().find(|r| &r.register.id == id) else {
                let known: Vec<&str> = registers.iter().map(|r| r.register.id.as_str()).collect();
                let known = if known.is_empty() { "—".to_string() } else { known.join(", ") };
                self.hinted(
                    format!("{at}/register"),
                    "unknown_register",
                    (format!("没有台账“{id}”"), format!("There is no register “{id}”")),
                    (&format!("现有台账：{known}"), &format!("Existing registers: {known}")),
                );
                continue;
            };
            for (j, key) in f.field.show.iter().flatten().enumerate() {
                if !register.fields.iter().any(|rf| &rf.field.key == key) {
                    self.problem(
                        format!("{at}/show/{j}"),
                        "unknown_field",
                        format!("台账“{id}”没有字段“{key}”"),
                        format!("Register “{id}” has no field “{key}”"),
                    );
                }
            }
        }
        for (i, r) in app.registers.iter().enumerate() {
            for (j, f) in r.fields.iter().enumerate() {
                if f.ty == Some(FieldType::Relation) {
                    self.problem(
                        format!("/registers/{i}/fields/{j}/type"),
                        "relation_in_register",
                        "台账的字段不能关联另一本台账".into(),
                        "A register's field cannot link another register".into(),
                    );
                }
            }
        }
    }

    /// Checks every `register` step against the registers it names.
    pub(crate) fn register_steps(&mut self, app: &App, registers: &[CompiledRegister]) {
        for (i, step) in app.steps.iter().enumerate() {
            if let BlockConfig::Register(c) = &step.block {
                self.register_step(c, &format!("/steps/{i}/config"), registers);
            }
        }
    }

    fn register_step(&mut self, c: &RegisterConfig, at: &str, registers: &[CompiledRegister]) {
        for (j, source) in std::iter::once(("row".to_string(), &c.row))
            .chain(c.set.iter().map(|(k, v)| (format!("set/{}", crate::problem::pointer_token(k)), v)))
            .chain(c.add.iter().map(|(k, v)| (format!("add/{}", crate::problem::pointer_token(k)), v)))
            .chain(c.append.iter().map(|(k, v)| (format!("append/{}", crate::problem::pointer_token(k)), v)))
        {
            self.script(&Some(source.clone()), format!("{at}/{j}"));
        }
        let Some(register) = registers.iter().find(|r| r.register.id == c.register) else {
            let known: Vec<&str> = registers.iter().map(|r| r.register.id.as_str()).collect();
            let known = if known.is_empty() { "—".to_string() } else { known.join(", ") };
            self.hinted(
                format!("{at}/register"),
                "unknown_register",
                (format!("没有台账“{}”", c.register), format!("There is no register “{}”", c.register)),
                (
                    &format!("先在应用的台账中定义它；现有台账：{known}"),
                    &format!("Define it among the app's registers first; existing: {known}"),
                ),
            );
            return;
        };
        let field = |key: &str| register.fields.iter().find(|f| f.field.key == key);
        for (part, map, allowed) in [
            ("set", &c.set, None),
            (
                "add",
                &c.add,
                Some((&[FieldType::Number, FieldType::Integer, FieldType::Slider][..], ("数字", "number"))),
            ),
            (
                "append",
                &c.append,
                Some((
                    &[FieldType::Multiselect, FieldType::Group, FieldType::Photo][..],
                    ("多选、重复组或照片", "multiple choice, repeat group or photo"),
                )),
            ),
        ] {
            for key in map.keys() {
                let here = format!("{at}/{part}/{}", crate::problem::pointer_token(key));
                match field(key) {
                    None => self.problem(
                        here,
                        "unknown_field",
                        format!("台账“{}”没有字段“{key}”", c.register),
                        format!("Register “{}” has no field “{key}”", c.register),
                    ),
                    Some(f) if f.field.key == register.register.key => self.hinted(
                        here,
                        "register_key_written",
                        (
                            format!("编号字段“{key}”由 row 给出，不能在这里写"),
                            format!("The key field “{key}” is given by row, not written here"),
                        ),
                        ("删去这一项，用 row 写明是哪一行", "Remove this entry; row gives the row's key"),
                    ),
                    Some(f) => {
                        if let Some((types, (zh, en))) = allowed
                            && !types.contains(&f.ty)
                        {
                            self.problem(
                                here,
                                "bad_register_write",
                                format!("字段“{key}”是{}，这里只能用{zh}字段", f.ty.name().zh()),
                                format!("Field “{key}” is {}; only {en} fields can be used here", f.ty.name().en()),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Field types a register's key may have: one short value a person can type or read out.
fn key_type(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Text
            | FieldType::Integer
            | FieldType::Number
            | FieldType::Phone
            | FieldType::IdNumber
            | FieldType::Email
            | FieldType::Select
    )
}
