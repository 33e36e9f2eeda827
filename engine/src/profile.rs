//! Enter once, many share (一次录入，多方共享): what a logged-in resident enters in a field that
//! references the data dictionary (`dict`) is remembered, and pre-fills the same dictionary
//! field in the next app they open — only with their consent, only up to the sensitivity they
//! allowed, and every read recorded.
//!
//! The dictionary says whose profile keeps a field (`profile` in its data files): the
//! resident's own (name, phone, car) or their household's (address, household size, tenure),
//! shared by everyone the community confirmed at the same home (declared on `/my/home`,
//! confirmed on `/work/owners`), each within their own consent. Without a confirmed home,
//! household fields are kept with the resident. What a case is about
//! (a complaint's title, a visit's note) is kept by no profile, nor photos, locations and
//! repeat groups.
//!
//! A grid worker filling a form on a resident's behalf (for a resident who declared a home in
//! the worker's community) reads the same profile under the same consent; the read is recorded
//! with the worker's name.
//!
//! Consent levels: `none` (nothing kept, nothing shared; the default), `personal` (public,
//! internal and personal fields), `sensitive` (also sensitive ones such as the ID number).
//! Withdrawing consent (`none`) forgets what the resident entered.

use baida_blocks::{CompiledApp, CompiledField, Dictionary, FieldType, ProfileScope, Sensitivity, Text};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use baida_store::{self as store, Home, Household, ProfileRead, ProfileValue, Store};

/// The consent levels, in order.
pub const LEVELS: [&str; 3] = ["none", "personal", "sensitive"];

/// May a field of `sensitivity` be shared under consent `level`?
pub fn allowed(level: &str, sensitivity: Sensitivity) -> bool {
    match level {
        "sensitive" => true,
        "personal" => sensitivity != Sensitivity::Sensitive,
        _ => false,
    }
}

/// The intake fields that take part: top-level, holding a plain value, referencing a
/// dictionary field some profile keeps; with the dictionary key and whose profile it is.
fn shared_fields<'a>(app: &'a CompiledApp, dict: &Dictionary) -> Vec<(&'a CompiledField, &'a str, ProfileScope)> {
    app.intake_fields()
        .into_iter()
        .filter(|f| !matches!(f.ty, FieldType::Photo | FieldType::Location | FieldType::Group | FieldType::Section))
        // A computed value is the app's own, worked out again from the record.
        .filter(|f| f.field.compute.is_none())
        .filter_map(|f| {
            let key = f.field.dict.as_deref()?;
            let scope = dict.field(key)?.profile?;
            Some((f, key, scope))
        })
        .collect()
}

/// What pre-fills a form: answers by field key, and the labels of the fields filled from the
/// resident's own profile and from their household's.
#[derive(Debug, Default)]
pub struct Prefill {
    pub answers: Map<String, Value>,
    pub keys: Vec<String>,
    pub mine: Vec<Text>,
    pub household: Vec<Text>,
}

/// The household whose profile the resident shares: that of their home once the community
/// confirmed them there (the register on `/work/owners`). A home anyone can declare shares
/// nothing: typing a neighbour's flat must not open the neighbour's facts.
pub async fn household_of(store: &dyn Store, resident: &str) -> Result<Option<Household>, store::Error> {
    Ok(store.home(resident).await?.filter(|h| h.confirmed_at.is_some()).as_ref().map(Household::of))
}

/// Reads what the resident's and their household's profiles hold for `app`'s fields, within
/// the resident's consent, and records the read by `reader` (one row per field).
pub async fn prefill(
    store: &dyn Store,
    dict: &Dictionary,
    resident: &str,
    app: &CompiledApp,
    reader: &str,
    at: DateTime<Utc>,
) -> Result<Prefill, store::Error> {
    let level = store.consent(resident).await?.unwrap_or_else(|| "none".into());
    let mut out = Prefill::default();
    if level == "none" {
        return Ok(out);
    }
    let own = store.profile(resident).await?;
    let household = match household_of(store, resident).await? {
        Some(h) => store.household_profile(&h).await?,
        None => Vec::new(),
    };
    let mut read = Vec::new();
    for (f, key, scope) in shared_fields(app, dict) {
        if !allowed(&level, f.sensitivity) {
            continue;
        }
        // A household field: the household's value, unless the resident kept a different one of
        // their own (see [`remember`]), else one kept with the resident before their home was
        // confirmed.
        let mine = own.iter().find(|v| v.dict_key == key);
        let from_household = (scope == ProfileScope::Household)
            .then(|| household.iter().find(|v| v.dict_key == key))
            .flatten()
            .filter(|h| mine.is_none_or(|m| m.updated_at <= h.updated_at || m.value == h.value));
        let Some(v) = from_household.or(mine) else { continue };
        out.answers.insert(f.field.key.clone(), v.value.clone());
        out.keys.push(f.field.key.clone());
        if from_household.is_some() { &mut out.household } else { &mut out.mine }.push(f.field.label_text());
        read.push(key.to_string());
    }
    if !read.is_empty() {
        store.record_reads(resident, &read, &app.app.id, reader, at).await?;
    }
    Ok(out)
}

