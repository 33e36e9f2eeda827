//! What each error of the engine and the store answers: a conflict is a 409, a full disk a
//! 507, a busy database a 503 with `Retry-After`, an invalid definition a 422 with its problems,
//! and anything unexpected a 500 with an incident id (logged, never shown).

use baida_blocks::{Problem, Text};

use super::ApiError;
use baida_engine::{SubmitError, apps, photo::PhotoError};
use baida_store as store;

impl From<store::Error> for ApiError {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Conflict(m) => ApiError::Conflict(Text::new(m.clone(), m)),
            store::Error::Row { refusal, .. } => {
                let (zh, en) = refusal.words();
                ApiError::Conflict(Text::new(zh, en))
            }
            full if full.is_storage_full() => ApiError::StorageFull,
            timeout if timeout.is_pool_timeout() => {
                metrics::counter!("baida_db_pool_timeouts_total").increment(1);
                ApiError::Busy
            }
            busy if busy.is_busy() => ApiError::Busy,
            other => ApiError::internal(other),
        }
    }
}

impl From<apps::Error> for ApiError {
    fn from(e: apps::Error) -> Self {
        match e {
            apps::Error::Invalid(problems) => ApiError::Invalid {
                code: "invalid_app",
                title: Text::new("应用定义有误", "The app definition is not valid"),
                problems,
            },
            apps::Error::Store(e) => e.into(),
        }
    }
}

impl From<baida_engine::catalog::Error> for ApiError {
    fn from(e: baida_engine::catalog::Error) -> Self {
        use baida_engine::catalog::Error as E;
        match e {
            E::NotFound(what) => ApiError::NotFound(what),
            E::Invalid(problems) => ApiError::Invalid {
                code: "invalid_catalog_request",
                title: Text::new("目录请求有误", "The catalog request is not valid"),
                problems,
            },
            E::Conflict(why) => ApiError::Conflict(why),
            E::MergeConflicts(conflicts) => ApiError::Conflicts {
                code: "merge_conflict",
                detail: Text::new(
                    format!("本社区的修改与新版本有 {} 处冲突，请逐处选择保留哪一方", conflicts.len()),
                    format!(
                        "{} of the community's changes collide with the new version: choose a side for each",
                        conflicts.len()
                    ),
                ),
                problems: conflicts
                    .into_iter()
                    .map(|c| {
                        Problem::new(c.path, "merge_conflict", c.summary).with_hint(Text::new(
                            "在 resolutions 中为这个路径选择 mine（保留本社区的）或 theirs（采用新版本的）",
                            "In resolutions, choose mine (keep the community's) or theirs (take the new version's) for this path",
                        ))
                    })
                    .collect(),
            },
            E::Action(e) => e.into(),
            E::Review(why) => ApiError::Internal(why),
            E::Apps(e) => e.into(),
            E::Store(e) => e.into(),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::UnknownApp => ApiError::not_found_app(),
            SubmitError::UnknownVersion => {
                ApiError::NotFound(Text::new("这个应用没有该版本", "The app has no such version"))
            }
            SubmitError::UnknownCommunity => ApiError::NotFound(Text::new("没有这个社区", "No such community")),
            SubmitError::NotOffered => {
                ApiError::NotFound(Text::new("该社区没有提供这个应用", "This community does not offer the app"))
            }
            SubmitError::LoginRequired => {
                ApiError::Forbidden(Text::new("这个应用需要登录后提交", "This app needs a log-in to submit"))
            }
            SubmitError::Invalid(problems) => ApiError::Invalid {
                code: "invalid_answers",
                title: Text::new("填写内容有误", "Some answers are not valid"),
                problems,
            },
            SubmitError::App(e) => e.into(),
            SubmitError::Store(e) => e.into(),
        }
    }
}

