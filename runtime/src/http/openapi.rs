//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{AppState, apps, cases, figures, health, inbox, photos, responsibilities, vehicles};

#[derive(OpenApi)]
#[openapi(
    info(title = "Baida 百搭 API", description = "Apps, submissions, cases and photos. Errors are RFC 9457 application/problem+json with a stable `code`, a message in the request's language (Accept-Language or ?lang=) and `errors[]` with JSON pointers."),
    paths(
        health::healthz,
        apps::list_apps,
        apps::save_app,
        apps::get_app,
        apps::validate_app,
        apps::submit,
        cases::list_cases,
        cases::get_case,
        cases::case_events,
        cases::act,
        cases::case_outbox,
        vehicles::record,
        inbox::list,
        responsibilities::list,
        responsibilities::set,
        photos::upload,
        figures::figures,
    ),
    components(schemas(apps::AppSummaryView, apps::AppVersionView, apps::SavedView, apps::SubmissionBody, apps::SubmittedView, apps::ValidView, cases::CaseView, cases::CasePage, cases::EventView, cases::OutboxView, vehicles::VehicleRecord, vehicles::VehicleCase, crate::engine::actions::Action, responsibilities::Responsibility, photos::PhotoView, figures::FiguresView, figures::FigureRow)),
    modifiers(&AdminToken),
    tags((name = "apps", description = "App definitions and their versions"), (name = "cases", description = "Submissions and cases"), (name = "photos", description = "Photo uploads"), (name = "figures", description = "Figures per app, department or category over a period"), (name = "health"))
)]
pub struct ApiDoc;

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
