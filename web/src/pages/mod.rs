//! The pages people use: residents' forms and their cases, the staff workbench, the admin
//! pages, the catalog, the proposals; and what pages are made with — the templates
//! ([`render`]), the form view model ([`form_page`]) and the posted form ([`posted_form`]).
//! A page handler parses, calls the engine, and renders; it fails with
//! [`crate::page_error::PageError`], which becomes the message page.

pub mod admin;
pub mod catalog;
pub mod designer;
pub mod form_page;
pub mod forms;
pub mod home;
pub mod homes;
pub mod on_behalf;
pub mod posted_form;
pub mod profile;
pub mod proposals;
pub mod registers;
pub mod render;
pub mod residents;
pub mod track;
pub mod work;
