//! The officer console (`/console/`), driven over HTTP on loopback like a browser: sign-in
//! through the OpenID provider's real login page with the phone (the test's device) approving,
//! the session and its limits, the officer check on every request, the queue of the officer's
//! province, sign-out's CSRF proof, and the headers of every page. Each test fails with its
//! rule taken out (see the report of the round that added it).

use crate::common;
use crate::identity;
use crate::oidc_rp;

use std::collections::BTreeMap;

use common::{Auth, Backend, TestServer, backend_test};
use dinhdanh_core::api::{
    ActionOrigin, ChallengePurpose, DesktopActionEvent, PendingDesktopAction, RegistrationStatus,
    paths,
};
use dinhdanh_core::ids::{NewProvince, RegistrationId};
use dinhdanh_core::org_type::{DocumentKind, OrgType, OrganisationForm, RepresentativeForm};
use dinhdanh_core::signed_action::ActionKind;
use dinhdanh_server::testing::{officers, registrations};
use dom_query::Document;
use identity::Person;

/// The policy the issue asks for (the login page's, written out).
const EXPECTED_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n";
/// A 2×2 PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00\x00\xfd\xd4\x9a\x73\x00\x00\x00\x11\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x44\x0c\x60\xf2\x3f\x00\x1b\xf2\x03\xfd\xf3\xe7\x4b\xb1\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// A browser: its cookies (every path, a superset of what a browser would send) and no
/// automatic redirects, so each step is seen.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

/// A page as the browser got it.
struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Got {
    fn doc(&self) -> Document {
        Document::from(self.body.as_str())
    }

    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|l| l.to_str().unwrap())
            .unwrap_or_default()
    }

    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

impl Browser {
    fn new(t: &TestServer) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: t.server.base_url(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, resp: reqwest::Response) -> Got {
        for c in resp.headers().get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Got {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn get(&mut self, path: &str) -> Got {
        let resp = self
            .http
            .get(self.url(path))
            .header("accept", BROWSER_ACCEPT)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(resp).await
    }

    /// A form posted from one of the console's own pages (Chromium under `no-referrer`:
    /// `Origin: null` with `Sec-Fetch-Site: same-origin`).
    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Got {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let resp = self
            .http
            .post(self.url(path))
            .header("accept", BROWSER_ACCEPT)
            .header("cookie", self.cookie_header())
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(resp).await
    }
}

impl Browser {
    /// A `multipart/form-data` form posted from a console page, as Chromium sends the intake
    /// form: text `fields`, then `files` (name, content).
    async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Got {
        let boundary = "----DinhDanhTestBoundary7f3a9c";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (name, content) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"scan\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let resp = self
            .http
            .post(self.url(path))
            .header("accept", BROWSER_ACCEPT)
            .header("cookie", self.cookie_header())
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.keep(resp).await
    }
}

/// An officer's phone: a person with a bound device and a session.
struct Phone {
    person: Person,
    device: common::Device,
    device_id: dinhdanh_core::ids::DeviceId,
    session: common::Session,
}

async fn phone(t: &TestServer) -> Phone {
    let (person, device, view, session) = identity::signed_in(t).await;
    Phone {
        person,
        device,
        device_id: view.id,
        session,
    }
}

impl Phone {
    /// The app signs in again (after the test's clock moved past the session's life).
    async fn sign_in_again(&mut self, t: &TestServer) {
        self.session = identity::sign_in(t, &self.person, &self.device, &self.device_id).await;
    }
}

async fn officer(t: &TestServer, province: &str) -> Phone {
    let p = phone(t).await;
    officers::grant_officer(
        t.state(),
        &p.person.citizen_id,
        NewProvince::parse(province).unwrap(),
    )
    .await
    .unwrap();
    p
}

/// A type-4 request of Hà Nội, filed at the desk by `filer` (an officer of Hà Nội).
/// A request filed, as the console shows it.
struct Filed {
    id: dinhdanh_core::ids::RegistrationId,
    name: String,
    /// Its head, the requester.
    head: Person,
}

async fn ha_noi_request(t: &TestServer, filer: &Person) -> Filed {
    ha_noi_request_with(t, filer, PDF).await
}

/// The same, its founding decision `document` (a PDF or an image).
async fn ha_noi_request_with(t: &TestServer, filer: &Person, document: &[u8]) -> Filed {
    request_in(t, filer, "ha_noi", document).await
}

/// A number no other request of this test process has: names must differ (a second request for
/// the same name is refused as a duplicate), and the paging test files more than fifty, where
/// random numbers below 100,000 collided about once in seventy runs.
fn next_request_number() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A type-4 request whose head office is in `province`, filed at the desk by `filer` (an
/// officer of that province).
async fn request_in(t: &TestServer, filer: &Person, province: &str, document: &[u8]) -> Filed {
    let head = identity::person(t, false).await;
    let form = OrganisationForm {
        name_vi: format!("Hội Cờ tướng phường {}", next_request_number()),
        established_on: "2019-09-01".into(),
        head_office_address: "Số 18 phố Duy Tân, phường Cầu Giấy".into(),
        head_office_province: province.into(),
        representatives: vec![RepresentativeForm {
            full_name: "Nguyễn Thị Lan".into(),
            citizen_id: head.citizen_id.as_str().into(),
        }],
        contact_phone: "0912345678".into(),
        ..OrganisationForm::default()
    };
    let view = registrations::register_in_person(
        t.state(),
        &filer.citizen_id,
        &head.citizen_id,
        OrgType::OrganisationWithoutRegistration,
        &form,
        &[(DocumentKind::FoundingDecision, document.to_vec())],
    )
    .await
    .unwrap();
    assert_eq!(view.status, RegistrationStatus::AwaitingOfficer);
    Filed {
        id: view.id,
        name: form.name_vi,
        head,
    }
}

/// The whole sign-in: the console's button, the provider's login page, the phone's approval,
/// the browser's continuation; the callback's answer.
async fn sign_in(t: &TestServer, browser: &mut Browser, phone: &Phone) -> Got {
    let page = browser.get("/console/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.doc()
            .select("form[action='/console/sign-in']")
            .length(),
        1,
        "the sign-in page's button"
    );
    let started = browser.post_form("/console/sign-in", &[]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    assert!(
        started
            .location()
            .starts_with("/oidc/authorize?client_id=rp_console&request_uri="),
        "{}",
        started.location()
    );
    let login = browser.get(started.location()).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let href = login
        .doc()
        .select("a#continue")
        .attr("href")
        .expect("the login page's continue link")
        .to_string();
    let sign_in = href.split_once("sign_in=").unwrap().1.to_owned();
    let approved = oidc_rp::approve(t, &phone.session, &phone.device, &sign_in, None).await;
    assert_eq!(approved.status(), 204, "{}", approved.text().await.unwrap());
    let back = browser.get(&href).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let callback = back.location().to_owned();
    assert!(
        callback.starts_with(&format!("{}/console/callback?code=", t.server.base_url())),
        "{callback}"
    );
    browser.get(&callback).await
}

async fn console_sessions(t: &TestServer) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM console_sessions")
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

fn queue_names(page: &Got) -> Vec<String> {
    page.doc()
        .select("table.queue tbody tr td:first-child a")
        .iter()
        .map(|a| a.text().to_string())
        .collect()
}

backend_test!(an_officer_signs_in_with_the_phone_and_lands_on_the_queue_of_their_province);
async fn an_officer_signs_in_with_the_phone_and_lands_on_the_queue_of_their_province(db: Backend) {
    let t = TestServer::start(db).await;
    let mut officer = officer(&t, "ha_noi").await;
    let early = ha_noi_request(&t, &officer.person).await;
    t.clock.advance(10 * 86_400);
    let late = ha_noi_request(&t, &officer.person).await;
    // 18 days after the first: past its 15 days, the second still within its own.
    t.clock.advance(8 * 86_400);
    officer.sign_in_again(&t).await;
    let mut browser = Browser::new(&t);
    let signed_in = sign_in(&t, &mut browser, &officer).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location(), "/console/");
    let cookie = signed_in
        .set_cookie("dd_console")
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert_eq!(console_sessions(&t).await, 1);

    let queue = browser.get("/console/").await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(
        queue_names(&queue),
        vec![early.name.clone(), late.name.clone()]
    );
    let doc = queue.doc();
    let rows = doc.select("table.queue tbody tr");
    let first = rows.iter().next().unwrap();
    assert!(first.has_class("overdue"));
    assert!(first.text().contains("Quá hạn"), "{}", first.text());
    let second = rows.iter().nth(1).unwrap();
    assert!(!second.has_class("overdue"));
    assert!(second.text().contains("ngày làm việc"), "{}", second.text());

    // The row's link opens the request's page.
    let href = first.select("a").attr("href").unwrap().to_string();
    assert_eq!(href, format!("/console/requests/{}", early.id));
    let page = browser.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(early.id.as_str()));

    // Filters: by type and by status.
    let none = browser.get("/console/?type=enterprise").await;
    assert_eq!(none.status, 200);
    assert!(queue_names(&none).is_empty());
    let asked = browser.get("/console/?status=information_requested").await;
    assert!(queue_names(&asked).is_empty());
    let all = browser
        .get("/console/?status=awaiting_officer&type=organisation_without_registration")
        .await;
    assert_eq!(queue_names(&all).len(), 2);
    let bad = browser.get("/console/?status=approved").await;
    assert_eq!(bad.status, 400, "a status the queue never holds");

    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'console.sign_in' AND actor = $1",
    )
    .bind(officer.person.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

backend_test!(a_person_who_is_not_an_officer_is_told_so_and_gets_no_session);
async fn a_person_who_is_not_an_officer_is_told_so_and_gets_no_session(db: Backend) {
    let t = TestServer::start(db).await;
    let person = phone(&t).await;
    let mut browser = Browser::new(&t);
    let answer = sign_in(&t, &mut browser, &person).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer.body.contains("không phải tài khoản cán bộ"),
        "{}",
        answer.body
    );
    assert!(answer.set_cookie("dd_console").is_none());
    assert_eq!(console_sessions(&t).await, 0);
    // Still the sign-in page, not the queue.
    let again = browser.get("/console/").await;
    assert!(again.doc().select("table.queue").is_empty());
    assert_eq!(
        again
            .doc()
            .select("form[action='/console/sign-in']")
            .length(),
        1
    );
}

backend_test!(an_officer_of_another_province_sees_none_of_this_provinces_requests);
async fn an_officer_of_another_province_sees_none_of_this_provinces_requests(db: Backend) {
    let t = TestServer::start(db).await;
    let ha_noi = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &ha_noi.person).await;
    let elsewhere = officer(&t, "ho_chi_minh").await;
    let mut browser = Browser::new(&t);
    let signed_in = sign_in(&t, &mut browser, &elsewhere).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let queue = browser.get("/console/").await;
    assert_eq!(queue.status, 200);
    assert!(queue_names(&queue).is_empty());
    assert!(!queue.body.contains(&request.name));
    assert!(
        queue
            .doc()
            .select(".summary strong")
            .text()
            .starts_with('0')
    );
    let page = browser
        .get(&format!("/console/requests/{}", request.id))
        .await;
    assert_eq!(page.status, 404, "{}", page.body);
    assert!(!page.body.contains(&request.name));
}

backend_test!(a_session_ends_after_fifteen_idle_minutes_and_after_eight_hours);
async fn a_session_ends_after_fifteen_idle_minutes_and_after_eight_hours(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let signed_in = |g: &Got| !g.doc().select("table.queue, p.empty").is_empty();

    // 14 minutes idle: still in; then 15 minutes without a request: out.
    t.clock.advance(14 * 60);
    assert!(signed_in(&browser.get("/console/").await));
    t.clock.advance(15 * 60);
    let out = browser.get("/console/").await;
    assert!(!signed_in(&out), "idle for 15 minutes");
    assert_eq!(
        out.doc().select("form[action='/console/sign-in']").length(),
        1
    );

    // Busy all day: a request every ten minutes, and still out at eight hours.
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let start = t.now();
    while t.now() + 600 < start + 8 * 3600 {
        t.clock.advance(600);
        assert!(
            signed_in(&browser.get("/console/").await),
            "at {}",
            t.now() - start
        );
    }
    t.clock.advance(start + 8 * 3600 - t.now());
    assert!(
        !signed_in(&browser.get("/console/").await),
        "eight hours after sign-in"
    );
}

backend_test!(withdrawing_the_officer_role_ends_the_console_session_at_once);
async fn withdrawing_the_officer_role_ends_the_console_session_at_once(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    assert_eq!(browser.get("/console/").await.status, 200);
    let ended = officers::revoke_officer(t.state(), &officer.person.citizen_id)
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(
        console_sessions(&t).await,
        0,
        "ended in the same transaction"
    );
    let next = browser.get("/console/").await;
    assert!(next.doc().select("table.queue, p.empty").is_empty());
    assert_eq!(
        next.doc()
            .select("form[action='/console/sign-in']")
            .length(),
        1
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'officer.revoked.ha_noi' AND object = $1",
    )
    .bind(format!("account:{}", officer.person.account))
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Signing in again: no longer an officer.
    let again = sign_in(&t, &mut browser, &officer).await;
    assert_eq!(again.status, 403);
}

backend_test!(the_role_is_read_on_every_request_not_kept_in_the_session);
async fn the_role_is_read_on_every_request_not_kept_in_the_session(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    assert_eq!(queue_names(&browser.get("/console/").await).len(), 1);
    // Moved to another province by the operator: the next page is that province's.
    officers::grant_officer(
        t.state(),
        &officer.person.citizen_id,
        NewProvince::parse("ho_chi_minh").unwrap(),
    )
    .await
    .unwrap();
    assert!(queue_names(&browser.get("/console/").await).is_empty());
    let page = browser
        .get(&format!("/console/requests/{}", request.id))
        .await;
    assert_eq!(page.status, 404);
    // The role removed behind the CLI's back (no session ended): refused all the same.
    sqlx::query("DELETE FROM officers")
        .execute(&t.state().pool)
        .await
        .unwrap();
    let refused = browser.get("/console/").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("không phải tài khoản cán bộ"));
}

