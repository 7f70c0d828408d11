//! Organisation e-ID accounts, their history (renames, mergers, splits), and delegations.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{PersonRef, RequesterRef, Timestamp};
use crate::account::OrgRole;
use crate::ids::{
    AgencyCode, AttachmentId, CitizenId, CooperativeCode, DelegationId, Email, EnterpriseCode,
    NewProvince, OrgEid, PhoneNumber, RegistrationId, TaxCode,
};
use crate::org_type::{HeadOffice, Name, OrgType, OrganisationDetails};

/// The organisation's e-ID record: what Decree 69/2024, Art. 6 lists — e-ID number, names,
/// date of establishment, head office, tax code, the registry code that applies, the legal
/// representative(s), and the person who registered it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRecord {
    /// The e-ID number issued on approval.
    pub eid: OrgEid,
    /// Organisation type.
    pub org_type: OrgType,
    /// Names, date, head office, codes, contact.
    pub details: OrganisationProfile,
    /// The legal representatives, with as much of their numbers as the reader may see: full
    /// numbers for the organisation's owners and the officers of its province, masked ones
    /// for administrators and members.
    pub representatives: Vec<RepresentativeRef>,
    /// Who registered it (the request's requester, who may have no account yet).
    pub registered_by: RequesterRef,
    /// The request it was approved from (`None` for in-person registration records migrated
    /// from elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<RegistrationId>,
    /// Active, locked or closed.
    pub status: OrganisationStatus,
    /// When the account was created.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Renames, mergers, splits, representative changes, locks; oldest first.
    pub history: Vec<OrganisationHistoryEntry>,
}

/// An organisation's details as its record shows them: everything of [`OrganisationDetails`]
/// but the legal representatives, which the record lists apart
/// ([`OrganisationRecord::representatives`]) because not every reader sees their numbers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationProfile {
    /// Tên tổ chức bằng tiếng Việt.
    pub name_vi: Name,
    /// Tên viết tắt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abbreviated_name: Option<Name>,
    /// Tên bằng tiếng nước ngoài.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_name: Option<Name>,
    /// Ngày thành lập.
    pub established_on: NaiveDate,
    /// Trụ sở chính.
    pub head_office: HeadOffice,
    /// Mã số thuế.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code: Option<TaxCode>,
    /// Mã số doanh nghiệp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_code: Option<EnterpriseCode>,
    /// Mã số hợp tác xã.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooperative_code: Option<CooperativeCode>,
    /// Mã định danh điện tử của cơ quan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_code: Option<AgencyCode>,
    /// Contact phone.
    pub contact_phone: PhoneNumber,
    /// Contact e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<Email>,
    /// The uploaded authorisation letter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorisation_letter: Option<AttachmentId>,
    /// The uploaded founding decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founding_decision: Option<AttachmentId>,
}

impl From<&OrganisationDetails> for OrganisationProfile {
    fn from(d: &OrganisationDetails) -> Self {
        OrganisationProfile {
            name_vi: d.name_vi.clone(),
            abbreviated_name: d.abbreviated_name.clone(),
            foreign_name: d.foreign_name.clone(),
            established_on: d.established_on,
            head_office: d.head_office.clone(),
            tax_code: d.tax_code.clone(),
            enterprise_code: d.enterprise_code.clone(),
            cooperative_code: d.cooperative_code.clone(),
            agency_code: d.agency_code.clone(),
            contact_phone: d.contact_phone.clone(),
            contact_email: d.contact_email.clone(),
            authorisation_letter: d.authorisation_letter.clone(),
            founding_decision: d.founding_decision.clone(),
        }
    }
}

/// A legal representative as a record's reader sees them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepresentativeRef {
    /// Full name.
    pub full_name: Name,
    /// Masked identification number, e.g. `001******345`, for every reader.
    pub citizen_id_masked: String,
    /// The full number: only for readers who need it (the organisation's owners, the officers
    /// of its province).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizen_id: Option<CitizenId>,
}

/// An organisation account's state. A closed account's e-ID number is never issued again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationStatus {
    /// In use.
    Active,
    /// Locked by an officer or by the registry; nobody can act for it until unlocked.
    Locked,
    /// Closed for good (dissolved, merged into another, split up).
    Closed,
}

/// A change in an organisation's life. Identifiers are never reused; every change links the
/// old and new numbers so history can be followed both ways (guidance 1018/BTTTT-THH).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationHistoryEntry {
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// What.
    pub change: OrganisationChange,
}

/// What changed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrganisationChange {
    /// Created from an approved registration.
    Created,
    /// Renamed; the e-ID number stays.
    Renamed {
        /// Former Vietnamese name.
        from: String,
        /// New Vietnamese name.
        to: String,
    },
    /// The registry recorded new legal representatives.
    RepresentativesChanged {
        /// Masked identification numbers of those who left.
        removed: Vec<String>,
        /// Masked identification numbers of those who joined.
        added: Vec<String>,
    },
    /// Merged into another organisation; this account is closed.
    MergedInto {
        /// The organisation it became part of.
        successor: OrgEid,
    },
    /// Other organisations merged into this one.
    Absorbed {
        /// The organisations absorbed (their accounts are closed).
        predecessors: Vec<OrgEid>,
    },
    /// Split into new organisations.
    SplitInto {
        /// The new organisations.
        successors: Vec<OrgEid>,
        /// Whether this organisation continues to exist (a separation) or ended (a division).
        continues: bool,
    },
    /// Created by a split of another organisation.
    SplitFrom {
        /// The organisation it came from.
        predecessor: OrgEid,
    },
    /// Locked.
    Locked {
        /// Why.
        reason: String,
    },
    /// Unlocked.
    Unlocked,
    /// Closed.
    Closed {
        /// Why.
        reason: String,
    },
}

