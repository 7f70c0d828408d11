//! Sensitive actions started on a desktop and confirmed on the phone (issue 8).
//!
//! A desktop signed in by QR code holds no confirmation key, so it cannot confirm anything
//! itself ([`crate::resources::confirmation`] refuses desktop sessions). Instead:
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
//!   phone's session and keys with
//!   [`verify_confirmation`] (a wrong passcode counts as everywhere else and leaves the action
//!   waiting). The action is then taken out of `pending` by one conditional `UPDATE` (single
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

use std::time::Duration;

use axum::Json;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use dinhdanh_core::api::{
    ApiError, DESKTOP_ACTION_KINDS, DesktopActionEvent, DesktopActionRequest, ErrorCode,
    NotificationKind, PendingDesktopAction, RegistrationSubmission, SessionKind, SwitchAccount,
    desktop_action_target, desktop_may_request, paths,
};
use dinhdanh_core::crypto::sha256;
use dinhdanh_core::ids::{OrgEid, SessionId};
use dinhdanh_core::signed_action::{self, ActionKind, ActionTarget};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::http::auth::{self, Authed, IdlePolicy, SessionContext, parse_stored};
use crate::http::push;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::new_id;
use crate::infra::outbox::{self, InboxItem};
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::confirmation::{kind_text, parse_confirmed, verify_confirmation};
use crate::resources::organisations;
use crate::resources::registrations;
use crate::store::audit::{self, AuditRecord};

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
// What each kind means
// ---------------------------------------------------------------------------------------------

/// A desktop's request checked as the direct route checks it.
struct Prepared {
    /// The canonical JSON of the typed body: what the phone confirms.
    canonical: Vec<u8>,
    target: ActionTarget,
    summary_vi: String,
    summary_en: String,
}

fn malformed() -> ServerError {
    ApiError::new(ErrorCode::MalformedRequest)
        .with_field("body")
        .into()
}

fn canonical<T: serde::Serialize>(body: &T) -> ServerResult<Vec<u8>> {
    signed_action::canonical_json(body).map_err(|_| malformed())
}

/// Runs the pre-confirmation checks of `kind`'s direct route for `session`.
async fn prepare(
    state: &AppState,
    session: &SessionContext,
    kind: ActionKind,
    body: &serde_json::Value,
) -> ServerResult<Prepared> {
    match kind {
        ActionKind::RegisterOrganisation => {
            let submission: RegistrationSubmission =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            // The capacity is the server's to derive: the desktop sees only a masked number.
            let submission =
                registrations::with_derived_capacity(state, session, submission).await?;
            registrations::check_new_registration(state, session, &submission).await?;
            let name = registrations::submission_name(&submission);
            Ok(Prepared {
                canonical: canonical(&submission)?,
                target: registrations::new_registration_target()?,
                summary_vi: format!("Đăng ký định danh điện tử cho tổ chức «{name}»"),
                summary_en: format!("Register the electronic identity of «{name}»"),
            })
        }
        ActionKind::SwitchAccount => {
            let switch: SwitchAccount =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let (summary_vi, summary_en) = match &switch.to {
                None => (
                    "Chuyển máy tính về tài khoản cá nhân".to_owned(),
                    "Switch the computer back to the personal account".to_owned(),
                ),
                Some(eid) => {
                    let name = organisation_name(state, session, eid).await?;
                    (
                        format!("Chuyển máy tính sang tài khoản tổ chức «{name}»"),
                        format!("Switch the computer to the organisation account «{name}»"),
                    )
                }
            };
            Ok(Prepared {
                canonical: canonical(&switch)?,
                target: organisations::switch_target(&session.account, switch.to.as_ref())?,
                summary_vi,
                summary_en,
            })
        }
        _ => Err(ServerError::code(ErrorCode::DesktopActionNotAllowed)),
    }
}

/// The name of an organisation the person may act for now (`forbidden` otherwise), as the
/// switch route would check it.
async fn organisation_name(
    state: &AppState,
    session: &SessionContext,
    eid: &OrgEid,
) -> ServerResult<String> {
    let choices = organisations::account_choices(state, &session.account, None).await?;
    choices
        .organisations
        .into_iter()
        .find(|o| &o.eid == eid && o.usable)
        .map(|o| o.name)
        .ok_or_else(|| ServerError::code(ErrorCode::Forbidden))
}

