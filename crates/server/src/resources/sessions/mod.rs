//! Sessions: sign-in, renewal, the list of one's sessions, sign-out; and the two reads every
//! signed-in screen needs (who am I, my inbox).
//!
//! A session token is 32 random bytes, stored only as its SHA-256, and useless alone: each
//! session is bound to a key (the phone's device key, or a desktop's key after QR login) and
//! every request carries a proof signed by it. Sessions pause after 30 minutes without a
//! request — the device renews them by signing a fresh challenge — and end 12 hours after
//! sign-in, when the password is needed again. Signing in rotates the token: each sign-in
//! gives a new one and ends the device's earlier sessions.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use dinhdanh_core::api::{
    AccountView, ChallengePurpose, EndSession, ErrorCode, LoginRequest, LoginResponse,
    Notification, NotificationKind, SessionKind, SessionRenewal, SessionToken, SessionView, paths,
};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::{AccountId, DeviceId, NotificationId, OrgEid, SessionId};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::http::auth::{
    self, Authed, IdlePolicy, SessionContext, parse_json, parse_stored, public_key_from_db,
};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::{new_id, random_bytes};
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts;
use crate::resources::challenges;
use crate::resources::confirmation;
use crate::store::audit::{self, AuditRecord};

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::LOGIN, post(sign_in).get(list_sessions))
        .route(paths::SESSION_RENEWAL, post(renew))
        .route(paths::SESSION_CURRENT, delete(sign_out))
        .route(paths::SESSION, delete(end_session))
        .route(paths::ME, get(me))
        .route(paths::NOTIFICATIONS, get(notifications))
}

// ---------------------------------------------------------------------------------------------
// Creating and ending sessions (used by sign-in here, by QR login and by device changes)
// ---------------------------------------------------------------------------------------------

/// What a new session is.
pub struct NewSession<'a> {
    /// Its owner.
    pub account: &'a AccountId,
    /// The bound phone (for a phone session, and for a desktop: the phone that approved it).
    pub device: Option<&'a DeviceId>,
    /// Phone or desktop.
    pub kind: SessionKind,
    /// The key every request of the session must be signed with.
    pub bound_key: &'a PublicKey,
    /// The organisation it acts for from the start, if any.
    pub acting_for: Option<&'a OrgEid>,
    /// A name the person recognises.
    pub client_name: &'a str,
}

/// Creates a session and returns its token (the only time it exists in clear on the server)
/// and how its owner sees it. Idle and absolute expiry come from the configuration.
pub async fn create_session(
    state: &AppState,
    new: NewSession<'_>,
) -> ServerResult<(SessionToken, SessionView)> {
    let mut conn = state.pool.acquire().await?;
    create_session_in(&mut conn, state, state.now(), new).await
}

/// [`create_session`] as a step of another action's transaction (a QR-login approval), at
/// that action's time `now`.
pub async fn create_session_in(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    now: i64,
    new: NewSession<'_>,
) -> ServerResult<(SessionToken, SessionView)> {
    let token = SessionToken::from_random(&random_bytes::<32>());
    let id = new_id("ses");
    let absolute = now + state.config.limits.session_absolute_secs;
    sqlx::query(
        "INSERT INTO sessions (id, token_hash, account_id, device_id, kind, bound_key, acting_for, \
         client_name, created_at, last_seen_at, absolute_expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
    )
    .bind(&id)
    .bind(token.hash().as_bytes().to_vec())
    .bind(new.account.as_str())
    .bind(new.device.map(|d| d.as_str().to_owned()))
    .bind(kind_text(new.kind))
    .bind(new.bound_key.as_bytes().to_vec())
    .bind(new.acting_for.map(|o| o.as_str().to_owned()))
    .bind(new.client_name)
    .bind(now)
    .bind(absolute)
    .execute(conn)
    .await?;
    let view = SessionView {
        id: parse_stored(SessionId::parse(&id))?,
        kind: new.kind,
        account: new.account.clone(),
        acting_for: new.acting_for.cloned(),
        bound_key_id: new.bound_key.key_id(),
        client_name: new.client_name.to_owned(),
        created_at: timestamp(now),
        idle_expires_at: timestamp(now + state.config.limits.session_idle_secs),
        absolute_expires_at: timestamp(absolute),
    };
    Ok((token, view))
}

