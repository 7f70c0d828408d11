//! The login page a desktop browser sees at the authorization endpoint: its headers and strict
//! Content Security Policy, no inline script or style, the QR code of the sign-in (format
//! version 2) with its check code, escaping of the registry's names, the logo route, the
//! page's WebSocket (Origin, cookie, one socket, data frames, the push itself), the status
//! answer behind it, and "new code" with its limit. Each test fails with its rule taken out.

use crate::common;
use crate::identity;
use crate::oidc_rp;

use std::collections::HashSet;
use std::time::Duration;

use common::TestServer;
use common::{Backend, backend_test};
use dinhdanh_core::qr_login::{QrPayload, ServiceSignInPayload};
use dinhdanh_server::testing::clients::{self, ClientRegistration};
use dinhdanh_server::testing::oidc;
use dom_query::Document;
use futures_util::{SinkExt, StreamExt};
use identity::signed_in as person_signed_in;
use oidc_rp::{Flow, PageSocket, Rp, events_request, open_socket, random_text, url};
use qrcode::{Color, EcLevel, QrCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The policy the issue asks for, written out: the server's constant must be exactly this.
const EXPECTED_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// What a browser's navigation sends.
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// The login page as a browser opens it: the response's status, headers and body, and the
/// cookie it set (`name=value`).
struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    html: String,
    cookie: String,
}

impl Page {
    fn doc(&self) -> Document {
        Document::from(self.html.as_str())
    }

    /// The sign-in the page continues.
    fn sign_in(&self) -> String {
        let doc = self.doc();
        let href = doc
            .select("a#continue")
            .attr("href")
            .expect("a continue link");
        href.split_once("sign_in=").unwrap().1.to_owned()
    }
}

async fn open_page(t: &TestServer, rp: &Rp, flow: &Flow) -> Page {
    let request_uri = rp.push(t, flow).await;
    let resp = rp
        .http
        .get(rp.authorize_url(t, &request_uri))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    read_page(resp).await
}

async fn read_page(resp: reqwest::Response) -> Page {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let cookie = headers
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .unwrap_or_default();
    let html = resp.text().await.unwrap();
    Page {
        status,
        headers,
        html,
        cookie,
    }
}

/// The page of an existing sign-in, with this browser's cookie.
async fn page_of(t: &TestServer, rp: &Rp, sign_in: &str, cookie: &str) -> Page {
    let resp = rp
        .http
        .get(format!(
            "{}?sign_in={sign_in}",
            url(t, oidc::AUTHORIZE_PAGE)
        ))
        .header("accept", BROWSER_ACCEPT)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    read_page(resp).await
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

fn assert_strict_headers(headers: &reqwest::header::HeaderMap) {
    assert_eq!(header(headers, "content-security-policy"), EXPECTED_CSP);
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(headers, "x-frame-options"), "DENY");
    assert_eq!(header(headers, "referrer-policy"), "no-referrer");
}

/// No script without `src`, no `<style>`, no `style=` and no `on…=` attribute anywhere.
fn assert_no_inline_script_or_style(doc: &Document) {
    let scripts = doc.select("script");
    assert!(scripts.length() > 0, "the page has its script file");
    for script in scripts.iter() {
        assert!(script.attr("src").is_some(), "an inline script");
        assert!(script.text().trim().is_empty(), "a script with a body");
    }
    assert_eq!(doc.select("style").length(), 0, "an inline style sheet");
    for node in doc.select("*").nodes() {
        for attr in node.attrs() {
            let name = attr.name.local.to_string().to_ascii_lowercase();
            assert!(
                name != "style",
                "a style attribute on <{:?}>",
                node.node_name()
            );
            assert!(
                !name.starts_with("on"),
                "an event handler attribute {name} on <{:?}>",
                node.node_name()
            );
        }
    }
}

/// The dark modules of a QR code drawn by the `qrcode` crate's SVG renderer (one
/// `M{x} {y}h{w}v{h}H{x}V{y}` rectangle per run), as a grid of `side` modules a side.
fn modules_of_svg(svg: &str, side: usize) -> Vec<bool> {
    let width: usize = svg
        .split("width=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(width % side, 0, "whole pixels per module");
    let px = width / side;
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut grid = vec![false; side * side];
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = rect.split_once('h').unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        let (w, rest) = rest.split_once('v').unwrap();
        let h = rest.split_once('H').unwrap().0;
        let [x, y, w, h]: [usize; 4] = [x, y, w, h].map(|n| n.parse().unwrap());
        for row in (y / px)..((y + h) / px) {
            for col in (x / px)..((x + w) / px) {
                grid[row * side + col] = true;
            }
        }
    }
    grid
}

