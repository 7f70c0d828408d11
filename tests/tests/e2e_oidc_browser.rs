//! The OpenID sign-in in a real browser: Debian's Chromium, headless, driven over WebDriver
//! (chromedriver, through the `fantoccini` client), against the real server binary seeded
//! with the demo data and the demo relying party (`demo/service/`, panva's openid-client). The
//! phones are the device library (An, the legal representative of An Phát, and Mai, whom he
//! makes a delegate), their keys in the real Secret Service.
//!
//! What the person sees is asserted, and every page is saved as a screenshot under
//! `target/e2e-screens/oidc_browser/`. The phone reads the sign-in from the QR code decoded out
//! of a screenshot's PNG, as its camera would. axe-core (the demo's pinned devDependency, so
//! `npm ci` installed it) checks the login page and the demo's pages at 360 and 1280 pixels.
//!
//! One server, one demo, one chromedriver for every case (each case opens its own browser
//! session, a fresh profile): starting them per case would cost seconds each. The server runs
//! with `--oidc-sign-in-secs 20` so expiry can be seen; the other cases answer within a second
//! or two. The cases run in order and each one's failure is reported, so one broken case does
//! not hide the others. Run by `cargo xtask test` in its end-to-end step.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use dinhdanh_core::account::OrgRole;
use dinhdanh_core::api::{
    AddDelegate, DelegatedService, DelegationAnswer, RevokeDelegate, SetDelegationServices,
};
use dinhdanh_core::ids::{CitizenId, DelegationId, OrgEid};
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_tests::chromium::{
    Chromium, axe_violations, service_sign_in_in, text, wait_for_within,
};
use dinhdanh_tests::oidc_demo::{
    AN, DEMO_NAME_VI, DemoEnv, ENTERPRISE, MAI, Phone, ServerOptions, bin_dir,
};
use fantoccini::{Client as Browser, Locator};
use serde_json::{Value, json};

/// The sign-in lifetime of this run's server (`serve --oidc-sign-in-secs`).
const SIGN_IN_SECS: u32 = 20;
/// How long a page may take to show what a case waits for (expiry waits longer).
const PAGE_WAIT: Duration = Duration::from_secs(15);
/// The two widths every checked page is looked at: a small phone and a laptop.
const WIDTHS: [u32; 2] = [360, 1280];

/// Everything the cases share: the server and demo, the driver, the phones.
struct World {
    env: DemoEnv,
    driver: Chromium,
    an: Phone,
    eid: OrgEid,
    mai: Phone,
    mai_delegation: DelegationId,
    shots_dir: PathBuf,
    shots: AtomicUsize,
    axe: String,
}

