//! The plugin ABI, version 1: what a module must export, what it may import, and how its
//! exports and imports are checked at upload (see `docs/plugins.md` for the worked example).
//!
//! A plugin is a core WebAssembly module that exports
//!
//! - `memory`: its linear memory;
//! - `abi_version: () -> i32`, returning [`ABI_VERSION`];
//! - `alloc: (len: i32) -> i32`, giving the host `len` bytes to write the input into;
//! - `run: (ptr: i32, len: i32) -> i64`, reading the input JSON at `ptr..ptr+len` and returning
//!   where its output JSON is: `(out_ptr << 32) | out_len`.
//!
//! It may import only the host functions of module `baida` listed in [`HOST_FUNCTIONS`], and
//! of those only the ones the app grants (`log` is always there). Anything else — WASI, another
//! module, a misspelt name, a wrong signature — is refused at upload, naming the import.

use baida_blocks::Text;
use wasmtime::{ExternType, Module, ValType};

/// The ABI version this host speaks.
pub const ABI_VERSION: i32 = 1;

/// The module name of every host import.
pub const HOST_MODULE: &str = "baida";

/// A capability an app grants a plugin step (`grants` in its config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Always granted: `log`.
    Log,
    /// `now_ms`: the current time.
    Clock,
}

impl Capability {
    /// The name in a step's `grants`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Log => "log",
            Capability::Clock => "clock",
        }
    }

    /// The capability a step may grant by this name (`log` needs no grant).
    pub fn grantable(name: &str) -> Option<Capability> {
        match name {
            "clock" => Some(Capability::Clock),
            _ => None,
        }
    }
}

/// One host function a plugin may import from module `baida`.
#[derive(Debug, Clone, Copy)]
pub struct HostFunction {
    pub name: &'static str,
    pub params: &'static [ValKind],
    pub results: &'static [ValKind],
    pub capability: Capability,
    /// What it does, for `docs/plugins.md` and error hints.
    pub doc: &'static str,
}

/// The value types the ABI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValKind {
    I32,
    I64,
}

impl ValKind {
    fn matches(self, t: &ValType) -> bool {
        matches!((self, t), (ValKind::I32, ValType::I32) | (ValKind::I64, ValType::I64))
    }
}

/// Every host function, in one place. Adding one here is adding a capability: document it in
/// `docs/plugins.md` and define it in `plugin::call::linker`.
pub const HOST_FUNCTIONS: &[HostFunction] = &[
    HostFunction {
        name: "log",
        params: &[ValKind::I32, ValKind::I32, ValKind::I32],
        results: &[],
        capability: Capability::Log,
        doc: "log(level, ptr, len): writes a UTF-8 message to the server log (level 0 debug, 1 info, 2 warn, 3 error); at most 16 messages of 1 KiB per call",
    },
    HostFunction {
        name: "now_ms",
        params: &[],
        results: &[ValKind::I64],
        capability: Capability::Clock,
        doc: "now_ms() -> i64: milliseconds since 1970-01-01 UTC (grant `clock`)",
    },
];

/// What an upload check found wrong with a module: a stable code and a message in both
/// languages that names the import or export concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct AbiProblem {
    pub code: &'static str,
    pub message: Text,
}

fn problem(code: &'static str, zh: String, en: String) -> AbiProblem {
    AbiProblem { code, message: Text::new(zh, en) }
}

