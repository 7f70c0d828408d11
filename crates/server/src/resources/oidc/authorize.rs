//! The front channel: pushed authorization requests (RFC 9126), the authorization endpoint
//! that turns one into a pending sign-in bound to the browser, and the browser's continuation
//! once the phone has answered.
//!
//! A browser gets the login page with the QR code (`page`); a request that asks for
//! `application/json` (and not HTML) gets the sign-in and where to continue as JSON.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::qr_login::RendezvousId;
use serde_json::json;

use super::error::{BrowserRefusal, OAuthError, OAuthResult};
use super::jose::{self, Form};
use super::page;
use super::refusal_page;
use super::sign_in::SignInState;
use super::{AUTHORIZE_CONTINUE, CODE_SECS, PAR, REQUEST_URI_SECS, endpoint, issuer};
use crate::infra::error::ServerError;
use crate::infra::ids::random_bytes;
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::infra::time::timestamp;
use crate::resources::clients;
use crate::store::oidc_requests::{self, AuthorizationRequestRow};
use crate::store::oidc_sign_ins::{self, SignInRow};
use crate::store::tx::Tx;
use crate::store::values::{from_word, parse_stored};

/// The prefix of the `request_uri` the PAR endpoint issues.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// The cookie that binds a sign-in to the browser that started it.
pub const BROWSER_COOKIE: &str = "dd_oidc_browser";
/// Longest `state` or `nonce` accepted.
const MAX_PARAM: usize = 512;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `POST /oidc/par`: checks the whole request now, so the authorization endpoint only has to
/// take it. Answers `201` with a `request_uri` usable once within [`REQUEST_URI_SECS`].
pub(super) async fn push(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> OAuthResult<Response> {
    let form = Form::parse(&body)?;
    let client =
        super::client_limits::authenticate(&state, &parts, &form, &endpoint(&state, PAR)).await?;
    let headers = &parts.headers;
    super::client_limits::count(&state, &client, super::client_limits::Endpoint::Par)?;
    if form.get("request").is_some() || form.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request objects are not supported; push the parameters themselves",
        ));
    }
    // Implicit and hybrid flows are refused: the code flow only.
    let response_type = form.require("response_type")?;
    if response_type != "code" {
        return Err(OAuthError::unsupported_response_type(
            "only response_type=code is supported",
        ));
    }
    if form.get("response_mode").is_some_and(|m| m != "query") {
        return Err(OAuthError::invalid_request(
            "only response_mode=query is supported",
        ));
    }
    let redirect_uri = form.require("redirect_uri")?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(OAuthError::invalid_request(
            "redirect_uri is not one of the client's registered redirect URIs",
        ));
    }
    let scope = form.require("scope")?;
    super::claims::Scope::parse_for(scope, &client)?;
    if form.get("code_challenge_method") != Some("S256") {
        return Err(OAuthError::invalid_request(
            "PKCE with code_challenge_method=S256 is required",
        ));
    }
    let challenge = form.require("code_challenge")?;
    if challenge.len() != 43 || !jose::is_pkce_text(challenge) {
        return Err(OAuthError::invalid_request(
            "code_challenge is not an S256 challenge",
        ));
    }
    // A DPoP proof (or the dpop_jkt parameter) binds the code to the client's DPoP key, so a
    // stolen code cannot be redeemed with another key (RFC 9449 §10).
    let mut dpop_jkt = form.get("dpop_jkt").map(str::to_owned);
    if headers.contains_key("dpop") {
        let proof =
            jose::verify_dpop(&state, headers, "POST", &endpoint(&state, PAR), None).await?;
        if dpop_jkt.as_ref().is_some_and(|j| *j != proof.jkt) {
            return Err(OAuthError::invalid_dpop_proof(
                "dpop_jkt is not the thumbprint of the proof's key",
            ));
        }
        dpop_jkt = Some(proof.jkt);
    }
    let nonce = form.require("nonce")?;
    let state_param = form.get("state").unwrap_or_default();
    if nonce.len() > MAX_PARAM || state_param.len() > MAX_PARAM {
        return Err(OAuthError::invalid_request("state or nonce is too long"));
    }
    let request_uri = store_request(
        &state,
        PushedRequest {
            client_id: &client.id,
            redirect_uri,
            scope,
            state: state_param,
            nonce,
            code_challenge: challenge,
            dpop_jkt,
        },
    )
    .await?;
    let body = json!({
        "request_uri": request_uri,
        "expires_in": REQUEST_URI_SECS,
    });
    Ok(no_store((StatusCode::CREATED, Json(body)).into_response()))
}