/// Carries out a confirmed action with the direct route's code. `phone` is the session that
/// confirmed; `desktop` the session that asked.
async fn carry_out(
    state: &AppState,
    phone: &SessionContext,
    desktop: &SessionId,
    kind: ActionKind,
    body: &serde_json::Value,
) -> ServerResult<serde_json::Value> {
    let result = match kind {
        ActionKind::RegisterOrganisation => {
            let submission: RegistrationSubmission =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            // Checked again: a level, an attachment or a form rule may have changed since the
            // desktop asked.
            let checked = registrations::check_new_registration(state, phone, &submission).await?;
            let view = registrations::file_new_registration(state, phone, checked).await?;
            serde_json::to_value(view)
        }
        ActionKind::SwitchAccount => {
            let switch: SwitchAccount =
                serde_json::from_value(body.clone()).map_err(|_| malformed())?;
            let actor = phone.actor();
            // The desktop's session is switched, not the phone's.
            organisations::switch_session(state, &actor, desktop.as_str(), switch.to.as_ref())
                .await?;
            let choices =
                organisations::account_choices(state, &phone.account, switch.to.as_ref()).await?;
            serde_json::to_value(choices)
        }
        _ => return Err(ServerError::code(ErrorCode::DesktopActionNotAllowed)),
    };
    result.map_err(|e| ServerError::Internal(format!("desktop action result: {e}")))
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

// (The row's `target`, the direct route's, is written for whoever reads the table; the
// phone's confirmation names the action itself, see `Stored::confirmation_target`.)
const COLUMNS: &str = "id, desktop_session, kind, body, summary_vi, summary_en, created_at, \
                       expires_at, state";

fn from_row(row: &AnyRow) -> ServerResult<Stored> {
    let kind: String = row.try_get("kind")?;
    let kind: ActionKind = parse_stored(serde_json::from_value(serde_json::Value::String(kind)))?;
    let body: String = row.try_get("body")?;
    Ok(Stored {
        id: row.try_get("id")?,
        desktop_session: row.try_get("desktop_session")?,
        kind,
        body: parse_stored(serde_json::from_str(&body))?,
        body_bytes: body.into_bytes(),
        summary_vi: row.try_get("summary_vi")?,
        summary_en: row.try_get("summary_en")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        state: row.try_get("state")?,
    })
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
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM desktop_actions WHERE id = $1 AND account_id = $2"
    ))
    .bind(id)
    .bind(account)
    .fetch_optional(&state.pool)
    .await?
    .ok_or_else(|| ServerError::code(ErrorCode::NotFound))?;
    from_row(&row)
}

/// A phone session: only the bound phone answers, never a desktop.
fn require_phone(session: &SessionContext) -> ServerResult<()> {
    if session.kind != SessionKind::Device || session.device.is_none() {
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    Ok(())
}

async fn audit_action(
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

/// SQL condition: the desktop session that asked is still live (not ended, not past its
/// absolute expiry, `$2` being now). An action of a signed-out desktop is never confirmed.
const DESKTOP_LIVE: &str = "desktop_session IN (SELECT id FROM sessions \
                            WHERE revoked_at IS NULL AND absolute_expires_at > $2)";

/// Whether the desktop session that asked for `action` is still live.
async fn desktop_live(state: &AppState, action: &Stored, now: i64) -> ServerResult<bool> {
    let live: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM desktop_actions WHERE id = $1 AND {DESKTOP_LIVE}"
    ))
    .bind(&action.id)
    .bind(now)
    .fetch_optional(&state.pool)
    .await?;
    Ok(live.is_some())
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
        let object = format!("desktop_action:{}", kind_text(kind));
        audit_action(&state, session, "desktop_action.start", &object, true).await?;
        return Err(ServerError::code(ErrorCode::DesktopActionNotAllowed));
    }
    debug_assert!(DESKTOP_ACTION_KINDS.contains(&kind));
    let prepared = prepare(&state, session, kind, &auth.body.body).await?;
    let now = state.now();
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM desktop_actions \
         WHERE desktop_session = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(session.id.as_str())
    .bind(now)
    .fetch_one(&state.pool)
    .await?;
    if waiting >= MAX_WAITING_PER_DESKTOP {
        return Err(ServerError::code(ErrorCode::RateLimited));
    }
    sqlx::query("DELETE FROM desktop_actions WHERE expires_at < $1")
        .bind(now - KEEP_SECS)
        .execute(&state.pool)
        .await?;
    let id = new_id("dact");
    let canonical_text = String::from_utf8(prepared.canonical)
        .map_err(|_| ServerError::Internal("canonical JSON is not UTF-8".into()))?;
    let expires_at = now + PENDING_SECS;
    sqlx::query(
        "INSERT INTO desktop_actions (id, account_id, desktop_session, kind, body, target, \
         summary_vi, summary_en, created_at, expires_at, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')",
    )
    .bind(&id)
    .bind(session.account.as_str())
    .bind(session.id.as_str())
    .bind(kind_text(kind))
    .bind(&canonical_text)
    .bind(prepared.target.as_str())
    .bind(&prepared.summary_vi)
    .bind(&prepared.summary_en)
    .bind(now)
    .bind(expires_at)
    .execute(&state.pool)
    .await?;
    let object = object_of(&id);
    audit_action(&state, session, "desktop_action.start", &object, false).await?;
    let link = format!("desktop-action:{id}");
    let body_vi = format!(
        "Máy tính đang chờ bạn xác nhận trên điện thoại: {}.",
        prepared.summary_vi
    );
    let body_en = format!(
        "A computer is waiting for you to confirm on your phone: {}.",
        prepared.summary_en
    );
    outbox::notify(
        &state,
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
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM desktop_actions \
         WHERE account_id = $1 AND state = 'pending' AND expires_at > $2 AND {DESKTOP_LIVE} \
         ORDER BY created_at, id"
    ))
    .bind(auth.session.account.as_str())
    .bind(state.now())
    .fetch_all(&state.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(from_row(row)?.view()?);
    }
    Ok(Json(items))
}

