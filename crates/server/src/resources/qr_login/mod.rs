//! QR login on the desktop: the desktop opens a rendezvous with an ephemeral key, the phone
//! scans it and approves with its passcode, and the desktop is told at once over a WebSocket.
//!
//! * `POST /v1/qr-login` — the desktop presents its ephemeral key in a sessionless request
//!   proof signed by that key; the server draws a 256-bit rendezvous that expires after
//!   [`RENDEZVOUS_SECS`]. Rate limited per address.
//! * `GET /v1/qr-login/{r}` — the phone (device session) reads which computer asks, the check
//!   code, an address warning and the accounts the desktop may be signed in to.
//! * `POST /v1/qr-login/{r}/approval` — a confirmed `ApproveQrLogin` whose body names the
//!   desktop key, rendezvous, origin, expiry and account. The rendezvous is consumed by one
//!   conditional `UPDATE` (single use, unexpired), the delegation is checked again at that
//!   moment, and a desktop session bound to the desktop key is created. Its token waits,
//!   encrypted, until the desktop collects it once.
//! * `POST /v1/qr-login/{r}/decline` — one tap, no passcode (a decline cannot hurt the person):
//!   a request of the phone's session, signed by its key like every request.
//! * `GET /v1/qr-login/{r}/events` — the desktop's WebSocket (same key proof over the GET
//!   path): one [`QrLoginEvent`] as JSON text, then close.
//!
//! # Waking the desktop
//!
//! The socket subscribes to the rendezvous in the state's wake-ups
//! ([`crate::infra::state::Inner::wakeups`]) before it reads the row; an approval or a decline wakes it after its change is stored. In
//! one process that is an in-memory notification; on PostgreSQL it also goes out by
//! `NOTIFY`, so the instance holding the socket is told at once whichever instance took the
//! approval ([`crate::infra::wakeups`]). The socket re-reads its row every [`RECHECK`] as well, and
//! when the code expires: a safety net for a wake-up lost while a listener reconnects.
//!
//! # Where the computer is
//!
//! When a GeoIP table is configured ([`crate::infra::geoip`]), the phone is shown the approximate
//! place of the desktop's address next to the address itself.

use std::time::Duration;

use axum::Json;
use axum::extract::ws::WebSocket;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use dinhdanh_core::api::{
    ErrorCode, NotificationKind, QrLoginEvent, QrLoginRequestView, QrLoginStart, QrLoginStarted,
    SessionKind, paths,
};
use dinhdanh_core::crypto::PublicKey;
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::qr_login::{QrApprovalBody, QrLoginPayload, RendezvousId};
use dinhdanh_core::signed_action::{ActionKind, ActionTarget};

use crate::http::auth::{
    self, Authed, IdlePolicy, SessionContext, parse_json, parse_stored, public_key_from_db,
};
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::http::push;
use crate::infra::error::{ServerError, ServerResult, invalid_text};
use crate::infra::ids::random_bytes;
use crate::infra::outbox::InboxItem;
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::organisations;
use crate::resources::sessions::{self, NewSession};
use crate::store;
use crate::store::audit::{self, AuditRecord};
use crate::store::qr_login::NewRendezvous;
use crate::store::tx::Tx;

mod address;

pub use address::addresses_differ;

/// How long a rendezvous stays open, in seconds; the desktop asks for a new one before.
pub const RENDEZVOUS_SECS: i64 = 60;

/// How long an approved session waits for the desktop to collect it after the code's expiry.
pub const COLLECT_GRACE_SECS: i64 = 60;

/// How often a waiting socket re-reads its row anyway: the safety net behind the wake-ups,
/// not the way approvals normally arrive.
pub const RECHECK: Duration = Duration::from_secs(5);

/// Longest computer name or operating system accepted, in characters.
pub const MAX_LABEL_CHARS: usize = 100;

const TOKEN_PURPOSE: &str = "qr_login.token";

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::QR_LOGIN, post(start))
        .route(paths::QR_LOGIN_REQUEST, get(read_request_view))
        .route(paths::QR_LOGIN_APPROVAL, post(approve))
        .route(paths::QR_LOGIN_DECLINE, post(decline))
        .route(paths::QR_LOGIN_EVENTS, get(events))
}

