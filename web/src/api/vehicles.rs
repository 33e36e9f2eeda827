//! A vehicle's record (挪车e站 closes the loop): every closed case of any app whose form
//! records a `vehicle.plate_number` dictionary field, for one plate — the basis of its
//! credit record. The plate is asked in the body (`POST /api/v1/vehicles/lookup`), never in
//! the URL, where browsers, proxies and logs would keep it.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::extract::{ApiJson, StaffActor};
use crate::{ApiError, AppState};
use baida_engine::auth::Permission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record))
}

/// The plate to look up.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlateQuery {
    /// Plate number, e.g. 粤B12345 (case and spaces do not matter).
    pub plate: String,
}

/// One closed case about the vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleCase {
    pub case_id: String,
    pub number: String,
    pub app_id: String,
    pub closed_at: Option<DateTime<Utc>>,
    /// The outcome and credit mark the handler recorded, when the app asks for them.
    #[schema(value_type = Object)]
    pub outcome: Value,
    pub counts_against_credit: bool,
}

/// A vehicle's record.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleRecord {
    pub plate: String,
    pub cases: Vec<VehicleCase>,
    /// How many closed cases marked the vehicle in its credit record.
    pub credit_marks: usize,
}

/// The record of a vehicle by plate number: its closed cases the asker may read, newest first.
#[utoipa::path(post, path = "/api/v1/vehicles/lookup", tag = "cases", request_body = PlateQuery,
    responses((status = 200, body = VehicleRecord)), security(("bearer" = []), ("session" = [])))]
pub async fn record(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    ApiJson(q): ApiJson<PlateQuery>,
) -> Result<Json<VehicleRecord>, ApiError> {
    let tree = crate::access::require(&state, &actor, Permission::CasesRead, None).await?;
    let plate: String = q.plate.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if plate.is_empty() || plate.chars().count() > 16 {
        return Err(ApiError::Invalid {
            code: "invalid_plate",
            title: baida_blocks::Text::new("车牌号有误", "The plate number is not valid"),
            problems: vec![baida_blocks::Problem::new(
                "/plate",
                "plate",
                baida_blocks::Text::new(
                    "请填写车牌号（最多 16 个字符）",
                    "Enter a plate number (at most 16 characters)",
                ),
            )],
        });
    }
    let cases: Vec<VehicleCase> = state
        .engine
        .vehicle_cases(&actor, &plate, &tree)
        .await?
        .into_iter()
        .map(|c| VehicleCase {
            counts_against_credit: c.record.get("credit_record").and_then(Value::as_bool).unwrap_or(false),
            outcome: c.record.get("outcome").cloned().unwrap_or(Value::Null),
            case_id: c.id,
            number: c.number,
            app_id: c.app_id,
            closed_at: c.closed_at,
        })
        .collect();
    let credit_marks = cases.iter().filter(|c| c.counts_against_credit).count();
    Ok(Json(VehicleRecord { plate, cases, credit_marks }))
}
