//! The API client: the core crate's wire types over HTTPS (reqwest with rustls), with the two
//! protocol steps every call depends on written once each:
//!
//! - the **request proof** ([`Client::exchange`]): every request in a session carries the
//!   token and a proof by the session's key over the method, the path with query and the exact
//!   body bytes sent; sign-in and device binding carry a sessionless proof by the device key;
//! - the **confirmation dance** ([`Client::confirmed`]): challenge of purpose
//!   `Action{kind}` → [`SignedAction`] over the body's canonical hash → signed by the
//!   confirmation key ([`Confirmer`]) → sent as [`Confirmed<T>`].
//!
//! Timeouts on every call. Retries only where repeating cannot do anything twice: a `GET` is
//! retried after a network failure or `service_unavailable`; a `POST` or `DELETE` never is —
//! after a broken connection the action may or may not have happened, and the person decides.
//! One resend exists: when the server answers `session_idle`, it refused the request at the
//! door (authentication runs before any handler), so after the renewal the same bytes go again
//! with the new token and a new proof; a confirmed action still has its unused, single-use
//! challenge, so it can take effect at most once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dinhdanh_core::api::{
    AccountChoices, AccountView, ApiError, ChallengePurpose, ChallengeRequest, ChallengeResponse,
    CodeSent, Confirmed, DeviceBindingFinish, DeviceBindingStart, DeviceView, EndSession,
    ErrorCode, LoginRequest, LoginResponse, OneTimeCode, PasscodeResetFinish, PasscodeResetStart,
    Platform, SecretText, SelfRegistrationFinish, SelfRegistrationStart, SessionRenewal,
    SessionView, SwitchAccount, paths,
};
use dinhdanh_core::ids::{CitizenId, OrgEid, Passcode, SessionId};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::request_proof::{self, ProofClaims};
use dinhdanh_core::signed_action::{
    ActionKind, ActionTarget, Origin, PendingAction, SignedAction, canonical_body_hash,
};
use rand_core::{OsRng, RngCore};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::biometric::BiometricConfirmer;
use crate::error::ClientError;
use crate::json::from_json;
use crate::keys::DeviceKey;
use crate::keystore::Keystore;
use crate::passcode::{
    Confirmer, EnteredPasscode, KdfParams, PasscodeConfirmer, PasscodeSalt, derive_new_key,
};
use crate::profile::{Profile, ProfileState};

mod desktop_actions;
mod live;
mod oidc;
mod organisations;
mod push;
mod qr_login;
mod registrations;
mod self_service;
mod services;

pub use live::{Backoff, LiveEvents};
pub use qr_login::{QrLoginAnswer, QrLoginPending};
pub use self_service::{SelfLockStarted, SelfLocked};

/// The `Authorization` scheme of session tokens.
pub const AUTH_SCHEME: &str = "DinhDanh";

/// What the client reads the time from: Unix seconds. The system clock in the app; the
/// server's manual clock in tests.
pub type ClockFn = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How the client talks to the server.
#[derive(Clone)]
pub struct ClientConfig {
    /// The server's base URL (`https://dinhdanh.example.vn`); its origin must be the one the
    /// server signs for.
    pub server: String,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// How often a `GET` is tried again after a network failure or `service_unavailable`.
    pub get_retries: u32,
    /// The passcode KDF's parameters (production unless a test says otherwise).
    pub kdf: KdfParams,
    /// The name the person will recognise in their device list.
    pub device_name: String,
    /// This device's platform.
    pub platform: Platform,
    /// The clock.
    pub clock: ClockFn,
    /// The local address HTTP requests connect from; `None`: the system's choice (the push
    /// channel's WebSocket always takes the system's choice). A test spreads its simulated
    /// people over loopback addresses (`127.0.0.0/8`), as real people come from many.
    pub local_address: Option<std::net::IpAddr>,
    /// The address the server's host name stands for, instead of asking DNS (requests and
    /// WebSockets alike, on the URL's port); `None`: the system resolves it. The load test
    /// puts two instances behind one origin this way, a person's phone on one and their
    /// desktop on the other, as a load balancer would spread them.
    pub resolve: Option<std::net::IpAddr>,
}