/// The wake-up topic of a rendezvous.
fn topic(rendezvous: &RendezvousId) -> String {
    format!("qr:{rendezvous}")
}

// ---------------------------------------------------------------------------------------------
// Stored rendezvous
// ---------------------------------------------------------------------------------------------

struct Rendezvous {
    id: RendezvousId,
    desktop_key: PublicKey,
    client_name: String,
    os: String,
    ip_address: String,
    created_at: i64,
    expires_at: i64,
    state: String,
}

impl Rendezvous {
    fn payload(&self, state: &AppState) -> ServerResult<QrLoginPayload> {
        parse_stored(QrLoginPayload::new(
            self.id.clone(),
            self.desktop_key.clone(),
            state.config.origin.clone(),
            self.expires_at,
        ))
    }

    fn target(&self, state: &AppState) -> ServerResult<ActionTarget> {
        parse_stored(self.payload(state)?.approval_target())
    }
}

async fn load(state: &AppState, id: &RendezvousId) -> ServerResult<Rendezvous> {
    let mut conn = state.pool.acquire().await?;
    let row = store::qr_login::find(&mut conn, &id.to_string())
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    Ok(Rendezvous {
        id: id.clone(),
        desktop_key: public_key_from_db(&row.desktop_key)?,
        client_name: row.client_name,
        os: row.os,
        ip_address: row.ip_address,
        created_at: row.created_at,
        expires_at: row.expires_at,
        state: row.state,
    })
}

fn parse_rendezvous(text: &str) -> ServerResult<RendezvousId> {
    RendezvousId::parse(text).map_err(|_| ServerError::code(ErrorCode::NotFound))
}

/// Still open for an answer: pending and unexpired (`qr_login_used`, `qr_login_expired`).
fn require_open(r: &Rendezvous, now: i64) -> ServerResult<()> {
    if r.state != "pending" {
        return Err(ServerError::code(ErrorCode::QrLoginUsed));
    }
    if now >= r.expires_at {
        return Err(ServerError::code(ErrorCode::QrLoginExpired));
    }
    Ok(())
}

/// The replay scope of a desktop's sessionless proofs.
fn nonce_scope(key: &PublicKey) -> String {
    format!("qr:{key}")
}

async fn read_body(req: Request) -> ServerResult<(Parts, axum::body::Bytes)> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, auth::MAX_BODY)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    Ok((parts, body))
}

/// A phone session: QR logins are answered from the bound phone only, never from a desktop.
async fn phone_session(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
) -> ServerResult<SessionContext> {
    let session = auth::authenticate(state, parts, body, IdlePolicy::MustBeActive).await?;
    require_phone(&session)?;
    Ok(session)
}

