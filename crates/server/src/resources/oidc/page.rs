//! The login page a desktop browser sees at the authorization endpoint: the service's
//! registered name and logo, the QR code of the sign-in (format version 2,
//! [`ServiceSignInPayload`]) with its check code, the expiry and what to do, Vietnamese first
//! with English beside it. Its script and style are static files of this server; the page has
//! no inline script or style, and every response here carries a strict Content Security Policy.
//!
//! Every text put into the page goes through [`escape`] (names come from the operator's
//! registry, and are escaped all the same). The page is written by hand rather than through a
//! template engine: it is one page with a dozen values, and the workspace has no engine to
//! reuse; one escaping function, tested, covers every value.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{FixedOffset, TimeZone};
use dinhdanh_core::qr_login::{RendezvousId, ServiceSignInPayload};
use qrcode::{EcLevel, QrCode};

use super::{
    AUTHORIZE_CONTINUE, AUTHORIZE_EVENTS, AUTHORIZE_PAGE, AUTHORIZE_REFRESH, AUTHORIZE_STATUS,
    LOGIN_CSS, LOGIN_JS,
};
use crate::infra::error::{ServerError, ServerResult};
use crate::infra::state::AppState;
use crate::resources::clients::{self, Client};

/// The Content Security Policy of the page and of every file it loads: nothing but this
/// server's own script, style and images (the QR code is a `data:` image), no framing, no
/// `<base>`, forms posted here only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

const CSS: &str = include_str!("assets/login.css");
const JS: &str = include_str!("assets/login.js");

/// Vietnam's time (UTC+7, no daylight saving), for the expiry shown.
const VIETNAM_OFFSET_SECS: i32 = 7 * 3600;

/// HTML-escapes `text` for element content and double-quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page of the provider (the login page, a refusal, the app link's fallback): Vietnamese,
/// the login page's style sheet, no referrer, then `head_extra` (the login page's script) and
/// `body`. `title` is escaped here; `body` is markup whose values its caller escaped.
pub(super) fn document(title: &str, head_extra: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{LOGIN_CSS}">
{head_extra}</head>
<body>
{body}</body>
</html>
"#,
        title = escape(title),
    )
}

/// The headers every response of the page and its files carries.
pub(crate) fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The browser asked for JSON rather than a page: an `Accept` naming `application/json` and
/// not `text/html`. A browser's navigation always names `text/html`.
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase();
    accept.contains("application/json") && !accept.contains("text/html")
}

/// The QR code of `uri` as an SVG `data:` URI (level M, quiet zone, black on white).
fn qr_data_uri(uri: &str) -> ServerResult<String> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)
        .map_err(|_| ServerError::Internal("the sign-in QR code does not fit".into()))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .min_dimensions(256, 256)
        .build();
    let b64 = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
    Ok(format!("data:image/svg+xml;base64,{b64}"))
}

/// `123456` as `123 456`, easier to compare by eye.
fn spaced(code: &str) -> String {
    match code.get(..3).zip(code.get(3..)) {
        Some((a, b)) => format!("{a} {b}"),
        None => code.to_owned(),
    }
}

/// What the page shows.
pub(super) struct PageView<'a> {
    /// The service.
    pub client: &'a Client,
    /// The sign-in.
    pub sign_in: &'a RendezvousId,
    /// When it stops accepting an answer, Unix seconds.
    pub expires_at: i64,
    /// The server's clock now, Unix seconds.
    pub now: i64,
    /// How many more times "new code" may be asked.
    pub refreshes_left: u32,
}

