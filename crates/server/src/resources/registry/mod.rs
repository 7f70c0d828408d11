//! The registries an organisation's details are checked against, behind one trait so a real
//! connector can replace the demo one: the national business registration database
//! (enterprises), the cooperative registration system, and the tax registration database
//! (agencies, public service units, associations: a tax code but no business registration).
//!
//! **Adapters.** [`RegistryAdapter`] answers two questions: what does the registry hold for
//! this code ([`RegistryAdapter::lookup`]), and what changed since a point
//! ([`RegistryAdapter::changes_since`]) — new legal representatives, dissolutions — so the
//! organisation accounts can follow the registry. [`adapter`] gives the one the server uses;
//! today that is [`DemoRegistry`], backed by tables loaded from the synthetic file the server
//! ships (`data/registry.csv`, written by `cargo xtask gen-registry`). A real connector would
//! call the registry's service instead; it must give representatives by the server's look-up
//! key ([`crate::infra::keys::ServerKeys::citizen_key`]), computed as it reads the answer, so no
//! identification number is kept in clear on this side.
//!
//! **Changes.** Registry changes are recorded with [`record_change`] (the `registry` CLI does it
//! for the demo registry) and listed, in order, with [`changes_since`]. Whoever follows them
//! (the organisation accounts) keeps the last sequence number it handled.
//!
//! **Checks.** [`check()`] compares what a requester entered with the registry's record and says
//! what differs ([`RegistryCheck`](dinhdanh_core::api::RegistryCheck)); the registration module
//! decides what follows.
//!
//! # Service API
//!
//! What other resources, the CLI, the seed and the bench call: [`adapter`] (look-ups),
//! [`code_for`] and [`check()`] (registrations), [`population`] (deployment targets),
//! [`record_change`] and [`changes_since`] (the `registry` CLI), [`seed_registry`],
//! [`insert_entries`] and [`parse_registry`] with [`REGISTRY_DATA`] (the seed, the tests and
//! `benches/registry.rs`), and the record types below.
//!
//! # Files
//!
//! `file.rs` the shipped file and its loading; `adapter.rs` the adapter trait and the demo
//! registry; `changes.rs` recording a change; `check.rs` comparing a request with a record.

mod adapter;
mod changes;
mod check;
mod file;

use chrono::NaiveDate;
use dinhdanh_core::ids::{AgencyCode, NewProvince, TaxCode};
use dinhdanh_core::org_type::{OrgType, OrganisationDetails, RegistryKind};
use serde::{Deserialize, Serialize};

use crate::infra::error::ServerResult;
use crate::infra::state::AppState;
use crate::store::values::parse_stored;

pub use adapter::{BoxFuture, DemoRegistry, RegistryAdapter, adapter, changes_since};
pub use changes::{RegistryUpdate, record_change};
pub use check::check;
pub use file::{
    HEADER, REGISTRY_DATA, RegistryEntry, RegistryFileError, insert_entries, parse_registry,
    seed_registry,
};

/// Organisations of the shipped registries the demo and the tests rely on: their tax codes.
/// Their representatives are demo accounts of `seed --demo` (README, "Demo accounts").
pub mod demo {
    /// Công ty TNHH Phần mềm An Phát (Hà Nội): Nguyễn Văn An is its legal representative.
    pub const AN_ENTERPRISE: &str = "0108680015";
    /// Công ty Cổ phần Thương mại Sông Hồng (TP. Hồ Chí Minh): Nguyễn Văn An and Trần Thị Mai.
    pub const AN_AND_MAI_ENTERPRISE: &str = "0308680125";
    /// Hợp tác xã Nông nghiệp Tân Uyên (TP. Hồ Chí Minh): Trần Thị Mai.
    pub const MAI_COOPERATIVE: &str = "0378680030";
    /// Hội Tin học thành phố Hà Nội (tax registry, agency code 000.00.31.H01): Nguyễn Văn An.
    pub const AN_ASSOCIATION: &str = "0108680047";
    /// Công ty TNHH Thương mại An Bình (Hà Nội), dissolved: Nguyễn Văn An.
    pub const AN_DISSOLVED_ENTERPRISE: &str = "0108680054";
}

/// Whether the registry counts the organisation as existing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryStatus {
    /// Operating.
    Active,
    /// Dissolved (or its registration revoked): it cannot get an e-ID account.
    Dissolved,
}

impl RegistryStatus {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryStatus::Active => "active",
            RegistryStatus::Dissolved => "dissolved",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(RegistryStatus::Active),
            "dissolved" => Some(RegistryStatus::Dissolved),
            _ => None,
        }
    }
}

/// Stored text of a registry. Not [`crate::store::values::word`]: the tables and the shipped
/// file name a registry by a shorter word (`business`) than its serde name
/// (`business_registry`).
pub fn registry_text(kind: RegistryKind) -> &'static str {
    match kind {
        RegistryKind::BusinessRegistry => "business",
        RegistryKind::CooperativeRegistry => "cooperative",
        RegistryKind::TaxRegistry => "tax",
    }
}

