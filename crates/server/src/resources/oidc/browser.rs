//! The login page's browser while it waits: a WebSocket told the moment the phone answers or
//! the code expires, a small status answer for when the socket cannot be used, and the page
//! again for a sign-in already made. Only the browser holding the sign-in's cookie gets
//! anything (the same keyed-hash comparison as the continuation).
//!
//! The socket is the QR-login desktop's (`http::push`): small frames, closed on any data
//! frame, one socket per sign-in in an instance, counted against the address's rate limit.
//! Browsers cannot send a proof header on a WebSocket, so besides the cookie the `Origin` must
//! be the issuer's own (a page of another site cannot open it with the person's cookie). The
//! phone's answer wakes it (in-process, and `pg_notify` for other instances,
//! `infra::wakeups`), with the same periodic re-read as a safety net.

use axum::Json;
use axum::extract::ws::WebSocket;
use axum::extract::{RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::api::ErrorCode;
use dinhdanh_core::qr_login::RendezvousId;
use serde_json::json;

use super::authorize::{browser_cookie, browser_hash};
use super::error::{BrowserRefusal, OAuthError, OAuthResult};
use super::jose::{self, Form};
use super::page::{self, PageView};
use super::refusal_page;
use super::sign_in::SignInState;
use super::{browser_topic, issuer};
use crate::http::push;
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::resources::clients;
use crate::resources::qr_login::RECHECK;
use crate::store::oidc_sign_ins::{self, SignInRow};
use crate::store::values::from_word;

/// How long after the expiry an approval already under way may still land before the page is
/// told "expired", in seconds.
const ANSWER_GRACE_SECS: i64 = 2;

/// What the page is told about its sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PageState {
    /// Still waiting for the phone.
    Pending,
    /// Approved: continue to collect the code.
    Approved,
    /// Declined: continue to go back to the service.
    Declined,
    /// No answer in time.
    Expired,
    /// The code was collected already (another tab, a reload after continuing), or this
    /// sign-in was replaced by a new code.
    Used,
}

impl PageState {
    fn word(self) -> &'static str {
        match self {
            PageState::Pending => "pending",
            PageState::Approved => "approved",
            PageState::Declined => "declined",
            PageState::Expired => "expired",
            PageState::Used => "used",
        }
    }

    /// What the row says at `now`; `grace` seconds past the expiry still count as pending
    /// (an approval under way).
    pub(super) fn of(row: &SignInRow, now: i64, grace: i64) -> ServerResult<PageState> {
        Ok(match from_word::<SignInState>(&row.state)? {
            SignInState::Pending if now < row.expires_at + grace => PageState::Pending,
            SignInState::Pending => PageState::Expired,
            SignInState::Approved => PageState::Approved,
            SignInState::Declined => PageState::Declined,
            SignInState::CodeIssued
            | SignInState::Redeemed
            | SignInState::Revoked
            | SignInState::Retired => PageState::Used,
        })
    }
}

/// The sign-in named by `?sign_in=`, when this browser's cookie is the one it was made for.
pub(super) async fn own_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<String>,
) -> OAuthResult<(RendezvousId, SignInRow)> {
    let query = Form::parse(query.unwrap_or_default().as_bytes())?;
    let unknown = || {
        OAuthError::invalid_request("unknown sign-in").for_browser(BrowserRefusal::UnknownSignIn)
    };
    let id = RendezvousId::parse(query.require("sign_in")?).map_err(|_| unknown())?;
    let forbidden = || {
        OAuthError::access_denied("this browser did not start the sign-in")
            .for_browser(BrowserRefusal::NotThisBrowser)
    };
    let cookie = browser_cookie(headers).ok_or_else(forbidden)?;
    let row = oidc_sign_ins::find(&mut *state.pool.acquire().await?, &id.to_string())
        .await?
        .ok_or_else(unknown)?;
    if !jose::constant_time_eq(&browser_hash(state, &cookie), &row.browser_hash) {
        return Err(forbidden());
    }
    Ok((id, row))
}

/// `GET /oidc/authorize/status?sign_in=…`: `{"state": …}` for the page when its socket
/// cannot be used (it asks every few seconds).
pub(super) async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> OAuthResult<Response> {
    let (_, row) = own_sign_in(&state, &headers, query).await?;
    let now = state.now();
    let current = PageState::of(&row, now, 0)?;
    let mut response = Json(json!({"state": current.word()})).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `GET /oidc/authorize/page?sign_in=…`: the login page of a sign-in already made; a refusal
/// is a page too (`refusal_page`).
pub(super) async fn page_again(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match login_page(&state, &headers, query).await {
        Ok(response) => response,
        Err(e) => refusal_page::answer(&headers, e),
    }
}

async fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<String>,
) -> OAuthResult<Response> {
    let (id, row) = own_sign_in(state, headers, query).await?;
    let client = clients::find_client(state, &row.client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| {
            OAuthError::invalid_request("unknown or disabled client")
                .for_browser(BrowserRefusal::UnknownService)
        })?;
    Ok(page::render(
        state,
        &PageView {
            client: &client,
            sign_in: &id,
            expires_at: row.expires_at,
            now: state.now(),
            refreshes_left: super::refresh::refreshes_left(state, &row, state.now()).await?,
        },
    )?)
}

/// `GET /oidc/authorize/events?sign_in=…`: the page's WebSocket. One message
/// `{"state": "approved" | "declined" | "expired" | "used"}`, then close.
pub(super) async fn events(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    mut parts: Parts,
) -> ServerResult<Response> {
    // Sessionless like the QR login's socket: each socket opened counts against the address.
    rate_limit::per_ip(&state, &parts).await?;
    // A page of another site could open this socket with the person's cookie (cookies go
    // with cross-site WebSocket requests); only the issuer's own page may.
    let origin_ok = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|o| o == issuer(&state));
    if !origin_ok {
        return Err(ServerError::code(ErrorCode::Forbidden));
    }
    let (id, row) = own_sign_in(&state, &parts.headers, query)
        .await
        .map_err(|_| ServerError::code(ErrorCode::Forbidden))?;
    let topic = browser_topic(&id);
    let (upgrade, claim) = push::accept(&state, &mut parts, &topic).await?;
    let expires_at = row.expires_at;
    Ok(upgrade.on_upgrade(move |socket| wait_and_push(state, id, expires_at, claim, socket)))
}

async fn wait_and_push(
    state: AppState,
    id: RendezvousId,
    expires_at: i64,
    claim: push::Claim,
    socket: WebSocket,
) {
    let wait = push::Wait {
        topic: browser_topic(&id),
        expires_at,
        grace_secs: ANSWER_GRACE_SECS,
        recheck: RECHECK,
        what: "service sign-in page",
    };
    push::push_one(&state, wait, claim, socket, || {
        let (state, id) = (&state, &id);
        async move {
            let row =
                oidc_sign_ins::find(&mut *state.pool.acquire().await?, &id.to_string()).await?;
            let current = match row {
                Some(row) => PageState::of(&row, state.now(), ANSWER_GRACE_SECS)?,
                None => PageState::Expired,
            };
            Ok((current != PageState::Pending)
                .then(|| json!({"state": current.word()}).to_string()))
        }
    })
    .await;
}
