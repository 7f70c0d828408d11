//! Authentication of every request made in a session: the session token (stored hashed) and
//! the request proof signed by the key the session is bound to. A token alone is useless.

use std::task::Poll;

use axum::extract::{FromRequest, Request};
use axum::http::request::Parts;
use dinhdanh_core::api::{ErrorCode, SessionKind, SessionToken};
use dinhdanh_core::crypto::{Digest32, PublicKey};
use dinhdanh_core::ids::{AccountId, DeviceId, OrgEid, SessionId};
use dinhdanh_core::request_proof::{self, ExpectedRequest, RequestProof};
use serde::de::DeserializeOwned;

use crate::infra::error::{ServerError, ServerResult};
use crate::infra::session_cache::SessionFacts;
use crate::infra::state::AppState;
use crate::store::accounts::AccountViewRow;
use crate::store::values::from_word;
pub use crate::store::values::{parse_stored, public_key_from_db};
use crate::store::{proof_nonces, sessions};

/// The `Authorization` scheme of session tokens (not `Bearer`: a token alone is not enough).
pub const AUTH_SCHEME: &str = "DinhDanh";

/// Largest request body accepted, in bytes (attachments have their own route and limit).
pub const MAX_BODY: usize = 256 * 1024;

/// The session a request was made in, after its token and proof were checked.
#[derive(Clone, Debug)]
pub struct SessionContext {
    /// The session.
    pub id: SessionId,
    /// Its owner.
    pub account: AccountId,
    /// The bound device, for a phone session.
    pub device: Option<DeviceId>,
    /// Phone or desktop.
    pub kind: SessionKind,
    /// The organisation it acts for.
    pub acting_for: Option<OrgEid>,
    /// The key it is bound to.
    pub bound_key: PublicKey,
    /// SHA-256 of its token.
    pub token_hash: Digest32,
    /// Its owner's account as the request's authentication read it (in the same statement as
    /// the session), for a route that shows or checks it without reading it again.
    pub account_view: AccountViewRow,
}

impl SessionContext {
    /// The person acting in this session, for the audit trail.
    pub fn actor(&self) -> crate::store::audit::Actor {
        crate::store::audit::Actor {
            account: self.account.clone(),
            acting_for: self.acting_for.clone(),
            device: self.device.clone(),
        }
    }
}

/// A request made in a session, with its JSON body (use `()` for none).
pub struct Authed<T> {
    /// The session.
    pub session: SessionContext,
    /// The parsed body.
    pub body: T,
}

/// Which expiry rules apply to a route.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum IdlePolicy {
    /// The session must not be idle (every route but renewal).
    MustBeActive,
    /// An idle session is accepted (renewal), within the absolute expiry.
    MayBeIdle,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Authed<T> {
    type Rejection = ServerError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
        let session = authenticate(state, &parts, &body, IdlePolicy::MustBeActive).await?;
        let body = parse_json(&body)?;
        Ok(Authed { session, body })
    }
}

/// Parses a JSON body; `()` accepts an empty one. The serde message is not echoed: it may
/// quote the input, and the input may be an identification number.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ServerResult<T> {
    let body: &[u8] = if body.is_empty() { b"null" } else { body };
    serde_json::from_slice(body).map_err(|_| ServerError::code(ErrorCode::MalformedRequest))
}

/// The request target exactly as received, which the proof signs.
pub fn request_target(parts: &Parts) -> &str {
    parts.uri.path_and_query().map_or("/", |pq| pq.as_str())
}

/// Parses the proof header.
pub fn proof_header(parts: &Parts) -> ServerResult<RequestProof> {
    let value = parts
        .headers
        .get(request_proof::HEADER_NAME)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ServerError::code(ErrorCode::InvalidRequestProof))?;
    RequestProof::parse_header_value(value)
        .map_err(|_| ServerError::code(ErrorCode::InvalidRequestProof))
}

/// Verifies a request proof made with `key`, for a session (`Some(token hash)`) or none, and
/// records its nonce so it cannot be used twice. `nonce_scope` keys the replay store: the
/// session id, or the device key id for sessionless requests.
pub async fn verify_proof(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    key: &PublicKey,
    session_hash: Option<&Digest32>,
    nonce_scope: &str,
) -> ServerResult<()> {
    check_proof(state, parts, Some(body), key, session_hash, nonce_scope)
        .await
        .map(|_| ())
}

