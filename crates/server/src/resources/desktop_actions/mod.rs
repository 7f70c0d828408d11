//! Sensitive actions started on a desktop and confirmed on the phone (issue 8).
//!
//! A desktop signed in by QR code holds no confirmation key, so it cannot confirm anything
//! itself ([`crate::http::confirmation`] refuses desktop sessions). Instead:
//!
//! * `POST /v1/desktop-actions` — the desktop session asks for one of the
//!   [`DESKTOP_ACTION_KINDS`] with the body the direct route takes. The server runs the direct
//!   route's checks now (so the phone is never asked to confirm something invalid), keeps the
//!   canonical body, the target and the desktop session for [`PENDING_SECS`], puts a
//!   `confirmation_requested` item in the person's inbox (link `desktop-action:<id>`) and
//!   answers a [`PendingDesktopAction`] with a one-line summary. At most
//!   [`MAX_WAITING_PER_DESKTOP`] wait per desktop session (`rate_limited`).
//! * `GET /v1/desktop-actions` — the phone lists what waits. An action whose desktop was
//!   signed out is neither listed nor confirmed (`desktop_action_expired`).
//! * `POST /v1/desktop-actions/{id}/confirmation` — the phone sends `Confirmed<body>` with
//!   action kind `confirm_desktop_action` and target `desktop_action:<id>`, so the signature
//!   names this one action (a confirmation made for the phone's own route cannot answer it).
//!   Its body must be the stored one (same canonical hash); it is verified against the
//!   phone's session and keys by [`ConfirmedAction`] (a wrong passcode counts as everywhere
//!   else and leaves the action waiting). The action is then taken out of `pending` by one conditional `UPDATE` (single
//!   use) and carried out by the same code as the direct route: a registration is filed for
//!   the account; a switch applies to the desktop's session. The outcome is stored and the
//!   desktop woken.
//! * `POST /v1/desktop-actions/{id}/decline` — the phone declines (no passcode needed:
//!   declining changes nothing).
//! * `POST /v1/desktop-actions/{id}/cancel` — the desktop session that asked withdraws it
//!   (the person cancelled the wait there): from then on the phone no longer lists it and
//!   its confirmation is refused (`desktop_action_cancelled`), so cancelling on the desktop
//!   means nothing happens.
//! * `GET /v1/desktop-actions/{id}/events` — the desktop's WebSocket, authenticated like every
//!   request of its session (token and a proof by its key over the `GET`): one
//!   [`DesktopActionEvent`] as JSON text, then close. Woken through [`crate::infra::wakeups`]
//!   (topic `action:<id>`), so it works whichever instance took the phone's answer.

mod kinds;

use std::time::Duration;

use axum::Json;
use axum::extract::ws::WebSocket;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use dinhdanh_core::api::{
    ApiError, DESKTOP_ACTION_KINDS, DesktopActionEvent, DesktopActionRequest, ErrorCode,
    NotificationKind, PendingDesktopAction, SessionKind, desktop_action_target,
    desktop_may_request, paths,
};
use dinhdanh_core::crypto::sha256;
use dinhdanh_core::ids::SessionId;
use dinhdanh_core::signed_action::{ActionKind, ActionTarget, canonical_body_hash};

use crate::http::auth::{self, Authed, IdlePolicy, SessionContext, parse_stored};
use crate::http::confirmed::{ConfirmedAction, ConfirmedBody};
use crate::http::push;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::InboxItem;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::store;
use crate::store::audit::{self, AuditRecord};
use crate::store::desktop_actions::{DesktopActionRow, NewDesktopAction};
use crate::store::tx::Tx;
use crate::store::values::{from_word, word};
use kinds::{carry_out, malformed, prepare};

/// How long a desktop's action waits for the phone, in seconds.
pub const PENDING_SECS: i64 = 300;

/// Most actions one desktop session may have waiting at once, so a desktop cannot flood the
/// phone's inbox.
pub const MAX_WAITING_PER_DESKTOP: i64 = 5;

/// How long an answered action is kept for its desktop to read, after its expiry.
const KEEP_SECS: i64 = 3600;

