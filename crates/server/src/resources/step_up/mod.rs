//! Step-up on its own: the person proves they are present with the passcode or biometrics
//! before a sensitive screen opens (the registration wizard's first step, issue 7).
//!
//! * `POST /v1/me/step-up` — `Confirmed<StepUpRequest>`, action kind `step_up`, target
//!   `step_up:<purpose>`. Verified through [`ConfirmedAction`] (by
//!   [`crate::http::confirmation::open_confirmed`]), so a wrong passcode is counted
//!   and locks confirmation exactly as on every other sensitive route, a replayed confirmation
//!   is refused, and a body without one answers `step_up_required`. Answers [`StepUpDone`];
//!   nothing is changed but the audit trail, and every action inside the screen still needs
//!   its own confirmation.

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use dinhdanh_core::api::{StepUpDone, StepUpPurpose, StepUpRequest, paths};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store::audit::AuditRecord;

/// How long the app may treat the person as present after a step-up, in seconds.
pub const PRESENCE_SECS: i64 = 300;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(paths::STEP_UP, post(step_up))
}

/// The target a step-up for `purpose` is confirmed for.
pub fn target(purpose: StepUpPurpose) -> ServerResult<ActionTarget> {
    ActionTarget::new("step_up", purpose.as_str()).map_err(|e| ServerError::Internal(e.to_string()))
}

/// The route's path names no object.
impl ConfirmedBody for StepUpRequest {}

/// `POST /v1/me/step-up`.
async fn step_up(
    State(state): State<AppState>,
    action: ConfirmedAction<StepUpRequest>,
) -> ServerResult<Json<StepUpDone>> {
    let purpose = action.body()?.purpose;
    let target = target(purpose)?;
    let audit_action = format!("step_up.{}", purpose.as_str());
    action
        .verify_then(
            &state,
            ActionKind::StepUp,
            &target,
            "step_up",
            async |tx, session, _| {
                tx.audit(AuditRecord {
                    actor: Some(session.account.as_str()),
                    acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
                    device: session.device.as_ref().map(|d| d.as_str()),
                    action: &audit_action,
                    object: Some(target.as_str()),
                    subject_key: None,
                    denied: false,
                });
                Ok(())
            },
        )
        .await?;
    Ok(Json(StepUpDone {
        purpose,
        until: timestamp(state.now() + PRESENCE_SECS),
    }))
}
