//! Signing in to the console through this server's OpenID provider, as its first-party client:
//!
//! 1. [`start`] (the sign-in page's form, from a page of this origin only) pushes an
//!    authorization request in this process (`oidc::push_in_process`: PKCE S256, `state`,
//!    `nonce`, scope `openid profile`), keeps `state`, `nonce` and the PKCE verifier for this
//!    browser in a short-lived `HttpOnly` cookie, and sends the browser to the provider's
//!    login page, whose QR code the officer's phone approves (the phone flow, unchanged).
//! 2. [`callback`] gets the code with `state` and `iss` (RFC 9207), checks them against the
//!    cookie and this issuer, and redeems the code with the token endpoint's own checks
//!    (`oidc::check_code`, `oidc::redeem`: single use, ≤ 60 s, this client, this redirect URI,
//!    the PKCE verifier; a code presented again revokes its sign-in). The nonce the code was
//!    issued for must be the cookie's. Then, for an officer only, a console session starts in
//!    the same transaction as the code's redemption and its audit entry.
//! 3. [`sign_out`] ends the session (a form with the session's CSRF token).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::pages::{self, Failure};
use super::session::{self, Visitor};
use super::{CLIENT_ID, HOME, redirect_uri};
use crate::authz;
use crate::infra::error::ServerError;
use crate::infra::ids::random_bytes;
use crate::infra::state::AppState;
use crate::resources::oidc::{self, OAuthError, PresentedCode, PushedRequest};
use crate::store::audit::AuditRecord;
use crate::store::tx::Tx;

