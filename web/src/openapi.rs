//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.

use axum::Json;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::{
    AppState, api::apps, api::cases, api::catalog, api::comments, api::dictionary, api::drafts, api::figures,
    api::ledger, api::org, api::owners, api::people, api::photos, api::plugins, api::preview, api::responsibilities,
    api::security, api::session, api::tokens, api::vehicles, api::versions, api::votes,
};
use std::sync::OnceLock;

#[derive(OpenApi)]
#[openapi(
    info(title = "Baida 百搭 API", description = "Apps, submissions, cases and photos. Errors are RFC 9457 application/problem+json with a stable `code`, a message in the request's language (Accept-Language or ?lang=) and `errors[]` with JSON pointers."),
    components(schemas(drafts::DesignerAppView, drafts::DraftView, drafts::NewDraft, drafts::DraftSave, drafts::PublishBody, versions::RollbackBody, versions::ArchiveBody, versions::HistoryItem, preview::TestRunBody, preview::TestRunView, preview::TraceItem, preview::StopView, preview::AskedField, preview::MessageView, preview::ClockView, baida_engine::test_run::StepAnswers, apps::AppSummaryView, apps::AppVersionView, apps::SavedView, apps::SubmissionBody, apps::SubmittedView, apps::ValidView, cases::CaseView, cases::CasePage, cases::EventView, cases::OutboxView, vehicles::VehicleRecord, vehicles::VehicleCase, vehicles::PlateQuery, baida_engine::actions::Action, responsibilities::Responsibility, photos::PhotoView, figures::FiguresView, figures::FigureRow, session::LoginBody, session::MeView, session::RoleAt, org::NewUnitBody, org::ChangeUnitBody, people::NewUserBody, people::ChangeUserBody, people::GrantBody, people::PasswordBody, people::OwnPasswordBody, tokens::NewTokenBody, tokens::CreatedToken, security::EventsPage, baida_store::ApiToken, baida_store::SecurityEvent, baida_store::User, baida_store::Grant, baida_engine::auth::Role, votes::Ballot, votes::Counted, comments::Comments, comments::NewComment, baida_engine::comment::Comment, owners::OwnerView, baida_engine::vote::Choice, ledger::HeadView, ledger::LeafView, ledger::ConsistencyView, ledger::LedgerView, ledger::LedgerEntryView, ledger::AccountView, ledger::TrailStep, ledger::YearEnd, baida_engine::ledger::InclusionProof, baida_core::ledger::entry::Entry, baida_core::ledger::TreeHead, baida_store::ledger::Balance, dictionary::DictionaryView, dictionary::FieldView, catalog::EntryView, catalog::EntryDetail, catalog::VersionView, catalog::SubmissionView, catalog::SubmitBody, catalog::ReviewBody, catalog::InstallBody, catalog::InstallView, catalog::PlanView, catalog::UpgradeBody, baida_engine::catalog::Change, baida_engine::catalog::Conflict, baida_engine::catalog::merge::ChangeKind, baida_engine::catalog::Side, baida_engine::catalog::Decision, baida_store::Install, baida_store::SubmissionStatus, plugins::UploadedView, plugins::PluginView, plugins::PluginUse, baida_store::PluginVersion)),
    modifiers(&Auth),
    tags((name = "apps", description = "App definitions and their versions"), (name = "cases", description = "Submissions and cases"), (name = "photos", description = "Photo uploads"), (name = "figures", description = "Figures per app, department or category over a period"), (name = "people", description = "Log-in, the organisation tree, accounts and roles, API tokens, security events"), (name = "ledger", description = "The community ledger: open accounts and entries, the signed transparency log and its proofs"), (name = "dictionary", description = "The data dictionary: shared fields, code lists, categories and scenarios"), (name = "catalog", description = "The district catalog: submit, review, browse, install, upgrade"), (name = "plugins", description = "WebAssembly plugins: upload, versions, which apps use them"), (name = "registers", description = "Registers (台账): rows that outlive cases, their history, import and export"), (name = "health"))
)]
pub struct ApiDoc;

/// Two ways in: a bearer token (an API token, or the operator's admin token) and the session
/// cookie set by log-in.
struct Auth;

impl Modify for Auth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(baida_engine::auth::session::COOKIE))),
        );
    }
}

