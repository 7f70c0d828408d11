//! "Làm mới mã / New code" on the login page: when a sign-in expired unanswered, the same
//! browser (its cookie) gets a new pending sign-in for the same pushed request (client,
//! redirect URI, scope, `state`, `nonce`, PKCE challenge, DPoP key), and the old one is retired
//! in the same transaction. Limited, so a tab left open does not make sign-ins forever: at most
//! [`MAX_REFRESHES`] times, and never past [`REQUEST_LIFE_SECS`] from the request's first
//! sign-in.
//!
//! Kept without a column of its own: the new sign-in keeps the first one's `created_at` (when
//! the browser asked), and the retired sign-ins of the same request (same browser, client,
//! nonce and PKCE challenge) are counted; the sweep forgets them only after the request's hour.

use axum::extract::{RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::qr_login::RendezvousId;

use super::browser::{PageState, own_sign_in};
use super::error::{OAuthError, OAuthResult};
use super::{issuer, page};
use crate::infra::error::ServerResult;
use crate::infra::ids::random_bytes;
use crate::infra::rate_limit;
use crate::infra::state::AppState;
use crate::store::oidc_sign_ins::{self, SignInRow};
use crate::store::tx::Tx;
use crate::store::values::parse_stored;

/// How many times one request's sign-in may be made again.
pub const MAX_REFRESHES: i64 = 5;
/// How long one pushed request may keep making sign-ins, from its first, in seconds.
pub const REQUEST_LIFE_SECS: i64 = 3600;
/// A new code is not worth making with less time than this left in the request's life.
const MIN_SECS: i64 = 30;

/// How many more new codes a request may get, given how many it had and when it began.
fn left(refreshes: i64, started_at: i64, now: i64) -> u32 {
    if now + MIN_SECS > started_at + REQUEST_LIFE_SECS {
        return 0;
    }
    u32::try_from(MAX_REFRESHES - refreshes).unwrap_or(0)
}

/// How many more new codes this sign-in's request may get at `now`.
pub(super) async fn refreshes_left(
    state: &AppState,
    row: &SignInRow,
    now: i64,
) -> ServerResult<u32> {
    let mut conn = state.pool.acquire().await?;
    let refreshes = oidc_sign_ins::retired_for_same_request(&mut conn, row).await?;
    Ok(left(refreshes, row.created_at, now))
}

fn see_other(location: &str) -> OAuthResult<Response> {
    let location = HeaderValue::from_str(location)
        .map_err(|_| OAuthError::invalid_request("a location that is no header"))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page::secure(response))
}

/// Whether the browser says the form was posted from a page of the issuer. The login page is
/// served with `Referrer-Policy: no-referrer` (its URL names the sign-in), and under that policy
/// browsers send `Origin: null` even for a form posted to the page's own origin (Fetch,
/// "serializing a request origin"); Chromium does. Then `Sec-Fetch-Site`, which no page can
/// set, must say `same-origin`. Another origin, or `null` without it, is refused; no `Origin` at
/// all (not a browser's form) is left to the cookie.
pub(crate) fn from_own_page(headers: &axum::http::HeaderMap, issuer: &str) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match get(header::ORIGIN.as_str()) {
        None => true,
        Some("null") => get("sec-fetch-site") == Some("same-origin"),
        Some(origin) => origin == issuer,
    }
}

/// `POST /oidc/authorize/refresh?sign_in=…` (the page's form): a new sign-in replacing an
/// expired, unanswered one of this browser; `303` to its page. A sign-in still open (or
/// answered) is shown again instead; past the limits, `access_denied`.
pub(super) async fn refresh(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    parts: Parts,
) -> OAuthResult<Response> {
    // The cookie is SameSite=Lax, so another site's form cannot send it; a browser also says
    // where the form was: only the issuer's own page may ask.
    if !from_own_page(&parts.headers, issuer(&state)) {
        return Err(OAuthError::access_denied(
            "a new code is asked for from the login page only",
        ));
    }
    let (id, row) = own_sign_in(&state, &parts.headers, query).await?;
    let now = state.now();
    if PageState::of(&row, now, 0)? != PageState::Expired {
        return see_other(&page::page_path(&id));
    }
    if refreshes_left(&state, &row, now).await? == 0 {
        return Err(OAuthError::access_denied(
            "this request has had all its new codes; start again at the service",
        ));
    }
    let new_id = parse_stored(RendezvousId::from_bytes(&random_bytes::<32>()))?;
    let mut tx = Tx::begin(&state, "oidc.refresh").await?;
    if !oidc_sign_ins::retire(tx.conn()?, &id.to_string(), now).await? {
        // Another tab made the new code first, or the phone answered meanwhile.
        drop(tx);
        return see_other(&page::page_path(&id));
    }
    // The same pushed request and browser; the first sign-in's time, kept (see above).
    let expires_at =
        (now + state.config.limits.oidc_sign_in_secs).min(row.created_at + REQUEST_LIFE_SECS);
    oidc_sign_ins::insert(
        tx.conn()?,
        &SignInRow {
            sign_in_id: new_id.to_string(),
            ip_address: rate_limit::client_ip(&parts),
            expires_at,
            state: "pending".into(),
            ..row
        },
    )
    .await?;
    tx.commit().await?;
    see_other(&page::page_path(&new_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_codes_are_limited_in_number_and_by_the_request_life() {
        assert_eq!(left(0, 0, 300), 5);
        assert_eq!(left(4, 0, 1300), 1);
        assert_eq!(left(5, 0, 1300), 0);
        assert_eq!(left(6, 0, 1300), 0);
        assert_eq!(left(1, 0, REQUEST_LIFE_SECS - MIN_SECS), 4);
        assert_eq!(left(1, 0, REQUEST_LIFE_SECS - MIN_SECS + 1), 0);
    }
}
