//! The demo relying party (`demo/service/`, panva's openid-client) signs people in with the
//! real server binary, end to end: the server seeded with the demo data on a free loopback
//! port, the demo on another, a browser played with `reqwest` (a cookie store, redirects
//! followed by hand, `Accept: application/json` at the provider's authorization endpoint), and
//! the phone played by the device library (Nguyễn Văn An's bound phone, its keys in the real
//! Secret Service, with his enterprise An Phát registered).
//!
//! The library checks everything of the provider's it touches — discovery, the JWKS and the ID
//! token's signature, `iss` in the authorization response, the token response, DPoP, userinfo:
//! a refusal there is the provider's bug. `cargo xtask test` installs the demo's packages
//! (`npm ci`) before the run.

use anyhow::{Context, Result, ensure};
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_tests::oidc_demo::{AN, DEMO_NAME_VI, DemoEnv as Env, ENTERPRISE};
use reqwest::redirect::Policy;

/// A browser: its own cookie jar, redirects followed by hand (so each hop is checked).
struct Browser {
    http: reqwest::Client,
}

/// Where a browser's sign-in stands after the provider's authorization endpoint.
struct AtProvider {
    sign_in: RendezvousId,
    continue_url: String,
}

impl Browser {
    fn new() -> Result<Browser> {
        Ok(Browser {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()?,
        })
    }

    async fn get(&self, url: &str) -> Result<reqwest::Response> {
        Ok(self.http.get(url).send().await?)
    }

    /// A `GET` at the provider's front channel, asking for JSON (browsers get HTML there).
    async fn get_json(&self, url: &str) -> Result<reqwest::Response> {
        Ok(self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await?)
    }

    /// The page at `url`: its status and text.
    async fn page(&self, url: &str) -> Result<(u16, String)> {
        let resp = self.get(url).await?;
        Ok((resp.status().as_u16(), resp.text().await?))
    }

    /// *Đăng nhập bằng Định Danh* on the demo's home page, then the provider's authorization
    /// endpoint (JSON: the login page with the QR code answers browsers in HTML).
    async fn start_sign_in(&self, env: &Env) -> Result<AtProvider> {
        let (status, home) = self.page(&env.demo_url).await?;
        ensure!(
            status == 200 && home.contains("Đăng nhập bằng Định Danh"),
            "{home}"
        );
        let resp = self
            .http
            .post(format!("{}login", env.demo_url))
            .send()
            .await?;
        ensure!(
            resp.status() == 303,
            "sign in: {} {}",
            resp.status(),
            resp.text().await?
        );
        let authorize = location(&resp)?;
        ensure!(
            authorize.starts_with(&format!("{}/oidc/authorize?", env.server_url)),
            "{authorize}"
        );
        let resp = self.get_json(&authorize).await?;
        ensure!(resp.status() == 200, "authorize: {}", resp.status());
        let body: serde_json::Value = resp.json().await?;
        let sign_in = RendezvousId::parse(body["sign_in"].as_str().context("sign_in")?)?;
        let continue_url = format!(
            "{}{}",
            env.server_url,
            body["continue"].as_str().context("continue")?
        );
        Ok(AtProvider {
            sign_in,
            continue_url,
        })
    }

    /// Continues at the provider after the phone answered: where it sends the browser back.
    async fn back_to_service(&self, at: &AtProvider) -> Result<String> {
        let resp = self.get_json(&at.continue_url).await?;
        ensure!(
            resp.status() == 303,
            "continue: {} {}",
            resp.status(),
            resp.text().await?
        );
        location(&resp)
    }

    /// Opens the demo's callback URL and follows its redirect home; the page shown.
    async fn land(&self, env: &Env, callback: &str) -> Result<(u16, String)> {
        let resp = self.get(callback).await?;
        if resp.status() == 303 {
            let next = location(&resp)?;
            ensure!(next == "/", "{next}");
            return self.page(&env.demo_url).await;
        }
        Ok((resp.status().as_u16(), resp.text().await?))
    }
}

