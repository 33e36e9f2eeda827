//! The script engine: the only place in Baida where a rhai `Engine` is built.
//!
//! Scripts (conditions, computed fields, rules) are compiled once per app version into a
//! [`Script`] and evaluated against a scope holding `record` (and `item` inside a repeat
//! group). The engine has hard limits on operations, call depth, expression depth, string,
//! array and map sizes; `eval` is disabled and modules cannot be imported (the `no_module`
//! feature removes `import` from the language); what scripts can call is listed in [`PACKAGES`]
//! and checked against `script_functions.txt` by a test. A script that breaks a limit fails
//! with a [`ScriptError`] carrying its line and column, never a panic or a hang.

use std::sync::{Arc, OnceLock};

use rhai::{AST, Dynamic, Engine, EvalAltResult, Scope};
use serde_json::Value;

use crate::Text;

/// The limits every script runs under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_expr_depth: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    pub max_variables: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 50_000,
            max_call_levels: 16,
            max_expr_depth: 64,
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_variables: 256,
        }
    }
}

/// What scripts can call, in one place. Scripts see the variables `record` (and `item` inside
/// a repeat group) and the functions of these rhai packages, nothing else: no clock
/// (`BasicTimePackage` is left out, so a script gives the same answer for the same record), no
/// binary blobs, no `print`/`debug` output, no `eval`, no modules. Baida registers no host
/// functions of its own yet; one added here must be documented in `docs/app-definition.md`
/// ("Scripts"), and the committed list `blocks/src/script_functions.txt` must be regenerated
/// (`BAIDA_UPDATE_SCRIPT_API=1 cargo test -p baida-blocks script_api`), so that a change of
/// what scripts can reach is always seen in review.
pub const PACKAGES: &[&str] = &[
    "CorePackage",
    "LogicPackage",
    "BitFieldPackage",
    "BasicMathPackage",
    "BasicArrayPackage",
    "BasicMapPackage",
    "MoreStringPackage",
];

/// Builds an engine with `limits`. Used once per process through [`engine`].
pub fn build_engine(limits: Limits) -> Engine {
    use rhai::packages::{
        BasicArrayPackage, BasicMapPackage, BasicMathPackage, BitFieldPackage, CorePackage, LogicPackage,
        MoreStringPackage, Package,
    };
    let mut engine = Engine::new_raw();
    // Keep in step with `PACKAGES`.
    engine
        .register_global_module(CorePackage::new().as_shared_module())
        .register_global_module(LogicPackage::new().as_shared_module())
        .register_global_module(BitFieldPackage::new().as_shared_module())
        .register_global_module(BasicMathPackage::new().as_shared_module())
        .register_global_module(BasicArrayPackage::new().as_shared_module())
        .register_global_module(BasicMapPackage::new().as_shared_module())
        .register_global_module(MoreStringPackage::new().as_shared_module());
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth / 2)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(limits.max_variables)
        .set_max_strings_interned(256)
        .set_strict_variables(false);
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine
}

/// The process-wide engine with the default limits.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| build_engine(Limits::default()))
}

/// A compiled script; cheap to clone.
#[derive(Debug, Clone)]
pub struct Script {
    pub source: Arc<str>,
    ast: Arc<AST>,
}

/// Why a script did not compile or did not finish.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    pub kind: ScriptErrorKind,
    pub message: Text,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// What kind of failure a [`ScriptError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptErrorKind {
    /// The source does not compile.
    Syntax,
    /// A limit stopped it: operations, call depth, data size, variables. The script is at fault.
    Limit,
    /// It failed on this data (e.g. adding to a field that was left empty).
    Runtime,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message.en())?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        Ok(())
    }
}

impl Script {
    /// Compiles `source`; a syntax error carries its line and column.
    pub fn compile(source: &str) -> Result<Script, ScriptError> {
        match engine().compile(source) {
            Ok(ast) => Ok(Script { source: source.into(), ast: Arc::new(ast) }),
            Err(err) => {
                let pos = err.position();
                let detail = err.err_type().to_string();
                Err(ScriptError {
                    kind: ScriptErrorKind::Syntax,
                    message: Text::new(
                        format!("表达式有语法错误：{detail}"),
                        format!("Syntax error in expression: {detail}"),
                    ),
                    line: pos.line(),
                    column: pos.position(),
                })
            }
        }
    }

