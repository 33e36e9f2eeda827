//! Following a case without an account: a tracking link opens a case for whoever holds its
//! token (only the token's hash is stored, compared in constant time), and a logged-in
//! resident's own cases open for them. Anything else is `None`, never saying which part was
//! wrong. A logged-in resident also has the list of their own cases.

use baida_core::hash::{same_digest, sha256_hex};

use crate::Engine;
use crate::apps::{self, Loaded};
use baida_store::{self as store, Case, CaseFilter, Event};

impl Engine {
    /// A logged-in resident's own cases, newest first (at most `limit`).
    pub async fn resident_cases(&self, resident: &str, limit: i64) -> Result<Vec<Case>, store::Error> {
        let filter = CaseFilter { resident_id: Some(resident.to_string()), limit, ..CaseFilter::default() };
        self.store.cases(&filter).await
    }

    /// The case behind a tracking link (`token`) or owned by `resident`, with its app version.
    pub async fn tracked_case(
        &self,
        id: &str,
        resident: Option<&str>,
        token: Option<&str>,
    ) -> Result<Option<(Case, Loaded)>, apps::Error> {
        let Some(case) = self.store.case(id).await? else { return Ok(None) };
        let own = resident.is_some() && case.resident_id.as_deref() == resident;
        if !own && !same_digest(&sha256_hex(token.unwrap_or_default()), &case.tracking_hash) {
            return Ok(None);
        }
        let Some(loaded) = self.apps.load(&case.app_id, Some(&case.app_version)).await? else { return Ok(None) };
        Ok(Some((case, loaded)))
    }

    /// The event log of a case its follower has opened ([`Engine::tracked_case`]), oldest first.
    pub async fn tracked_events(&self, case: &Case) -> Result<Vec<Event>, store::Error> {
        self.store.events(&case.id).await
    }

    /// The case `id` again and its events after `after`, when it has any (for a live page that
    /// already opened it).
    pub async fn tracked_since(&self, id: &str, after: i64) -> Result<Option<(Case, Vec<Event>)>, store::Error> {
        let Some(case) = self.store.case(id).await? else { return Ok(None) };
        if case.event_count <= after {
            return Ok(None);
        }
        let events = self.store.events(id).await?.into_iter().filter(|e| e.seq > after).collect();
        Ok(Some((case, events)))
    }
}