fn location(resp: &reqwest::Response) -> Result<String> {
    Ok(resp
        .headers()
        .get("location")
        .context("no location")?
        .to_str()?
        .to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_in_to_the_demo_service_for_their_enterprise_approved_on_the_phone()
-> Result<()> {
    let env = Env::start("signed_in").await?;
    let (phone, eid) = env.phone().await?;
    let browser = Browser::new()?;
    let at = browser.start_sign_in(&env).await?;

    // The phone is shown the service from the registry, and may sign in as the enterprise.
    let view = phone.client.read_service_sign_in(&at.sign_in).await?;
    assert_eq!(view.client_name_vi, DEMO_NAME_VI);
    assert_eq!(format!("{}/", view.redirect_origin), env.demo_url);
    assert!(
        view.accounts.iter().any(|a| a.eid == eid),
        "{:?}",
        view.accounts
    );
    // Not answered yet: the browser waits at the provider.
    let waiting = browser.get_json(&at.continue_url).await?;
    assert_eq!(waiting.status(), 200);

    phone
        .client
        .approve_service_sign_in(&view, Some(eid.clone()), &phone.passcode()?)
        .await?;
    let callback = browser.back_to_service(&at).await?;
    assert!(
        callback.starts_with(&format!("{}callback?", env.demo_url)),
        "{callback}"
    );
    let (status, page) = browser.land(&env, &callback).await?;
    assert_eq!(status, 200, "{page}");
    // The demo's signed-in page: who acts for which organisation with which role, how they
    // authenticated, and its DPoP-bound call to userinfo, which succeeded.
    assert!(page.contains(r#"<main id="signed-in">"#), "{page}");
    assert!(page.contains(AN.name), "{page}");
    assert!(
        page.contains(&format!(r#"id="organisation-name">{ENTERPRISE}<"#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"id="organisation-eid">{eid}<"#)),
        "{page}"
    );
    assert!(
        page.contains(r#"id="organisation-role">Người đại diện theo pháp luật (Legal representative (owner))<"#),
        "{page}"
    );
    assert!(
        page.contains(r#"id="acr">urn:dinhdanh:acr:level-2<"#),
        "{page}"
    );
    assert!(page.contains(r#"id="amr">pin, swk<"#), "{page}");
    assert!(page.contains(r#"id="api-call" data-result="ok""#), "{page}");

    // Signing out ends the demo's session: the home page again.
    let resp = browser
        .http
        .post(format!("{}logout", env.demo_url))
        .send()
        .await?;
    assert_eq!(resp.status(), 303);
    let (_, home) = browser.page(&env.demo_url).await?;
    assert!(home.contains(r#"<main id="home">"#), "{home}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_declined_on_the_phone_lands_on_the_demo_s_refusal() -> Result<()> {
    let env = Env::start("declined").await?;
    let (phone, _) = env.phone().await?;
    let browser = Browser::new()?;
    let at = browser.start_sign_in(&env).await?;
    phone.client.decline_service_sign_in(&at.sign_in).await?;
    let callback = browser.back_to_service(&at).await?;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let (status, page) = browser.land(&env, &callback).await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<main id="refused">"#), "{page}");
    assert!(!page.contains("signed-in"), "{page}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_code_relayed_to_another_browser_gets_nothing() -> Result<()> {
    let env = Env::start("relayed").await?;
    let (phone, eid) = env.phone().await?;
    let victim = Browser::new()?;
    let attacker = Browser::new()?;
    let at = victim.start_sign_in(&env).await?;
    let view = phone.client.read_service_sign_in(&at.sign_in).await?;
    phone
        .client
        .approve_service_sign_in(&view, Some(eid), &phone.passcode()?)
        .await?;

    // The provider gives the code only to the browser that started the sign-in.
    let resp = attacker.get_json(&at.continue_url).await?;
    assert_ne!(resp.status(), 303, "another browser was sent the code");
    assert_eq!(resp.status(), 403);

    // The code, relayed to another browser, redeems nothing at the demo: without a sign-in of
    // its own it is not even tried; with one, the state does not match and it is not sent.
    let callback = victim.back_to_service(&at).await?;
    let (status, page) = attacker.land(&env, &callback).await?;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"<main id="no-sign-in">"#), "{page}");
    let _own = attacker.start_sign_in(&env).await?;
    let (status, page) = attacker.land(&env, &callback).await?;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"<main id="sign-in-failed">"#), "{page}");
    let (_, home) = attacker.page(&env.demo_url).await?;
    assert!(home.contains(r#"<main id="home">"#), "{home}");

    // The code was not spent: the browser that started the sign-in still gets in.
    let (status, page) = victim.land(&env, &callback).await?;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(r#"<main id="signed-in">"#), "{page}");
    Ok(())
}