backend_test!(sign_out_without_its_csrf_token_is_refused_and_with_it_ends_the_session);
async fn sign_out_without_its_csrf_token_is_refused_and_with_it_ends_the_session(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let queue = browser.get("/console/").await;
    let token = queue
        .doc()
        .select("form[action='/console/sign-out'] input[name='csrf']")
        .attr("value")
        .expect("the sign-out form's token")
        .to_string();

    let without = browser.post_form("/console/sign-out", &[]).await;
    assert_eq!(without.status, 403, "{}", without.body);
    let wrong = browser
        .post_form("/console/sign-out", &[("csrf", &"A".repeat(token.len()))])
        .await;
    assert_eq!(wrong.status, 403);
    // The right token from another site's page: refused by where it came from.
    let cross = browser
        .http
        .post(browser.url("/console/sign-out"))
        .header("cookie", browser.cookie_header())
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(console_sessions(&t).await, 1, "nothing changed");

    let out = browser
        .post_form("/console/sign-out", &[("csrf", &token)])
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(console_sessions(&t).await, 0);
    let after = browser.get("/console/").await;
    assert_eq!(
        after
            .doc()
            .select("form[action='/console/sign-in']")
            .length(),
        1
    );
}

backend_test!(a_code_comes_back_once_and_only_to_the_browser_that_asked);
async fn a_code_comes_back_once_and_only_to_the_browser_that_asked(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let mut browser = Browser::new(&t);
    // Stop before the callback: take its URL.
    browser.get("/console/").await;
    let started = browser.post_form("/console/sign-in", &[]).await;
    let login = browser.get(started.location()).await;
    let href = login
        .doc()
        .select("a#continue")
        .attr("href")
        .unwrap()
        .to_string();
    let sign_in_id = href.split_once("sign_in=").unwrap().1.to_owned();
    let approved = oidc_rp::approve(&t, &officer.session, &officer.device, &sign_in_id, None).await;
    assert_eq!(approved.status(), 204);
    let callback = browser.get(&href).await.location().to_owned();

    // Another browser (no sign-in cookie) with the same callback URL: refused.
    let mut other = Browser::new(&t);
    let stolen = other.get(&callback).await;
    assert_eq!(stolen.status, 400, "{}", stolen.body);
    assert!(stolen.set_cookie("dd_console").is_none());
    // A wrong state: refused.
    let kept = browser.cookies.clone();
    let mut tampering = Browser::new(&t);
    tampering.cookies = kept.clone();
    let tampered = callback.replace("state=", "state=x");
    assert_eq!(tampering.get(&tampered).await.status, 400);
    // Another issuer (RFC 9207, a mix-up): refused.
    let mut mixing = Browser::new(&t);
    mixing.cookies = kept.clone();
    assert_eq!(
        mixing.get(&callback.replace("iss=", "iss=x")).await.status,
        400
    );
    // The real one: in. Then the same code again, with the same cookies: refused, and no
    // second session.
    assert_eq!(browser.get(&callback).await.status, 303);
    let mut replaying = Browser::new(&t);
    replaying.cookies = kept;
    let again = replaying.get(&callback).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.set_cookie("dd_console").is_none());
    assert_eq!(console_sessions(&t).await, 1);
}

backend_test!(every_console_page_carries_the_strict_policy_and_headers);
async fn every_console_page_carries_the_strict_policy_and_headers(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let mut browser = Browser::new(&t);
    let mut pages = vec![
        ("sign-in page", browser.get("/console/").await),
        (
            "style sheet",
            browser.get("/console/assets/console.css").await,
        ),
        (
            "failed callback",
            browser.get("/console/callback?code=x&state=y").await,
        ),
    ];
    pages.push(("callback", sign_in(&t, &mut browser, &officer).await));
    pages.push(("queue", browser.get("/console/").await));
    pages.push(("bad filter", browser.get("/console/?type=bank").await));
    pages.push((
        "request",
        browser
            .get(&format!("/console/requests/{}", request.id))
            .await,
    ));
    pages.push((
        "unknown request",
        browser.get("/console/requests/nothing").await,
    ));
    let asked = decide(&mut browser, &request.id, "approve", "").await;
    pages.push(("waiting page", browser.get(asked.location()).await));
    pages.push((
        "waiting page's script",
        browser.get("/console/assets/wait.js").await,
    ));
    pages.push(("people", browser.get("/console/people").await));
    pages.push(("organisations", browser.get("/console/organisations").await));
    pages.push(("dashboard", browser.get("/console/dashboard").await));
    for (name, got) in &pages {
        let h = |n: &str| {
            got.headers
                .get(n)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert_eq!(h("content-security-policy"), EXPECTED_CSP, "{name}");
        assert_eq!(h("x-frame-options"), "DENY", "{name}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{name}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{name}");
        if !name.starts_with("style sheet") && !name.ends_with("script") {
            assert_eq!(h("cache-control"), "no-store", "{name}");
        }
        // No inline script or style anywhere; the one script is the console's own file.
        let doc = got.doc();
        assert!(doc.select("script:not([src])").is_empty(), "{name}");
        for script in doc.select("script").iter() {
            assert_eq!(
                script.attr("src").unwrap().to_string(),
                "/console/assets/wait.js",
                "{name}"
            );
        }
        assert!(doc.select("style, [style]").is_empty(), "{name}");
        if h("content-type").starts_with("text/html") {
            assert_eq!(
                doc.select("html").attr("lang").unwrap().to_string(),
                "vi",
                "{name}"
            );
        }
    }
    // The navigation marks the part of the console a page belongs to, and only that part.
    for (name, part) in [
        ("queue", "/console/"),
        ("request", "/console/"),
        ("waiting page", "/console/"),
        ("people", "/console/people"),
        ("organisations", "/console/organisations"),
        ("dashboard", "/console/dashboard"),
    ] {
        let got = &pages.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(got.status, 200, "{name}: {}", got.body);
        let doc = got.doc();
        assert_eq!(doc.select("nav.nav a").length(), 6, "{name}");
        let current = doc.select("nav.nav a[aria-current='page']");
        assert_eq!(current.length(), 1, "{name}");
        assert_eq!(current.attr("href").unwrap().to_string(), part, "{name}");
    }
    // Escaped: a name is text, never markup (the registry's names are checked at filing, so
    // the escaping is shown on the page that echoes a value: none does this round but the
    // names; the template engine escapes every one).
    let queue = browser.get("/console/").await;
    assert!(queue.body.contains(&request.name));
}

backend_test!(the_queue_comes_in_pages_of_fifty_that_keep_the_filters);
async fn the_queue_comes_in_pages_of_fifty_that_keep_the_filters(db: Backend) {
    let t = TestServer::start(db).await;
    let mut officer = officer(&t, "ha_noi").await;
    let mut filed = Vec::new();
    for _ in 0..53 {
        filed.push(ha_noi_request(&t, &officer.person).await.name);
        t.clock.advance(3_600);
    }
    officer.sign_in_again(&t).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let first = browser
        .get("/console/?type=organisation_without_registration")
        .await;
    let names = queue_names(&first);
    assert_eq!(names.len(), 50);
    assert!(first.body.contains("Trang 1 / 2"), "{}", first.body);
    let next = first
        .doc()
        .select("a[rel='next']")
        .attr("href")
        .expect("a next page")
        .to_string();
    // The next page's link keeps the filter and starts after the page's last row.
    assert!(
        next.starts_with("/console/?type=organisation_without_registration&after="),
        "{next}"
    );
    let second = browser.get(&next).await;
    assert!(second.body.contains("Trang 2 / 2"), "{}", second.body);
    let rest = queue_names(&second);
    assert_eq!(rest.len(), 3);
    assert!(second.doc().select("a[rel='next']").is_empty());
    assert_eq!(
        second
            .doc()
            .select("a[rel='prev']")
            .attr("href")
            .unwrap()
            .to_string(),
        "/console/?type=organisation_without_registration"
    );
    // Every request once, by due date (the order they were filed in).
    let all: Vec<String> = names.into_iter().chain(rest).collect();
    assert_eq!(all, filed);
    // The offset links' word is refused with a sentence, not taken for the first page.
    let old_link = browser.get("/console/?page=0").await;
    assert_eq!(old_link.status, 400);
    assert!(old_link.body.contains("Liên kết trang không hợp lệ"));
}

/// The names on each page from `start` on, following the pages' `next` links to the end;
/// `between(i)` runs after page `i` (from 0) was read.
async fn walk_forward<F, Fut>(
    browser: &mut Browser,
    start: &str,
    mut between: F,
) -> Vec<Vec<String>>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut pages = Vec::new();
    let mut at = start.to_owned();
    loop {
        let page = browser.get(&at).await;
        assert_eq!(page.status, 200, "{at}: {}", page.body);
        pages.push(queue_names(&page));
        assert!(
            page.body.contains(&format!("Trang {} / ", pages.len())),
            "page {} says its number",
            pages.len()
        );
        between(pages.len() - 1).await;
        match page.doc().select("a[rel='next']").attr("href") {
            Some(next) => at = next.to_string(),
            None => return pages,
        }
        assert!(pages.len() < 100, "the links end");
    }
}

/// The names of Hà Nội's waiting requests in the queue's order (due date, submission, id),
/// read straight from the table; `status`/`org_type` narrow them when given.
async fn waiting_names(t: &TestServer, status: Option<&str>) -> Vec<String> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT name_vi, status FROM registrations WHERE province = 'ha_noi' \
         AND status IN ('awaiting_officer', 'information_requested') \
         ORDER BY due_on, submitted_at, id",
    )
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    rows.into_iter()
        .filter(|(_, s)| status.is_none_or(|want| want == s))
        .map(|(n, _)| n)
        .collect()
}

