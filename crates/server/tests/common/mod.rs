//! The test harness: a real server on a free loopback port with a fresh database (SQLite in a
//! temporary directory, or a new PostgreSQL database on the server `DINHDANH_TEST_POSTGRES_URL`
//! names), a clock the test moves, and a client that signs every request like the device does.
//! Start-up and seeding go through `dinhdanh_server::testing`; [`backend_test!`] runs a test on
//! both backends.
#![allow(dead_code)]

use std::path::PathBuf;

use dinhdanh_core::account::ConfirmationMethod;
use dinhdanh_core::api::{
    ChallengePurpose, ChallengeRequest, ChallengeResponse, Confirmed, SessionToken,
};
use dinhdanh_core::crypto::{KeyId, PublicKey, sha256};
use dinhdanh_core::ids::{AccountId, OrgEid};
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_core::signed_action::{
    ActionKind, ActionTarget, Challenge, Origin, PendingAction, SignedAction,
};
use dinhdanh_server::RunningServer;
use dinhdanh_server::testing::{
    self, AppState, Clock, Config, ManualClock, ServerKeys, ServerSetup,
};
use p256::ecdsa::SigningKey;
use rand_core::{OsRng, RngCore};
use serde::Serialize;

pub use dinhdanh_server::testing::Backend;