/// Ends every live session of an account (device unbound, account locked). Returns how many.
pub async fn end_all_sessions(
    conn: &mut sqlx::AnyConnection,
    account: &str,
    now: i64,
) -> ServerResult<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

fn kind_text(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Device => "device",
        SessionKind::Desktop => "desktop",
    }
}

/// A stored session as its owner sees it.
fn session_view(state: &AppState, row: &AnyRow) -> ServerResult<SessionView> {
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let account: String = row.try_get("account_id")?;
    let acting_for: Option<String> = row.try_get("acting_for")?;
    let key = public_key_from_db(&row.try_get::<Vec<u8>, _>("bound_key")?)?;
    let last_seen: i64 = row.try_get("last_seen_at")?;
    let absolute: i64 = row.try_get("absolute_expires_at")?;
    Ok(SessionView {
        id: parse_stored(SessionId::parse(&id))?,
        kind: if kind == "desktop" {
            SessionKind::Desktop
        } else {
            SessionKind::Device
        },
        account: parse_stored(AccountId::parse(&account))?,
        acting_for: acting_for
            .map(|o| parse_stored(OrgEid::parse(&o)))
            .transpose()?,
        bound_key_id: key.key_id(),
        client_name: row.try_get("client_name")?,
        created_at: timestamp(row.try_get("created_at")?),
        idle_expires_at: timestamp(
            (last_seen + state.config.limits.session_idle_secs).min(absolute),
        ),
        absolute_expires_at: timestamp(absolute),
    })
}

const SESSION_COLUMNS: &str = "id, kind, account_id, acting_for, bound_key, client_name, \
                               created_at, last_seen_at, absolute_expires_at";

async fn read_request(req: Request) -> ServerResult<(Parts, axum::body::Bytes)> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    Ok((parts, body))
}

fn session_object(id: &str) -> String {
    format!("session:{id}")
}