impl World {
    async fn start() -> Result<World> {
        let env = DemoEnv::start_with(
            "oidc_browser",
            &ServerOptions {
                sign_in_secs: Some(SIGN_IN_SECS),
            },
        )
        .await?;
        let target = bin_dir()?.parent().context("no target dir")?.to_path_buf();
        let shots_dir = target.join("e2e-screens").join("oidc_browser");
        let _ = std::fs::remove_dir_all(&shots_dir);
        std::fs::create_dir_all(&shots_dir)?;
        let axe_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../demo/service/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&axe_file).with_context(|| {
            format!(
                "{} (the demo's devDependency: `cargo xtask test` runs `npm ci`)",
                axe_file.display()
            )
        })?;
        let driver = Chromium::start(env.root.join("chromedriver.log")).await?;
        let (an, eid) = env.phone().await?;
        // Mai becomes a member of An Phát (added by An, accepted by her): a delegate whose
        // delegation lists no service yet.
        let mai = env.phone_of(MAI).await?;
        let added = an
            .client
            .add_delegate(
                AddDelegate {
                    organisation: eid.clone(),
                    citizen_id: CitizenId::parse(MAI.citizen_id)?,
                    role: OrgRole::Member,
                    expires_on: None,
                },
                &an.passcode()?,
            )
            .await?;
        mai.client
            .answer_delegation(
                DelegationAnswer {
                    organisation: eid.clone(),
                    delegation: added.id.clone(),
                    accept: true,
                },
                &mai.passcode()?,
            )
            .await?;
        Ok(World {
            env,
            driver,
            an,
            eid,
            mai,
            mai_delegation: added.id,
            shots_dir,
            shots: AtomicUsize::new(0),
            axe,
        })
    }

    /// Saves what `browser` shows as `NN-<label>.png`; the PNG's bytes.
    async fn shot(&self, browser: &Browser, label: &str) -> Result<Vec<u8>> {
        let png = browser.screenshot().await?;
        let n = self.shots.fetch_add(1, Ordering::SeqCst) + 1;
        std::fs::write(self.shots_dir.join(format!("{n:02}-{label}.png")), &png)?;
        Ok(png)
    }

    /// The demo's home page, then *Đăng nhập bằng Định Danh*: the provider's login page.
    async fn open_login_page(&self, browser: &Browser, label: &str) -> Result<()> {
        browser.goto(&self.env.demo_url).await?;
        wait_for(browser, "main#home #sign-in").await?;
        browser
            .find(Locator::Css("#sign-in"))
            .await?
            .click()
            .await?;
        wait_for(browser, "main#login #waiting img.qr-code").await?;
        let url = browser.current_url().await?;
        ensure!(
            url.as_str()
                .starts_with(&format!("{}/oidc/", self.env.server_url)),
            "the login page is at {url}"
        );
        let title = browser.title().await?;
        ensure!(
            title.contains(DEMO_NAME_VI),
            "the login page's title: {title}"
        );
        self.shot(browser, label).await?;
        Ok(())
    }

    /// The phone's camera: the sign-in read out of a screenshot of the login page, after
    /// checking the check code the page shows is the code's.
    async fn scan(&self, browser: &Browser, phone: &Phone, label: &str) -> Result<RendezvousId> {
        let png = self.shot(browser, label).await?;
        let payload = service_sign_in_in(&png, phone)?;
        let shown = text(browser, ".check strong").await?;
        let check = payload.check_code();
        ensure!(
            shown.replace(' ', "") == check,
            "the page shows the check code {shown:?}, the QR code says {check:?}"
        );
        Ok(payload.sign_in().clone())
    }

    /// Injects axe-core into the page and runs it at each width, and checks the page does not
    /// scroll sideways; screenshots at each. The problems found, one line each (empty: none).
    async fn axe(&self, browser: &Browser, label: &str) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for width in WIDTHS {
            set_width(browser, width).await?;
            self.shot(browser, &format!("{label}-{width}px")).await?;
            let lines = axe_violations(browser, &self.axe).await?;
            found.extend(lines.into_iter().map(|l| format!("{width}px: {l}")));
            // Reflow (WCAG 1.4.10): nothing makes the page scroll sideways.
            let overflow = browser
                .execute(
                    "const e = document.documentElement; return e.scrollWidth - e.clientWidth;",
                    vec![],
                )
                .await?
                .as_i64()
                .unwrap_or_default();
            if overflow > 0 {
                found.push(format!(
                    "{width}px: the page scrolls sideways by {overflow}px"
                ));
            }
        }
        set_width(browser, 1280).await?;
        Ok(found)
    }
}

/// Sets the viewport's width (the window's height stays 900) and checks the page sees it.
async fn set_width(browser: &Browser, width: u32) -> Result<()> {
    browser.set_window_size(width, 900).await?;
    let seen = browser
        .execute("return window.innerWidth;", vec![])
        .await?
        .as_u64()
        .unwrap_or_default();
    ensure!(
        u64::from(width).abs_diff(seen) <= 16,
        "asked for a {width}px wide window, the page sees {seen}px"
    );
    Ok(())
}

/// Waits until an element matching `css` is in the page (re-checked every 50 ms).
async fn wait_for(browser: &Browser, css: &str) -> Result<fantoccini::elements::Element> {
    wait_for_within(browser, css, PAGE_WAIT).await
}