backend_test!(walking_every_page_shows_each_waiting_request_once_even_as_requests_are_decided);
async fn walking_every_page_shows_each_waiting_request_once_even_as_requests_are_decided(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let mut saigon = officer(&t, "ho_chi_minh").await;
    let mut officer = officer(&t, "ha_noi").await;
    // 130 requests, ten to an hour: many share a due date and a submission second, so the
    // order's last word, the id, decides between them, page breaks included.
    let mut filed = Vec::new();
    for i in 0..130 {
        filed.push(ha_noi_request(&t, &officer.person).await);
        if i % 10 == 9 {
            t.clock.advance(3_600);
        }
    }
    // Every third of the first 90 asked for information: two statuses to merge, and a filter.
    for f in filed.iter().take(90).step_by(3) {
        registrations::decide_in_person(
            t.state(),
            &officer.person.citizen_id,
            &f.id,
            &dinhdanh_core::api::Decision::RequestInformation {
                question: "Xin bổ sung biên bản họp".into(),
            },
        )
        .await
        .unwrap();
    }
    officer.sign_in_again(&t).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    // Unchanged queue: every page in the queue's order, each request once, three pages.
    let expected = waiting_names(&t, None).await;
    assert_eq!(expected.len(), 130);
    let pages = walk_forward(&mut browser, "/console/", |_| async {}).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 30]);
    assert_eq!(pages.concat(), expected);

    // With a filter: the links keep it, and only its requests come.
    let asked = waiting_names(&t, Some("information_requested")).await;
    assert_eq!(asked.len(), 30);
    let pages = walk_forward(
        &mut browser,
        "/console/?status=awaiting_officer&type=organisation_without_registration",
        |_| async {},
    )
    .await;
    let awaiting = waiting_names(&t, Some("awaiting_officer")).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50]);
    assert_eq!(pages.concat(), awaiting);
    let first = browser.get("/console/?status=information_requested").await;
    assert_eq!(queue_names(&first), asked);
    assert!(first.doc().select("a[rel='next']").is_empty());
    let none = browser.get("/console/?type=enterprise").await;
    assert!(queue_names(&none).is_empty());

    // Requests decided between page loads: one already seen on page 1, one not yet reached
    // (on page 2), and one at the page break (the first row of page 2). Offset paging would
    // skip a request for the one seen and repeat none; keyset paging skips nothing.
    let before = waiting_names(&t, None).await;
    let seen_on_first = before[10].clone();
    let on_second = [before[50].clone(), before[70].clone()];
    let by_name = |name: &str| filed.iter().find(|f| f.name == name).unwrap().id.clone();
    let (state, officer_number) = (t.state().clone(), officer.person.citizen_id.clone());
    let to_decide = [
        by_name(&seen_on_first),
        by_name(&on_second[0]),
        by_name(&on_second[1]),
    ];
    let pages = walk_forward(&mut browser, "/console/", |i| {
        let (state, officer_number, to_decide) =
            (state.clone(), officer_number.clone(), to_decide.clone());
        async move {
            if i == 0 {
                for id in &to_decide {
                    registrations::decide_in_person(
                        &state,
                        &officer_number,
                        id,
                        &dinhdanh_core::api::Decision::Approve,
                    )
                    .await
                    .unwrap();
                }
            }
        }
    })
    .await;
    let shown = pages.concat();
    let mut once = shown.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), shown.len(), "no request twice");
    // Page 1 as it was read, then everything still waiting after it, in order.
    let still: Vec<String> = before
        .iter()
        .filter(|n| !on_second.contains(n) && **n != seen_on_first)
        .cloned()
        .collect();
    assert_eq!(shown[..50], before[..50]);
    assert_eq!(shown[50..], still[49..]);
    assert_eq!(shown.len(), 128);

    // Back from the last page by the `prev` links: the same pages, in reverse.
    let mut back = Vec::new();
    let mut at = browser.get("/console/").await;
    while let Some(next) = at.doc().select("a[rel='next']").attr("href") {
        at = browser.get(next.as_ref()).await;
    }
    back.push(queue_names(&at));
    while let Some(prev) = at.doc().select("a[rel='prev']").attr("href") {
        at = browser.get(prev.as_ref()).await;
        assert_eq!(at.status, 200, "{}", at.body);
        back.push(queue_names(&at));
    }
    back.reverse();
    let now = waiting_names(&t, None).await;
    assert_eq!(back.concat(), now);
    assert!(at.body.contains("Trang 1 / 3"), "{}", at.body);

    // A page link that was changed, cut, or made for another filter or province is refused
    // with a sentence; nothing else is read.
    let page = browser.get("/console/?status=awaiting_officer").await;
    let next = page
        .doc()
        .select("a[rel='next']")
        .attr("href")
        .unwrap()
        .to_string();
    let cursor = next.split_once("after=").unwrap().1.to_owned();
    let (payload, tag) = cursor.split_once('.').unwrap();
    let mut flipped = tag.as_bytes().to_vec();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = format!("{payload}.{}", String::from_utf8(flipped).unwrap());
    for bad in [
        format!("/console/?status=awaiting_officer&after={flipped}"),
        format!("/console/?status=awaiting_officer&after={payload}"),
        format!(
            "/console/?status=awaiting_officer&after={}",
            &cursor[..cursor.len() - 3]
        ),
        format!("/console/?after={cursor}"),
        format!("/console/?status=awaiting_officer&before={cursor}"),
        "/console/?after=%00%FF".to_owned(),
        format!("/console/?after={}", "A".repeat(5_000)),
    ] {
        let got = browser.get(&bad).await;
        assert_eq!(got.status, 400, "{bad}");
        assert!(got.body.contains("Liên kết trang không hợp lệ"), "{bad}");
    }
    saigon.sign_in_again(&t).await;
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &saigon).await.status, 303);
    assert_eq!(
        other.get(&next).await.status,
        400,
        "another province's link"
    );
    assert_eq!(browser.get(&next).await.status, 200);

    // The officers' API pages the same way: its `next` is the same kind of sealed position.
    let mut api = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("{}?after={a}", paths::OFFICER_QUEUE),
            None => paths::OFFICER_QUEUE.to_owned(),
        };
        let resp = t.get(&path, Auth::Session(&officer.session)).await;
        assert_eq!(resp.status(), 200);
        let page: dinhdanh_core::api::Page<dinhdanh_core::api::QueueItem> =
            resp.json().await.unwrap();
        api.extend(page.items.into_iter().map(|i| i.name));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(api, now);
    let resp = t
        .get(
            &format!("{}?after={flipped}", paths::OFFICER_QUEUE),
            Auth::Session(&officer.session),
        )
        .await;
    assert_eq!(resp.status(), 400);
}