    /// Runs the script with `record` (and `item`, inside a repeat group) in scope.
    pub fn eval(&self, record: &Value, item: Option<&Value>) -> Result<Value, ScriptError> {
        match item {
            Some(item) => self.eval_with(&[("record", record), ("item", item)]),
            None => self.eval_with(&[("record", record)]),
        }
    }

    /// Runs the script with these names in scope (a schedule's `row` and `today`).
    pub fn eval_with(&self, names: &[(&str, &Value)]) -> Result<Value, ScriptError> {
        let mut scope = Scope::new();
        for (name, value) in names {
            scope.push_constant_dynamic(*name, to_dynamic(value)?);
        }
        let result: Dynamic = engine().eval_ast_with_scope(&mut scope, &self.ast).map_err(|e| runtime_error(&e))?;
        rhai::serde::from_dynamic(&result).map_err(|e| runtime_error(&e))
    }

    /// Runs the script and requires a `true` or `false`.
    pub fn eval_bool(&self, record: &Value, item: Option<&Value>) -> Result<bool, ScriptError> {
        match self.eval(record, item)? {
            Value::Bool(b) => Ok(b),
            other => Err(ScriptError {
                kind: ScriptErrorKind::Runtime,
                message: Text::new(
                    format!("条件表达式应得出 true 或 false，实际得出 {other}"),
                    format!("A condition must give true or false, this one gave {other}"),
                ),
                line: None,
                column: None,
            }),
        }
    }
}

fn to_dynamic(value: &Value) -> Result<Dynamic, ScriptError> {
    rhai::serde::to_dynamic(value).map_err(|e| runtime_error(&e))
}

fn runtime_error(err: &EvalAltResult) -> ScriptError {
    let pos = err.position();
    let kind = match err {
        EvalAltResult::ErrorTooManyOperations(_)
        | EvalAltResult::ErrorStackOverflow(_)
        | EvalAltResult::ErrorDataTooLarge(..)
        | EvalAltResult::ErrorTooManyVariables(_) => ScriptErrorKind::Limit,
        _ => ScriptErrorKind::Runtime,
    };
    let (zh, en) = match err {
        EvalAltResult::ErrorTooManyOperations(_) => (
            "表达式运算次数超过上限（可能有死循环）".to_string(),
            "The expression ran too many operations (an endless loop?)".to_string(),
        ),
        EvalAltResult::ErrorStackOverflow(_) => {
            ("表达式调用层数超过上限".to_string(), "The expression called functions too deeply".to_string())
        }
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            (format!("表达式产生的数据过大：{what}"), format!("The expression built data that is too large: {what}"))
        }
        EvalAltResult::ErrorTooManyVariables(_) => {
            ("表达式定义的变量过多".to_string(), "The expression defined too many variables".to_string())
        }
        other => {
            let detail = other.to_string();
            (format!("表达式执行出错：{detail}"), format!("The expression failed: {detail}"))
        }
    };
    ScriptError { kind, message: Text::new(zh, en), line: pos.line(), column: pos.position() }
}

#[cfg(test)]
mod hostile;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_see_the_record() {
        let s = Script::compile(r#"record.kind == "other" && record.count > 2"#).unwrap();
        assert!(s.eval_bool(&json!({"kind": "other", "count": 3}), None).unwrap());
        assert!(!s.eval_bool(&json!({"kind": "fire", "count": 3}), None).unwrap());
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = Script::compile("record.a ==\n  (1 +").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.column.is_some());
    }

    #[test]
    fn endless_loops_stop_with_a_clear_error() {
        let s = Script::compile("loop { }").unwrap();
        let err = s.eval(&json!({}), None).unwrap_err();
        assert!(err.message.en().contains("too many operations"), "{err}");
    }

    #[test]
    fn deep_recursion_and_huge_strings_are_stopped() {
        let s = Script::compile("fn f(n) { f(n + 1) } f(0)").unwrap();
        assert!(s.eval(&json!({}), None).is_err());
        let s = Script::compile(r#"let s = "x"; loop { s += s; }"#).unwrap();
        let err = s.eval(&json!({}), None).unwrap_err();
        assert!(err.message.en().contains("too large") || err.message.en().contains("operations"), "{err}");
    }

    #[test]
    fn eval_is_not_available() {
        let err = Script::compile(r#"eval("1 + 1")"#).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!err.is_empty(), "eval must not compile");
    }
}
