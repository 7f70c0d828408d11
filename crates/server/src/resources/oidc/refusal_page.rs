//! What a person's browser is shown when the authorization endpoint, the login page or the
//! continuation refuses it: a page in Vietnamese and English that says what happened and what
//! to do, instead of OAuth's JSON, which is for a service's code. A request that asks for JSON
//! (and not HTML) still gets the JSON error (`page::wants_json`).
//!
//! Same style sheet as the login page, no script, the same security headers.

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::error::{BrowserRefusal, OAuthError};
use super::page::{self, escape};

/// (title vi, title en, text vi, text en).
type Sentences = (&'static str, &'static str, &'static str, &'static str);

/// What the page says for `refusal`.
fn sentences(refusal: BrowserRefusal) -> Sentences {
    match refusal {
        BrowserRefusal::NotThisBrowser => (
            "Trình duyệt này không bắt đầu lần đăng nhập này",
            "This browser did not start this sign-in",
            "Một lần đăng nhập chỉ tiếp tục được trên trình duyệt đã mở trang đăng nhập. \
                 Nếu ai đó gửi cho bạn liên kết này, hãy đóng trang. Muốn đăng nhập, hãy mở \
                 dịch vụ và bắt đầu lại.",
            "A sign-in continues only in the browser that opened its sign-in page. If \
                 someone sent you this link, close the page. To sign in, open the service and \
                 start again.",
        ),
        BrowserRefusal::UnknownSignIn => (
            "Không tìm thấy lần đăng nhập này",
            "This sign-in was not found",
            "Liên kết đã cũ hoặc không đúng. Hãy mở dịch vụ và bắt đầu đăng nhập lại.",
            "The link is old or wrong. Open the service and start signing in again.",
        ),
        BrowserRefusal::Finished => (
            "Lần đăng nhập này đã xong",
            "This sign-in is finished",
            "Kết quả đã được gửi về dịch vụ. Nếu bạn chưa vào được dịch vụ, hãy mở dịch vụ \
                 và đăng nhập lại.",
            "Its result was sent to the service. If you are not signed in there, open the \
                 service and sign in again.",
        ),
        BrowserRefusal::Replaced => (
            "Mã này đã được thay bằng mã mới",
            "This code was replaced by a new one",
            "Hãy dùng trang đăng nhập có mã mới nhất, hoặc mở dịch vụ và bắt đầu lại.",
            "Use the sign-in page with the newest code, or open the service and start \
                 again.",
        ),
        BrowserRefusal::RequestUsed => (
            "Trang đăng nhập này đã được mở hoặc đã hết hạn",
            "This sign-in page was already opened or has expired",
            "Mỗi trang đăng nhập chỉ mở được một lần. Hãy quay lại dịch vụ và bấm đăng nhập \
                 lần nữa.",
            "Each sign-in page opens once. Go back to the service and choose sign in \
                 again.",
        ),
        BrowserRefusal::UnknownService => (
            "Dịch vụ này chưa được đăng ký hoặc đã bị tạm dừng",
            "This service is not registered or has been suspended",
            "Không thể đăng nhập vào dịch vụ này bằng Định Danh lúc này. Hãy liên hệ đơn vị \
                 quản lý dịch vụ.",
            "You cannot sign in to this service with Định Danh now. Contact the service's \
                 operator.",
        ),
        BrowserRefusal::BadRequest => (
            "Yêu cầu đăng nhập không hợp lệ",
            "The sign-in request is not valid",
            "Dịch vụ đã gửi một yêu cầu đăng nhập mà Định Danh không chấp nhận. Hãy quay \
                 lại dịch vụ và thử lại; nếu vẫn lỗi, hãy báo cho đơn vị quản lý dịch vụ.",
            "The service sent a sign-in request that Định Danh does not accept. Go back to \
                 the service and try again; if it fails again, tell the service's operator.",
        ),
    }
}

/// `error` as the browser should see it: the page for a person's browser, the JSON error for
/// a request that asked for JSON.
pub(super) fn answer(headers: &HeaderMap, error: OAuthError) -> Response {
    if page::wants_json(headers) {
        return error.into_response();
    }
    let status = error.status();
    let (title_vi, title_en, text_vi, text_en) = sentences(error.browser_refusal());
    let body = format!(
        r#"<main id="refused" data-error="{code}">
<h1>{title_vi}</h1>
<p class="en" lang="en">{title_en}</p>
<p>{text_vi} <span class="en" lang="en">{text_en}</span></p>
<p class="error-code">Mã lỗi <span lang="en">(error code)</span>: <code>{code}</code></p>
</main>
"#,
        title_vi = escape(title_vi),
        title_en = escape(title_en),
        text_vi = escape(text_vi),
        text_en = escape(text_en),
        code = escape(error.code()),
    );
    let html = page::document(title_vi, "", &body);
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    response = page::secure(response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        h
    }

    #[tokio::test]
    async fn a_browser_gets_a_page_a_script_gets_json() {
        let refused = || {
            OAuthError::access_denied("this browser did not start the sign-in")
                .for_browser(BrowserRefusal::NotThisBrowser)
        };
        let page = answer(&headers("text/html,application/xhtml+xml"), refused());
        assert_eq!(page.status(), 403);
        assert!(
            page.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        let body = axum::body::to_bytes(page.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = String::from_utf8(body.to_vec()).unwrap();
        assert!(body.contains("Trình duyệt này không bắt đầu"), "{body}");
        assert!(body.contains("data-error=\"access_denied\""), "{body}");
        assert!(!body.contains("<script"), "{body}");

        let json = answer(&headers("application/json"), refused());
        assert_eq!(json.status(), 403);
        assert!(
            json.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
    }

    #[test]
    fn an_error_without_a_named_refusal_reads_as_a_bad_request() {
        assert_eq!(
            OAuthError::invalid_request("x").browser_refusal(),
            BrowserRefusal::BadRequest
        );
    }
}