/// Remembers the dictionary fields of a submission made by or for a resident, within their
/// consent: each in the resident's profile or their household's, as the dictionary says. The
/// resident's own corrections replace their earlier entries; a household value another member
/// entered is never replaced — a different value is kept in the resident's own profile, for
/// them, and the family's stays as it was.
pub async fn remember(
    store: &dyn Store,
    dict: &Dictionary,
    resident: &str,
    app: &CompiledApp,
    answers: &Value,
    at: DateTime<Utc>,
) -> Result<(), store::Error> {
    let level = store.consent(resident).await?.unwrap_or_else(|| "none".into());
    if level == "none" {
        return Ok(());
    }
    let household = household_of(store, resident).await?;
    let kept = match &household {
        Some(h) => store.household_profile(h).await?,
        None => Vec::new(),
    };
    // Another member's entry that this one would change.
    let theirs = |key: &str, v: &Value| {
        kept.iter().any(|k| k.dict_key == key && k.entered_by.as_deref() != Some(resident) && &k.value != v)
    };
    let (mut own, mut shared) = (Vec::new(), Vec::new());
    for (f, key, scope) in shared_fields(app, dict) {
        let Some(v) = answers.get(&f.field.key) else { continue };
        let empty = v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty());
        if empty || !allowed(&level, f.sensitivity) {
            continue;
        }
        match scope {
            ProfileScope::Household if household.is_some() && !theirs(key, v) => {
                shared.push((key.to_string(), v.clone()))
            }
            _ => own.push((key.to_string(), v.clone())),
        }
    }
    if !own.is_empty() {
        store.remember(resident, &own, &app.app.id, at).await?;
    }
    if let Some(h) = household.filter(|_| !shared.is_empty()) {
        store.remember_household(&h, &shared, &app.app.id, resident, at).await?;
    }
    Ok(())
}

/// What a resident's profile page shows: their consent, what is kept for them and their
/// household, their home, and who read what lately.
pub struct Overview {
    /// `none`, `personal` or `sensitive`.
    pub level: String,
    /// Whether staff filling in for them may read and add to it.
    pub assisted: bool,
    pub values: Vec<ProfileValue>,
    /// The household's values (only once the community confirmed their home).
    pub household: Vec<ProfileValue>,
    pub home: Option<Home>,
    /// The 50 latest reads.
    pub reads: Vec<ProfileRead>,
}

/// Profiles as the pages ask for them: the engine's store, dictionary and clock behind each.
impl crate::Engine {
    /// A resident's profile page.
    pub async fn profile_overview(&self, resident: &str) -> Result<Overview, store::Error> {
        let store = self.store.as_ref();
        // Only a home the community confirmed shares its household's facts.
        let household = match household_of(store, resident).await? {
            Some(h) => store.household_profile(&h).await?,
            None => Vec::new(),
        };
        Ok(Overview {
            level: store.consent(resident).await?.unwrap_or_else(|| "none".into()),
            assisted: store.assisted_consent(resident).await?,
            values: store.profile(resident).await?,
            household,
            home: store.home(resident).await?,
            reads: store.profile_reads(resident, 50).await?,
        })
    }

    /// Sets a resident's consent (one of [`LEVELS`]); `none` forgets what was kept and lets no
    /// one fill in from it. `false` for a level that is none of them (nothing changes).
    pub async fn set_consent(&self, resident: &str, level: &str, assisted: bool) -> Result<bool, store::Error> {
        if !LEVELS.contains(&level) {
            return Ok(false);
        }
        let assisted = assisted && level != "none";
        self.store.set_consent(resident, level, assisted, self.clock.now()).await?;
        if level == "none" {
            self.store.forget_profile(resident).await?;
        }
        Ok(true)
    }

    /// Whether the resident lets staff filling in for them read and add to their profile.
    pub async fn assisted_consent(&self, resident: &str) -> Result<bool, store::Error> {
        self.store.assisted_consent(resident).await
    }

    /// The resident (id, phone) with this mobile number who declared a home in `community`.
    pub async fn resident_of(&self, community: &str, phone: &str) -> Result<Option<(String, String)>, store::Error> {
        let Some(phone) = baida_blocks::formats::normalize_phone(phone) else { return Ok(None) };
        let homes = self.store.homes_in(community).await?;
        Ok(homes.into_iter().find(|(_, p)| *p == phone).map(|(home, phone)| (home.resident_id, phone)))
    }

    /// [`prefill`], read by `reader` now.
    pub async fn prefill(&self, resident: &str, app: &CompiledApp, reader: &str) -> Result<Prefill, store::Error> {
        prefill(self.store.as_ref(), self.apps.dictionary(), resident, app, reader, self.clock.now()).await
    }

    /// [`remember`], now.
    pub async fn remember(&self, resident: &str, app: &CompiledApp, answers: &Value) -> Result<(), store::Error> {
        remember(self.store.as_ref(), self.apps.dictionary(), resident, app, answers, self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_bounds_what_is_shared() {
        assert!(!allowed("none", Sensitivity::Public));
        assert!(allowed("personal", Sensitivity::Personal) && !allowed("personal", Sensitivity::Sensitive));
        assert!(allowed("sensitive", Sensitivity::Sensitive));
    }
}