async fn audit_session(
    state: &AppState,
    session: &SessionContext,
    action: &str,
    object: &str,
    denied: bool,
) -> ServerResult<()> {
    audit::append(
        state,
        AuditRecord {
            actor: Some(session.account.as_str()),
            acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
            device: session.device.as_ref().map(|d| d.as_str()),
            action,
            object: Some(object),
            subject_key: None,
            denied,
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Sign-in
// ---------------------------------------------------------------------------------------------

/// `POST /v1/sessions`: identification number, password and the bound device's proof.
///
/// An unknown number, a wrong password and a device not bound to the account get the same
/// `invalid_credentials`, after the same password-hashing work. The fresh sign-in challenge in
/// the body is used up first, so every guess costs a new challenge and counts against the
/// per-address and per-number limits.
async fn sign_in(State(state): State<AppState>, req: Request) -> ServerResult<Json<LoginResponse>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: LoginRequest = parse_json(&body)?;
    let citizen_key = state.keys.citizen_key(&request.citizen_id);
    rate_limit::per_account(&state, &citizen_key).await?;
    challenges::consume(&state, &request.challenge, ChallengePurpose::SignIn, None).await?;

    let account = accounts::find_account_by_citizen(&state, &request.citizen_id).await?;
    let password_ok = match &account {
        Some(a) => accounts::verify_password(&a.password_hash, request.password.expose()).await,
        None => {
            accounts::dummy_password_check().await;
            false
        }
    };
    let device = match &account {
        Some(a) => bound_device(&state, &request.device_id, a.id.as_str()).await?,
        None => None,
    };
    let (Some(account), true, Some((device_key, device_name))) = (&account, password_ok, device)
    else {
        // No actor: nobody has shown who they are. The entry is about the person whose number
        // was tried (subject key), so they can see it.
        audit_sign_in_refused(
            &state,
            None,
            &request.device_id,
            &citizen_key,
            "session.sign_in",
        )
        .await?;
        tracing::info!(
            citizen = %request.citizen_id.masked(),
            "sign-in refused: invalid credentials"
        );
        return Err(ServerError::code(ErrorCode::InvalidCredentials));
    };
    let account_id = account.id.clone();
    // The request must be signed by the bound device's key: the password alone is not enough.
    if let Err(e) = auth::verify_proof(
        &state,
        &parts,
        &body,
        &device_key,
        None,
        &device_key.key_id().to_string(),
    )
    .await
    {
        audit_sign_in_refused(
            &state,
            Some(account_id.as_str()),
            &request.device_id,
            &citizen_key,
            "session.sign_in.proof",
        )
        .await?;
        return Err(e);
    }
    if account.locked {
        audit_sign_in_refused(
            &state,
            Some(account_id.as_str()),
            &request.device_id,
            &citizen_key,
            "session.sign_in.locked",
        )
        .await?;
        return Err(ServerError::code(ErrorCode::AccountLocked));
    }

    // Rotation: the device's earlier sessions end with this sign-in (not the desktops it
    // signed in by QR code, which the person ends one by one).
    let now = state.now();
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE device_id = $2 AND kind = 'device' AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(request.device_id.as_str())
    .execute(&state.pool)
    .await?;
    let (token, session) = create_session(
        &state,
        NewSession {
            account: &account_id,
            device: Some(&request.device_id),
            kind: SessionKind::Device,
            bound_key: &device_key,
            acting_for: None,
            client_name: &device_name,
        },
    )
    .await?;
    audit::append(
        &state,
        AuditRecord {
            actor: Some(account_id.as_str()),
            device: Some(request.device_id.as_str()),
            action: "session.sign_in",
            object: Some(&session_object(session.id.as_str())),
            subject_key: Some(&citizen_key),
            ..AuditRecord::default()
        },
    )
    .await?;
    let account = accounts::account_view(&state, &account_id).await?;
    Ok(Json(LoginResponse {
        token,
        session,
        account,
    }))
}

async fn audit_sign_in_refused(
    state: &AppState,
    actor: Option<&str>,
    device: &DeviceId,
    citizen_key: &[u8],
    action: &str,
) -> ServerResult<()> {
    audit::append(
        state,
        AuditRecord {
            actor,
            device: Some(device.as_str()),
            action,
            subject_key: Some(citizen_key),
            denied: true,
            ..AuditRecord::default()
        },
    )
    .await
}

/// The device's key and name, when `device` is bound to `account` now.
async fn bound_device(
    state: &AppState,
    device: &DeviceId,
    account: &str,
) -> ServerResult<Option<(PublicKey, String)>> {
    let row = sqlx::query(
        "SELECT device_key, name FROM devices \
         WHERE id = $1 AND account_id = $2 AND unbound_at IS NULL",
    )
    .bind(device.as_str())
    .bind(account)
    .fetch_optional(&state.pool)
    .await?;
    row.map(|row| {
        let key = public_key_from_db(&row.try_get::<Vec<u8>, _>("device_key")?)?;
        Ok((key, row.try_get("name")?))
    })
    .transpose()
}

// ---------------------------------------------------------------------------------------------
// Renewal
// ---------------------------------------------------------------------------------------------

/// `POST /v1/sessions/renewal`: an idle session, still within its absolute expiry, gets a new
/// token; the old one stops working. The request is signed by the session's key and carries a
/// fresh `renew_session` challenge. After the absolute expiry the answer is `session_expired`
/// and the person signs in with the password again.
async fn renew(State(state): State<AppState>, req: Request) -> ServerResult<Json<LoginResponse>> {
    let (parts, body) = read_request(req).await?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MayBeIdle).await?;
    let request: SessionRenewal = parse_json(&body)?;
    if request.session != session.id {
        audit_session(
            &state,
            &session,
            "session.renew",
            &session_object(request.session.as_str()),
            true,
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
    let now = state.now();
    // Conditional on the old token, so of two concurrent renewals only one wins.
    let row = sqlx::query(&format!(
        "UPDATE sessions SET token_hash = $1, last_seen_at = $2 \
         WHERE id = $3 AND token_hash = $4 AND revoked_at IS NULL RETURNING {SESSION_COLUMNS}"
    ))
    .bind(token.hash().as_bytes().to_vec())
    .bind(now)
    .bind(session.id.as_str())
    .bind(session.token_hash.as_bytes().to_vec())
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ServerError::code(ErrorCode::Unauthenticated))?;
    let view = session_view(&state, &row)?;
    audit_session(
        &state,
        &session,
        "session.renew",
        &session_object(session.id.as_str()),
        false,
    )
    .await?;
    let account = accounts::account_view(&state, &session.account).await?;
    Ok(Json(LoginResponse {
        token,
        session: view,
        account,
    }))
}

// ---------------------------------------------------------------------------------------------
// Listing and ending sessions
// ---------------------------------------------------------------------------------------------

/// `GET /v1/sessions`: the account's live sessions (not ended, not past their absolute
/// expiry), newest first.
async fn list_sessions(
    State(state): State<AppState>,
    authed: Authed<()>,
) -> ServerResult<Json<Vec<SessionView>>> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions \
         WHERE account_id = $1 AND revoked_at IS NULL AND absolute_expires_at > $2 \
         ORDER BY created_at DESC, id"
    ))
    .bind(authed.session.account.as_str())
    .bind(state.now())
    .fetch_all(&state.pool)
    .await?;
    rows.iter()
        .map(|row| session_view(&state, row))
        .collect::<ServerResult<Vec<_>>>()
        .map(Json)
}