/// The capabilities a module's imports need, or the first import that is not allowed.
pub fn check_imports(module: &Module) -> Result<Vec<Capability>, AbiProblem> {
    let mut needs = Vec::new();
    for import in module.imports() {
        let full = format!("{}.{}", import.module(), import.name());
        let known =
            (import.module() == HOST_MODULE).then(|| HOST_FUNCTIONS.iter().find(|f| f.name == import.name())).flatten();
        let Some(host) = known else {
            let hint = if import.module().starts_with("wasi") {
                "WASI is not available to plugins (no files, sockets, environment or clock)"
            } else {
                "plugins may import only the functions of module `baida` listed in docs/plugins.md"
            };
            return Err(problem(
                "plugin_forbidden_import",
                format!(
                    "插件导入了不允许的“{full}”：插件只能导入 baida 模块中文档列出的函数（不提供 WASI、文件、网络、环境变量）"
                ),
                format!("The plugin imports “{full}”, which is not allowed: {hint}"),
            ));
        };
        let ExternType::Func(ty) = import.ty() else {
            return Err(problem(
                "plugin_forbidden_import",
                format!("插件导入的“{full}”应当是函数"),
                format!("The plugin imports “{full}” as something other than a function"),
            ));
        };
        let params: Vec<ValType> = ty.params().collect();
        let results: Vec<ValType> = ty.results().collect();
        let same = |want: &[ValKind], got: &[ValType]| {
            want.len() == got.len() && want.iter().zip(got).all(|(w, g)| w.matches(g))
        };
        if !same(host.params, &params) || !same(host.results, &results) {
            return Err(problem(
                "plugin_bad_import",
                format!("插件导入的“{full}”签名不对：应为 {}", host.doc),
                format!("The plugin imports “{full}” with the wrong signature: it is {}", host.doc),
            ));
        }
        if !needs.contains(&host.capability) {
            needs.push(host.capability);
        }
    }
    Ok(needs)
}

/// Checks the exports the ABI requires: `memory`, `abi_version`, `alloc` and `run`.
pub fn check_exports(module: &Module) -> Result<(), AbiProblem> {
    let func = |name: &str, params: &[ValKind], results: &[ValKind]| -> Result<(), AbiProblem> {
        let ok = match module.get_export(name) {
            Some(ExternType::Func(ty)) => {
                let p: Vec<ValType> = ty.params().collect();
                let r: Vec<ValType> = ty.results().collect();
                p.len() == params.len()
                    && r.len() == results.len()
                    && params.iter().zip(&p).all(|(w, g)| w.matches(g))
                    && results.iter().zip(&r).all(|(w, g)| w.matches(g))
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            let sig = format!(
                "{name}: ({}) -> ({})",
                params.iter().map(|k| format!("{k:?}").to_lowercase()).collect::<Vec<_>>().join(", "),
                results.iter().map(|k| format!("{k:?}").to_lowercase()).collect::<Vec<_>>().join(", ")
            );
            Err(problem(
                "plugin_missing_export",
                format!("插件没有按约定导出函数 {sig}"),
                format!("The plugin does not export the function {sig} the ABI requires"),
            ))
        }
    };
    if !matches!(module.get_export("memory"), Some(ExternType::Memory(_))) {
        return Err(problem(
            "plugin_missing_export",
            "插件没有导出线性内存 memory".into(),
            "The plugin does not export its linear memory as `memory`".into(),
        ));
    }
    func("abi_version", &[], &[ValKind::I32])?;
    func("alloc", &[ValKind::I32], &[ValKind::I32])?;
    func("run", &[ValKind::I32, ValKind::I32], &[ValKind::I64])
}

/// Splits `run`'s result into (pointer, length).
pub fn unpack(result: i64) -> (u32, u32) {
    ((result as u64 >> 32) as u32, result as u64 as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_unpack_into_pointer_and_length() {
        assert_eq!(unpack((1024_i64 << 32) | 17), (1024, 17));
        assert_eq!(unpack(-1), (u32::MAX, u32::MAX));
    }

    #[test]
    fn every_host_function_has_a_capability_name() {
        for f in HOST_FUNCTIONS {
            assert!(!f.capability.name().is_empty() && !f.doc.is_empty(), "{}", f.name);
        }
        assert_eq!(Capability::grantable("clock"), Some(Capability::Clock));
        assert_eq!(Capability::grantable("log"), None);
    }
}
