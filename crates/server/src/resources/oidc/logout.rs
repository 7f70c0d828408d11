//! Logout: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at [`END_SESSION`],
//! and back-channel logout (OpenID Connect Back-Channel Logout 1.0) to the relying parties a
//! person is signed in to when their standing ends.
//!
//! There is no provider session to end: every sign-in is approved on the phone. A sign-in's
//! session is its access tokens, named to the relying party by `sid` (a keyed hash of the
//! sign-in id, which stays a rendezvous secret). RP-initiated logout revokes the tokens of the
//! sign-in its `id_token_hint` names; back-channel logouts are queued by
//! `store::oidc_logouts::end_sign_ins` in the transaction of the action that ends the person's
//! standing, and delivered here, after the commit, by a background task ([`run_delivery`]):
//! a slow or failing relying party never holds up the person's action. The logout token is
//! signed at each attempt (fresh `iat`/`exp`), never stored and never logged.

use super::page::escape;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;

use super::jose::Form;
use super::{claims, issuer, keys};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::ids::random_bytes;
use crate::infra::state::AppState;
use crate::resources::clients::{self, Client};
use crate::store::audit::AuditRecord;
use crate::store::oidc_logouts::{self, LogoutRow};
use crate::store::oidc_tokens;
use crate::store::tx::Tx;

/// `GET`, `POST`: RP-initiated logout (the discovery document's `end_session_endpoint`).
pub const END_SESSION: &str = "/oidc/logout";
/// The event a logout token carries.
pub const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The `typ` of a logout token.
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// How long a logout token is valid, in seconds.
pub const LOGOUT_TOKEN_SECS: i64 = 120;
/// Attempts at one back-channel logout before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The pause after the first failed attempt, in seconds; it doubles after each (10 s, 20 s,
/// … about 21 minutes before the last).
pub const FIRST_RETRY_SECS: i64 = 10;
/// How long one attempt holds its row (longer than the request's time-out).
const LEASE_SECS: i64 = 60;
/// How long a relying party has to answer.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Logouts claimed in one pass.
const BATCH: i64 = 50;
/// How often the queue is looked at without a wake-up (retries come due by the clock).
const POLL: Duration = Duration::from_secs(5);

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The session id (`sid`) of a sign-in: a keyed hash of its id, so the relying party learns
/// nothing it could use at the provider.
pub(super) fn sid(state: &AppState, sign_in_id: &str) -> String {
    b64(&state
        .keys
        .keyed_hash(&[b"oidc.sid\0", sign_in_id.as_bytes()]))
}

// ---------------------------------------------------------------------------------------------
// RP-initiated logout
// ---------------------------------------------------------------------------------------------

/// The claims of an `id_token_hint` this logout reads.
#[derive(Deserialize)]
struct HintClaims {
    iss: Option<String>,
    aud: Option<String>,
    sid: Option<String>,
}

/// A checked `id_token_hint`: the client it was issued to and its session.
struct Hint {
    client_id: String,
    sid: Option<String>,
}

/// Checks an `id_token_hint`: an ES256 ID token signed by one of the provider's published
/// keys, issued by this provider to one client. An expired one is accepted (RP-Initiated
/// Logout 1.0 §2: the relying party may log out after its ID token expired).
async fn check_hint(state: &AppState, hint: &str) -> ServerResult<Option<Hint>> {
    let Ok(header) = jsonwebtoken::decode_header(hint) else {
        return Ok(None);
    };
    let Some(kid) = header.kid.filter(|_| header.alg == Algorithm::ES256) else {
        return Ok(None);
    };
    let set = keys::jwks(state).await?;
    let Some(key) = set.find(&kid).and_then(|k| DecodingKey::from_jwk(k).ok()) else {
        return Ok(None);
    };
    let mut v = Validation::new(Algorithm::ES256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let Ok(data) = jsonwebtoken::decode::<HintClaims>(hint, &key, &v) else {
        return Ok(None);
    };
    let c = data.claims;
    if c.iss.as_deref() != Some(issuer(state)) {
        return Ok(None);
    }
    Ok(c.aud.map(|client_id| Hint {
        client_id,
        sid: c.sid,
    }))
}

/// A Vietnamese-first page with English below; no script, no style, nothing loaded.
fn page(
    status: StatusCode,
    title_vi: &str,
    text_vi: &str,
    title_en: &str,
    text_en: &str,
) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · {}</title>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n<p>{}</p>\n\
         <section lang=\"en\">\n<h2>{}</h2>\n<p>{}</p>\n</section>\n</main>\n</body>\n</html>\n",
        escape(title_vi),
        escape(title_en),
        escape(title_vi),
        escape(text_vi),
        escape(title_en),
        escape(text_en),
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refused(text_vi: &str, text_en: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Không thể đăng xuất",
        text_vi,
        "Cannot sign out",
        text_en,
    )
}

