//! A vehicle's record: the closed cases, across every app whose form has a field with the
//! dictionary's plate number (`vehicle.plate_number`), that name a plate — only those the
//! asker may read, or a record would leak other units' cases.

use crate::Engine;
use crate::apps;
use crate::auth::{Actor, OrgTree};
use baida_store::Case;

/// The dictionary entry a plate number field names.
pub const PLATE_NUMBER: &str = "vehicle.plate_number";

impl Engine {
    /// The closed cases naming `plate` (already normalised) that `actor` may read, newest
    /// closed first; at most 200 per app and field.
    pub async fn vehicle_cases(&self, actor: &Actor, plate: &str, tree: &OrgTree) -> Result<Vec<Case>, apps::Error> {
        let mut cases = Vec::new();
        for app in self.store.apps().await? {
            let Some(loaded) = self.apps.load(&app.app_id, None).await? else { continue };
            let keys = loaded
                .compiled
                .fields
                .iter()
                .filter(|f| f.field.dict.as_deref() == Some(PLATE_NUMBER))
                .map(|f| f.field.key.as_str());
            for key in keys {
                for c in self.store.closed_cases_with(&app.app_id, key, plate, 200).await? {
                    if self.may_see(actor, &c, tree).await? {
                        cases.push(c);
                    }
                }
            }
        }
        cases.sort_by_key(|c| std::cmp::Reverse(c.closed_at));
        Ok(cases)
    }
}
