//! Renewal: an idle session gets a new token, within its absolute expiry.

use axum::Json;
use axum::extract::{Request, State};
use dinhdanh_core::api::{
    ChallengePurpose, ErrorCode, LoginResponse, SessionRenewal, SessionToken,
};

use super::lifecycle::{read_request, session_object, session_record, session_view};
use crate::http::auth::{self, IdlePolicy, parse_json};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::random_bytes;
use crate::infra::state::AppState;
use crate::resources::accounts;
use crate::resources::challenges;
use crate::store::audit;
use crate::store::sessions;
use crate::store::tx::Tx;

/// `POST /v1/sessions/renewal`: an idle session, still within its absolute expiry, gets a new
/// token; the old one stops working. The request is signed by the session's key and carries a
/// fresh `renew_session` challenge. After the absolute expiry the answer is `session_expired`
/// and the person signs in with the password again.
pub(super) async fn renew(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<LoginResponse>> {
    let (parts, body) = read_request(req).await?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MayBeIdle).await?;
    let request: SessionRenewal = parse_json(&body)?;
    if request.session != session.id {
        let object = session_object(request.session.as_str());
        audit::append(
            &state,
            session_record(&session, "session.renew", &object, true),
        )
        .await?;
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    challenges::consume(
        &state,
        &request.challenge,
        ChallengePurpose::RenewSession,
        Some(&session.account),
    )
    .await?;
    let token = SessionToken::from_random(&random_bytes::<32>());
    let mut tx = Tx::begin(&state, "session.renew").await?;
    let now = tx.now();
    // Conditional on the old token, so of two concurrent renewals only one wins.
    let row = sessions::renew(
        tx.conn()?,
        session.id.as_str(),
        session.token_hash.as_bytes().to_vec(),
        token.hash().as_bytes().to_vec(),
        now,
    )
    .await?
    .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let view = session_view(&state, row)?;
    let object = session_object(session.id.as_str());
    tx.audit(session_record(&session, "session.renew", &object, false));
    tx.commit().await?;
    let account = accounts::session_account_view(&session)?;
    Ok(Json(LoginResponse {
        token,
        session: view,
        account,
    }))
}
