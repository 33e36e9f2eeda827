//! Homes and the owners' register: a resident declares the home they live in (a community, a
//! building, a flat); staff confirm owners one by one, and a confirmed owner may vote on the
//! community's proposals (`auth::steps`). Who may read or confirm the register (`users.manage`
//! at the community) is decided by the caller.

use baida_blocks::Text;
use baida_core::kinds::UnitKind;
use baida_store::{self as store, Home, OrgUnit};

use crate::Engine;
use crate::auth::session;

/// The longest building or flat a resident may type, in characters.
pub const MAX_PLACE: usize = 20;

/// Why a home could not be declared.
#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    /// The resident's to fix: what to change, in both languages.
    #[error("{}", .0.en())]
    Refused(Text),
    #[error(transparent)]
    Store(#[from] store::Error),
}

impl Engine {
    /// The community with this id (retired or not); `None` when there is no such unit or it is
    /// not a community.
    pub async fn community(&self, id: &str) -> Result<Option<OrgUnit>, store::Error> {
        Ok(self.store.org_unit(id).await?.filter(|u| u.kind == UnitKind::Community))
    }

    /// The communities a resident may live in: those not retired, in the store's order.
    pub async fn open_communities(&self) -> Result<Vec<OrgUnit>, store::Error> {
        Ok(self
            .store
            .org_units()
            .await?
            .into_iter()
            .filter(|u| u.kind == UnitKind::Community && u.retired_at.is_none())
            .collect())
    }

    /// Declares (or declares again) a resident's home: a community not retired, and a building
    /// and a flat of 1 to [`MAX_PLACE`] characters (trimmed). A new declaration is unconfirmed.
    pub async fn declare_home(
        &self,
        resident: &str,
        community: &str,
        building: &str,
        room: &str,
    ) -> Result<Home, HomeError> {
        let (building, room) = (building.trim(), room.trim());
        let open = self.community(community).await?.is_some_and(|u| u.retired_at.is_none());
        if !open {
            return Err(HomeError::Refused(Text::new("请选择所在社区", "Choose your community")));
        }
        if building.is_empty() || building.chars().count() > MAX_PLACE {
            return Err(HomeError::Refused(Text::new(
                "请填写楼栋（最多 20 字），例如 3号楼",
                "Enter your building (at most 20 characters), e.g. 3号楼",
            )));
        }
        if room.is_empty() || room.chars().count() > MAX_PLACE {
            return Err(HomeError::Refused(Text::new(
                "请填写房号（最多 20 字），例如 1201",
                "Enter your flat (at most 20 characters), e.g. 1201",
            )));
        }
        let home = Home {
            resident_id: resident.to_string(),
            community_id: community.to_string(),
            building: building.to_string(),
            room: room.to_string(),
            declared_at: self.clock.now(),
            confirmed_by: None,
            confirmed_at: None,
        };
        self.store.declare_home(&home).await?;
        Ok(home)
    }

    /// The homes declared in a community — the owners' register, confirmed or not — each with
    /// its resident's phone number.
    pub async fn owners(&self, community: &str) -> Result<Vec<(Home, String)>, store::Error> {
        self.store.homes_in(community).await
    }

    /// One resident's home in the community's register, with their phone number.
    pub async fn owner(&self, community: &str, resident: &str) -> Result<Option<(Home, String)>, store::Error> {
        Ok(self.owners(community).await?.into_iter().find(|(h, _)| h.resident_id == resident))
    }

    /// Confirms `resident` as an owner in `community` (`by` confirming), and records it among
    /// the security events; false when the resident declared no home there.
    pub async fn confirm_owner(&self, community: &str, resident: &str, by: &str) -> Result<bool, store::Error> {
        let now = self.clock.now();
        if !self.store.confirm_home(resident, community, by, now).await? {
            return Ok(false);
        }
        let event = session::event("owner.confirmed", by, Some(community), Some(resident), "", now);
        self.store.record_security_event(&event).await?;
        Ok(true)
    }
}