fn require_phone(session: &SessionContext) -> ServerResult<()> {
    if session.kind != SessionKind::Device || session.device.is_none() {
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    Ok(())
}

// The approval names the rendezvous as a typed id (compared by the handler,
// which answers `malformed_request` for another); the path's rendezvous is also in the
// confirmation's target, which the signature covers.
impl ConfirmedBody for QrApprovalBody {
    const PATH_IN_TARGET: bool = true;
}

fn label(text: &str, field: &str) -> ServerResult<String> {
    // Shown on the phone's approval screen: the one text policy (no bidirectional overrides,
    // invisible or control characters) with a typed error naming the field.
    dinhdanh_core::text::parse_text(text, MAX_LABEL_CHARS, false)
        .map_err(|p| invalid_text(p, field))
}

// ---------------------------------------------------------------------------------------------
// Desktop: start
// ---------------------------------------------------------------------------------------------

/// `POST /v1/qr-login`: opens a rendezvous for the key that signed the request.
async fn start(State(state): State<AppState>, req: Request) -> ServerResult<Json<QrLoginStarted>> {
    let (parts, body) = read_body(req).await?;
    rate_limit::per_ip(&state, &parts).await?;
    let request: QrLoginStart = parse_json(&body)?;
    let client_name = label(&request.client_name, "client_name")?;
    let os = label(&request.os, "os")?;
    let key = request.desktop_key;
    auth::verify_proof(&state, &parts, &body, &key, None, &nonce_scope(&key)).await?;
    let mut tx = Tx::begin(&state, "qr_login.start").await?;
    let now = tx.now();
    // Answered rendezvous and their tokens do not outlive the grace period.
    store::qr_login::sweep_expired(tx.conn()?, now - COLLECT_GRACE_SECS).await?;
    let id = parse_stored(RendezvousId::from_bytes(&random_bytes::<32>()))?;
    let expires_at = now + RENDEZVOUS_SECS;
    let payload = parse_stored(QrLoginPayload::new(
        id.clone(),
        key.clone(),
        state.config.origin.clone(),
        expires_at,
    ))?;
    store::qr_login::insert(
        tx.conn()?,
        &NewRendezvous {
            rendezvous: &id.to_string(),
            desktop_key: key.as_bytes(),
            client_name: &client_name,
            os: &os,
            ip_address: &rate_limit::client_ip(&parts),
            created_at: now,
            expires_at,
        },
    )
    .await?;
    // Opening a rendezvous is not audited (nobody is signed in yet; the approval is).
    tx.commit().await?;
    Ok(Json(QrLoginStarted {
        payload: payload.to_uri(),
        check_code: payload.check_code(),
        expires_at: timestamp(expires_at),
    }))
}

// ---------------------------------------------------------------------------------------------
// Phone: read, approve, decline
// ---------------------------------------------------------------------------------------------

/// `GET /v1/qr-login/{r}`: which computer asks, for the phone to show before approving.
async fn read_request_view(
    State(state): State<AppState>,
    Path(rendezvous): Path<String>,
    req: Request,
) -> ServerResult<Json<QrLoginRequestView>> {
    let (parts, body) = read_body(req).await?;
    let session = phone_session(&state, &parts, &body).await?;
    let r = load(&state, &parse_rendezvous(&rendezvous)?).await?;
    require_open(&r, state.now())?;
    let payload = r.payload(&state)?;
    let choices = organisations::account_choices(&state, &session.account, None).await?;
    let phone_ip = rate_limit::client_ip(&parts);
    Ok(Json(QrLoginRequestView {
        client_name: r.client_name.clone(),
        os: r.os.clone(),
        ip_address: r.ip_address.clone(),
        approximate_location: state.geoip.as_ref().and_then(|g| g.label_of(&r.ip_address)),
        requested_at: timestamp(r.created_at),
        check_code: payload.check_code(),
        expires_at: timestamp(r.expires_at),
        address_warning: addresses_differ(&phone_ip, &r.ip_address),
        phone_approximate_location: state.geoip.as_ref().and_then(|g| g.label_of(&phone_ip)),
        phone_ip_address: phone_ip,
        accounts: choices.organisations,
    }))
}

/// `POST /v1/qr-login/{r}/approval`: the phone approves; the desktop gets a session bound to
/// its key, for the account the person chose.
async fn approve(
    State(state): State<AppState>,
    Path(rendezvous): Path<String>,
    confirmed: ConfirmedAction<QrApprovalBody>,
) -> ServerResult<StatusCode> {
    require_phone(&confirmed.session)?;
    let approval = confirmed.body()?;
    let id = parse_rendezvous(&rendezvous)?;
    if approval.rendezvous != id {
        return Err(ServerError::code(ErrorCode::MalformedRequest));
    }
    let r = load(&state, &id).await?;
    // The body must describe this rendezvous on this server exactly: a code from another
    // server, or one whose key or expiry was altered, names no login here.
    let payload = r.payload(&state)?;
    if *approval != payload.approval_body(approval.account.clone()) {
        tracing::info!("qr login approval does not match the rendezvous");
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    require_open(&r, state.now())?;
    let target = r.target(&state)?;
    // The account chosen is checked now, not when the phone scanned: a delegation revoked in
    // between refuses the approval, before a challenge or attempt is spent.
    let acting_for = approval.account.clone();
    if let Some(eid) = &acting_for {
        let session = &confirmed.session;
        if crate::authz::may_act_for(&state, &session.account, eid)
            .await?
            .is_none()
        {
            // A refusal changes nothing: its entry is its own.
            audit::append(
                &state,
                qr_record(session, "qr_login.approve", &target, true),
            )
            .await?;
            return Err(ServerError::code(ErrorCode::Forbidden));
        }
    }
    let carried_out = confirmed
        .verify_then(
            &state,
            ActionKind::ApproveQrLogin,
            &target,
            "qr_login.approve",
            async |tx, session, _| {
                approve_in(tx, &state, &r, session, acting_for.as_ref(), &target).await
            },
        )
        .await;
    if let Err(e) = &carried_out
        && e.is(ErrorCode::QrLoginUsed)
    {
        // Taken by another approval, or ended: said as the login stands now.
        let r = load(&state, &id).await?;
        require_open(&r, state.now())?;
    }
    carried_out?;
    // The desktop is woken once the session it is told about is stored.
    state.wakeups.wake(&state.pool, &topic(&id));
    Ok(StatusCode::NO_CONTENT)
}

/// The approval as a step of the confirmation's transaction: `qr_login_used` when another
/// approval took the login first (or it ended).
async fn approve_in(
    tx: &mut Tx,
    state: &AppState,
    r: &Rendezvous,
    session: &SessionContext,
    acting_for: Option<&OrgEid>,
    target: &ActionTarget,
) -> ServerResult<()> {
    // Single use: exactly one approval moves the row out of `pending`, and only before expiry.
    // The approval, the desktop's session, its audit entry and the notice commit together.
    let now = tx.now();
    let taken = store::qr_login::approve(
        tx.conn()?,
        &r.id.to_string(),
        session.account.as_str(),
        acting_for.map(OrgEid::as_str),
        now,
    )
    .await?;
    if !taken {
        return Err(ServerError::code(ErrorCode::QrLoginUsed));
    }
    let client_name = format!("{} ({})", r.client_name, r.os);
    let (token, view) = sessions::create_session_in(
        tx,
        state,
        NewSession {
            account: &session.account,
            device: session.device.as_ref(),
            kind: SessionKind::Desktop,
            bound_key: &r.desktop_key,
            acting_for,
            client_name: &client_name,
        },
    )
    .await?;
    let session_id = view.id.clone();
    let event = serde_json::to_vec(&QrLoginEvent::Approved {
        token,
        session: view,
    })
    .map_err(|e| ServerError::Internal(format!("qr login event: {e}")))?;
    let sealed = state.keys.encrypt_blob(TOKEN_PURPOSE, &event);
    store::qr_login::store_event(tx.conn()?, &r.id.to_string(), sealed, session_id.as_str())
        .await?;
    tx.audit(qr_record(session, "qr_login.approve", target, false));
    let body_vi = format!(
        "Máy tính \"{client_name}\" đã đăng nhập bằng mã QR. Nếu không phải bạn, hãy đăng xuất \
         máy tính đó ngay."
    );
    let body_en = format!(
        "The computer \"{client_name}\" signed in by QR code. If this was not you, sign it out \
         now."
    );
    let link = format!("session:{session_id}");
    tx.notify(
        session.account.as_str(),
        InboxItem {
            kind: NotificationKind::DesktopSignedIn,
            title_vi: "Máy tính đã đăng nhập",
            title_en: "A computer signed in",
            body_vi: &body_vi,
            body_en: &body_en,
            link: Some(&link),
        },
    )
    .await?;
    Ok(())
}

/// `POST /v1/qr-login/{r}/decline`: the phone declines; the desktop is told.
async fn decline(
    State(state): State<AppState>,
    Path(rendezvous): Path<String>,
    auth: Authed<()>,
) -> ServerResult<StatusCode> {
    let session = &auth.session;
    require_phone(session)?;
    let id = parse_rendezvous(&rendezvous)?;
    let r = load(&state, &id).await?;
    require_open(&r, state.now())?;
    let target = r.target(&state)?;
    let mut tx = Tx::begin(&state, "qr_login.decline").await?;
    let now = tx.now();
    let done = store::qr_login::decline(tx.conn()?, &id.to_string(), session.account.as_str(), now)
        .await?;
    if !done {
        drop(tx);
        let r = load(&state, &id).await?;
        require_open(&r, now)?;
        return Err(ServerError::code(ErrorCode::QrLoginUsed));
    }
    tx.audit(qr_record(session, "qr_login.decline", &target, false));
    tx.commit().await?;
    state.wakeups.wake(&state.pool, &topic(&id));
    Ok(StatusCode::NO_CONTENT)
}

/// The audit record of a phone's answer to a rendezvous.
fn qr_record<'a>(
    session: &'a SessionContext,
    action: &'a str,
    target: &'a ActionTarget,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: Some(session.account.as_str()),
        acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
        device: session.device.as_ref().map(|d| d.as_str()),
        action,
        object: Some(target.as_str()),
        subject_key: None,
        denied,
    }
}

