//! Delegations: owners and administrators authorise level-2 people to act for an organisation
//! (the person accepts or declines); a delegation ends when revoked, given up or past its last
//! day. Who may do which is [`crate::authz`]'s; each change, its audit entry and its notice
//! commit in one transaction ([`Tx`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use chrono::NaiveDate;
use dinhdanh_core::account::{AccountLevel, OrgRole};
use dinhdanh_core::api::{
    AddDelegate, ApiError, DelegationAnswer, DelegationView, ErrorCode, LiveEvent,
    OrganisationStatus, RevokeDelegate, paths,
};
use dinhdanh_core::ids::{AccountId, DelegationId, OrgEid};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use crate::authz;
use crate::http::auth::Authed;
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult, invalid_field};
use crate::infra::ids::new_id;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts;
use crate::resources::organisations::{
    Actor, OrgRow, audit_record, person_ref, refuse, require_organisation, tell,
};
use crate::store::delegations::{self as store, DelegationRow};
use crate::store::live_events::Audience;
use crate::store::oidc_logouts::{self, Ended};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored, word};

mod services;

pub use services::{MAX_SERVICES, set_services};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            paths::DELEGATIONS,
            get(get_delegations).post(post_delegation),
        )
        .route(paths::DELEGATION, delete(delete_delegation))
        .route(paths::DELEGATION_ANSWER, post(post_delegation_answer))
        .route(
            paths::DELEGATION_SERVICES,
            axum::routing::put(services::put_delegation_services),
        )
}

/// Vietnam's offset from UTC (no daylight saving time).
const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;

/// The first second (Unix) at which a delegation whose last day is `day` no longer holds: the
/// midnight that ends `day` in Vietnam.
pub fn end_of_day_vietnam(day: NaiveDate) -> i64 {
    day.succ_opt()
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .map_or(i64::MAX, |t| t.and_utc().timestamp() - VIETNAM_OFFSET_SECS)
}

fn validation(field: &str) -> ServerError {
    ApiError::new(ErrorCode::ValidationFailed)
        .with_details(vec![
            ApiError::new(ErrorCode::ValidationFailed).with_field(field),
        ])
        .into()
}

/// A delegation, read from its stored row.
#[derive(Clone, Debug)]
struct Delegation {
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

impl Delegation {
    fn from_row(row: DelegationRow) -> ServerResult<Self> {
        Ok(Delegation {
            id: parse_stored(DelegationId::parse(&row.id))?,
            eid: parse_stored(OrgEid::parse(&row.eid))?,
            account: parse_stored(AccountId::parse(&row.account_id))?,
            role: from_word(&row.role)?,
            granted_by: row
                .granted_by
                .map(|g| parse_stored(AccountId::parse(&g)))
                .transpose()?,
            granted_at: row.granted_at,
            expires_on: row
                .expires_on
                .map(|d| parse_stored(NaiveDate::parse_from_str(&d, "%Y-%m-%d")))
                .transpose()?,
            expires_at: row.expires_at,
            accepted_at: row.accepted_at,
            declined_at: row.declined_at,
            revoked_at: row.revoked_at,
        })
    }

    /// Pending or accepted, and not ended.
    fn open(&self, now: i64) -> bool {
        self.revoked_at.is_none()
            && self.declined_at.is_none()
            && self.expires_at.is_none_or(|e| e > now)
    }
}

/// Tells the open apps that `d` changed: the delegate's, and those acting for the
/// organisation of people who see all its delegations ([`crate::resources::live`]).
fn publish_change(tx: &mut Tx, d: &Delegation) {
    let event = LiveEvent::DelegationChanged {
        organisation: d.eid.clone(),
        id: d.id.clone(),
    };
    tx.publish(
        Audience::Account(d.account.as_str().to_owned()),
        event.clone(),
    );
    tx.publish(Audience::Organisation(d.eid.as_str().to_owned()), event);
}

async fn delegation_view(state: &AppState, d: &Delegation) -> ServerResult<DelegationView> {
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
        services: services::services_view(state, d).await?,
    })
}

