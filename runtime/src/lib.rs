//! # baida-runtime
//!
//! The Baida server and command line: storage ([`store`]), the engine that turns
//! submissions into durable cases ([`engine`]), the app registry ([`apps`]), the district
//! catalog ([`catalog`]), photos
//! ([`photo`]), pages ([`render`], [`form_page`]), HTTP ([`http`]) and the CLI ([`cli`]).
//!
//! Architecture invariants: only [`http`] knows about HTTP; only [`store`] writes SQL;
//! app definitions are interpreted through `baida-blocks` and never by hand here.
//!
//! Reading order: [`server`] (how it is put together), [`http`], [`engine::submit`],
//! [`store`], then the rest.

pub mod apps;
pub mod auth;
pub mod backup_cli;
pub mod catalog;
pub mod catalog_cli;
pub mod cli;
pub mod config;
pub mod core;
pub mod demo;
pub mod engine;
pub mod form_page;
pub mod http;
pub mod i18n;
pub mod ledger;
pub mod ledger_cli;
pub mod notify;
pub mod org;
pub mod org_cli;
pub mod photo;
pub mod plugin;
pub mod plugin_cli;
pub mod posted_form;
pub mod profile;
pub mod render;
pub mod server;
pub mod shutdown;
pub mod store;
