//! Per-service delegation: the relying parties a delegation lets its delegate sign in to as the
//! organisation, each with optional first and last days. The owner (or an administrator, for a
//! member) replaces the whole list with a confirmed action; a delegation starts with none, so
//! it allows no outside service until someone adds one. Owners, the organisation's legal
//! representatives, are not limited by lists. Whether a sign-in is allowed is
//! [`crate::authz::may_act_for_here`]'s question.

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    ApiError, DelegatedService, DelegatedServiceView, DelegationView, ErrorCode,
    OrganisationStatus, SetDelegationServices,
};
use dinhdanh_core::ids::{DelegationId, OrgEid};
use dinhdanh_core::signed_action::ActionKind;

use super::{
    Delegation, delegation_param, delegation_target, delegation_view, eid_param,
    end_of_day_vietnam, find_delegation, validation,
};
use crate::authz;
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::clients;
use crate::resources::organisations::{
    Actor, OrgRow, audit_record, refuse, require_organisation, tell,
};
use crate::resources::registrations::vietnam_date;
use crate::store::delegation_services::{self as store, ServiceRow};
use crate::store::tx::Tx;
use crate::store::values::parse_stored;

/// The most services one delegation lists.
pub const MAX_SERVICES: usize = 50;

/// The first second (Unix) of `day` in Vietnam.
fn start_of_day_vietnam(day: NaiveDate) -> i64 {
    day.pred_opt().map_or(i64::MIN, end_of_day_vietnam)
}

/// A delegation's services as its readers see them: `None` for owners (not limited by lists).
pub(super) async fn services_view(
    state: &AppState,
    d: &Delegation,
) -> ServerResult<Option<Vec<DelegatedServiceView>>> {
    if !authz::limited_by_service_list(d.role) {
        return Ok(None);
    }
    let rows = store::of_delegation(&mut *state.pool.acquire().await?, d.id.as_str()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let client = clients::find_client(state, &row.client_id).await?;
        let day = |d: &Option<String>| {
            d.as_deref()
                .map(|d| parse_stored(NaiveDate::parse_from_str(d, "%Y-%m-%d")))
                .transpose()
        };
        out.push(DelegatedServiceView {
            name_vi: client
                .as_ref()
                .map(|c| c.name_vi.clone())
                .unwrap_or_default(),
            name_en: client
                .as_ref()
                .map(|c| c.name_en.clone())
                .unwrap_or_default(),
            available: client.is_some_and(|c| c.active && c.allow_organisations),
            from: day(&row.from_on)?,
            until: day(&row.until_on)?,
            client_id: row.client_id,
        });
    }
    Ok(Some(out))
}

fn field_error(code: ErrorCode, field: String) -> ServerError {
    ApiError::new(code)
        .with_details(vec![ApiError::new(code).with_field(field)])
        .into()
}

/// The rows of a checked list: at most [`MAX_SERVICES`], each client once, registered, active
/// and accepting organisation accounts (`unknown_service` on its field otherwise), `from` not
/// after `until`, `until` not past (`validation_failed`).
async fn checked_rows(
    state: &AppState,
    delegation_id: &str,
    services: &[DelegatedService],
    now: i64,
) -> ServerResult<Vec<ServiceRow>> {
    if services.len() > MAX_SERVICES {
        return Err(validation("body.services"));
    }
    let mut seen = HashSet::new();
    let mut rows = Vec::with_capacity(services.len());
    for (i, s) in services.iter().enumerate() {
        let field = |name: &str| format!("body.services[{i}].{name}");
        if !seen.insert(s.client_id.as_str()) {
            return Err(validation(&field("client_id")));
        }
        let usable = clients::find_client(state, &s.client_id)
            .await?
            .is_some_and(|c| c.active && c.allow_organisations);
        if !usable {
            return Err(field_error(ErrorCode::UnknownService, field("client_id")));
        }
        if s.days_problem(vietnam_date(now)).is_some() {
            return Err(validation(&field("until")));
        }
        let until_at = s.until.map(end_of_day_vietnam);
        let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        rows.push(ServiceRow {
            delegation_id: delegation_id.to_owned(),
            client_id: s.client_id.clone(),
            from_on: day(s.from),
            from_at: s.from.map(start_of_day_vietnam),
            until_on: day(s.until),
            until_at,
            added_at: now,
        });
    }
    Ok(rows)
}