/// Case a: An signs in on the demo for An Phát, approved on his phone from the QR code.
async fn signs_in_for_the_enterprise_from_the_qr_code(w: &World) -> Result<()> {
    let browser = w.driver.browser(1280, 900).await?;
    browser.goto(&w.env.demo_url).await?;
    wait_for(&browser, "main#home").await?;
    w.shot(&browser, "demo-home").await?;
    w.open_login_page(&browser, "login-page").await?;
    // A reload shows the same sign-in again: the address bar holds the sign-in's own page, not
    // the authorization endpoint's single-use request.
    let continue_before = browser
        .find(Locator::Css("main#login"))
        .await?
        .attr("data-continue")
        .await?;
    let at = browser.current_url().await?;
    ensure!(
        at.path() == "/oidc/authorize/page",
        "the address bar after opening: {at}"
    );
    browser.refresh().await?;
    wait_for(&browser, "main#login #waiting img.qr-code").await?;
    let continue_after = browser
        .find(Locator::Css("main#login"))
        .await?
        .attr("data-continue")
        .await?;
    ensure!(
        continue_before.is_some() && continue_before == continue_after,
        "reloaded: {continue_before:?} then {continue_after:?}"
    );
    let sign_in = w.scan(&browser, &w.an, "login-page-scanned").await?;

    let view = w.an.client.read_service_sign_in(&sign_in).await?;
    ensure!(
        view.client_name_vi == DEMO_NAME_VI,
        "{}",
        view.client_name_vi
    );
    ensure!(
        view.accounts.iter().any(|a| a.eid == w.eid),
        "An Phát is not offered: {:?}",
        view.accounts
    );
    w.an.client
        .approve_service_sign_in(&view, Some(w.eid.clone()), &w.an.passcode()?)
        .await?;

    // The page hears the approval and goes on by itself, through the demo's callback.
    wait_for(&browser, "main#signed-in").await?;
    ensure!(text(&browser, "#person-name").await? == AN.name);
    ensure!(text(&browser, "#organisation-name").await? == ENTERPRISE);
    ensure!(text(&browser, "#organisation-eid").await? == w.eid.as_str());
    let role = text(&browser, "#organisation-role").await?;
    ensure!(
        role.starts_with("Người đại diện theo pháp luật"),
        "the role shown: {role}"
    );
    let api = browser.find(Locator::Css("#api-call")).await?;
    ensure!(api.attr("data-result").await?.as_deref() == Some("ok"));
    w.shot(&browser, "demo-signed-in").await?;
    let violations = w.axe(&browser, "axe-demo-signed-in").await?;
    ensure!(
        violations.is_empty(),
        "axe on the demo's signed-in page:\n{}",
        violations.join("\n")
    );

    browser
        .find(Locator::Css("#sign-out"))
        .await?
        .click()
        .await?;
    wait_for(&browser, "main#home").await?;
    let violations = w.axe(&browser, "axe-demo-home").await?;
    ensure!(
        violations.is_empty(),
        "axe on the demo's home page:\n{}",
        violations.join("\n")
    );
    browser.close().await?;
    Ok(())
}

/// Case b: Mai's delegation lists no service: her phone is refused with the sentence saying
/// why, and the browser keeps waiting (nothing reaches the demo).
async fn a_delegate_without_the_service_is_refused(w: &World) -> Result<()> {
    let browser = w.driver.browser(1280, 900).await?;
    w.open_login_page(&browser, "delegate-login-page").await?;
    let sign_in = w.scan(&browser, &w.mai, "delegate-scanned").await?;
    let view = w.mai.client.read_service_sign_in(&sign_in).await?;
    ensure!(
        !view.accounts.iter().any(|a| a.eid == w.eid),
        "An Phát is offered to a delegate whose delegation lists no service: {:?}",
        view.accounts
    );
    // The app would not offer it; a phone that asks anyway is refused by the server.
    let refused = w
        .mai
        .client
        .approve_service_sign_in(&view, Some(w.eid.clone()), &w.mai.passcode()?)
        .await;
    let Err(dinhdanh_client::error::ClientError::Api(e)) = refused else {
        bail!("the delegate's approval was not refused by the server: {refused:?}");
    };
    ensure!(e.code == "service_not_delegated", "{}", e.code);
    ensure!(
        e.message_vi
            .starts_with("Ủy quyền của bạn chưa cho phép đăng nhập vào dịch vụ này"),
        "{}",
        e.message_vi
    );
    // The browser still waits at the provider: the refusal sent nothing anywhere.
    ensure!(
        text(&browser, "#status")
            .await?
            .starts_with("Đang chờ điện thoại"),
        "the login page after the refusal: {}",
        text(&browser, "main").await?
    );
    ensure!(
        browser
            .find(Locator::Css("#waiting"))
            .await?
            .is_displayed()
            .await?
    );
    w.shot(&browser, "delegate-refused-page-waits").await?;
    browser.close().await?;
    Ok(())
}

