//! An organisation's activity: who acted for it, from which device, when — read from the
//! audit trail by its owners and administrators ([`authz::may_read_organisation_activity`]).

use axum::Json;
use axum::extract::{Path, State};
use dinhdanh_core::api::{ErrorCode, OrganisationActivityEntry};

use super::{eid_param, object_of, refuse, require_organisation};
use crate::authz;
use crate::http::auth::Authed;
use crate::infra::error::ServerResult;
use crate::infra::state::AppState;
use crate::store::audit;

/// How many entries one reading answers: the newest, which is what a person checks.
pub const ACTIVITY_LIMIT: i64 = 200;

/// `GET /v1/organisations/{eid}/activity`: the newest [`ACTIVITY_LIMIT`] entries of actions
/// done for the organisation. A refusal is audited.
pub(super) async fn get_activity(
    State(state): State<AppState>,
    Path(eid): Path<String>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<OrganisationActivityEntry>>> {
    let eid = eid_param(&eid)?;
    let actor = auth.session.actor();
    let org = require_organisation(&state, &eid).await?;
    let role = authz::role_in(&state, &actor.account, &eid).await?;
    if !authz::may_read_organisation_activity(role, org.status) {
        return Err(refuse(
            &state,
            Some(&actor),
            "organisation.activity",
            &object_of(&eid),
            ErrorCode::Forbidden,
        )
        .await);
    }
    Ok(Json(
        audit::entries_for_organisation(&state, &eid, ACTIVITY_LIMIT).await?,
    ))
}