// ---------------------------------------------------------------------------------------------
// Desktop: wait for the answer
// ---------------------------------------------------------------------------------------------

/// `GET /v1/qr-login/{r}/events`: upgrades to a WebSocket once the request proves possession
/// of the rendezvous's desktop key.
async fn events(
    State(state): State<AppState>,
    Path(rendezvous): Path<String>,
    req: Request,
) -> ServerResult<Response> {
    let (mut parts, _body) = req.into_parts();
    // Sessionless like the start: each socket opened counts against the address, as each
    // rendezvous does.
    rate_limit::per_ip(&state, &parts).await?;
    let id = parse_rendezvous(&rendezvous)?;
    let r = load(&state, &id).await?;
    auth::verify_proof(
        &state,
        &parts,
        &[],
        &r.desktop_key,
        None,
        &nonce_scope(&r.desktop_key),
    )
    .await?;
    let (upgrade, claim) = push::accept(&state, &mut parts, &topic(&id)).await?;
    Ok(upgrade.on_upgrade(move |socket| wait_and_push(state, id, r.expires_at, claim, socket)))
}

/// What the desktop is told, once the row says so.
enum Outcome {
    /// The serialised [`QrLoginEvent`] to send.
    Send(String),
    /// Nothing yet.
    Wait,
}

