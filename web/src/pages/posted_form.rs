//! A posted form: the name/value pairs of an HTML form (urlencoded or multipart), read once
//! into a map from name to values, with bounds checked as each pair arrives.
//!
//! Why a type of its own: answers used to be rebuilt by scanning every posted pair once per
//! field and once more per repeat-group index, so 100,000 pairs such as `members.{i}.name=a`
//! cost minutes of CPU. Here a pair is looked at once, a body with more than [`MAX_PAIRS`] pairs
//! or a repeat-group index of [`GROUP_MAX`] or more is refused before any work is done, and
//! every later lookup is a map search (`docs/SECURITY.md`, "Posted forms").

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use baida_blocks::form::GROUP_MAX;
use baida_blocks::{Problem, Text};

use crate::ApiError;

/// The most name/value pairs one form may post. The largest real forms (a household of 50
/// members with a dozen fields each) stay well below it.
pub const MAX_PAIRS: usize = 4_000;

/// The longest field name accepted, in bytes (`members.49.photos` is 17).
pub const MAX_NAME: usize = 200;

/// Why a posted form was refused before any of it was looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("more than {MAX_PAIRS} form fields")]
    TooManyPairs,
    #[error("a field name longer than {MAX_NAME} bytes")]
    NameTooLong,
    /// A repeat-group index beyond what any group may hold; `name` is the group's name.
    #[error("item {index} of {name}: a group has at most {GROUP_MAX} items")]
    IndexTooLarge { name: String, index: String },
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::TooManyPairs => ApiError::PayloadTooLarge {
                detail: Text::new(
                    format!("表单提交的项目过多（最多 {MAX_PAIRS} 项）"),
                    format!("The form posted too many fields (at most {MAX_PAIRS})"),
                ),
            },
            Refused::NameTooLong => ApiError::PayloadTooLarge {
                detail: Text::new(
                    format!("表单项名称过长（最多 {MAX_NAME} 字节）"),
                    format!("A form field name is too long (at most {MAX_NAME} bytes)"),
                ),
            },
            Refused::IndexTooLarge { name, .. } => ApiError::Invalid {
                code: "too_many_items",
                title: Text::new("表单项目过多", "Too many items"),
                problems: vec![Problem::new(
                    format!("/{}", name.replace('.', "/")),
                    "too_many",
                    Text::new(format!("最多 {GROUP_MAX} 项"), format!("At most {GROUP_MAX} allowed")),
                )],
            },
        }
    }
}

/// The pairs of one posted form, by name, each name's values in the order posted.
#[derive(Debug, Clone, Default)]
pub struct PostedForm {
    values: BTreeMap<String, Vec<String>>,
    pairs: usize,
}

impl PostedForm {
    /// Adds one pair, refusing it (and so the whole form) when a bound is crossed.
    pub fn push(&mut self, name: String, value: String) -> Result<(), Refused> {
        self.admit(&name)?;
        self.insert(name, value);
        Ok(())
    }

    /// Counts one more pair named `name` and checks the bounds, before its value is read (a
    /// multipart part's content is read only once its name is admitted).
    pub fn admit(&mut self, name: &str) -> Result<(), Refused> {
        self.pairs += 1;
        if self.pairs > MAX_PAIRS {
            return Err(Refused::TooManyPairs);
        }
        if name.len() > MAX_NAME {
            return Err(Refused::NameTooLong);
        }
        check_indices(name)
    }

    /// Keeps the value of a pair [`PostedForm::admit`] let in.
    pub fn insert(&mut self, name: String, value: String) {
        self.values.entry(name).or_default().push(value);
    }

    /// Reads an `application/x-www-form-urlencoded` body in one pass.
    pub fn from_urlencoded(body: &[u8]) -> Result<PostedForm, Refused> {
        let mut form = PostedForm::default();
        for (name, value) in form_urlencoded::parse(body) {
            form.push(name.into_owned(), value.into_owned())?;
        }
        Ok(form)
    }