/// How often a waiting socket re-reads its row anyway (the safety net behind the wake-ups).
pub const RECHECK: Duration = Duration::from_secs(5);

/// How long after expiry a socket waits for an action the phone is carrying out.
const CARRY_OUT_GRACE_SECS: i64 = 60;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(paths::DESKTOP_ACTIONS, post(start).get(list))
        .route(paths::DESKTOP_ACTION_CONFIRMATION, post(confirm))
        .route(paths::DESKTOP_ACTION_DECLINE, post(decline))
        .route(paths::DESKTOP_ACTION_CANCEL, post(cancel))
        .route(paths::DESKTOP_ACTION_EVENTS, get(events))
}

/// The wake-up topic of one action.
fn topic(id: &str) -> String {
    format!("action:{id}")
}

// ---------------------------------------------------------------------------------------------
// Stored actions
// ---------------------------------------------------------------------------------------------

struct Stored {
    id: String,
    desktop_session: String,
    kind: ActionKind,
    body: serde_json::Value,
    body_bytes: Vec<u8>,
    summary_vi: String,
    summary_en: String,
    created_at: i64,
    expires_at: i64,
    state: String,
}

impl TryFrom<DesktopActionRow> for Stored {
    type Error = ServerError;

    fn try_from(row: DesktopActionRow) -> ServerResult<Stored> {
        Ok(Stored {
            id: row.id,
            desktop_session: row.desktop_session,
            kind: from_word(&row.kind)?,
            body: parse_stored(serde_json::from_str(&row.body))?,
            body_bytes: row.body.into_bytes(),
            summary_vi: row.summary_vi,
            summary_en: row.summary_en,
            created_at: row.created_at,
            expires_at: row.expires_at,
            state: row.state,
        })
    }
}

impl Stored {
    fn view(&self) -> ServerResult<PendingDesktopAction> {
        Ok(PendingDesktopAction {
            id: self.id.clone(),
            kind: self.kind,
            summary_vi: self.summary_vi.clone(),
            summary_en: self.summary_en.clone(),
            body: self.body.clone(),
            target: self.confirmation_target()?,
            requested_at: timestamp(self.created_at),
            expires_at: timestamp(self.expires_at),
        })
    }

    /// What the phone's confirmation names: this action (`desktop_action:<id>`).
    fn confirmation_target(&self) -> ServerResult<ActionTarget> {
        parse_stored(desktop_action_target(&self.id))
    }

    /// Still open for an answer: pending (`desktop_action_answered`) and unexpired
    /// (`desktop_action_expired`).
    fn require_open(&self, now: i64) -> ServerResult<()> {
        if self.state == "cancelled" {
            return Err(ServerError::code(ErrorCode::DesktopActionCancelled));
        }
        if self.state != "pending" {
            return Err(ServerError::code(ErrorCode::DesktopActionAnswered));
        }
        if now >= self.expires_at {
            return Err(ServerError::code(ErrorCode::DesktopActionExpired));
        }
        Ok(())
    }
}

/// The action `id` of `account` (`not_found` for anyone else's: another person learns nothing).
async fn load_for_account(state: &AppState, id: &str, account: &str) -> ServerResult<Stored> {
    let mut conn = state.pool.acquire().await?;
    store::desktop_actions::find_for_account(&mut conn, id, account)
        .await?
        .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?
        .try_into()
}

/// A phone session: only the bound phone answers, never a desktop.
fn require_phone(session: &SessionContext) -> ServerResult<()> {
    if session.kind != SessionKind::Device || session.device.is_none() {
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    Ok(())
}

/// The audit record of an answer to (or a request for) an action.
fn record<'a>(
    session: &'a SessionContext,
    action: &'a str,
    object: &'a str,
    denied: bool,
) -> AuditRecord<'a> {
    AuditRecord {
        actor: Some(session.account.as_str()),
        acting_for: session.acting_for.as_ref().map(|o| o.as_str()),
        device: session.device.as_ref().map(|d| d.as_str()),
        action,
        object: Some(object),
        subject_key: None,
        denied,
    }
}

