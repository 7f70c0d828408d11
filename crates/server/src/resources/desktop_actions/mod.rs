//! Sensitive actions started where the person holds no confirmation key and confirmed on the
//! phone: on a desktop signed in by QR code (issue 8), and at the officer console (issue 16).
//!
//! A desktop signed in by QR code holds no confirmation key, so it cannot confirm anything
//! itself ([`crate::http::confirmation`] refuses desktop sessions); nor can a console session,
//! which is a browser's cookie. Instead:
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
//! * The console asks through [`ask_from_console`] (only the [`CONSOLE_ACTION_KINDS`], for the
//!   officer signed in there, checked as the direct route checks them), reads the outcome with
//!   [`console_outcome`] and withdraws with [`cancel_from_console`]; the phone lists, confirms
//!   and declines it exactly as a desktop's, and the confirmation is carried out with the
//!   phone's session as actor. An action of a console session that ended (signed out, idle,
//!   past its end, the role withdrawn) is neither listed nor confirmed.

mod kinds;

use std::time::Duration;

use axum::Json;
use axum::extract::ws::WebSocket;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use dinhdanh_core::api::{
    ActionOrigin, ApiError, DESKTOP_ACTION_KINDS, DesktopActionEvent, DesktopActionRequest,
    ErrorCode, NotificationKind, PendingDesktopAction, SessionKind, console_may_request,
    desktop_action_target, desktop_may_request, paths,
};
use dinhdanh_core::crypto::sha256;
use dinhdanh_core::ids::AccountId;
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
use crate::store::audit::{self, Actor, AuditRecord};
use crate::store::desktop_actions::{AskedBy, DesktopActionRow, NewDesktopAction};
use crate::store::tx::Tx;
use crate::store::values::{from_word, word};
use kinds::{Prepared, carry_out, malformed, prepare, prepare_for_console};

/// How long a desktop's action waits for the phone, in seconds.
pub const PENDING_SECS: i64 = 300;

/// Most actions one desktop or console session may have waiting at once, so it cannot flood
/// the phone's inbox.
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

/// The session that asked for an action.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Asker {
    /// A desktop's `sessions` id.
    Desktop(String),
    /// The keyed hash of a console session's token.
    Console(Vec<u8>),
}

impl Asker {
    fn origin(&self) -> ActionOrigin {
        match self {
            Asker::Desktop(_) => ActionOrigin::Desktop,
            Asker::Console(_) => ActionOrigin::Console,
        }
    }

    /// Whether this is the desktop session `id`.
    fn is_desktop(&self, id: &str) -> bool {
        matches!(self, Asker::Desktop(d) if d == id)
    }

    /// Whether this is the console session of `token_hash` (compared in constant time).
    fn is_console(&self, token_hash: &[u8]) -> bool {
        match self {
            Asker::Console(h) => dinhdanh_core::crypto::ct_eq(h, token_hash),
            Asker::Desktop(_) => false,
        }
    }
}