/// The error answers every operation can give because of how it takes its input — written
/// once here, from the operation's own shape, rather than by hand at 78 routes (where they
/// were missing): a body can be malformed (400), too large (413), of the wrong type (415) or
/// invalid (422); a query can be malformed (400); a path names something that may not exist
/// (404); a secured operation needs a log-in (401) and a permission (403); a state-changing
/// request from another origin is refused (403). Each is `application/problem+json`.
struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder, Schema};
        let schema: Schema = match serde_json::from_value(serde_json::json!({
            "type": "object",
            "description": "RFC 9457 problem details",
            "required": ["type", "title", "status", "code"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "code": {"type": "string", "description": "Stable, machine-readable"},
                "detail": {"type": "string"}, "incident": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {
                    "pointer": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"},
                    "hint": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"}}}}
            }
        })) {
            Ok(schema) => schema,
            Err(_) => return,
        };
        openapi.components.get_or_insert_with(Default::default).schemas.insert("Problem".into(), RefOr::T(schema));
        let problem = |why: &str| {
            let content = ContentBuilder::new()
                .schema(Some(RefOr::<Schema>::Ref(utoipa::openapi::Ref::from_schema_name("Problem"))))
                .build();
            RefOr::T(ResponseBuilder::new().description(why).content("application/problem+json", content).build())
        };
        let implied = |path: &str, changes: bool, op: &Operation| {
            let mut out: Vec<(&str, &str)> = Vec::new();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if secured {
                out.push(("401", "Not logged in, or the token is wrong or revoked"));
                out.push(("403", "Not allowed (recorded as a security event)"));
            }
            if changes {
                out.push(("403", "Refused: a state-changing request from another origin"));
            }
            if path.contains('{') {
                out.push(("404", "No such thing, or not one the asker may see"));
            }
            if op.parameters.iter().flatten().any(|p| matches!(p.parameter_in, ParameterIn::Query)) {
                out.push(("400", "A query parameter is not valid"));
            }
            if op.request_body.is_some() {
                out.push(("404", "Something the body names does not exist, or is not one the asker may see"));
                out.push(("400", "The body is malformed"));
                out.push(("413", "The body is over the limit"));
                out.push(("415", "The body is not of a type this operation takes"));
                out.push(("422", "The body has problems (errors[] with JSON pointers)"));
            }
            out
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (op, changes) in operations {
                let Some(op) = op.as_mut() else { continue };
                for (status, why) in implied(path, changes, op) {
                    op.responses.responses.entry(status.to_string()).or_insert_with(|| problem(why));
                }
            }
        }
    }
}

/// The document: the operations of every route registered through `routes!` ([`crate::routes`]),
/// with the error answers each implies ([`Problems`]). Made once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = crate::routes().into_openapi();
        Problems.modify(&mut doc);
        doc
    })
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().route("/api/v1/openapi.json", get(|| async { Json(document()) }))
}

#[cfg(test)]
mod tests {
    /// An `/api/` route registered with `.route(…)` would be served but missing from the
    /// document (and from the tenant-isolation test, which walks the document): every API
    /// route goes through `routes!`, but for these, which are not JSON operations.
    #[test]
    fn every_api_route_is_in_the_document() {
        const NOT_OPERATIONS: &[&str] = &["/api/v1/openapi.json", "/api/docs"];
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut files);
        assert!(files.len() > 30, "the sources were not found");
        let doc = super::document();
        let mut found = Vec::new();
        for path in files {
            let Ok(source) = std::fs::read_to_string(&path) else { continue };
            for part in source.split(".route(\"").skip(1) {
                let route = part.split('"').next().unwrap_or_default();
                if route.starts_with("/api/") && !NOT_OPERATIONS.contains(&route) {
                    found.push(format!("{}: {route}", path.display()));
                }
            }
            // An annotated operation registered with `.route(…)` would be served, not documented.
            for part in source.split("utoipa::path(").skip(1) {
                let Some(route) = part.split("path = \"").nth(1).and_then(|p| p.split('"').next()) else { continue };
                if !doc.paths.paths.contains_key(route) {
                    found.push(format!("{}: {route} (annotated)", path.display()));
                }
            }
        }
        assert!(found.is_empty(), "API routes registered outside routes!: {found:?}");
        assert!(doc.paths.paths.contains_key("/api/v1/cases/{id}/actions"));
        assert!(doc.paths.paths.len() > 50, "{} paths", doc.paths.paths.len());
    }
}