backend_test!(locking_the_officers_account_ends_the_console_session);
async fn locking_the_officers_account_ends_the_console_session(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    assert_eq!(browser.get("/console/").await.status, 200);
    dinhdanh_server::testing::accounts::set_lock(
        t.state(),
        &officer.person.account,
        true,
        "Báo mất điện thoại",
        dinhdanh_server::testing::accounts::LockActor {
            account: None,
            device: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(console_sessions(&t).await, 0, "ended with the lock");
    let next = browser.get("/console/").await;
    assert_eq!(
        next.doc()
            .select("form[action='/console/sign-in']")
            .length(),
        1
    );
}

// ---------------------------------------------------------------------------------------------
// Decisions, confirmed on the officer's phone
// ---------------------------------------------------------------------------------------------

/// Posts the request page's decision form with the session's token, as the page would.
async fn decide(browser: &mut Browser, id: &RegistrationId, choice: &str, text: &str) -> Got {
    let page = browser.get(&format!("/console/requests/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let doc = page.doc();
    let form = doc.select("section.decision form");
    let action = form.attr("action").expect("the decision form").to_string();
    let csrf = form
        .select("input[name='csrf']")
        .attr("value")
        .unwrap()
        .to_string();
    browser
        .post_form(
            &action,
            &[("csrf", &csrf), ("decision", choice), ("text", text)],
        )
        .await
}

/// What waits for the phone.
async fn waiting_on(t: &TestServer, phone: &Phone) -> Vec<PendingDesktopAction> {
    let resp = t
        .get(paths::DESKTOP_ACTIONS, Auth::Session(&phone.session))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// The phone confirms exactly what `action` shows, with the passcode.
async fn confirm_on(
    t: &TestServer,
    phone: &Phone,
    action: &PendingDesktopAction,
) -> reqwest::Response {
    let challenge = t
        .challenge(
            ChallengePurpose::Action {
                kind: ActionKind::ConfirmDesktopAction,
            },
            Some(&phone.session),
        )
        .await;
    let confirmed = phone.device.confirm(
        t.now(),
        action.body.clone(),
        ActionKind::ConfirmDesktopAction,
        t.origin(),
        challenge,
        &phone.session.account,
        None,
        action.target.clone(),
        identity::PASSCODE,
    );
    t.post(
        &paths::fill(paths::DESKTOP_ACTION_CONFIRMATION, "id", &action.id),
        &confirmed,
        Auth::Session(&phone.session),
    )
    .await
}

async fn status_of(t: &TestServer, id: &RegistrationId) -> String {
    sqlx::query_scalar("SELECT status FROM registrations WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

async fn audited(t: &TestServer, action: &str, actor: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND actor = $2")
        .bind(action)
        .bind(actor)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

backend_test!(a_decision_is_confirmed_on_the_officers_phone_and_the_console_shows_the_outcome);
async fn a_decision_is_confirmed_on_the_officers_phone_and_the_console_shows_the_outcome(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    // A rejection without its reason: the sentence under the field, the choice kept, nothing
    // asked of the phone.
    let empty = decide(&mut browser, &request.id, "reject", "   ").await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    let doc = empty.doc();
    assert!(
        doc.select("#decision-text-error")
            .text()
            .contains("Lý do từ chối là bắt buộc"),
        "{}",
        empty.body
    );
    assert_eq!(
        doc.select("input[name='decision'][checked]")
            .attr("value")
            .unwrap()
            .to_string(),
        "reject"
    );
    assert!(waiting_on(&t, &officer).await.is_empty());
    // No choice at all.
    let none = decide(&mut browser, &request.id, "", "").await;
    assert_eq!(none.status, 400);
    assert!(none.doc().select("#decision-choice-error").length() == 1);

    let reason = "Quyết định thành lập <b>không</b> có chữ ký của người có thẩm quyền.";
    let asked = decide(&mut browser, &request.id, "reject", reason).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert!(
        asked.location().starts_with("/console/actions/dact_"),
        "{}",
        asked.location()
    );
    let action_href = asked.location().to_owned();

    // The console waits; its page shows what the phone will show, escaped.
    let waiting = browser.get(&action_href).await;
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert!(waiting.body.contains("Đang chờ xác nhận trên điện thoại"));
    // Escaped: the reason's markup is text on the page, not an element.
    let waiting_doc = waiting.doc();
    let what = waiting_doc.select(".what strong");
    assert!(what.text().contains(reason), "{}", waiting.body);
    assert!(what.select("b").is_empty(), "{}", waiting.body);
    let state_url = waiting
        .doc()
        .select("[data-state-url]")
        .attr("data-state-url")
        .unwrap()
        .to_string();
    assert_eq!(browser.get(&state_url).await.body, "waiting");
    assert_eq!(
        status_of(&t, &request.id).await,
        "awaiting_officer",
        "nothing decided yet"
    );

    // The phone lists it as the console's, with the reason in full, and confirms it.
    let listed = waiting_on(&t, &officer).await;
    assert_eq!(listed.len(), 1);
    let action = &listed[0];
    assert_eq!(action.kind, ActionKind::ReviewRegistration);
    assert_eq!(action.asked_from, ActionOrigin::Console);
    assert!(action.summary_vi.contains(reason), "{}", action.summary_vi);
    assert!(
        action.summary_vi.contains(&request.name),
        "{}",
        action.summary_vi
    );
    let confirmed = confirm_on(&t, &officer, action).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    let event: DesktopActionEvent = confirmed.json().await.unwrap();
    assert!(
        matches!(event, DesktopActionEvent::Done { .. }),
        "{event:?}"
    );

    assert_eq!(status_of(&t, &request.id).await, "rejected");
    assert_eq!(browser.get(&state_url).await.body, "finished");
    let done = browser.get(&action_href).await;
    assert!(done.body.contains("Đã thực hiện"), "{}", done.body);
    assert!(
        done.doc().select("script").is_empty(),
        "no script once answered"
    );
    // The decision's audit entry names the officer and the phone that confirmed it.
    let device: Option<String> = sqlx::query_scalar(
        "SELECT device FROM audit_log WHERE action = 'registration.rejected' AND actor = $1",
    )
    .bind(officer.person.account.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(device.as_deref(), Some(officer.device_id.as_str()));
    assert_eq!(
        audited(&t, "desktop_action.start", officer.person.account.as_str()).await,
        1
    );
    // Confirmed once: again is refused, and nothing more happens.
    let again = confirm_on(&t, &officer, action).await;
    assert_eq!(again.status(), 409, "{}", again.text().await.unwrap());
    // Decided: the request page offers no decision any more.
    let page = browser
        .get(&format!("/console/requests/{}", request.id))
        .await;
    assert!(page.doc().select("section.decision").is_empty());
}

backend_test!(a_declined_withdrawn_or_abandoned_decision_changes_nothing);
async fn a_declined_withdrawn_or_abandoned_decision_changes_nothing(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    // Declined on the phone.
    let asked = decide(&mut browser, &request.id, "approve", "").await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let action = waiting_on(&t, &officer).await.remove(0);
    let declined = t
        .send(
            "POST",
            &paths::fill(paths::DESKTOP_ACTION_DECLINE, "id", &action.id),
            None,
            Auth::Session(&officer.session),
        )
        .await;
    assert_eq!(declined.status(), 204);
    let page = browser.get(asked.location()).await;
    assert!(
        page.body.contains("Đã từ chối trên điện thoại"),
        "{}",
        page.body
    );
    assert_eq!(status_of(&t, &request.id).await, "awaiting_officer");

    // Withdrawn at the console: the phone no longer lists it and cannot confirm it.
    let asked = decide(&mut browser, &request.id, "ask", "Xin bản sao điều lệ.").await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let action = waiting_on(&t, &officer).await.remove(0);
    let waiting = browser.get(asked.location()).await;
    let doc = waiting.doc();
    let form = doc.select("form[action$='/cancel']");
    let csrf = form
        .select("input[name='csrf']")
        .attr("value")
        .unwrap()
        .to_string();
    let cancel = form.attr("action").unwrap().to_string();
    // Without the token: refused, still waiting.
    assert_eq!(browser.post_form(&cancel, &[]).await.status, 403);
    assert_eq!(waiting_on(&t, &officer).await.len(), 1);
    let cancelled = browser.post_form(&cancel, &[("csrf", &csrf)]).await;
    assert_eq!(cancelled.status, 303);
    assert!(browser.get(asked.location()).await.body.contains("Đã hủy"));
    assert!(waiting_on(&t, &officer).await.is_empty());
    let late = confirm_on(&t, &officer, &action).await;
    assert_eq!(late.status(), 409, "{}", late.text().await.unwrap());
    assert_eq!(status_of(&t, &request.id).await, "awaiting_officer");

    // The console signed out while the phone was asked: the phone no longer lists it, and a
    // confirmation already on its way is refused.
    let asked = decide(&mut browser, &request.id, "approve", "").await;
    assert_eq!(asked.status, 303);
    let action = waiting_on(&t, &officer).await.remove(0);
    let queue = browser.get("/console/").await;
    let token = queue
        .doc()
        .select("form[action='/console/sign-out'] input[name='csrf']")
        .attr("value")
        .unwrap()
        .to_string();
    assert_eq!(
        browser
            .post_form("/console/sign-out", &[("csrf", &token)])
            .await
            .status,
        303
    );
    assert!(waiting_on(&t, &officer).await.is_empty());
    let orphan = confirm_on(&t, &officer, &action).await;
    assert_eq!(orphan.status(), 410, "{}", orphan.text().await.unwrap());
    assert_eq!(status_of(&t, &request.id).await, "awaiting_officer");
}

backend_test!(only_the_console_session_that_asked_sees_its_decision_and_others_are_refused);
async fn only_the_console_session_that_asked_sees_its_decision_and_others_are_refused(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let asked = decide(&mut browser, &request.id, "approve", "").await;
    assert_eq!(asked.status, 303);

    // The same officer in a second browser: not that session's action.
    let mut second = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut second, &officer).await.status, 303);
    assert_eq!(second.get(asked.location()).await.status, 404);
    // An officer of another province: the request is "not found", the form refused.
    let elsewhere = self::officer(&t, "ho_chi_minh").await;
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &elsewhere).await.status, 303);
    assert_eq!(other.get(asked.location()).await.status, 404);
    let queue = other.get("/console/").await;
    let csrf = queue
        .doc()
        .select("form[action='/console/sign-out'] input[name='csrf']")
        .attr("value")
        .unwrap()
        .to_string();
    let refused = other
        .post_form(
            &format!("/console/requests/{}/decision", request.id),
            &[("csrf", &csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert!(waiting_on(&t, &elsewhere).await.is_empty());
    // A decision form without the session's token: refused, nothing asked.
    let forged = browser
        .post_form(
            &format!("/console/requests/{}/decision", request.id),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(waiting_on(&t, &officer).await.len(), 1, "only the first");

    // The role withdrawn before the phone confirms: the confirmation is refused and the
    // request stays undecided.
    let action = waiting_on(&t, &officer).await.remove(0);
    officers::revoke_officer(t.state(), &officer.person.citizen_id)
        .await
        .unwrap();
    let confirmed = confirm_on(&t, &officer, &action).await;
    assert_ne!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert_eq!(status_of(&t, &request.id).await, "awaiting_officer");
}

backend_test!(the_request_page_shows_the_details_documents_and_history_with_numbers_masked);
async fn the_request_page_shows_the_details_documents_and_history_with_numbers_masked(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let pictured = ha_noi_request_with(&t, &officer.person, PNG).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    let page = browser
        .get(&format!("/console/requests/{}", request.id))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let doc = page.doc();
    let fields = doc.select("table.fields").text().to_string();
    assert!(fields.contains(&request.name), "{fields}");
    assert!(fields.contains("Số 18 phố Duy Tân"), "{fields}");
    // The head's number is on the page masked, never in full.
    let full = request.head.citizen_id.as_str();
    assert!(
        !page.body.contains(full),
        "a full identification number on the page"
    );
    assert!(
        fields.contains(&request.head.citizen_id.masked()),
        "{fields}"
    );
    assert!(
        doc.select(".registry-line")
            .text()
            .contains("Không có cơ sở dữ liệu")
    );
    let history = doc.select("ol.history").text().to_string();
    assert!(history.contains("Đã gửi yêu cầu"), "{history}");
    assert!(history.contains("Chuyển cán bộ xem xét"), "{history}");

    // Without pdf.js installed (`--pdfjs-dir`), no script: the PDF is a download only.
    assert_eq!(doc.select("script").length(), 0);
    assert_eq!(doc.select("figure.pdf").length(), 0);
    // The PDF: a download, with its type and nosniff, never a page; the read is audited.
    let href = doc
        .select("ul.documents a.button")
        .attr("href")
        .expect("the PDF's link")
        .to_string();
    let pdf = browser.get(&href).await;
    assert_eq!(pdf.status, 200);
    let h = |g: &Got, n: &str| {
        g.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(h(&pdf, "content-type"), "application/pdf");
    assert!(h(&pdf, "content-disposition").starts_with("attachment"));
    assert_eq!(h(&pdf, "x-content-type-options"), "nosniff");
    assert_eq!(pdf.body.as_bytes(), PDF);
    assert_eq!(
        audited(&t, "attachment.read", officer.person.account.as_str()).await,
        1
    );
    // The image: inline on the page.
    let page = browser
        .get(&format!("/console/requests/{}", pictured.id))
        .await;
    let img = page
        .doc()
        .select("img.document")
        .attr("src")
        .expect("the image shown")
        .to_string();
    let png = browser.get(&img).await;
    assert_eq!(h(&png, "content-type"), "image/png");
    assert!(h(&png, "content-disposition").starts_with("inline"));
    assert_eq!(h(&png, "x-content-type-options"), "nosniff");

    // Another province's officer: "not found", refused in the audit trail, nothing served.
    let elsewhere = self::officer(&t, "ho_chi_minh").await;
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &elsewhere).await.status, 303);
    let refused = other.get(&href).await;
    assert_eq!(refused.status, 404);
    assert!(!refused.body.contains("%PDF"));
    assert_eq!(
        audited(
            &t,
            "attachment.read.refused",
            elsewhere.person.account.as_str()
        )
        .await,
        1
    );

    // A question asked and confirmed on the phone shows in the history, word for word.
    let question = "Xin gửi bản sao điều lệ.\nCó chữ ký của chủ tịch hội.";
    assert_eq!(
        decide(&mut browser, &request.id, "ask", question)
            .await
            .status,
        303
    );
    let action = waiting_on(&t, &officer).await.remove(0);
    assert_eq!(confirm_on(&t, &officer, &action).await.status(), 200);
    let page = browser
        .get(&format!("/console/requests/{}", request.id))
        .await;
    let said = page
        .doc()
        .select("ol.history blockquote.said")
        .text()
        .to_string();
    assert_eq!(said, question);
}

/// The person page's form `css`: its action and the session's token.
fn form_of(page: &Got, css: &str) -> (String, String) {
    let doc = page.doc();
    let form = doc.select(css);
    let action = form.attr("action").expect("the form").to_string();
    let csrf = form
        .select("input[name='csrf']")
        .attr("value")
        .unwrap()
        .to_string();
    (action, csrf)
}

async fn locked(t: &TestServer, person: &Person) -> bool {
    let locked: i64 = sqlx::query_scalar("SELECT locked FROM accounts WHERE id = $1")
        .bind(person.account.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    locked != 0
}

backend_test!(with_pdfjs_installed_the_request_page_draws_a_pdfs_pages);
async fn with_pdfjs_installed_the_request_page_draws_a_pdfs_pages(db: Backend) {
    use dinhdanh_server::resources::console::pdf_viewer;
    // A folder shaped like pdf.js's package, with files the server must not serve beside the
    // ones it does (Chromium draws the real package's pages in the browser test).
    let pdfjs = common::data_dir("pdfjs");
    assert!(pdf_viewer::check_dir(&pdfjs).is_err(), "an empty folder");
    for (file, text) in [
        ("build/pdf.min.mjs", "export const library = 1;"),
        ("build/pdf.worker.min.mjs", "export const worker = 1;"),
        ("build/pdf.mjs", "not served"),
        ("standard_fonts/FoxitSans.pfb", "a font"),
        ("standard_fonts/LICENSE_FOXIT", "not served"),
        ("LICENSE", "not served"),
    ] {
        let path = pdfjs.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    pdf_viewer::check_dir(&pdfjs).unwrap();
    let dir = common::data_dir("console-pdfjs");
    let url = common::fresh_database_url(db, &dir).await;
    let t = TestServer::start_with(
        dir,
        url,
        dinhdanh_server::testing::ServerKeys::generate(),
        |c| c.pdfjs_dir = Some(pdfjs.clone()),
    )
    .await;
    let officer = officer(&t, "ha_noi").await;
    let with_pdf = ha_noi_request(&t, &officer.person).await;
    let pictured = ha_noi_request_with(&t, &officer.person, PNG).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    // The PDF's page loads the script, which draws the file the figure names; the download
    // stays beside it.
    let page = browser
        .get(&format!("/console/requests/{}", with_pdf.id))
        .await;
    let doc = page.doc();
    assert_eq!(
        doc.select("script[type='module']").attr("src").as_deref(),
        Some(pdf_viewer::PDF_PAGES_JS)
    );
    let drawn = doc
        .select("figure.pdf")
        .attr("data-pdf")
        .expect("a figure for the PDF")
        .to_string();
    let download = doc
        .select("ul.documents a.button")
        .attr("href")
        .expect("the download")
        .to_string();
    assert_eq!(drawn, download);
    assert!(drawn.starts_with("/console/attachments/"), "{drawn}");
    // An image's page has no script.
    let page = browser
        .get(&format!("/console/requests/{}", pictured.id))
        .await;
    assert_eq!(page.doc().select("script").length(), 0, "{}", page.body);

    let h = |g: &Got, n: &str| {
        g.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let script = browser.get(pdf_viewer::PDF_PAGES_JS).await;
    assert_eq!(script.status, 200);
    assert_eq!(h(&script, "content-type"), "text/javascript; charset=utf-8");
    assert!(script.body.contains("isEvalSupported: false"));
    assert!(h(&script, "content-security-policy").contains("script-src 'self'"));
    for (path, body) in [
        (
            "/console/assets/pdfjs/pdf.min.mjs",
            "export const library = 1;",
        ),
        (
            "/console/assets/pdfjs/pdf.worker.min.mjs",
            "export const worker = 1;",
        ),
    ] {
        let got = browser.get(path).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.body, body);
        assert_eq!(h(&got, "content-type"), "text/javascript; charset=utf-8");
        assert_eq!(h(&got, "x-content-type-options"), "nosniff");
    }
    let font = browser
        .get("/console/assets/pdfjs/standard_fonts/FoxitSans.pfb")
        .await;
    assert_eq!(font.status, 200);
    assert_eq!(font.body, "a font");
    // Nothing else of the folder.
    for path in [
        "/console/assets/pdfjs/pdf.mjs",
        "/console/assets/pdfjs/..%2FLICENSE",
        "/console/assets/pdfjs/standard_fonts/LICENSE_FOXIT",
        "/console/assets/pdfjs/standard_fonts/..%2F..%2FLICENSE",
        "/console/assets/pdfjs/standard_fonts/..%2Fbuild%2Fpdf.mjs",
    ] {
        let got = browser.get(path).await;
        assert_eq!(got.status, 404, "{path}");
        assert!(!got.body.contains("not served"), "{path}");
    }
}

backend_test!(an_officer_looks_up_people_of_their_province_with_numbers_masked_and_audited);
async fn an_officer_looks_up_people_of_their_province_with_numbers_masked_and_audited(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let lan = identity::person(&t, false).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let form = browser.get("/console/people").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let (action, csrf) = form_of(&form, "main form");

    // Not a number: the sentence under the field, what was typed kept, nothing audited.
    let bad = browser
        .post_form(&action, &[("csrf", &csrf), ("citizen_id", "00119")])
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.doc().select("#citizen-id-error").length(), 1);
    assert_eq!(
        bad.doc()
            .select("#citizen-id")
            .attr("value")
            .unwrap()
            .to_string(),
        "00119"
    );
    // Without the session's token: refused.
    let forged = browser
        .post_form(&action, &[("citizen_id", lan.citizen_id.as_str())])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        audited(&t, "console.person.lookup", officer.person.account.as_str()).await,
        0
    );

    // Found: the person's page, under the account's opaque id, the number masked.
    let found = browser
        .post_form(
            &action,
            &[("csrf", &csrf), ("citizen_id", lan.citizen_id.as_str())],
        )
        .await;
    assert_eq!(found.status, 303, "{}", found.body);
    assert_eq!(found.location(), format!("/console/people/{}", lan.account));
    let page = browser.get(found.location()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains(lan.citizen_id.as_str()),
        "the full number on the page"
    );
    assert!(page.body.contains(&lan.citizen_id.masked()));
    let actor = officer.person.account.as_str();
    assert_eq!(audited(&t, "console.person.lookup", actor).await, 1);
    assert_eq!(audited(&t, "console.person.read", actor).await, 1);
    // Revealed on purpose: the full number, and its own audit entry.
    let (reveal, csrf) = form_of(&page, "form[action$='/reveal']");
    assert_eq!(browser.post_form(&reveal, &[]).await.status, 403);
    let revealed = browser.post_form(&reveal, &[("csrf", &csrf)]).await;
    assert_eq!(revealed.status, 200);
    assert!(revealed.body.contains(lan.citizen_id.as_str()));
    assert_eq!(audited(&t, "console.person.reveal", actor).await, 1);
    // The audit trail names the person by a keyed hash, never by the number.
    let leaked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE object LIKE $1 OR action LIKE $1")
            .bind(format!("%{}%", lan.citizen_id.as_str()))
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(leaked, 0);

    // An officer of another province: "not found" for the look-up and the page, audited.
    let elsewhere = self::officer(&t, "ho_chi_minh").await;
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &elsewhere).await.status, 303);
    let form = other.get("/console/people").await;
    let (action, csrf) = form_of(&form, "main form");
    let refused = other
        .post_form(
            &action,
            &[("csrf", &csrf), ("citizen_id", lan.citizen_id.as_str())],
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    // (Every test person is named Nguyễn Thị Lan, the officer too: look at what was found.)
    assert!(
        refused.doc().select(".found").is_empty(),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains(&lan.citizen_id.masked()));
    assert_eq!(
        other
            .get(&format!("/console/people/{}", lan.account))
            .await
            .status,
        404
    );
    let other_actor = elsewhere.person.account.as_str();
    assert_eq!(
        audited(&t, "console.person.lookup.refused", other_actor).await,
        1
    );
    assert_eq!(
        audited(&t, "console.person.read.refused", other_actor).await,
        1
    );
}

backend_test!(locking_and_unlocking_a_person_is_confirmed_on_the_officers_phone);
async fn locking_and_unlocking_a_person_is_confirmed_on_the_officers_phone(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let lan = phone(&t).await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let person_page = format!("/console/people/{}", lan.person.account);
    let page = browser.get(&person_page).await;
    assert_eq!(page.status, 200, "{}", page.body);

    // No reason: a sentence under the field, nothing asked of the phone.
    let (lock, csrf) = form_of(&page, "#lock form");
    let empty = browser
        .post_form(&lock, &[("csrf", &csrf), ("lock", "1"), ("reason", "")])
        .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty
            .doc()
            .select("#lock-reason-error")
            .text()
            .contains("Lý do là bắt buộc")
    );
    assert!(waiting_on(&t, &officer).await.is_empty());

    let reason = "Người dân báo mất điện thoại tại trụ sở công an phường.";
    let asked = browser
        .post_form(&lock, &[("csrf", &csrf), ("lock", "1"), ("reason", reason)])
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert!(
        !locked(&t, &lan.person).await,
        "nothing before the phone confirms"
    );
    let action = waiting_on(&t, &officer).await.remove(0);
    assert_eq!(action.kind, ActionKind::ChangeAccountLock);
    assert!(action.summary_vi.contains(reason), "{}", action.summary_vi);
    let confirmed = confirm_on(&t, &officer, &action).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert!(locked(&t, &lan.person).await);
    let done = browser.get(asked.location()).await;
    assert!(done.body.contains("Tài khoản đã bị khóa"), "{}", done.body);
    // The person's phone session ended with the lock.
    let me = t.get(paths::ME, Auth::Session(&lan.session)).await;
    assert_eq!(me.status(), 401);

    // Unlocking, the same way.
    let page = browser.get(&person_page).await;
    let (unlock, csrf) = form_of(&page, "#lock form");
    let asked = browser
        .post_form(
            &unlock,
            &[
                ("csrf", &csrf),
                ("lock", "0"),
                ("reason", "Đã tìm lại điện thoại."),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let action = waiting_on(&t, &officer).await.remove(0);
    assert_eq!(confirm_on(&t, &officer, &action).await.status(), 200);
    assert!(!locked(&t, &lan.person).await);

    // The officer's own account: refused at the form, nothing asked.
    let own = browser
        .get(&format!("/console/people/{}", officer.person.account))
        .await;
    let (lock_own, csrf) = form_of(&own, "#lock form");
    let refused = browser
        .post_form(
            &lock_own,
            &[("csrf", &csrf), ("lock", "1"), ("reason", "Thử.")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("của chính mình"));
    assert!(waiting_on(&t, &officer).await.is_empty());
}

async fn organisation_status(t: &TestServer, eid: &str) -> String {
    sqlx::query_scalar("SELECT status FROM organisations WHERE eid = $1")
        .bind(eid)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

backend_test!(locking_and_unlocking_an_organisation_is_confirmed_on_the_officers_phone);
async fn locking_and_unlocking_an_organisation_is_confirmed_on_the_officers_phone(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let view = registrations::decide_in_person(
        t.state(),
        &officer.person.citizen_id,
        &request.id,
        &dinhdanh_core::api::Decision::Approve,
    )
    .await
    .unwrap();
    let eid = view.org_eid.expect("an organisation").to_string();
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let org_page = format!("/console/organisations/{eid}");
    let page = browser.get(&org_page).await;
    assert_eq!(page.status, 200, "{}", page.body);

    // No reason: a sentence under the field, nothing asked of the phone.
    let (lock, csrf) = form_of(&page, "#lock form");
    assert_eq!(lock, format!("/console/organisations/{eid}/lock#lock"));
    let empty = browser
        .post_form(&lock, &[("csrf", &csrf), ("lock", "1"), ("reason", "")])
        .await;
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(
        empty
            .doc()
            .select("#org-lock-reason-error")
            .text()
            .contains("Lý do là bắt buộc")
    );
    // Unlocking an active account: a sentence, the reason kept, nothing asked.
    let wrong = browser
        .post_form(&lock, &[("csrf", &csrf), ("lock", "0"), ("reason", "Thử.")])
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("không bị khóa"), "{}", wrong.body);
    assert_eq!(
        wrong.doc().select("#org-lock-reason").text().to_string(),
        "Thử."
    );
    // Without the CSRF token: refused.
    let forged = browser
        .post_form(&lock, &[("lock", "1"), ("reason", "Thử.")])
        .await;
    assert_eq!(forged.status, 403);
    assert!(waiting_on(&t, &officer).await.is_empty());

    let reason = "Tổ chức báo bị lộ mật khẩu của người được ủy quyền.";
    let asked = browser
        .post_form(&lock, &[("csrf", &csrf), ("lock", "1"), ("reason", reason)])
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert_eq!(
        organisation_status(&t, &eid).await,
        "active",
        "nothing before the phone confirms"
    );
    let action = waiting_on(&t, &officer).await.remove(0);
    // The direct route's kind and target: the phone signs `organisation:<eid>`.
    assert_eq!(action.kind, ActionKind::ChangeAccountLock);
    assert!(action.summary_vi.contains(reason), "{}", action.summary_vi);
    assert!(
        action.summary_vi.contains(&request.name),
        "{}",
        action.summary_vi
    );
    let confirmed = confirm_on(&t, &officer, &action).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert_eq!(organisation_status(&t, &eid).await, "locked");
    let done = browser.get(asked.location()).await;
    assert!(
        done.body.contains("Tài khoản của tổ chức đã bị khóa"),
        "{}",
        done.body
    );
    assert!(done.body.contains(&org_page), "a link back: {}", done.body);
    // The history says so, with the reason; the audit trail names the officer.
    let page = browser.get(&org_page).await;
    assert!(page.doc().select("ol.history").text().contains(reason));
    assert_eq!(
        audited(&t, "organisation.lock", officer.person.account.as_str()).await,
        1
    );

    // Unlocking, the same way.
    let (unlock, csrf) = form_of(&page, "#lock form");
    let asked = browser
        .post_form(
            &unlock,
            &[
                ("csrf", &csrf),
                ("lock", "0"),
                ("reason", "Đã đổi mật khẩu."),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let action = waiting_on(&t, &officer).await.remove(0);
    assert_eq!(confirm_on(&t, &officer, &action).await.status(), 200);
    assert_eq!(organisation_status(&t, &eid).await, "active");

    // An officer of another province: "not found", nothing asked.
    let elsewhere = self::officer(&t, "ho_chi_minh").await;
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &elsewhere).await.status, 303);
    let queue = other.get("/console/").await;
    let csrf = queue
        .doc()
        .select("input[name='csrf']")
        .attr("value")
        .expect("a CSRF token")
        .to_string();
    let refused = other
        .post_form(&lock, &[("csrf", &csrf), ("lock", "1"), ("reason", "Thử.")])
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert!(waiting_on(&t, &elsewhere).await.is_empty());
    assert_eq!(organisation_status(&t, &eid).await, "active");
}

async fn count(t: &TestServer, sql: &str, province: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(sql)
        .bind(province)
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    u64::try_from(n).unwrap()
}

/// The number in a dashboard's province row `key`, column `n` (from 1, the name's cell is
/// the row's header).
fn cell(page: &Got, key: &str, n: usize) -> u64 {
    page.doc()
        .select(&format!(
            "table.provinces tr[data-province='{key}'] td:nth-of-type({n})"
        ))
        .text()
        .trim()
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|e| panic!("{key} column {n}: {e}\n{}", page.body))
}

backend_test!(the_dashboard_counts_what_the_database_holds_and_each_scope_sees_its_own);
async fn the_dashboard_counts_what_the_database_holds_and_each_scope_sees_its_own(db: Backend) {
    let t = TestServer::start(db).await;
    let ha_noi = officer(&t, "ha_noi").await;
    let saigon = officer(&t, "ho_chi_minh").await;
    let approved = ha_noi_request(&t, &ha_noi.person).await;
    ha_noi_request(&t, &ha_noi.person).await;
    request_in(&t, &saigon.person, "ho_chi_minh", PDF).await;
    registrations::decide_in_person(
        t.state(),
        &ha_noi.person.citizen_id,
        &approved.id,
        &dinhdanh_core::api::Decision::Approve,
    )
    .await
    .unwrap();
    // 20 days on, the open Hà Nội request is overdue (15 days).
    t.clock.advance(20 * 86_400);
    let mut ha_noi = ha_noi;
    ha_noi.sign_in_again(&t).await;

    let registered = "SELECT COUNT(*) FROM organisations WHERE province = $1 \
                      AND status IN ('active', 'locked')";
    let open = "SELECT COUNT(*) FROM registrations WHERE province = $1 AND is_open = 1";
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &ha_noi).await.status, 303);
    let page = browser.get("/console/dashboard").await;
    assert_eq!(page.status, 200, "{}", page.body);
    // A provincial officer: one row, theirs; nothing of another province.
    let rows = page.doc().select("table.provinces tbody tr").length();
    assert_eq!(rows, 1, "{}", page.body);
    assert!(
        page.doc()
            .select("tr[data-province='ho_chi_minh']")
            .is_empty()
    );
    assert_eq!(
        cell(&page, "ha_noi", 1),
        count(&t, registered, "ha_noi").await
    );
    assert_eq!(cell(&page, "ha_noi", 1), 1);
    assert_eq!(cell(&page, "ha_noi", 4), count(&t, open, "ha_noi").await);
    assert_eq!(cell(&page, "ha_noi", 5), 1, "the open request is overdue");
    // The weekly trend: an SVG with its two lines, and the same numbers in a table.
    let svg = browser.get("/console/dashboard/trend.svg").await;
    assert_eq!(svg.status, 200);
    assert!(
        svg.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.body.matches("<polyline").count() >= 2);
    let submitted: u64 = page
        .doc()
        .select("table.trend tbody tr:first-child td")
        .iter()
        .map(|td| td.text().trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(submitted, 2, "two Hà Nội requests within the 12 weeks");
    // The CSV: Hà Nội's four types, and no other province.
    let csv = browser.get("/console/dashboard.csv").await;
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let lines: Vec<&str> = csv.body.lines().skip(1).collect();
    assert_eq!(lines.len(), 4, "{}", csv.body);
    assert!(
        lines.iter().all(|l| l.starts_with("ha_noi,")),
        "{}",
        csv.body
    );

    // The national scope: every province's row, the same counts, and nothing else.
    let national = phone(&t).await;
    officers::grant_national_officer(t.state(), &national.person.citizen_id)
        .await
        .unwrap();
    let mut everywhere = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut everywhere, &national).await.status, 303);
    let home = everywhere.get("/console/").await;
    assert_eq!(home.status, 303);
    assert_eq!(home.location(), "/console/dashboard");
    let page = everywhere.get("/console/dashboard").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.doc().select("table.provinces tbody tr").length(), 34);
    assert_eq!(cell(&page, "ha_noi", 1), 1);
    assert_eq!(
        cell(&page, "ho_chi_minh", 4),
        count(&t, open, "ho_chi_minh").await
    );
    assert_eq!(cell(&page, "ho_chi_minh", 4), 1);
    let csv = everywhere.get("/console/dashboard.csv").await;
    assert_eq!(csv.body.lines().count(), 1 + 34 * 4);
    // Read-only: no queue, no request, no people.
    assert_eq!(everywhere.get("/console/people").await.status, 403);
    assert_eq!(
        everywhere
            .get(&format!("/console/requests/{}", approved.id))
            .await
            .status,
        403
    );
}

backend_test!(an_officer_sees_the_organisations_of_their_province_and_who_acts_for_them);
async fn an_officer_sees_the_organisations_of_their_province_and_who_acts_for_them(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let request = ha_noi_request(&t, &officer.person).await;
    let view = registrations::decide_in_person(
        t.state(),
        &officer.person.citizen_id,
        &request.id,
        &dinhdanh_core::api::Decision::Approve,
    )
    .await
    .unwrap();
    let eid = view.org_eid.expect("an organisation").to_string();
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    let list = browser.get("/console/organisations").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.doc()
            .select("table.organisations")
            .text()
            .contains(&eid)
    );
    // Found by its e-ID number and by a part of its name; nothing for another search.
    let by_eid = browser
        .get(&format!("/console/organisations?q={eid}"))
        .await;
    assert_eq!(
        by_eid.doc().select("table.organisations tbody tr").length(),
        1
    );
    let part = request.name.rsplit(' ').next().unwrap();
    let by_name = browser
        .get(&format!("/console/organisations?q={}", urlencode(part)))
        .await;
    assert!(
        by_name
            .doc()
            .select("table.organisations")
            .text()
            .contains(&eid)
    );
    let none = browser.get("/console/organisations?q=TC99999999999").await;
    assert!(none.doc().select("table.organisations").is_empty());
    assert_eq!(
        browser
            .get(&format!("/console/organisations?q={}", "x".repeat(101)))
            .await
            .status,
        400
    );

    // Its page: the e-ID number, the head as owner (masked), the history.
    let page = browser.get(&format!("/console/organisations/{eid}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let doc = page.doc();
    assert!(doc.select("dl.details").text().contains(&eid));
    assert!(!page.body.contains(request.head.citizen_id.as_str()));
    let delegates = doc.select("table.fields").text().to_string();
    assert!(
        delegates.contains(&request.head.citizen_id.masked()),
        "{delegates}"
    );
    assert!(delegates.contains("Chủ sở hữu"), "{delegates}");
    assert!(
        doc.select("ol.history")
            .text()
            .contains("Tạo tài khoản định danh")
    );

    // Another province's officer: not in their list, "not found" for the page.
    let elsewhere = self::officer(&t, "ho_chi_minh").await;
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &elsewhere).await.status, 303);
    let list = other.get("/console/organisations").await;
    assert!(!list.body.contains(&eid));
    assert_eq!(
        other
            .get(&format!("/console/organisations/{eid}"))
            .await
            .status,
        404
    );
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// ---------------------------------------------------------------------------------------------
// In-person intake (Cách 2)
// ---------------------------------------------------------------------------------------------

/// The intake form of `org_type` as the page serves it: its action and CSRF token.
async fn intake_form(browser: &mut Browser, org_type: &str) -> (String, String) {
    let page = browser
        .get(&format!("/console/intake?type={org_type}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    form_of(&page, "section.intake form[method='post']")
}

/// The text fields of a type-4 intake: `head` asks, `other` is the second representative.
fn type_four_fields<'a>(
    csrf: &'a str,
    name: &'a str,
    province: &'a str,
    head: &'a str,
    other: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("org_type", "organisation_without_registration"),
        ("requester_citizen_id", head),
        ("name_vi", name),
        ("established_on", "2018-03-26"),
        ("head_office_address", "Số 5 phố Hàng Bài, phường Hoàn Kiếm"),
        ("head_office_province", province),
        ("contact_phone", "0912345678"),
        ("rep_name_0", "Nguyễn Thị Lan"),
        ("rep_id_0", head),
        ("rep_name_1", "Trần Văn Bình"),
        ("rep_id_1", other),
    ]
}

async fn scalar(t: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

/// Rows that an intake would add: requests, attachments, consents, delegations.
async fn intake_rows(t: &TestServer) -> [i64; 4] {
    [
        scalar(t, "SELECT COUNT(*) FROM registrations").await,
        scalar(t, "SELECT COUNT(*) FROM attachments").await,
        scalar(t, "SELECT COUNT(*) FROM registration_consents").await,
        scalar(t, "SELECT COUNT(*) FROM delegations").await,
    ]
}

backend_test!(an_intake_confirmed_on_the_phone_files_the_same_records_as_the_app);
async fn an_intake_confirmed_on_the_phone_files_the_same_records_as_the_app(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let head = phone(&t).await;
    let binh = identity::citizen_without_account(&t, "Trần Văn Bình").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    // The nav leads to the four types; each type's form asks for its own fields.
    let queue = browser.get("/console/").await;
    assert_eq!(
        queue.doc().select("nav a[href='/console/intake']").length(),
        1
    );
    let picker = browser.get("/console/intake").await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    assert_eq!(picker.doc().select("input[name='type']").length(), 4);
    let enterprise = browser.get("/console/intake?type=enterprise").await;
    assert_eq!(
        enterprise
            .doc()
            .select("input[name='enterprise_code']")
            .length(),
        1
    );
    assert!(
        enterprise
            .doc()
            .select("input[name='founding_decision']")
            .is_empty()
    );

    let (action, csrf) = intake_form(&mut browser, "organisation_without_registration").await;
    let name = format!("Hội Khuyến học phường {}", next_request_number());
    let fields = type_four_fields(
        &csrf,
        &name,
        "ha_noi",
        head.person.citizen_id.as_str(),
        binh.as_str(),
    );
    let before = intake_rows(&t).await;
    let asked = browser
        .post_multipart(
            &action,
            &fields,
            &[("founding_decision", PDF), ("rep_paper_1", PNG)],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert!(asked.location().starts_with("/console/actions/dact_"));
    assert_eq!(intake_rows(&t).await, before, "nothing before the phone");

    // The phone shows what it is: the intake, the organisation, the paper consent.
    let listed = waiting_on(&t, &officer).await;
    assert_eq!(listed.len(), 1);
    let pending = &listed[0];
    assert_eq!(pending.kind, ActionKind::RegisterInPerson);
    assert_eq!(pending.asked_from, ActionOrigin::Console);
    assert!(pending.summary_vi.contains(&name), "{}", pending.summary_vi);
    assert!(
        pending
            .summary_vi
            .contains("1 người đại diện đồng ý trên giấy"),
        "{}",
        pending.summary_vi
    );
    // It confirms the scans' digests.
    let scans = pending.body["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    let pdf_hash = dinhdanh_core::crypto::sha256(PDF);
    assert!(
        scans
            .iter()
            .any(|s| s["sha256"] == serde_json::to_value(pdf_hash).unwrap()),
        "{scans:?}"
    );
    let confirmed = confirm_on(&t, &officer, pending).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );

    // The console's page links to the request.
    let done = browser.get(asked.location()).await;
    assert!(done.body.contains("Hồ sơ đã được tạo"), "{}", done.body);
    let href = done
        .doc()
        .select("a.button[href^='/console/requests/']")
        .attr("href")
        .expect("a link to the request")
        .to_string();
    let id = RegistrationId::parse(href.rsplit('/').next().unwrap()).unwrap();
    let request_page = browser.get(&href).await;
    assert_eq!(request_page.status, 200, "{}", request_page.body);
    assert!(request_page.body.contains(&name));

    // The records of a request sent from the app: the requester's, with the officer as the
    // in-person officer; the documents the requester's attachments, linked to it; the paper
    // consent answered with its scan; submitted in the history and the audit trail.
    let (requester, in_person, status): (String, Option<String>, String) = sqlx::query_as(
        "SELECT requester, in_person_officer, status FROM registrations WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(requester, head.person.account.as_str());
    assert_eq!(in_person.as_deref(), Some(officer.person.account.as_str()));
    // Type 4 has no register: an officer verifies it, as when it is sent from the app.
    assert_eq!(status, "awaiting_officer");
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT a.owner_account FROM attachments a JOIN registration_attachments r \
         ON r.attachment_id = a.id WHERE r.registration_id = $1",
    )
    .bind(id.as_str())
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(owners, vec![head.person.account.to_string(); 2]);
    let (consented, paper, account): (Option<i64>, Option<String>, Option<String>) =
        sqlx::query_as(
            "SELECT consented, consent_paper, account_id FROM registration_consents \
             WHERE registration_id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!((consented, account), (Some(1), None));
    let paper_kind: String = sqlx::query_scalar("SELECT kind FROM attachments WHERE id = $1")
        .bind(paper.unwrap())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(paper_kind, "consent_paper");
    assert_eq!(
        audited(
            &t,
            "registration.submitted",
            officer.person.account.as_str()
        )
        .await,
        1
    );
    // The requester sees it in the app, as their own, the co-representative as consenting.
    let mine = t
        .get(paths::REGISTRATIONS, Auth::Session(&head.session))
        .await;
    let mine: Vec<dinhdanh_core::api::RegistrationView> = mine.json().await.unwrap();
    let view = mine
        .iter()
        .find(|v| v.id == id)
        .expect("the requester's own");
    assert_eq!(view.status, RegistrationStatus::AwaitingOfficer);
    assert_eq!(view.consents.len(), 1);
    assert_eq!(view.consents[0].consented, Some(true));

    // Approved: the representative with an account becomes an owner now; the one without
    // becomes one when he creates an account, linked by his identification number.
    registrations::decide_in_person(
        t.state(),
        &officer.person.citizen_id,
        &id,
        &dinhdanh_core::api::Decision::Approve,
    )
    .await
    .unwrap();
    let owners_of = |account: String| {
        let pool = t.state().pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM delegations WHERE account_id = $1 AND role = 'owner' \
                 AND revoked_at IS NULL",
            )
            .bind(account)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(owners_of(head.person.account.to_string()).await, 1);
    let binh_account = dinhdanh_server::testing::accounts::create_account(
        t.state(),
        &binh,
        &dinhdanh_core::ids::Password::parse("Matkhau#2026").unwrap(),
        dinhdanh_core::account::AccountLevel::Level2,
    )
    .await
    .unwrap();
    assert_eq!(owners_of(binh_account.to_string()).await, 1);
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'organisation.owner_linked'"
        )
        .await,
        1
    );
}

backend_test!(an_intake_for_a_requester_without_an_account_becomes_theirs_when_they_create_one);
async fn an_intake_for_a_requester_without_an_account_becomes_theirs_when_they_create_one(
    db: Backend,
) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    // Lan came to the counter and never installed the app; Bình consents on paper.
    let (lan, lan_phone) = identity::citizen_and_phone_without_account(&t, "Nguyễn Thị Lan").await;
    let binh = identity::citizen_without_account(&t, "Trần Văn Bình").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    let (action, csrf) = intake_form(&mut browser, "organisation_without_registration").await;
    let name = format!("Hội Khuyến học phường {}", next_request_number());
    let fields = type_four_fields(&csrf, &name, "ha_noi", lan.as_str(), binh.as_str());
    let asked = browser
        .post_multipart(
            &action,
            &fields,
            &[("founding_decision", PDF), ("rep_paper_1", PNG)],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let listed = waiting_on(&t, &officer).await;
    assert_eq!(listed.len(), 1);
    // The phone says the requester has no account, by masked number only.
    let summary = &listed[0].summary_vi;
    assert!(summary.contains("chưa có tài khoản"), "{summary}");
    assert!(summary.contains(&lan.masked()), "{summary}");
    assert!(!summary.contains(lan.as_str()), "{summary}");
    let confirmed = confirm_on(&t, &officer, &listed[0]).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    let done = browser.get(asked.location()).await;
    let href = done
        .doc()
        .select("a.button[href^='/console/requests/']")
        .attr("href")
        .expect("a link to the request")
        .to_string();
    let id = RegistrationId::parse(href.rsplit('/').next().unwrap()).unwrap();

    // The request page names her, masked, and says she has no account yet.
    let page = browser.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&lan.masked()), "{}", page.body);
    assert!(!page.body.contains(lan.as_str()), "no full number");
    assert!(
        page.doc()
            .select("#requester-no-account")
            .text()
            .contains("Người nộp chưa có tài khoản"),
        "{}",
        page.body
    );

    // The records of an online request, for her number and no account.
    let lan_key = t.state().keys.citizen_key(&lan);
    let (requester, key): (Option<String>, Vec<u8>) =
        sqlx::query_as("SELECT requester, requester_key FROM registrations WHERE id = $1")
            .bind(id.as_str())
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    assert_eq!((requester, key), (None, lan_key.clone()));
    let scans: Vec<(Option<String>, Vec<u8>)> = sqlx::query_as(
        "SELECT a.owner_account, a.owner_key FROM attachments a JOIN registration_attachments r \
         ON r.attachment_id = a.id WHERE r.registration_id = $1",
    )
    .bind(id.as_str())
    .fetch_all(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(scans, vec![(None, lan_key.clone()); 2]);

    // Approved: the organisation is created, registered by her number.
    let view = registrations::decide_in_person(
        t.state(),
        &officer.person.citizen_id,
        &id,
        &dinhdanh_core::api::Decision::Approve,
    )
    .await
    .unwrap();
    assert_eq!(view.status, RegistrationStatus::Approved);
    assert_eq!(view.requester.account, None);
    let eid = view.org_eid.expect("an e-ID number");
    let (registered_by, registered_key): (Option<String>, Vec<u8>) =
        sqlx::query_as("SELECT registered_by, registered_by_key FROM organisations WHERE eid = $1")
            .bind(eid.as_str())
            .fetch_one(&t.state().pool)
            .await
            .unwrap();
    assert_eq!((registered_by, registered_key), (None, lan_key.clone()));
    // No inbox to tell her in: the approval goes by SMS to the phone the records hold.
    let told = t
        .outbox()
        .iter()
        .filter(|m| {
            m["to"] == lan_phone.as_str() && m["kind"] == "registration.registration_approved"
        })
        .count();
    assert_eq!(told, 1);
    let page = browser.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(eid.as_str()), "{}", page.body);

    // She creates an account: the request, the scans and the organisation become hers, as
    // if she had filed from the app, and she is an owner as its representative.
    let person = identity::open_account(&t, &lan, &lan_phone).await;
    let device = common::Device::new();
    let bound = identity::bind(&t, &person, &device).await;
    let session = identity::sign_in(&t, &person, &device, &bound.id).await;
    let mine = t.get(paths::REGISTRATIONS, Auth::Session(&session)).await;
    assert_eq!(mine.status(), 200);
    let mine: Vec<dinhdanh_core::api::RegistrationView> = mine.json().await.unwrap();
    let view = mine.iter().find(|v| v.id == id).expect("her own request");
    assert_eq!(view.requester.account.as_ref(), Some(&person.account));
    assert_eq!(view.org_eid.as_ref(), Some(&eid));
    let org = t
        .get(
            &paths::fill(paths::ORGANISATION, "eid", eid.as_str()),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(org.status(), 200, "{}", org.text().await.unwrap());
    let org: dinhdanh_core::api::OrganisationRecord = org.json().await.unwrap();
    assert_eq!(org.registered_by.account.as_ref(), Some(&person.account));
    assert_eq!(org.registered_by.citizen_id_masked, lan.masked());
    let owners: Vec<Option<String>> =
        sqlx::query_scalar("SELECT owner_account FROM attachments WHERE owner_key = $1")
            .bind(lan_key.clone())
            .fetch_all(&t.state().pool)
            .await
            .unwrap();
    assert_eq!(owners, vec![Some(person.account.to_string()); 2]);
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'registration.requester_linked'"
        )
        .await,
        1
    );
    let owner: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM delegations WHERE account_id = $1 AND eid = $2 AND role = 'owner' \
         AND revoked_at IS NULL",
    )
    .bind(person.account.as_str())
    .bind(eid.as_str())
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(owner, 1);
    // Her scan is hers to read now, as an uploader's is.
    let scan = &view.attachments[0];
    let read = t
        .get(
            &paths::fill(paths::ATTACHMENT, "id", scan.id.as_str()),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(read.status(), 200);
    // The console no longer says she has no account.
    let page = browser.get(&href).await;
    assert!(page.doc().select("#requester-no-account").is_empty());
}

backend_test!(an_intake_the_registry_settles_for_a_requester_without_an_account_links_her_later);
async fn an_intake_the_registry_settles_for_a_requester_without_an_account_links_her_later(
    db: Backend,
) {
    use dinhdanh_core::ids::TaxCode;
    use dinhdanh_core::org_type::{AddressLine, Name, RegistryKind};
    use dinhdanh_server::testing::registry::{self, RegistryEntry, RegistryStatus};

    const ORG: &str = "Công ty TNHH Gốm sứ Bát Tràng Lan";
    const ADDRESS: &str = "Số 18 phố Duy Tân, phường Cầu Giấy";
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    // Lan, of the people records, has no account; the business registry lists her as the
    // enterprise's legal representative, so the registry settles an enterprise's request (types
    // 1-3: `file_in` checks the registry at filing, whoever files).
    let (lan, lan_phone) = identity::citizen_and_phone_without_account(&t, "Nguyễn Thị Lan").await;
    let base = 10_000_000 + next_request_number() * 7_919;
    let code = (base..base + 100)
        .find_map(TaxCode::from_body)
        .expect("a tax code");
    registry::insert_entries(
        t.state(),
        &[RegistryEntry {
            registry: RegistryKind::BusinessRegistry,
            code: code.clone(),
            agency_code: None,
            name_vi: Name::parse(ORG).unwrap(),
            address: AddressLine::parse(ADDRESS).unwrap(),
            province: NewProvince::parse("ha_noi").unwrap(),
            established_on: chrono::NaiveDate::from_ymd_opt(2015, 4, 20).unwrap(),
            status: RegistryStatus::Active,
            representatives: vec![(lan.clone(), Name::parse("Nguyễn Thị Lan").unwrap())],
        }],
    )
    .await
    .unwrap();
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);

    // The enterprise's form at the counter, as the registry knows it; no scan is needed of a
    // legal representative.
    let (action, csrf) = intake_form(&mut browser, "enterprise").await;
    let fields = vec![
        ("csrf", csrf.as_str()),
        ("org_type", "enterprise"),
        ("requester_citizen_id", lan.as_str()),
        ("name_vi", ORG),
        ("established_on", "2015-04-20"),
        ("head_office_address", ADDRESS),
        ("head_office_province", "ha_noi"),
        ("enterprise_code", code.as_str()),
        ("contact_phone", "0912345678"),
        ("rep_name_0", "Nguyễn Thị Lan"),
        ("rep_id_0", lan.as_str()),
    ];
    let asked = browser.post_multipart(&action, &fields, &[]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let listed = waiting_on(&t, &officer).await;
    assert_eq!(listed.len(), 1);
    assert!(listed[0].summary_vi.contains("chưa có tài khoản"));
    let confirmed = confirm_on(&t, &officer, &listed[0]).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    let done = browser.get(asked.location()).await;
    let href = done
        .doc()
        .select("a.button[href^='/console/requests/']")
        .attr("href")
        .expect("a link to the request")
        .to_string();
    let id = RegistrationId::parse(href.rsplit('/').next().unwrap()).unwrap();

    // Settled by the registry at filing: approved with no officer's decision, the
    // organisation made, both recorded by her number and no account.
    let lan_key = t.state().keys.citizen_key(&lan);
    let (status, requester, key, eid): (String, Option<String>, Vec<u8>, Option<String>) =
        sqlx::query_as(
            "SELECT status, requester, requester_key, org_eid FROM registrations WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap();
    assert_eq!(status, "approved");
    assert_eq!((requester, key), (None, lan_key.clone()));
    let eid = eid.expect("an organisation");
    let (registered_by, registered_key, enterprise_code): (
        Option<String>,
        Vec<u8>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT registered_by, registered_by_key, enterprise_code FROM organisations \
             WHERE eid = $1",
    )
    .bind(&eid)
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!((registered_by, registered_key), (None, lan_key.clone()));
    assert_eq!(enterprise_code.as_deref(), Some(code.as_str()));
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'registration.approved_automatically'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'registration.approved'"
        )
        .await,
        0,
        "no officer decided it"
    );
    // No inbox to tell her in: the approval goes by SMS to the phone the records hold, once.
    let told = |kind: &'static str| {
        t.outbox()
            .iter()
            .filter(|m| m["to"] == lan_phone.as_str() && m["kind"] == kind)
            .count()
    };
    assert_eq!(told("registration.registration_approved"), 1);

    // She creates an account: the request and the organisation become hers, and she is its
    // owner, as if she had filed from the app.
    let person = identity::open_account(&t, &lan, &lan_phone).await;
    let device = common::Device::new();
    let bound = identity::bind(&t, &person, &device).await;
    let session = identity::sign_in(&t, &person, &device, &bound.id).await;
    let mine = t.get(paths::REGISTRATIONS, Auth::Session(&session)).await;
    assert_eq!(mine.status(), 200);
    let mine: Vec<dinhdanh_core::api::RegistrationView> = mine.json().await.unwrap();
    let view = mine.iter().find(|v| v.id == id).expect("her own request");
    assert_eq!(view.status, RegistrationStatus::Approved);
    assert_eq!(view.requester.account.as_ref(), Some(&person.account));
    assert_eq!(
        view.org_eid.as_ref().map(|e| e.as_str()),
        Some(eid.as_str())
    );
    let org = t
        .get(
            &paths::fill(paths::ORGANISATION, "eid", &eid),
            Auth::Session(&session),
        )
        .await;
    assert_eq!(org.status(), 200, "{}", org.text().await.unwrap());
    let org: dinhdanh_core::api::OrganisationRecord = org.json().await.unwrap();
    assert_eq!(org.registered_by.account.as_ref(), Some(&person.account));
    let owner: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM delegations WHERE account_id = $1 AND eid = $2 AND role = 'owner' \
         AND revoked_at IS NULL",
    )
    .bind(person.account.as_str())
    .bind(&eid)
    .fetch_one(&t.state().pool)
    .await
    .unwrap();
    assert_eq!(owner, 1);
    assert_eq!(
        scalar(
            &t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'registration.requester_linked'"
        )
        .await,
        1
    );
}