/// The login page, with its security headers.
pub(super) fn render(state: &AppState, view: &PageView<'_>) -> ServerResult<Response> {
    let payload = ServiceSignInPayload::new(
        view.sign_in.clone(),
        state.config.origin.clone(),
        view.expires_at,
    )
    .map_err(|_| ServerError::Internal("a sign-in's QR payload".into()))?;
    let check = spaced(&payload.check_code());
    let same_device = super::app_links::login_page_section(state, &payload);
    let qr = qr_data_uri(&payload.to_uri())?;
    let id = view.sign_in.to_string();
    let name_vi = escape(&view.client.name_vi);
    let name_en = escape(&view.client.name_en);
    let expired = view.now >= view.expires_at;
    let expires_local = FixedOffset::east_opt(VIETNAM_OFFSET_SECS)
        .and_then(|tz| tz.timestamp_opt(view.expires_at, 0).single())
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default();
    let expires_iso = crate::infra::time::timestamp(view.expires_at).to_rfc3339();
    let logo = if view.client.logo_png.is_some() {
        format!(
            r#"<img class="logo" src="{src}" width="64" height="64" alt="Biểu trưng của {name_vi} (logo of {name_en})">"#,
            src = escape(&logo_path(&view.client.id)),
        )
    } else {
        String::new()
    };
    let hidden_if = |hide: bool| if hide { " hidden" } else { "" };
    let refresh = if view.refreshes_left > 0 {
        format!(
            r#"<form method="post" action="{action}"><button type="submit" class="primary">Làm mới mã <span lang="en">/ New code</span></button></form>"#,
            action = escape(&format!("{AUTHORIZE_REFRESH}?sign_in={id}")),
        )
    } else {
        String::from(
            r#"<p>Đã hết số lần làm mới mã. <span lang="en">No more new codes for this sign-in.</span></p>"#,
        )
    };
    let body = format!(
        r#"<main id="login" data-expires-at="{expires_at}" data-events="{events}" data-status="{status}" data-continue="{cont}" data-page="{own_page}">
<header class="service">
{logo}
<div>
<h1>Đăng nhập vào <span class="name">{name_vi}</span></h1>
<p class="en" lang="en">Sign in to <span class="name">{name_en}</span></p>
</div>
</header>
<section id="waiting" class="qr"{waiting_hidden} aria-labelledby="scan-title">
<h2 id="scan-title">Quét mã bằng ứng dụng Định Danh <span class="en" lang="en">Scan with the Định Danh app</span></h2>
{same_device}
<img class="qr-code" src="{qr}" width="256" height="256" alt="Mã QR đăng nhập vào {name_vi}: quét bằng ứng dụng Định Danh; mã kiểm tra {check}. (Sign-in QR code for {name_en}: scan it with the Định Danh app; check code {check}.)">
<p class="check">Mã kiểm tra <span lang="en">/ Check code</span>: <strong>{check}</strong></p>
<p class="hint">Điện thoại phải hiện đúng mã này. <span lang="en">Your phone must show the same code.</span></p>
<ol class="steps">
<li>Mở ứng dụng Định Danh trên điện thoại. <span lang="en">Open the Định Danh app on your phone.</span></li>
<li>Chọn <strong>Quét mã QR</strong> và quét mã trên. <span lang="en">Tap <strong>Scan QR code</strong> and scan the code above.</span></li>
<li>Kiểm tra tên dịch vụ và mã kiểm tra, rồi xác nhận. <span lang="en">Check the service's name and the check code, then approve.</span></li>
</ol>
<p class="expiry">Mã hết hạn lúc <time datetime="{expires_iso}">{expires_local}</time> (giờ Việt Nam). <span lang="en">The code expires at {expires_local} (Vietnam time).</span></p>
<p id="status" role="status" aria-live="polite">Đang chờ điện thoại… <span lang="en">Waiting for your phone…</span></p>
<p><a id="continue" class="button" href="{cont}">Tiếp tục <span lang="en">/ Continue</span></a></p>
</section>
<section id="expired"{expired_hidden} aria-labelledby="expired-title">
<h2 id="expired-title">Mã đã hết hạn <span class="en" lang="en">The code has expired</span></h2>
{refresh}
<p><a class="button" href="{cont}">Quay lại dịch vụ <span lang="en">/ Back to the service</span></a></p>
</section>
</main>
"#,
        expires_at = view.expires_at,
        events = escape(&format!("{AUTHORIZE_EVENTS}?sign_in={id}")),
        status = escape(&format!("{AUTHORIZE_STATUS}?sign_in={id}")),
        cont = escape(&format!("{AUTHORIZE_CONTINUE}?sign_in={id}")),
        own_page = escape(&page_path(view.sign_in)),
        waiting_hidden = hidden_if(expired),
        expired_hidden = hidden_if(!expired),
    );
    let html = document(
        &format!("Đăng nhập vào {} bằng Định Danh", view.client.name_vi),
        &format!(r#"<script src="{LOGIN_JS}" defer></script>"#),
        &body,
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response = no_store(secure(response));
    Ok(response)
}

/// Where a client's logo is served.
pub(super) fn logo_path(client_id: &str) -> String {
    format!("/oidc/clients/{client_id}/logo.png")
}

/// `GET /oidc/assets/login.css`.
pub(super) async fn login_css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

/// `GET /oidc/assets/login.js`.
pub(super) async fn login_js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = secure(([(header::CONTENT_TYPE, content_type)], body).into_response());
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// `GET /oidc/clients/{client_id}/logo.png`: the logo the registry stored (re-encoded as PNG
/// at registration), of an active client; `404` otherwise.
pub(super) async fn logo(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> ServerResult<Response> {
    let png = clients::find_client(&state, &client_id)
        .await?
        .filter(|c| c.active)
        .and_then(|c| c.logo_png);
    let Some(png) = png else {
        return Ok(secure(StatusCode::NOT_FOUND.into_response()));
    };
    let mut response = secure(([(header::CONTENT_TYPE, "image/png")], png).into_response());
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// The page's path for a sign-in that already exists (after "new code", or to look again).
pub(super) fn page_path(sign_in: &RendezvousId) -> String {
    format!("{AUTHORIZE_PAGE}?sign_in={sign_in}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("Cổng dịch vụ công"), "Cổng dịch vụ công");
    }

    #[test]
    fn json_only_when_asked_without_html() {
        let with = |accept: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            wants_json(&h)
        };
        assert!(with("application/json"));
        assert!(!with("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!with("*/*"));
        assert!(!wants_json(&HeaderMap::new()));
    }

    #[test]
    fn check_codes_are_shown_in_two_groups() {
        assert_eq!(spaced("123456"), "123 456");
    }
}