/// The QR code the page shows, read back from its SVG: does it encode exactly `uri`?
fn qr_encodes(img_src: &str, uri: &str) -> bool {
    use base64::Engine as _;
    let b64 = img_src
        .strip_prefix("data:image/svg+xml;base64,")
        .expect("an SVG data URI");
    let svg = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap(),
    )
    .unwrap();
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).unwrap();
    let n = code.width();
    let side = n + 8; // the quiet zone: four modules on each side
    let got = modules_of_svg(&svg, side);
    let colors = code.to_colors();
    (0..side * side).all(|i| {
        let (row, col) = (i / side, i % side);
        let expected = if (4..n + 4).contains(&row) && (4..n + 4).contains(&col) {
            colors[(row - 4) * n + (col - 4)] == Color::Dark
        } else {
            false
        };
        got[i] == expected
    })
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

backend_test!(a_browser_gets_a_login_page_with_a_strict_policy_and_no_inline_script);
async fn a_browser_gets_a_login_page_with_a_strict_policy_and_no_inline_script(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid profile")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(oidc::CONTENT_SECURITY_POLICY, EXPECTED_CSP);
    assert_strict_headers(&page.headers);
    assert_eq!(header(&page.headers, "cache-control"), "no-store");
    assert!(header(&page.headers, "content-type").starts_with("text/html"));
    assert!(page.cookie.starts_with("dd_oidc_browser="));
    let doc = page.doc();
    assert_no_inline_script_or_style(&doc);
    // Vietnamese first, English beside it.
    assert_eq!(doc.select("html").attr("lang").as_deref(), Some("vi"));
    assert!(doc.select("[lang=en]").length() >= 5);
    assert!(
        doc.select("h1")
            .text()
            .contains("Cổng dịch vụ công (thử nghiệm)")
    );
    assert!(
        doc.select("[lang=en]")
            .text()
            .contains("Cổng dịch vụ công (test)")
    );
    assert!(page.html.contains("Quét mã QR"));
    // Every image says what it is.
    for img in doc.select("img").iter() {
        assert!(img.attr("alt").is_some_and(|a| !a.is_empty()));
    }
    // The script and the style sheet are this server's files, under the same policy.
    let script = doc.select("script").attr("src").unwrap().to_string();
    let style = doc
        .select("link[rel=stylesheet]")
        .attr("href")
        .unwrap()
        .to_string();
    assert_eq!(script, oidc::LOGIN_JS);
    assert_eq!(style, oidc::LOGIN_CSS);
    for (path, kind) in [(script, "text/javascript"), (style, "text/css")] {
        let resp = reqwest::get(url(&t, &path)).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(header(resp.headers(), "content-type").starts_with(kind));
        assert_strict_headers(resp.headers());
    }
    // A caller asking for JSON still gets JSON (tests/oidc.rs).
    let request_uri = rp.push(&t, &Flow::new("openid")).await;
    let resp = rp
        .http
        .get(rp.authorize_url(&t, &request_uri))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert!(body["sign_in"].is_string());
}