    /// Builds a form from pairs (tests, and callers that already hold pairs).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Result<PostedForm, Refused> {
        let mut form = PostedForm::default();
        for (n, v) in pairs {
            form.push(n.into(), v.into())?;
        }
        Ok(form)
    }

    /// Every value posted under `name`, in order.
    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// The first value posted under `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.all(name).first().map(String::as_str)
    }

    /// The last value posted under `name` (what a browser means when a name repeats).
    pub fn last(&self, name: &str) -> Option<&str> {
        self.all(name).last().map(String::as_str)
    }

    /// Takes every value of `name` out of the form.
    pub fn take(&mut self, name: &str) -> Vec<String> {
        self.values.remove(name).unwrap_or_default()
    }

    /// Removes every value equal to one of `values`, whatever its name.
    pub fn drop_values(&mut self, values: &[String]) {
        if values.is_empty() {
            return;
        }
        for vs in self.values.values_mut() {
            vs.retain(|v| !values.contains(v));
        }
    }

    /// The item indices posted under the group `name` (`members` → 0 and 2 for
    /// `members.0.name`, `members.2.phone`), found by a range search over the sorted names.
    pub fn group_indices(&self, name: &str) -> BTreeSet<usize> {
        let dotted = format!("{name}.");
        self.values
            .range(dotted.clone()..)
            .map(|(n, _)| n)
            .take_while(|n| n.starts_with(&dotted))
            .filter_map(|n| n[dotted.len()..].split('.').next()?.parse().ok())
            .collect()
    }
}

/// Every all-digit segment of a name is an item index and must be below [`GROUP_MAX`]
/// (field keys never are all digits: they start with a letter).
fn check_indices(name: &str) -> Result<(), Refused> {
    let mut at = 0;
    for segment in name.split('.') {
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            let too_large = segment.len() > 3 || segment.parse::<usize>().map_or(true, |i| i >= GROUP_MAX);
            if too_large {
                let group = name[..at.max(1) - 1].to_string();
                return Err(Refused::IndexTooLarge { name: group, index: segment.to_string() });
            }
        }
        at += segment.len() + 1;
    }
    Ok(())
}

/// An urlencoded form body as a [`PostedForm`] (the request body limit applies first).
impl<S: Send + Sync> FromRequest<S> for PostedForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let urlencoded = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !urlencoded {
            return Err(ApiError::UnsupportedMediaType(Text::new(
                "请以 application/x-www-form-urlencoded 提交表单",
                "Post the form as application/x-www-form-urlencoded",
            )));
        }
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { detail: Text::new("请求内容过大", "The request body is too large") }
            } else {
                ApiError::BadRequest {
                    code: "bad_body",
                    detail: Text::new("无法读取请求内容", "Cannot read the request body"),
                }
            }
        })?;
        Ok(PostedForm::from_urlencoded(&body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_in_order_and_found_by_name() {
        let form = PostedForm::from_pairs([("tags", "a"), ("title", "x"), ("tags", "b"), ("title", "y")]).unwrap();
        assert_eq!(form.all("tags"), ["a", "b"]);
        assert_eq!(form.first("title"), Some("x"));
        assert_eq!(form.last("title"), Some("y"));
        assert!(form.all("none").is_empty());
    }

    #[test]
    fn group_indices_come_from_the_names_under_the_group_only() {
        let form = PostedForm::from_pairs([
            ("members.2.name", "b"),
            ("members.0.name", "a"),
            ("members.0.phone", "1"),
            ("membership", "x"),
            ("members_note", "y"),
            ("members.x.name", "z"),
        ])
        .unwrap();
        assert_eq!(form.group_indices("members").into_iter().collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn bounds_are_refused_before_anything_is_kept() {
        let body: String = (0..MAX_PAIRS + 1).map(|i| format!("members.{}.name=a&", i % 10)).collect();
        assert_eq!(PostedForm::from_urlencoded(body.as_bytes()).unwrap_err(), Refused::TooManyPairs);
        let err = PostedForm::from_pairs([("members.50.name", "a")]).unwrap_err();
        assert_eq!(err, Refused::IndexTooLarge { name: "members".into(), index: "50".into() });
        let err = PostedForm::from_pairs([("a.1.b.0007", "a")]).unwrap_err();
        assert_eq!(err, Refused::IndexTooLarge { name: "a.1.b".into(), index: "0007".into() });
        assert!(PostedForm::from_pairs([("members.49.name", "a")]).is_ok());
        assert_eq!(PostedForm::from_pairs([("x".repeat(MAX_NAME + 1), "a")]).unwrap_err(), Refused::NameTooLong);
    }
}