impl ClientConfig {
    /// Production defaults for `server`: 15 s per request, 5 s to connect, two retries of a
    /// `GET`, the production KDF, the system clock.
    pub fn new(server: impl Into<String>) -> Self {
        ClientConfig {
            server: server.into().trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
            get_retries: 2,
            kdf: KdfParams::default(),
            device_name: default_device_name(),
            platform: this_platform(),
            clock: Arc::new(system_time),
            local_address: None,
            resolve: None,
        }
    }
}

/// The host of an origin (`https://host[:port]`; the origin's grammar has no user, path or
/// IPv6 literal).
fn origin_host(origin: &Origin) -> &str {
    let rest = origin
        .as_str()
        .split_once("://")
        .map_or(origin.as_str(), |(_, rest)| rest);
    rest.split_once(':').map_or(rest, |(host, _)| host)
}

/// Unix seconds from the system clock (0 for a clock set before 1970, which the server's
/// skew check then refuses with a clear error).
fn system_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn this_platform() -> Platform {
    match std::env::consts::OS {
        "android" => Platform::Android,
        "ios" => Platform::Ios,
        "macos" => Platform::Macos,
        "windows" => Platform::Windows,
        _ => Platform::Linux,
    }
}

fn default_device_name() -> String {
    match std::env::consts::OS {
        "android" | "ios" => "Điện thoại".to_owned(),
        os => format!("Máy tính ({os})"),
    }
}

/// A request's body: its exact bytes (what the proof signs) and their media type.
#[derive(Clone, Copy)]
struct Payload<'a> {
    bytes: &'a [u8],
    content_type: &'static str,
}

impl<'a> Payload<'a> {
    /// A JSON body, serialised once by the caller.
    fn json(bytes: &'a [u8]) -> Self {
        Payload {
            bytes,
            content_type: "application/json",
        }
    }
}

/// How one request is authenticated.
enum Auth<'a> {
    /// Not at all (self-registration, binding start).
    None,
    /// A sessionless proof by this key (sign-in, binding finish).
    Key(&'a DeviceKey),
    /// The session's token and a proof by its key.
    Session,
}

/// The result of signing in or renewing.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The session (its token is in the keystore).
    pub session: SessionView,
    /// The account.
    pub account: AccountView,
}

/// Device binding between its two steps: the code was sent. Used up by
/// [`Client::bind_finish`].
#[derive(Debug)]
pub struct BindingStarted {
    citizen_id: CitizenId,
    /// Where the code went and until when it works.
    pub sent: CodeSent,
}

/// A passcode reset between its two steps. Used up by [`Client::passcode_reset_finish`].
#[derive(Debug)]
pub struct PasscodeResetStarted {
    /// Where the code went and until when it works.
    pub sent: CodeSent,
}

/// The device's API client for one profile.
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    origin: Origin,
    keystore: Keystore,
    profile: Profile,
    state: Mutex<ProfileState>,
}

impl Client {
    /// A client for `profile`, its secrets in `keystore`.
    pub fn new(
        config: ClientConfig,
        profile: Profile,
        keystore: Keystore,
    ) -> Result<Self, ClientError> {
        let origin = Origin::parse(&config.server)?;
        let mut http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .local_address(config.local_address)
            .user_agent(concat!("dinhdanh-client/", env!("CARGO_PKG_VERSION")));
        if let Some(ip) = config.resolve {
            // reqwest connects to the URL's port whatever port is given here.
            http = http.resolve(origin_host(&origin), std::net::SocketAddr::new(ip, 0));
        }
        let http = http.build().map_err(|e| ClientError::Network {
            detail: e.to_string(),
        })?;
        let state = profile.load()?;
        Ok(Client {
            http,
            config,
            origin,
            keystore,
            profile,
            state: Mutex::new(state),
        })
    }

    /// The profile's state now (ids, counter: nothing secret).
    pub fn state(&self) -> ProfileState {
        self.lock_state().clone()
    }