/// `DELETE /v1/sessions/current`: sign out. Works on an idle session too.
async fn sign_out(State(state): State<AppState>, req: Request) -> ServerResult<StatusCode> {
    let (parts, body) = read_request(req).await?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MayBeIdle).await?;
    revoke(&state, &session, session.id.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1/sessions/{id}`: end a session of the same account. The current one ends
/// without more ado; another one (a desktop left signed in) needs a confirmed
/// [`EndSession`] naming it.
async fn end_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> ServerResult<StatusCode> {
    let (parts, body) = read_request(req).await?;
    let session = auth::authenticate(&state, &parts, &body, IdlePolicy::MustBeActive).await?;
    let id = SessionId::parse(&id).map_err(|_| ServerError::code(ErrorCode::NotFound))?;
    if id == session.id {
        revoke(&state, &session, id.as_str()).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    // Another account's session is "not found", exactly like one that does not exist.
    let owned: Option<String> = sqlx::query_scalar(
        "SELECT id FROM sessions WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
    )
    .bind(id.as_str())
    .bind(session.account.as_str())
    .fetch_optional(&state.pool)
    .await?;
    if owned.is_none() {
        audit_session(
            &state,
            &session,
            "session.end",
            &session_object(id.as_str()),
            true,
        )
        .await?;
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let confirmed = confirmation::parse_confirmed::<EndSession>(&body)?;
    if confirmed.body.session != id {
        return Err(ServerError::code(ErrorCode::ValidationFailed));
    }
    let target = ActionTarget::new("session", id.as_str())
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    confirmation::verify_confirmation(
        &state,
        &session,
        &confirmed,
        ActionKind::EndSession,
        &target,
    )
    .await?;
    revoke(&state, &session, id.as_str()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke(state: &AppState, by: &SessionContext, id: &str) -> ServerResult<()> {
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(state.now())
    .bind(id)
    .bind(by.account.as_str())
    .execute(&state.pool)
    .await?;
    audit_session(state, by, "session.end", &session_object(id), false).await
}

// ---------------------------------------------------------------------------------------------
// Me, inbox
// ---------------------------------------------------------------------------------------------

/// `GET /v1/me`: the signed-in account.
async fn me(State(state): State<AppState>, authed: Authed<()>) -> ServerResult<Json<AccountView>> {
    accounts::account_view(&state, &authed.session.account)
        .await
        .map(Json)
}

/// Most notifications returned at once.
const INBOX_PAGE: i64 = 200;

/// `GET /v1/me/notifications`: the signed-in account's inbox, newest first.
async fn notifications(
    State(state): State<AppState>,
    authed: Authed<()>,
) -> ServerResult<Json<Vec<Notification>>> {
    let rows = sqlx::query(
        "SELECT id, kind, title_vi, title_en, body_vi, body_en, link, created_at, read_at \
         FROM notifications WHERE account_id = $1 ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(authed.session.account.as_str())
    .bind(INBOX_PAGE)
    .fetch_all(&state.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        let kind: String = row.try_get("kind")?;
        let kind: NotificationKind =
            parse_stored(serde_json::from_value(serde_json::Value::String(kind)))?;
        let read_at: Option<i64> = row.try_get("read_at")?;
        items.push(Notification {
            id: parse_stored(NotificationId::parse(&id))?,
            kind,
            title_vi: row.try_get("title_vi")?,
            title_en: row.try_get("title_en")?,
            body_vi: row.try_get("body_vi")?,
            body_en: row.try_get("body_en")?,
            created_at: timestamp(row.try_get("created_at")?),
            read: read_at.is_some(),
            link: row.try_get("link")?,
        });
    }
    Ok(Json(items))
}
