//! A statement written once for both backends: SQL text with `?` placeholders and its
//! arguments, owned and typed, so that a NULL is bound with its column's type (PostgreSQL
//! refuses a NULL of the wrong type). [`super::db`] runs it: for PostgreSQL the placeholders
//! are numbered `$1, $2, …` when it runs.
//!
//! A list is bound as one argument, [`Sql::bind_list`], where the SQL says `column IN ?`: the
//! `?` becomes a subquery over the list, the same text whatever its length (SQLite unpacks a
//! JSON array with `json_each`, PostgreSQL a `text[]` with `unnest`).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Arguments as _;
use sqlx::error::BoxDynError;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::types::Json;

use super::db::Dialect;

/// A statement and its arguments, one per `?`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sql {
    text: String,
    args: Vec<Arg>,
}

/// One argument. `None` binds a NULL of the variant's type.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Time(Option<DateTime<Utc>>),
    Json(Value),
    Bytes(Vec<u8>),
    /// Texts for `column IN ?`.
    List(Vec<String>),
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), args: Vec::new() }
    }

    /// Appends SQL text.
    pub fn push(mut self, text: &str) -> Sql {
        self.text.push_str(text);
        self
    }

    /// Binds the next `?`.
    pub fn bind(mut self, arg: impl Into<Arg>) -> Sql {
        self.args.push(arg.into());
        self
    }

    /// Binds the next `?`, written as `column IN ?` (or `NOT IN ?`), to a list.
    pub fn bind_list(self, values: &[String]) -> Sql {
        self.bind(Arg::List(values.to_vec()))
    }

    /// The text as `dialect` reads it: PostgreSQL's placeholders numbered, lists as subqueries.
    pub(super) fn text(&self, dialect: Dialect) -> Cow<'_, str> {
        let lists = self.args.iter().any(|a| matches!(a, Arg::List(_)));
        if dialect == Dialect::Sqlite && !lists {
            return Cow::Borrowed(&self.text);
        }
        let mut out = String::with_capacity(self.text.len() + 4 * self.args.len());
        let mut n = 0;
        let mut quoted = false;
        for c in self.text.chars() {
            match c {
                '\'' => {
                    quoted = !quoted;
                    out.push(c);
                }
                '?' if !quoted => {
                    let placeholder = match dialect {
                        Dialect::Sqlite => "?".to_string(),
                        Dialect::Postgres => format!("${}", n + 1),
                    };
                    match (self.args.get(n), dialect) {
                        (Some(Arg::List(_)), Dialect::Sqlite) => {
                            out.push_str(&format!("(SELECT value FROM json_each({placeholder}))"))
                        }
                        (Some(Arg::List(_)), Dialect::Postgres) => {
                            out.push_str(&format!("(SELECT unnest({placeholder}::text[]))"))
                        }
                        _ => out.push_str(&placeholder),
                    }
                    n += 1;
                }
                _ => out.push(c),
            }
        }
        Cow::Owned(out)
    }

    /// The arguments for SQLite.
    pub(super) fn sqlite_args(&self) -> Result<SqliteArguments<'_>, BoxDynError> {
        let mut out = SqliteArguments::default();
        for a in &self.args {
            match a {
                Arg::Text(v) => out.add(v.as_deref())?,
                Arg::Int(v) => out.add(*v)?,
                Arg::Bool(v) => out.add(*v)?,
                Arg::Time(v) => out.add(*v)?,
                Arg::Json(v) => out.add(Json(v))?,
                Arg::Bytes(v) => out.add(v.as_slice())?,
                Arg::List(v) => out.add(serde_json::to_string(v)?)?,
            }
        }
        Ok(out)
    }

    /// The arguments for PostgreSQL.
    pub(super) fn pg_args(&self) -> Result<PgArguments, BoxDynError> {
        let mut out = PgArguments::default();
        for a in &self.args {
            match a {
                Arg::Text(v) => out.add(v.as_deref())?,
                Arg::Int(v) => out.add(*v)?,
                Arg::Bool(v) => out.add(*v)?,
                Arg::Time(v) => out.add(*v)?,
                Arg::Json(v) => out.add(Json(v))?,
                Arg::Bytes(v) => out.add(v.as_slice())?,
                Arg::List(v) => out.add(v.as_slice())?,
            }
        }
        Ok(out)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(Some(v.clone()))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_string))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Arg {
        Arg::Text(v.clone())
    }
}

impl From<Option<&String>> for Arg {
    fn from(v: Option<&String>) -> Arg {
        Arg::Text(v.cloned())
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(v)
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Arg {
        Arg::Time(Some(v))
    }
}

impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Arg {
        Arg::Time(v)
    }
}

impl From<Json<&Value>> for Arg {
    fn from(v: Json<&Value>) -> Arg {
        Arg::Json(v.0.clone())
    }
}

impl From<Json<&Vec<String>>> for Arg {
    fn from(v: Json<&Vec<String>>) -> Arg {
        Arg::Json(Value::from(v.0.clone()))
    }
}

impl From<&[u8]> for Arg {
    fn from(v: &[u8]) -> Arg {
        Arg::Bytes(v.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let sql = Sql::new("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?").bind(1i64).bind(2i64);
        assert_eq!(sql.text(Dialect::Sqlite), "SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?");
        assert_eq!(sql.text(Dialect::Postgres), "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2");
    }

    #[test]
    fn a_list_is_one_argument_unpacked_by_a_subquery() {
        let sql = Sql::new("SELECT a FROM t WHERE b = ? AND c IN ?").bind(1i64).bind_list(&["x".into(), "y".into()]);
        assert_eq!(sql.text(Dialect::Sqlite), "SELECT a FROM t WHERE b = ? AND c IN (SELECT value FROM json_each(?))");
        assert_eq!(sql.text(Dialect::Postgres), "SELECT a FROM t WHERE b = $1 AND c IN (SELECT unnest($2::text[]))");
    }
}
