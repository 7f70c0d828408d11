//! The life of an organisation account: lock, unlock, close, rename, merge and split, each
//! kept in the history with old and new numbers linked both ways (guidance 1018/BTTTT-THH).

use axum::Json;
use axum::extract::{Path, State};
use dinhdanh_core::api::{
    ErrorCode, OfficerOrganisationLock, OrganisationChange, OrganisationLifecycle,
    OrganisationRecord, OrganisationStatus,
};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::org_type::Name;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use super::accounts::{add_history, details_of, encrypt_details, organisation_record};
use super::{
    Actor, OrgRow, audit_record, eid_param, object_of, org_target, refuse, require_organisation,
    require_organisation_in, validation,
};
use crate::authz;
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::officers;
use crate::store::oidc_logouts::{self, Ended};
use crate::store::tx::Tx;
use crate::store::values::word;
use crate::store::{acting_for, delegations as delegation_store, organisations as store};

/// Closes an organisation as part of the action: status closed (the row and its number stay),
/// every delegation ends, and every session acting for it ends, here and at the services signed
/// in to as it (back-channel logout).
async fn close_in(tx: &mut Tx, eid: &OrgEid, reason: &str) -> ServerResult<()> {
    let now = tx.now();
    store::close(tx.conn()?, eid.as_str(), now).await?;
    delegation_store::revoke_all(tx.conn()?, eid.as_str(), reason, now).await?;
    acting_for::end_sessions(tx.conn()?, eid.as_str(), now).await?;
    oidc_logouts::end_sign_ins(tx, Ended::Organisation(eid.as_str()), "organisation_closed")
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
/// the history, in one transaction (`organisation.change`). `actor` is `None` for the CLI and
/// the registry.
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
    let mut tx = Tx::begin(state, "organisation.change").await?;
    apply_lifecycle_in(&mut tx, state, actor, eid, change).await?;
    tx.commit().await
}

/// [`apply_lifecycle`] as part of the caller's action (a registry change).
pub(super) async fn apply_lifecycle_in(
    tx: &mut Tx,
    state: &AppState,
    actor: Option<&Actor>,
    eid: &OrgEid,
    change: &OrganisationLifecycle,
) -> ServerResult<()> {
    let org = require_organisation_in(tx.conn()?, eid).await?;
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
        other_rows.push(require_organisation_in(tx.conn()?, other).await?);
    }
    let now = tx.now();
    match change {
        OrganisationLifecycle::Lock { reason } => {
            let reason = check_reason(reason)?;
            if org.status != OrganisationStatus::Active {
                return Err(invalid());
            }
            let locked = word(&OrganisationStatus::Locked)?;
            store::set_status(tx.conn()?, eid.as_str(), &locked).await?;
            // Everyone signed in to a service as it is signed out there (back-channel logout).
            oidc_logouts::end_sign_ins(
                tx,
                Ended::Organisation(eid.as_str()),
                "organisation_locked",
            )
            .await?;
            let change = OrganisationChange::Locked {
                reason: reason.to_owned(),
            };
            add_history(tx.conn()?, eid, now, &change).await?;
        }
        OrganisationLifecycle::Unlock { reason } => {
            check_reason(reason)?;
            if org.status != OrganisationStatus::Locked {
                return Err(invalid());
            }
            let active = word(&OrganisationStatus::Active)?;
            store::set_status(tx.conn()?, eid.as_str(), &active).await?;
            add_history(tx.conn()?, eid, now, &OrganisationChange::Unlocked).await?;
        }
        OrganisationLifecycle::Close { reason } => {
            let reason = check_reason(reason)?;
            if org.status == OrganisationStatus::Closed {
                return Err(invalid());
            }
            close_in(tx, eid, "closed").await?;
            let change = OrganisationChange::Closed {
                reason: reason.to_owned(),
            };
            add_history(tx.conn()?, eid, now, &change).await?;
        }
        OrganisationLifecycle::Rename { name_vi } => {
            if org.status == OrganisationStatus::Closed {
                return Err(invalid());
            }
            rename_in(tx, state, &org, name_vi).await?;
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
                let merged = OrganisationChange::MergedInto {
                    successor: eid.clone(),
                };
                add_history(tx.conn()?, p, now, &merged).await?;
                close_in(tx, p, "merged").await?;
            }
            let absorbed = OrganisationChange::Absorbed {
                predecessors: predecessors.clone(),
            };
            add_history(tx.conn()?, eid, now, &absorbed).await?;
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
            let split = OrganisationChange::SplitInto {
                successors: successors.clone(),
                continues: *continues,
            };
            add_history(tx.conn()?, eid, now, &split).await?;
            for s in successors {
                let from = OrganisationChange::SplitFrom {
                    predecessor: eid.clone(),
                };
                add_history(tx.conn()?, s, now, &from).await?;
            }
            if !continues {
                close_in(tx, eid, "divided").await?;
            }
        }
    }
    let action = format!("organisation.{}", lifecycle_name(change));
    tx.audit(audit_record(actor, &action, &object_of(eid), None, false));
    for other in others {
        tx.audit(audit_record(actor, &action, &object_of(other), None, false));
    }
    Ok(())
}

