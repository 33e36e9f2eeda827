//! A grid worker filling a form on a resident's behalf (代居民填写): on `/a/{community}/{app}`
//! staff who may file cases in the community find the resident by the phone number of a home
//! declared there (`/my/home`); the resident's profile pre-fills the form under the
//! resident's own consent, the read is recorded with the worker's name, and the case is the
//! resident's (they follow it on their phone), filed through the `assisted` channel.

use baida_core::kinds::UnitKind;
use serde::Serialize;

use crate::{ApiError, AppState, access};
use baida_engine::auth::{Actor, Permission};

/// The channel of cases filed by staff for a resident.
pub const CHANNEL: &str = "assisted";

/// The resident a form is filled for.
#[derive(Debug, Clone)]
pub struct Resident {
    pub id: String,
    pub phone: String,
}

/// The "fill for a resident" box on the form page, for staff.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Assist {
    /// The phone number asked for.
    pub phone: String,
    /// A resident was found (the form posts `_for` with the phone number).
    pub found: bool,
    /// What the search found, in the page's language.
    pub message: Option<String>,
}

/// Whose profile a form page reads, and who reads it.
#[derive(Debug, Clone)]
pub struct Reading {
    pub resident: String,
    /// `form:{app}` for the resident themself, `staff:{name}` for a worker (the read log).
    pub reader: String,
    /// The resident's masked phone number, when staff read for them.
    pub for_resident: Option<String>,
}

/// What staff filling in a form at a unit found for a phone number.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// The box on the form page.
    pub assist: Assist,
    /// The resident with a home there by that number: the case will be theirs.
    pub resident: Option<Resident>,
    /// They let staff read (and add to) their profile when filling in for them.
    pub allowed: bool,
}

impl Lookup {
    /// The resident's profile to read, if they allow it.
    pub fn reading(&self, actor: &Actor) -> Option<Reading> {
        let r = self.resident.as_ref().filter(|_| self.allowed)?;
        Some(Reading { resident: r.id.clone(), reader: reader(actor), for_resident: Some(masked(&r.phone)) })
    }
}

/// For staff on a form at `unit`: the resident `phone` finds there, and whether they let staff
/// read their profile. `None` when the actor may not file cases there.
pub async fn lookup(
    state: &AppState,
    actor: &Actor,
    unit: &str,
    phone: Option<String>,
    lang: baida_blocks::Lang,
) -> Result<Option<Lookup>, ApiError> {
    if !may_assist(state, actor, unit).await? {
        return Ok(None);
    }
    // Read through the one normalisation (full-width digits, spaces, +86); kept as typed when it
    // is no mobile number, so the page shows what was asked for.
    let typed = phone.unwrap_or_default();
    let phone = baida_blocks::formats::normalize_phone(&typed).unwrap_or_else(|| typed.trim().to_string());
    let found = resident(state, unit, &phone).await?;
    let allowed = match &found {
        Some(r) => state.engine.assisted_consent(&r.id).await?,
        None => false,
    };
    let message = match (&found, allowed) {
        (None, _) if phone.is_empty() => None,
        (None, _) => Some(crate::i18n::word(lang, "assist_not_found")),
        (Some(_), false) => Some(crate::i18n::word(lang, "assist_not_allowed")),
        (Some(_), true) => None,
    };
    Ok(Some(Lookup { assist: Assist { phone, found: found.is_some(), message }, resident: found, allowed }))
}

/// May `actor` file cases for residents of `unit`'s community?
async fn may_assist(state: &AppState, actor: &Actor, unit: &str) -> Result<bool, ApiError> {
    if !matches!(actor, Actor::Staff(_) | Actor::Root) {
        return Ok(false);
    }
    let tree = access::tree(state).await?;
    Ok(actor.can(Permission::CasesSubmit, unit, &tree))
}

/// The resident with this phone number who declared a home in `unit`'s community.
async fn resident(state: &AppState, unit: &str, phone: &str) -> Result<Option<Resident>, ApiError> {
    let (community, _) = state.engine.filed_in(unit).await?;
    Ok(state.engine.resident_of(&community, phone).await?.map(|(id, phone)| Resident { id, phone }))
}

/// `13812345678` → `138****5678`.
pub fn masked(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
    format!("{}****{}", head.iter().collect::<String>(), tail.iter().collect::<String>())
}

/// A form staff can fill for residents, listed on the workbench.
#[derive(Debug, Clone, Serialize)]
pub struct FormLink {
    /// The community or grid's id and the app's: the form is `/a/{unit_id}/{app_id}`.
    pub unit_id: String,
    pub app_id: String,
    pub name: String,
    pub icon: String,
    /// The community or grid it is filed in.
    pub unit: String,
}

/// The residents' forms offered where the actor files cases (the communities and grids they
/// are posted to), for the workbench's "fill in for a resident" list: apps owned by the unit
/// or one above it, not archived, not staff-only ([`baida_engine::Engine::forms_offered_at`]).
pub async fn forms(state: &AppState, actor: &Actor, lang: baida_blocks::Lang) -> Result<Vec<FormLink>, ApiError> {
    let tree = access::tree(state).await?;
    let mut units: Vec<&baida_store::OrgUnit> = actor
        .holdings()
        .iter()
        .filter(|h| h.permissions.contains(&Permission::CasesSubmit))
        .filter_map(|h| tree.get(&h.unit_id))
        .filter(|u| matches!(u.kind, UnitKind::Community | UnitKind::Grid) && u.retired_at.is_none())
        .collect();
    units.dedup_by_key(|u| u.id.clone());
    if units.is_empty() {
        return Ok(Vec::new());
    }
    let en = lang == baida_blocks::Lang::En;
    let mut out = Vec::new();
    for unit in units.into_iter().take(3) {
        for loaded in state.engine.forms_offered_at(&unit.id, &tree).await? {
            let app = &loaded.compiled.app;
            out.push(FormLink {
                unit_id: unit.id.clone(),
                app_id: app.id.clone(),
                name: app.name.get(lang).to_string(),
                icon: app.icon.clone().unwrap_or_default(),
                unit: if en { unit.name_en.clone() } else { unit.name_zh.clone() },
            });
        }
    }
    Ok(out)
}

/// How a worker is named in the resident's read log.
fn reader(actor: &Actor) -> String {
    match actor {
        Actor::Staff(s) => format!("staff:{}", s.name),
        other => format!("staff:{}", other.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_masked() {
        assert_eq!(masked("13812345678"), "138****5678");
        assert_eq!(masked("12345"), "*****");
    }
}