backend_test!(files_sent_with_an_intake_that_comes_back_are_kept_for_the_next_try);
async fn files_sent_with_an_intake_that_comes_back_are_kept_for_the_next_try(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let head = phone(&t).await;
    let binh = identity::citizen_without_account(&t, "Trần Văn Bình").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let (action, csrf) = intake_form(&mut browser, "organisation_without_registration").await;
    let name = format!("Hội Người cao tuổi phường {}", next_request_number());
    let head_id = head.person.citizen_id.as_str().to_owned();
    let before = intake_rows(&t).await;

    // The requester's number mistyped: the form comes back naming both files received.
    let mut fields = type_four_fields(&csrf, &name, "ha_noi", &head_id, binh.as_str());
    fields[2] = ("requester_citizen_id", "00109000123");
    let back = browser
        .post_multipart(
            &action,
            &fields,
            &[("founding_decision", PDF), ("rep_paper_1", PNG)],
        )
        .await;
    assert_eq!(back.status, 400, "{}", back.body);
    let doc = back.doc();
    let token = |field: &str| {
        doc.select(&format!("input[name='kept_{field}']"))
            .attr("value")
            .unwrap_or_else(|| panic!("{field} kept: {}", back.body))
            .to_string()
    };
    let decision = token("founding_decision");
    let paper = token("rep_paper_1");
    assert!(
        doc.select("#f-founding_decision-kept")
            .text()
            .contains("PDF")
    );
    assert_eq!(
        intake_rows(&t).await,
        before,
        "no row for a form that came back"
    );
    assert!(waiting_on(&t, &officer).await.is_empty());

    // A token altered, or made by another session, brings nothing back: the required
    // document is asked for again.
    let (digest, _) = decision.split_once('.').unwrap();
    let forged = format!("{digest}.{}", "A".repeat(43));
    let mut other = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut other, &officer).await.status, 303);
    let (_, other_csrf) = intake_form(&mut other, "organisation_without_registration").await;
    let mut other_back = type_four_fields(&other_csrf, &name, "ha_noi", &head_id, binh.as_str());
    other_back.push(("kept_founding_decision", decision.as_str()));
    for (who, fields) in [
        (&mut browser, {
            let mut f = type_four_fields(&csrf, &name, "ha_noi", &head_id, binh.as_str());
            f.push(("kept_founding_decision", forged.as_str()));
            f
        }),
        (&mut other, other_back),
    ] {
        let refused = who.post_multipart(&action, &fields, &[]).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(
            !refused
                .doc()
                .select("#f-founding_decision-error")
                .text()
                .is_empty(),
            "{}",
            refused.body
        );
    }
    assert!(waiting_on(&t, &officer).await.is_empty());

    // The number corrected, no file chosen: the kept ones are the scans the phone confirms.
    let mut fields = type_four_fields(&csrf, &name, "ha_noi", &head_id, binh.as_str());
    fields.push(("kept_founding_decision", decision.as_str()));
    fields.push(("kept_rep_paper_1", paper.as_str()));
    let asked = browser.post_multipart(&action, &fields, &[]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let pending = waiting_on(&t, &officer).await.remove(0);
    let scans: Vec<serde_json::Value> = pending.body["scans"].as_array().unwrap().clone();
    for content in [PDF, PNG] {
        let digest = serde_json::to_value(dinhdanh_core::crypto::sha256(content)).unwrap();
        assert!(scans.iter().any(|s| s["sha256"] == digest), "{scans:?}");
    }
    assert_eq!(confirm_on(&t, &officer, &pending).await.status(), 200);
    assert_eq!(intake_rows(&t).await[0], before[0] + 1);
}

