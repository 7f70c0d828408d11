//! Organisation accounts: creation on approval with a never-reused e-ID number, reading the
//! record (details decrypted), its history, and how people are shown in it.

use axum::Json;
use axum::extract::{Path, State};
use dinhdanh_core::api::{
    ErrorCode, OrganisationChange, OrganisationHistoryEntry, OrganisationProfile,
    OrganisationRecord, OrganisationStatus, PersonRef, RepresentativeRef, RequesterRef, paths,
};
use dinhdanh_core::ids::{AccountId, OrgEid, RegistrationId};
use dinhdanh_core::org_type::{LegalRepresentative, OrgType, OrganisationDetails};
use sqlx::AnyConnection;

use super::{Actor, audit_record, eid_param, object_of, refuse, tell};
use crate::authz;
use crate::http::auth::Authed;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::delegations as delegation_store;
use crate::store::organisations::{self as store, NewOrganisationRow, OrganisationRow};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored, word};

/// The purpose organisation details are encrypted for (associated data of the blob).
const DETAILS_PURPOSE: &str = "organisation.details";

/// An organisation account to create, from an approved registration (or an in-person one).
pub struct NewOrganisation<'a> {
    /// Its type.
    pub org_type: OrgType,
    /// Its validated details.
    pub details: &'a OrganisationDetails,
    /// The request it was approved from.
    pub registration: Option<&'a RegistrationId>,
    /// Who registered it.
    pub registered_by: Registrant<'a>,
}

/// Who registered an organisation: the request's requester.
#[derive(Clone, Copy, Debug)]
pub enum Registrant<'a> {
    /// A person with an account.
    Account(&'a AccountId),
    /// A requester taken at the counter who has no account yet, by the keyed hash of their
    /// identification number; account creation links them
    /// (`accounts::insert_account`).
    WithoutAccount(&'a [u8]),
}

/// An organisation, read from its stored row.
#[derive(Clone, Debug)]
pub struct OrgRow {
    /// e-ID number.
    pub eid: OrgEid,
    /// Type.
    pub org_type: OrgType,
    /// Vietnamese name.
    pub name_vi: String,
    /// Head-office province key.
    pub province: String,
    /// Status.
    pub status: OrganisationStatus,
    /// The request it came from.
    pub registration: Option<String>,
    /// Who registered it; `None` while that person has no account.
    pub registered_by: Option<AccountId>,
    /// The keyed hash of that person's identification number.
    pub registered_by_key: Vec<u8>,
    /// Created, Unix seconds.
    pub created_at: i64,
    details_enc: Vec<u8>,
}

impl OrgRow {
    fn from_row(row: OrganisationRow) -> ServerResult<Self> {
        Ok(OrgRow {
            eid: parse_stored(OrgEid::parse(&row.eid))?,
            org_type: from_word(&row.org_type)?,
            name_vi: row.name_vi,
            province: row.province,
            status: from_word(&row.status)?,
            registration: row.registration_id,
            registered_by: row
                .registered_by
                .map(|a| parse_stored(AccountId::parse(&a)))
                .transpose()?,
            registered_by_key: row.registered_by_key,
            created_at: row.created_at,
            details_enc: row.details_enc,
        })
    }
}

/// An organisation by its e-ID number, whatever its status.
pub async fn find_organisation(state: &AppState, eid: &OrgEid) -> ServerResult<Option<OrgRow>> {
    find_organisation_in(&mut *state.pool.acquire().await?, eid).await
}

/// [`find_organisation`] on the caller's connection (inside its transaction).
pub async fn find_organisation_in(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
) -> ServerResult<Option<OrgRow>> {
    store::find(conn, eid.as_str())
        .await?
        .map(OrgRow::from_row)
        .transpose()
}

/// An organisation by its e-ID number, whatever its status; `not_found` when there is none.
pub async fn require_organisation(state: &AppState, eid: &OrgEid) -> ServerResult<OrgRow> {
    require_organisation_in(&mut *state.pool.acquire().await?, eid).await
}

/// [`require_organisation`] on the caller's connection (inside its transaction).
pub async fn require_organisation_in(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
) -> ServerResult<OrgRow> {
    find_organisation_in(conn, eid)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))
}

/// The decrypted details of a stored organisation.
pub fn details_of(state: &AppState, org: &OrgRow) -> ServerResult<OrganisationDetails> {
    let plain = state
        .keys
        .decrypt_blob(DETAILS_PURPOSE, &org.details_enc)
        .ok_or_else(|| ServerError::Internal("organisation details do not decrypt".into()))?;
    // Details stored before today's text policy still read (`stored_json`).
    crate::store::values::stored_json(&plain)
}

/// The details encrypted for storage.
pub(super) fn encrypt_details(
    state: &AppState,
    details: &OrganisationDetails,
) -> ServerResult<Vec<u8>> {
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec(details)
            .map_err(|_| ServerError::Internal("organisation details do not encode".into()))?,
    );
    Ok(state.keys.encrypt_blob(DETAILS_PURPOSE, &json))
}