/// Case c: An declines on the phone: the browser goes back to the demo, which says the
/// sign-in was declined (its callback got `access_denied`).
async fn declined_on_the_phone(w: &World) -> Result<()> {
    let browser = w.driver.browser(1280, 900).await?;
    w.open_login_page(&browser, "decline-login-page").await?;
    let sign_in = w.scan(&browser, &w.an, "decline-scanned").await?;
    w.an.client.decline_service_sign_in(&sign_in).await?;
    wait_for(&browser, "main#refused").await?;
    let url = browser.current_url().await?;
    ensure!(
        url.as_str().starts_with(&w.env.demo_url),
        "after a decline the browser is at {url}"
    );
    let said = text(&browser, "main#refused").await?;
    ensure!(said.contains("bị từ chối trên điện thoại"), "{said}");
    w.shot(&browser, "declined-demo-refused").await?;
    let violations = w.axe(&browser, "axe-demo-refused").await?;
    ensure!(
        violations.is_empty(),
        "axe on the demo's refusal:\n{}",
        violations.join("\n")
    );
    browser.close().await?;
    Ok(())
}

/// Case d: nobody answers: the login page says the code expired and offers a new one, which
/// works. axe runs on the login page meanwhile (it waits anyway), and on the expired page.
async fn an_unanswered_code_expires_and_a_new_one_works(w: &World) -> Result<()> {
    let browser = w.driver.browser(1280, 900).await?;
    w.open_login_page(&browser, "expiry-login-page").await?;
    let first = w.scan(&browser, &w.an, "expiry-scanned").await?;
    let violations = w.axe(&browser, "axe-login-page").await?;
    ensure!(
        violations.is_empty(),
        "axe on the login page:\n{}",
        violations.join("\n")
    );

    // The server pushes "expired" on the page's socket when the sign-in's time is up.
    wait_for_within(
        &browser,
        "#expired:not([hidden])",
        Duration::from_secs(u64::from(SIGN_IN_SECS) + 15),
    )
    .await?;
    ensure!(
        !browser
            .find(Locator::Css("#waiting"))
            .await?
            .is_displayed()
            .await?
    );
    let heading = text(&browser, "#expired-title").await?;
    ensure!(heading.starts_with("Mã đã hết hạn"), "{heading}");
    w.shot(&browser, "expiry-expired").await?;
    let violations = w.axe(&browser, "axe-login-expired").await?;
    ensure!(
        violations.is_empty(),
        "axe on the expired login page:\n{}",
        violations.join("\n")
    );

    // The phone can no longer answer the old code.
    let late = w.an.client.read_service_sign_in(&first).await;
    ensure!(late.is_err(), "the expired sign-in can still be read");

    browser
        .find(Locator::Css("#expired button.primary"))
        .await?
        .click()
        .await?;
    wait_for(&browser, "main#login #waiting:not([hidden]) img.qr-code").await?;
    let second = w.scan(&browser, &w.an, "expiry-new-code").await?;
    ensure!(second != first, "the new code names the same sign-in");
    let view = w.an.client.read_service_sign_in(&second).await?;
    w.an.client
        .approve_service_sign_in(&view, None, &w.an.passcode()?)
        .await?;
    wait_for(&browser, "main#signed-in #personal").await?;
    w.shot(&browser, "expiry-new-code-signed-in").await?;
    browser.close().await?;
    Ok(())
}

