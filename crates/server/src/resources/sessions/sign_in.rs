//! Sign-in: identification number, password and the bound device's proof.

use axum::Json;
use axum::extract::{Request, State};
use dinhdanh_core::api::{
    ApiError, ChallengePurpose, ErrorCode, LoginRequest, LoginResponse, SessionKind,
};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::DeviceId;

use super::lifecycle::{NewSession, create_session_in, read_request, session_object};
use crate::http::auth::{self, parse_json};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::rate_limit::{self, PasswordAttempt, PasswordRoute, Source};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::accounts;
use crate::resources::challenges;
use crate::store::audit::{self, AuditRecord};
use crate::store::devices;
use crate::store::sessions;
use crate::store::tx::Tx;
use crate::store::values::{public_key_from_db, word};

/// `POST /v1/sessions`: identification number, password and the bound device's proof.
///
/// An unknown number, a wrong password and a device not bound to the account get the same
/// `invalid_credentials`, after the same password-hashing work. One exception, which tells
/// nothing to anyone who lacks the password or the old device's key: the right password with a
/// proof by the key of a device this account had bound once and no longer has gets
/// `device_unbound` (see [`refuse_unbound`]). The fresh sign-in challenge in
/// the body is used up first, so every guess costs a new challenge; then the attempt is
/// reserved against the number's password limits (per source, and over all sources) and given
/// back when the password was right with a proof by the device's key, so only wrong passwords
/// (and right ones without the phone) count — a refused challenge or a
/// right password never uses up the owner's attempts. Those counts, the challenge and the
/// audit entries of refusals stay whatever happens next; the new session, the end of the
/// device's earlier ones and the sign-in's audit entry commit together.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    req: Request,
) -> ServerResult<Json<LoginResponse>> {
    let (parts, body) = read_request(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: LoginRequest = parse_json(&body)?;
    let citizen_key = state.keys.citizen_key(&request.citizen_id);
    challenges::consume(&state, &request.challenge, ChallengePurpose::SignIn, None).await?;
    let attempt = PasswordAttempt::reserve(
        &state,
        &citizen_key,
        Source::Address(&parts),
        PasswordRoute::Guarded,
    )
    .await?;

    let account = accounts::find_account_by_citizen(&state, &request.citizen_id).await?;
    let password_ok = match &account {
        Some(a) => accounts::verify_password(&a.password_hash, request.password.expose()).await,
        None => {
            accounts::dummy_password_check().await;
            false
        }
    };
    let device = match &account {
        Some(a) => account_device(&state, &request.device_id, a.id.as_str()).await?,
        None => None,
    };
    // A device of this account that is no longer bound: is the request signed by its key?
    // Checked whatever the password, so the check's time tells nothing about the password;
    // the answer says it only to the right one.
    let signed_by_unbound = match &device {
        Some((key, _, Some(_))) => auth::sessionless_proof_fits(&state, &parts, &body, key),
        _ => false,
    };
    // The bound device's signature is checked whatever the password too: a right password
    // with another key's proof gets exactly the wrong password's answer, so it cannot be used
    // to test passwords without the phone.
    let signed_by_bound = match &device {
        Some((key, _, None)) => auth::proof_signed_by(&parts, key),
        _ => false,
    };
    // Only the password with its device's key gives the attempt back: a right password
    // without the phone counts as a wrong one, so the limits tell nothing about it either.
    if password_ok && (signed_by_bound || signed_by_unbound) {
        attempt.succeeded(&state).await?;
    } else {
        attempt.failed();
    }
    let (Some(account), true, Some((device_key, device_name, unbound_at))) =
        (&account, password_ok, device)
    else {
        return refuse_credentials(&state, &request, &citizen_key).await;
    };
    if let Some(unbound_at) = unbound_at {
        if !signed_by_unbound {
            return refuse_credentials(&state, &request, &citizen_key).await;
        }
        return refuse_unbound(
            &state,
            &parts,
            &body,
            &request,
            account.id.as_str(),
            &citizen_key,
            (&device_key, unbound_at),
        )
        .await;
    }
    let account_id = account.id.clone();
    // The request must be signed by the bound device's key: the password alone is not enough.
    if !signed_by_bound {
        // The owner sees this entry: their password was given without their phone.
        audit_sign_in_refused(
            &state,
            Some(account_id.as_str()),
            &request.device_id,
            &citizen_key,
            "session.sign_in.proof",
        )
        .await?;
        return Err(ServerError::code(ErrorCode::InvalidCredentials));
    }
    // Signed by it: a proof that is stale, replayed or made for another request is told so.
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

    let mut tx = Tx::begin(&state, "session.sign_in").await?;
    // Rotation: the device's earlier sessions end with this sign-in (not the desktops it
    // signed in by QR code, which the person ends one by one).
    let now = tx.now();
    sessions::end_device_sessions(
        tx.conn()?,
        request.device_id.as_str(),
        &word(&SessionKind::Device)?,
        now,
    )
    .await?;
    let (token, session) = create_session_in(
        &mut tx,
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
    tx.audit(AuditRecord {
        actor: Some(account_id.as_str()),
        device: Some(request.device_id.as_str()),
        action: "session.sign_in",
        object: Some(&session_object(session.id.as_str())),
        subject_key: Some(&citizen_key),
        ..AuditRecord::default()
    });
    tx.commit().await?;
    let account = accounts::account_view(&state, &account_id).await?;
    Ok(Json(LoginResponse {
        token,
        session,
        account,
    }))
}

/// `invalid_credentials`, the one answer to an unknown number, a wrong password, a device
/// that is not this account's, and an unbound device's id without its key's proof.
async fn refuse_credentials(
    state: &AppState,
    request: &LoginRequest,
    citizen_key: &[u8],
) -> ServerResult<Json<LoginResponse>> {
    // No actor: nobody has shown who they are. The entry is about the person whose number
    // was tried (subject key), so they can see it.
    audit_sign_in_refused(
        state,
        None,
        &request.device_id,
        citizen_key,
        "session.sign_in",
    )
    .await?;
    tracing::info!(
        citizen = %request.citizen_id.masked(),
        "sign-in refused: invalid credentials"
    );
    Err(ServerError::code(ErrorCode::InvalidCredentials))
}

/// `device_unbound`, to a request with the right password and a proof by the key of a device
/// the account no longer has bound: whoever sends it holds that device and knows the
/// password, and is told only that the device is unbound, since when, and whether another
/// device was bound then — so the person who finds their old phone is not told their
/// password is wrong. The proof's nonce is kept like any accepted proof's.
async fn refuse_unbound(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
    request: &LoginRequest,
    account: &str,
    citizen_key: &[u8],
    (device_key, unbound_at): (&PublicKey, i64),
) -> ServerResult<Json<LoginResponse>> {
    auth::verify_proof(
        state,
        parts,
        body,
        device_key,
        None,
        &device_key.key_id().to_string(),
    )
    .await?;
    let replaced =
        devices::bound_at_once(&mut *state.pool.acquire().await?, account, unbound_at).await?;
    audit_sign_in_refused(
        state,
        Some(account),
        &request.device_id,
        citizen_key,
        "session.sign_in.device_unbound",
    )
    .await?;
    tracing::info!(
        citizen = %request.citizen_id.masked(),
        "sign-in refused: the device is no longer bound"
    );
    Err(ApiError::device_unbound(timestamp(unbound_at), replaced).into())
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

/// The device's key, name and when it was unbound (`None`: bound now), when `device` is or
/// was bound to `account`.
async fn account_device(
    state: &AppState,
    device: &DeviceId,
    account: &str,
) -> ServerResult<Option<(PublicKey, String, Option<i64>)>> {
    devices::of_account(&mut *state.pool.acquire().await?, device.as_str(), account)
        .await?
        .map(|row| {
            Ok((
                public_key_from_db(&row.device_key)?,
                row.name,
                row.unbound_at,
            ))
        })
        .transpose()
}