/// [`verify_proof`], with the body checked when given (`None`: not read yet); returns the
/// SHA-256 of the body the proof was made for.
async fn check_proof(
    state: &AppState,
    parts: &Parts,
    body: Option<&[u8]>,
    key: &PublicKey,
    session_hash: Option<&Digest32>,
    nonce_scope: &str,
) -> ServerResult<Digest32> {
    let (proof, body_hash) = verified_proof(state, parts, body, key, session_hash)?;
    // Expired nonces are forgotten by the periodic sweep (store::sweep), not here.
    let mut conn = state.pool.acquire().await?;
    let fresh = proof_nonces::record_request_nonce(
        &mut conn,
        state.backend,
        nonce_scope,
        proof.nonce().to_vec(),
        nonce_keep_until(state, state.now()),
    )
    .await?;
    if !fresh {
        tracing::info!("request proof replayed");
        return Err(ServerError::code(ErrorCode::InvalidRequestProof));
    }
    Ok(body_hash)
}

/// The request's proof, checked against `key` and the request (the body when given) but not
/// yet recorded; with the SHA-256 of the body it was made for.
fn verified_proof(
    state: &AppState,
    parts: &Parts,
    body: Option<&[u8]>,
    key: &PublicKey,
    session_hash: Option<&Digest32>,
) -> ServerResult<(RequestProof, Digest32)> {
    let proof = proof_header(parts)?;
    let expected = expected_request(
        state,
        parts,
        body.unwrap_or_default(),
        session_hash,
        state.now(),
    );
    let checked = match body {
        Some(_) => {
            request_proof::verify(&proof, key, &expected).map(|()| *proof.claims().body_hash())
        }
        None => request_proof::verify_before_body(&proof, key, &expected),
    };
    let body_hash = checked.map_err(|e| {
        tracing::info!(code = %e.code(), "request proof refused");
        ServerError::code(ErrorCode::InvalidRequestProof)
    })?;
    Ok((proof, body_hash))
}

/// Until when a nonce recorded at `now` is kept: while a proof carrying it could still pass
/// its time check.
fn nonce_keep_until(state: &AppState, now: i64) -> i64 {
    now + 2 * i64::from(state.config.limits.clock_skew_secs)
}

/// What a proof must say about the request it came with.
fn expected_request<'a>(
    state: &AppState,
    parts: &'a Parts,
    body: &'a [u8],
    session_hash: Option<&'a Digest32>,
    now: i64,
) -> ExpectedRequest<'a> {
    ExpectedRequest {
        method: parts.method.as_str(),
        path: request_target(parts),
        body,
        session_hash,
        now,
        max_skew_secs: state.config.limits.clock_skew_secs,
    }
}

/// Whether the request carries a sessionless proof by `key` that fits it (method, target,
/// body, time). Nothing is recorded: for a check whose outcome is used only later, when the
/// caller has decided what to answer (sign-in, for a device that is no longer bound); a proof
/// that is then accepted goes through [`verify_proof`], which keeps its nonce.
pub fn sessionless_proof_fits(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    key: &PublicKey,
) -> bool {
    let Ok(proof) = proof_header(parts) else {
        return false;
    };
    let expected = expected_request(state, parts, body, None, state.now());
    request_proof::verify(&proof, key, &expected).is_ok()
}

/// Whether the request's proof is signed by `key`, whatever it says (method, target, body,
/// time are not looked at). Sign-in answers a proof by another key exactly as a wrong
/// password, so the answer never tells someone without the device whether the password was
/// right; a proof by the right key that fails for its time or target is told as such.
pub fn proof_signed_by(parts: &Parts, key: &PublicKey) -> bool {
    proof_header(parts).is_ok_and(|proof| {
        dinhdanh_core::crypto::verify(key, &proof.claims().to_bytes(), proof.signature()).is_ok()
    })
}

/// A session's last use is written at most this often: a write per signed request was most of
/// its cost (issue 18). The idle limit is therefore counted from a moment up to this much
/// before the last request: a session may end as idle up to a minute early, never late.
pub const LAST_SEEN_EVERY_SECS: i64 = 60;

/// The token from `Authorization: DinhDanh <token>`.
pub fn session_token(parts: &Parts) -> ServerResult<SessionToken> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let token = value
        .strip_prefix(AUTH_SCHEME)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    SessionToken::parse(token).map_err(|_| ServerError::code(ErrorCode::Unauthenticated))
}

/// Checks token, expiry, account lock and proof; marks the session used.
pub async fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    idle: IdlePolicy,
) -> ServerResult<SessionContext> {
    authenticate_with(state, parts, Some(body), idle)
        .await
        .map(|(session, _)| session)
}