/// Sets the services a delegation allows, replacing its list. Who may is
/// [`authz::may_set_delegation_services`] (`forbidden`, audited); the organisation must be
/// active and the delegation open (`invalid_state`); the list is checked whole before anything
/// is written. One transaction, `delegation.services`: the list, its audit entry
/// (`delegation.services_set`) and the delegate's notice.
pub async fn set_services(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
    services: &[DelegatedService],
) -> ServerResult<DelegationView> {
    let checked = check_services(state, actor, eid, id, services).await?;
    let mut tx = Tx::begin(state, "delegation.services").await?;
    services_in(&mut tx, actor, &checked).await?;
    tx.commit().await?;
    delegation_view(state, &find_delegation(state, eid, id).await?).await
}

/// What [`check_services`] found: the delegation, its organisation and the rows to write.
struct ServicesChecked {
    d: super::Delegation,
    org: OrgRow,
    rows: Vec<ServiceRow>,
}

/// The checks of [`set_services`], made before anything changes; refusals audited.
async fn check_services(
    state: &AppState,
    actor: &Actor,
    eid: &OrgEid,
    id: &DelegationId,
    services: &[DelegatedService],
) -> ServerResult<ServicesChecked> {
    let d = find_delegation(state, eid, id).await?;
    let org = require_organisation(state, eid).await?;
    let object = format!("delegation:{id}");
    let role = authz::role_in(state, &actor.account, eid).await?;
    if !authz::may_set_delegation_services(role, d.role, org.status) {
        return Err(refuse(
            state,
            Some(actor),
            "delegation.services",
            &object,
            ErrorCode::Forbidden,
        )
        .await);
    }
    let now = state.now();
    if org.status != OrganisationStatus::Active || !d.open(now) {
        return Err(ServerError::code(ErrorCode::InvalidState));
    }
    let rows = checked_rows(state, id.as_str(), services, now).await?;
    Ok(ServicesChecked { d, org, rows })
}

/// [`set_services`]'s change, as a step of `tx`.
async fn services_in(tx: &mut Tx, actor: &Actor, checked: &ServicesChecked) -> ServerResult<()> {
    let ServicesChecked { d, org, rows } = checked;
    let (eid, id) = (&d.eid, &d.id);
    let object = format!("delegation:{id}");
    store::replace(tx.conn()?, id.as_str(), rows).await?;
    super::publish_change(tx, d);
    tx.audit(audit_record(
        Some(actor),
        "delegation.services_set",
        &object,
        None,
        false,
    ));
    if d.account != actor.account && d.role != OrgRole::Owner {
        tell(
            tx,
            d.account.as_str(),
            "Dịch vụ được ủy quyền đã thay đổi",
            "The services of your authorisation changed",
            &format!(
                "Danh sách dịch vụ bạn được đăng nhập thay mặt {} ({eid}) đã được cập nhật.",
                org.name_vi
            ),
            &format!(
                "The services you may sign in to for {} ({eid}) were updated.",
                org.name_vi
            ),
            None,
        )
        .await?;
    }
    Ok(())
}

// The route names the organisation first, then the delegation: a body for another organisation
// or another delegation is refused.
impl ConfirmedBody for SetDelegationServices {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.organisation.as_str(), "delegation"))
    }
}

/// `PUT /v1/organisations/{eid}/delegations/{id}/services`:
/// `Confirmed<SetDelegationServices>`, kind `set_delegation_services`, target
/// `delegation:<id>`.
pub(super) async fn put_delegation_services(
    State(state): State<AppState>,
    Path((eid, id)): Path<(String, String)>,
    action: ConfirmedAction<SetDelegationServices>,
) -> ServerResult<Json<DelegationView>> {
    let (eid, id) = (eid_param(&eid)?, delegation_param(&id)?);
    if action.body()?.delegation != id {
        return Err(validation("body.delegation"));
    }
    // Who may, and the list: checked before a challenge or attempt is spent.
    let actor = action.session.actor();
    let checked = check_services(&state, &actor, &eid, &id, &action.body()?.services).await?;
    action
        .verify_then(
            &state,
            ActionKind::SetDelegationServices,
            &delegation_target(&id)?,
            "delegation.services",
            async |tx, _, _| services_in(tx, &actor, &checked).await,
        )
        .await?;
    Ok(Json(
        delegation_view(&state, &find_delegation(&state, &eid, &id).await?).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_holds_from_the_start_of_its_first_day_in_vietnam() {
        let day = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        // 2026-04-01 00:00 +07:00 = 2026-03-31 17:00 UTC.
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-31T17:00:00Z")
            .unwrap()
            .timestamp();
        assert_eq!(start_of_day_vietnam(day), start);
    }
}
