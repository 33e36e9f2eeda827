//! The JSON API under `/api/v1`, one module per resource. Every operation is registered
//! through `utoipa_axum::routes!` from its `#[utoipa::path]` annotation, so the OpenAPI document
//! ([`crate::openapi`]) is made from the routes themselves. A few resources also serve the page
//! that shows them (the dictionary, the figures, the ledger, the owners' register, the staff
//! log-in), where the page and the operation share one view.

pub mod apps;
pub mod cases;
pub mod catalog;
pub mod comments;
pub mod dictionary;
pub mod docs;
pub mod drafts;
pub mod figures;
pub mod inbox;
pub mod ledger;
pub mod org;
pub mod owners;
pub mod people;
pub mod photos;
pub mod plugins;
pub mod preview;
pub mod registers;
pub mod responsibilities;
pub mod schedules;
pub mod security;
pub mod session;
pub mod tokens;
pub mod vehicles;
pub mod versions;
pub mod votes;