backend_test!(a_browser_refused_gets_a_page_that_says_why_in_both_languages);
async fn a_browser_refused_gets_a_page_that_says_why_in_both_languages(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let flow = Flow::new("openid profile");
    let request_uri = rp.push(&t, &flow).await;
    let open = |cookie: Option<String>, target: String| {
        let mut req = rp.http.get(target).header("accept", BROWSER_ACCEPT);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move { read_page(req.send().await.unwrap()).await }
    };
    let first = open(None, rp.authorize_url(&t, &request_uri)).await;
    assert_eq!(first.status, 200, "{}", first.html);
    let sign_in = first.sign_in();
    let continue_url = format!("{}?sign_in={sign_in}", url(&t, oidc::AUTHORIZE_CONTINUE));
    // Each refusal a person's browser can meet: (what, status, error, heading).
    let cases = [
        // The same page opened again (a reload, or a tab the phone's browser discarded).
        (
            open(
                Some(first.cookie.clone()),
                rp.authorize_url(&t, &request_uri),
            )
            .await,
            400,
            "invalid_request",
            "Trang đăng nhập này đã được mở hoặc đã hết hạn",
        ),
        // The continuation in another browser (a relayed link), with and without a cookie.
        (
            open(
                Some("dd_oidc_browser=c29tZW9uZS1lbHNl".into()),
                continue_url.clone(),
            )
            .await,
            403,
            "access_denied",
            "Trình duyệt này không bắt đầu lần đăng nhập này",
        ),
        (
            open(None, continue_url.clone()).await,
            403,
            "access_denied",
            "Trình duyệt này không bắt đầu lần đăng nhập này",
        ),
        // The login page of that sign-in in another browser.
        (
            page_of(&t, &rp, &sign_in, "dd_oidc_browser=c29tZW9uZS1lbHNl").await,
            403,
            "access_denied",
            "Trình duyệt này không bắt đầu lần đăng nhập này",
        ),
        // A sign-in this server never made.
        (
            open(
                Some(first.cookie.clone()),
                format!(
                    "{}?sign_in=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    url(&t, oidc::AUTHORIZE_CONTINUE)
                ),
            )
            .await,
            400,
            "invalid_request",
            "Không tìm thấy lần đăng nhập này",
        ),
    ];
    for (page, status, error, heading) in cases {
        assert_eq!(page.status, status, "{}", page.html);
        assert_strict_headers(&page.headers);
        assert!(header(&page.headers, "content-type").starts_with("text/html"));
        let doc = page.doc();
        // No script at all, and no inline style.
        assert_eq!(
            doc.select("script, style, [style]").length(),
            0,
            "{}",
            page.html
        );
        assert_eq!(doc.select("html").attr("lang").as_deref(), Some("vi"));
        assert_eq!(
            doc.select("main#refused").attr("data-error").as_deref(),
            Some(error)
        );
        assert_eq!(doc.select("h1").text().as_ref(), heading, "{}", page.html);
        assert!(!doc.select("[lang=en]").text().is_empty());
    }
    // The browser that started it is still waiting, unharmed.
    let mine = page_of(&t, &rp, &sign_in, &first.cookie).await;
    assert_eq!(mine.status, 200, "{}", mine.html);
}

backend_test!(the_page_shows_the_v2_qr_code_of_its_sign_in_with_the_check_code);
async fn the_page_shows_the_v2_qr_code_of_its_sign_in_with_the_check_code(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    let doc = page.doc();
    let sign_in = page.sign_in();
    let expires_at: i64 = doc
        .select("main")
        .attr("data-expires-at")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires_at, t.now() + oidc::SIGN_IN_SECS);
    let uri = format!(
        "dinhdanh://login?v=2&s={sign_in}&o={}&e={expires_at}",
        t.origin().as_str()
    );
    // The format's one parser reads it as this sign-in on this server.
    let QrPayload::ServiceSignIn(payload) = QrPayload::parse(&uri).unwrap() else {
        panic!("not a service sign-in");
    };
    assert_eq!(payload.sign_in().to_string(), sign_in);
    assert_eq!(payload.origin(), &t.origin());
    assert_eq!(payload.check(t.now(), &t.origin()), Ok(()));
    // The picture encodes exactly that payload.
    let qr = doc.select("img.qr-code");
    let src = qr.attr("src").unwrap().to_string();
    assert!(
        qr_encodes(&src, &uri),
        "the QR code is not the sign-in's v2 payload"
    );
    let other = ServiceSignInPayload::new(
        dinhdanh_core::qr_login::RendezvousId::from_bytes(&[7; 32]).unwrap(),
        t.origin(),
        expires_at,
    )
    .unwrap();
    assert!(!qr_encodes(&src, &other.to_uri()));
    // The check code beside it, and in the QR's text alternative.
    let code = payload.check_code();
    let shown = format!("{} {}", &code[..3], &code[3..]);
    assert!(doc.select(".check strong").text().contains(&shown));
    let alt = qr.attr("alt").unwrap().to_string();
    assert!(alt.contains("Định Danh") && alt.contains(&shown), "{alt}");
    // The phone reads the same sign-in.
    let (_, _, _, phone) = person_signed_in(&t).await;
    let resp = oidc_rp::read(&t, &phone, &payload.sign_in().to_string()).await;
    assert_eq!(resp.status(), 200);
}

backend_test!(names_from_the_registry_are_escaped_on_the_page);
async fn names_from_the_registry_are_escaped_on_the_page(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(
        &t,
        "Dịch vụ <script>alert(1)</script> & \"x\"",
        "dichvucong.example.vn",
        false,
    )
    .await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!page.html.contains("<script>alert"), "an unescaped name");
    assert!(
        page.html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;")
    );
    let doc = page.doc();
    assert_no_inline_script_or_style(&doc);
    // Parsed back, the name is the registered text.
    assert!(
        doc.select("h1")
            .text()
            .contains("Dịch vụ <script>alert(1)</script> & \"x\" (thử nghiệm)")
    );
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 0x80]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