/// Renames the organisation as part of the action; the same name again is `invalid_state`.
pub(super) async fn rename_in(
    tx: &mut Tx,
    state: &AppState,
    org: &OrgRow,
    name_vi: &Name,
) -> ServerResult<()> {
    let mut details = details_of(state, org)?;
    let from = details.name_vi.as_str().to_owned();
    if from == name_vi.as_str() {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    details.name_vi = name_vi.clone();
    let enc = encrypt_details(state, &details)?;
    store::rename(tx.conn()?, org.eid.as_str(), name_vi.as_str(), enc).await?;
    let now = tx.now();
    let renamed = OrganisationChange::Renamed {
        from,
        to: name_vi.as_str().to_owned(),
    };
    add_history(tx.conn()?, &org.eid, now, &renamed).await
}

/// The body does not name the organisation: the path's organisation is the confirmation's
/// target, which the officer's signature covers.
impl ConfirmedBody for OrganisationLifecycle {
    const PATH_IN_TARGET: bool = true;
}

/// `POST /v1/officer/organisations/{eid}/changes`: an officer of the organisation's province
/// (and of every other organisation the change involves) changes its life, confirmed with
/// kind `change_account_lock` (lock, unlock) or `update_organisation_info`, target
/// `organisation:<eid>`.
pub(super) async fn post_officer_change(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    action: ConfirmedAction<OrganisationLifecycle>,
) -> ServerResult<Json<OrganisationRecord>> {
    let eid = eid_param(&eid)?;
    let actor = action.session.actor();
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
    let change = action.body()?;
    let org = require_organisation(&state, &eid).await?;
    let mut provinces = vec![org.province];
    for other in involved(change) {
        provinces.push(require_organisation(&state, other).await?.province);
    }
    if !authz::may_change_organisations(&province, provinces.iter().map(String::as_str)) {
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
    action
        .verify_then(
            &state,
            kind,
            &org_target(&eid)?,
            "organisation.change",
            async |tx, _, change| apply_lifecycle_in(tx, &state, Some(&actor), &eid, &change).await,
        )
        .await?;
    let org = require_organisation(&state, &eid).await?;
    Ok(Json(
        organisation_record(&state, &org, &actor.account).await?,
    ))
}

/// What the officer's phone confirms for a console lock or unlock: the organisation's name and
/// `organisation:<eid>`, the direct route's target.
pub struct CheckedConsoleLock {
    /// The organisation's name.
    pub name: String,
    /// `organisation:<eid>`.
    pub target: ActionTarget,
}

/// Whether `actor` may lock or unlock as the console asks, checked in this order: an officer
/// (`forbidden`, audited); the reason under the text policy (the owners read it); the
/// organisation exists (`not_found`) and is of the officer's province (`forbidden`, audited);
/// it is active to be locked, locked to be unlocked (`invalid_state`).
pub async fn check_console_lock(
    state: &AppState,
    actor: &Actor,
    change: &OfficerOrganisationLock,
) -> ServerResult<CheckedConsoleLock> {
    let object = object_of(&change.organisation);
    let Some(province) = authz::officer_province(state, &actor.account).await? else {
        return Err(refuse(
            state,
            Some(actor),
            "organisation.change",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    };
    dinhdanh_core::text::message(&change.reason, officers::MAX_REASON_CHARS)
        .map_err(|p| crate::infra::error::invalid_text(p, "body.reason"))?;
    let org = require_organisation(state, &change.organisation).await?;
    if !authz::may_change_organisations(&province, std::iter::once(org.province.as_str())) {
        return Err(refuse(
            state,
            Some(actor),
            "organisation.change",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let expected = if change.lock {
        OrganisationStatus::Active
    } else {
        OrganisationStatus::Locked
    };
    if org.status != expected {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    Ok(CheckedConsoleLock {
        name: org.name_vi,
        target: org_target(&change.organisation)?,
    })
}

/// Carries out a lock or unlock confirmed on the officer's phone for the console: every check
/// of [`check_console_lock`] again, then [`apply_lifecycle`] (one transaction: the status, the
/// history, and on a lock the sign-outs at services), audited with `actor`.
pub async fn apply_console_lock(
    state: &AppState,
    actor: &Actor,
    change: &OfficerOrganisationLock,
) -> ServerResult<OrganisationRecord> {
    check_console_lock(state, actor, change).await?;
    let reason = dinhdanh_core::text::message(&change.reason, officers::MAX_REASON_CHARS)
        .map_err(|p| crate::infra::error::invalid_text(p, "body.reason"))?;
    let lifecycle = if change.lock {
        OrganisationLifecycle::Lock { reason }
    } else {
        OrganisationLifecycle::Unlock { reason }
    };
    apply_lifecycle(state, Some(actor), &change.organisation, &lifecycle).await?;
    let org = require_organisation(state, &change.organisation).await?;
    organisation_record(state, &org, &actor.account).await
}
