//! Organisations, their delegates and lifecycle.

use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AddDelegate, DelegationView, OrganisationHistoryEntry, OrganisationLifecycle,
    OrganisationRecord,
};
use dinhdanh_core::ids::{AccountId, DelegationId, OrgEid};
use dinhdanh_core::org_type::OrgType;

use super::{AppState, ServerResult};
use crate::resources::organisations as inner;

pub use crate::resources::delegations::end_of_day_vietnam;
pub use crate::resources::progress::DeploymentTarget;
pub use inner::{Actor, NewOrganisation, OrgRow, Registrant, RegistryFollowUp};

/// Creates an organisation directly (as an approved registration would).
pub async fn create_organisation(
    state: &AppState,
    new: NewOrganisation<'_>,
) -> ServerResult<OrgEid> {
    inner::create_organisation(state, new).await
}

/// The stored organisation.
pub async fn find_organisation(state: &AppState, eid: &OrgEid) -> ServerResult<Option<OrgRow>> {
    inner::find_organisation(state, eid).await
}

/// The active organisation with this code, if any.
pub async fn find_active_by_code(state: &AppState, code: &str) -> ServerResult<Option<OrgEid>> {
    inner::find_active_by_code(state, code).await
}

/// An organisation's history.
pub async fn history(
    state: &AppState,
    eid: &OrgEid,
) -> ServerResult<Vec<OrganisationHistoryEntry>> {
    inner::history(state, eid).await
}

/// An organisation as `actor` may read it.
pub async fn read_organisation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
) -> ServerResult<OrganisationRecord> {
    inner::read_organisation(state, actor, eid).await
}

/// Locks, unlocks or closes an organisation (`actor` `None`: the registry or an operator).
pub async fn apply_lifecycle(
    state: &AppState,
    actor: Option<&Actor>,
    eid: &OrgEid,
    change: &OrganisationLifecycle,
) -> ServerResult<()> {
    inner::apply_lifecycle(state, actor, eid, change).await
}

/// Applies a change the organisation registries reported.
pub async fn apply_registry_change(state: &AppState, change: RegistryFollowUp) -> ServerResult<()> {
    inner::apply_registry_change(state, change).await
}

/// Sets where organisations of type `t` are deployed.
pub async fn set_target(
    state: &AppState,
    t: OrgType,
    target: DeploymentTarget,
) -> ServerResult<()> {
    crate::resources::progress::set_target(state, t, target).await
}

/// The role `account` holds in the organisation now, if any.
pub async fn live_role(
    state: &AppState,
    account: &AccountId,
    eid: &OrgEid,
) -> ServerResult<Option<OrgRole>> {
    crate::authz::role_in(state, account, eid).await
}

/// Adds a delegate.
pub async fn add_delegate(
    state: &AppState,
    actor: &Actor,
    request: &AddDelegate,
) -> ServerResult<DelegationView> {
    crate::resources::delegations::add_delegate(state, actor, request).await
}

/// Accepts or declines a delegation.
pub async fn answer_delegation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
    accept: bool,
) -> ServerResult<DelegationView> {
    crate::resources::delegations::answer_delegation(state, actor, eid, id, accept).await
}

/// Sets the services a delegation allows (the confirmed route's work, without the signature).
pub async fn set_delegation_services(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
    services: &[dinhdanh_core::api::DelegatedService],
) -> ServerResult<DelegationView> {
    crate::resources::delegations::set_services(state, actor, eid, id, services).await
}

/// Revokes a delegation.
pub async fn revoke_delegation(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
) -> ServerResult<()> {
    crate::resources::delegations::revoke_delegation(state, actor, eid, id).await
}

/// The organisation's delegations, as `actor` may list them.
pub async fn list_delegations(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
) -> ServerResult<Vec<DelegationView>> {
    crate::resources::delegations::list_delegations(state, actor, eid).await
}

/// Switches a session to act for `to` (`None`: the person themselves).
pub async fn switch_session(
    state: &AppState,
    actor: &Actor,
    session: &str,
    to: Option<&OrgEid>,
) -> ServerResult<()> {
    inner::switch_session(state, actor, session, to).await
}

/// Whether `account` in `session` may act for the organisation now.
pub async fn check_acting_for(
    state: &AppState,
    session: &str,
    account: &AccountId,
    eid: &OrgEid,
) -> ServerResult<()> {
    crate::http::auth::check_acting_for(state, session, account, eid).await
}