backend_test!(a_bad_intake_changes_nothing_and_says_why_under_the_field);
async fn a_bad_intake_changes_nothing_and_says_why_under_the_field(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let head = phone(&t).await;
    let binh = identity::citizen_without_account(&t, "Trần Văn Bình").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let (action, csrf) = intake_form(&mut browser, "organisation_without_registration").await;
    let name = format!("Hội Người cao tuổi phường {}", next_request_number());
    let head_id = head.person.citizen_id.as_str().to_owned();
    let before = intake_rows(&t).await;

    // A malformed identification number: its sentence, everything typed kept.
    let mut fields = type_four_fields(&csrf, &name, "ha_noi", "00109000123", binh.as_str());
    fields[2] = ("requester_citizen_id", "00109000123");
    fields[9] = ("rep_id_0", head_id.as_str());
    let bad_number = browser
        .post_multipart(&action, &fields, &[("founding_decision", PDF)])
        .await;
    assert_eq!(bad_number.status, 400, "{}", bad_number.body);
    let doc = bad_number.doc();
    assert!(
        !doc.select("#f-requester-error").text().is_empty(),
        "{}",
        bad_number.body
    );
    assert_eq!(
        doc.select("#f-requester")
            .attr("value")
            .unwrap()
            .to_string(),
        "00109000123"
    );
    assert_eq!(
        doc.select("#f-name_vi").attr("value").unwrap().to_string(),
        name
    );
    assert_eq!(
        doc.select("#rep-name-1").attr("value").unwrap().to_string(),
        "Trần Văn Bình"
    );
    // The PDF passed the checks: kept for the next try, not asked for again.
    assert_eq!(doc.select("#choose-again").length(), 0);
    assert!(
        doc.select("#f-founding_decision-kept")
            .text()
            .contains("PDF")
    );

    // A file that is not a PDF, JPEG or PNG.
    let fields = type_four_fields(&csrf, &name, "ha_noi", &head_id, binh.as_str());
    let gif = browser
        .post_multipart(
            &action,
            &fields,
            &[("founding_decision", b"GIF89a\x01\x00\x01\x00".as_slice())],
        )
        .await;
    assert_eq!(gif.status, 400, "{}", gif.body);
    // A refused file is not kept: chosen again.
    assert_eq!(gif.doc().select("#choose-again").length(), 1);
    assert_eq!(
        gif.doc()
            .select("input[name='kept_founding_decision']")
            .length(),
        0
    );
    assert!(
        gif.doc()
            .select("#f-founding_decision-error")
            .text()
            .contains("không phải PDF, JPEG hoặc PNG"),
        "{}",
        gif.body
    );
    // The same for a consent paper.
    let bad_paper = browser
        .post_multipart(
            &action,
            &fields,
            &[
                ("founding_decision", PDF),
                ("rep_paper_1", b"<html>".as_slice()),
            ],
        )
        .await;
    assert_eq!(bad_paper.status, 400);
    assert!(
        bad_paper
            .doc()
            .select("#rep-paper-1-error")
            .text()
            .contains("không phải PDF, JPEG hoặc PNG")
    );

    // A required field left empty, and a required document missing.
    let mut fields = type_four_fields(&csrf, "", "ha_noi", &head_id, binh.as_str());
    fields[3] = ("name_vi", "   ");
    let missing = browser.post_multipart(&action, &fields, &[]).await;
    assert_eq!(missing.status, 400, "{}", missing.body);
    let doc = missing.doc();
    assert!(
        doc.select("#f-name_vi-error").text().contains("bắt buộc"),
        "{}",
        missing.body
    );
    assert!(
        !doc.select("#f-founding_decision-error").text().is_empty(),
        "{}",
        missing.body
    );

    // A well-formed number the people records do not know.
    let stranger = dinhdanh_core::ids::CitizenId::from_parts(
        dinhdanh_core::ids::OldProvince::from_code(1).unwrap(),
        dinhdanh_core::ids::Gender::Male,
        1970,
        424_242,
    )
    .unwrap();
    let mut fields = type_four_fields(&csrf, &name, "ha_noi", stranger.as_str(), &head_id);
    fields[9] = ("rep_id_0", head_id.as_str());
    fields[11] = ("rep_id_1", binh.as_str());
    let unknown = browser
        .post_multipart(&action, &fields, &[("founding_decision", PDF)])
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert!(
        unknown
            .doc()
            .select("#f-requester-error")
            .text()
            .contains("Không có người mang số định danh này"),
        "{}",
        unknown.body
    );

    // Without the CSRF token: refused whole.
    let mut fields = type_four_fields(&csrf, &name, "ha_noi", &head_id, binh.as_str());
    fields[0] = ("csrf", "forged");
    let forged = browser
        .post_multipart(&action, &fields, &[("founding_decision", PDF)])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);

    assert_eq!(intake_rows(&t).await, before, "nothing stored");
    assert!(waiting_on(&t, &officer).await.is_empty(), "nothing asked");
}