/// A refusal's audit entry: the refusal changed nothing, so the entry is its own.
async fn audit_refusal(
    state: &AppState,
    session: &SessionContext,
    action: &str,
    object: &str,
) -> ServerResult<()> {
    audit::append(state, record(session, action, object, true)).await
}

/// Whether the desktop session that asked for `action` is still live.
async fn desktop_live(state: &AppState, action: &Stored, now: i64) -> ServerResult<bool> {
    let mut conn = state.pool.acquire().await?;
    store::desktop_actions::desktop_live(&mut conn, &action.id, now).await
}

fn object_of(id: &str) -> String {
    format!("desktop_action:{id}")
}

// ---------------------------------------------------------------------------------------------
// Desktop: ask
// ---------------------------------------------------------------------------------------------

/// `POST /v1/desktop-actions`.
async fn start(
    State(state): State<AppState>,
    auth: Authed<DesktopActionRequest>,
) -> ServerResult<Json<PendingDesktopAction>> {
    let session = &auth.session;
    let kind = auth.body.kind;
    if session.kind != SessionKind::Desktop {
        // The phone confirms its own actions directly.
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    if !desktop_may_request(kind) {
        let object = format!("desktop_action:{}", word(&kind)?);
        audit_refusal(&state, session, "desktop_action.start", &object).await?;
        return Err(ServerError::code(ErrorCode::DesktopActionNotAllowed));
    }
    debug_assert!(DESKTOP_ACTION_KINDS.contains(&kind));
    let prepared = prepare(&state, session, kind, &auth.body.body).await?;
    let mut tx = Tx::begin(&state, "desktop_action.start").await?;
    let now = tx.now();
    // Swept first: the transaction starts by writing, and an old row never counts below.
    store::desktop_actions::sweep_expired(tx.conn()?, now - KEEP_SECS).await?;
    let waiting =
        store::desktop_actions::count_waiting(tx.conn()?, session.id.as_str(), now).await?;
    if waiting >= MAX_WAITING_PER_DESKTOP {
        return Err(ServerError::code(ErrorCode::RateLimited));
    }
    let id = new_id("dact");
    let canonical_text = String::from_utf8(prepared.canonical)
        .map_err(|_| ServerError::Internal("canonical JSON is not UTF-8".into()))?;
    store::desktop_actions::insert(
        tx.conn()?,
        &NewDesktopAction {
            id: &id,
            account: session.account.as_str(),
            desktop_session: session.id.as_str(),
            kind: &word(&kind)?,
            body: &canonical_text,
            target: prepared.target.as_str(),
            summary_vi: &prepared.summary_vi,
            summary_en: &prepared.summary_en,
            created_at: now,
            expires_at: now + PENDING_SECS,
        },
    )
    .await?;
    let object = object_of(&id);
    tx.audit(record(session, "desktop_action.start", &object, false));
    let link = format!("desktop-action:{id}");
    let body_vi = format!(
        "Máy tính đang chờ bạn xác nhận trên điện thoại: {}.",
        prepared.summary_vi
    );
    let body_en = format!(
        "A computer is waiting for you to confirm on your phone: {}.",
        prepared.summary_en
    );
    tx.notify(
        session.account.as_str(),
        InboxItem {
            kind: NotificationKind::ConfirmationRequested,
            title_vi: "Xác nhận thao tác từ máy tính",
            title_en: "Confirm an action from a computer",
            body_vi: &body_vi,
            body_en: &body_en,
            link: Some(&link),
        },
    )
    .await?;
    tx.commit().await?;
    let stored = load_for_account(&state, &id, session.account.as_str()).await?;
    Ok(Json(stored.view()?))
}

// ---------------------------------------------------------------------------------------------
// Phone: list, confirm, decline
// ---------------------------------------------------------------------------------------------

/// `GET /v1/desktop-actions`: what waits for this person's confirmation, oldest first.
async fn list(
    State(state): State<AppState>,
    auth: Authed<()>,
) -> ServerResult<Json<Vec<PendingDesktopAction>>> {
    require_phone(&auth.session)?;
    let mut conn = state.pool.acquire().await?;
    let rows =
        store::desktop_actions::waiting_for(&mut conn, auth.session.account.as_str(), state.now())
            .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(Stored::try_from(row)?.view()?);
    }
    Ok(Json(items))
}

