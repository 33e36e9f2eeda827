//! `baida org` and `baida user`, run as an operator would against a fresh SQLite data folder:
//! what is refused says which field and how to fix it (exit 1, nothing changed), what is done
//! says so in one line, and the lists show the tree and the accounts with their roles.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `baida ARGS --data-dir DIR`, with `BAIDA_NEW_PASSWORD` set to `password` (if any) and
/// `stdin` written to its standard input.
fn baida(dir: &Path, args: &[&str], password: Option<&str>, stdin: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baida"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("BAIDA_DATABASE_URL")
        .env_remove("BAIDA_DATA_DIR")
        .env_remove("BAIDA_CONFIG")
        .env_remove("BAIDA_NEW_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = password {
        cmd.env("BAIDA_NEW_PASSWORD", p);
    }
    let mut child = cmd.spawn().expect("baida runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("baida finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let r = baida(dir, args, None, "");
    assert_eq!(r.code, 0, "{args:?}\nstdout: {}\nstderr: {}", r.stdout, r.stderr);
    r.stdout
}

const STRONG: &str = "Lianhua-2026!";

#[test]
fn an_operator_builds_the_tree_and_the_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(ok(d, &["migrate"]).contains("up to date"));
    assert!(ok(d, &["org", "list"]).contains("no org units yet"));

    let out = ok(d, &["org", "add", "futian", "--kind", "district", "--zh", "福田区", "--en", "Futian District"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("added district futian"), "{out}");
    let out = ok(
        d,
        &[
            "org",
            "add",
            "shatou",
            "--kind",
            "street",
            "--parent",
            "futian",
            "--zh",
            "沙头街道",
            "--en",
            "Shatou Street",
        ],
    );
    assert!(out.contains("added street shatou") && out.contains("under futian"), "{out}");

    // A grid does not sit under a district: refused, the field named, in both languages.
    let r = baida(
        d,
        &["org", "add", "g1", "--kind", "grid", "--parent", "futian", "--zh", "一号网格", "--en", "Grid 1"],
        None,
        "",
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("--parent"), "{}", r.stderr);
    assert!(
        r.stderr.contains("A grid sits under a community") && r.stderr.contains("grid 的上级应为 community"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // A street under nothing, an unknown kind: refused the same way.
    let r = baida(d, &["org", "add", "xx", "--kind", "street", "--zh", "某街道", "--en", "Some Street"], None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--parent") && r.stderr.contains("Give a parent"), "{}", r.stderr);
    let r = baida(d, &["org", "add", "xx", "--kind", "town", "--zh", "某镇", "--en", "Some Town"], None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--kind") && r.stderr.contains("district, street, community"), "{}", r.stderr);

    ok(
        d,
        &["org", "add", "xinzhou", "--kind", "community", "--parent", "shatou", "--zh", "新洲社区", "--en", "Xinzhou"],
    );
    ok(d, &["org", "rename", "xinzhou", "--zh", "新洲社区", "--en", "Xinzhou Community"]);
    ok(d, &["org", "add", "old", "--kind", "street", "--parent", "futian", "--zh", "旧街道", "--en", "Old Street"]);
    assert!(ok(d, &["org", "retire", "old"]).contains("retired street old"));
    // Nothing was changed by the refusals: no g1, no xx; the tree is indented by level.
    let tree = ok(d, &["org", "list"]);
    assert!(!tree.contains("g1") && !tree.contains("xx"), "{tree}");
    let lines: Vec<&str> = tree.lines().collect();
    assert_eq!(
        lines,
        [
            "futian  district  福田区  Futian District",
            "  old  street  旧街道  Old Street  (retired)",
            "  shatou  street  沙头街道  Shatou Street",
            "    xinzhou  community  新洲社区  Xinzhou Community",
        ],
        "{tree}"
    );
    // Moving under a retired street is refused.
    let r = baida(d, &["org", "move", "xinzhou", "--parent", "old"], None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--parent") && r.stderr.contains("retired"), "{}", r.stderr);

    // A weak password: refused with the strength rule, no account made.
    let add = ["user", "add", "wangfang", "--name", "王芳", "--unit", "shatou", "--phone", "13812345678"];
    let r = baida(d, &add, Some("short"), "");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("The password needs at least 10 characters"), "{}", r.stderr);
    assert!(r.stderr.contains("密码至少 10 个字符"), "{}", r.stderr);
    assert!(r.stderr.contains("BAIDA_NEW_PASSWORD"), "the field is named: {}", r.stderr);
    assert!(ok(d, &["user", "list"]).contains("no accounts"));
    // No password at all: says where to give it.
    let r = baida(d, &add, None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("No password given") && r.stderr.contains("BAIDA_NEW_PASSWORD"), "{}", r.stderr);

    let r = baida(d, &add, Some(STRONG), "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("added account wangfang"), "{}", r.stdout);
    let r = baida(d, &add, Some(STRONG), "");
    assert_eq!(r.code, 1, "the username is taken");

    assert!(ok(d, &["user", "grant", "wangfang", "street_admin", "shatou"]).contains("granted street_admin"));
    let r = baida(d, &["user", "grant", "wangfang", "grid_worker", "shatou"], None, "");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("UNIT") && r.stderr.contains("Grid worker is granted at a grid or community"),
        "{}",
        r.stderr
    );
    let r = baida(d, &["user", "grant", "wangfang", "mayor", "futian"], None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("ROLE") && r.stderr.contains("district_admin"), "{}", r.stderr);
    let r = baida(d, &["user", "grant", "nobody", "street_admin", "shatou"], None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nobody"), "{}", r.stderr);

    let list = ok(d, &["user", "list"]);
    assert!(list.contains("wangfang  王芳  unit shatou") && list.contains("roles: street_admin@shatou"), "{list}");
    assert!(ok(d, &["user", "list", "--unit", "futian"]).contains("wangfang"), "below futian");
    assert!(ok(d, &["user", "list", "--unit", "xinzhou"]).contains("no accounts"));

    // The password can come on stdin; by phone number works as well as by username.
    let r = baida(d, &["user", "reset-password", "13812345678"], None, "Another-Pass-2026\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("new password for wangfang"), "{}", r.stdout);

    assert!(ok(d, &["user", "disable", "wangfang"]).contains("disabled wangfang"));
    assert!(ok(d, &["user", "list"]).contains("(disabled)"));
    assert!(ok(d, &["user", "enable", "wangfang"]).contains("enabled wangfang"));
    assert!(ok(d, &["user", "unlock", "wangfang"]).contains("was not locked"));
    assert!(ok(d, &["user", "revoke", "wangfang", "street_admin", "shatou"]).contains("revoked street_admin"));
    let r = baida(d, &["user", "revoke", "wangfang", "street_admin", "shatou"], None, "");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("does not hold street_admin"), "{}", r.stderr);
    assert!(ok(d, &["user", "list"]).contains("roles: (none)"));

    // Every change to the account is a security event by `cli`, in the account's unit.
    let kinds = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = baida_store::open(None, d).await.unwrap();
        let events = store.security_events(&["shatou".to_string()], false, None, 100).await.unwrap();
        assert!(events.iter().all(|e| e.actor == "cli" && e.client.as_deref() == Some("cli")), "{events:?}");
        events.into_iter().rev().map(|e| e.kind).collect::<Vec<_>>()
    });
    assert_eq!(
        kinds,
        ["user.created", "role.granted", "password.reset", "user.disabled", "user.enabled", "role.revoked"],
        "nothing is recorded for what was refused or changed nothing"
    );
}

#[test]
fn help_says_where_the_password_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["user", "add", "--help"][..], &["user", "reset-password", "--help"][..]] {
        let out = ok(dir.path(), args);
        assert!(out.contains("BAIDA_NEW_PASSWORD") && out.contains("shell history"), "{out}");
        assert!(!out.contains("--password"), "{out}");
    }
}