backend_test!(an_officer_of_another_province_cannot_take_an_intake_for_this_one);
async fn an_officer_of_another_province_cannot_take_an_intake_for_this_one(db: Backend) {
    let t = TestServer::start(db).await;
    let officer = officer(&t, "ho_chi_minh").await;
    let head = phone(&t).await;
    let binh = identity::citizen_without_account(&t, "Trần Văn Bình").await;
    let mut browser = Browser::new(&t);
    assert_eq!(sign_in(&t, &mut browser, &officer).await.status, 303);
    let (action, csrf) = intake_form(&mut browser, "organisation_without_registration").await;
    // The form offers the officer's own province first.
    let form = browser
        .get("/console/intake?type=organisation_without_registration")
        .await;
    assert_eq!(
        form.doc()
            .select("#f-head_office_province option[selected]")
            .attr("value")
            .unwrap()
            .to_string(),
        "ho_chi_minh"
    );
    let before = intake_rows(&t).await;
    let name = format!("Hội Cựu chiến binh phường {}", next_request_number());
    let fields = type_four_fields(
        &csrf,
        &name,
        "ha_noi",
        head.person.citizen_id.as_str(),
        binh.as_str(),
    );
    let refused = browser
        .post_multipart(&action, &fields, &[("founding_decision", PDF)])
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused
            .doc()
            .select("#f-head_office_province-error")
            .text()
            .contains("tỉnh, thành phố của bạn"),
        "{}",
        refused.body
    );
    assert_eq!(intake_rows(&t).await, before);
    assert!(waiting_on(&t, &officer).await.is_empty());
    assert_eq!(
        audited(
            &t,
            "registration.in_person.refused",
            officer.person.account.as_str()
        )
        .await,
        1
    );

    // The national scope takes no intake.
    let national = phone(&t).await;
    officers::grant_national_officer(t.state(), &national.person.citizen_id)
        .await
        .unwrap();
    let mut national_browser = Browser::new(&t);
    assert_eq!(
        sign_in(&t, &mut national_browser, &national).await.status,
        303
    );
    assert_eq!(national_browser.get("/console/intake").await.status, 403);
}

