//! `baida catalog …`.
