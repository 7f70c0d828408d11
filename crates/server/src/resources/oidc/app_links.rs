//! The same-device hand-over: when the service's page is open on the phone itself, the person
//! cannot scan their own screen, so the login page offers a verified https link that the
//! operating system gives to the Định Danh app (Android App Links, iOS Universal Links — never
//! a custom scheme). The link carries the sign-in's version-2 code in its fragment
//! (`dinhdanh_core::qr_login::ServiceSignInPayload::to_app_link`), nothing more: the sign-in stays
//! bound to the browser's cookie, so a forwarded link is worth no more than the QR code.
//!
//! Here: the two files the operating systems fetch to verify that this host may open the app
//! (from the server's configuration, `Config::app_links`; 404 when none is configured), the
//! page the link shows when the app is not installed (no script at all), and the login page's
//! button.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dinhdanh_core::qr_login::ServiceSignInPayload;

use super::page::{escape, secure};
use crate::infra::state::AppState;

/// `GET`: Digital Asset Links for Android App Links.
pub const ASSET_LINKS: &str = "/.well-known/assetlinks.json";
/// `GET`: the apple-app-site-association file for iOS Universal Links.
pub const APPLE_APP_SITE_ASSOCIATION: &str = "/.well-known/apple-app-site-association";
/// `GET`: the link's own page, seen only when the app did not take the link.
pub const APP_SIGN_IN: &str = dinhdanh_core::qr_login::APP_LINK_PATH;

/// The policy of the page seen without the app: this server's style sheet and nothing else —
/// no script at all (the fragment holding the sign-in is never read by the page), no form.
pub const APP_PAGE_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The relation Digital Asset Links use for "this site's links may open this app".
const HANDLE_ALL_URLS: &str = "delegate_permission/common.handle_all_urls";

/// A `.well-known` file: JSON, served as it is (no redirect, which iOS refuses), short-cached
/// so an operator's change of certificate or app reaches phones within the hour.
fn well_known(body: serde_json::Value) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// `GET /.well-known/assetlinks.json`: the configured Android app may open this host's links;
/// 404 without one.
pub(super) async fn asset_links(State(state): State<AppState>) -> Response {
    let Some(app) = &state.config.app_links.android else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let fingerprints: Vec<&str> = app
        .sha256_cert_fingerprints
        .iter()
        .map(|f| f.as_str())
        .collect();
    well_known(serde_json::json!([{
        "relation": [HANDLE_ALL_URLS],
        "target": {
            "namespace": "android_app",
            "package_name": app.package_name.as_str(),
            "sha256_cert_fingerprints": fingerprints,
        }
    }]))
}

/// `GET /.well-known/apple-app-site-association`: the configured iOS apps may open this host's
/// sign-in links (that path only, with a version-2 fragment); 404 without one.
pub(super) async fn apple_app_site_association(State(state): State<AppState>) -> Response {
    let ids = &state.config.app_links.apple_app_ids;
    if ids.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let ids: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
    well_known(serde_json::json!({
        "applinks": {
            "details": [{
                "appIDs": ids,
                "components": [{
                    "/": APP_SIGN_IN,
                    "#": "v=2&*",
                    "comment": "A sign-in handed over to the Định Danh app on the same phone",
                }],
            }],
        },
    }))
}

/// The link that opens the app on this phone for `payload`, when an app is configured.
pub(super) fn link(state: &AppState, payload: &ServiceSignInPayload) -> Option<String> {
    let links = &state.config.app_links;
    if !links.any() {
        return None;
    }
    let origin = links.link_origin.as_ref().unwrap_or(&state.config.origin);
    Some(payload.to_app_link(origin))
}

/// The login page's hand-over section: a button shown only on a touch or narrow screen (the
/// style sheet decides), empty when no app is configured.
pub(super) fn login_page_section(state: &AppState, payload: &ServiceSignInPayload) -> String {
    let Some(link) = link(state, payload) else {
        return String::new();
    };
    format!(
        r#"<div class="same-device">
<p><a id="open-app" class="button primary" href="{href}">Mở ứng dụng Định Danh trên điện thoại này <span lang="en">/ Open the Định Danh app on this phone</span></a></p>
<p class="hint">Dùng nút này khi trang đang mở trên chính điện thoại có ứng dụng; nếu không, hãy quét mã bên dưới. <span lang="en">Use it when this page is open on the phone that has the app; otherwise scan the code below.</span></p>
</div>"#,
        href = escape(&link),
    )
}

/// The fallback page's body: what to do when the app did not open.
const APP_LINK_FALLBACK: &str = r#"<main id="app-link">
<h1>Chưa mở được ứng dụng Định Danh</h1>
<p class="en" lang="en">The Định Danh app did not open</p>
<p>Liên kết này dùng để đăng nhập bằng ứng dụng Định Danh trên chính điện thoại này. Điện thoại chưa có ứng dụng, hoặc liên kết đã được mở trên một máy khác.
<span class="en" lang="en">This link signs you in with the Định Danh app on this same phone. The app is not installed here, or the link was opened on another device.</span></p>
<h2>Bạn có thể <span class="en" lang="en">What you can do</span></h2>
<ol class="steps">
<li>Cài ứng dụng <strong>Định Danh</strong> từ Google Play hoặc App Store, đăng nhập và liên kết điện thoại, rồi quay lại trang đăng nhập của dịch vụ và bấm lại nút <strong>Mở ứng dụng Định Danh trên điện thoại này</strong>. <span lang="en">Install the <strong>Định Danh</strong> app from Google Play or the App Store, sign in and bind this phone, then go back to the service's sign-in page and tap <strong>Open the Định Danh app on this phone</strong> again.</span></li>
<li>Hoặc mở trang đăng nhập của dịch vụ trên máy tính, rồi quét mã QR bằng ứng dụng Định Danh trên điện thoại (<strong>Quét mã QR</strong>). <span lang="en">Or open the service's sign-in page on a computer and scan its QR code with the Định Danh app on your phone (<strong>Scan QR code</strong>).</span></li>
</ol>
<p class="hint">Nếu ai đó gửi liên kết này cho bạn, đừng đồng ý đăng nhập: làm vậy sẽ đăng nhập trình duyệt của họ bằng tài khoản của bạn. <span lang="en">If someone sent you this link, do not approve the sign-in: that would sign their browser in as you.</span></p>
</main>
"#;

/// `GET /app/sign-in`: what a sign-in link shows when the app did not take it (not installed,
/// or the link was opened on a computer). Plain, with no script: it never reads the fragment.
pub(super) async fn app_sign_in_page() -> Response {
    let html = super::page::document("Mở ứng dụng Định Danh", "", APP_LINK_FALLBACK);
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response = secure(response);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(APP_PAGE_CONTENT_SECURITY_POLICY),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