/// Adds a delegate: a person authorised to act for the organisation (action kind
/// `add_delegate`), sent as [`super::Confirmed<AddDelegate>`]. The role, the person and the
/// expiry are all covered by the confirmation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddDelegate {
    /// The organisation.
    pub organisation: OrgEid,
    /// The person's identification number (they must have a personal account).
    pub citizen_id: CitizenId,
    /// Administrator or member (only an owner may add an administrator).
    pub role: OrgRole,
    /// Last day the authorisation holds; `None` until revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
}

/// Revokes a delegation (action kind `revoke_delegate`), sent as
/// [`super::Confirmed<RevokeDelegate>`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeDelegate {
    /// The organisation.
    pub organisation: OrgEid,
    /// The delegation.
    pub delegation: DelegationId,
}

/// A person who may act for an organisation, as the organisation's managers see it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationView {
    /// The delegation.
    pub id: DelegationId,
    /// The organisation.
    pub organisation: OrgEid,
    /// The person.
    pub person: PersonRef,
    /// Their role.
    pub role: OrgRole,
    /// Who granted it (`None` for owners, who hold the role as legal representatives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<PersonRef>,
    /// When.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub granted_at: Timestamp,
    /// Last day it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<Timestamp>,
    /// When the delegate accepted it; a delegation works only once accepted (owners hold
    /// theirs from the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub accepted_at: Option<Timestamp>,
    /// When the delegate declined it, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub declined_at: Option<Timestamp>,
    /// The services (relying parties) the delegate may sign in to as the organisation. `None`
    /// for owners: legal representatives are not limited by lists. An empty list: no outside
    /// service yet (every delegation starts so until its owner adds some).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<super::DelegatedServiceView>>,
}

/// The delegate's answer to an authorisation (action kind `accept_delegation` when `accept`,
/// else `decline_delegation`), sent as [`super::Confirmed<DelegationAnswer>`]. Nobody acts for
/// an organisation without having accepted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationAnswer {
    /// The organisation.
    pub organisation: OrgEid,
    /// The delegation.
    pub delegation: DelegationId,
    /// Accept (`true`) or decline.
    pub accept: bool,
}

/// An officer's lock or unlock of an organisation account asked from the officer console and
/// confirmed on the officer's phone: the console's body for action kind `change_account_lock`
/// with target `organisation:<eid>`, the kind and target of the direct route
/// ([`OrganisationLifecycle`], which names the organisation in its path instead).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerOrganisationLock {
    /// The organisation.
    pub organisation: OrgEid,
    /// Lock (`true`) or unlock.
    pub lock: bool,
    /// Why, under the text policy (the owners read it).
    pub reason: String,
}

/// A change in an organisation account's life made by an officer, sent as
/// [`super::Confirmed<OrganisationLifecycle>`] to the organisation named in the path (action
/// kind `change_account_lock` for lock and unlock, `update_organisation_info` otherwise; target
/// `organisation:<eid>`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrganisationLifecycle {
    /// Lock: nobody can act for it until unlocked.
    Lock {
        /// Why.
        reason: String,
    },
    /// Unlock.
    Unlock {
        /// Why.
        reason: String,
    },
    /// Close for good; the e-ID number is never issued again.
    Close {
        /// Why.
        reason: String,
    },
    /// Record a new Vietnamese name; the e-ID number stays.
    Rename {
        /// The new name.
        name_vi: Name,
    },
    /// The organisations listed merge into this one (which may be one of the two merging, or a
    /// new organisation registered for the merger); their accounts close.
    Absorb {
        /// The organisations that cease to exist.
        predecessors: Vec<OrgEid>,
    },
    /// This organisation split into the organisations listed (each registered on its own).
    Split {
        /// The new organisations.
        successors: Vec<OrgEid>,
        /// Whether this one continues (a separation) or ends (a division: its account closes).
        continues: bool,
    },
}

/// Progress of organisation registration against the deployment plan, for an officer's
/// province (`GET /v1/officer/progress`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressStatistics {
    /// The province.
    pub province: NewProvince,
    /// One row per organisation type.
    pub rows: Vec<ProgressRow>,
}

/// Registered organisations of one type in a province, against the target.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressRow {
    /// Organisation type.
    pub org_type: OrgType,
    /// Accounts in use.
    pub active: u64,
    /// Accounts locked.
    pub locked: u64,
    /// Accounts closed.
    pub closed: u64,
    /// Organisations of this type in the province according to the registries: the
    /// denominator. `None` where no registry knows them (type 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_total: Option<u64>,
    /// Share to reach, in percent.
    pub target_percent: u8,
    /// By when.
    pub target_date: NaiveDate,
    /// The number of registered (active or locked) accounts the target asks for; `None`
    /// without a denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_count: Option<u64>,
    /// Registered accounts (active or locked) as a share of the registry total, in percent,
    /// rounded down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achieved_percent: Option<u64>,
    /// Whether the target is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_met: Option<bool>,
}