/// `GET|POST /oidc/logout`: `id_token_hint`, `client_id`, `post_logout_redirect_uri`,
/// `state`. A hint that is not an ID token of this provider, or names another client than
/// `client_id`, is refused. The hint's sign-in has its access tokens revoked (audited,
/// `oidc.logout`). The browser is sent to `post_logout_redirect_uri` (with `state`) only when
/// it is one of the client's registered ones exactly; otherwise a page says it is done.
pub(super) async fn end_session(
    State(state): State<AppState>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let form = if method == Method::POST {
        Form::parse(&body)
    } else {
        Form::parse(query.unwrap_or_default().as_bytes())
    };
    match end_session_with(&state, form).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "RP-initiated logout");
            refused(
                "Đã có lỗi; hãy thử lại.",
                "Something went wrong; please try again.",
            )
        }
    }
}

async fn end_session_with(
    state: &AppState,
    form: Result<Form, super::error::OAuthError>,
) -> ServerResult<Response> {
    let Ok(form) = form else {
        return Ok(refused(
            "Yêu cầu đăng xuất không hợp lệ (tham số bị lặp).",
            "The logout request is malformed (a parameter is repeated).",
        ));
    };
    let hint = match form.get("id_token_hint") {
        None => None,
        Some(text) => match check_hint(state, text).await? {
            Some(h) => Some(h),
            None => {
                return Ok(refused(
                    "Mã đăng nhập kèm theo (id_token_hint) không do Định Danh cấp.",
                    "The id_token_hint is not an ID token of this provider.",
                ));
            }
        },
    };
    let client_id = match (&hint, form.get("client_id")) {
        (Some(h), Some(c)) if h.client_id != c => {
            refuse_hint(state, c).await?;
            return Ok(refused(
                "Mã đăng nhập kèm theo được cấp cho một dịch vụ khác.",
                "The id_token_hint was issued to another service.",
            ));
        }
        (Some(h), _) => Some(h.client_id.clone()),
        (None, c) => c.map(str::to_owned),
    };
    let client = match &client_id {
        Some(id) => clients::find_client(state, id).await?,
        None => None,
    };
    if let (Some(h), Some(c)) = (&hint, &client) {
        if let Some(sid) = &h.sid {
            revoke_session(state, c, sid).await?;
        }
    }
    let target = form.get("post_logout_redirect_uri").filter(|uri| {
        client
            .as_ref()
            .is_some_and(|c| c.has_post_logout_redirect_uri(uri))
    });
    if let Some(uri) = target.and_then(|u| url::Url::parse(u).ok()) {
        let mut uri = uri;
        if let Some(s) = form.get("state") {
            uri.query_pairs_mut().append_pair("state", s);
        }
        let mut response = StatusCode::SEE_OTHER.into_response();
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(uri.as_str()) {
            h.insert(header::LOCATION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        return Ok(response);
    }
    let (name_vi, name_en) = client.as_ref().map_or(("dịch vụ", "the service"), |c| {
        (c.name_vi.as_str(), c.name_en.as_str())
    });
    Ok(page(
        StatusCode::OK,
        "Đã đăng xuất",
        &format!("Bạn đã đăng xuất khỏi {name_vi} trên Định Danh. Bạn có thể đóng trang này."),
        "Signed out",
        &format!("You have signed out of {name_en} at Định Danh. You may close this page."),
    ))
}

/// Revokes the access tokens of the session `sid` when it is a sign-in at `client`; audited
/// (`oidc.logout`) when there was a sign-in to end.
async fn revoke_session(state: &AppState, client: &Client, sid: &str) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "oidc.logout").await?;
    let now = tx.now();
    let Some((sign_in_id, client_id, account, acting_for)) =
        oidc_logouts::sign_in_of_sid(tx.conn()?, sid).await?
    else {
        return Ok(());
    };
    if client_id != client.id {
        return Ok(());
    }
    oidc_tokens::revoke_sign_in(tx.conn()?, &sign_in_id, now).await?;
    let object = format!("oidc_sign_in:{sign_in_id}");
    tx.audit(AuditRecord {
        actor: account.as_deref(),
        acting_for: acting_for.as_deref(),
        device: None,
        action: "oidc.logout",
        object: Some(&object),
        subject_key: None,
        denied: false,
    });
    tx.commit().await
}

/// A logout whose hint names another client than `client_id`: audited as a refusal, in a
/// transaction of its own (nothing changed).
async fn refuse_hint(state: &AppState, client_id: &str) -> ServerResult<()> {
    let mut tx = Tx::begin(state, "oidc.logout").await?;
    let object = format!("oidc_client:{client_id}");
    tx.audit(AuditRecord {
        actor: None,
        acting_for: None,
        device: None,
        action: "oidc.logout",
        object: Some(&object),
        subject_key: None,
        denied: true,
    });
    tx.commit().await
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout
// ---------------------------------------------------------------------------------------------

/// The HTTP client of back-channel logouts: a time-out, and no redirects followed (a relying
/// party answers itself).
fn http_client() -> ServerResult<&'static reqwest::Client> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let built = reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ServerError::Internal(format!("HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| built))
}