/// What the phone confirms for a desktop action: exactly the body the desktop asked with
/// (compared by canonical hash). It names no action: the path's action is the confirmation's
/// target (`desktop_action:<id>`), which the signature covers.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
struct AskedBody(serde_json::Value);

impl ConfirmedBody for AskedBody {
    const PATH_IN_TARGET: bool = true;
}

/// `POST /v1/desktop-actions/{id}/confirmation`: answers the outcome the desktop is told.
async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    confirmed: ConfirmedAction<AskedBody>,
) -> ServerResult<Json<DesktopActionEvent>> {
    require_phone(&confirmed.session)?;
    let asked = confirmed.body()?;
    let account = confirmed.session.account.clone();
    let action = load_for_account(&state, &id, account.as_str()).await?;
    action.require_open(state.now())?;
    if !desktop_live(&state, &action, state.now()).await? {
        // The desktop was signed out (or its session ran out): nobody waits for this.
        return Err(ServerError::code(ErrorCode::DesktopActionExpired));
    }
    // The phone must confirm exactly what the desktop asked for.
    let hash = canonical_body_hash(asked).map_err(|_| malformed())?;
    if hash != sha256(&action.body_bytes) {
        return Err(malformed());
    }
    let (session, _) = confirmed
        .verify(
            &state,
            ActionKind::ConfirmDesktopAction,
            &action.confirmation_target()?,
        )
        .await?;
    let session = &session;
    // Single use: one confirmation moves the row out of `pending`, and only before expiry.
    // The move is a transaction of its own: the action is then carried out by the other
    // resource's service API in that resource's own transaction (a transaction held open
    // across it would make it wait for this one on SQLite), and its outcome is stored and
    // audited in a third. A row left `confirming` by a failure in between is told to its
    // desktop as expired once the grace period is over.
    let object = object_of(&action.id);
    let mut tx = Tx::begin(&state, "desktop_action.claim").await?;
    let now = tx.now();
    if !store::desktop_actions::answer(tx.conn()?, &action.id, "confirming", now).await? {
        drop(tx);
        audit_refusal(&state, session, "desktop_action.confirm", &object).await?;
        let again = load_for_account(&state, &id, session.account.as_str()).await?;
        again.require_open(now)?;
        return Err(ServerError::code(ErrorCode::DesktopActionAnswered));
    }
    tx.commit().await?;
    let desktop = parse_stored(SessionId::parse(&action.desktop_session))?;
    let outcome = carry_out(&state, session, &desktop, action.kind, &action.body).await;
    let (event, failure) = match outcome {
        Ok(result) => (DesktopActionEvent::Done { result }, None),
        Err(ServerError::Api(e)) => (DesktopActionEvent::Refused { error: *e }, None),
        // An internal failure: the desktop is told, and the phone gets the error.
        Err(e) => (
            DesktopActionEvent::Refused {
                error: ApiError::new(ErrorCode::Internal),
            },
            Some(e),
        ),
    };
    let (new_state, denied) = match event {
        DesktopActionEvent::Done { .. } => ("done", false),
        _ => ("refused", true),
    };
    let text = serde_json::to_string(&event)
        .map_err(|e| ServerError::Internal(format!("desktop action event: {e}")))?;
    let mut tx = Tx::begin(&state, "desktop_action.confirm").await?;
    store::desktop_actions::store_outcome(tx.conn()?, &action.id, new_state, &text).await?;
    tx.audit(record(session, "desktop_action.confirm", &object, denied));
    tx.commit().await?;
    state.wakeups.wake(&state.pool, &topic(&action.id)).await;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Json(event))
}

