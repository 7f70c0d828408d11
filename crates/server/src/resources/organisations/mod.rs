//! Organisation e-ID accounts: creation on approval with a never-reused e-ID number, their
//! life (lock, unlock, close, rename, merge, split — each kept in the history with old and new
//! numbers linked both ways, guidance 1018/BTTTT-THH), changes flowing in from the registries,
//! delegation (owners and administrators authorise level-2 people, who accept), switching a
//! session to act for an organisation, and the officers' progress statistics.
//!
//! **Who may do what.** Every person's standing in an organisation is one row of
//! `delegations`: owners (legal representatives with an account) hold theirs from the start,
//! delegates only once they accepted. A row is *live* while it is accepted, not revoked and
//! not expired. [`crate::authz::role_in`] is the one question every route asks; acting for an organisation
//! also needs the organisation to be active ([`crate::authz::may_act_for`]).
//!
//! **Ending at once.** A session switched to an organisation is re-checked on every request,
//! in [`crate::http::auth::authenticate`] (which asks [`crate::authz::may_act_for`]), rather than by a guard
//! on the organisation routes: every route, present or future, then refuses to run for an
//! organisation the person may no longer act for, and no route can forget the check. The
//! session goes back to the personal account and that request is refused (`forbidden`), so
//! the app learns at once and shows the switcher. Dissolution and closing go further: the
//! sessions acting for the organisation end (the "every session acting for it ends").
//!
//! **Privacy.** The details (which hold the legal representatives' full identification
//! numbers) are stored encrypted; representatives are kept as citizen keys for look-ups; the
//! organisation codes, name and province are public and kept in clear columns for queries.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use chrono::NaiveDate;
use dinhdanh_core::account::{AccountLevel, OrgRole};
use dinhdanh_core::api::{
    AccountChoices, AddDelegate, ApiError, DelegationAnswer, DelegationView, ErrorCode,
    NotificationKind, OrganisationChange, OrganisationChoice, OrganisationHistoryEntry,
    OrganisationLifecycle, OrganisationRecord, OrganisationStatus, PersonRef, PersonalChoice,
    ProgressRow, ProgressStatistics, RevokeDelegate, SwitchAccount, paths,
};
use dinhdanh_core::ids::{
    AccountId, CitizenId, DelegationId, DeviceId, NewProvince, OrgEid, RegistrationId,
};
use dinhdanh_core::org_type::{LegalRepresentative, Name, OrgType, OrganisationDetails};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::authz;
use crate::http::auth::{Authed, SessionContext, parse_stored};
use crate::infra::error::{ServerError, ServerResult, invalid_field};
use crate::infra::ids::new_id;
use crate::infra::outbox::{self, InboxItem};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts;
use crate::resources::confirmation::{parse_confirmed, verify_confirmation};
use crate::resources::officers;
use crate::store::audit::{self, AuditRecord};
use crate::store::roles;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::ORGANISATION, get(get_organisation))
        .route(
            paths::DELEGATIONS,
            get(get_delegations).post(post_delegation),
        )
        .route(paths::DELEGATION, delete(delete_delegation))
        .route(paths::DELEGATION_ANSWER, post(post_delegation_answer))
        .route(
            paths::ACCOUNT_SWITCH,
            get(get_account_choices).post(post_account_switch),
        )
        .route(
            paths::OFFICER_ORGANISATION_CHANGE,
            post(post_officer_change),
        )
        .route(paths::OFFICER_PROGRESS, get(get_progress))
}

// ---------------------------------------------------------------------------------------------
// Stored words
// ---------------------------------------------------------------------------------------------

/// `organisations.org_type`.
pub fn org_type_text(t: OrgType) -> &'static str {
    match t {
        OrgType::Enterprise => "enterprise",
        OrgType::Cooperative => "cooperative",
        OrgType::OrganisationWithTaxCode => "organisation_with_tax_code",
        OrgType::OrganisationWithoutRegistration => "organisation_without_registration",
    }
}

fn org_type_from_text(s: &str) -> ServerResult<OrgType> {
    OrgType::ALL
        .into_iter()
        .find(|t| org_type_text(*t) == s)
        .ok_or_else(|| ServerError::Internal(format!("stored organisation type {s}")))
}

fn status_text(s: OrganisationStatus) -> &'static str {
    match s {
        OrganisationStatus::Active => "active",
        OrganisationStatus::Locked => "locked",
        OrganisationStatus::Closed => "closed",
    }
}

fn status_from_text(s: &str) -> ServerResult<OrganisationStatus> {
    match s {
        "active" => Ok(OrganisationStatus::Active),
        "locked" => Ok(OrganisationStatus::Locked),
        "closed" => Ok(OrganisationStatus::Closed),
        _ => Err(ServerError::Internal(format!("stored status {s}"))),
    }
}

fn role_text(r: OrgRole) -> &'static str {
    match r {
        OrgRole::Owner => "owner",
        OrgRole::Administrator => "administrator",
        OrgRole::Member => "member",
    }
}

fn role_from_text(s: &str) -> ServerResult<OrgRole> {
    match s {
        "owner" => Ok(OrgRole::Owner),
        "administrator" => Ok(OrgRole::Administrator),
        "member" => Ok(OrgRole::Member),
        _ => Err(ServerError::Internal(format!("stored role {s}"))),
    }
}

/// The purpose organisation details are encrypted for (associated data of the blob).
const DETAILS_PURPOSE: &str = "organisation.details";

/// Vietnam's offset from UTC (no daylight saving time).
const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

/// The first second (Unix) at which a delegation whose last day is `day` no longer holds: the
/// midnight that ends `day` in Vietnam.
pub fn end_of_day_vietnam(day: NaiveDate) -> i64 {
    day.succ_opt()
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX, |t| t.and_utc().timestamp() - VIETNAM_OFFSET_SECS)
}

fn object_of(eid: &OrgEid) -> String {
    format!("organisation:{eid}")
}

fn org_target(eid: &OrgEid) -> ServerResult<ActionTarget> {
    ActionTarget::new("organisation", eid.as_str()).map_err(|e| invalid_field(&e, "eid"))
}

fn validation(field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(field),
        ])
        .into()
}

// ---------------------------------------------------------------------------------------------
// Who acts, and the audit trail
// ---------------------------------------------------------------------------------------------

/// The person doing something, and the organisation they act for: every audit entry reads
/// "person X for organisation Y".
#[derive(Clone, Debug)]
pub struct Actor {
    /// The person's account.
    pub account: AccountId,
    /// The organisation the session acts for, if any.
    pub acting_for: Option<OrgEid>,
    /// The device.
    pub device: Option<DeviceId>,
}

impl Actor {
    /// A person acting for themselves (tests, and the CLI on behalf of a person).
    pub fn person(account: &AccountId) -> Self {
        Actor {
            account: account.clone(),
            acting_for: None,
            device: None,
        }
    }

    /// The actor of an authenticated request.
    pub fn from_session(session: &SessionContext) -> Self {
        Actor {
            account: session.account.clone(),
            acting_for: session.acting_for.clone(),
            device: session.device.clone(),
        }
    }
}

