//! Helpers shared by the test files.

use baida_blocks::{App, CompiledApp, Problem};
use baida_catalog::{app_docs, dictionary};

/// Compiles a built-in app, printing every problem when it does not compile.
pub fn compile(file: &str) -> CompiledApp {
    let dict = dictionary();
    let (_, doc) = app_docs().into_iter().find(|(f, _)| *f == file).unwrap_or_else(|| panic!("no built-in app {file}"));
    App::compile(&doc, &dict).unwrap_or_else(|problems| panic!("{file} does not compile:\n{}", describe(&problems)))
}

/// Every problem on its own line: pointer, code, message and hint in Chinese.
pub fn describe(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| {
            format!(
                "  {} [{}] {}{}",
                p.pointer,
                p.code,
                p.message.zh(),
                p.hint.as_ref().map(|h| format!(" — {}", h.zh())).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