async fn wait_and_push(
    state: AppState,
    id: RendezvousId,
    expires_at: i64,
    claim: push::Claim,
    socket: WebSocket,
) {
    let wait = push::Wait {
        topic: topic(&id),
        expires_at,
        // After expiry, an approval still has this long to store its session.
        grace_secs: COLLECT_GRACE_SECS,
        recheck: RECHECK,
        what: "qr login",
    };
    push::push_one(&state, wait, claim, socket, || {
        let (state, id) = (&state, &id);
        async move {
            Ok(match outcome(state, id, expires_at).await? {
                Outcome::Send(text) => Some(text),
                Outcome::Wait => None,
            })
        }
    })
    .await;
}

async fn outcome(state: &AppState, id: &RendezvousId, expires_at: i64) -> ServerResult<Outcome> {
    let now = state.now();
    let key = id.to_string();
    let mut conn = state.pool.acquire().await?;
    // Collect the token once: whoever moves the row from `approved` to `delivered` (erasing
    // the token in the same statement) sends what it read just before.
    if let Some(Some(sealed)) = store::qr_login::approved_event(&mut conn, &key).await? {
        if store::qr_login::collect(&mut conn, &key).await? {
            let plain = state
                .keys
                .decrypt_blob(TOKEN_PURPOSE, &sealed)
                .ok_or_else(|| ServerError::Internal("qr login token does not decrypt".into()))?;
            let text = String::from_utf8(plain.to_vec())
                .map_err(|_| ServerError::Internal("qr login event is not text".into()))?;
            return Ok(Outcome::Send(text));
        }
    }
    let current = store::qr_login::state_of(&mut conn, &key).await?;
    let event = match current.as_deref() {
        Some("declined") => QrLoginEvent::Declined,
        Some("pending") if now >= expires_at => QrLoginEvent::Expired,
        // Approved but its session not stored yet: wait, within the grace period.
        Some("approved") if now < expires_at + COLLECT_GRACE_SECS => return Ok(Outcome::Wait),
        Some("pending") => return Ok(Outcome::Wait),
        // Gone, already delivered, or an approval whose session never arrived.
        _ => QrLoginEvent::Expired,
    };
    let text = serde_json::to_string(&event)
        .map_err(|e| ServerError::Internal(format!("qr login event: {e}")))?;
    Ok(Outcome::Send(text))
}
