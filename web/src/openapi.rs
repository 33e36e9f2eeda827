//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    AppState, apps, cases, catalog, comments, dictionary, drafts, figures, health, inbox, ledger, org, owners, people,
    photos, plugins, preview, responsibilities, security, session, tokens, vehicles, versions, votes,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baida 百搭 API", description = "Apps, submissions, cases and photos. Errors are RFC 9457 application/problem+json with a stable `code`, a message in the request's language (Accept-Language or ?lang=) and `errors[]` with JSON pointers."),
    paths(
        health::healthz,
        health::readyz,
        apps::list_apps,
        apps::save_app,
        apps::get_app,
        apps::validate_app,
        apps::submit,
        drafts::list,
        drafts::create,
        drafts::read,
        drafts::save,
        drafts::discard,
        drafts::publish,
        versions::history,
        versions::diff,
        versions::rollback,
        versions::archive,
        preview::preview,
        preview::test_run,
        cases::list_cases,
        cases::get_case,
        cases::case_events,
        cases::act,
        votes::vote,
        comments::list,
        comments::post,
        owners::owners,
        owners::confirm,
        cases::case_outbox,
        vehicles::record,
        inbox::list,
        responsibilities::list,
        responsibilities::set,
        photos::upload,
        figures::figures,
        ledger::head,
        ledger::leaves,
        ledger::consistency,
        ledger::proof,
        ledger::community_ledger,
        ledger::entries_csv,
        ledger::entries_xlsx,
        ledger::import,
        ledger::year_end,
        session::login_json,
        session::logout_json,
        session::me,
        org::list,
        org::read,
        org::create,
        org::change,
        org::retire,
        people::list,
        people::create,
        people::read,
        people::change,
        people::grant,
        people::revoke,
        people::reset_password,
        people::change_own_password,
        tokens::list,
        tokens::create,
        tokens::revoke,
        plugins::upload,
        plugins::list,
        plugins::one,
        security::list,
        dictionary::dictionary,
        catalog::list,
        catalog::entry,
        catalog::submit,
        catalog::submissions,
        catalog::submission,
        catalog::review,
        catalog::install,
        catalog::installs,
        catalog::upgrade_plan,
        catalog::upgrade,
    ),
    components(schemas(drafts::DesignerAppView, drafts::DraftView, drafts::NewDraft, drafts::DraftSave, drafts::PublishBody, versions::RollbackBody, versions::ArchiveBody, versions::HistoryItem, preview::TestRunBody, preview::TestRunView, preview::TraceItem, preview::StopView, preview::AskedField, preview::MessageView, preview::ClockView, baida_engine::test_run::StepAnswers, apps::AppSummaryView, apps::AppVersionView, apps::SavedView, apps::SubmissionBody, apps::SubmittedView, apps::ValidView, cases::CaseView, cases::CasePage, cases::EventView, cases::OutboxView, vehicles::VehicleRecord, vehicles::VehicleCase, vehicles::PlateQuery, baida_engine::actions::Action, responsibilities::Responsibility, photos::PhotoView, figures::FiguresView, figures::FigureRow, session::LoginBody, session::MeView, session::RoleAt, org::NewUnitBody, org::ChangeUnitBody, people::NewUserBody, people::ChangeUserBody, people::GrantBody, people::PasswordBody, people::OwnPasswordBody, tokens::NewTokenBody, tokens::CreatedToken, security::EventsPage, baida_store::ApiToken, baida_store::SecurityEvent, baida_store::User, baida_store::Grant, baida_engine::auth::Role, votes::Ballot, votes::Counted, comments::Comments, comments::NewComment, baida_engine::comment::Comment, owners::OwnerView, baida_engine::vote::Choice, ledger::HeadView, ledger::LeafView, ledger::ConsistencyView, ledger::LedgerView, ledger::LedgerEntryView, ledger::AccountView, ledger::TrailStep, ledger::YearEnd, baida_engine::ledger::InclusionProof, baida_core::ledger::entry::Entry, baida_core::ledger::TreeHead, baida_store::ledger::Balance, dictionary::DictionaryView, dictionary::FieldView, catalog::EntryView, catalog::EntryDetail, catalog::VersionView, catalog::SubmissionView, catalog::SubmitBody, catalog::ReviewBody, catalog::InstallBody, catalog::InstallView, catalog::PlanView, catalog::UpgradeBody, baida_engine::catalog::Change, baida_engine::catalog::Conflict, baida_engine::catalog::merge::ChangeKind, baida_engine::catalog::Side, baida_engine::catalog::Decision, baida_store::Install, baida_store::SubmissionStatus, plugins::UploadedView, plugins::PluginView, plugins::PluginUse, baida_store::PluginVersion)),
    modifiers(&Auth, &Problems),
    tags((name = "apps", description = "App definitions and their versions"), (name = "cases", description = "Submissions and cases"), (name = "photos", description = "Photo uploads"), (name = "figures", description = "Figures per app, department or category over a period"), (name = "people", description = "Log-in, the organisation tree, accounts and roles, API tokens, security events"), (name = "ledger", description = "The community ledger: open accounts and entries, the signed transparency log and its proofs"), (name = "dictionary", description = "The data dictionary: shared fields, code lists, categories and scenarios"), (name = "catalog", description = "The district catalog: submit, review, browse, install, upgrade"), (name = "plugins", description = "WebAssembly plugins: upload, versions, which apps use them"), (name = "health"))
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

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
