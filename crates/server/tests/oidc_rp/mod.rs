//! A relying party for the protocol tests: its keys, client assertions, DPoP proofs, and each
//! step of a sign-in (push, authorize, the login page's socket, the phone's answer, the
//! browser's continuation, token, the ID token's check). It signs with `jsonwebtoken`, the same
//! crate the server verifies with, so these tests check the rules, not the crate; the demo
//! relying party (a certified library) checks the formats. The OpenID bench
//! (tests/benches/oidc.rs) drives the same relying party.
#![allow(dead_code)]

use base64::Engine as _;
use dinhdanh_core::api::{
    ChallengePurpose, Confirmed, OidcApprovalBody, OidcSignInView, oidc_sign_in_target, paths,
};
use dinhdanh_core::ids::OrgEid;
use dinhdanh_core::qr_login::RendezvousId;
use dinhdanh_core::signed_action::ActionKind;
use dinhdanh_server::testing::clients::{self, ClientRegistration};
use dinhdanh_server::testing::oidc;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePrivateKey;
use rand_core::{OsRng, RngCore};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{Auth, Device, Session, TestServer};
use crate::identity::PASSCODE;

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn random_text() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b64(&b)
}

/// The public JWK of a key.
pub fn public_jwk(key: &SigningKey, kid: Option<&str>) -> Jwk {
    let point = key.verifying_key().to_encoded_point(false);
    Jwk {
        common: CommonParameters {
            key_algorithm: Some(KeyAlgorithm::ES256),
            key_id: kid.map(str::to_owned),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
            key_type: EllipticCurveKeyType::EC,
            curve: EllipticCurve::P256,
            x: b64(point.x().unwrap()),
            y: b64(point.y().unwrap()),
        }),
    }
}

/// A compact JWS over `claims` by `key` with `header`.
pub fn sign(key: &SigningKey, header: &Header, claims: &Value) -> String {
    let der = key.to_pkcs8_der().unwrap();
    jsonwebtoken::encode(header, claims, &EncodingKey::from_ec_der(der.as_bytes())).unwrap()
}

/// An unsigned token with `alg: none`.
pub fn unsigned(header: Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    )
}