async fn record(
    state: &AppState,
    actor: Option<&Actor>,
    action: &str,
    object: &str,
    subject_key: Option<&[u8]>,
    denied: bool,
) -> ServerResult<()> {
    audit::append(
        state,
        AuditRecord {
            actor: actor.map(|a| a.account.as_str()),
            acting_for: actor
                .and_then(|a| a.acting_for.as_ref())
                .map(|o| o.as_str()),
            device: actor.and_then(|a| a.device.as_ref()).map(|d| d.as_str()),
            action,
            object: Some(object),
            subject_key,
            denied,
        },
    )
    .await
}

/// Audits a refusal and returns the error to answer with.
async fn refuse(
    state: &AppState,
    actor: Option<&Actor>,
    action: &str,
    object: &str,
    code: ErrorCode,
) -> ServerError {
    match record(state, actor, action, object, None, true).await {
        Ok(()) => ServerError::code(code),
        Err(e) => e,
    }
}

async fn tell(
    state: &AppState,
    account: &str,
    title_vi: &str,
    title_en: &str,
    body_vi: &str,
    body_en: &str,
    link: Option<&str>,
) -> ServerResult<()> {
    outbox::notify(
        state,
        account,
        InboxItem {
            kind: NotificationKind::DelegationChanged,
            title_vi,
            title_en,
            body_vi,
            body_en,
            link,
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Organisation accounts
// ---------------------------------------------------------------------------------------------

/// An organisation account to create, from an approved registration (or an in-person one).
pub struct NewOrganisation<'a> {
    /// Its type.
    pub org_type: OrgType,
    /// Its validated details.
    pub details: &'a OrganisationDetails,
    /// The request it was approved from.
    pub registration: Option<&'a RegistrationId>,
    /// Who registered it.
    pub registered_by: &'a AccountId,
}

/// An organisation as stored.
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
    /// Who registered it.
    pub registered_by: AccountId,
    /// Created, Unix seconds.
    pub created_at: i64,
    details_enc: Vec<u8>,
}

const ORG_COLUMNS: &str = "eid, org_type, name_vi, province, status, registration_id, \
                           registered_by, created_at, details_enc";

fn org_row(row: &AnyRow) -> ServerResult<OrgRow> {
    let eid: String = row.try_get("eid")?;
    let org_type: String = row.try_get("org_type")?;
    let status: String = row.try_get("status")?;
    let registered_by: String = row.try_get("registered_by")?;
    Ok(OrgRow {
        eid: parse_stored(OrgEid::parse(&eid))?,
        org_type: org_type_from_text(&org_type)?,
        name_vi: row.try_get("name_vi")?,
        province: row.try_get("province")?,
        status: status_from_text(&status)?,
        registration: row.try_get("registration_id")?,
        registered_by: parse_stored(AccountId::parse(&registered_by))?,
        created_at: row.try_get("created_at")?,
        details_enc: row.try_get("details_enc")?,
    })
}

/// An organisation by its e-ID number, whatever its status.
pub async fn find_organisation(state: &AppState, eid: &OrgEid) -> ServerResult<Option<OrgRow>> {
    let row = sqlx::query(&format!(
        "SELECT {ORG_COLUMNS} FROM organisations WHERE eid = $1"
    ))
    .bind(eid.as_str())
    .fetch_optional(&state.pool)
    .await?;
    row.as_ref().map(org_row).transpose()
}

async fn require_organisation(state: &AppState, eid: &OrgEid) -> ServerResult<OrgRow> {
    find_organisation(state, eid)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))
}

/// The decrypted details of a stored organisation.
pub fn details_of(state: &AppState, org: &OrgRow) -> ServerResult<OrganisationDetails> {
    let plain = state
        .keys
        .decrypt_blob(DETAILS_PURPOSE, &org.details_enc)
        .ok_or_else(|| ServerError::Internal("organisation details do not decrypt".into()))?;
    serde_json::from_slice(&plain)
        .map_err(|_| ServerError::Internal("organisation details do not parse".into()))
}

fn encrypt_details(state: &AppState, details: &OrganisationDetails) -> ServerResult<Vec<u8>> {
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec(details)
            .map_err(|_| ServerError::Internal("organisation details do not encode".into()))?,
    );
    Ok(state.keys.encrypt_blob(DETAILS_PURPOSE, &json))
}