/// A pushed authorization request, checked.
pub(crate) struct PushedRequest<'a> {
    /// The client.
    pub client_id: &'a str,
    /// One of its redirect URIs.
    pub redirect_uri: &'a str,
    /// The scope, parsed for the client.
    pub scope: &'a str,
    /// The client's `state`.
    pub state: &'a str,
    /// The nonce.
    pub nonce: &'a str,
    /// The PKCE S256 challenge.
    pub code_challenge: &'a str,
    /// The DPoP key the code will be bound to, if any.
    pub dpop_jkt: Option<String>,
}

/// Stores a checked request; its `request_uri`, usable once within [`REQUEST_URI_SECS`].
async fn store_request(state: &AppState, request: PushedRequest<'_>) -> OAuthResult<String> {
    let mut tx = Tx::begin(state, "oidc.par").await?;
    let now = tx.now();
    oidc_requests::sweep_expired(tx.conn()?, now).await?;
    let request_id = b64(&random_bytes::<32>());
    oidc_requests::insert(
        tx.conn()?,
        &AuthorizationRequestRow {
            request_id: request_id.clone(),
            client_id: request.client_id.to_owned(),
            redirect_uri: request.redirect_uri.to_owned(),
            scope: request.scope.to_owned(),
            state: request.state.to_owned(),
            nonce: request.nonce.to_owned(),
            code_challenge: request.code_challenge.to_owned(),
            dpop_jkt: request.dpop_jkt,
            created_at: now,
            expires_at: now + REQUEST_URI_SECS,
        },
    )
    .await?;
    // Nothing about a person yet: not audited (the sign-in's answer is).
    tx.commit().await?;
    Ok(format!("{REQUEST_URI_PREFIX}{request_id}"))
}

