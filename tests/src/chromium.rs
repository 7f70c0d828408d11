//! Debian's Chromium, headless, driven over WebDriver (chromedriver, through `fantoccini`), for
//! the tests of pages a person's browser shows: the OpenID sign-in (`e2e_oidc_browser`) and the
//! officer console (`e2e_console_browser`). Also what both do with a page: wait for an element,
//! read text, run axe-core, and read the sign-in out of a screenshot as a phone's camera would.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use dinhdanh_core::qr_login::{QrPayload, ServiceSignInPayload};
use fantoccini::elements::Element;
use fantoccini::{Client as Browser, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::oidc_demo::{Phone, free_port};

/// How often a condition in the page is checked again while waiting for it.
pub const RECHECK: Duration = Duration::from_millis(50);

/// chromedriver on a free loopback port; stopped when dropped.
pub struct Chromium {
    child: Child,
    url: String,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Chromium {
    /// Starts chromedriver, logging to `log`, and waits until it takes sessions.
    pub async fn start(log: PathBuf) -> Result<Chromium> {
        let port = free_port()?;
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver (Debian: chromium-driver; `cargo xtask setup`)")?;
        let driver = Chromium {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // The driver's status endpoint says when it takes sessions.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/status", driver.url)).await {
                let body: Value = r.json().await.unwrap_or_default();
                if body["value"]["ready"] == json!(true) {
                    return Ok(driver);
                }
            }
            ensure!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(RECHECK).await;
        }
    }

    /// A new browser: headless Chromium with a fresh profile of its own (no cookies shared
    /// with any other session), `width`×`height`, Vietnamese first.
    pub async fn browser(&self, width: u32, height: u32) -> Result<Browser> {
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "args": [
                    "--headless=new",
                    // Root in a container: Chromium's sandbox needs user namespaces.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    format!("--window-size={width},{height}"),
                    "--lang=vi-VN",
                    "--no-first-run",
                    "--disable-extensions",
                ]
            }
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities")
        };
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        builder
            .connect(&self.url)
            .await
            .context("a Chromium session from chromedriver")
    }
}

/// Waits up to `within` until an element matching `css` is in the page; the failure says
/// where the browser is and what the page says.
pub async fn wait_for_within(browser: &Browser, css: &str, within: Duration) -> Result<Element> {
    match browser
        .wait()
        .at_most(within)
        .every(RECHECK)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => Ok(e),
        Err(e) => {
            let url = browser.current_url().await.map(|u| u.to_string());
            let body = text(browser, "body").await.unwrap_or_default();
            bail!("no `{css}` after {within:?} ({e}); at {url:?}, the page says: {body}")
        }
    }
}

/// The visible text of the first element matching `css`.
pub async fn text(browser: &Browser, css: &str) -> Result<String> {
    Ok(browser.find(Locator::Css(css)).await?.text().await?)
}

/// Injects axe-core (`axe_source`, the npm package's `axe.min.js`) into the page as it is and
/// runs it; the violations, one line each. WebDriver's scripts run outside the page's Content
/// Security Policy, so the page's CSP (no inline script) stays as it is.
pub async fn axe_violations(browser: &Browser, axe_source: &str) -> Result<Vec<String>> {
    browser
        .execute(&format!("{axe_source}\nreturn typeof axe;"), vec![])
        .await?;
    let result = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] })
  .then((r) => done(r.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)))
  .catch((e) => done(['axe failed: ' + e]));"#,
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(result)?)
}

/// The phone's camera: the sign-in code decoded out of a screenshot of a login page, checked
/// by the phone's own rules (this server's, not expired).
pub fn service_sign_in_in(png: &[u8], phone: &Phone) -> Result<ServiceSignInPayload> {
    let payload =
        dinhdanh_client::qr::decode_any_image_bytes(png, phone.client.now(), phone.client.origin())
            .map_err(|e| anyhow!("the QR code in the screenshot: {}", e.message_en()))?;
    let QrPayload::ServiceSignIn(payload) = payload else {
        bail!("the login page shows a desktop-login code");
    };
    Ok(payload)
}