/// Appends `change` to the organisation's history.
pub(super) async fn add_history(
    conn: &mut AnyConnection,
    eid: &OrgEid,
    at: i64,
    change: &OrganisationChange,
) -> ServerResult<()> {
    let json = serde_json::to_string(change)
        .map_err(|_| ServerError::Internal("history entry does not encode".into()))?;
    store::add_history(conn, eid.as_str(), at, &json).await
}

/// The organisation's history, oldest first.
pub async fn history(
    state: &AppState,
    eid: &OrgEid,
) -> ServerResult<Vec<OrganisationHistoryEntry>> {
    let mut conn = state.pool.acquire().await?;
    store::history(&mut conn, eid.as_str())
        .await?
        .into_iter()
        .map(|row| {
            Ok(OrganisationHistoryEntry {
                at: timestamp(row.at),
                change: parse_stored(serde_json::from_str(&row.change))?,
            })
        })
        .collect()
}

/// Records a legal representative of the organisation; when they have an account, they
/// become an owner (ending any delegation they held before) and their account is returned.
pub(super) async fn add_representative(
    tx: &mut Tx,
    state: &AppState,
    eid: &OrgEid,
    rep: &LegalRepresentative,
) -> ServerResult<Option<AccountId>> {
    let now = tx.now();
    let key = state.keys.citizen_key(&rep.citizen_id);
    store::insert_representative(
        tx.conn()?,
        eid.as_str(),
        &key,
        &rep.citizen_id.masked(),
        rep.full_name.as_str(),
        now,
    )
    .await?;
    let Some(account) = account_of_citizen(tx, &key).await? else {
        return Ok(None);
    };
    delegation_store::make_owner(
        tx.conn()?,
        &new_id("dlg"),
        eid.as_str(),
        account.as_str(),
        now,
    )
    .await?;
    Ok(Some(account))
}

/// The account of a citizen (by key), if they have one.
pub(super) async fn account_of_citizen(tx: &mut Tx, key: &[u8]) -> ServerResult<Option<AccountId>> {
    store::account_of_citizen(tx.conn()?, key)
        .await?
        .map(|id| parse_stored(AccountId::parse(&id)))
        .transpose()
}

/// Creates the organisation's e-ID account, inside the caller's transaction (a registration's
/// approval), and returns its e-ID number.
///
/// The number comes from a counter that only grows, so a number is issued once and never
/// again, also after the account is closed (closing keeps the row). Every legal representative
/// who has an account becomes an owner and is told; the history starts with `created`.
pub async fn create_organisation_in(
    tx: &mut Tx,
    state: &AppState,
    new: NewOrganisation<'_>,
) -> ServerResult<OrgEid> {
    let now = tx.now();
    let details = new.details;
    let serial = store::next_serial(tx.conn()?).await?;
    let eid = OrgEid::from_serial(u64::try_from(serial).unwrap_or(0))
        .map_err(|_| ServerError::Internal("e-ID serials are exhausted".into()))?;
    let org_type = word(&new.org_type)?;
    let (registered_by, registered_by_key) = match new.registered_by {
        Registrant::Account(a) => {
            let key = crate::store::accounts::by_id(tx.conn()?, a.as_str())
                .await?
                .ok_or_else(|| ServerError::Internal("a registrant without an account".into()))?
                .citizen_key;
            (Some(a), key)
        }
        Registrant::WithoutAccount(key) => (None, key.to_vec()),
    };
    store::insert(
        tx.conn()?,
        NewOrganisationRow {
            eid: eid.as_str(),
            serial,
            org_type: &org_type,
            name_vi: details.name_vi.as_str(),
            province: details.head_office.province.key(),
            tax_code: details.tax_code.as_ref().map(|c| c.as_str()),
            enterprise_code: details.enterprise_code.as_ref().map(|c| c.as_str()),
            cooperative_code: details.cooperative_code.as_ref().map(|c| c.as_str()),
            agency_code: details.agency_code.as_ref().map(|c| c.as_str()),
            details_enc: encrypt_details(state, details)?,
            registration_id: new.registration.map(|r| r.as_str()),
            registered_by: registered_by.map(AccountId::as_str),
            registered_by_key: &registered_by_key,
            created_at: now,
        },
    )
    .await?;
    let mut owners = Vec::new();
    for rep in &details.representatives {
        if let Some(account) = add_representative(tx, state, &eid, rep).await? {
            owners.push(account);
        }
    }
    add_history(tx.conn()?, &eid, now, &OrganisationChange::Created).await?;
    // A registrant without an account is named by their keyed number, as a subject.
    let actor = registered_by.map(Actor::person);
    let subject = actor.is_none().then_some(registered_by_key.as_slice());
    tx.audit(audit_record(
        actor.as_ref(),
        "organisation.created",
        &object_of(&eid),
        subject,
        false,
    ));
    for owner in owners {
        let body_vi = format!(
            "Tài khoản định danh điện tử của {} ({eid}) đã được tạo; bạn là chủ tài khoản.",
            details.name_vi
        );
        let body_en = format!(
            "The e-ID account of {} ({eid}) was created; you are an owner.",
            details.name_vi
        );
        let link = paths::fill(paths::ORGANISATION, "eid", eid.as_str());
        tell(
            tx,
            owner.as_str(),
            "Tài khoản tổ chức đã được tạo",
            "Organisation account created",
            &body_vi,
            &body_en,
            Some(&link),
        )
        .await?;
    }
    Ok(eid)
}