fn parse_registry_text(text: &str) -> Option<RegistryKind> {
    match text {
        "business" => Some(RegistryKind::BusinessRegistry),
        "cooperative" => Some(RegistryKind::CooperativeRegistry),
        "tax" => Some(RegistryKind::TaxRegistry),
        _ => None,
    }
}

/// A legal representative as a registry records them: by look-up key, never the number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRepresentative {
    /// Full name.
    pub full_name: String,
    /// [`crate::infra::keys::ServerKeys::citizen_key`] of their identification number.
    pub citizen_key: Vec<u8>,
    /// The number masked, for officers (`001******345`).
    pub citizen_masked: String,
}

/// What a registry holds about one organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRecord {
    /// Which registry.
    pub registry: RegistryKind,
    /// Tax code (for an enterprise or a cooperative, also its registry code).
    pub tax_code: TaxCode,
    /// Agency code, for state agencies in the tax registry.
    pub agency_code: Option<AgencyCode>,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Head-office address line.
    pub address: String,
    /// Head-office province.
    pub province: NewProvince,
    /// Date of establishment.
    pub established_on: NaiveDate,
    /// Active or dissolved.
    pub status: RegistryStatus,
    /// Legal representatives, in the registry's order.
    pub representatives: Vec<RegistryRepresentative>,
}

impl RegistryRecord {
    /// Whether the person with this look-up key is a recorded legal representative.
    pub fn has_representative(&self, citizen_key: &[u8]) -> bool {
        self.representatives
            .iter()
            .any(|r| r.citizen_key == citizen_key)
    }
}

/// What changed in a registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeKind {
    /// The legal representatives changed; [`RegistryAdapter::lookup`] gives the new list.
    RepresentativesChanged,
    /// The organisation was dissolved.
    Dissolved,
}

/// One recorded change, in the order the registry recorded them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryChange {
    /// Increasing sequence number; pass the last one handled to [`changes_since`].
    pub seq: i64,
    /// Which registry.
    pub registry: RegistryKind,
    /// The organisation's tax code.
    pub code: TaxCode,
    /// What changed.
    pub change: ChangeKind,
    /// When it was recorded (Unix seconds).
    pub at: i64,
}

/// The registry `org_type` is checked against and the code to ask it with; `None` for type 4
/// (no registry) or when the details carry no code.
pub fn code_for(
    org_type: OrgType,
    details: &OrganisationDetails,
) -> Option<(RegistryKind, TaxCode)> {
    let kind = org_type.verifying_registry()?;
    let code = match kind {
        RegistryKind::BusinessRegistry => details.enterprise_code.as_ref()?.tax_code(),
        RegistryKind::CooperativeRegistry => details.cooperative_code.as_ref()?.tax_code(),
        RegistryKind::TaxRegistry => details.tax_code.as_ref()?.head_office(),
    };
    Some((kind, code))
}

/// How many active organisations of each type the registries know in `province` (type 4 has
/// no registry, so none): the denominator of the deployment targets.
pub async fn population(
    state: &AppState,
    province: NewProvince,
) -> ServerResult<std::collections::HashMap<OrgType, u64>> {
    Ok(populations(state, Some(province))
        .await?
        .remove(&province)
        .unwrap_or_default())
}

/// [`population`] of `province`, or of every province for `None` in one pass over the
/// registries (the national dashboard); a province the registries hold nothing of is absent.
pub async fn populations(
    state: &AppState,
    province: Option<NewProvince>,
) -> ServerResult<std::collections::HashMap<NewProvince, std::collections::HashMap<OrgType, u64>>> {
    let mut conn = state.pool.acquire().await?;
    let mut counts = Vec::new();
    for read in state.backend.province_reads(province) {
        counts.extend(
            crate::store::registry::count_by_registry(
                &mut conn,
                read.map(|p| p.key()),
                RegistryStatus::Active.as_str(),
            )
            .await?,
        );
    }
    let mut out: std::collections::HashMap<NewProvince, std::collections::HashMap<OrgType, u64>> =
        std::collections::HashMap::new();
    for (province, registry, n) in counts {
        let org_type = match parse_registry_text(&registry) {
            Some(RegistryKind::BusinessRegistry) => OrgType::Enterprise,
            Some(RegistryKind::CooperativeRegistry) => OrgType::Cooperative,
            Some(RegistryKind::TaxRegistry) => OrgType::OrganisationWithTaxCode,
            None => continue,
        };
        let province = parse_stored(NewProvince::parse(&province))?;
        *out.entry(province)
            .or_default()
            .entry(org_type)
            .or_insert(0) += u64::try_from(n).unwrap_or_default();
    }
    Ok(out)
}