/// [`authenticate`] before the body is read (an upload, which must not be read for someone
/// who has not shown who they are): checks everything but the body, and returns the SHA-256
/// of the body the proof was made for. The caller reads the body, bounded, and refuses it
/// with `invalid_request_proof` unless its SHA-256 is that value.
pub async fn authenticate_before_body(
    state: &AppState,
    parts: &Parts,
    idle: IdlePolicy,
) -> ServerResult<(SessionContext, Digest32)> {
    authenticate_with(state, parts, None, idle).await
}

async fn authenticate_with(
    state: &AppState,
    parts: &Parts,
    body: Option<&[u8]>,
    idle: IdlePolicy,
) -> ServerResult<(SessionContext, Digest32)> {
    let token = session_token(parts)?;
    let token_hash = token.hash();
    if idle == IdlePolicy::MustBeActive
        && let Some(facts) = state.sessions.get(&token_hash)
        && let Some(done) = authenticate_known(state, parts, body, &token_hash, &facts).await?
    {
        return Ok(done);
    }
    let row = {
        let mut conn = state.pool.acquire().await?;
        sessions::by_token_hash(&mut conn, token_hash.as_bytes().to_vec()).await?
    }
    .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let now = state.now();
    if row.revoked_at.is_some() {
        return Err(ServerError::code(ErrorCode::Unauthenticated));
    }
    if now >= row.absolute_expires_at {
        return Err(ServerError::code(ErrorCode::SessionExpired));
    }
    if idle == IdlePolicy::MustBeActive
        && now - row.last_seen_at >= state.config.limits.session_idle_secs
    {
        return Err(ServerError::code(ErrorCode::SessionIdle));
    }
    if row.account.locked != 0 {
        return Err(ServerError::code(ErrorCode::AccountLocked));
    }
    let facts = SessionFacts {
        id: parse_stored(SessionId::parse(&row.id))?,
        account: parse_stored(AccountId::parse(&row.account_id))?,
        device: row
            .device_id
            .map(|d| parse_stored(DeviceId::parse(&d)))
            .transpose()?,
        kind: from_word::<SessionKind>(&row.kind)?,
        bound_key: public_key_from_db(&row.bound_key)?,
    };
    let body_hash = check_proof(
        state,
        parts,
        body,
        &facts.bound_key,
        Some(&token_hash),
        facts.id.as_str(),
    )
    .await?;
    let session = in_force(
        state,
        idle,
        &facts,
        token_hash,
        row.last_seen_at,
        row.acting_for,
        row.account,
    )
    .await?;
    state.sessions.put(token_hash, facts);
    Ok((session, body_hash))
}

/// The short path, for a session this instance has seen ([`SessionCache`]): one statement
/// records the proof's nonce if the session is still in force, and the proof is checked
/// against the remembered key while the database works on it. `None` when that cannot accept
/// the request — a proof that does not fit, a nonce seen before, a session no longer in force
/// or a renewed token — and the path of two statements then gives the reason (a nonce recorded
/// for a proof that does not fit is forgotten first).
///
/// [`SessionCache`]: crate::infra::session_cache::SessionCache
async fn authenticate_known(
    state: &AppState,
    parts: &Parts,
    body: Option<&[u8]>,
    token_hash: &Digest32,
    facts: &SessionFacts,
) -> ServerResult<Option<(SessionContext, Digest32)>> {
    let Ok(proof) = proof_header(parts) else {
        return Ok(None);
    };
    let now = state.now();
    let record = async {
        let mut conn = state.pool.acquire().await?;
        proof_nonces::record_for_session_in_force(
            &mut conn,
            state.backend,
            token_hash.as_bytes().to_vec(),
            proof.nonce().to_vec(),
            nonce_keep_until(state, now),
            now,
            now - state.config.limits.session_idle_secs,
        )
        .await
    };
    // The verification overlaps the statement's round trip, which on PostgreSQL is most of a
    // signed request's time (issue 18, sixth round).
    let (verified, recorded) = while_sent(record, || {
        verified_proof(state, parts, body, &facts.bound_key, Some(token_hash))
    })
    .await;
    let recorded = recorded?;
    let Ok((_, body_hash)) = verified else {
        if let Some(row) = recorded {
            let mut conn = state.pool.acquire().await?;
            proof_nonces::forget(&mut conn, &row.session_id, proof.nonce().to_vec()).await?;
        }
        return Ok(None);
    };
    let Some(row) = recorded.filter(|row| row.session_id == facts.id.as_str()) else {
        state.sessions.forget(token_hash);
        return Ok(None);
    };
    let session = in_force(
        state,
        IdlePolicy::MustBeActive,
        facts,
        *token_hash,
        row.last_seen_at,
        row.acting_for,
        row.account,
    )
    .await?;
    Ok(Some((session, body_hash)))
}

