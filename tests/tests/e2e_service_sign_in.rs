//! A sign-in to another service, end to end with the app as the phone: the real server (its
//! OpenID provider), a relying party registered with `dinhdanh-server client add` that pushes
//! its request (PAR, `private_key_jwt`, PKCE), a browser played with `reqwest` that opens the
//! authorization endpoint and holds the cookie it sets, and the app bound to Nguyễn Văn An.
//! The code the login page shows (format version 2) is rendered to a PNG and picked in *Quét mã
//! QR*, as e2e_qr_login picks the desktop's screenshot: the app opens *Đăng nhập vào
//! <service>* with the service's registered name and redirect origin from the server, the
//! check code, and the data released. Approved with the passcode, the browser gets its code;
//! the consent is then listed under *Dịch vụ đã chia sẻ thông tin* and withdrawn; a second
//! sign-in, declined in one tap, sends the browser back with `access_denied`.

use anyhow::{Context, Result, bail, ensure};
use dinhdanh_core::crypto::{base64url_encode, sha256};
use dinhdanh_core::qr_login::{QrPayload, RendezvousId, ServiceSignInPayload};
use dinhdanh_core::signed_action::Origin;
use dinhdanh_tests::e2e::{App, E2e};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};

const AN: (&str, &str, &str) = ("001080012345", "An#Demo2025", "Nguyễn Văn An");
const PASSCODE: &str = "270419";
const SERVICE_VI: &str = "Cổng dịch vụ công (thử nghiệm)";
const SERVICE_EN: &str = "Public service portal (test)";
const REDIRECT_URI: &str = "https://dichvucong.example.vn/callback";

fn random_text() -> String {
    let mut b = [0u8; 24];
    OsRng.fill_bytes(&mut b);
    base64url_encode(&b)
}

/// What the provider's discovery document says (the test follows it, not fixed paths).
struct Provider {
    issuer: String,
    par: String,
    authorize: String,
}

impl Provider {
    async fn discover(env: &E2e) -> Result<Provider> {
        let config: Value = reqwest::get(format!(
            "{}/.well-known/openid-configuration",
            env.server_url
        ))
        .await?
        .error_for_status()?
        .json()
        .await?;
        let field = |name: &str| {
            config[name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("discovery has no {name}"))
        };
        Ok(Provider {
            issuer: field("issuer")?,
            par: field("pushed_authorization_request_endpoint")?,
            authorize: field("authorization_endpoint")?,
        })
    }
}

/// A relying party registered by the operator: its client id and signing key.
struct Rp {
    client_id: String,
    key: SigningKey,
    http: reqwest::Client,
}

/// One sign-in started in the browser: its id, the browser's cookie, what the QR code says.
struct BrowserSignIn {
    id: String,
    cookie: String,
    continue_url: String,
    payload: ServiceSignInPayload,
}