/// A first-party client of this server (`resources::console`) pushes its request in this
/// process: the same checks as [`PAR`] but the client assertion (the caller is the server
/// itself) — a registered, active client, one of its redirect URIs, a scope it may ask for, an
/// S256 challenge, a nonce. The path and query to send the browser to ([`super::AUTHORIZE`]).
pub(crate) async fn push_in_process(
    state: &AppState,
    request: PushedRequest<'_>,
) -> OAuthResult<String> {
    let client = clients::find_client(state, request.client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| OAuthError::invalid_request("unknown or disabled client"))?;
    if !client.has_redirect_uri(request.redirect_uri) {
        return Err(OAuthError::invalid_request(
            "redirect_uri is not one of the client's registered redirect URIs",
        ));
    }
    super::claims::Scope::parse_for(request.scope, &client)?;
    if request.code_challenge.len() != 43 || !jose::is_pkce_text(request.code_challenge) {
        return Err(OAuthError::invalid_request(
            "code_challenge is not an S256 challenge",
        ));
    }
    if request.nonce.is_empty()
        || request.nonce.len() > MAX_PARAM
        || request.state.len() > MAX_PARAM
    {
        return Err(OAuthError::invalid_request(
            "state or nonce is missing or too long",
        ));
    }
    let request_uri = store_request(state, request).await?;
    let mut url = url::Url::parse("http://x/")
        .map_err(|_| OAuthError::from(ServerError::Internal("a constant URL".into())))?;
    url.set_path(super::AUTHORIZE);
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("request_uri", &request_uri);
    Ok(format!(
        "{}?{}",
        url.path(),
        url.query().unwrap_or_default()
    ))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The browser's cookie value, when it sent a well-formed one.
pub(super) fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BROWSER_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// The keyed hash of a browser cookie, as stored with the sign-in.
pub(super) fn browser_hash(state: &AppState, cookie: &str) -> Vec<u8> {
    state
        .keys
        .keyed_hash(&[b"oidc.browser\0", cookie.as_bytes()])
}

/// `GET /oidc/authorize?client_id=…&request_uri=…`: takes the pushed request once and makes a
/// pending sign-in bound to this browser (a `HttpOnly` cookie). Every other parameter is
/// ignored: only what was pushed, with the client authenticated, counts.
/// A refusal is a page for a person's browser (`refusal_page`).
pub(super) async fn authorize(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    parts: Parts,
) -> Response {
    match open_sign_in(state, query, &parts).await {
        Ok(response) => response,
        Err(e) => refusal_page::answer(&parts.headers, e),
    }
}

async fn open_sign_in(
    state: AppState,
    query: Option<String>,
    parts: &Parts,
) -> OAuthResult<Response> {
    let headers = &parts.headers;
    let query = Form::parse(query.unwrap_or_default().as_bytes())?;
    let client_id = query.require("client_id")?;
    let request_uri = query
        .get("request_uri")
        .ok_or_else(|| OAuthError::invalid_request("pushed authorization requests are required"))?;
    let request_id = request_uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .ok_or_else(|| OAuthError::invalid_request("request_uri was not issued here"))?;
    let client = clients::find_client(&state, client_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| {
            OAuthError::invalid_request("unknown or disabled client")
                .for_browser(BrowserRefusal::UnknownService)
        })?;
    let cookie = browser_cookie(headers).unwrap_or_else(|| b64(&random_bytes::<32>()));
    let sign_in = parse_stored(RendezvousId::from_bytes(&random_bytes::<32>()))?;
    let mut tx = Tx::begin(&state, "oidc.authorize").await?;
    let now = tx.now();
    let Some(request) = oidc_requests::take(tx.conn()?, request_id, &client.id, now).await? else {
        return Err(
            OAuthError::invalid_request("request_uri is unknown, used or expired")
                .for_browser(BrowserRefusal::RequestUsed),
        );
    };
    // Sign-ins long finished (codes and their tokens expired) are forgotten.
    oidc_sign_ins::sweep_expired(tx.conn()?, now - 3600).await?;
    let expires_at = now + state.config.limits.oidc_sign_in_secs;
    oidc_sign_ins::insert(
        tx.conn()?,
        &SignInRow {
            sign_in_id: sign_in.to_string(),
            client_id: client.id.clone(),
            redirect_uri: request.redirect_uri,
            scope: request.scope,
            state_param: request.state,
            nonce: request.nonce,
            code_challenge: request.code_challenge,
            dpop_jkt: request.dpop_jkt,
            browser_hash: browser_hash(&state, &cookie),
            ip_address: rate_limit::client_ip(parts),
            created_at: now,
            expires_at,
            state: "pending".into(),
            account_id: None,
            acting_for: None,
            claims: None,
            amr: None,
            auth_time: None,
            code_expires_at: None,
        },
    )
    .await?;
    tx.commit().await?;
    let mut response = if page::wants_json(headers) {
        json_answer(&client, &sign_in, expires_at)
    } else {
        page::render(
            &state,
            &page::PageView {
                client: &client,
                sign_in: &sign_in,
                expires_at,
                now,
                refreshes_left: u32::try_from(super::refresh::MAX_REFRESHES).unwrap_or(0),
            },
        )?
    };
    let secure = if issuer(&state).starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{BROWSER_COOKIE}={cookie}; Path=/oidc; HttpOnly; SameSite=Lax; Max-Age=3600{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The JSON answer of the authorization endpoint (for a caller that asks for JSON).
fn json_answer(client: &clients::Client, sign_in: &RendezvousId, expires_at: i64) -> Response {
    let body = json!({
        "sign_in": sign_in.to_string(),
        "client_id": client.id,
        "client_name_vi": client.name_vi,
        "client_name_en": client.name_en,
        "expires_at": timestamp(expires_at),
        "continue": format!("{AUTHORIZE_CONTINUE}?sign_in={sign_in}"),
    });
    no_store(Json(body).into_response())
}

/// A redirect to the client with `params`, `state` (when it sent one) and `iss` (RFC 9207).
fn redirect_to_client(
    state: &AppState,
    row: &SignInRow,
    params: &[(&str, &str)],
) -> OAuthResult<Response> {
    let mut url = url::Url::parse(&row.redirect_uri)
        .map_err(|_| OAuthError::from(ServerError::Internal("stored redirect URI".into())))?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if !row.state_param.is_empty() {
            q.append_pair("state", &row.state_param);
        }
        q.append_pair("iss", issuer(state));
    }
    let location = HeaderValue::from_str(url.as_str())
        .map_err(|_| OAuthError::from(ServerError::Internal("redirect URI header".into())))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(no_store(response))
}

/// `GET /oidc/authorize/continue?sign_in=…`: for the browser that started the sign-in only
/// (its cookie). Pending: `{"state": "pending"}`. Approved: the code, once, by redirect.
/// Declined or expired: `error=access_denied` by redirect. Another browser gets nothing (a
/// page saying why, or the JSON error when JSON was asked for).
pub(super) async fn continue_in_browser(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match continue_sign_in(state, &headers, query).await {
        Ok(response) => response,
        Err(e) => refusal_page::answer(&headers, e),
    }
}

async fn continue_sign_in(
    state: AppState,
    headers: &HeaderMap,
    query: Option<String>,
) -> OAuthResult<Response> {
    let query = Form::parse(query.unwrap_or_default().as_bytes())?;
    let id = query.require("sign_in")?;
    let forbidden = || {
        OAuthError::access_denied("this browser did not start the sign-in")
            .for_browser(BrowserRefusal::NotThisBrowser)
    };
    let cookie = browser_cookie(headers).ok_or_else(forbidden)?;
    let row = oidc_sign_ins::find(&mut *state.pool.acquire().await?, id)
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_request("unknown sign-in")
                .for_browser(BrowserRefusal::UnknownSignIn)
        })?;
    let hash = browser_hash(&state, &cookie);
    if !jose::constant_time_eq(&hash, &row.browser_hash) {
        return Err(forbidden());
    }
    let now = state.now();
    match from_word::<SignInState>(&row.state)? {
        SignInState::Pending if now < row.expires_at => {
            if page::wants_json(headers) {
                return Ok(no_store(Json(json!({"state": "pending"})).into_response()));
            }
            let id = RendezvousId::parse(&row.sign_in_id)
                .map_err(|_| OAuthError::from(ServerError::Internal("stored sign-in id".into())))?;
            let location = HeaderValue::from_str(&page::page_path(&id))
                .map_err(|_| OAuthError::from(ServerError::Internal("page path".into())))?;
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            Ok(no_store(response))
        }
        SignInState::Pending | SignInState::Declined => {
            redirect_to_client(&state, &row, &[("error", "access_denied")])
        }
        SignInState::Approved if now >= row.expires_at + CODE_SECS => {
            redirect_to_client(&state, &row, &[("error", "access_denied")])
        }
        SignInState::Approved => {
            let code = b64(&random_bytes::<32>());
            let mut tx = Tx::begin(&state, "oidc.code").await?;
            let issued = oidc_sign_ins::issue_code(
                tx.conn()?,
                &row.sign_in_id,
                &hash,
                &super::token::code_hash(&state, &code),
                now + CODE_SECS,
            )
            .await?;
            if !issued {
                return Err(
                    OAuthError::invalid_request("the code was already collected")
                        .for_browser(BrowserRefusal::Finished),
                );
            }
            tx.commit().await?;
            redirect_to_client(&state, &row, &[("code", &code)])
        }
        SignInState::CodeIssued | SignInState::Redeemed | SignInState::Revoked => Err(
            OAuthError::invalid_request("the code was already collected")
                .for_browser(BrowserRefusal::Finished),
        ),
        SignInState::Retired => Err(OAuthError::invalid_request(
            "this code was replaced by a new one",
        )
        .for_browser(BrowserRefusal::Replaced)),
    }
}