    /// The keystore this client uses.
    pub fn keystore(&self) -> &Keystore {
        &self.keystore
    }

    /// The profile this client uses.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The profile's form drafts (`<profile dir>/drafts`), sealed with its keystore's key.
    pub fn drafts(&self) -> crate::drafts::Drafts {
        crate::drafts::Drafts::new(self.profile.dir().join("drafts"), self.keystore.clone())
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, ProfileState> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep using it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_state(&self, change: impl FnOnce(&mut ProfileState)) -> Result<(), ClientError> {
        let mut state = self.lock_state();
        change(&mut state);
        self.profile.save(&state)
    }

    /// The server's base URL this client talks to.
    pub fn server(&self) -> &str {
        &self.config.server
    }

    /// Remembers this client's server in the profile, so the app finds it again next time.
    pub fn remember_server(&self) -> Result<(), ClientError> {
        let server = self.config.server.clone();
        self.update_state(|s| s.server = Some(server))
    }

    /// Now, on this client's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        (self.config.clock)()
    }

    /// The origin of the server this client talks to (what QR codes and challenges must name).
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    // -----------------------------------------------------------------------------------------
    // The request proof: every request goes through here.
    // -----------------------------------------------------------------------------------------

    /// Sends one request and returns the body of a successful answer. The body is serialised
    /// once by the caller; the proof signs exactly those bytes and the path as sent.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Payload<'_>>,
        auth: Auth<'_>,
    ) -> Result<Vec<u8>, ClientError> {
        match self.exchange_with_retries(&method, path, body, &auth).await {
            Err(e) if e.is(ErrorCode::SessionIdle) && matches!(auth, Auth::Session) => {
                self.renew().await?;
                self.exchange_with_retries(&method, path, body, &auth).await
            }
            Err(e)
                if matches!(auth, Auth::Session)
                    && (e.is(ErrorCode::SessionExpired) || e.is(ErrorCode::Unauthenticated)) =>
            {
                // The server ended the session: its token is worth nothing any more.
                self.forget_session()?;
                Err(e)
            }
            other => other,
        }
    }

    async fn exchange_with_retries(
        &self,
        method: &Method,
        path: &str,
        body: Option<Payload<'_>>,
        auth: &Auth<'_>,
    ) -> Result<Vec<u8>, ClientError> {
        let retries = if *method == Method::GET {
            self.config.get_retries
        } else {
            0
        };
        let mut attempt = 0;
        loop {
            let result = self.send_once(method, path, body, auth).await;
            let transient = match &result {
                Err(ClientError::Network { .. } | ClientError::Timeout) => true,
                Err(e) => e.is(ErrorCode::ServiceUnavailable),
                Ok(_) => false,
            };
            if !transient || attempt >= retries {
                return result;
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(200 << attempt.min(4))).await;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        body: Option<Payload<'_>>,
        auth: &Auth<'_>,
    ) -> Result<Vec<u8>, ClientError> {
        let bytes = body.map(|b| b.bytes).unwrap_or_default();
        let mut nonce = [0u8; request_proof::NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.config.server));
        match auth {
            Auth::None => {}
            Auth::Key(key) => {
                let claims =
                    ProofClaims::new(method.as_str(), path, bytes, None, self.now(), nonce)?;
                req = req.header(
                    request_proof::HEADER_NAME,
                    key.sign_proof(claims).to_header_value(),
                );
            }
            Auth::Session => {
                let token = self
                    .keystore
                    .session_token()?
                    .ok_or(ClientError::NotSignedIn)?;
                let key = self.session_key()?;
                let claims = ProofClaims::new(
                    method.as_str(),
                    path,
                    bytes,
                    Some(token.hash()),
                    self.now(),
                    nonce,
                )?;
                req = req
                    .header(
                        reqwest::header::AUTHORIZATION,
                        format!("{AUTH_SCHEME} {}", token.expose()),
                    )
                    .header(
                        request_proof::HEADER_NAME,
                        key.sign_proof(claims).to_header_value(),
                    );
            }
        }
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, body.content_type)
                .body(bytes.to_vec());
        }
        let resp = req.send().await.map_err(network_error)?;
        let status = resp.status();
        let answer = resp.bytes().await.map_err(network_error)?.to_vec();
        if status.is_success() {
            return Ok(answer);
        }
        match from_json::<ApiError>(&answer) {
            Ok(api) => Err(ClientError::from(api)),
            Err(_) => Err(ClientError::UnexpectedResponse {
                status: status.as_u16(),
            }),
        }
    }

    async fn call<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        auth: Auth<'_>,
    ) -> Result<R, ClientError> {
        let bytes =
            body.map(serde_json::to_vec)
                .transpose()
                .map_err(|e| ClientError::Protocol {
                    code: "malformed_request".into(),
                    message_vi: "Không tạo được yêu cầu.".into(),
                    message_en: format!("The request could not be encoded: {e}"),
                })?;
        let answer = self
            .exchange(method, path, bytes.as_deref().map(Payload::json), auth)
            .await?;
        read_answer(&answer)
    }

    fn device_key(&self) -> Result<DeviceKey, ClientError> {
        self.keystore
            .device_key()?
            .ok_or(ClientError::DeviceNotBound)
    }

    /// The key the current session is bound to: the device key on the bound phone, the
    /// ephemeral key made for the QR login on a desktop.
    fn session_key(&self) -> Result<DeviceKey, ClientError> {
        if self.lock_state().signed_in_by_qr {
            self.keystore.desktop_key()?.ok_or(ClientError::NotSignedIn)
        } else {
            self.device_key()
        }
    }

    fn forget_session(&self) -> Result<(), ClientError> {
        self.keystore.delete_session_token()?;
        // A desktop's ephemeral key is worth nothing without its session: it goes too, and
        // the profile is a new one again.
        self.keystore.delete_desktop_key()?;
        self.update_state(|s| {
            s.session = None;
            s.acting_for = None;
            if s.signed_in_by_qr {
                s.signed_in_by_qr = false;
                s.account = None;
            }
        })
    }

    /// A challenge for `purpose`, in the session or (sign-in, binding) without one. The origin
    /// it names must be the server this client talks to.
    async fn challenge(
        &self,
        purpose: ChallengePurpose,
        in_session: bool,
    ) -> Result<ChallengeResponse, ClientError> {
        let auth = if in_session {
            Auth::Session
        } else {
            Auth::None
        };
        let response: ChallengeResponse = self
            .call(
                Method::POST,
                paths::CHALLENGES,
                Some(&ChallengeRequest { purpose }),
                auth,
            )
            .await?;
        if response.origin != self.origin || response.purpose != purpose {
            return Err(wrong_server());
        }
        Ok(response)
    }

    // -----------------------------------------------------------------------------------------
    // The confirmation dance: every sensitive action goes through here.
    // -----------------------------------------------------------------------------------------

    /// Sends a sensitive action: fetches a challenge of purpose `Action{kind}`, builds the
    /// [`SignedAction`] over `body`'s canonical hash, has `confirmer` sign it and sends
    /// [`Confirmed<T>`] with `method` to `path` in the session. Never sent twice: a new
    /// attempt is a new call, with a new challenge and a new confirmation.
    pub async fn confirmed<T: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        kind: ActionKind,
        target: ActionTarget,
        body: T,
        confirmer: &dyn Confirmer,
    ) -> Result<R, ClientError> {
        if self.lock_state().signed_in_by_qr {
            // Issue 8: a desktop signed in by QR never holds a confirmation key; sensitive
            // actions are confirmed on the phone.
            return Err(ClientError::ConfirmOnPhone);
        }
        let device_key = self.device_key()?;
        let challenge = self
            .challenge(ChallengePurpose::Action { kind }, true)
            .await?;
        let (account, acting_for, counter) = {
            let mut state = self.lock_state();
            let account = state.account.clone().ok_or(ClientError::NotSignedIn)?;
            // Strictly increasing per key on the server. The clock's milliseconds are a floor,
            // so a profile whose state file was lost still moves forward.
            let counter = (state.counter + 1)
                .max(u64::try_from(self.now()).unwrap_or(0).saturating_mul(1000));
            state.counter = counter;
            self.profile.save(&state)?;
            (account, state.acting_for.clone(), counter)
        };
        let action = SignedAction {
            kind,
            origin: challenge.origin,
            challenge: challenge.challenge,
            account,
            acting_for,
            target,
            body_hash: canonical_body_hash(&body)?,
            device_key_id: device_key.key_id(),
            confirmation_key_id: confirmer.key_id()?,
            method: confirmer.method(),
            counter,
            time: self.now(),
        };
        let confirmation = confirmer.confirm(PendingAction::new(action))?;
        self.call(
            method,
            path,
            Some(&Confirmed { body, confirmation }),
            Auth::Session,
        )
        .await
    }

    /// The passcode confirmer for what the person typed: the key derived with the keystore's
    /// salt and this client's KDF parameters.
    pub fn passcode_confirmer(
        &self,
        passcode: &EnteredPasscode,
    ) -> Result<PasscodeConfirmer, ClientError> {
        let salt = self
            .keystore
            .passcode_salt()?
            .ok_or(ClientError::DeviceNotBound)?;
        PasscodeConfirmer::new(passcode, &salt, self.config.kdf)
    }

    // -----------------------------------------------------------------------------------------
    // Flows
    // -----------------------------------------------------------------------------------------

    /// Self-registration, step 1: who the person is; a code goes to their phone.
    pub async fn register_start(
        &self,
        request: &SelfRegistrationStart,
    ) -> Result<CodeSent, ClientError> {
        self.call(
            Method::POST,
            paths::SELF_REGISTRATION_START,
            Some(request),
            Auth::None,
        )
        .await
    }

    /// Self-registration, step 2: the code and the new password. Gives a level-1 account.
    pub async fn register_finish(
        &self,
        request: &SelfRegistrationFinish,
    ) -> Result<AccountView, ClientError> {
        self.call(
            Method::POST,
            paths::SELF_REGISTRATION_FINISH,
            Some(request),
            Auth::None,
        )
        .await
    }

    /// Device binding, step 1: identification number and password; a code goes to the
    /// registered phone.
    pub async fn bind_start(
        &self,
        citizen_id: &CitizenId,
        password: SecretText,
    ) -> Result<BindingStarted, ClientError> {
        self.keystore.check_available()?;
        let sent = self
            .call(
                Method::POST,
                paths::DEVICE_BINDING_START,
                Some(&DeviceBindingStart {
                    citizen_id: citizen_id.clone(),
                    password,
                }),
                Auth::None,
            )
            .await?;
        Ok(BindingStarted {
            citizen_id: citizen_id.clone(),
            sent,
        })
    }

    /// Device binding, step 2: the code, and the keys made here — a new device key, a new
    /// salt and the key derived from `passcode` (already checked twice against the policy),
    /// plus the platform's biometric key where there is one. The request is signed by the new
    /// device key. The keys go to the keystore once the server has accepted them; the
    /// profile's old secrets and session are gone (binding ends every session).
    pub async fn bind_finish(
        &self,
        started: BindingStarted,
        code: OneTimeCode,
        passcode: &Passcode,
        biometric: Option<&dyn BiometricConfirmer>,
    ) -> Result<DeviceView, ClientError> {
        let device_key = DeviceKey::generate();
        let salt = PasscodeSalt::generate();
        let passcode_key = derive_new_key(passcode, &salt, self.config.kdf)?;
        let biometric_key = match biometric {
            Some(b) if b.is_available() => Some(b.public_key()?),
            _ => None,
        };
        let request = DeviceBindingFinish {
            pending_id: started.sent.pending_id,
            code,
            device_key: device_key.public_key(),
            passcode_key: passcode_key.public_key(),
            biometric_key,
            device_name: self.config.device_name.clone(),
            platform: self.config.platform,
        };
        let view: DeviceView = self
            .call(
                Method::POST,
                paths::DEVICE_BINDING_FINISH,
                Some(&request),
                Auth::Key(&device_key),
            )
            .await?;
        self.keystore.delete_session_token()?;
        self.keystore.delete_desktop_key()?;
        self.keystore.set_device_key(&device_key)?;
        self.keystore.set_passcode_salt(&salt)?;
        self.update_state(|s| {
            s.device = Some(view.id.clone());
            s.citizen_id = Some(started.citizen_id);
            s.session = None;
            s.acting_for = None;
            s.signed_in_by_qr = false;
        })?;
        Ok(view)
    }

    /// Remembers the person's date of birth for the passcode policy (asked by the UI).
    pub fn set_date_of_birth(&self, date: chrono::NaiveDate) -> Result<(), ClientError> {
        self.update_state(|s| s.date_of_birth = Some(date))
    }

    /// Signs in on this bound device: a fresh sign-in challenge, the password, and a
    /// sessionless proof by the device key. The token goes to the keystore.
    ///
    /// `device_unbound` (the password was right, but the account has unbound this device —
    /// another phone was bound, or the account was locked): the binding is worth nothing any
    /// more, so the profile forgets it ([`Client::forget_binding`]) and is a new one again;
    /// the error, with its sentence saying since when, goes to the caller.
    pub async fn sign_in(&self, password: SecretText) -> Result<SignedIn, ClientError> {
        let (device, citizen_id) = {
            let state = self.lock_state();
            (state.device.clone(), state.citizen_id.clone())
        };
        let (Some(device), Some(citizen_id)) = (device, citizen_id) else {
            return Err(ClientError::DeviceNotBound);
        };
        let device_key = self.device_key()?;
        let challenge = self.challenge(ChallengePurpose::SignIn, false).await?;
        let login: LoginResponse = self
            .call(
                Method::POST,
                paths::LOGIN,
                Some(&LoginRequest {
                    citizen_id,
                    password,
                    device_id: device,
                    challenge: challenge.challenge,
                }),
                Auth::Key(&device_key),
            )
            .await
            .inspect_err(|e| {
                if e.is(ErrorCode::DeviceUnbound) {
                    // Best effort: the error the caller gets says what happened either way,
                    // and a binding left behind is refused the same way next time.
                    let _ = self.forget_binding();
                }
            })?;
        self.store_session(login)
    }

    /// Forgets this profile's binding once the server no longer knows it (the account was
    /// locked, or unbound this device): the device key, the passcode salt, the session token
    /// and the ids. The identification number stays, for a new binding, and so do the form
    /// drafts' key and the drafts.
    pub(crate) fn forget_binding(&self) -> Result<(), ClientError> {
        self.keystore.forget_binding()?;
        self.update_state(|s| {
            s.device = None;
            s.session = None;
            s.acting_for = None;
            s.signed_in_by_qr = false;
        })
    }

    fn store_session(&self, login: LoginResponse) -> Result<SignedIn, ClientError> {
        self.keystore.set_session_token(&login.token)?;
        self.update_state(|s| {
            s.account = Some(login.account.id.clone());
            s.session = Some(login.session.id.clone());
            s.acting_for = login.session.acting_for.clone();
        })?;
        Ok(SignedIn {
            session: login.session,
            account: login.account,
        })
    }

    /// Renews the idle session (within its 12 hours): a fresh challenge, signed in the
    /// session. The new token replaces the old one in the keystore. Called by the client
    /// itself when the server answers `session_idle`.
    pub async fn renew(&self) -> Result<SignedIn, ClientError> {
        let session = self.lock_state().session.clone();
        let session = session.ok_or(ClientError::NotSignedIn)?;
        let challenge = self
            .exchange_challenge_for_renewal()
            .await
            .inspect_err(|e| self.forget_if_ended(e))?;
        let login: LoginResponse = self
            .exchange_with_retries(
                &Method::POST,
                paths::SESSION_RENEWAL,
                Some(Payload::json(&json_bytes(&SessionRenewal {
                    session,
                    challenge: challenge.challenge,
                })?)),
                &Auth::Session,
            )
            .await
            .inspect_err(|e| self.forget_if_ended(e))
            .and_then(|bytes| {
                from_json(&bytes).map_err(|_| ClientError::UnexpectedResponse { status: 200 })
            })?;
        self.store_session(login)
    }

    /// The renewal challenge, asked for in the idle session (the server allows that), without
    /// the idle handling of [`Client::exchange`], which would loop.
    async fn exchange_challenge_for_renewal(&self) -> Result<ChallengeResponse, ClientError> {
        let purpose = ChallengePurpose::RenewSession;
        let bytes = self
            .exchange_with_retries(
                &Method::POST,
                paths::CHALLENGES,
                Some(Payload::json(&json_bytes(&ChallengeRequest { purpose })?)),
                &Auth::Session,
            )
            .await?;
        let response: ChallengeResponse =
            from_json(&bytes).map_err(|_| ClientError::UnexpectedResponse { status: 200 })?;
        if response.origin != self.origin || response.purpose != purpose {
            return Err(wrong_server());
        }
        Ok(response)
    }

    fn forget_if_ended(&self, e: &ClientError) {
        if e.is(ErrorCode::SessionExpired) || e.is(ErrorCode::Unauthenticated) {
            // Best effort: the error the caller gets says what happened either way.
            let _ = self.forget_session();
        }
    }

    /// Signs out: the server ends the session, and the token leaves the keystore (also when
    /// the server could not be told: a stale token is useless without the device key anyway,
    /// and the person asked to be signed out here).
    pub async fn logout(&self) -> Result<(), ClientError> {
        if self.keystore.session_token()?.is_none() {
            return Err(ClientError::NotSignedIn);
        }
        let told = self
            .exchange_with_retries(
                &Method::DELETE,
                paths::SESSION_CURRENT,
                None,
                &Auth::Session,
            )
            .await;
        self.forget_session()?;
        match told {
            Ok(_) => Ok(()),
            // Already ended on the server: signed out all the same.
            Err(e) if e.is(ErrorCode::SessionExpired) || e.is(ErrorCode::Unauthenticated) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The signed-in account.
    pub async fn me(&self) -> Result<AccountView, ClientError> {
        self.call::<(), _>(Method::GET, paths::ME, None, Auth::Session)
            .await
    }

    /// The account's live sessions.
    pub async fn sessions(&self) -> Result<Vec<SessionView>, ClientError> {
        self.call::<(), _>(Method::GET, paths::SESSIONS, None, Auth::Session)
            .await
    }

    /// The accounts the person may switch between: the personal one and every organisation
    /// they may act for, the active one marked.
    pub async fn account_choices(&self) -> Result<AccountChoices, ClientError> {
        self.call::<(), _>(Method::GET, paths::ACCOUNT_SWITCH, None, Auth::Session)
            .await
    }

    /// Switches this session to an organisation (`Some`) or back to the personal account
    /// (`None`), confirmed. Afterwards every action is recorded as "this person for that
    /// organisation", and signed actions carry the organisation.
    pub async fn switch_account(
        &self,
        to: Option<OrgEid>,
        confirmer: &dyn Confirmer,
    ) -> Result<AccountChoices, ClientError> {
        let account = self
            .lock_state()
            .account
            .clone()
            .ok_or(ClientError::NotSignedIn)?;
        // The server's targets: the organisation switched to, or the person's own account.
        let target = match &to {
            Some(eid) => ActionTarget::new("organisation", eid.as_str())?,
            None => ActionTarget::new("account", account.as_str())?,
        };
        let choices: AccountChoices = self
            .confirmed(
                Method::POST,
                paths::ACCOUNT_SWITCH,
                ActionKind::SwitchAccount,
                target,
                SwitchAccount { to },
                confirmer,
            )
            .await?;
        let mut state = self.lock_state();
        state.acting_for = choices.active.clone();
        self.profile.save(&state)?;
        Ok(choices)
    }

    /// Ends another session of the account (a desktop left signed in), confirmed.
    pub async fn end_session(
        &self,
        session: &SessionId,
        confirmer: &dyn Confirmer,
    ) -> Result<(), ClientError> {
        self.confirmed(
            Method::DELETE,
            &paths::fill(paths::SESSION, "id", session.as_str()),
            ActionKind::EndSession,
            ActionTarget::new("session", session.as_str())?,
            EndSession {
                session: session.clone(),
            },
            confirmer,
        )
        .await
    }

    /// Approves a desktop's QR login, after checking the payload is for this server and not
    /// expired, for the personal account (`None`) or an organisation. The desktop waiting in
    /// [`Client::qr_login_wait`] is told at once.
    pub async fn approve_qr_login(
        &self,
        payload: &QrLoginPayload,
        account: Option<OrgEid>,
        confirmer: &dyn Confirmer,
    ) -> Result<(), ClientError> {
        payload.check(self.now(), &self.origin)?;
        self.confirmed(
            Method::POST,
            &paths::fill(
                paths::QR_LOGIN_APPROVAL,
                "rendezvous",
                &payload.rendezvous().to_string(),
            ),
            ActionKind::ApproveQrLogin,
            payload.approval_target()?,
            payload.approval_body(account),
            confirmer,
        )
        .await
    }

    /// A forgotten (or to be changed) passcode, step 1, in the session: the password; a code
    /// goes to the registered phone.
    pub async fn passcode_reset_start(
        &self,
        password: SecretText,
    ) -> Result<PasscodeResetStarted, ClientError> {
        let sent = self
            .call(
                Method::POST,
                paths::PASSCODE_RESET_START,
                Some(&PasscodeResetStart { password }),
                Auth::Session,
            )
            .await?;
        Ok(PasscodeResetStarted { sent })
    }

    /// Step 2: the code and the new passcode (checked twice against the policy). A new salt
    /// and key are made; the old key stops working on the server, and the keystore gets the
    /// new salt once the server accepted the key.
    pub async fn passcode_reset_finish(
        &self,
        started: PasscodeResetStarted,
        code: OneTimeCode,
        passcode: &Passcode,
    ) -> Result<DeviceView, ClientError> {
        let salt = PasscodeSalt::generate();
        let key = derive_new_key(passcode, &salt, self.config.kdf)?;
        let view = self
            .call(
                Method::POST,
                paths::PASSCODE_RESET_FINISH,
                Some(&PasscodeResetFinish {
                    pending_id: started.sent.pending_id,
                    code,
                    passcode_key: key.public_key(),
                }),
                Auth::Session,
            )
            .await?;
        self.keystore.set_passcode_salt(&salt)?;
        Ok(view)
    }
}

/// Reads a successful answer's JSON; an empty answer (204) reads as `null`, which is what `()`
/// expects.
fn read_answer<R: DeserializeOwned>(answer: &[u8]) -> Result<R, ClientError> {
    let answer: &[u8] = if answer.is_empty() { b"null" } else { answer };
    from_json(answer).map_err(|_| ClientError::UnexpectedResponse { status: 200 })
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(value).map_err(|e| ClientError::Protocol {
        code: "malformed_request".into(),
        message_vi: "Không tạo được yêu cầu.".into(),
        message_en: format!("The request could not be encoded: {e}"),
    })
}

fn network_error(e: reqwest::Error) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout
    } else {
        ClientError::Network {
            detail: e.to_string(),
        }
    }
}

fn wrong_server() -> ClientError {
    ClientError::Protocol {
        code: "wrong_server".into(),
        message_vi: "Máy chủ trả lời không khớp với máy chủ đã cấu hình; thao tác bị hủy.".into(),
        message_en: "The server's answer names another server than the one configured; \
                     nothing was signed."
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origins_host_is_its_name_without_scheme_or_port() {
        let host = |o: &str| origin_host(&Origin::parse(o).unwrap()).to_owned();
        assert_eq!(host("http://localhost:8080"), "localhost");
        assert_eq!(host("https://dinhdanh.example.vn"), "dinhdanh.example.vn");
        assert_eq!(
            host("https://dinhdanh.example.vn:8443"),
            "dinhdanh.example.vn"
        );
        assert_eq!(host("http://127.0.0.1:3000"), "127.0.0.1");
    }
}
