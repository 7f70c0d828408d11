//! Challenges: 256 random bits, single use, expiring within 5 minutes, for one purpose and
//! (when issued in a session) one account. Consumed with one `DELETE … RETURNING`, so of many
//! concurrent redemptions exactly one gets the row.

use axum::Json;
use axum::extract::{Request, State};
use axum::routing::post;
use dinhdanh_core::api::{ChallengePurpose, ChallengeRequest, ChallengeResponse, ErrorCode};
use dinhdanh_core::ids::AccountId;
use dinhdanh_core::signed_action::{ActionKind, Challenge};

use crate::http::auth::{self, IdlePolicy};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::random_bytes;
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::store;
use crate::store::tx::Tx;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route(dinhdanh_core::api::paths::CHALLENGES, post(issue_challenge))
}

/// Purposes that need no session: there is none yet when signing in or binding a device.
fn sessionless(purpose: ChallengePurpose) -> bool {
    matches!(
        purpose,
        ChallengePurpose::SignIn
            | ChallengePurpose::Action {
                kind: ActionKind::BindDevice
            }
    )
}

/// `POST /v1/challenges`. In a session the challenge is bound to the account; without one only
/// sign-in and device-binding challenges are issued. At most `challenges_per_window` per
/// window per account, or without a session per address (IPv6: per /64), counted in this
/// instance's memory before anything is written (`rate_limited`).
async fn issue_challenge(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<ChallengeResponse>> {
    let has_session = req
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION);
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    let request: ChallengeRequest = auth::parse_json(&body)?;
    let account = if has_session {
        Some(
            auth::authenticate(&state, &parts, &body, IdlePolicy::MayBeIdle)
                .await?
                .account,
        )
    } else if sessionless(request.purpose) {
        None
    } else {
        return Err(ServerError::code(ErrorCode::Unauthenticated));
    };
    let source = match &account {
        Some(account) => format!("challenges:account:{}", account.as_str()),
        None => format!("challenges:{}", rate_limit::source_network(&parts)),
    };
    state.memory_limits.hit(
        state.now(),
        state.config.limits.rate_window_secs,
        &source,
        state.config.limits.challenges_per_window,
    )?;
    issue(&state, request.purpose, account.as_ref())
        .await
        .map(Json)
}

/// Issues a challenge.
pub async fn issue(
    state: &AppState,
    purpose: ChallengePurpose,
    account: Option<&AccountId>,
) -> ServerResult<ChallengeResponse> {
    let bytes = random_bytes::<32>();
    let challenge =
        Challenge::from_bytes(&bytes).map_err(|e| ServerError::Internal(e.to_string()))?;
    let mut tx = Tx::begin(state, "challenge.issue").await?;
    let now = tx.now();
    let expires_at = now + state.config.limits.challenge_ttl_secs.min(300);
    // Expired challenges are forgotten by the periodic sweep (`store::sweep`), off the
    // request path; a consumed one is already gone.
    store::challenges::insert(
        tx.conn()?,
        &bytes,
        &store::challenges::purpose_text(purpose),
        account.map(AccountId::as_str),
        now,
        expires_at,
    )
    .await?;
    tx.commit().await?;
    Ok(ChallengeResponse {
        challenge,
        origin: state.config.origin.clone(),
        purpose,
        expires_at: crate::infra::time::timestamp(expires_at),
    })
}

/// Consumes a challenge: it must exist, be unexpired, be for `purpose` and (if it was issued
/// in a session) for `account`. Whatever the outcome, it is gone afterwards.
pub async fn consume(
    state: &AppState,
    challenge: &Challenge,
    purpose: ChallengePurpose,
    account: Option<&AccountId>,
) -> ServerResult<()> {
    let mut conn = state.pool.acquire().await?;
    let conn = &mut *conn;
    store::challenges::consume_in(conn, state.now(), challenge, purpose, account).await
}
