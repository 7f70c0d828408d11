//! A request as the server holds it: read from its row (details decrypted, stored words
//! parsed), what identifies its organisation, and whether that organisation already has an
//! account.

use chrono::NaiveDate;
use dinhdanh_core::api::{
    OfficerReviewReason, RegistrationStatus, RegistryCheck, RequesterCapacity,
};
use dinhdanh_core::ids::{AccountId, NewProvince, OrgEid, RegistrationId};
use dinhdanh_core::org_type::{OrgType, OrganisationDetails};
use sqlx::AnyConnection;

use super::dates::parse_date;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::organisations;
use crate::store::registrations::{self as store, RegistrationRow};
use crate::store::values::{from_word, parse_stored, stored_json};

/// Associated data of the encrypted details, so the blob cannot be used as anything else.
const DETAILS_PURPOSE: &str = "registration.details";

/// A request as stored, with its details decrypted.
#[derive(Clone)]
pub struct StoredRegistration {
    /// The request.
    pub id: RegistrationId,
    /// Who asked: their account; `None` while a requester taken at the counter has none.
    pub requester: Option<AccountId>,
    /// The keyed hash of the requester's identification number.
    pub requester_key: Vec<u8>,
    /// Organisation type.
    pub org_type: OrgType,
    /// What identifies the organisation for duplicate checks.
    pub org_key: String,
    /// Head-office province.
    pub province: NewProvince,
    /// In what capacity.
    pub capacity: RequesterCapacity,
    /// The details (with answers applied).
    pub details: OrganisationDetails,
    /// Status.
    pub status: RegistrationStatus,
    /// Why an officer looks at it.
    pub reason: Option<OfficerReviewReason>,
    /// The registry check, once done.
    pub registry_check: Option<RegistryCheck>,
    /// Unix seconds.
    pub submitted_at: i64,
    /// Legal due date.
    pub due_on: NaiveDate,
    /// When decided, Unix seconds.
    pub decided_at: Option<i64>,
    /// The organisation's e-ID once approved.
    pub org_eid: Option<OrgEid>,
}

/// Loads a request.
pub async fn load(
    state: &AppState,
    id: &RegistrationId,
) -> ServerResult<Option<StoredRegistration>> {
    load_in(&mut *state.pool.acquire().await?, state, id).await
}

/// Loads a request through `conn` (inside an action, to see its own changes).
pub(super) async fn load_in(
    conn: &mut AnyConnection,
    state: &AppState,
    id: &RegistrationId,
) -> ServerResult<Option<StoredRegistration>> {
    store::find(conn, id)
        .await?
        .map(|row| from_row(state, row))
        .transpose()
}

/// Loads a request that must exist (it was just read or written).
pub(super) async fn reload(
    state: &AppState,
    id: &RegistrationId,
) -> ServerResult<StoredRegistration> {
    load(state, id)
        .await?
        .ok_or_else(|| ServerError::Internal("a request vanished".into()))
}

fn from_row(state: &AppState, row: RegistrationRow) -> ServerResult<StoredRegistration> {
    let plain = state
        .keys
        .decrypt_blob(DETAILS_PURPOSE, &row.details_enc)
        .ok_or_else(|| ServerError::Internal("registration details do not decrypt".into()))?;
    Ok(StoredRegistration {
        id: parse_stored(RegistrationId::parse(&row.id))?,
        requester: row
            .requester
            .map(|a| parse_stored(AccountId::parse(&a)))
            .transpose()?,
        requester_key: row.requester_key,
        org_type: from_word(&row.org_type)?,
        org_key: row.org_key,
        province: parse_stored(NewProvince::parse(&row.province))?,
        capacity: from_word(&row.capacity)?,
        // Details stored before today's text policy still read (`stored_json`).
        details: stored_json(&plain)?,
        status: from_word(&row.status)?,
        reason: row.reason.as_deref().map(from_word).transpose()?,
        registry_check: row
            .registry_check
            .map(|c| parse_stored(serde_json::from_str(&c)))
            .transpose()?,
        submitted_at: row.submitted_at,
        due_on: parse_date(&row.due_on)?,
        decided_at: row.decided_at,
        org_eid: row
            .org_eid
            .map(|e| parse_stored(OrgEid::parse(&e)))
            .transpose()?,
    })
}

/// The details encrypted for storage.
pub(super) fn encrypt_details(
    state: &AppState,
    details: &OrganisationDetails,
) -> ServerResult<Vec<u8>> {
    let json = serde_json::to_vec(details).map_err(|e| ServerError::Internal(e.to_string()))?;
    Ok(state.keys.encrypt_blob(DETAILS_PURPOSE, &json))
}

/// What identifies an organisation across requests: its tax code (enterprise and cooperative
/// codes are tax codes), else its agency code, else (type 4) its province and name.
pub fn org_key(details: &OrganisationDetails) -> String {
    if let Some(c) = &details.enterprise_code {
        format!("tax:{}", c.as_str())
    } else if let Some(c) = &details.cooperative_code {
        format!("tax:{}", c.as_str())
    } else if let Some(c) = &details.tax_code {
        format!("tax:{}", c.head_office_digits())
    } else if let Some(c) = &details.agency_code {
        format!("agency:{}", c.as_str())
    } else {
        let name = details.name_vi.as_str().to_lowercase();
        format!("name:{}:{name}", details.head_office.province.key())
    }
}

/// The organisation's account, if it already has an active one (read on the action's
/// connection).
pub(super) async fn existing_organisation(
    conn: &mut sqlx::AnyConnection,
    details: &OrganisationDetails,
) -> ServerResult<Option<OrgEid>> {
    let codes = [
        details
            .enterprise_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        details
            .cooperative_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        details
            .tax_code
            .as_ref()
            .map(|c| c.head_office_digits().to_owned()),
        details.agency_code.as_ref().map(|c| c.as_str().to_owned()),
    ];
    for code in codes.into_iter().flatten() {
        if let Some(eid) = organisations::find_active_by_code_in(conn, &code).await? {
            return Ok(Some(eid));
        }
    }
    Ok(None)
}