/// The cookie holding a sign-in under way: `state.nonce.verifier`.
const SIGN_IN_COOKIE: &str = "dd_console_sign_in";
/// How long a sign-in under way may take, in seconds: the login page's time and a few new
/// codes, not the provider's whole hour.
const SIGN_IN_COOKIE_SECS: i64 = 15 * 60;
/// What the console asks the provider for: the person's name only.
const SCOPE: &str = "openid profile";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn set_cookie(response: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `POST /console/sign-in`: a new sign-in at the provider, for this browser.
pub(super) async fn start(State(state): State<AppState>, parts: Parts) -> Response {
    if !oidc::from_own_page(&parts.headers, state.config.origin.as_str()) {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    let (state_param, nonce, verifier) = (
        b64(&random_bytes::<32>()),
        b64(&random_bytes::<32>()),
        b64(&random_bytes::<32>()),
    );
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    let redirect = redirect_uri(&state);
    let pushed = oidc::push_in_process(
        &state,
        PushedRequest {
            client_id: CLIENT_ID,
            redirect_uri: &redirect,
            scope: SCOPE,
            state: &state_param,
            nonce: &nonce,
            code_challenge: &challenge,
            dpop_jkt: None,
        },
    )
    .await;
    let location = match pushed {
        Ok(location) => location,
        Err(e) => {
            tracing::warn!(error = e.code(), "the console could not start a sign-in");
            return pages::failure(&state, Failure::SignInFailed);
        }
    };
    let mut response = see_other(&location);
    set_cookie(
        &mut response,
        &format!(
            "{SIGN_IN_COOKIE}={state_param}.{nonce}.{verifier}; Path=/console; HttpOnly; \
             SameSite=Lax; Max-Age={SIGN_IN_COOKIE_SECS}{}",
            session::secure_attribute(&state)
        ),
    );
    response
}

/// The query of the provider's redirect.
#[derive(Default)]
struct Returned {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

fn returned(query: Option<String>) -> Returned {
    let mut r = Returned::default();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match &*k {
            "code" => &mut r.code,
            "state" => &mut r.state,
            "iss" => &mut r.iss,
            "error" => &mut r.error,
            _ => continue,
        };
        if slot.is_some() {
            // A parameter given twice is not ours.
            return Returned::default();
        }
        *slot = Some(v.into_owned());
    }
    r
}

/// `GET /console/callback?code=…&state=…&iss=…`.
pub(super) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut response = match finish(&state, &headers, returned(query)).await {
        Ok(response) => response,
        Err(failure) => pages::failure(&state, failure),
    };
    // The sign-in under way is over either way.
    set_cookie(
        &mut response,
        &format!(
            "{SIGN_IN_COOKIE}=; Path=/console; HttpOnly; SameSite=Lax; Max-Age=0{}",
            session::secure_attribute(&state)
        ),
    );
    response
}

fn oauth_failure(e: OAuthError) -> Failure {
    tracing::warn!(error = e.code(), "a console sign-in's code was refused");
    Failure::SignInFailed
}

async fn finish(state: &AppState, headers: &HeaderMap, r: Returned) -> Result<Response, Failure> {
    let kept = session::cookie(headers, SIGN_IN_COOKIE).ok_or(Failure::SignInExpired)?;
    let mut parts = kept.splitn(3, '.');
    let (Some(kept_state), Some(kept_nonce), Some(verifier)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure::SignInExpired);
    };
    // The provider's answer is for this browser's request, from this issuer (RFC 9207).
    if !r
        .state
        .as_deref()
        .is_some_and(|s| dinhdanh_core::crypto::ct_eq(s.as_bytes(), kept_state.as_bytes()))
        || r.iss.as_deref() != Some(state.config.origin.as_str())
    {
        return Err(Failure::SignInFailed);
    }
    if r.error.is_some() {
        // Declined on the phone, or the sign-in expired.
        return Err(Failure::Declined);
    }
    let code = r.code.ok_or(Failure::SignInFailed)?;
    let redirect = redirect_uri(state);
    let checked = oidc::check_code(
        state,
        &PresentedCode {
            client_id: CLIENT_ID,
            code: &code,
            redirect_uri: &redirect,
            code_verifier: Some(verifier),
            dpop_jkt: None,
        },
    )
    .await
    .map_err(oauth_failure)?;
    if !dinhdanh_core::crypto::ct_eq(checked.row.nonce.as_bytes(), kept_nonce.as_bytes()) {
        return Err(Failure::SignInFailed);
    }
    let account = checked.account.clone();
    let officer = authz::console_officer(state, &account)
        .await
        .map_err(internal)?;
    let mut tx = Tx::begin(state, "console.sign_in")
        .await
        .map_err(internal)?;
    if !oidc::redeem(&mut tx, &checked.row)
        .await
        .map_err(oauth_failure)?
    {
        drop(tx);
        let _ = oidc::revoke_after_replay(state, &checked.row).await;
        return Err(Failure::SignInFailed);
    }
    let object = format!("account:{account}");
    let Some(_province) = officer else {
        // Not an officer: the code is used up, no session, and the refusal is on record.
        tx.audit(AuditRecord {
            actor: Some(account.as_str()),
            action: "console.sign_in.refused",
            object: Some(&object),
            denied: true,
            ..AuditRecord::default()
        });
        tx.commit().await.map_err(internal)?;
        return Err(Failure::NotOfficer);
    };
    let cookie = session::start(&mut tx, state, &account)
        .await
        .map_err(internal)?;
    tx.audit(AuditRecord {
        actor: Some(account.as_str()),
        action: "console.sign_in",
        object: Some(&object),
        ..AuditRecord::default()
    });
    tx.commit().await.map_err(internal)?;
    let mut response = see_other(HOME);
    set_cookie(&mut response, &cookie);
    Ok(response)
}

fn internal(e: ServerError) -> Failure {
    tracing::error!(error = %e, "a console sign-in failed inside the server");
    Failure::SignInFailed
}

/// `POST /console/sign-out` (form field `csrf`): ends the session; back to the sign-in page.
pub(super) async fn sign_out(State(state): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let visitor = match session::visitor(&state, &parts.headers).await {
        Ok(v) => v,
        Err(e) => return pages::server_error(&state, e),
    };
    let (csrf_expected, token_hash, account) = match &visitor {
        Visitor::Officer(o) => (o.csrf.as_str(), o.token_hash(), &o.account),
        Visitor::National(n) => (n.csrf.as_str(), n.token_hash(), &n.account),
        Visitor::Anonymous | Visitor::NotOfficer => {
            let mut response = see_other(HOME);
            set_cookie(&mut response, &session::cleared(&state));
            return response;
        }
    };
    let csrf = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    if !oidc::from_own_page(&parts.headers, state.config.origin.as_str())
        || !session::csrf_is(csrf_expected, csrf.as_deref())
    {
        return pages::failure(&state, Failure::NotFromConsole);
    }
    if let Err(e) = session::end(&state, token_hash, account, "console.sign_out").await {
        return pages::server_error(&state, e);
    }
    let mut response = see_other(HOME);
    set_cookie(&mut response, &session::cleared(&state));
    response
}