impl From<baida_engine::actions::ActionError> for ApiError {
    fn from(e: baida_engine::actions::ActionError) -> Self {
        use baida_engine::actions::ActionError as E;
        use baida_engine::flow::FlowError;
        match e {
            E::UnknownCase => ApiError::NotFound(Text::new("没有这个案件", "No such case")),
            E::Forbidden(why) => ApiError::Forbidden(why),
            E::NotAllowed(why) => ApiError::Invalid {
                code: "action_not_allowed",
                title: Text::new("不能这样操作", "This action does not fit the case"),
                problems: vec![Problem::new("/action", "action_not_allowed", why)],
            },
            E::Invalid(problems) => ApiError::Invalid {
                code: "invalid_answers",
                title: Text::new("填写内容有误", "Some answers are not valid"),
                problems,
            },
            E::Flow(FlowError::Script(m) | FlowError::Definition(m)) => ApiError::Invalid {
                code: "flow_failed",
                title: Text::new("流程无法继续", "The flow cannot go on"),
                problems: vec![Problem::new("", "flow_failed", m)],
            },
            E::Flow(FlowError::Refused(m)) => ApiError::Invalid {
                code: "step_refused",
                title: Text::new("这一步不能这样完成", "The step cannot go on like this"),
                problems: vec![Problem::new("", "step_refused", m)],
            },
            E::App(e) => e.into(),
            E::Store(e) => e.into(),
        }
    }
}

impl From<baida_engine::org::OrgError> for ApiError {
    fn from(e: baida_engine::org::OrgError) -> Self {
        use baida_engine::org::OrgError as E;
        match e {
            E::Invalid(problem) => ApiError::Invalid {
                code: "invalid",
                title: Text::new("请求内容有误", "The request has a problem"),
                problems: vec![*problem],
            },
            E::NotFound(what) => ApiError::NotFound(what),
            E::Conflict(why) => ApiError::Conflict(why),
            E::Store(e) => e.into(),
        }
    }
}

impl From<PhotoError> for ApiError {
    fn from(e: PhotoError) -> Self {
        match e {
            PhotoError::NotAnImage => ApiError::UnsupportedMediaType(Text::new(
                "只能上传 JPEG、PNG 或 WebP 格式的照片",
                "Only JPEG, PNG or WebP photos can be uploaded",
            )),
            PhotoError::TooManyPixels { width, height, max } => ApiError::PayloadTooLarge {
                detail: Text::new(
                    format!("照片尺寸 {width}×{height} 超过上限 {max} 像素"),
                    format!("The photo is {width}×{height}, over the {max}-pixel limit"),
                ),
            },
            PhotoError::TooLarge { size, max } => ApiError::PayloadTooLarge {
                detail: Text::new(
                    format!("照片 {size} 字节，超过上限 {max} 字节"),
                    format!("The photo is {size} bytes, over the {max}-byte limit"),
                ),
            },
            PhotoError::Io(e) if store::io_full(&e) => ApiError::StorageFull,
            PhotoError::Io(e) => ApiError::internal(e),
            PhotoError::Store(e) => e.into(),
        }
    }
}

impl From<baida_engine::plugin::registry::AddError> for ApiError {
    fn from(e: baida_engine::plugin::registry::AddError) -> Self {
        use baida_engine::plugin::registry::AddError;
        match e {
            AddError::Refused(f) if f.code == "plugin_too_large" => ApiError::PayloadTooLarge { detail: f.message },
            AddError::Refused(f) => ApiError::Invalid {
                code: f.code,
                title: Text::new("插件被拒绝", "The plugin is refused"),
                problems: vec![Problem::new("", f.code, f.message)],
            },
            AddError::BadName(why) => ApiError::Invalid {
                code: "bad_plugin_name",
                title: Text::new("插件名称或版本有误", "The plugin name or version is not valid"),
                problems: vec![Problem::new("/name", "bad_plugin_name", why)],
            },
            AddError::Store(e) => e.into(),
        }
    }
}