async fn add_history(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
    at: i64,
    change: &OrganisationChange,
) -> ServerResult<()> {
    let json = serde_json::to_string(change)
        .map_err(|_| ServerError::Internal("history entry does not encode".into()))?;
    sqlx::query(
        "INSERT INTO organisation_history (eid, seq, at, change) VALUES \
         ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM organisation_history WHERE eid = $1), $2, $3)",
    )
    .bind(eid.as_str())
    .bind(at)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

/// The organisation's history, oldest first.
pub async fn history(
    state: &AppState,
    eid: &OrgEid,
) -> ServerResult<Vec<OrganisationHistoryEntry>> {
    let rows =
        sqlx::query("SELECT at, change FROM organisation_history WHERE eid = $1 ORDER BY seq")
            .bind(eid.as_str())
            .fetch_all(&state.pool)
            .await?;
    rows.iter()
        .map(|row| {
            let change: String = row.try_get("change")?;
            Ok(OrganisationHistoryEntry {
                at: timestamp(row.try_get("at")?),
                change: parse_stored(serde_json::from_str(&change))?,
            })
        })
        .collect()
}

/// Inserts an owner row for `account` (a legal representative with an account), ending any
/// delegation they held before (an owner needs no other).
async fn make_owner(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
    account: &AccountId,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = 'became_owner' \
         WHERE eid = $2 AND account_id = $3 AND role <> 'owner' \
         AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(eid.as_str())
    .bind(account.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO delegations (id, eid, account_id, role, granted_at, accepted_at) \
         VALUES ($1, $2, $3, 'owner', $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(new_id("dlg"))
    .bind(eid.as_str())
    .bind(account.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Creates the organisation's e-ID account (called when a registration is approved) and
/// returns its e-ID number.
///
/// The number comes from a counter that only grows, so a number is issued once and never
/// again, also after the account is closed (closing keeps the row). Every legal representative
/// who has an account becomes an owner and is told; the history starts with `created`.
pub async fn create_organisation(
    state: &AppState,
    new: NewOrganisation<'_>,
) -> ServerResult<OrgEid> {
    let now = state.now();
    let details = new.details;
    let enc = encrypt_details(state, details)?;
    let mut tx = state.pool.begin().await?;
    sqlx::query(
        "INSERT INTO organisation_serials (id, last_serial) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    )
    .execute(&mut *tx)
    .await?;
    let serial: i64 = sqlx::query_scalar(
        "UPDATE organisation_serials SET last_serial = last_serial + 1 WHERE id = 1 \
         RETURNING last_serial",
    )
    .fetch_one(&mut *tx)
    .await?;
    let eid = OrgEid::from_serial(u64::try_from(serial).unwrap_or(0))
        .map_err(|_| ServerError::Internal("e-ID serials are exhausted".into()))?;
    sqlx::query(
        "INSERT INTO organisations (eid, serial, org_type, name_vi, province, tax_code, \
         enterprise_code, cooperative_code, agency_code, details_enc, registration_id, \
         registered_by, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13)",
    )
    .bind(eid.as_str())
    .bind(serial)
    .bind(org_type_text(new.org_type))
    .bind(details.name_vi.as_str())
    .bind(details.head_office.province.key())
    .bind(details.tax_code.as_ref().map(|c| c.as_str().to_owned()))
    .bind(
        details
            .enterprise_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
    )
    .bind(
        details
            .cooperative_code
            .as_ref()
            .map(|c| c.as_str().to_owned()),
    )
    .bind(details.agency_code.as_ref().map(|c| c.as_str().to_owned()))
    .bind(enc)
    .bind(new.registration.map(|r| r.as_str().to_owned()))
    .bind(new.registered_by.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut owners = Vec::new();
    for rep in &details.representatives {
        let key = state.keys.citizen_key(&rep.citizen_id);
        insert_representative(&mut tx, &eid, &key, rep, now).await?;
        if let Some(account) = account_by_key(&mut tx, &key).await? {
            make_owner(&mut tx, &eid, &account, now).await?;
            owners.push(account);
        }
    }
    add_history(&mut tx, &eid, now, &OrganisationChange::Created).await?;
    tx.commit().await?;
    record(
        state,
        Some(&Actor::person(new.registered_by)),
        "organisation.created",
        &object_of(&eid),
        None,
        false,
    )
    .await?;
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
            state,
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

async fn insert_representative(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
    key: &[u8],
    rep: &LegalRepresentative,
    now: i64,
) -> ServerResult<()> {
    sqlx::query(
        "INSERT INTO organisation_representatives (eid, citizen_key, citizen_masked, full_name, added_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(eid.as_str())
    .bind(key.to_vec())
    .bind(rep.citizen_id.masked())
    .bind(rep.full_name.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn account_by_key(
    conn: &mut sqlx::AnyConnection,
    key: &[u8],
) -> ServerResult<Option<AccountId>> {
    let id: Option<String> = sqlx::query_scalar("SELECT id FROM accounts WHERE citizen_key = $1")
        .bind(key.to_vec())
        .fetch_optional(conn)
        .await?;
    id.map(|id| parse_stored(AccountId::parse(&id))).transpose()
}

/// The account of an organisation that is not closed and holds this code (tax, enterprise,
/// cooperative or agency code), for duplicate checks before a registration.
pub async fn find_active_by_code(state: &AppState, code: &str) -> ServerResult<Option<OrgEid>> {
    let eid: Option<String> = sqlx::query_scalar(
        "SELECT eid FROM organisations WHERE status <> 'closed' AND \
         (tax_code = $1 OR enterprise_code = $1 OR cooperative_code = $1 OR agency_code = $1) \
         ORDER BY serial LIMIT 1",
    )
    .bind(code)
    .fetch_optional(&state.pool)
    .await?;
    eid.map(|e| parse_stored(OrgEid::parse(&e))).transpose()
}

/// How a person is shown to others: name and masked number.
pub async fn person_ref(state: &AppState, account: &AccountId) -> ServerResult<PersonRef> {
    let row = sqlx::query(
        "SELECT c.full_name, c.citizen_masked FROM accounts a \
         JOIN citizens c ON c.citizen_key = a.citizen_key WHERE a.id = $1",
    )
    .bind(account.as_str())
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ServerError::Internal("an account without a citizen".into()))?;
    Ok(PersonRef {
        account: account.clone(),
        full_name: row.try_get("full_name")?,
        citizen_id_masked: row.try_get("citizen_masked")?,
    })
}

async fn organisation_record(state: &AppState, org: &OrgRow) -> ServerResult<OrganisationRecord> {
    Ok(OrganisationRecord {
        eid: org.eid.clone(),
        org_type: org.org_type,
        details: details_of(state, org)?,
        registered_by: person_ref(state, &org.registered_by).await?,
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
    organisation_record(state, &org).await
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

/// Closes an organisation inside `conn`: status closed (the row and its number stay), every
/// delegation ends, and every session acting for it ends.
async fn close_in(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
    now: i64,
    reason: &str,
) -> ServerResult<()> {
    sqlx::query("UPDATE organisations SET status = 'closed', closed_at = $1 WHERE eid = $2")
        .bind(now)
        .bind(eid.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = $2 \
         WHERE eid = $3 AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(reason)
    .bind(eid.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE acting_for = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(eid.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn check_reason(reason: &str) -> ServerResult<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > officers::MAX_REASON_CHARS {
        return Err(validation("body.reason"));
    }
    Ok(reason)
}

/// The organisations a lifecycle change involves besides the one it is sent to.
pub fn involved(change: &OrganisationLifecycle) -> &[OrgEid] {
    match change {
        OrganisationLifecycle::Absorb { predecessors } => predecessors,
        OrganisationLifecycle::Split { successors, .. } => successors,
        _ => &[],
    }
}

fn lifecycle_name(change: &OrganisationLifecycle) -> &'static str {
    match change {
        OrganisationLifecycle::Lock { .. } => "lock",
        OrganisationLifecycle::Unlock { .. } => "unlock",
        OrganisationLifecycle::Close { .. } => "close",
        OrganisationLifecycle::Rename { .. } => "rename",
        OrganisationLifecycle::Absorb { .. } => "absorb",
        OrganisationLifecycle::Split { .. } => "split",
    }
}

/// Applies a change in an organisation's life (by an officer, the CLI or the registry), keeping
/// the history. `actor` is `None` for the CLI and the registry.
///
/// - lock: active only; unlock: locked only; close: not already closed (the number is never
///   issued again).
/// - rename: not closed; the number stays.
/// - absorb: `eid` (active) takes over `predecessors` (not closed, distinct, not `eid`); each
///   gets `merged_into` and closes, `eid` gets `absorbed` — linked both ways.
/// - split: `eid` (not closed) split into `successors` (active, distinct, not `eid`, each
///   registered on its own); `eid` gets `split_into`, each successor `split_from`; a division
///   (`continues: false`) closes `eid`.
///
/// A change that does not fit the organisations' state is `invalid_state`.
pub async fn apply_lifecycle(
    state: &AppState,
    actor: Option<&Actor>,
    eid: &OrgEid,
    change: &OrganisationLifecycle,
) -> ServerResult<()> {
    let org = require_organisation(state, eid).await?;
    let now = state.now();
    let invalid = || ServerError::code(ErrorCode::InvalidState);
    let others = involved(change);
    let mut seen = std::collections::HashSet::new();
    let links_others = matches!(
        change,
        OrganisationLifecycle::Absorb { .. } | OrganisationLifecycle::Split { .. }
    );
    // A merger or split names at least one other organisation, none twice, never itself.
    if links_others
        && (others.is_empty() || others.iter().any(|o| o == eid || !seen.insert(o.clone())))
    {
        return Err(validation("body"));
    }
    let mut other_rows = Vec::new();
    for other in others {
        other_rows.push(require_organisation(state, other).await?);
    }
    let mut tx = state.pool.begin().await?;
    match change {
        OrganisationLifecycle::Lock { reason } => {
            let reason = check_reason(reason)?;
            if org.status != OrganisationStatus::Active {
                return Err(invalid());
            }
            set_status(&mut tx, eid, OrganisationStatus::Locked).await?;
            add_history(
                &mut tx,
                eid,
                now,
                &OrganisationChange::Locked {
                    reason: reason.to_owned(),
                },
            )
            .await?;
        }
        OrganisationLifecycle::Unlock { reason } => {
            check_reason(reason)?;
            if org.status != OrganisationStatus::Locked {
                return Err(invalid());
            }
            set_status(&mut tx, eid, OrganisationStatus::Active).await?;
            add_history(&mut tx, eid, now, &OrganisationChange::Unlocked).await?;
        }
        OrganisationLifecycle::Close { reason } => {
            let reason = check_reason(reason)?;
            if org.status == OrganisationStatus::Closed {
                return Err(invalid());
            }
            close_in(&mut tx, eid, now, "closed").await?;
            add_history(
                &mut tx,
                eid,
                now,
                &OrganisationChange::Closed {
                    reason: reason.to_owned(),
                },
            )
            .await?;
        }
        OrganisationLifecycle::Rename { name_vi } => {
            if org.status == OrganisationStatus::Closed {
                return Err(invalid());
            }
            rename_in(state, &mut tx, &org, name_vi, now).await?;
        }
        OrganisationLifecycle::Absorb { predecessors } => {
            if org.status != OrganisationStatus::Active
                || other_rows
                    .iter()
                    .any(|o| o.status == OrganisationStatus::Closed)
            {
                return Err(invalid());
            }
            for p in predecessors {
                add_history(
                    &mut tx,
                    p,
                    now,
                    &OrganisationChange::MergedInto {
                        successor: eid.clone(),
                    },
                )
                .await?;
                close_in(&mut tx, p, now, "merged").await?;
            }
            add_history(
                &mut tx,
                eid,
                now,
                &OrganisationChange::Absorbed {
                    predecessors: predecessors.clone(),
                },
            )
            .await?;
        }
        OrganisationLifecycle::Split {
            successors,
            continues,
        } => {
            if org.status == OrganisationStatus::Closed
                || other_rows
                    .iter()
                    .any(|o| o.status != OrganisationStatus::Active)
            {
                return Err(invalid());
            }
            add_history(
                &mut tx,
                eid,
                now,
                &OrganisationChange::SplitInto {
                    successors: successors.clone(),
                    continues: *continues,
                },
            )
            .await?;
            for s in successors {
                add_history(
                    &mut tx,
                    s,
                    now,
                    &OrganisationChange::SplitFrom {
                        predecessor: eid.clone(),
                    },
                )
                .await?;
            }
            if !continues {
                close_in(&mut tx, eid, now, "divided").await?;
            }
        }
    }
    tx.commit().await?;
    let action = format!("organisation.{}", lifecycle_name(change));
    record(state, actor, &action, &object_of(eid), None, false).await?;
    for other in others {
        record(state, actor, &action, &object_of(other), None, false).await?;
    }
    Ok(())
}

async fn set_status(
    conn: &mut sqlx::AnyConnection,
    eid: &OrgEid,
    status: OrganisationStatus,
) -> ServerResult<()> {
    sqlx::query("UPDATE organisations SET status = $1 WHERE eid = $2")
        .bind(status_text(status))
        .bind(eid.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

async fn rename_in(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    org: &OrgRow,
    name_vi: &Name,
    now: i64,
) -> ServerResult<()> {
    let mut details = details_of(state, org)?;
    let from = details.name_vi.as_str().to_owned();
    if from == name_vi.as_str() {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    details.name_vi = name_vi.clone();
    sqlx::query("UPDATE organisations SET name_vi = $1, details_enc = $2 WHERE eid = $3")
        .bind(name_vi.as_str())
        .bind(encrypt_details(state, &details)?)
        .bind(org.eid.as_str())
        .execute(&mut *conn)
        .await?;
    add_history(
        conn,
        &org.eid,
        now,
        &OrganisationChange::Renamed {
            from,
            to: name_vi.as_str().to_owned(),
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Registry changes
// ---------------------------------------------------------------------------------------------

/// A change a registry (business, cooperative, tax) records about an organisation, as its
/// adapter reports it. `code` is the organisation's registry code (enterprise, cooperative,
/// tax or agency code).
#[derive(Clone, Debug)]
pub enum RegistryChange {
    /// New and departed legal representatives.
    RepresentativesChanged {
        /// The organisation's code.
        code: String,
        /// Who joined.
        added: Vec<LegalRepresentative>,
        /// Who left.
        removed: Vec<CitizenId>,
    },
    /// The organisation was dissolved.
    Dissolved {
        /// The organisation's code.
        code: String,
    },
    /// The organisation's name changed.
    Renamed {
        /// The organisation's code.
        code: String,
        /// The new Vietnamese name.
        new_name: Name,
    },
}

/// Applies a registry change to the organisation account holding the code (`not_found` when
/// none that is not closed does).
///
/// - A new legal representative with an account becomes an owner; a departed one loses the
///   owner role, and every delegation they granted ends (sessions switched by those delegates
///   fall back to personal on their next request).
/// - Dissolution closes the account, ends every delegation and every session acting for it.
/// - A new name is recorded like an officer's rename.
pub async fn apply_registry_change(state: &AppState, change: RegistryChange) -> ServerResult<()> {
    let code = match &change {
        RegistryChange::RepresentativesChanged { code, .. }
        | RegistryChange::Dissolved { code }
        | RegistryChange::Renamed { code, .. } => code,
    };
    let eid = find_active_by_code(state, code)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    match change {
        RegistryChange::Dissolved { .. } => {
            apply_lifecycle(
                state,
                None,
                &eid,
                &OrganisationLifecycle::Close {
                    reason:
                        "Giải thể theo cơ sở dữ liệu đăng ký / dissolved according to the registry"
                            .into(),
                },
            )
            .await
        }
        RegistryChange::Renamed { new_name, .. } => {
            apply_lifecycle(
                state,
                None,
                &eid,
                &OrganisationLifecycle::Rename { name_vi: new_name },
            )
            .await
        }
        RegistryChange::RepresentativesChanged { added, removed, .. } => {
            change_representatives(state, &eid, &added, &removed).await
        }
    }
}

async fn change_representatives(
    state: &AppState,
    eid: &OrgEid,
    added: &[LegalRepresentative],
    removed: &[CitizenId],
) -> ServerResult<()> {
    let org = require_organisation(state, eid).await?;
    let mut details = details_of(state, &org)?;
    let now = state.now();
    let mut tx = state.pool.begin().await?;
    let mut removed_masked = Vec::new();
    let mut departed = Vec::new();
    for id in removed {
        let before = details.representatives.len();
        details.representatives.retain(|r| &r.citizen_id != id);
        if details.representatives.len() == before {
            continue;
        }
        removed_masked.push(id.masked());
        let key = state.keys.citizen_key(id);
        sqlx::query(
            "UPDATE organisation_representatives SET removed_at = $1 \
             WHERE eid = $2 AND citizen_key = $3 AND removed_at IS NULL",
        )
        .bind(now)
        .bind(eid.as_str())
        .bind(key.clone())
        .execute(&mut *tx)
        .await?;
        if let Some(account) = account_by_key(&mut tx, &key).await? {
            // Their own standing, and every delegation they granted, end now.
            sqlx::query(
                "UPDATE delegations SET revoked_at = $1, revoked_reason = 'representative_departed' \
                 WHERE eid = $2 AND (account_id = $3 OR granted_by = $3) \
                 AND revoked_at IS NULL AND declined_at IS NULL",
            )
            .bind(now)
            .bind(eid.as_str())
            .bind(account.as_str())
            .execute(&mut *tx)
            .await?;
            departed.push(account);
        }
    }
    let mut added_masked = Vec::new();
    let mut owners = Vec::new();
    for rep in added {
        if details
            .representatives
            .iter()
            .any(|r| r.citizen_id == rep.citizen_id)
        {
            continue;
        }
        details.representatives.push(rep.clone());
        added_masked.push(rep.citizen_id.masked());
        let key = state.keys.citizen_key(&rep.citizen_id);
        insert_representative(&mut tx, eid, &key, rep, now).await?;
        if let Some(account) = account_by_key(&mut tx, &key).await? {
            make_owner(&mut tx, eid, &account, now).await?;
            owners.push(account);
        }
    }
    if removed_masked.is_empty() && added_masked.is_empty() {
        return Ok(());
    }
    sqlx::query("UPDATE organisations SET details_enc = $1 WHERE eid = $2")
        .bind(encrypt_details(state, &details)?)
        .bind(eid.as_str())
        .execute(&mut *tx)
        .await?;
    add_history(
        &mut tx,
        eid,
        now,
        &OrganisationChange::RepresentativesChanged {
            removed: removed_masked,
            added: added_masked,
        },
    )
    .await?;
    tx.commit().await?;
    record(
        state,
        None,
        "organisation.representatives_changed",
        &object_of(eid),
        None,
        false,
    )
    .await?;
    let name = details.name_vi.as_str();
    for owner in owners {
        tell(
            state,
            owner.as_str(),
            "Bạn là chủ tài khoản tổ chức",
            "You are an owner of an organisation account",
            &format!("Cơ sở dữ liệu đăng ký ghi nhận bạn là người đại diện theo pháp luật của {name} ({eid})."),
            &format!("The registry records you as a legal representative of {name} ({eid})."),
            None,
        )
        .await?;
    }
    for account in departed {
        tell(
            state,
            account.as_str(),
            "Quyền đại diện tổ chức đã kết thúc",
            "Your role in an organisation ended",
            &format!("Bạn không còn là người đại diện theo pháp luật của {name} ({eid}); các ủy quyền bạn đã cấp cũng chấm dứt."),
            &format!("You are no longer a legal representative of {name} ({eid}); the delegations you granted ended too."),
            None,
        )
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Membership
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Delegations
// ---------------------------------------------------------------------------------------------

/// A delegation as stored.
#[derive(Clone, Debug)]
struct DelegationRow {
    id: DelegationId,
    eid: OrgEid,
    account: AccountId,
    role: OrgRole,
    granted_by: Option<AccountId>,
    granted_at: i64,
    expires_on: Option<NaiveDate>,
    expires_at: Option<i64>,
    accepted_at: Option<i64>,
    declined_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl DelegationRow {
    /// Pending or accepted, and not ended.
    fn open(&self, now: i64) -> bool {
        self.revoked_at.is_none()
            && self.declined_at.is_none()
            && self.expires_at.is_none_or(|e| e > now)
    }
}

const DELEGATION_COLUMNS: &str = "id, eid, account_id, role, granted_by, granted_at, expires_on, \
                                  expires_at, accepted_at, declined_at, revoked_at";

fn delegation_row(row: &AnyRow) -> ServerResult<DelegationRow> {
    let id: String = row.try_get("id")?;
    let eid: String = row.try_get("eid")?;
    let account: String = row.try_get("account_id")?;
    let role: String = row.try_get("role")?;
    let granted_by: Option<String> = row.try_get("granted_by")?;
    let expires_on: Option<String> = row.try_get("expires_on")?;
    Ok(DelegationRow {
        id: parse_stored(DelegationId::parse(&id))?,
        eid: parse_stored(OrgEid::parse(&eid))?,
        account: parse_stored(AccountId::parse(&account))?,
        role: role_from_text(&role)?,
        granted_by: granted_by
            .map(|g| parse_stored(AccountId::parse(&g)))
            .transpose()?,
        granted_at: row.try_get("granted_at")?,
        expires_on: expires_on
            .map(|d| parse_stored(NaiveDate::parse_from_str(&d, "%Y-%m-%d")))
            .transpose()?,
        expires_at: row.try_get("expires_at")?,
        accepted_at: row.try_get("accepted_at")?,
        declined_at: row.try_get("declined_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

async fn delegation_view(state: &AppState, d: &DelegationRow) -> ServerResult<DelegationView> {
    let granted_by = match &d.granted_by {
        Some(g) => Some(person_ref(state, g).await?),
        None => None,
    };
    Ok(DelegationView {
        id: d.id.clone(),
        organisation: d.eid.clone(),
        person: person_ref(state, &d.account).await?,
        role: d.role,
        granted_by,
        granted_at: timestamp(d.granted_at),
        expires_on: d.expires_on,
        revoked_at: d.revoked_at.map(timestamp),
        accepted_at: d.accepted_at.map(timestamp),
        declined_at: d.declined_at.map(timestamp),
    })
}

async fn find_delegation(
    state: &AppState,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<DelegationRow> {
    let row = sqlx::query(&format!(
        "SELECT {DELEGATION_COLUMNS} FROM delegations WHERE id = $1 AND eid = $2"
    ))
    .bind(id.as_str())
    .bind(eid.as_str())
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    delegation_row(&row)
}

/// Authorises a person to act for an organisation (they still have to accept).
///
/// The organisation must be active (`invalid_state`); the actor must hold a live role that
/// may manage the requested one — owners add administrators and members, administrators
/// members only, nobody adds owners (`forbidden`); the person must have a level-2 account
/// (`not_found`, `level_too_low`) and no open delegation in the organisation (`conflict`); the
/// last day, if given, must not be past (`validation_failed`).
pub async fn add_delegate(
    state: &AppState,
    actor: &Actor,
    request: &AddDelegate,
) -> ServerResult<DelegationView> {
    let eid = &request.organisation;
    let object = object_of(eid);
    let org = require_organisation(state, eid).await?;
    let role = authz::role_in(state, &actor.account, eid).await?;
    if !authz::may_add_delegate(role, request.role, org.status) {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.add",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    if org.status != OrganisationStatus::Active {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let now = state.now();
    let expires_at = request.expires_on.map(end_of_day_vietnam);
    if expires_at.is_some_and(|e| e <= now) {
        return Err(validation("body.expires_on"));
    }
    let person = accounts::find_account_by_citizen(state, &request.citizen_id)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    if person.level != AccountLevel::Level2 {
        return Err(ServerError::code(ErrorCode::LevelTooLow));
    }
    let id = new_id("dlg");
    let mut tx = state.pool.begin().await?;
    // An expired delegation is over: mark it so, and the person can be authorised again.
    sqlx::query(
        "UPDATE delegations SET revoked_at = expires_at, revoked_reason = 'expired' \
         WHERE eid = $1 AND account_id = $2 AND revoked_at IS NULL AND declined_at IS NULL \
         AND expires_at IS NOT NULL AND expires_at <= $3",
    )
    .bind(eid.as_str())
    .bind(person.id.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO delegations (id, eid, account_id, role, granted_by, granted_at, expires_on, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(&id)
    .bind(eid.as_str())
    .bind(person.id.as_str())
    .bind(role_text(request.role))
    .bind(actor.account.as_str())
    .bind(now)
    .bind(request.expires_on.map(|d| d.format("%Y-%m-%d").to_string()))
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    tx.commit().await?;
    let dlg = parse_stored(DelegationId::parse(&id))?;
    record(
        state,
        Some(actor),
        "delegation.added",
        &format!("delegation:{id}"),
        Some(&person.citizen_key),
        false,
    )
    .await?;
    let link = paths::fill(
        &paths::fill(paths::DELEGATION_ANSWER, "eid", eid.as_str()),
        "id",
        &id,
    );
    tell(
        state,
        person.id.as_str(),
        "Lời mời đại diện tổ chức",
        "Invitation to act for an organisation",
        &format!(
            "Bạn được ủy quyền thay mặt {} ({eid}). Hãy chấp nhận hoặc từ chối trong ứng dụng.",
            org.name_vi
        ),
        &format!(
            "You were authorised to act for {} ({eid}). Accept or decline in the app.",
            org.name_vi
        ),
        Some(&link),
    )
    .await?;
    delegation_view(state, &find_delegation(state, eid, &dlg).await?).await
}

/// The delegate accepts or declines. Only the delegate may answer (`forbidden`), once, while
/// the delegation is open and the organisation active (`invalid_state`).
pub async fn answer_delegation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
    accept: bool,
) -> ServerResult<DelegationView> {
    let d = find_delegation(state, eid, id).await?;
    let object = format!("delegation:{id}");
    if d.account != actor.account {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.answer",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let org = require_organisation(state, eid).await?;
    let now = state.now();
    if d.accepted_at.is_some() || !d.open(now) || org.status != OrganisationStatus::Active {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let column = if accept { "accepted_at" } else { "declined_at" };
    let done = sqlx::query(&format!(
        "UPDATE delegations SET {column} = $1 WHERE id = $2 AND accepted_at IS NULL \
         AND declined_at IS NULL AND revoked_at IS NULL"
    ))
    .bind(now)
    .bind(id.as_str())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let action = if accept {
        "delegation.accepted"
    } else {
        "delegation.declined"
    };
    record(state, Some(actor), action, &object, None, false).await?;
    if let Some(granter) = &d.granted_by {
        let who = person_ref(state, &d.account).await?.full_name;
        let (vi, en) = if accept {
            ("đã chấp nhận", "accepted")
        } else {
            ("đã từ chối", "declined")
        };
        tell(
            state,
            granter.as_str(),
            "Trả lời ủy quyền",
            "Answer to an authorisation",
            &format!("{who} {vi} ủy quyền thay mặt {} ({eid}).", org.name_vi),
            &format!(
                "{who} {en} the authorisation to act for {} ({eid}).",
                org.name_vi
            ),
            None,
        )
        .await?;
    }
    delegation_view(state, &find_delegation(state, eid, id).await?).await
}

/// Ends a delegation at once: the delegate themselves, an owner, or an administrator for a
/// member may (`forbidden` otherwise). Owners' standing comes from the registry and ends only
/// through a registry change (`forbidden` here). An ended delegation: `invalid_state`.
pub async fn revoke_delegation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<()> {
    let d = find_delegation(state, eid, id).await?;
    let org = require_organisation(state, eid).await?;
    let object = format!("delegation:{id}");
    let own = d.account == actor.account;
    let role = authz::role_in(state, &actor.account, eid).await?;
    if !authz::may_revoke_delegation(role, own, d.role, org.status) {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.revoke",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let now = state.now();
    if !d.open(now) {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let done = sqlx::query(
        "UPDATE delegations SET revoked_at = $1, revoked_reason = $2 \
         WHERE id = $3 AND revoked_at IS NULL AND declined_at IS NULL",
    )
    .bind(now)
    .bind(if own { "given_up" } else { "revoked" })
    .bind(id.as_str())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    record(
        state,
        Some(actor),
        "delegation.revoked",
        &object,
        None,
        false,
    )
    .await?;
    if !own {
        tell(
            state,
            d.account.as_str(),
            "Ủy quyền đã chấm dứt",
            "Your authorisation ended",
            &format!("Bạn không còn được thay mặt {} ({eid}).", org.name_vi),
            &format!("You may no longer act for {} ({eid}).", org.name_vi),
            None,
        )
        .await?;
    }
    Ok(())
}

/// The delegations of an organisation: owners and administrators see every one; anyone else
/// sees only their own (`forbidden` when they have none); nobody but officers reads a closed
/// organisation's.
pub async fn list_delegations(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
) -> ServerResult<Vec<DelegationView>> {
    let org = require_organisation(state, eid).await?;
    let role = authz::role_in(state, &actor.account, eid).await?;
    let sees_all = authz::sees_all_delegations(role);
    let rows = if sees_all {
        sqlx::query(&format!(
            "SELECT {DELEGATION_COLUMNS} FROM delegations WHERE eid = $1 ORDER BY granted_at, id"
        ))
        .bind(eid.as_str())
        .fetch_all(&state.pool)
        .await?
    } else {
        sqlx::query(&format!(
            "SELECT {DELEGATION_COLUMNS} FROM delegations WHERE eid = $1 AND account_id = $2 \
             ORDER BY granted_at, id"
        ))
        .bind(eid.as_str())
        .bind(actor.account.as_str())
        .fetch_all(&state.pool)
        .await?
    };
    if org.status == OrganisationStatus::Closed || rows.is_empty() {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.list",
            &object_of(eid),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(delegation_view(state, &delegation_row(row)?).await?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Switching
// ---------------------------------------------------------------------------------------------

/// The accounts a person may switch between: personal, and every organisation (not closed)
/// where they hold a live role, marked usable when it is active.
pub async fn account_choices(
    state: &AppState,
    account: &AccountId,
    active: Option<&OrgEid>,
) -> ServerResult<AccountChoices> {
    let view = accounts::account_view(state, account).await?;
    let rows = sqlx::query(&format!(
        "SELECT d.eid, d.role, o.name_vi, o.status FROM delegations d \
         JOIN organisations o ON o.eid = d.eid \
         WHERE d.account_id = $1 AND o.status <> 'closed' AND {}",
        roles::live("d.", "$2")
    ))
    .bind(account.as_str())
    .bind(state.now())
    .fetch_all(&state.pool)
    .await?;
    let mut organisations: Vec<OrganisationChoice> = Vec::new();
    for row in &rows {
        let eid: String = row.try_get("eid")?;
        let role: String = row.try_get("role")?;
        let status: String = row.try_get("status")?;
        organisations.push(OrganisationChoice {
            eid: parse_stored(OrgEid::parse(&eid))?,
            name: row.try_get("name_vi")?,
            role: role_from_text(&role)?,
            usable: status == "active",
        });
    }
    organisations.sort_by(|a, b| a.name.cmp(&b.name).then(a.eid.cmp(&b.eid)));
    Ok(AccountChoices {
        personal: PersonalChoice {
            account: account.clone(),
            full_name: view.full_name,
            level: view.level,
        },
        organisations,
        active: active.cloned(),
    })
}

/// Switches a session to act for `to` (or back to the personal account): only to an active
/// organisation where the person holds a live role (`forbidden`). Audited with the person as
/// actor and the organisation switched to.
pub async fn switch_session(
    state: &AppState,
    actor: &Actor,
    session: &str,
    to: Option<&OrgEid>,
) -> ServerResult<()> {
    let object = format!("session:{session}");
    if let Some(eid) = to {
        if authz::may_act_for(state, &actor.account, eid)
            .await?
            .is_none()
        {
            return Err(refuse(
                state,
                Some(actor),
                "session.switch",
                &object,
                ErrorCode::Forbidden,
            )
            .await);
        }
    }
    let done = sqlx::query(
        "UPDATE sessions SET acting_for = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(to.map(|o| o.as_str().to_owned()))
    .bind(session)
    .bind(actor.account.as_str())
    .execute(&state.pool)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServerError::code(ErrorCode::Unauthenticated));
    }
    let after = Actor {
        acting_for: to.cloned(),
        ..actor.clone()
    };
    record(state, Some(&after), "session.switch", &object, None, false).await
}

// ---------------------------------------------------------------------------------------------
// Progress statistics
// ---------------------------------------------------------------------------------------------

/// A deployment target: the share of a type's organisations to register by a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeploymentTarget {
    /// Percent of the registry's organisations of the type.
    pub percent: u8,
    /// By when.
    pub due_on: NaiveDate,
}

/// The default plan: every state agency (type 3 holds the agencies with a tax code), 80% of
/// enterprises and cooperatives, half of the other organisations, by the end of 2026. A
/// deployment overrides it per type with `dinhdanh-server organisation target`.
pub fn default_target(t: OrgType) -> DeploymentTarget {
    let due_on = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default();
    let percent = match t {
        OrgType::OrganisationWithTaxCode => 100,
        OrgType::Enterprise | OrgType::Cooperative => 80,
        OrgType::OrganisationWithoutRegistration => 50,
    };
    DeploymentTarget { percent, due_on }
}

/// Sets the target of one type (the CLI).
pub async fn set_target(
    state: &AppState,
    t: OrgType,
    target: DeploymentTarget,
) -> ServerResult<()> {
    if target.percent > 100 {
        return Err(validation("percent"));
    }
    sqlx::query(
        "INSERT INTO deployment_targets (org_type, percent, due_on) VALUES ($1, $2, $3) \
         ON CONFLICT (org_type) DO UPDATE SET percent = excluded.percent, due_on = excluded.due_on",
    )
    .bind(org_type_text(t))
    .bind(i64::from(target.percent))
    .bind(target.due_on.format("%Y-%m-%d").to_string())
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// The targets in force, per type.
pub async fn targets(state: &AppState) -> ServerResult<HashMap<OrgType, DeploymentTarget>> {
    let mut out: HashMap<OrgType, DeploymentTarget> = OrgType::ALL
        .into_iter()
        .map(|t| (t, default_target(t)))
        .collect();
    let rows = sqlx::query("SELECT org_type, percent, due_on FROM deployment_targets")
        .fetch_all(&state.pool)
        .await?;
    for row in &rows {
        let t: String = row.try_get("org_type")?;
        let percent: i64 = row.try_get("percent")?;
        let due: String = row.try_get("due_on")?;
        out.insert(
            org_type_from_text(&t)?,
            DeploymentTarget {
                percent: parse_stored(u8::try_from(percent))?,
                due_on: parse_stored(NaiveDate::parse_from_str(&due, "%Y-%m-%d"))?,
            },
        );
    }
    Ok(out)
}

/// Registered organisations of the province by type and status, against the targets.
pub async fn progress(state: &AppState, province: NewProvince) -> ServerResult<ProgressStatistics> {
    let rows = sqlx::query(
        "SELECT org_type, status, COUNT(*) AS n FROM organisations WHERE province = $1 \
         GROUP BY org_type, status",
    )
    .bind(province.key())
    .fetch_all(&state.pool)
    .await?;
    let mut counts: HashMap<(OrgType, OrganisationStatus), u64> = HashMap::new();
    for row in &rows {
        let t: String = row.try_get("org_type")?;
        let s: String = row.try_get("status")?;
        let n: i64 = row.try_get("n")?;
        counts.insert(
            (org_type_from_text(&t)?, status_from_text(&s)?),
            u64::try_from(n).unwrap_or(0),
        );
    }
    // The denominator: the registries' organisations of each type in the province.
    let totals = crate::resources::registry::population(state, province).await?;
    let targets = targets(state).await?;
    let count = |t, s| counts.get(&(t, s)).copied().unwrap_or(0);
    let rows = OrgType::ALL
        .into_iter()
        .map(|t| {
            let target = targets
                .get(&t)
                .copied()
                .unwrap_or_else(|| default_target(t));
            let active = count(t, OrganisationStatus::Active);
            let locked = count(t, OrganisationStatus::Locked);
            let registered = active + locked;
            let total = if t == OrgType::OrganisationWithoutRegistration {
                None
            } else {
                totals.get(&t).copied()
            };
            let target_count = total.map(|n| (n * u64::from(target.percent)).div_ceil(100));
            ProgressRow {
                org_type: t,
                active,
                locked,
                closed: count(t, OrganisationStatus::Closed),
                registry_total: total,
                target_percent: target.percent,
                target_date: target.due_on,
                target_count,
                achieved_percent: total.filter(|n| *n > 0).map(|n| registered * 100 / n),
                target_met: target_count.map(|c| registered >= c),
            }
        })
        .collect();
    Ok(ProgressStatistics { province, rows })
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

fn eid_param(text: &str) -> ServerResult<OrgEid> {
    OrgEid::parse(text).map_err(|e| invalid_field(&e, "eid"))
}

fn delegation_param(text: &str) -> ServerResult<DelegationId> {
    DelegationId::parse(text).map_err(|e| invalid_field(&e, "id"))
}

fn body_bytes(value: &serde_json::Value) -> ServerResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|_| ServerError::code(ErrorCode::MalformedRequest))
}

/// `GET /v1/organisations/{eid}`.
async fn get_organisation(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<OrganisationRecord>> {
    let eid = eid_param(&eid)?;
    let actor = Actor::from_session(&auth.session);
    Ok(Json(read_organisation(&state, &actor, &eid).await?))
}

/// `GET /v1/organisations/{eid}/delegations`.
async fn get_delegations(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<DelegationView>>> {
    let eid = eid_param(&eid)?;
    let actor = Actor::from_session(&auth.session);
    Ok(Json(list_delegations(&state, &actor, &eid).await?))
}

/// `POST /v1/organisations/{eid}/delegations`: `Confirmed<AddDelegate>`, kind `add_delegate`,
/// target `organisation:<eid>`.
async fn post_delegation(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<DelegationView>> {
    let eid = eid_param(&eid)?;
    let confirmed = parse_confirmed::<AddDelegate>(&body_bytes(&auth.body)?)?;
    if confirmed.body.organisation != eid {
        return Err(validation("body.organisation"));
    }
    verify_confirmation(
        &state,
        &auth.session,
        &confirmed,
        ActionKind::AddDelegate,
        &org_target(&eid)?,
    )
    .await?;
    let actor = Actor::from_session(&auth.session);
    Ok(Json(add_delegate(&state, &actor, &confirmed.body).await?))
}

/// `POST /v1/organisations/{eid}/delegations/{id}/answer`: `Confirmed<DelegationAnswer>`,
/// kind `accept_delegation` or `decline_delegation`, target `delegation:<id>`.
async fn post_delegation_answer(
    State(state): State<AppState>,
    Path((eid, id)): Path<(String, String)>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<DelegationView>> {
    let eid = eid_param(&eid)?;
    let id = delegation_param(&id)?;
    let confirmed = parse_confirmed::<DelegationAnswer>(&body_bytes(&auth.body)?)?;
    if confirmed.body.organisation != eid || confirmed.body.delegation != id {
        return Err(validation("body.delegation"));
    }
    let kind = if confirmed.body.accept {
        ActionKind::AcceptDelegation
    } else {
        ActionKind::DeclineDelegation
    };
    let target =
        ActionTarget::new("delegation", id.as_str()).map_err(|e| invalid_field(&e, "id"))?;
    verify_confirmation(&state, &auth.session, &confirmed, kind, &target).await?;
    let actor = Actor::from_session(&auth.session);
    Ok(Json(
        answer_delegation(&state, &actor, &eid, &id, confirmed.body.accept).await?,
    ))
}

/// `DELETE /v1/organisations/{eid}/delegations/{id}`: `Confirmed<RevokeDelegate>`, kind
/// `revoke_delegate`, target `delegation:<id>`.
async fn delete_delegation(
    State(state): State<AppState>,
    Path((eid, id)): Path<(String, String)>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<axum::http::StatusCode> {
    let eid = eid_param(&eid)?;
    let id = delegation_param(&id)?;
    let confirmed = parse_confirmed::<RevokeDelegate>(&body_bytes(&auth.body)?)?;
    if confirmed.body.organisation != eid || confirmed.body.delegation != id {
        return Err(validation("body.delegation"));
    }
    let target =
        ActionTarget::new("delegation", id.as_str()).map_err(|e| invalid_field(&e, "id"))?;
    verify_confirmation(
        &state,
        &auth.session,
        &confirmed,
        ActionKind::RevokeDelegate,
        &target,
    )
    .await?;
    let actor = Actor::from_session(&auth.session);
    revoke_delegation(&state, &actor, &eid, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `GET /v1/me/accounts`.
async fn get_account_choices(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<AccountChoices>> {
    Ok(Json(
        account_choices(
            &state,
            &auth.session.account,
            auth.session.acting_for.as_ref(),
        )
        .await?,
    ))
}

/// The target a switch is confirmed for: the organisation, or the personal account.
pub fn switch_target(account: &AccountId, to: Option<&OrgEid>) -> ServerResult<ActionTarget> {
    match to {
        Some(eid) => org_target(eid),
        None => ActionTarget::new("account", account.as_str()).map_err(|e| invalid_field(&e, "to")),
    }
}

/// `POST /v1/me/accounts`: `Confirmed<SwitchAccount>`, kind `switch_account`, target
/// `organisation:<eid>` (or `account:<own id>` to go back to the personal account).
async fn post_account_switch(
    State(state): State<AppState>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<AccountChoices>> {
    let confirmed = parse_confirmed::<SwitchAccount>(&body_bytes(&auth.body)?)?;
    let to = confirmed.body.to.as_ref();
    let target = switch_target(&auth.session.account, to)?;
    verify_confirmation(
        &state,
        &auth.session,
        &confirmed,
        ActionKind::SwitchAccount,
        &target,
    )
    .await?;
    let actor = Actor::from_session(&auth.session);
    switch_session(&state, &actor, auth.session.id.as_str(), to).await?;
    Ok(Json(
        account_choices(&state, &auth.session.account, to).await?,
    ))
}

/// `POST /v1/officer/organisations/{eid}/changes`: an officer of the organisation's province
/// (and of every other organisation the change involves) changes its life, confirmed with
/// kind `change_account_lock` (lock, unlock) or `update_organisation_info`, target
/// `organisation:<eid>`.
async fn post_officer_change(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<OrganisationRecord>> {
    let eid = eid_param(&eid)?;
    let actor = Actor::from_session(&auth.session);
    let object = object_of(&eid);
    let Some(province) = authz::officer_province(&state, &actor.account).await? else {
        return Err(refuse(
            &state,
            Some(&actor),
            "organisation.change",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    };
    let confirmed = parse_confirmed::<OrganisationLifecycle>(&body_bytes(&auth.body)?)?;
    let change = &confirmed.body;
    let org = require_organisation(&state, &eid).await?;
    let mut in_province = org.province == province.key();
    for other in involved(change) {
        let o = require_organisation(&state, other).await?;
        in_province &= o.province == province.key();
    }
    if !in_province {
        return Err(refuse(
            &state,
            Some(&actor),
            "organisation.change",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let kind = match change {
        OrganisationLifecycle::Lock { .. } | OrganisationLifecycle::Unlock { .. } => {
            ActionKind::ChangeAccountLock
        }
        _ => ActionKind::UpdateOrganisationInfo,
    };
    verify_confirmation(&state, &auth.session, &confirmed, kind, &org_target(&eid)?).await?;
    apply_lifecycle(&state, Some(&actor), &eid, change).await?;
    let org = require_organisation(&state, &eid).await?;
    Ok(Json(organisation_record(&state, &org).await?))
}

/// `GET /v1/officer/progress`: the officer's province.
async fn get_progress(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<ProgressStatistics>> {
    let actor = Actor::from_session(&auth.session);
    let Some(province) = authz::officer_province(&state, &actor.account).await? else {
        return Err(refuse(
            &state,
            Some(&actor),
            "officer.progress",
            "progress",
            ErrorCode::Forbidden,
        )
        .await);
    };
    Ok(Json(progress(&state, province).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delegation_holds_until_the_end_of_its_last_day_in_vietnam() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        // 2026-04-01 00:00 +07:00 = 2026-03-31 17:00 UTC.
        let end = chrono::DateTime::parse_from_rfc3339("2026-03-31T17:00:00Z")
            .unwrap()
            .timestamp();
        assert_eq!(end_of_day_vietnam(day), end);
        assert_eq!(end_of_day_vietnam(NaiveDate::MAX), i64::MAX);
    }

    #[test]
    fn stored_words_read_back() {
        for t in OrgType::ALL {
            assert_eq!(org_type_from_text(org_type_text(t)).unwrap(), t);
        }
        for r in [OrgRole::Owner, OrgRole::Administrator, OrgRole::Member] {
            assert_eq!(role_from_text(role_text(r)).unwrap(), r);
        }
        for s in [
            OrganisationStatus::Active,
            OrganisationStatus::Locked,
            OrganisationStatus::Closed,
        ] {
            assert_eq!(status_from_text(status_text(s)).unwrap(), s);
        }
        assert!(role_from_text("boss").is_err());
    }

    #[test]
    fn the_default_plan_asks_all_agencies_and_most_businesses() {
        assert_eq!(
            default_target(OrgType::OrganisationWithTaxCode).percent,
            100
        );
        assert_eq!(default_target(OrgType::Enterprise).percent, 80);
        assert_eq!(default_target(OrgType::Cooperative).percent, 80);
        assert_eq!(
            default_target(OrgType::OrganisationWithoutRegistration).percent,
            50
        );
    }
}