struct Stored {
    id: String,
    asker: Asker,
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
        let asker = match (row.desktop_session, row.console_session) {
            (Some(id), None) => Asker::Desktop(id),
            (None, Some(hash)) => Asker::Console(hash),
            _ => {
                return Err(ServerError::Internal(format!(
                    "desktop action {} has not exactly one asker",
                    row.id
                )));
            }
        };
        Ok(Stored {
            id: row.id,
            asker,
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
            asked_from: self.asker.origin(),
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

/// Whether the session that asked for `action` is still live.
async fn asker_live(state: &AppState, action: &Stored, now: i64) -> ServerResult<bool> {
    let mut conn = state.pool.acquire().await?;
    store::desktop_actions::asker_live_for(&mut conn, &action.id, now).await
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
    let id = keep_for_phone(
        &state,
        &session.actor(),
        AskedBy::Desktop(session.id.as_str()),
        kind,
        prepared,
    )
    .await?;
    let stored = load_for_account(&state, &id, session.account.as_str()).await?;
    Ok(Json(stored.view()?))
}

/// Keeps a checked action for `actor`'s phone, asked by `asked_by`: at most
/// [`MAX_WAITING_PER_DESKTOP`] waiting per asking session, an inbox item for the phone, the
/// audit entry, in one transaction. Answers the action's id.
async fn keep_for_phone(
    state: &AppState,
    actor: &Actor,
    asked_by: AskedBy<'_>,
    kind: ActionKind,
    prepared: Prepared,
) -> ServerResult<String> {
    let account = actor.account.as_str();
    let mut tx = Tx::begin(state, "desktop_action.start").await?;
    let now = tx.now();
    // Swept first: the transaction starts by writing, and an old row never counts below.
    store::desktop_actions::sweep_expired(tx.conn()?, now - KEEP_SECS).await?;
    let waiting = store::desktop_actions::count_waiting(tx.conn()?, asked_by, now).await?;
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
            account,
            asked_by,
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
    tx.audit(actor.record("desktop_action.start", &object, None, false));
    let link = format!("desktop-action:{id}");
    let (title_vi, title_en, body_vi, body_en) = match asked_by {
        AskedBy::Desktop(_) => (
            "Xác nhận thao tác từ máy tính",
            "Confirm an action from a computer",
            format!(
                "Máy tính đang chờ bạn xác nhận trên điện thoại: {}.",
                prepared.summary_vi
            ),
            format!(
                "A computer is waiting for you to confirm on your phone: {}.",
                prepared.summary_en
            ),
        ),
        AskedBy::Console(_) => (
            "Xác nhận quyết định từ bảng điều khiển cán bộ",
            "Confirm a decision from the officer console",
            format!(
                "Bảng điều khiển cán bộ đang chờ bạn xác nhận trên điện thoại: {}.",
                prepared.summary_vi
            ),
            format!(
                "The officer console is waiting for you to confirm on your phone: {}.",
                prepared.summary_en
            ),
        ),
    };
    tx.notify(
        account,
        InboxItem {
            kind: NotificationKind::ConfirmationRequested,
            title_vi,
            title_en,
            body_vi: &body_vi,
            body_en: &body_en,
            link: Some(&link),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
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
    if !asker_live(&state, &action, state.now()).await? {
        // The desktop or console was signed out (or its session ran out): nobody waits.
        return Err(ServerError::code(ErrorCode::DesktopActionExpired));
    }
    // The phone must confirm exactly what the desktop asked for.
    let hash = canonical_body_hash(asked).map_err(|_| malformed())?;
    if hash != sha256(&action.body_bytes) {
        return Err(malformed());
    }
    // Single use: one confirmation moves the row out of `pending`, and only before expiry —
    // in the confirmation's transaction. The action is then carried out by the other
    // resource's service API in that resource's own transaction (a transaction held open
    // across it would make it wait for this one on SQLite), and its outcome is stored and
    // audited in a third. A row left `confirming` by a failure in between is told to its
    // desktop as expired once the grace period is over.
    let object = object_of(&action.id);
    let claimed = confirmed
        .verify_then(
            &state,
            ActionKind::ConfirmDesktopAction,
            &action.confirmation_target()?,
            "desktop_action.claim",
            async |tx, session, _| {
                let now = tx.now();
                if store::desktop_actions::answer(tx.conn()?, &action.id, "confirming", now).await?
                {
                    return Ok(());
                }
                tx.audit_refusal(record(session, "desktop_action.confirm", &object, true));
                Err(ServerError::code(ErrorCode::DesktopActionAnswered))
            },
        )
        .await;
    if let Err(e) = &claimed
        && e.is(ErrorCode::DesktopActionAnswered)
    {
        // Answered by another confirmation, or ended: said as the action stands now.
        let again = load_for_account(&state, &id, account.as_str()).await?;
        again.require_open(state.now())?;
    }
    let (session, ()) = claimed?;
    let session = &session;
    let outcome = carry_out(&state, session, &action.asker, action.kind, &action.body).await;
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
    state.wakeups.wake(&state.pool, &topic(&action.id));
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
        &session.actor(),
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
    if !action.asker.is_desktop(session.id.as_str()) {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    close_unconfirmed(
        &state,
        &session.actor(),
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
    actor: &Actor,
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
        let again = load_for_account(state, &action.id, actor.account.as_str()).await?;
        again.require_open(now)?;
        return Err(ServerError::code(ErrorCode::DesktopActionAnswered));
    }
    let object = object_of(&action.id);
    tx.audit(actor.record(audit_text, &object, None, false));
    tx.commit().await?;
    state.wakeups.wake(&state.pool, &topic(&action.id));
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
    if !action.asker.is_desktop(session.id.as_str()) {
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

// ---------------------------------------------------------------------------------------------
// The officer console: ask, read the outcome, withdraw
// ---------------------------------------------------------------------------------------------

/// Asks `officer`'s phone to confirm `kind` (one of the [`CONSOLE_ACTION_KINDS`]) with `body`,
/// for the console session of `token_hash`. Checked now as the direct route checks it (the
/// officer role read again); answers the action's id, which the console's waiting page shows.
///
/// [`CONSOLE_ACTION_KINDS`]: dinhdanh_core::api::CONSOLE_ACTION_KINDS
pub async fn ask_from_console(
    state: &AppState,
    officer: &AccountId,
    token_hash: &[u8],
    kind: ActionKind,
    body: &serde_json::Value,
) -> ServerResult<String> {
    let actor = Actor::person(officer);
    if !console_may_request(kind) {
        let object = format!("desktop_action:{}", word(&kind)?);
        audit::append(
            state,
            actor.record("desktop_action.start", &object, None, true),
        )
        .await?;
        return Err(ServerError::code(ErrorCode::DesktopActionNotAllowed));
    }
    let prepared = prepare_for_console(state, &actor, kind, body).await?;
    keep_for_phone(state, &actor, AskedBy::Console(token_hash), kind, prepared).await
}

/// Where an action the console asked for stands.
#[derive(Clone, Debug, PartialEq)]
pub enum ConsoleOutcome {
    /// Waiting for the phone (or being carried out after its confirmation).
    Waiting,
    /// Answered or ended: what happened.
    Finished(DesktopActionEvent),
}

/// An action the console asked for, as its waiting page shows it.
pub struct ConsoleAction {
    /// What it is.
    pub kind: ActionKind,
    /// The body the phone confirms (for a decision, the [`dinhdanh_core::api::OfficerDecision`]).
    pub body: serde_json::Value,
    /// The summary the phone shows, in Vietnamese.
    pub summary_vi: String,
    /// The same in English.
    pub summary_en: String,
    /// When the phone stops accepting it.
    pub expires_at: i64,
    /// Where it stands.
    pub outcome: ConsoleOutcome,
}

/// The action `id` if `officer`'s console session of `token_hash` asked for it (`None` for
/// anyone else's: another session learns nothing), with its outcome now.
pub async fn console_outcome(
    state: &AppState,
    officer: &AccountId,
    token_hash: &[u8],
    id: &str,
) -> ServerResult<Option<ConsoleAction>> {
    let row = {
        let mut conn = state.pool.acquire().await?;
        store::desktop_actions::find_for_account(&mut conn, id, officer.as_str()).await?
    };
    let Some(row) = row else { return Ok(None) };
    let action = Stored::try_from(row)?;
    if !action.asker.is_console(token_hash) {
        return Ok(None);
    }
    let outcome = match outcome(state, &action.id, action.expires_at).await? {
        None => ConsoleOutcome::Waiting,
        Some(text) => ConsoleOutcome::Finished(
            serde_json::from_str(&text)
                .map_err(|e| ServerError::Internal(format!("desktop action event: {e}")))?,
        ),
    };
    Ok(Some(ConsoleAction {
        kind: action.kind,
        body: action.body,
        summary_vi: action.summary_vi,
        summary_en: action.summary_en,
        expires_at: action.expires_at,
        outcome,
    }))
}

/// Withdraws the action `id` the console session of `token_hash` asked for (the officer
/// cancelled the wait there): from then on the phone neither lists nor confirms it. `not_found`
/// for another session's; `desktop_action_answered` when the phone answered first.
pub async fn cancel_from_console(
    state: &AppState,
    officer: &AccountId,
    token_hash: &[u8],
    id: &str,
) -> ServerResult<()> {
    let action = load_for_account(state, id, officer.as_str()).await?;
    if !action.asker.is_console(token_hash) {
        return Err(ServerError::code(ErrorCode::NotFound));
    }
    close_unconfirmed(
        state,
        &Actor::person(officer),
        &action,
        "cancelled",
        "desktop_action.cancel",
    )
    .await
    .map(|_| ())
}