backend_test!(the_logo_route_serves_a_clients_stored_png_and_nothing_else);
async fn the_logo_route_serves_a_clients_stored_png_and_nothing_else(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let with_logo = clients::add_client(
        t.state(),
        &ClientRegistration {
            name_vi: "Thuế điện tử".into(),
            name_en: "e-Tax".into(),
            redirect_uris: vec!["https://thue.example.vn/callback".into()],
            jwks: json!({"keys": [oidc_rp::public_jwk(&rp.key, Some("k1"))]}).to_string(),
            sector: None,
            allowed_claims: vec![],
            allow_organisations: false,
            allow_citizen_id: false,
            logo: Some(png(32, 24)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let logo_url = |id: &str| url(&t, &oidc::CLIENT_LOGO.replace("{client_id}", id));
    let resp = reqwest::get(logo_url(&with_logo.id)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(header(resp.headers(), "content-type"), "image/png");
    assert_strict_headers(resp.headers());
    let stored = clients::find_client(t.state(), &with_logo.id)
        .await
        .unwrap()
        .unwrap()
        .logo_png
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap().to_vec(), stored);
    // A client without a logo, an unknown client, a disabled one: nothing.
    for id in [rp.client_id.as_str(), "rp_unknown", "../../etc/passwd"] {
        let resp = reqwest::get(logo_url(id)).await.unwrap();
        assert_eq!(resp.status(), 404, "{id}");
    }
    clients::disable_client(t.state(), &with_logo.id)
        .await
        .unwrap();
    assert_eq!(
        reqwest::get(logo_url(&with_logo.id))
            .await
            .unwrap()
            .status(),
        404
    );
    // The page of a service without a logo shows none.
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    assert_eq!(page.doc().select("img.logo").length(), 0);
}

// ---------------------------------------------------------------------------------------------
// The page's socket
// ---------------------------------------------------------------------------------------------

/// The status of a refused socket, or `None` when it opened.
async fn refused(
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
) -> Option<u16> {
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Some(resp.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn next_frame(socket: &mut PageSocket) -> Option<Message> {
    tokio::time::timeout(Duration::from_secs(3), socket.next())
        .await
        .expect("a frame within 3 s")
        .map(|m| m.unwrap())
}

backend_test!(the_pages_socket_needs_the_issuers_origin_and_the_browsers_cookie);
async fn the_pages_socket_needs_the_issuers_origin_and_the_browsers_cookie(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    let other_browser = open_page(&t, &rp, &Flow::new("openid")).await;
    assert_ne!(page.cookie, other_browser.cookie);
    let sign_in = page.sign_in();
    let origin = t.origin();
    let origin = origin.as_str();
    // Another site's page, even with the person's cookie; no Origin at all.
    for bad in [
        "https://evil.example",
        "null",
        &format!("{origin}.evil.example"),
    ] {
        assert_eq!(
            refused(events_request(&t, &sign_in, Some(bad), Some(&page.cookie))).await,
            Some(403),
            "{bad}"
        );
    }
    assert_eq!(
        refused(events_request(&t, &sign_in, None, Some(&page.cookie))).await,
        Some(403)
    );
    // No cookie; another browser's cookie; a made-up one.
    assert_eq!(
        refused(events_request(&t, &sign_in, Some(origin), None)).await,
        Some(403)
    );
    assert_eq!(
        refused(events_request(
            &t,
            &sign_in,
            Some(origin),
            Some(&other_browser.cookie)
        ))
        .await,
        Some(403)
    );
    let made_up = format!("dd_oidc_browser={}", random_text());
    assert_eq!(
        refused(events_request(&t, &sign_in, Some(origin), Some(&made_up))).await,
        Some(403)
    );
    // The right browser on the right page: open.
    assert_eq!(
        refused(events_request(
            &t,
            &sign_in,
            Some(origin),
            Some(&page.cookie)
        ))
        .await,
        None
    );
}

backend_test!(the_phones_approval_is_pushed_to_the_page_which_then_continues);
async fn the_phones_approval_is_pushed_to_the_page_which_then_continues(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let flow = Flow::new("openid");
    let page = open_page(&t, &rp, &flow).await;
    let sign_in = page.sign_in();
    let mut socket = open_socket(&t, &sign_in, &page.cookie).await;
    // A second socket for the same sign-in is refused while the first waits.
    let origin = t.origin();
    assert_eq!(
        refused(events_request(
            &t,
            &sign_in,
            Some(origin.as_str()),
            Some(&page.cookie)
        ))
        .await,
        Some(409)
    );
    // Nothing yet: the status says pending.
    let status = status_of(&t, &rp, &sign_in, &page.cookie).await;
    assert_eq!(status, "pending");
    let started = std::time::Instant::now();
    let resp = oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    // Pushed, well before the 5-s safety-net re-read.
    match next_frame(&mut socket).await {
        Some(Message::Text(text)) => {
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            assert_eq!(v["state"], "approved");
        }
        other => panic!("expected the answer, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status_of(&t, &rp, &sign_in, &page.cookie).await, "approved");
    // The page continues: the code goes to the service.
    let code = rp.code(&t, &flow, &sign_in, &page.cookie).await;
    assert!(!code.is_empty());
    assert_eq!(status_of(&t, &rp, &sign_in, &page.cookie).await, "used");
}

async fn status_of(t: &TestServer, rp: &Rp, sign_in: &str, cookie: &str) -> String {
    let resp = rp
        .http
        .get(format!(
            "{}?sign_in={sign_in}",
            url(t, oidc::AUTHORIZE_STATUS)
        ))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(header(resp.headers(), "cache-control"), "no-store");
    let v: Value = resp.json().await.unwrap();
    v["state"].as_str().unwrap().to_owned()
}

backend_test!(the_status_answers_the_browser_with_the_cookie_only);
async fn the_status_answers_the_browser_with_the_cookie_only(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    let other = open_page(&t, &rp, &Flow::new("openid")).await;
    let sign_in = page.sign_in();
    for cookie in [None, Some(other.cookie.as_str())] {
        let mut req = rp.http.get(format!(
            "{}?sign_in={sign_in}",
            url(&t, oidc::AUTHORIZE_STATUS)
        ));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        assert_eq!(req.send().await.unwrap().status(), 403);
    }
    t.clock.advance(oidc::SIGN_IN_SECS);
    assert_eq!(status_of(&t, &rp, &sign_in, &page.cookie).await, "expired");
}

backend_test!(a_data_frame_closes_the_pages_socket);
async fn a_data_frame_closes_the_pages_socket(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    let mut socket = open_socket(&t, &page.sign_in(), &page.cookie).await;
    socket.send(Message::Ping(vec![7u8].into())).await.unwrap();
    assert!(matches!(
        next_frame(&mut socket).await,
        Some(Message::Pong(_))
    ));
    socket.send(Message::text("hello")).await.unwrap();
    match next_frame(&mut socket).await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Policy),
        other => panic!("expected a policy close, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// New code
// ---------------------------------------------------------------------------------------------

/// The browser asks for a new code for `sign_in` (the page's form); the response.
async fn new_code(t: &TestServer, rp: &Rp, sign_in: &str, cookie: &str) -> reqwest::Response {
    rp.http
        .post(format!(
            "{}?sign_in={sign_in}",
            url(t, oidc::AUTHORIZE_REFRESH)
        ))
        .header("cookie", cookie)
        .header("origin", t.origin().as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap()
}

fn location_sign_in(resp: &reqwest::Response) -> String {
    assert_eq!(resp.status(), 303);
    let location = header(resp.headers(), "location");
    assert!(location.starts_with(oidc::AUTHORIZE_PAGE), "{location}");
    location.split_once("sign_in=").unwrap().1.to_owned()
}

backend_test!(the_new_code_form_is_accepted_as_chromium_posts_it_from_a_no_referrer_page);
async fn the_new_code_form_is_accepted_as_chromium_posts_it_from_a_no_referrer_page(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    let first = page.sign_in();
    t.clock.advance(oidc::SIGN_IN_SECS);
    let post = |fetch_site: Option<&'static str>| {
        let mut request = rp
            .http
            .post(format!(
                "{}?sign_in={first}",
                url(&t, oidc::AUTHORIZE_REFRESH)
            ))
            .header("cookie", &page.cookie)
            // The login page is served with `Referrer-Policy: no-referrer`: its own form's
            // Origin is `null` (seen from Chromium in tests/tests/e2e_oidc_browser.rs).
            .header("origin", "null")
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    // `null` alone, or from another site (a sandboxed frame there sends `null` too): refused.
    assert_eq!(post(None).await.unwrap().status(), 403);
    assert_eq!(post(Some("cross-site")).await.unwrap().status(), 403);
    assert_eq!(post(Some("same-site")).await.unwrap().status(), 403);
    // The page's own form, as the browser says: a new code.
    let resp = post(Some("same-origin")).await.unwrap();
    assert_ne!(location_sign_in(&resp), first);
}

backend_test!(an_expired_code_is_made_again_for_the_same_request_a_limited_number_of_times);
async fn an_expired_code_is_made_again_for_the_same_request_a_limited_number_of_times(db: Backend) {
    let t = TestServer::start(db).await;
    let (_, device, _, phone) = person_signed_in(&t).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let flow = Flow::new("openid");
    let page = open_page(&t, &rp, &flow).await;
    let first = page.sign_in();
    // Not expired yet: shown again, nothing made.
    let resp = new_code(&t, &rp, &first, &page.cookie).await;
    assert_eq!(location_sign_in(&resp), first);
    // Another browser cannot ask; nor another site's page.
    t.clock.advance(oidc::SIGN_IN_SECS);
    let other = format!("dd_oidc_browser={}", random_text());
    assert_eq!(new_code(&t, &rp, &first, &other).await.status(), 403);
    let cross = rp
        .http
        .post(format!(
            "{}?sign_in={first}",
            url(&t, oidc::AUTHORIZE_REFRESH)
        ))
        .header("cookie", &page.cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    // The page of the expired code offers a new one.
    let expired = page_of(&t, &rp, &first, &page.cookie).await;
    assert_eq!(expired.status, 200);
    assert_strict_headers(&expired.headers);
    let doc = expired.doc();
    assert!(doc.select("#waiting").attr("hidden").is_some());
    assert!(doc.select("#expired").attr("hidden").is_none());
    assert!(
        doc.select("#expired form button")
            .text()
            .contains("Làm mới mã")
    );

    let mut seen = HashSet::from([first.clone()]);
    let mut current = first.clone();
    for _ in 0..oidc::MAX_REFRESHES {
        let resp = new_code(&t, &rp, &current, &page.cookie).await;
        let next = location_sign_in(&resp);
        assert!(seen.insert(next.clone()), "a new sign-in each time");
        // The old one is retired: the phone cannot answer it, the browser cannot continue it.
        let old = oidc_rp::read(&t, &phone, &current).await;
        assert_ne!(old.status(), 200);
        let new_page = page_of(&t, &rp, &next, &page.cookie).await;
        assert_eq!(new_page.status, 200);
        assert!(new_page.doc().select("#waiting").attr("hidden").is_none());
        current = next;
        t.clock.advance(oidc::SIGN_IN_SECS);
    }
    // The limit: no more new codes, and the page says so.
    assert_eq!(
        new_code(&t, &rp, &current, &page.cookie).await.status(),
        403
    );
    let last = page_of(&t, &rp, &current, &page.cookie).await;
    assert_eq!(last.doc().select("#expired form").length(), 0);

    // A new code carries the same pushed request: approved, its code redeems with the flow's
    // PKCE verifier, and the ID token has the flow's nonce.
    let page = open_page(&t, &rp, &flow).await;
    let first = page.sign_in();
    t.clock.advance(oidc::SIGN_IN_SECS);
    let renewed = location_sign_in(&new_code(&t, &rp, &first, &page.cookie).await);
    let resp = oidc_rp::approve(&t, &phone, &device, &renewed, None).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    let code = rp.code(&t, &flow, &renewed, &page.cookie).await;
    let resp = rp.token(&t, &code, &flow.verifier).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

backend_test!(new_codes_stop_at_the_requests_hour);
async fn new_codes_stop_at_the_requests_hour(db: Backend) {
    let t = TestServer::start(db).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", true).await;
    let page = open_page(&t, &rp, &Flow::new("openid")).await;
    let first = page.sign_in();
    // Left open for most of an hour: one more code, cut to the hour's end, then no more.
    t.clock.advance(oidc::REQUEST_LIFE_SECS - 100);
    let next = location_sign_in(&new_code(&t, &rp, &first, &page.cookie).await);
    let doc = page_of(&t, &rp, &next, &page.cookie).await.doc();
    let expires_at: i64 = doc
        .select("main")
        .attr("data-expires-at")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires_at, t.now() + 100, "never past the request's hour");
    t.clock.advance(100);
    assert_eq!(new_code(&t, &rp, &next, &page.cookie).await.status(), 403);
}