/// Case e: Mai, allowed the demo, signs in as An Phát; An revokes her delegation: the
/// provider's back-channel logout reaches the demo, which signs her out, and introspection of
/// the demo's access token says it is no longer active.
async fn revoking_the_delegation_signs_the_delegate_out(w: &World) -> Result<()> {
    w.an.client
        .set_delegation_services(
            SetDelegationServices {
                organisation: w.eid.clone(),
                delegation: w.mai_delegation.clone(),
                services: vec![DelegatedService {
                    client_id: w.env.client_id.clone(),
                    from: None,
                    until: None,
                }],
            },
            &w.an.passcode()?,
        )
        .await?;
    let browser = w.driver.browser(1280, 900).await?;
    w.open_login_page(&browser, "revoke-login-page").await?;
    let sign_in = w.scan(&browser, &w.mai, "revoke-scanned").await?;
    let view = w.mai.client.read_service_sign_in(&sign_in).await?;
    w.mai
        .client
        .approve_service_sign_in(&view, Some(w.eid.clone()), &w.mai.passcode()?)
        .await?;
    wait_for(&browser, "main#signed-in").await?;
    ensure!(text(&browser, "#person-name").await? == MAI.name);
    let role = text(&browser, "#organisation-role").await?;
    ensure!(role.starts_with("Người được ủy quyền"), "{role}");
    browser
        .find(Locator::Css("#introspect"))
        .await?
        .click()
        .await?;
    let answer = wait_for(&browser, "main#signed-in #introspection").await?;
    ensure!(answer.attr("data-active").await?.as_deref() == Some("true"));
    w.shot(&browser, "revoke-signed-in-active").await?;

    // A logout token nobody signed (`alg: none`), otherwise well formed and naming this
    // session's subject, ends nothing: the demo checks the provider's signature.
    let sub = text(&browser, "#sub").await?;
    let b64 = |v: &Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let forged = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "logout+jwt"})),
        b64(&json!({
            "iss": w.env.server_url, "aud": w.env.client_id, "sub": sub,
            "iat": w.an.client.now(), "jti": "forged-1",
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}}
        }))
    );
    let answer = reqwest::Client::new()
        .post(format!("{}backchannel-logout", w.env.demo_url))
        .form(&[("logout_token", forged)])
        .send()
        .await?;
    ensure!(
        answer.status() == 400,
        "an unsigned logout token: {}",
        answer.status()
    );
    browser.refresh().await?;
    wait_for(&browser, "main#signed-in").await?;

    w.an.client
        .revoke_delegate(
            RevokeDelegate {
                organisation: w.eid.clone(),
                delegation: w.mai_delegation.clone(),
            },
            &w.an.passcode()?,
        )
        .await?;
    // The provider delivers the logout token from a background task right after the revocation
    // commits; the demo has no channel to the open page, so the page is reloaded until the
    // demo has ended the session.
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        browser.goto(&w.env.demo_url).await?;
        if browser
            .find(Locator::Css("main#signed-out-by-provider"))
            .await
            .is_ok()
        {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the demo was not told of the revocation; its log:\n{}",
            w.env.demo_log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ensure!(
        w.env
            .demo_log()
            .contains("back-channel logout: 1 session(s) ended"),
        "{}",
        w.env.demo_log()
    );
    w.shot(&browser, "revoke-signed-out-by-provider").await?;
    browser
        .find(Locator::Css("#introspect"))
        .await?
        .click()
        .await?;
    let answer = wait_for(&browser, "main#signed-out-by-provider #introspection").await?;
    ensure!(
        answer.attr("data-active").await?.as_deref() == Some("false"),
        "introspection after the revocation: {}",
        answer.text().await?
    );
    w.shot(&browser, "revoke-introspection-inactive").await?;
    let violations = w.axe(&browser, "axe-demo-signed-out-by-provider").await?;
    ensure!(
        violations.is_empty(),
        "axe on the demo's signed-out page:\n{}",
        violations.join("\n")
    );
    browser.close().await?;
    Ok(())
}