impl Rp {
    /// `dinhdanh-server client add` with a fresh ES256 key in a JWK set file.
    fn register(env: &E2e) -> Result<Rp> {
        let key = SigningKey::random(&mut OsRng);
        let point = key.verifying_key().to_encoded_point(false);
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "rp-key-1",
            "x": base64url_encode(point.x().context("x")?),
            "y": base64url_encode(point.y().context("y")?),
        }]});
        let path = env.root.join("rp-jwks.json");
        std::fs::write(&path, jwks.to_string())?;
        let path = path.display().to_string();
        let out = env.server_cli(&[
            "client",
            "add",
            "--name-vi",
            SERVICE_VI,
            "--name-en",
            SERVICE_EN,
            "--redirect-uri",
            REDIRECT_URI,
            "--jwks",
            &path,
            "--claim",
            "name",
        ])?;
        let client_id = out
            .split_whitespace()
            .find(|w| w.starts_with("rp_"))
            .with_context(|| format!("no client id in {out:?}"))?
            .to_owned();
        Ok(Rp {
            client_id,
            key,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// A client assertion (RFC 7523) for the provider, signed ES256 by the client's key.
    fn assertion(&self, provider: &Provider) -> Result<String> {
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs(),
        )?;
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": "rp-key-1"});
        let claims = json!({
            "iss": self.client_id, "sub": self.client_id, "aud": provider.issuer,
            "iat": now, "exp": now + 60, "jti": random_text(),
        });
        let input = format!(
            "{}.{}",
            base64url_encode(header.to_string().as_bytes()),
            base64url_encode(claims.to_string().as_bytes())
        );
        let signature: Signature = self.key.sign(input.as_bytes());
        Ok(format!(
            "{input}.{}",
            base64url_encode(&signature.to_bytes())
        ))
    }

    /// The service pushes its request, then the browser opens the authorization endpoint and
    /// is bound to the sign-in by the cookie it gets.
    async fn start(&self, env: &E2e, provider: &Provider) -> Result<BrowserSignIn> {
        let verifier = random_text();
        let challenge = base64url_encode(sha256(verifier.as_bytes()).as_bytes());
        let assertion = self.assertion(provider)?;
        let state = random_text();
        let nonce = random_text();
        let pushed = self
            .http
            .post(&provider.par)
            .form(&[
                ("client_id", self.client_id.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid profile"),
                ("state", &state),
                ("nonce", &nonce),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await?;
        ensure!(
            pushed.status() == 201,
            "PAR: {} {}",
            pushed.status(),
            pushed.text().await?
        );
        let pushed: Value = pushed.json().await?;
        let request_uri = pushed["request_uri"].as_str().context("request_uri")?;
        let opened = self
            .http
            .get(&provider.authorize)
            .query(&[
                ("client_id", self.client_id.as_str()),
                ("request_uri", request_uri),
            ])
            .header("accept", "application/json")
            .send()
            .await?;
        ensure!(
            opened.status() == 200,
            "authorize: {} {}",
            opened.status(),
            opened.text().await?
        );
        let cookie = opened
            .headers()
            .get("set-cookie")
            .context("no browser cookie")?
            .to_str()?
            .split(';')
            .next()
            .context("cookie")?
            .to_owned();
        let page: Value = opened.json().await?;
        let id = page["sign_in"].as_str().context("sign_in")?.to_owned();
        let expires_at: chrono::DateTime<chrono::Utc> =
            page["expires_at"].as_str().context("expires_at")?.parse()?;
        let continue_url = format!(
            "{}{}",
            env.server_url,
            page["continue"].as_str().context("continue")?
        );
        // The code the login page shows (docs/design/qr-login.md, version 2).
        let payload = ServiceSignInPayload::new(
            RendezvousId::parse(&id)?,
            Origin::parse(&env.server_url)?,
            expires_at.timestamp(),
        )?;
        Ok(BrowserSignIn {
            id,
            cookie,
            continue_url,
            payload,
        })
    }

    /// The browser asks how its sign-in stands: `None` while pending, else where it is sent.
    async fn outcome(&self, sign_in: &BrowserSignIn) -> Result<Option<String>> {
        let resp = self
            .http
            .get(&sign_in.continue_url)
            .header("cookie", &sign_in.cookie)
            // A script, not a page: a browser's page is sent back to the login page instead.
            .header("accept", "application/json")
            .send()
            .await?;
        match resp.status().as_u16() {
            200 => Ok(None),
            303 => Ok(Some(
                resp.headers()
                    .get("location")
                    .context("no location")?
                    .to_str()?
                    .to_owned(),
            )),
            s => bail!("continue {}: {s} {}", sign_in.id, resp.text().await?),
        }
    }
}

/// Binds the app to An (the demo data), with the passcode.
async fn bind(env: &E2e, app: &App) -> Result<()> {
    app.wait_for("screen-first-run").await?;
    app.click("start-bind").await?;
    app.wait_for("screen-bind").await?;
    app.type_into("citizen-id-input", AN.0).await?;
    app.type_into("password-input", AN.1).await?;
    app.click("bind-submit").await?;
    app.wait_for("screen-bind-code").await?;
    app.type_into("code-input", &env.last_code()?).await?;
    app.click("code-submit").await?;
    app.wait_for("screen-passcode-set").await?;
    app.keypad(PASSCODE).await?;
    app.keypad(PASSCODE).await?;
    app.wait_for("screen-home").await?;
    app.wait_for_text("active-account", AN.2).await?;
    Ok(())
}

/// The login page's code, as a picture, picked in *Quét mã QR*.
async fn pick(env: &E2e, app: &App, sign_in: &BrowserSignIn, label: &str) -> Result<()> {
    let png = dinhdanh_client::qr::render_payload_png(
        &QrPayload::ServiceSignIn(sign_in.payload.clone()),
        8,
    )
    .map_err(|e| anyhow::anyhow!("{}", e.message_en()))?;
    let path = env.root.join(format!("service-sign-in-{label}.png"));
    std::fs::write(&path, png)?;
    app.click("nav-qr-scan").await?;
    app.wait_for("screen-qr-scan").await?;
    env.screenshot(app, "qr-scan").await?;
    app.choose_file("qr-file", &path).await?;
    Ok(())
}

/// [`pick`], and the sign-in screen opens.
async fn scan(env: &E2e, app: &App, sign_in: &BrowserSignIn, label: &str) -> Result<()> {
    pick(env, app, sign_in, label).await?;
    app.wait_for("screen-service-sign-in").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_phone_approves_and_declines_a_sign_in_to_a_service() -> Result<()> {
    let mut env = E2e::start("service_sign_in").await?;
    env.check_screens()?;
    let started = std::time::Instant::now();
    let provider = Provider::discover(&env).await?;
    let rp = Rp::register(&env)?;
    let app = env.open_app("phone").await?;
    bind(&env, &app).await?;

    // A picked file the WebView cannot read as a picture: the screen says so in a sentence
    // (the shell never sees it).
    let not_a_picture = env.root.join("not-a-picture.png");
    std::fs::write(&not_a_picture, b"these bytes are not a picture")?;
    app.click("nav-qr-scan").await?;
    app.wait_for("screen-qr-scan").await?;
    app.choose_file("qr-file", &not_a_picture).await?;
    app.wait_for_text("error-banner", "Không đọc được ảnh này")
        .await?;
    env.screenshot(&app, "qr-scan-not-a-picture").await?;

    // Approved: what the screen shows comes from the server's registry.
    let first = rp.start(&env, &provider).await?;
    scan(&env, &app, &first, "approve").await?;
    app.wait_for_text("service-name", SERVICE_VI).await?;
    let origin = app.text("service-origin").await?;
    ensure!(origin.contains("https://dichvucong.example.vn"), "{origin}");
    let check = app.text("service-check").await?;
    ensure!(
        check.contains(&first.payload.check_code()),
        "the phone shows {check:?}, the code says {:?}",
        first.payload.check_code()
    );
    let claims = app.text("service-claims").await?;
    ensure!(claims.contains("Họ tên"), "{claims}");
    ensure!(
        app.find_css("#service-warning").await?.is_none(),
        "no warning: the browser and the phone are on one machine"
    );
    // The phone's own address beside the computer's (one machine here: both loopback).
    let phone = app.text("service-phone").await?;
    ensure!(phone.contains("127.0.0.1"), "{phone}");
    env.screenshots_at_widths(&app, "service-sign-in").await?;
    ensure!(rp.outcome(&first).await?.is_none(), "answered too early");
    app.click("service-approve").await?;
    app.wait_for("screen-passcode-confirm").await?;
    env.screenshot(&app, "service-sign-in-passcode").await?;
    app.keypad(PASSCODE).await?;
    app.wait_for("screen-service-sign-in-done").await?;
    env.screenshot(&app, "service-sign-in-done").await?;
    let location = rp
        .outcome(&first)
        .await?
        .context("approved, yet the browser still waits")?;
    ensure!(
        location.starts_with(REDIRECT_URI) && location.contains("code="),
        "{location}"
    );

    // The consent is listed with what the service received, and withdrawn after a question.
    app.click("service-done-home").await?;
    app.wait_for("screen-home").await?;
    app.click("open-service-consents").await?;
    app.wait_for("screen-service-consents").await?;
    let row = app
        .wait_for_css(
            &format!(".consent-row[data-client=\"{}\"]", rp.client_id),
            std::time::Duration::from_secs(30),
        )
        .await?;
    let listed = app.element_text(&row).await?;
    ensure!(
        listed.contains(SERVICE_VI) && listed.contains("Họ tên"),
        "{listed}"
    );
    env.screenshots_at_widths(&app, "service-consents").await?;
    app.click(&format!("consent-withdraw-{}", rp.client_id))
        .await?;
    app.wait_for(&format!("consent-question-{}", rp.client_id))
        .await?;
    env.screenshots_at_widths(&app, "service-consent-withdraw-question")
        .await?;
    app.click(&format!("consent-withdraw-confirm-{}", rp.client_id))
        .await?;
    app.wait_for_text("notice", "Đã rút lại đồng ý").await?;
    app.wait_for("consents-empty").await?;
    env.screenshots_at_widths(&app, "service-consents-empty")
        .await?;

    // The same code again: already answered, said in the banner; the scan screen stays.
    app.click("nav-home").await?;
    app.wait_for("screen-home").await?;
    pick(&env, &app, &first, "answered").await?;
    let banner = app.wait_for("error-banner").await?;
    let code = app.attribute(&banner, "data-code").await?;
    ensure!(code.as_deref() == Some("qr_login_used"), "{code:?}");
    app.wait_for("screen-qr-scan").await?;
    env.screenshot(&app, "service-sign-in-already-answered")
        .await?;

    // Declined in one tap, no passcode: the browser goes back refused.
    let second = rp.start(&env, &provider).await?;
    scan(&env, &app, &second, "decline").await?;
    app.click("service-decline").await?;
    app.wait_for("screen-home").await?;
    app.wait_for_text("notice", "Đã từ chối đăng nhập vào")
        .await?;
    env.screenshot(&app, "service-sign-in-declined").await?;
    let location = rp
        .outcome(&second)
        .await?
        .context("declined, yet the browser still waits")?;
    ensure!(
        location.starts_with(REDIRECT_URI) && location.contains("error=access_denied"),
        "{location}"
    );
    app.quit().await?;
    env.print_time(started);
    Ok(())
}
