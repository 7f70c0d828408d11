//! Listing and ending sessions.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use dinhdanh_core::api::{EndSession, ErrorCode, SessionView};
use dinhdanh_core::ids::SessionId;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use super::lifecycle::{
    read_request, revoke, revoke_in, session_object, session_record, session_view,
};
use crate::http::auth::{self, Authed, IdlePolicy};
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::store::audit;
use crate::store::sessions;

/// `GET /v1/sessions`: the account's live sessions (not ended, not past their absolute
/// expiry), newest first.
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    authed: Authed<()>,
) -> ServerResult<Json<Vec<SessionView>>> {
    let rows = sessions::live_of(
        &mut *state.pool.acquire().await?,
        authed.session.account.as_str(),
        state.now(),
    )
    .await?;
    rows.into_iter()
        .map(|row| session_view(&state, row))
        .collect::<ServerResult<Vec<_>>>()
        .map(Json)
}

/// `DELETE /v1/sessions/current`: sign out. Works on an idle session too.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<StatusCode> {
    let (parts, body) = read_request(req).await?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MayBeIdle).await?;
    revoke(&state, &session, session.id.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A confirmed end of another session names it; the path names the same one.
impl ConfirmedBody for EndSession {
    fn path_object(&self) -> Option<(&str, &'static str)> {
        Some((self.session.as_str(), "session"))
    }
}

/// `DELETE /v1/sessions/{id}`: end a session of the same account. The current one ends
/// without more ado (no body needed); another one (a desktop left signed in) needs a confirmed
/// [`EndSession`] naming it.
pub(super) async fn end_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    confirmed: ConfirmedAction<EndSession>,
) -> ServerResult<StatusCode> {
    let session = &confirmed.session;
    let id = SessionId::parse(&id).map_err(|_| ServerError::code(ErrorCode::NotFound))?;
    if id == session.id {
        revoke(&state, session, id.as_str()).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    // Another account's session is "not found", exactly like one that does not exist.
    let owned = sessions::is_live_of(
        &mut *state.pool.acquire().await?,
        id.as_str(),
        session.account.as_str(),
    )
    .await?;
    if !owned {
        let object = session_object(id.as_str());
        audit::append(
            &state,
            session_record(session, "session.end", &object, true),
        )
        .await?;
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let target = ActionTarget::new("session", id.as_str())
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    confirmed
        .verify_then(
            &state,
            ActionKind::EndSession,
            &target,
            "session.end",
            async |tx, session, _| revoke_in(tx, session, id.as_str()).await,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
