//! A vehicle's record (挪车e站 closes the loop): every closed case of any app whose form
//! records a `vehicle.plate_number` dictionary field, for one plate — the basis of its
//! credit record.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::extract::StaffActor;
use super::{ApiError, AppState};
use crate::auth::Permission;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/vehicles/{plate}", get(record))
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

/// The record of a vehicle by plate number: its closed cases, newest first.
#[utoipa::path(get, path = "/api/v1/vehicles/{plate}", tag = "cases", params(("plate" = String, Path, description = "Plate number, e.g. 粤B12345")),
    responses((status = 200, body = VehicleRecord)), security(("bearer" = []), ("session" = [])))]
pub async fn record(
    State(state): State<AppState>,
    StaffActor(actor): StaffActor,
    Path(plate): Path<String>,
) -> Result<Json<VehicleRecord>, ApiError> {
    let tree = super::access::require(&state, &actor, Permission::CasesRead, None).await?;
    let plate = plate.trim().to_uppercase();
    let mut cases = Vec::new();
    for app in state.store.apps().await? {
        let Some(loaded) = state.apps.load(&app.app_id, None).await? else { continue };
        let keys: Vec<&str> = loaded
            .compiled
            .fields
            .iter()
            .filter(|f| f.field.dict.as_deref() == Some("vehicle.plate_number"))
            .map(|f| f.field.key.as_str())
            .collect();
        for key in keys {
            for c in state.store.closed_cases_with(&app.app_id, key, &plate, 200).await? {
                // Only the cases this person may read count, or a record would leak others'.
                if !super::access::may_see(&state, &actor, &c, &tree).await? {
                    continue;
                }
                let credit = c.record.get("credit_record").and_then(Value::as_bool).unwrap_or(false);
                cases.push(VehicleCase {
                    case_id: c.id,
                    number: c.number,
                    app_id: c.app_id,
                    closed_at: c.closed_at,
                    outcome: c.record.get("outcome").cloned().unwrap_or(Value::Null),
                    counts_against_credit: credit,
                });
            }
        }
    }
    cases.sort_by_key(|c| std::cmp::Reverse(c.closed_at));
    let credit_marks = cases.iter().filter(|c| c.counts_against_credit).count();
    Ok(Json(VehicleRecord { plate, cases, credit_marks }))
}