/// `POST /v1/desktop-actions/{id}/decline`.
async fn decline(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<StatusCode> {
    let session = &auth.session;
    require_phone(session)?;
    let action = load_for_account(&state, &id, session.account.as_str()).await?;
    close_unconfirmed(
        &state,
        session,
        &action,
        "declined",
        "desktop_action.decline",
    )
    .await
}

/// `POST /v1/desktop-actions/{id}/cancel`: the desktop session that asked withdraws it.
async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<()>,
) -> ServerResult<StatusCode> {
    let session = &auth.session;
    let action = load_for_account(&state, &id, session.account.as_str()).await?;
    // Only the desktop that asked: another session of the person learns nothing.
    if action.desktop_session != session.id.as_str() {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    close_unconfirmed(
        &state,
        session,
        &action,
        "cancelled",
        "desktop_action.cancel",
    )
    .await
}

/// Ends a still-open `action` without carrying it out (`declined` by the phone, `cancelled`
/// by the desktop): one conditional `UPDATE`, so whoever answers first wins and the other is
/// told (`desktop_action_answered`, or the state it found). The desktop is woken; audited.
async fn close_unconfirmed(
    state: &AppState,
    session: &SessionContext,
    action: &Stored,
    new_state: &str,
    audit_text: &'static str,
) -> ServerResult<StatusCode> {
    action.require_open(state.now())?;
    // The transaction is named as its audit entry is (`desktop_action.decline`, `.cancel`).
    let mut tx = Tx::begin(state, audit_text).await?;
    let now = tx.now();
    if !store::desktop_actions::answer(tx.conn()?, &action.id, new_state, now).await? {
        drop(tx);
        let again = load_for_account(state, &action.id, session.account.as_str()).await?;
        again.require_open(now)?;
        return Err(ServerError::code(ErrorCode::DesktopActionAnswered));
    }
    let object = object_of(&action.id);
    tx.audit(record(session, audit_text, &object, false));
    tx.commit().await?;
    state.wakeups.wake(&state.pool, &topic(&action.id)).await;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Desktop: wait for the answer
// ---------------------------------------------------------------------------------------------

/// `GET /v1/desktop-actions/{id}/events`: upgrades to a WebSocket for the session that asked.
async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    req: Request,
) -> ServerResult<Response> {
    let (mut parts, _body) = req.into_parts();
    let session = auth::authenticate(&state, &parts, &[], IdlePolicy::MustBeActive).await?;
    let action = load_for_account(&state, &id, session.account.as_str()).await?;
    if action.desktop_session != session.id.as_str() {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    let (upgrade, claim) = push::accept(&state, &mut parts, &topic(&action.id)).await?;
    let expires_at = action.expires_at;
    Ok(
        upgrade
            .on_upgrade(move |socket| wait_and_push(state, action.id, expires_at, claim, socket)),
    )
}

async fn wait_and_push(
    state: AppState,
    id: String,
    expires_at: i64,
    claim: push::Claim,
    socket: WebSocket,
) {
    let wait = push::Wait {
        topic: topic(&id),
        expires_at,
        // After expiry, a confirmation being carried out still has this long to finish.
        grace_secs: CARRY_OUT_GRACE_SECS,
        recheck: RECHECK,
        what: "desktop action",
    };
    push::push_one(&state, wait, claim, socket, || {
        outcome(&state, &id, expires_at)
    })
    .await;
}

/// The event to send now, if the row has one.
async fn outcome(state: &AppState, id: &str, expires_at: i64) -> ServerResult<Option<String>> {
    let mut conn = state.pool.acquire().await?;
    let row = store::desktop_actions::outcome(&mut conn, id).await?;
    let now = state.now();
    let (current, event) = match row {
        Some(row) => (Some(row.state), row.event),
        None => (None, None),
    };
    let event = match (current.as_deref(), event) {
        (Some("done" | "refused"), Some(text)) => return Ok(Some(text)),
        (Some("declined"), _) => DesktopActionEvent::Declined,
        (Some("cancelled"), _) => DesktopActionEvent::Cancelled,
        (Some("pending"), _) if now < expires_at => return Ok(None),
        // Confirmed and being carried out: its outcome is on the way.
        (Some("confirming"), _) if now < expires_at + CARRY_OUT_GRACE_SECS => return Ok(None),
        _ => DesktopActionEvent::Expired,
    };
    serde_json::to_string(&event)
        .map(Some)
        .map_err(|e| ServerError::Internal(format!("desktop action event: {e}")))
}
