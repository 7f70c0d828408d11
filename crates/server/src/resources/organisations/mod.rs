//! Organisation e-ID accounts: creation on approval with a never-reused e-ID number, their
//! life (lock, unlock, close, rename, merge, split — each kept in the history with old and new
//! numbers linked both ways, guidance 1018/BTTTT-THH), changes flowing in from the registries,
//! and switching a session to act for an organisation.
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
//!
//! **Files.** `accounts` (creation, reading, history), `lifecycle` (lock, unlock, close,
//! rename, merge, split), `registry_changes` (what the registries report), `switching` (which
//! account a session acts for), `activity` (who acted for it, read by its owners and
//! administrators), `actor` (who acts, and audited refusals). Delegations are
//! their own resource ([`crate::resources::delegations`]), as are the officers' progress
//! statistics ([`crate::resources::progress`]).

mod accounts;
mod activity;
mod actor;
mod lifecycle;
mod registry_changes;
mod switching;

use axum::routing::{get, post};
use dinhdanh_core::api::{ApiError, ErrorCode, NotificationKind, paths};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::signed_action::ActionTarget;

use crate::infra::error::{ServerError, ServerResult, invalid_field};
use crate::infra::outbox::InboxItem;
use crate::infra::state::AppState;
use crate::store::tx::Tx;

pub use accounts::{
    NewOrganisation, OrgRow, Registrant, create_organisation, create_organisation_in, details_of,
    find_active_by_code, find_active_by_code_in, find_organisation, find_organisation_in, history,
    person_ref, read_organisation, requester_ref, require_organisation, require_organisation_in,
};
pub use actor::{Actor, audit_record, refuse};
pub use lifecycle::{
    CheckedConsoleLock, apply_console_lock, apply_lifecycle, check_console_lock, involved,
};
pub use registry_changes::{RegistryFollowUp, apply_registry_change};
pub use switching::{account_choices, switch_session, switch_target};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::ORGANISATION, get(accounts::get_organisation))
        .route(paths::ORGANISATION_ACTIVITY, get(activity::get_activity))
        .route(
            paths::ACCOUNT_SWITCH,
            get(switching::get_account_choices).post(switching::post_account_switch),
        )
        .route(
            paths::OFFICER_ORGANISATION_CHANGE,
            post(lifecycle::post_officer_change),
        )
}

/// Tells a person about their standing in an organisation, as part of the action.
pub async fn tell(
    tx: &mut Tx,
    account: &str,
    title_vi: &str,
    title_en: &str,
    body_vi: &str,
    body_en: &str,
    link: Option<&str>,
) -> ServerResult<()> {
    let item = InboxItem {
        kind: NotificationKind::DelegationChanged,
        title_vi,
        title_en,
        body_vi,
        body_en,
        link,
    };
    tx.notify(account, item).await
}

/// The audit object naming an organisation.
fn object_of(eid: &OrgEid) -> String {
    format!("organisation:{eid}")
}

/// The confirmation target naming an organisation.
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

fn eid_param(text: &str) -> ServerResult<OrgEid> {
    OrgEid::parse(text).map_err(|e| invalid_field(&e, "eid"))
}