/// Runs `work` while `sent` waits for its answer: `sent` is polled once first, so a statement
/// it sends is on its way (when a connection is free at once; otherwise the two simply run one
/// after the other), then `work` runs on this thread, then `sent` is awaited.
async fn while_sent<S: Future, W>(sent: S, work: impl FnOnce() -> W) -> (W, S::Output) {
    let mut sent = std::pin::pin!(sent);
    let mut answered = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = sent.as_mut().poll(cx) {
            answered = Some(output);
        }
        Poll::Ready(())
    })
    .await;
    let done = work();
    let output = match answered {
        Some(output) => output,
        None => sent.await,
    };
    (done, output)
}

/// The rest of a request's authentication once its session is found in force and its proof
/// recorded: the session marked used (at most once a minute) and what it acts for re-checked.
async fn in_force(
    state: &AppState,
    idle: IdlePolicy,
    facts: &SessionFacts,
    token_hash: Digest32,
    last_seen_at: i64,
    acting_for: Option<String>,
    account_view: AccountViewRow,
) -> ServerResult<SessionContext> {
    let now = state.now();
    if idle == IdlePolicy::MustBeActive && now - last_seen_at >= LAST_SEEN_EVERY_SECS {
        let mut conn = state.pool.acquire().await?;
        sessions::touch(&mut conn, facts.id.as_str(), now).await?;
    }
    let acting_for = acting_for
        .map(|o| parse_stored(OrgEid::parse(&o)))
        .transpose()?;
    // A session acting for an organisation is re-checked on every request, so a revoked or
    // expired delegation, or a locked or closed organisation, stops it at once.
    if let Some(eid) = &acting_for {
        check_acting_for(state, facts.id.as_str(), &facts.account, eid).await?;
    }
    Ok(SessionContext {
        id: facts.id.clone(),
        account: facts.account.clone(),
        device: facts.device.clone(),
        kind: facts.kind,
        acting_for,
        bound_key: facts.bound_key.clone(),
        token_hash,
        account_view,
    })
}

/// Re-checks the session a long-lived request (the live stream) was opened in, by its id (a
/// renewal changes the token, not the session): the rules of [`authenticate`] — not ended,
/// not past its absolute expiry, not idle, the account not locked — without marking it used
/// (a stream is not activity: the idle limit still ends the session of an app left open).
/// `acting_for` is what the session acts for now, or `None` when the person may no longer act
/// for it (their next request switches the session back, audited, as [`check_acting_for`]).
pub async fn recheck(state: &AppState, session: &SessionContext) -> ServerResult<SessionContext> {
    let row = {
        let mut conn = state.pool.acquire().await?;
        sessions::by_id(&mut conn, session.id.as_str()).await?
    }
    .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let now = state.now();
    if row.revoked_at.is_some() || row.account_id != session.account.as_str() {
        return Err(ServerError::code(ErrorCode::Unauthenticated));
    }
    if now >= row.absolute_expires_at {
        return Err(ServerError::code(ErrorCode::SessionExpired));
    }
    if now - row.last_seen_at >= state.config.limits.session_idle_secs {
        return Err(ServerError::code(ErrorCode::SessionIdle));
    }
    if row.account.locked != 0 {
        return Err(ServerError::code(ErrorCode::AccountLocked));
    }
    let acting_for = match row.acting_for {
        Some(o) => {
            let eid = parse_stored(OrgEid::parse(&o))?;
            crate::authz::may_act_for(state, &session.account, &eid)
                .await?
                .map(|_| eid)
        }
        None => None,
    };
    Ok(SessionContext {
        acting_for,
        account_view: row.account,
        ..session.clone()
    })
}

/// For a session acting for `eid`: when the person may no longer act for it (delegation
/// revoked or expired, organisation locked or closed), the session goes back to the personal
/// account and the request is refused with `forbidden` (audited).
pub async fn check_acting_for(
    state: &AppState,
    session: &str,
    account: &AccountId,
    eid: &OrgEid,
) -> ServerResult<()> {
    if crate::authz::may_act_for(state, account, eid)
        .await?
        .is_some()
    {
        return Ok(());
    }
    {
        let mut conn = state.pool.acquire().await?;
        sessions::stop_acting_for(&mut conn, session, eid.as_str()).await?;
    }
    let object = format!("session:{session}");
    crate::store::audit::append(
        state,
        crate::store::audit::AuditRecord {
            actor: Some(account.as_str()),
            acting_for: Some(eid.as_str()),
            action: "session.acting_for.ended",
            object: Some(&object),
            denied: true,
            ..Default::default()
        },
    )
    .await?;
    Err(ServerError::code(ErrorCode::Forbidden))
}