async fn find_delegation(
    state: &AppState,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<Delegation> {
    let mut conn = state.pool.acquire().await?;
    let row = store::find(&mut conn, eid.as_str(), id.as_str())
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    Delegation::from_row(row)
}

/// Authorises a person to act for an organisation (they still have to accept).
///
/// The organisation must be active (`invalid_state`); the actor must hold a live role that
/// may manage the requested one — owners add administrators and members, administrators
/// members only, nobody adds owners (`forbidden`); the person must have a level-2 account
/// (`not_found`, `level_too_low`) and no open delegation in the organisation (`conflict`); the
/// last day, if given, must not be past (`validation_failed`). One transaction,
/// `delegation.add`: the delegation, its audit entry and the invitation.
pub async fn add_delegate(
    state: &AppState,
    actor: &Actor,
    request: &AddDelegate,
) -> ServerResult<DelegationView> {
    let checked = check_add(state, actor, request).await?;
    let mut tx = Tx::begin(state, "delegation.add").await?;
    let id = add_in(&mut tx, actor, request, &checked).await?;
    tx.commit().await?;
    added_view(state, request, &id).await
}

/// What [`check_add`] found: the organisation and the person to authorise.
struct AddChecked {
    org: OrgRow,
    person: accounts::AccountRow,
    expires_at: Option<i64>,
}

/// The checks of [`add_delegate`], made before anything changes (and before a confirmation
/// is spent); refusals audited.
async fn check_add(
    state: &AppState,
    actor: &Actor,
    request: &AddDelegate,
) -> ServerResult<AddChecked> {
    let eid = &request.organisation;
    let org = require_organisation(state, eid).await?;
    let role = authz::role_in(state, &actor.account, eid).await?;
    if !authz::may_add_delegate(role, request.role, org.status) {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.add",
            &format!("organisation:{eid}"),
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
    Ok(AddChecked {
        org,
        person,
        expires_at,
    })
}

/// [`add_delegate`]'s change, as a step of `tx`; answers the new delegation's id.
async fn add_in(
    tx: &mut Tx,
    actor: &Actor,
    request: &AddDelegate,
    checked: &AddChecked,
) -> ServerResult<String> {
    let AddChecked {
        org,
        person,
        expires_at,
    } = checked;
    let eid = &request.organisation;
    let id = new_id("dlg");
    let now = tx.now();
    // An expired delegation is over: mark it so, and the person can be authorised again.
    store::end_expired(tx.conn()?, eid.as_str(), person.id.as_str(), now).await?;
    let row = DelegationRow {
        id: id.clone(),
        eid: eid.as_str().to_owned(),
        account_id: person.id.as_str().to_owned(),
        role: word(&request.role)?,
        granted_by: Some(actor.account.as_str().to_owned()),
        granted_at: now,
        expires_on: request.expires_on.map(|d| d.format("%Y-%m-%d").to_string()),
        expires_at: *expires_at,
        accepted_at: None,
        declined_at: None,
        revoked_at: None,
    };
    if !store::insert_pending(tx.conn()?, &row).await? {
        return Err(ServerError::code(ErrorCode::Conflict));
    }
    publish_change(tx, &Delegation::from_row(row)?);
    tx.audit(audit_record(
        Some(actor),
        "delegation.added",
        &format!("delegation:{id}"),
        Some(&person.citizen_key),
        false,
    ));
    let link = paths::fill(
        &paths::fill(paths::DELEGATION_ANSWER, "eid", eid.as_str()),
        "id",
        &id,
    );
    tell(
        tx,
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
    Ok(id)
}

/// The delegation [`add_in`] made, as its grantor sees it.
async fn added_view(
    state: &AppState,
    request: &AddDelegate,
    id: &str,
) -> ServerResult<DelegationView> {
    let dlg = parse_stored(DelegationId::parse(id))?;
    delegation_view(
        state,
        &find_delegation(state, &request.organisation, &dlg).await?,
    )
    .await
}

/// The delegate accepts or declines. Only the delegate may answer (`forbidden`), once, while
/// the delegation is open and the organisation active (`invalid_state`). One transaction,
/// `delegation.answer`: the answer, its audit entry and the notice to the grantor.
pub async fn answer_delegation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
    accept: bool,
) -> ServerResult<DelegationView> {
    let checked = check_answer(state, actor, eid, id).await?;
    let mut tx = Tx::begin(state, "delegation.answer").await?;
    answer_in(&mut tx, actor, &checked, accept).await?;
    tx.commit().await?;
    delegation_view(state, &find_delegation(state, eid, id).await?).await
}

/// What [`check_answer`] found: the delegation, its organisation, and who answers (named to
/// the grantor).
struct AnswerChecked {
    d: Delegation,
    org: OrgRow,
    who: Option<String>,
}

/// The checks of [`answer_delegation`], made before anything changes; refusals audited.
async fn check_answer(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<AnswerChecked> {
    let d = find_delegation(state, eid, id).await?;
    let object = format!("delegation:{id}");
    if !authz::may_answer_delegation(&actor.account, &d.account) {
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
    let who = match &d.granted_by {
        Some(_) => Some(person_ref(state, &d.account).await?.full_name),
        None => None,
    };
    Ok(AnswerChecked { d, org, who })
}

/// [`answer_delegation`]'s change, as a step of `tx`.
async fn answer_in(
    tx: &mut Tx,
    actor: &Actor,
    checked: &AnswerChecked,
    accept: bool,
) -> ServerResult<()> {
    let AnswerChecked { d, org, who } = checked;
    let (eid, id) = (&d.eid, &d.id);
    let object = format!("delegation:{id}");
    let now = tx.now();
    if !store::answer(tx.conn()?, id.as_str(), accept, now).await? {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    publish_change(tx, d);
    let action = if accept {
        "delegation.accepted"
    } else {
        "delegation.declined"
    };
    tx.audit(audit_record(Some(actor), action, &object, None, false));
    if let (Some(granter), Some(who)) = (&d.granted_by, who) {
        let (vi, en) = if accept {
            ("đã chấp nhận", "accepted")
        } else {
            ("đã từ chối", "declined")
        };
        tell(
            tx,
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
    Ok(())
}

/// Ends a delegation at once: the delegate themselves, an owner, or an administrator for a
/// member may (`forbidden` otherwise). Owners' standing comes from the registry and ends only
/// through a registry change (`forbidden` here). An ended delegation: `invalid_state`. One
/// transaction, `delegation.revoke`: the end, its audit entry and the notice to the delegate.
pub async fn revoke_delegation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<()> {
    let checked = check_revoke(state, actor, eid, id).await?;
    let mut tx = Tx::begin(state, "delegation.revoke").await?;
    revoke_in(&mut tx, actor, &checked).await?;
    tx.commit().await
}

/// What [`check_revoke`] found: the delegation and its organisation.
struct RevokeChecked {
    d: Delegation,
    org: OrgRow,
}

/// The checks of [`revoke_delegation`], made before anything changes; refusals audited.
async fn check_revoke(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<RevokeChecked> {
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
    if !d.open(state.now()) {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    Ok(RevokeChecked { d, org })
}

/// [`revoke_delegation`]'s change, as a step of `tx`.
async fn revoke_in(tx: &mut Tx, actor: &Actor, checked: &RevokeChecked) -> ServerResult<()> {
    let RevokeChecked { d, org } = checked;
    let (eid, id) = (&d.eid, &d.id);
    let object = format!("delegation:{id}");
    let own = d.account == actor.account;
    let now = tx.now();
    let reason = if own { "given_up" } else { "revoked" };
    if !store::revoke(tx.conn()?, id.as_str(), reason, now).await? {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    publish_change(tx, d);
    // The services the delegate is signed in to as the organisation are told (back-channel
    // logout, after the commit) and their tokens revoked, as part of the action.
    oidc_logouts::end_sign_ins(
        tx,
        Ended::Delegate {
            eid: eid.as_str(),
            account: d.account.as_str(),
        },
        "delegation_revoked",
    )
    .await?;
    tx.audit(audit_record(
        Some(actor),
        "delegation.revoked",
        &object,
        None,
        false,
    ));
    if !own {
        tell(
            tx,
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

/// The delegations of an organisation: owners and administrators see every one, and so do
/// officers of its province (closed or not); anyone else sees only their own (`forbidden` when
/// they have none).
pub async fn list_delegations(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
) -> ServerResult<Vec<DelegationView>> {
    let org = require_organisation(state, eid).await?;
    let role = authz::role_in(state, &actor.account, eid).await?;
    let officer = authz::is_officer_of_key(state, &actor.account, &org.province).await?;
    let rows = {
        let mut conn = state.pool.acquire().await?;
        if authz::sees_all_delegations(role) || officer {
            store::of_organisation(&mut conn, eid.as_str()).await?
        } else {
            store::of_person(&mut conn, eid.as_str(), actor.account.as_str()).await?
        }
    };
    if !authz::may_list_delegations(org.status, !rows.is_empty(), officer) {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.list",
            &format!("organisation:{eid}"),
            ErrorCode::Forbidden,
        )
        .await);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(delegation_view(state, &Delegation::from_row(row)?).await?);
    }
    Ok(out)
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

fn delegation_target(id: &DelegationId) -> ServerResult<ActionTarget> {
    ActionTarget::new("delegation", id.as_str()).map_err(|e| invalid_field(&e, "id"))
}

impl ConfirmedBody for AddDelegate {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.organisation.as_str(), "organisation"))
    }
}

// The routes of one delegation name the organisation first: a body for another organisation
// or another delegation is refused with the same field.
impl ConfirmedBody for DelegationAnswer {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.organisation.as_str(), "delegation"))
    }
}

impl ConfirmedBody for RevokeDelegate {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.organisation.as_str(), "delegation"))
    }
}

/// `GET /v1/organisations/{eid}/delegations`.
async fn get_delegations(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<DelegationView>>> {
    let eid = eid_param(&eid)?;
    let actor = auth.session.actor();
    Ok(Json(list_delegations(&state, &actor, &eid).await?))
}

/// `POST /v1/organisations/{eid}/delegations`: `Confirmed<AddDelegate>`, kind `add_delegate`,
/// target `organisation:<eid>`.
async fn post_delegation(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    action: ConfirmedAction<AddDelegate>,
) -> ServerResult<Json<DelegationView>> {
    let eid = eid_param(&eid)?;
    let target =
        ActionTarget::new("organisation", eid.as_str()).map_err(|e| invalid_field(&e, "eid"))?;
    // Who may, and whom: checked before a challenge or attempt is spent.
    let actor = action.session.actor();
    let request = action.body()?.clone();
    let checked = check_add(&state, &actor, &request).await?;
    let (_, id) = action
        .verify_then(
            &state,
            ActionKind::AddDelegate,
            &target,
            "delegation.add",
            async |tx, _, body| add_in(tx, &actor, &body, &checked).await,
        )
        .await?;
    Ok(Json(added_view(&state, &request, &id).await?))
}

/// `POST /v1/organisations/{eid}/delegations/{id}/answer`: `Confirmed<DelegationAnswer>`,
/// kind `accept_delegation` or `decline_delegation`, target `delegation:<id>`.
async fn post_delegation_answer(
    State(state): State<AppState>,
    Path((eid, id)): Path<(String, String)>,
    action: ConfirmedAction<DelegationAnswer>,
) -> ServerResult<Json<DelegationView>> {
    let (eid, id) = (eid_param(&eid)?, delegation_param(&id)?);
    if action.body()?.delegation != id {
        return Err(validation("body.delegation"));
    }
    let kind = if action.body()?.accept {
        ActionKind::AcceptDelegation
    } else {
        ActionKind::DeclineDelegation
    };
    let actor = action.session.actor();
    let checked = check_answer(&state, &actor, &eid, &id).await?;
    action
        .verify_then(
            &state,
            kind,
            &delegation_target(&id)?,
            "delegation.answer",
            async |tx, _, body| answer_in(tx, &actor, &checked, body.accept).await,
        )
        .await?;
    Ok(Json(
        delegation_view(&state, &find_delegation(&state, &eid, &id).await?).await?,
    ))
}

/// `DELETE /v1/organisations/{eid}/delegations/{id}`: `Confirmed<RevokeDelegate>`, kind
/// `revoke_delegate`, target `delegation:<id>`.
async fn delete_delegation(
    State(state): State<AppState>,
    Path((eid, id)): Path<(String, String)>,
    action: ConfirmedAction<RevokeDelegate>,
) -> ServerResult<axum::http::StatusCode> {
    let (eid, id) = (eid_param(&eid)?, delegation_param(&id)?);
    if action.body()?.delegation != id {
        return Err(validation("body.delegation"));
    }
    let actor = action.session.actor();
    let checked = check_revoke(&state, &actor, &eid, &id).await?;
    action
        .verify_then(
            &state,
            ActionKind::RevokeDelegate,
            &delegation_target(&id)?,
            "delegation.revoke",
            async |tx, _, _| revoke_in(tx, &actor, &checked).await,
        )
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
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
}
