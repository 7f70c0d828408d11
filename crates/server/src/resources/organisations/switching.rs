//! Switching a session between the personal account and the organisations the person may act
//! for. The switch is re-checked on every request ([`crate::http::auth::authenticate`]), so
//! this only records the choice.

use axum::Json;
use axum::extract::State;
use dinhdanh_core::api::{
    AccountChoices, ErrorCode, OrganisationChoice, OrganisationStatus, PersonalChoice,
    SwitchAccount,
};
use dinhdanh_core::ids::{AccountId, OrgEid};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use super::{Actor, audit_record, org_target, refuse};
use crate::authz;
use crate::http::auth::Authed;
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult, invalid_field};
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};
use crate::store::{acting_for, delegations as delegation_store};

/// The accounts a person may switch between: personal, and every organisation (not closed)
/// where they hold a live role, marked usable when it is active.
pub async fn account_choices(
    state: &AppState,
    account: &AccountId,
    active: Option<&OrgEid>,
) -> ServerResult<AccountChoices> {
    let view = accounts::account_view(state, account).await?;
    let rows = {
        let mut conn = state.pool.acquire().await?;
        delegation_store::choices(&mut conn, account.as_str(), state.now()).await?
    };
    let mut organisations: Vec<OrganisationChoice> = Vec::new();
    for row in rows {
        organisations.push(OrganisationChoice {
            eid: parse_stored(OrgEid::parse(&row.eid))?,
            name: row.name_vi,
            role: from_word(&row.role)?,
            usable: from_word::<OrganisationStatus>(&row.status)? == OrganisationStatus::Active,
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
/// actor and the organisation switched to, in one transaction (`session.switch`).
pub async fn switch_session(
    state: &AppState,
    actor: &Actor,
    session: &str,
    to: Option<&OrgEid>,
) -> ServerResult<()> {
    may_switch(state, actor, session, to).await?;
    let mut tx = Tx::begin(state, "session.switch").await?;
    switch_in(&mut tx, actor, session, to).await?;
    tx.commit().await
}

/// Whether `actor` may switch to `to` (authz), the refusal audited.
async fn may_switch(
    state: &AppState,
    actor: &Actor,
    session: &str,
    to: Option<&OrgEid>,
) -> ServerResult<()> {
    if authz::may_switch_to(state, &actor.account, to).await? {
        return Ok(());
    }
    let object = format!("session:{session}");
    Err(refuse(
        state,
        Some(actor),
        "session.switch",
        &object,
        ErrorCode::Forbidden,
    )
    .await)
}

/// The switch as a step of `tx`, once [`may_switch`] has allowed it.
async fn switch_in(
    tx: &mut Tx,
    actor: &Actor,
    session: &str,
    to: Option<&OrgEid>,
) -> ServerResult<()> {
    let object = format!("session:{session}");
    let to_text = to.map(|o| o.as_str());
    if !acting_for::switch(tx.conn()?, session, actor.account.as_str(), to_text).await? {
        return Err(ServerError::code(ErrorCode::Unauthenticated));
    }
    let after = Actor {
        acting_for: to.cloned(),
        ..actor.clone()
    };
    tx.audit(audit_record(
        Some(&after),
        "session.switch",
        &object,
        None,
        false,
    ));
    Ok(())
}

/// `GET /v1/me/accounts`.
pub(super) async fn get_account_choices(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<AccountChoices>> {
    let session = &auth.session;
    let choices = account_choices(&state, &session.account, session.acting_for.as_ref()).await?;
    Ok(Json(choices))
}

/// The target a switch is confirmed for: the organisation, or the personal account.
pub fn switch_target(account: &AccountId, to: Option<&OrgEid>) -> ServerResult<ActionTarget> {
    match to {
        Some(eid) => org_target(eid),
        None => ActionTarget::new("account", account.as_str()).map_err(|e| invalid_field(&e, "to")),
    }
}

/// The switch route's path names no object.
impl ConfirmedBody for SwitchAccount {}

/// `POST /v1/me/accounts`: `Confirmed<SwitchAccount>`, kind `switch_account`, target
/// `organisation:<eid>` (or `account:<own id>` to go back to the personal account).
pub(super) async fn post_account_switch(
    State(state): State<AppState>,
    action: ConfirmedAction<SwitchAccount>,
) -> ServerResult<Json<AccountChoices>> {
    let to = action.body()?.to.clone();
    let target = switch_target(&action.session.account, to.as_ref())?;
    // Who may: checked before a challenge or attempt is spent.
    let actor = action.session.actor();
    let id = action.session.id.clone();
    may_switch(&state, &actor, id.as_str(), to.as_ref()).await?;
    let (session, _) = action
        .verify_then(
            &state,
            ActionKind::SwitchAccount,
            &target,
            "session.switch",
            async |tx, _, body| switch_in(tx, &actor, id.as_str(), body.to.as_ref()).await,
        )
        .await?;
    Ok(Json(
        account_choices(&state, &session.account, to.as_ref()).await?,
    ))
}