/// Declares the test `$name`, an `async fn $name(db: Backend)` written right below it, once
/// per database backend: `$name::sqlite`, and `$name::postgres`. The PostgreSQL one is
/// `#[ignore]`d, so a plain `cargo test` (no PostgreSQL at hand) reports it as ignored rather
/// than passing it unrun; `cargo xtask test` starts a PostgreSQL cluster, sets
/// `DINHDANH_TEST_POSTGRES_URL` and runs with `--include-ignored`. Run without the variable,
/// the PostgreSQL variant fails, naming it. Extra arguments go to `#[tokio::test(..)]`.
#[allow(unused_macros)] // the benches include this file and declare no tests
macro_rules! backend_test {
    ($name:ident $(, $($runtime:tt)+)?) => {
        mod $name {
            use dinhdanh_server::testing::Backend;

            #[tokio::test $(($($runtime)+))?]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }

            #[tokio::test $(($($runtime)+))?]
            #[ignore = "needs DINHDANH_TEST_POSTGRES_URL (cargo xtask test starts PostgreSQL)"]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
        }
    };
    // A test that runs its own runtime (`#[test]`, `fn $name(db: Backend)`).
    (blocking $name:ident) => {
        mod $name {
            use dinhdanh_server::testing::Backend;

            #[test]
            fn sqlite() {
                super::$name(Backend::Sqlite)
            }

            #[test]
            #[ignore = "needs DINHDANH_TEST_POSTGRES_URL (cargo xtask test starts PostgreSQL)"]
            fn postgres() {
                super::$name(Backend::Postgres)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use backend_test;

/// A server under test.
pub struct TestServer {
    /// The running server.
    pub server: RunningServer,
    /// Its clock.
    pub clock: ManualClock,
    /// Its data directory (outbox.log lives here).
    pub data_dir: PathBuf,
    /// The database URL it uses (share it to start a second instance).
    pub database_url: String,
    /// HTTP client.
    pub http: reqwest::Client,
}

/// A new temporary directory for a test server's data.
pub fn data_dir(tag: &str) -> PathBuf {
    testing::temp_dir(tag).expect("a temporary directory")
}

/// A fresh database on `backend` (SQLite in `dir`); fails naming the variable when PostgreSQL
/// is asked for and `DINHDANH_TEST_POSTGRES_URL` is not set.
pub async fn fresh_database_url(backend: Backend, dir: &std::path::Path) -> String {
    testing::fresh_database_url(backend, dir)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

impl TestServer {
    /// Starts a server with a fresh database on `backend`, at a fixed, realistic time.
    pub async fn start(backend: Backend) -> TestServer {
        let data_dir = data_dir("test");
        let database_url = fresh_database_url(backend, &data_dir).await;
        Self::start_on(data_dir, database_url, ServerKeys::generate()).await
    }

    /// Starts a server on an existing database (a second instance: pass the first one's URL
    /// and keys of the same value).
    pub async fn start_on(data_dir: PathBuf, database_url: String, keys: ServerKeys) -> TestServer {
        Self::start_with(data_dir, database_url, keys, |_| {}).await
    }

    /// Starts a server on an existing database after `adjust` changed its configuration (a
    /// second instance behind the same origin as the first, a GeoIP table, ...).
    pub async fn start_with(
        data_dir: PathBuf,
        database_url: String,
        keys: ServerKeys,
        adjust: impl FnOnce(&mut Config),
    ) -> TestServer {
        let mut setup = ServerSetup::new(data_dir.clone(), database_url.clone());
        setup.keys = keys;
        let clock = ManualClock::new(testing::START_TIME);
        setup.clock = Some(clock.clone());
        let server = testing::start_server(setup, adjust)
            .await
            .expect("server started");
        TestServer {
            server,
            clock,
            data_dir,
            database_url,
            http: reqwest::Client::new(),
        }
    }

    /// The server's state, to look into the database.
    pub fn state(&self) -> &AppState {
        &self.server.state
    }

    /// The origin clients sign for.
    pub fn origin(&self) -> Origin {
        self.state().config.origin.clone()
    }

    /// Now, on the server's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Every message the outbox delivered, oldest first, as JSON values.
    pub fn outbox(&self) -> Vec<serde_json::Value> {
        testing::outbox::delivered(&self.data_dir)
    }

    /// The last 6-digit code sent to `recipient` (a phone number or e-mail address).
    pub fn last_code_to(&self, recipient: &str) -> String {
        self.outbox()
            .iter()
            .rev()
            .filter(|m| m["to"] == recipient)
            .find_map(|m| six_digits(m["body"].as_str().unwrap_or_default()))
            .unwrap_or_else(|| panic!("no code was sent to {recipient}"))
    }

    /// Sends a request: the body is serialised once and the proof (if any) signs those bytes.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        auth: Auth<'_>,
    ) -> reqwest::Response {
        let url = format!("{}{path}", self.server.base_url());
        let method_v = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method_v, &url);
        let bytes = body.unwrap_or_default().to_vec();
        let proof = |key: &SigningKey, session: Option<&SessionToken>| {
            let mut nonce = [0u8; 16];
            OsRng.fill_bytes(&mut nonce);
            ProofClaims::new(
                method,
                path,
                &bytes,
                session.map(SessionToken::hash),
                self.now(),
                nonce,
            )
            .unwrap()
            .sign_with(key)
            .to_header_value()
        };
        match auth {
            Auth::None => {}
            Auth::DeviceKey(key) => {
                req = req.header(request_proof::HEADER_NAME, proof(key, None));
            }
            Auth::Session(s) => {
                req = req
                    .header("authorization", format!("DinhDanh {}", s.token.expose()))
                    .header(request_proof::HEADER_NAME, proof(&s.key, Some(&s.token)));
            }
            Auth::TokenOnly(s) => {
                req = req.header("authorization", format!("DinhDanh {}", s.token.expose()));
            }
            Auth::ForeignKey(s, key) => {
                req = req
                    .header("authorization", format!("DinhDanh {}", s.token.expose()))
                    .header(request_proof::HEADER_NAME, proof(key, Some(&s.token)));
            }
        }
        if body.is_some() {
            req = req
                .header("content-type", "application/json")
                .body(bytes.clone());
        }
        req.send().await.expect("request sent")
    }

    /// POSTs `body` as JSON.
    pub async fn post<T: Serialize>(
        &self,
        path: &str,
        body: &T,
        auth: Auth<'_>,
    ) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).unwrap();
        self.send("POST", path, Some(&bytes), auth).await
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str, auth: Auth<'_>) -> reqwest::Response {
        self.send("GET", path, None, auth).await
    }

    /// Asks for a challenge (in a session when `session` is given).
    pub async fn challenge(
        &self,
        purpose: ChallengePurpose,
        session: Option<&Session>,
    ) -> Challenge {
        let auth = session.map_or(Auth::None, Auth::Session);
        let resp = self
            .post(
                dinhdanh_core::api::paths::CHALLENGES,
                &ChallengeRequest { purpose },
                auth,
            )
            .await;
        assert_eq!(
            resp.status(),
            200,
            "challenge: {}",
            resp.text().await.unwrap_or_default()
        );
        resp.json::<ChallengeResponse>().await.unwrap().challenge
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).rev().find_map(|i| {
        let window = bytes.get(i..i + 6)?;
        let before = i
            .checked_sub(1)
            .and_then(|j| bytes.get(j))
            .is_some_and(u8::is_ascii_digit);
        let after = bytes.get(i + 6).is_some_and(u8::is_ascii_digit);
        (window.iter().all(u8::is_ascii_digit) && !before && !after)
            .then(|| String::from_utf8_lossy(window).into_owned())
    })
}

/// How a request is authenticated.
pub enum Auth<'a> {
    /// Not at all.
    None,
    /// A sessionless proof by this key (sign-in, device binding).
    DeviceKey(&'a SigningKey),
    /// Token and a proof by the session's key.
    Session(&'a Session),
    /// The token without any proof (must be refused).
    TokenOnly(&'a Session),
    /// The token with a proof by another key (must be refused).
    ForeignKey(&'a Session, &'a SigningKey),
}

/// A signed-in session, as the device holds it.
pub struct Session {
    /// The token.
    pub token: SessionToken,
    /// The key it is bound to.
    pub key: SigningKey,
    /// The account.
    pub account: AccountId,
}

/// A test device: a device key, a salt for the passcode-derived key, a biometric key.
pub struct Device {
    /// The device key.
    pub device_key: SigningKey,
    /// Salt of the passcode-derived key (held in the keystore on a real device).
    pub salt: [u8; 16],
    /// Biometric-bound key.
    pub biometric_key: SigningKey,
    /// Counter for signed actions.
    pub counter: std::cell::Cell<u64>,
}

impl Device {
    /// A new device with fresh keys.
    pub fn new() -> Self {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        Device {
            device_key: SigningKey::random(&mut OsRng),
            salt,
            biometric_key: SigningKey::random(&mut OsRng),
            counter: std::cell::Cell::new(0),
        }
    }

    /// The passcode-derived key. Stand-in for the client's memory-hard KDF (the device-side
    /// issue): what matters to the server is that another passcode gives another key.
    pub fn passcode_key(&self, passcode: &str) -> SigningKey {
        let mut input = self.salt.to_vec();
        input.extend_from_slice(passcode.as_bytes());
        let mut seed = *sha256(&input).as_bytes();
        loop {
            if let Ok(k) = SigningKey::from_bytes(&seed.into()) {
                return k;
            }
            seed = *sha256(&seed).as_bytes();
        }
    }

    /// Public half of a key.
    pub fn public(key: &SigningKey) -> PublicKey {
        PublicKey::from_verifying_key(key.verifying_key())
    }

    /// Key id of a key.
    pub fn key_id(key: &SigningKey) -> KeyId {
        Self::public(key).key_id()
    }

    /// Confirms `body` with the passcode at time `now`: a signed action over `challenge`.
    #[allow(clippy::too_many_arguments)]
    pub fn confirm<T: Serialize>(
        &self,
        now: i64,
        body: T,
        kind: ActionKind,
        origin: Origin,
        challenge: Challenge,
        account: &AccountId,
        acting_for: Option<OrgEid>,
        target: ActionTarget,
        passcode: &str,
    ) -> Confirmed<T> {
        let counter = self.counter.get() + 1;
        self.counter.set(counter);
        let passcode_key = self.passcode_key(passcode);
        let action = SignedAction {
            kind,
            origin,
            challenge,
            account: account.clone(),
            acting_for,
            target,
            body_hash: dinhdanh_core::signed_action::canonical_body_hash(&body).unwrap(),
            device_key_id: Self::key_id(&self.device_key),
            confirmation_key_id: Self::key_id(&passcode_key),
            method: ConfirmationMethod::Passcode,
            counter,
            time: now,
        };
        let confirmation = PendingAction::new(action).sign_with(&passcode_key).unwrap();
        Confirmed { body, confirmation }
    }
}
