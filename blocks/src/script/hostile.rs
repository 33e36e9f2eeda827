//! Hostile scripts: each fails within its limit, quickly, with a line and column the designer
//! and `baida validate` can point at; and the list of what scripts can call is pinned.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;

/// Compiles and runs `source`; returns the error and how long it took.
fn fails(source: &str) -> (ScriptError, Duration) {
    let started = Instant::now();
    let err = match Script::compile(source) {
        Err(e) => e,
        Ok(s) => s.eval(&json!({"name": "x"}), None).expect_err(source),
    };
    (err, started.elapsed())
}

#[test]
fn each_hostile_script_fails_within_its_limit_with_a_position() {
    let cases: &[(&str, &str, ScriptErrorKind, &str)] = &[
        ("endless loop", "let n = 0;\nloop { n += 1; }", ScriptErrorKind::Limit, "too many operations"),
        ("endless while", "while true {\n  1;\n}", ScriptErrorKind::Limit, "too many operations"),
        ("deep recursion", "fn down(n) { down(n + 1) }\ndown(0)", ScriptErrorKind::Limit, "too deeply"),
        ("huge string", "let s = \"xxxxxxxx\";\nloop { s += s; }", ScriptErrorKind::Limit, "too large"),
        ("huge array", "let a = [];\nloop { a.push(1); }", ScriptErrorKind::Limit, ""),
        ("huge map", "let m = #{};\nlet i = 0;\nloop { m[`k${i}`] = i; i += 1; }", ScriptErrorKind::Limit, ""),
        ("string padding", "let s = \"\";\ns.pad(100000000, \"x\");\ns", ScriptErrorKind::Limit, "too large"),
        ("eval", "1 +\neval(\"1 + 1\")", ScriptErrorKind::Syntax, ""),
        ("eval by pointer", "let f = Fn(\"eval\");\nf.call(\"1\")", ScriptErrorKind::Runtime, ""),
        ("import", "import \"fs\" as fs;\n1", ScriptErrorKind::Syntax, ""),
        ("unregistered function", "let x = 1;\nopen_file(\"/etc/passwd\")", ScriptErrorKind::Runtime, "open_file"),
        ("the clock is not there", "timestamp()", ScriptErrorKind::Runtime, "timestamp"),
    ];
    for (what, source, kind, says) in cases {
        let (err, took) = fails(source);
        assert_eq!(err.kind, *kind, "{what}: {err:?}");
        assert!(err.message.en().contains(says), "{what}: {err}");
        assert!(!err.message.zh().is_empty(), "{what}");
        assert!(err.line.is_some() && err.column.is_some(), "{what} has no position: {err:?}");
        assert!(took < Duration::from_secs(1), "{what} took {took:?}");
    }
}

#[test]
fn an_error_points_at_the_offending_line() {
    let (err, _) = fails("let a = 1;\nlet b = 2;\nnope(a, b)");
    assert_eq!(err.line, Some(3), "{err:?}");
    let (err, _) = fails("let a = 1;\nloop {\n  a += 1;\n}");
    assert!(matches!(err.line, Some(2..=3)), "{err:?}");
}

#[test]
fn ordinary_scripts_still_work() {
    let s =
        Script::compile(r#"let t = record.name.to_upper(); t.len() + [1, 2].len() + #{a: 1}.len() + abs(-2)"#).unwrap();
    assert_eq!(s.eval(&json!({"name": "abc"}), None).unwrap(), json!(8));
}

/// The functions scripts can call, one signature a line, sorted.
fn signatures() -> String {
    let mut all = engine().gen_fn_signatures(true);
    all.sort();
    all.dedup();
    all.join("\n") + "\n"
}

#[test]
fn script_api_is_the_committed_list() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/script_functions.txt");
    let now = signatures();
    if std::env::var_os("BAIDA_UPDATE_SCRIPT_API").is_some() {
        std::fs::write(path, &now).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != now {
        let added: Vec<&str> = now.lines().filter(|l| !committed.lines().any(|c| c == *l)).take(10).collect();
        let removed: Vec<&str> = committed.lines().filter(|l| !now.lines().any(|c| c == *l)).take(10).collect();
        panic!(
            "the functions scripts can call changed (added {added:?}, removed {removed:?}): review it, document it in \
             docs/app-definition.md and run `BAIDA_UPDATE_SCRIPT_API=1 cargo test -p baida-blocks script_api`"
        );
    }
    for forbidden in ["timestamp", "eval", "blob("] {
        assert!(!now.lines().any(|l| l.starts_with(forbidden)), "{forbidden} must not be callable");
    }
}
