//! The same-device hand-over by verified https links (Android App Links, iOS Universal Links):
//! the `.well-known` files from the server's configuration (404 without), the login page's
//! "open the app on this phone" link carrying the sign-in's version-2 code and nothing else,
//! the plain page the link shows without the app, and the sign-in handed over by the link
//! continuing in the browser that holds the cookie — and only there.

use crate::common;
use crate::identity;
use crate::oidc_rp;

use common::{Backend, TestServer, backend_test};
use dinhdanh_core::qr_login::ServiceSignInPayload;
use dinhdanh_core::signed_action::Origin;
use dinhdanh_server::infra::config::{
    AndroidApp, AndroidPackage, AppLinks, AppleAppId, CertFingerprint, Config,
};
use dinhdanh_server::testing::oidc;
use dom_query::Document;
use identity::signed_in as person_signed_in;
use oidc_rp::{Flow, Rp, url};
use serde_json::{Value, json};

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

const FINGERPRINT: &str = "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5";

/// The policy of the page seen without the app, written out.
const EXPECTED_APP_PAGE_CSP: &str = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'none'";

fn app_links(link_origin: Option<&str>) -> AppLinks {
    AppLinks {
        android: Some(AndroidApp {
            package_name: AndroidPackage::parse("vn.dinhdanh.app").unwrap(),
            sha256_cert_fingerprints: vec![CertFingerprint::parse(FINGERPRINT).unwrap()],
        }),
        apple_app_ids: vec![AppleAppId::parse("ABCDE12345.vn.dinhdanh.app").unwrap()],
        link_origin: link_origin.map(|o| Origin::parse(o).unwrap()),
    }
}

async fn start(db: Backend, adjust: impl FnOnce(&mut Config)) -> TestServer {
    let data_dir = common::data_dir("app-links");
    let database_url = common::fresh_database_url(db, &data_dir).await;
    TestServer::start_with(
        data_dir,
        database_url,
        dinhdanh_server::testing::ServerKeys::generate(),
        adjust,
    )
    .await
}

/// A client that follows no redirect: iOS refuses an apple-app-site-association behind one.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The login page as a browser opens it: its HTML and the cookie it set (`name=value`).
async fn open_page(t: &TestServer, rp: &Rp, flow: &Flow) -> (String, String) {
    let request_uri = rp.push(t, flow).await;
    let resp = rp
        .http
        .get(rp.authorize_url(t, &request_uri))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (resp.text().await.unwrap(), cookie)
}

/// The page's "open the app on this phone" link, if any.
fn open_app_link(html: &str) -> Option<String> {
    Document::from(html)
        .select("a#open-app")
        .attr("href")
        .map(|h| h.to_string())
}

/// The sign-in the page continues (its "Continue" link).
fn page_sign_in(html: &str) -> String {
    let href = Document::from(html)
        .select("a#continue")
        .attr("href")
        .expect("a continue link")
        .to_string();
    href.split_once("sign_in=").unwrap().1.to_owned()
}