/// Case f: the continuation and the code, relayed to a second browser (another session, a
/// fresh profile), get it nothing; the browser that started the sign-in still gets in.
async fn a_code_relayed_to_a_second_browser_gets_nothing(w: &World) -> Result<()> {
    let victim = w.driver.browser(1280, 900).await?;
    let attacker = w.driver.browser(1280, 900).await?;
    w.open_login_page(&victim, "relay-login-page").await?;
    let sign_in = w.scan(&victim, &w.an, "relay-scanned").await?;
    let continue_path = victim
        .find(Locator::Css("main#login"))
        .await?
        .attr("data-continue")
        .await?
        .context("data-continue")?;
    let continue_url = format!("{}{continue_path}", w.env.server_url);
    // The victim's browser looks elsewhere, so it does not go on by itself when the phone
    // answers; its cookies stay.
    victim.goto("about:blank").await?;
    let view = w.an.client.read_service_sign_in(&sign_in).await?;
    w.an.client
        .approve_service_sign_in(&view, Some(w.eid.clone()), &w.an.passcode()?)
        .await?;

    // The continuation in another browser: the provider refuses it, nothing reaches the demo.
    attacker.goto(&continue_url).await?;
    let at = attacker.current_url().await?;
    ensure!(
        at.as_str().starts_with(&w.env.server_url),
        "the other browser was sent on to {at}"
    );
    ensure!(!at.as_str().contains("code="), "{at}");
    // A page that says why, not the JSON meant for a service's code.
    let heading = text(&attacker, "main#refused h1").await?;
    ensure!(
        heading.contains("Trình duyệt này không bắt đầu lần đăng nhập này"),
        "the other browser is shown: {heading}"
    );
    w.shot(&attacker, "relay-continuation-refused").await?;
    let violations = w.axe(&attacker, "axe-relay-continuation-refused").await?;
    ensure!(
        violations.is_empty(),
        "axe on the refusal page: {violations:?}"
    );

    // The code itself, taken from the victim's continuation (with the victim's cookie), opened
    // in the other browser: the demo did not start a sign-in there and redeems nothing.
    let cookies = victim_cookies(&victim, &w.env.server_url).await?;
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(&continue_url)
        .header("accept", "application/json")
        .header("cookie", cookies)
        .send()
        .await?;
    ensure!(answer.status() == 303, "continue: {}", answer.status());
    let callback = answer
        .headers()
        .get("location")
        .context("no location")?
        .to_str()?
        .to_owned();
    ensure!(
        callback.starts_with(&format!("{}callback?", w.env.demo_url)),
        "{callback}"
    );
    attacker.goto(&callback).await?;
    wait_for(&attacker, "main#no-sign-in").await?;
    w.shot(&attacker, "relay-code-refused-by-demo").await?;
    let violations = w.axe(&attacker, "axe-demo-no-sign-in").await?;
    ensure!(
        violations.is_empty(),
        "axe on the demo's refusal:\n{}",
        violations.join("\n")
    );

    // The code was not spent: the browser that started the sign-in gets in with it.
    victim.goto(&callback).await?;
    wait_for(&victim, "main#signed-in").await?;
    ensure!(text(&victim, "#organisation-name").await? == ENTERPRISE);
    w.shot(&victim, "relay-victim-signed-in").await?;
    attacker.close().await?;
    victim.close().await?;
    Ok(())
}

/// The provider's cookies of `browser` as a `Cookie` header (WebDriver shows HttpOnly ones;
/// the sign-in's cookie has `Path=/oidc`, so they are read on a page there).
async fn victim_cookies(browser: &Browser, server_url: &str) -> Result<String> {
    browser
        .goto(&format!("{server_url}/oidc/assets/login.css"))
        .await?;
    let jar = browser.get_all_cookies().await?;
    ensure!(
        !jar.is_empty(),
        "the browser holds no cookie of the provider"
    );
    Ok(jar
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; "))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openid_sign_in_in_a_real_browser() -> Result<()> {
    let world = World::start().await?;
    let mut failed = Vec::new();
    macro_rules! case {
        ($name:ident) => {
            let started = Instant::now();
            let outcome = $name(&world).await;
            println!(
                "case {}: {} in {:.1} s",
                stringify!($name),
                if outcome.is_ok() { "ok" } else { "FAILED" },
                started.elapsed().as_secs_f64()
            );
            if let Err(e) = outcome {
                failed.push(format!("{}: {e:#}", stringify!($name)));
            }
        };
    }
    case!(signs_in_for_the_enterprise_from_the_qr_code);
    case!(a_delegate_without_the_service_is_refused);
    case!(declined_on_the_phone);
    case!(an_unanswered_code_expires_and_a_new_one_works);
    case!(revoking_the_delegation_signs_the_delegate_out);
    case!(a_code_relayed_to_a_second_browser_gets_nothing);
    println!("screenshots: {}", world.shots_dir.display());
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    Ok(())
}