// ---------------------------------------------------------------------------------------------
// The working-day calendar
// ---------------------------------------------------------------------------------------------

async fn due_on(t: &TestServer, id: &RegistrationId) -> String {
    sqlx::query_scalar("SELECT due_on FROM registrations WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(&t.state().pool)
        .await
        .unwrap()
}

/// Posts a form of the calendar's page to `action`, with the session's token.
async fn post_calendar(browser: &mut Browser, action: &str, fields: &[(&str, &str)]) -> Got {
    let page = browser.get("/console/holidays").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page
        .doc()
        .select("input[name='csrf']")
        .first()
        .attr("value")
        .unwrap()
        .to_string();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post_form(action, &all).await
}

backend_test!(a_calendar_keeper_changes_the_days_off_confirmed_on_the_phone_and_due_dates_follow);
async fn a_calendar_keeper_changes_the_days_off_confirmed_on_the_phone_and_due_dates_follow(
    db: Backend,
) {
    use chrono::{Datelike, NaiveDate};
    use dinhdanh_server::resources::holidays;

    let t = TestServer::start(db).await;
    let officer = officer(&t, "ha_noi").await;
    let account = officer.session.account.as_str().to_owned();
    let request = ha_noi_request(&t, &officer.person).await;
    // Only a request a registry settles counts its due date in working days (3; an officer's
    // verification counts 15 calendar days): the request is made one, still being checked —
    // by SQL, since filing one needs a registry's record and every representative's account —
    // and its due date counted on the table as the server does at start.
    sqlx::query(
        "UPDATE registrations SET org_type = 'enterprise', status = 'checking' WHERE id = $1",
    )
    .bind(request.id.as_str())
    .execute(&t.state().pool)
    .await
    .unwrap();
    holidays::recount_at_start(t.state()).await.unwrap();
    // Its due day is a working day: made a day off, the due date moves past it.
    let due = due_on(&t, &request.id).await;
    let due_day = NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap();
    let saturday =
        due_day + chrono::Days::new(u64::from(5 - due_day.weekday().num_days_from_monday()));
    let saturday = saturday.format("%Y-%m-%d").to_string();
    let year = due_day.year().to_string();
    let mut browser = Browser::new(&t);
    sign_in(&t, &mut browser, &officer).await;

    // Any officer reads the year's table; only a keeper gets the forms.
    let page = browser.get(&format!("/console/holidays?year={year}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let doc = page.doc();
    assert!(doc.select("form[action='/console/holidays']").is_empty());
    assert!(
        doc.select("form[action='/console/holidays/removal']")
            .is_empty()
    );
    assert_eq!(
        doc.select("nav.nav a[aria-current='page']")
            .attr("href")
            .unwrap()
            .to_string(),
        "/console/holidays"
    );
    let add = [
        ("day", due.as_str()),
        ("kind", "day_off"),
        ("name_vi", "Nghỉ bù"),
        ("name_en", "Day off in lieu"),
    ];
    let refused = post_calendar(&mut browser, "/console/holidays", &add).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("Only calendar keepers can change this table"),
        "{}",
        refused.body
    );
    assert!(waiting_on(&t, &officer).await.is_empty());
    assert_eq!(audited(&t, "holiday.change.refused", &account).await, 1);

    holidays::grant_keeper(t.state(), &officer.person.citizen_id)
        .await
        .unwrap();
    let page = browser.get(&format!("/console/holidays?year={year}")).await;
    assert_eq!(
        page.doc()
            .select("form[action='/console/holidays']")
            .length(),
        1
    );

    // Bad input: a sentence under its field, what was typed kept, nothing asked of the phone.
    for (day, kind, name_vi, error_id, words) in [
        (
            "2027-02-30",
            "day_off",
            "Nghỉ bù",
            "holiday-day-error",
            "write it YYYY-MM-DD",
        ),
        (
            saturday.as_str(),
            "day_off",
            "Nghỉ bù",
            "holiday-kind-error",
            "Saturdays and Sundays are days off already",
        ),
        (
            due.as_str(),
            "day_off",
            "",
            "holiday-name-vi-error",
            "The Vietnamese name",
        ),
        (
            due.as_str(),
            "half_day",
            "Nghỉ bù",
            "holiday-kind-error",
            "Choose what kind of day it is",
        ),
    ] {
        let got = post_calendar(
            &mut browser,
            "/console/holidays",
            &[
                ("day", day),
                ("kind", kind),
                ("name_vi", name_vi),
                ("name_en", "Day off in lieu"),
            ],
        )
        .await;
        assert_eq!(got.status, 400, "{day} {kind}: {}", got.body);
        let doc = got.doc();
        let said = doc.select(&format!("#{error_id}")).text().to_string();
        assert!(said.contains(words), "{day} {kind}: {said}");
        assert_eq!(
            doc.select("#holiday-day")
                .attr("value")
                .unwrap()
                .to_string(),
            day
        );
        assert_eq!(
            doc.select("#holiday-name-en")
                .attr("value")
                .unwrap()
                .to_string(),
            "Day off in lieu"
        );
    }
    assert!(waiting_on(&t, &officer).await.is_empty());
    assert_eq!(due_on(&t, &request.id).await, due);

    // A day off on the due day, confirmed on the phone: the due date moves past it.
    let asked = post_calendar(&mut browser, "/console/holidays", &add).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let action_href = asked.location().to_owned();
    let waiting = waiting_on(&t, &officer).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].kind, ActionKind::ChangeHolidayTable);
    assert!(
        waiting[0].summary_vi.contains("Nghỉ bù"),
        "{}",
        waiting[0].summary_vi
    );
    assert_eq!(due_on(&t, &request.id).await, due, "not before the phone");
    let confirmed = confirm_on(&t, &officer, &waiting[0]).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    let done = browser.get(&action_href).await;
    let moved = due_on(&t, &request.id).await;
    assert!(moved > due, "{moved} after {due}: {}", done.body);
    assert!(done.body.contains("Đã thực hiện"), "{}", done.body);
    assert!(
        done.body.contains("Open requests whose due date moved: 1."),
        "{}",
        done.body
    );
    assert_eq!(audited(&t, "holiday.added", &account).await, 1);
    assert_eq!(
        audited(&t, "registration.due_date_moved", &account).await,
        1
    );
    let listed = browser.get(&format!("/console/holidays?year={year}")).await;
    let row = listed
        .doc()
        .select(&format!("input[name='day'][value='{due}']"))
        .length();
    assert_eq!(row, 1, "the day has its removal form");
    assert!(listed.body.contains("Calendar keeper"));
    // Asking to add it again is refused before the phone.
    let again = post_calendar(&mut browser, "/console/holidays", &add).await;
    assert_eq!(again.status, 400);
    assert!(
        again.body.contains("already in the table"),
        "{}",
        again.body
    );

    // Removed again, confirmed on the phone: the due date comes back.
    let asked = post_calendar(&mut browser, "/console/holidays/removal", &[("day", &due)]).await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let waiting = waiting_on(&t, &officer).await;
    assert_eq!(waiting.len(), 1);
    let confirmed = confirm_on(&t, &officer, &waiting[0]).await;
    assert_eq!(
        confirmed.status(),
        200,
        "{}",
        confirmed.text().await.unwrap()
    );
    assert_eq!(due_on(&t, &request.id).await, due);
    assert_eq!(audited(&t, "holiday.removed", &account).await, 1);
}