/// [`create_organisation_in`] in a transaction of its own (`organisation.create`), for callers
/// that create an organisation alone (in-person registration, tests).
pub async fn create_organisation(
    state: &AppState,
    new: NewOrganisation<'_>,
) -> ServerResult<OrgEid> {
    let mut tx = Tx::begin(state, "organisation.create").await?;
    let eid = create_organisation_in(&mut tx, state, new).await?;
    tx.commit().await?;
    Ok(eid)
}

/// The account of an organisation that is not closed and holds this code (tax, enterprise,
/// cooperative or agency code), for duplicate checks before a registration.
pub async fn find_active_by_code(state: &AppState, code: &str) -> ServerResult<Option<OrgEid>> {
    find_active_by_code_in(&mut *state.pool.acquire().await?, code).await
}

/// [`find_active_by_code`] on the caller's connection (inside its transaction).
pub async fn find_active_by_code_in(
    conn: &mut sqlx::AnyConnection,
    code: &str,
) -> ServerResult<Option<OrgEid>> {
    store::find_open_by_code(conn, code)
        .await?
        .map(|e| parse_stored(OrgEid::parse(&e)))
        .transpose()
}

/// How a person is shown to others: name and masked number.
pub async fn person_ref(state: &AppState, account: &AccountId) -> ServerResult<PersonRef> {
    let mut conn = state.pool.acquire().await?;
    let row = store::person(&mut conn, account.as_str())
        .await?
        .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok(PersonRef {
        account: account.clone(),
        full_name: row.full_name,
        citizen_id_masked: row.citizen_masked,
    })
}

/// How a requester (or an organisation's registrant) is shown to others: name and masked
/// number from the people records, by the keyed hash of their number, and their account
/// when they have one.
pub async fn requester_ref(
    state: &AppState,
    account: Option<&AccountId>,
    key: &[u8],
) -> ServerResult<RequesterRef> {
    let mut conn = state.pool.acquire().await?;
    let row = store::person_by_key(&mut conn, key)
        .await?
        .ok_or_else(|| ServerError::Internal("a requester not in the people records".into()))?;
    Ok(RequesterRef {
        account: account.cloned(),
        full_name: row.full_name,
        citizen_id_masked: row.citizen_masked,
    })
}

/// The organisation's record, as `reader` sees it: the legal representatives' numbers in full
/// or masked as [`authz::representatives_disclosure`] decides.
pub(super) async fn organisation_record(
    state: &AppState,
    org: &OrgRow,
    reader: &AccountId,
) -> ServerResult<OrganisationRecord> {
    let role = authz::role_in(state, reader, &org.eid).await?;
    let officer = authz::is_officer_of_key(state, reader, &org.province).await?;
    let full = authz::representatives_disclosure(role, officer) == authz::Disclosure::Full;
    let details = details_of(state, org)?;
    let representatives = details
        .representatives
        .iter()
        .map(|r| RepresentativeRef {
            full_name: r.full_name.clone(),
            citizen_id_masked: r.citizen_id.masked(),
            citizen_id: full.then(|| r.citizen_id.clone()),
        })
        .collect();
    Ok(OrganisationRecord {
        eid: org.eid.clone(),
        org_type: org.org_type,
        details: OrganisationProfile::from(&details),
        representatives,
        registered_by: requester_ref(state, org.registered_by.as_ref(), &org.registered_by_key)
            .await?,
        registration: org
            .registration
            .as_deref()
            .map(|r| parse_stored(RegistrationId::parse(r)))
            .transpose()?,
        status: org.status,
        created_at: timestamp(org.created_at),
        history: history(state, &org.eid).await?,
    })
}

/// The organisation's record, for its members (owner, administrator, member; not once it is
/// closed) and for officers of its province. Anyone else: `forbidden`.
pub async fn read_organisation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
) -> ServerResult<OrganisationRecord> {
    let org = require_organisation(state, eid).await?;
    if !authz::may_read_organisation(state, &actor.account, eid, org.status, &org.province).await? {
        return Err(refuse(
            state,
            Some(actor),
            "organisation.read",
            &object_of(eid),
            ErrorCode::Forbidden,
        )
        .await);
    }
    organisation_record(state, &org, &actor.account).await
}

/// `GET /v1/organisations/{eid}`.
pub(super) async fn get_organisation(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<OrganisationRecord>> {
    let eid = eid_param(&eid)?;
    let actor = auth.session.actor();
    Ok(Json(read_organisation(&state, &actor, &eid).await?))
}