/// `POST /v1/desktop-actions/{id}/confirmation`: answers the outcome the desktop is told.
async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: Authed<serde_json::Value>,
) -> ServerResult<Json<DesktopActionEvent>> {
    let session = &auth.session;
    require_phone(session)?;
    let raw = serde_json::to_vec(&auth.body).map_err(|e| ServerError::Internal(e.to_string()))?;
    let confirmed = parse_confirmed::<serde_json::Value>(&raw)?;
    let action = load_for_account(&state, &id, session.account.as_str()).await?;
    action.require_open(state.now())?;
    if !desktop_live(&state, &action, state.now()).await? {
        // The desktop was signed out (or its session ran out): nobody waits for this.
        return Err(ServerError::code(ErrorCode::DesktopActionExpired));
    }
    // The phone must confirm exactly what the desktop asked for.
    let hash = confirmed.body_hash().map_err(|_| malformed())?;
    if hash != sha256(&action.body_bytes) {
        return Err(malformed());
    }
    verify_confirmation(
        &state,
        session,
        &confirmed,
        ActionKind::ConfirmDesktopAction,
        &action.confirmation_target()?,
    )
    .await?;
    // Single use: one confirmation moves the row out of `pending`, and only before expiry.
    let now = state.now();
    let taken = sqlx::query(
        "UPDATE desktop_actions SET state = 'confirming', answered_at = $2 \
         WHERE id = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(&action.id)
    .bind(now)
    .execute(&state.pool)
    .await?;
    let object = object_of(&action.id);
    if taken.rows_affected() != 1 {
        audit_action(&state, session, "desktop_action.confirm", &object, true).await?;
        let again = load_for_account(&state, &id, session.account.as_str()).await?;
        again.require_open(now)?;
        return Err(ServerError::code(ErrorCode::DesktopActionAnswered));
    }
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
    sqlx::query("UPDATE desktop_actions SET state = $2, event = $3 WHERE id = $1")
        .bind(&action.id)
        .bind(new_state)
        .bind(&text)
        .execute(&state.pool)
        .await?;
    state.wakeups.wake(&state.pool, &topic(&action.id)).await;
    audit_action(&state, session, "desktop_action.confirm", &object, denied).await?;
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
    audit_text: &str,
) -> ServerResult<StatusCode> {
    let now = state.now();
    action.require_open(now)?;
    let done = sqlx::query(
        "UPDATE desktop_actions SET state = $3, answered_at = $2 \
         WHERE id = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(&action.id)
    .bind(now)
    .bind(new_state)
    .execute(&state.pool)
    .await?;
    if done.rows_affected() != 1 {
        let again = load_for_account(state, &action.id, session.account.as_str()).await?;
        again.require_open(now)?;
        return Err(ServerError::code(ErrorCode::DesktopActionAnswered));
    }
    state.wakeups.wake(&state.pool, &topic(&action.id)).await;
    audit_action(state, session, audit_text, &object_of(&action.id), false).await?;
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
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &state)
        .await
        .map_err(|_| ServerError::code(ErrorCode::MalformedRequest))?;
    let expires_at = action.expires_at;
    Ok(upgrade.on_upgrade(move |socket| wait_and_push(state, action.id, expires_at, socket)))
}

async fn wait_and_push(state: AppState, id: String, expires_at: i64, socket: WebSocket) {
    let wait = push::Wait {
        topic: topic(&id),
        expires_at,
        // After expiry, a confirmation being carried out still has this long to finish.
        grace_secs: CARRY_OUT_GRACE_SECS,
        recheck: RECHECK,
        what: "desktop action",
    };
    push::push_one(&state, wait, socket, || outcome(&state, &id, expires_at)).await;
}

/// The event to send now, if the row has one.
async fn outcome(state: &AppState, id: &str, expires_at: i64) -> ServerResult<Option<String>> {
    let row = sqlx::query("SELECT state, event FROM desktop_actions WHERE id = $1")
        .bind(id)
        .fetch_optional(&state.pool)
        .await?;
    let now = state.now();
    let (current, event): (Option<String>, Option<String>) = match row {
        Some(row) => (Some(row.try_get("state")?), row.try_get("event")?),
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
