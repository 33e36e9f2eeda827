//! The closed sets of the domain that the database stores as text. Each is an enum with its
//! stored spelling ([`CaseStatus::as_str`]), parsed back with `FromStr`/`TryFrom<String>` (the
//! store reads rows through `#[sqlx(try_from = "String")]`) and serialized by serde with the
//! same spelling, so the API, the pages and the database say the same word and code matches on
//! variants instead of comparing strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A stored word that names no variant: the database holds something this build does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.what, self.word)
    }
}

impl std::error::Error for UnknownWord {}

/// Defines a text enum: its variants with their stored words, `as_str`, `ALL`, `Display`,
/// `FromStr` and `TryFrom<String>`. Serde's spelling is declared beside it with the same words.
macro_rules! words {
    ($ty:ident, $what:literal, { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored (and serialized) word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    _ => Err(UnknownWord { what: $what, word: s.to_string() }),
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = UnknownWord;
            fn try_from(s: String) -> Result<Self, UnknownWord> {
                s.parse()
            }
        }
    };
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Moving through its steps.
    Open,
    /// Paused by staff (clocks stopped) until resumed.
    Suspended,
    /// Finished (or closed by staff); may be reopened.
    Closed,
}

words!(CaseStatus, "case status", { Open => "open", Suspended => "suspended", Closed => "closed" });

/// The kind of a unit of the organisation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    District,
    Street,
    Community,
    Grid,
    /// A functional department (urban management, housing…), beside the territorial tree.
    Department,
}

impl UnitKind {
    /// The kind of unit this kind sits under: a street under a district, a community under a
    /// street, a grid under a community, a department under a district; a district at the top.
    pub fn parent(self) -> Option<UnitKind> {
        match self {
            UnitKind::District => None,
            UnitKind::Street | UnitKind::Department => Some(UnitKind::District),
            UnitKind::Community => Some(UnitKind::Street),
            UnitKind::Grid => Some(UnitKind::Community),
        }
    }
}

words!(UnitKind, "unit kind", {
    District => "district",
    Street => "street",
    Community => "community",
    Grid => "grid",
    Department => "department",
});

/// The mark a step's clock has left on a case: the last rung of its ladder reached (the app's
/// `remind@80%`, `urge@100%`, `supervise@+2h`), or overdue when the due time passed before any
/// rung did. Cleared when the case enters another step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    Remind,
    Urge,
    Overdue,
    Supervise,
}

impl Escalation {
    /// Past the due time: the marks a queue puts first.
    pub fn is_late(self) -> bool {
        matches!(self, Escalation::Urge | Escalation::Overdue | Escalation::Supervise)
    }
}

words!(Escalation, "escalation level", {
    Remind => "remind",
    Urge => "urge",
    Overdue => "overdue",
    Supervise => "supervise",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips_through_text_and_serde() {
        fn check<T>(all: &[T])
        where
            T: Copy + PartialEq + fmt::Debug + FromStr + Serialize + for<'de> Deserialize<'de> + fmt::Display,
        {
            for v in all {
                let word = v.to_string();
                assert_eq!(word.parse::<T>().ok(), Some(*v));
                assert_eq!(serde_json::to_value(v).unwrap(), serde_json::Value::String(word.clone()));
                assert_eq!(serde_json::from_value::<T>(serde_json::Value::String(word)).unwrap(), *v);
            }
        }
        check(CaseStatus::ALL);
        check(UnitKind::ALL);
        check(Escalation::ALL);
    }

    #[test]
    fn an_unknown_word_is_an_error_naming_it() {
        let e = "archived".parse::<CaseStatus>().unwrap_err();
        assert_eq!(e.to_string(), r#"unknown case status "archived""#);
        assert!(UnitKind::try_from("county".to_string()).is_err());
    }
}
