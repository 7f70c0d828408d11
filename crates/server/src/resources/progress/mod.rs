//! The officers' progress statistics: registered organisations of a province by type and
//! status, against the deployment plan and the registries' population of each type.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;
use dinhdanh_core::api::{
    ApiError, ErrorCode, OrganisationStatus, ProgressRow, ProgressStatistics, paths,
};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::OrgType;

use crate::authz;
use crate::http::auth::Authed;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::organisations::refuse;
use crate::resources::registry;
use crate::store::values::{from_word, parse_stored, word};
use crate::store::{deployment_targets, organisations as org_store};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(paths::OFFICER_PROGRESS, get(get_progress))
}

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
        return Err(ApiError::new(ErrorCode::ValidationFailed)
            .with_details(vec![
                ApiError::new(ErrorCode::ValidationFailed).with_field("percent"),
            ])
            .into());
    }
    let mut conn = state.pool.acquire().await?;
    deployment_targets::upsert(
        &mut conn,
        &word(&t)?,
        i64::from(target.percent),
        &target.due_on.format("%Y-%m-%d").to_string(),
    )
    .await
}

/// The targets in force, per type.
pub async fn targets(state: &AppState) -> ServerResult<HashMap<OrgType, DeploymentTarget>> {
    let mut out: HashMap<OrgType, DeploymentTarget> = OrgType::ALL
        .into_iter()
        .map(|t| (t, default_target(t)))
        .collect();
    let mut conn = state.pool.acquire().await?;
    for row in deployment_targets::all(&mut conn).await? {
        out.insert(
            from_word(&row.org_type)?,
            DeploymentTarget {
                percent: parse_stored(u8::try_from(row.percent))?,
                due_on: parse_stored(NaiveDate::parse_from_str(&row.due_on, "%Y-%m-%d"))?,
            },
        );
    }
    Ok(out)
}

/// Registered organisations of the province by type and status, against the targets.
pub async fn progress(state: &AppState, province: NewProvince) -> ServerResult<ProgressStatistics> {
    let mut all = progress_in(state, Some(province)).await?;
    all.pop()
        .ok_or_else(|| ServerError::Internal("no progress of the province".into()))
}

/// [`progress`] of `province`, or of every province for `None` (in the provinces' order): the
/// counts read in one pass over each table for all of them, the targets once.
pub async fn progress_in(
    state: &AppState,
    province: Option<NewProvince>,
) -> ServerResult<Vec<ProgressStatistics>> {
    let mut rows = Vec::new();
    {
        let mut conn = state.pool.acquire().await?;
        for read in state.backend.province_reads(province) {
            rows.extend(
                org_store::count_by_type_and_status(&mut conn, read.map(|p| p.key())).await?,
            );
        }
    }
    let mut counts: HashMap<(NewProvince, OrgType, OrganisationStatus), u64> = HashMap::new();
    for row in &rows {
        counts.insert(
            (
                parse_stored(NewProvince::parse(&row.province))?,
                from_word(&row.org_type)?,
                from_word(&row.status)?,
            ),
            u64::try_from(row.n).unwrap_or(0),
        );
    }
    // The denominator: the registries' organisations of each type in the province.
    let populations = registry::populations(state, province).await?;
    let targets = targets(state).await?;
    let provinces = match province {
        Some(p) => vec![p],
        None => NewProvince::all().to_vec(),
    };
    Ok(provinces
        .into_iter()
        .map(|p| {
            let totals = populations.get(&p);
            let count = |t, s| counts.get(&(p, t, s)).copied().unwrap_or(0);
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
                        totals.and_then(|m| m.get(&t)).copied()
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
            ProgressStatistics { province: p, rows }
        })
        .collect())
}

/// `GET /v1/officer/progress`: the officer's province.
async fn get_progress(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<ProgressStatistics>> {
    let actor = auth.session.actor();
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