/// The logout token of `row` for `client`, issued now.
async fn logout_token(state: &AppState, client: &Client, row: &LogoutRow) -> ServerResult<String> {
    let now = state.now();
    let claims = json!({
        "iss": issuer(state),
        "aud": client.id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECS,
        "jti": b64(&random_bytes::<16>()),
        "sub": claims::pairwise_sub(state, &client.sector, &row.account_id),
        "sid": sid(state, &row.sign_in_id),
        "events": { BACKCHANNEL_EVENT: {} },
    });
    keys::sign_typed(state, Some(LOGOUT_TOKEN_TYPE), &claims).await
}

/// One attempt at `row` (claimed): `Ok(true)` when the relying party took it.
async fn attempt(state: &AppState, row: &LogoutRow) -> ServerResult<bool> {
    let client = clients::find_client(state, &row.client_id).await?;
    let target = client
        .as_ref()
        .filter(|c| c.active)
        .and_then(|c| c.backchannel_logout_uri.clone().map(|u| (c, u)));
    let permanent = target.is_none();
    let outcome = match target {
        // Disabled since, or its URI removed: nobody to tell.
        None => Err("the client is disabled or has no back-channel logout URI".to_owned()),
        Some((client, uri)) => {
            let token = logout_token(state, client, row).await?;
            let body = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("logout_token", &token)
                .finish();
            let sent = http_client()?
                .post(&uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("answered {}", r.status())),
                Err(e) => Err(format!("unreachable: {}", e.without_url())),
            }
        }
    };
    let mut tx = Tx::begin(state, "oidc.backchannel_logout").await?;
    let now = tx.now();
    let object = format!("oidc_sign_in:{}", row.sign_in_id);
    let action = match &outcome {
        Ok(()) => {
            oidc_logouts::delivered(tx.conn()?, &row.id, now).await?;
            "oidc.backchannel_logout"
        }
        Err(why) => {
            // `attempts` is the count before this one was claimed.
            let made = row.attempts + 1;
            tracing::warn!(client = %row.client_id, attempt = made, reason = %why,
                "back-channel logout not delivered");
            if made >= MAX_ATTEMPTS || permanent {
                oidc_logouts::give_up(tx.conn()?, &row.id, now).await?;
                "oidc.backchannel_logout_given_up"
            } else {
                let pause = FIRST_RETRY_SECS.saturating_mul(1 << (made - 1).clamp(0, 20));
                oidc_logouts::retry_at(tx.conn()?, &row.id, now + pause).await?;
                tx.commit().await?;
                return Ok(false);
            }
        }
    };
    tx.audit(AuditRecord {
        actor: None,
        acting_for: row.acting_for.as_deref(),
        device: None,
        action,
        object: Some(&object),
        subject_key: None,
        denied: false,
    });
    tx.commit().await?;
    Ok(outcome.is_ok())
}

/// Delivers the back-channel logouts due now, each claimed first so that two instances never
/// both send one; the attempts run side by side. Returns how many were delivered.
pub async fn deliver_due(state: &AppState) -> ServerResult<usize> {
    let now = state.now();
    let mut conn = state.pool.acquire().await?;
    let rows = oidc_logouts::due(&mut conn, now, BATCH).await?;
    let mut attempts = tokio::task::JoinSet::new();
    for row in rows {
        if !oidc_logouts::claim(&mut conn, &row, now + LEASE_SECS).await? {
            continue;
        }
        let state = state.clone();
        attempts.spawn(async move { attempt(&state, &row).await });
    }
    drop(conn);
    let mut delivered = 0;
    while let Some(done) = attempts.join_next().await {
        match done {
            Ok(Ok(true)) => delivered += 1,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "back-channel logout attempt failed"),
            Err(e) => tracing::warn!(error = %e, "back-channel logout task failed"),
        }
    }
    Ok(delivered)
}

/// Delivers back-channel logouts until the task is aborted: at once when an action that
/// queued some commits (the wake-up), and every few seconds for retries that came due.
pub async fn run_delivery(state: AppState) {
    let subscription = state.wakeups.subscribe(oidc_logouts::TOPIC);
    loop {
        let notified = subscription.notified();
        let mut notified = std::pin::pin!(notified);
        notified.as_mut().enable();
        if let Err(e) = deliver_due(&state).await {
            tracing::warn!(error = %e, "back-channel logout delivery failed");
        }
        tokio::select! {
            () = notified => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::page::escape;

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