/// A form body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// PKCE: a verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = random_text();
    let challenge = b64(&Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// A registered relying party with its client key and a DPoP key.
pub struct Rp {
    pub client_id: String,
    pub key: SigningKey,
    pub kid: String,
    pub redirect_uri: String,
    pub dpop_key: SigningKey,
    /// HTTP client that does not follow redirects.
    pub http: reqwest::Client,
}

impl Rp {
    /// Registers a relying party named `name` on `host` (its sector).
    pub async fn register(t: &TestServer, name: &str, host: &str, organisations: bool) -> Rp {
        Self::register_with(t, name, host, organisations, |_| {}).await
    }

    /// [`Rp::register`], with `more` changing the registration first.
    pub async fn register_with(
        t: &TestServer,
        name: &str,
        host: &str,
        organisations: bool,
        more: impl FnOnce(&mut ClientRegistration),
    ) -> Rp {
        let key = SigningKey::random(&mut OsRng);
        let kid = "rp-key-1".to_owned();
        let jwks = json!({"keys": [public_jwk(&key, Some(&kid))]}).to_string();
        let redirect_uri = format!("https://{host}/callback");
        let mut registration = ClientRegistration {
            name_vi: format!("{name} (thử nghiệm)"),
            name_en: format!("{name} (test)"),
            redirect_uris: vec![redirect_uri.clone()],
            jwks,
            sector: None,
            allowed_claims: vec!["name".into()],
            allow_organisations: organisations,
            allow_citizen_id: false,
            logo: None,
            ..Default::default()
        };
        more(&mut registration);
        let client = clients::add_client(t.state(), &registration).await.unwrap();
        Rp {
            client_id: client.id,
            key,
            kid,
            redirect_uri,
            dpop_key: SigningKey::random(&mut OsRng),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// The claims of a good client assertion for `aud`.
    pub fn assertion_claims(&self, t: &TestServer, aud: &str) -> Value {
        json!({
            "iss": self.client_id, "sub": self.client_id, "aud": aud,
            "iat": t.now(), "exp": t.now() + 60, "jti": random_text(),
        })
    }

    /// A client assertion with these claims, signed by the client's key under its kid.
    pub fn assertion_with(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        sign(&self.key, &header, claims)
    }

    /// A good client assertion (audience: the issuer).
    pub fn assertion(&self, t: &TestServer) -> String {
        self.assertion_with(&self.assertion_claims(t, t.origin().as_str()))
    }

    /// A DPoP proof by `key` for `htm` `htu`, with `ath` for an access token.
    pub fn dpop_by(
        &self,
        t: &TestServer,
        key: &SigningKey,
        htm: &str,
        htu: &str,
        token: Option<&str>,
    ) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(public_jwk(key, None));
        let mut claims = json!({"htm": htm, "htu": htu, "iat": t.now(), "jti": random_text()});
        if let Some(token) = token {
            claims["ath"] = b64(&Sha256::digest(token.as_bytes())).into();
        }
        sign(key, &header, &claims)
    }

    /// A DPoP proof by the client's DPoP key.
    pub fn dpop(&self, t: &TestServer, htm: &str, path: &str, token: Option<&str>) -> String {
        self.dpop_by(t, &self.dpop_key, htm, &url(t, path), token)
    }

    /// The thumbprint of the client's DPoP key.
    pub fn jkt(&self) -> String {
        public_jwk(&self.dpop_key, None).thumbprint(ThumbprintHash::SHA256)
    }

    /// POSTs a form to `path`, with a DPoP proof when given.
    pub async fn post_form(
        &self,
        t: &TestServer,
        path: &str,
        pairs: &[(&str, &str)],
        dpop: Option<String>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(url(t, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(pairs));
        if let Some(proof) = dpop {
            req = req.header("DPoP", proof);
        }
        req.send().await.unwrap()
    }

    /// The parameters of a good pushed request (with this client's assertion).
    pub fn par_params(&self, t: &TestServer, flow: &Flow) -> Vec<(String, String)> {
        vec![
            ("client_id".into(), self.client_id.clone()),
            ("client_assertion_type".into(), JWT_BEARER.into()),
            ("client_assertion".into(), self.assertion(t)),
            ("response_type".into(), "code".into()),
            ("redirect_uri".into(), self.redirect_uri.clone()),
            ("scope".into(), flow.scope.clone()),
            ("state".into(), flow.state.clone()),
            ("nonce".into(), flow.nonce.clone()),
            ("code_challenge".into(), flow.challenge.clone()),
            ("code_challenge_method".into(), "S256".into()),
        ]
    }

    /// Pushes `params` to the PAR endpoint.
    pub async fn push_params(
        &self,
        t: &TestServer,
        params: &[(String, String)],
    ) -> reqwest::Response {
        let pairs: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(t, oidc::PAR, &pairs, None).await
    }

    /// Pushes a good request; its `request_uri`.
    pub async fn push(&self, t: &TestServer, flow: &Flow) -> String {
        let resp = self.push_params(t, &self.par_params(t, flow)).await;
        assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
        let body: Value = resp.json().await.unwrap();
        body["request_uri"].as_str().unwrap().to_owned()
    }

    /// The authorization endpoint's URL for `request_uri`.
    pub fn authorize_url(&self, t: &TestServer, request_uri: &str) -> String {
        format!(
            "{}?{}",
            url(t, oidc::AUTHORIZE),
            form(&[("client_id", &self.client_id), ("request_uri", request_uri)])
        )
    }

    /// The browser opens the authorization endpoint; the sign-in and the cookie it set. Asks
    /// for JSON (a browser asking for HTML gets the login page: tests/oidc_page.rs).
    pub async fn authorize(&self, t: &TestServer, request_uri: &str) -> (String, String) {
        let resp = self
            .http
            .get(self.authorize_url(t, request_uri))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
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
        let body: Value = resp.json().await.unwrap();
        (body["sign_in"].as_str().unwrap().to_owned(), cookie)
    }

    /// The browser continues, with `cookie` (`name=value`) if any.
    pub async fn continue_with(
        &self,
        t: &TestServer,
        sign_in: &str,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let url = format!(
            "{}?{}",
            url(t, oidc::AUTHORIZE_CONTINUE),
            form(&[("sign_in", sign_in)])
        );
        let mut req = self.http.get(url).header("accept", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// The code the browser is redirected with, checking `state` and `iss`.
    pub async fn code(&self, t: &TestServer, flow: &Flow, sign_in: &str, cookie: &str) -> String {
        let resp = self.continue_with(t, sign_in, Some(cookie)).await;
        assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
        let location = resp.headers().get("location").unwrap().to_str().unwrap();
        let url = url::Url::parse(location).unwrap();
        assert!(location.starts_with(&self.redirect_uri), "{location}");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["state"], flow.state);
        assert_eq!(q["iss"], t.origin().as_str(), "RFC 9207");
        q["code"].clone()
    }

    /// The token request for `code`, built but not sent: its form body (with a fresh client
    /// assertion) and its DPoP proof.
    pub fn token_request(&self, t: &TestServer, code: &str, verifier: &str) -> (String, String) {
        let assertion = self.assertion(t);
        let dpop = self.dpop(t, "POST", oidc::TOKEN, None);
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", verifier),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ]);
        (body, dpop)
    }

    /// The token request for `code` (with a fresh assertion and a DPoP proof).
    pub async fn token(&self, t: &TestServer, code: &str, verifier: &str) -> reqwest::Response {
        let (body, dpop) = self.token_request(t, code, verifier);
        self.http
            .post(url(t, oidc::TOKEN))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("DPoP", dpop)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Introspects `token`.
    pub async fn introspect(&self, t: &TestServer, token: &str) -> Value {
        let assertion = self.assertion(t);
        let resp = self
            .post_form(
                t,
                oidc::INTROSPECT,
                &[
                    ("token", token),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                ],
                None,
            )
            .await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        resp.json().await.unwrap()
    }

    /// Calls userinfo with `token` and `proof`.
    pub async fn userinfo(&self, t: &TestServer, token: &str, proof: String) -> reqwest::Response {
        self.http
            .get(url(t, oidc::USERINFO))
            .header("authorization", format!("DPoP {token}"))
            .header("DPoP", proof)
            .send()
            .await
            .unwrap()
    }
}

/// The provider's published keys (`/oidc/jwks`).
pub async fn jwks(t: &TestServer) -> JwkSet {
    reqwest::get(url(t, oidc::JWKS))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The ID token's `kid` and claims, checked as a relying party checks them (OpenID Connect
/// Core §3.1.3.7) against the published keys `set`: ES256, signed by the key its `kid` names,
/// `iss` the issuer, `aud` this client, `exp` in the future on the server's clock (the test
/// server's clock is not the system's), and `nonce` the one sent, when given.
pub fn check_id_token(
    t: &TestServer,
    rp: &Rp,
    set: &JwkSet,
    id_token: &str,
    nonce: Option<&str>,
) -> anyhow::Result<(String, Value)> {
    let header = jsonwebtoken::decode_header(id_token)?;
    anyhow::ensure!(header.alg == Algorithm::ES256, "alg {:?}", header.alg);
    let kid = header.kid.ok_or_else(|| anyhow::anyhow!("no kid"))?;
    let key = set
        .find(&kid)
        .ok_or_else(|| anyhow::anyhow!("kid {kid} is not published"))?;
    let mut v = Validation::new(Algorithm::ES256);
    v.set_audience(&[&rp.client_id]);
    v.set_issuer(&[t.origin().as_str()]);
    v.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(key)?, &v)?.claims;
    let exp = claims["exp"].as_i64().unwrap_or_default();
    anyhow::ensure!(exp > t.now(), "expired: exp {exp}, now {}", t.now());
    if let Some(nonce) = nonce {
        anyhow::ensure!(claims["nonce"] == nonce, "another nonce");
    }
    Ok((kid, claims))
}

/// [`check_id_token`] against the keys published now, failing the test on any problem.
pub async fn verify_id_token(t: &TestServer, rp: &Rp, id_token: &str) -> (String, Value) {
    check_id_token(t, rp, &jwks(t).await, id_token, None).unwrap()
}

/// The login page's WebSocket (`/oidc/authorize/events`).
pub type PageSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The request that opens the page's socket for `sign_in`, with an `Origin` and a cookie when
/// given.
pub fn events_request(
    t: &TestServer,
    sign_in: &str,
    origin: Option<&str>,
    cookie: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let url = format!(
        "ws://{}{}?sign_in={sign_in}",
        t.server.addr,
        oidc::AUTHORIZE_EVENTS
    );
    let mut request = url.into_client_request().unwrap();
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    request
}

/// Opens the page's socket as the login page does: the issuer's origin and the browser's
/// cookie.
pub async fn open_socket(t: &TestServer, sign_in: &str, cookie: &str) -> PageSocket {
    let origin = t.origin();
    tokio_tungstenite::connect_async(events_request(
        t,
        sign_in,
        Some(origin.as_str()),
        Some(cookie),
    ))
    .await
    .expect("the page's socket opens")
    .0
}

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The full URL of a path on the server.
pub fn url(t: &TestServer, path: &str) -> String {
    format!("{}{path}", t.origin().as_str())
}

/// One sign-in's client-side values.
pub struct Flow {
    pub verifier: String,
    pub challenge: String,
    pub state: String,
    pub nonce: String,
    pub scope: String,
}

impl Flow {
    pub fn new(scope: &str) -> Flow {
        let (verifier, challenge) = pkce();
        Flow {
            verifier,
            challenge,
            state: random_text(),
            nonce: random_text(),
            scope: scope.into(),
        }
    }
}

/// The phone reads a sign-in.
pub async fn read(t: &TestServer, phone: &Session, sign_in: &str) -> reqwest::Response {
    t.get(
        &paths::OIDC_SIGN_IN.replace("{sign_in}", sign_in),
        Auth::Session(phone),
    )
    .await
}

/// The phone's approval body, built from what it was shown.
pub fn approval_body(view: &OidcSignInView, account: Option<OrgEid>) -> OidcApprovalBody {
    let mut claims = view.claims.clone();
    if account.is_some() {
        claims.push("organisation".into());
    }
    OidcApprovalBody {
        sign_in: view.sign_in.to_string(),
        client_id: view.client_id.clone(),
        redirect_origin: view.redirect_origin.clone(),
        claims,
        account,
    }
}

/// Confirms `body` on the phone with the passcode.
pub async fn confirm<T: serde::Serialize>(
    t: &TestServer,
    phone: &Session,
    device: &Device,
    kind: ActionKind,
    sign_in: &str,
    body: T,
) -> Confirmed<T> {
    let challenge = t
        .challenge(ChallengePurpose::Action { kind }, Some(phone))
        .await;
    let target = oidc_sign_in_target(&RendezvousId::parse(sign_in).unwrap()).unwrap();
    device.confirm(
        t.now(),
        body,
        kind,
        t.origin(),
        challenge,
        &phone.account,
        None,
        target,
        PASSCODE,
    )
}

/// The phone approves for `account`.
pub async fn approve(
    t: &TestServer,
    phone: &Session,
    device: &Device,
    sign_in: &str,
    account: Option<OrgEid>,
) -> reqwest::Response {
    let resp = read(t, phone, sign_in).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let view: OidcSignInView = resp.json().await.unwrap();
    let body = approval_body(&view, account);
    let confirmed = confirm(
        t,
        phone,
        device,
        ActionKind::ApproveOidcSignIn,
        sign_in,
        body,
    )
    .await;
    t.post(
        &paths::OIDC_SIGN_IN_APPROVAL.replace("{sign_in}", sign_in),
        &confirmed,
        Auth::Session(phone),
    )
    .await
}

/// The tokens of a sign-in that went through: `(access_token, id_token)`.
pub async fn signed_in(
    t: &TestServer,
    rp: &Rp,
    phone: &Session,
    device: &Device,
    scope: &str,
    account: Option<OrgEid>,
) -> (String, String, Flow) {
    let flow = Flow::new(scope);
    let request_uri = rp.push(t, &flow).await;
    let (sign_in, cookie) = rp.authorize(t, &request_uri).await;
    let resp = approve(t, phone, device, &sign_in, account).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap());
    let code = rp.code(t, &flow, &sign_in, &cookie).await;
    let resp = rp.token(t, &code, &flow.verifier).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let body: Value = resp.json().await.unwrap();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["id_token"].as_str().unwrap().to_owned(),
        flow,
    )
}

/// The OAuth `error` of a response, with its status.
pub async fn oauth_error(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}