backend_test!(without_an_app_configured_there_are_no_well_known_files_and_no_link);
async fn without_an_app_configured_there_are_no_well_known_files_and_no_link(db: Backend) {
    let t = TestServer::start(db).await;
    for path in [oidc::ASSET_LINKS, oidc::APPLE_APP_SITE_ASSOCIATION] {
        let resp = no_redirects().get(url(&t, path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let (html, _) = open_page(&t, &rp, &Flow::new("openid")).await;
    assert_eq!(open_app_link(&html), None, "a link no app can take");
    assert!(!html.contains("/app/sign-in"));
}

backend_test!(the_well_known_files_name_the_configured_apps_as_json_without_redirect);
async fn the_well_known_files_name_the_configured_apps_as_json_without_redirect(db: Backend) {
    let t = start(db, |c| c.app_links = app_links(None)).await;

    let resp = no_redirects()
        .get(url(&t, oidc::ASSET_LINKS))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!([{
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": "vn.dinhdanh.app",
                "sha256_cert_fingerprints": [FINGERPRINT],
            }
        }])
    );

    let resp = no_redirects()
        .get(url(&t, oidc::APPLE_APP_SITE_ASSOCIATION))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.unwrap();
    let details = &body["applinks"]["details"];
    assert_eq!(details.as_array().unwrap().len(), 1);
    assert_eq!(details[0]["appIDs"], json!(["ABCDE12345.vn.dinhdanh.app"]));
    // Only the sign-in path, and only with a version-2 fragment.
    let components = details[0]["components"].as_array().unwrap();
    assert_eq!(components.len(), 1);
    assert_eq!(components[0]["/"], "/app/sign-in");
    assert_eq!(components[0]["#"], "v=2&*");

    // Only one of the two configured: the other file is 404.
    let t2 = start(db, |c| {
        c.app_links = AppLinks {
            android: None,
            ..app_links(None)
        }
    })
    .await;
    let resp = no_redirects()
        .get(url(&t2, oidc::ASSET_LINKS))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = no_redirects()
        .get(url(&t2, oidc::APPLE_APP_SITE_ASSOCIATION))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

backend_test!(the_login_page_offers_a_link_carrying_the_sign_ins_code_and_nothing_else);
async fn the_login_page_offers_a_link_carrying_the_sign_ins_code_and_nothing_else(db: Backend) {
    let t = start(db, |c| c.app_links = app_links(None)).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let (html, cookie) = open_page(&t, &rp, &Flow::new("openid")).await;
    let link = open_app_link(&html).expect("the open-the-app link");
    // On the issuer's own origin, https-or-loopback, never a custom scheme.
    assert!(
        link.starts_with(&format!("{}/app/sign-in#", t.origin())),
        "{link}"
    );
    let (link_origin, payload) = ServiceSignInPayload::parse_app_link(&link).unwrap();
    assert_eq!(link_origin, t.origin());
    // The same code the QR carries: this sign-in, this server, the page's expiry.
    assert_eq!(payload.sign_in().to_string(), page_sign_in(&html));
    assert_eq!(payload.origin(), &t.origin());
    let doc = Document::from(html.as_str());
    let expires: i64 = doc
        .select("main#login")
        .attr("data-expires-at")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(payload.expires_at(), expires);
    assert_eq!(link, payload.to_app_link(&t.origin()));
    // Nothing of the browser's binding travels with it.
    let cookie_value = cookie.split_once('=').unwrap().1;
    assert!(!link.contains(cookie_value));
    // The page shows the check code of the same payload (the phone shows it too).
    let check = payload.check_code();
    assert!(html.contains(&format!("{} {}", &check[..3], &check[3..])));
    // Shown only on a touch or narrow screen: hidden by default by the page's own style sheet.
    assert_eq!(doc.select(".same-device a#open-app").length(), 1);
    let css = reqwest::get(url(&t, oidc::LOGIN_CSS))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains(".same-device { display: none; }"));
    assert!(css.contains("@media (pointer: coarse)"));

    // A host of its own for the links, when configured.
    let t2 = start(db, |c| {
        c.app_links = app_links(Some("https://app.dinhdanh.example.vn"))
    })
    .await;
    let rp2 = Rp::register(&t2, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let (html, _) = open_page(&t2, &rp2, &Flow::new("openid")).await;
    let link = open_app_link(&html).unwrap();
    let (link_origin, payload) = ServiceSignInPayload::parse_app_link(&link).unwrap();
    assert_eq!(link_origin.as_str(), "https://app.dinhdanh.example.vn");
    assert_eq!(payload.origin(), &t2.origin());
}

backend_test!(the_link_without_the_app_shows_a_plain_page_without_script);
async fn the_link_without_the_app_shows_a_plain_page_without_script(db: Backend) {
    let t = start(db, |c| c.app_links = app_links(None)).await;
    let resp = no_redirects()
        .get(format!("{}#v=2&s=x", url(&t, oidc::APP_SIGN_IN)))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["content-security-policy"], EXPECTED_APP_PAGE_CSP);
    assert_eq!(
        oidc::APP_PAGE_CONTENT_SECURITY_POLICY,
        EXPECTED_APP_PAGE_CSP
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    let html = resp.text().await.unwrap();
    let doc = Document::from(html.as_str());
    assert_eq!(doc.select("script").length(), 0);
    assert_eq!(doc.select("style").length(), 0);
    assert_eq!(doc.select("form").length(), 0);
    for node in doc.select("*").nodes() {
        for attr in node.attrs() {
            let name = attr.name.local.to_string();
            assert!(name != "style" && !name.starts_with("on"), "{name}");
        }
    }
    assert_eq!(doc.select("html").attr("lang").unwrap().to_string(), "vi");
    assert!(html.contains("Chưa mở được ứng dụng Định Danh"));
    assert!(html.contains("Google Play") && html.contains("App Store"));
    assert!(html.contains("quét mã QR"));
    assert!(doc.select("[lang=\"en\"]").length() > 0);
    // No custom scheme anywhere.
    assert!(!html.contains("dinhdanh://") && !html.contains("intent:"));
}

backend_test!(a_sign_in_handed_over_by_the_link_continues_in_the_browser_with_the_cookie_only);
async fn a_sign_in_handed_over_by_the_link_continues_in_the_browser_with_the_cookie_only(
    db: Backend,
) {
    let t = start(db, |c| c.app_links = app_links(None)).await;
    let rp = Rp::register(&t, "Cổng dịch vụ công", "dichvucong.example.vn", false).await;
    let (_, device, _, phone) = person_signed_in(&t).await;
    let flow = Flow::new("openid");
    let (html, cookie) = open_page(&t, &rp, &flow).await;
    let link = open_app_link(&html).unwrap();

    // The app reads the link as it reads a scanned code: the core's parser, then its checks.
    let (_, payload) = ServiceSignInPayload::parse_app_link(&link).unwrap();
    payload.check(t.now(), &t.origin()).unwrap();
    let sign_in = payload.sign_in().to_string();
    let resp = oidc_rp::approve(&t, &phone, &device, &sign_in, None).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());

    // The page's status answer (what its script asks when it comes back to the foreground).
    let status = |cookie: Option<&str>| {
        let mut req = rp
            .http
            .get(format!(
                "{}?sign_in={sign_in}",
                url(&t, oidc::AUTHORIZE_STATUS)
            ))
            .header("accept", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let resp = status(Some(&cookie)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["state"], "approved");
    // Another browser — the link forwarded to someone else's phone — learns and gets nothing.
    let resp = status(None).await.unwrap();
    assert_ne!(resp.status(), 200);
    let resp = rp.continue_with(&t, &sign_in, None).await;
    assert_ne!(resp.status(), 303);
    // The browser that opened the page goes on to the service with a code.
    let code = rp.code(&t, &flow, &sign_in, &cookie).await;
    assert!(!code.is_empty());
}
