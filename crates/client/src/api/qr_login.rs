//! QR login (issue 8), both ends:
//!
//! - **desktop**: [`Client::qr_login_start`] makes an ephemeral P-256 key and opens a
//!   rendezvous with a sessionless proof by it; [`Client::qr_login_wait`] consumes that state,
//!   opens the WebSocket of [`paths::QR_LOGIN_EVENTS`] (the same proof over the `GET`) and is
//!   told the phone's answer the moment it lands. On approval the token and the ephemeral key
//!   go to the keystore and the profile is marked signed in by QR: every later request of
//!   the session carries a proof by that key, so a copied token is useless alone;
//! - **phone**: [`Client::qr_login_request`] reads which computer asks,
//!   [`Client::approve_qr_login`] (in the parent module, confirmed) and
//!   [`Client::decline_qr_login`] (one tap) answer.

use dinhdanh_core::api::{QrLoginEvent, QrLoginRequestView, QrLoginStart, QrLoginStarted, paths};
use dinhdanh_core::qr_login::QrLoginPayload;
use dinhdanh_core::request_proof::{self, ProofClaims};
use rand_core::{OsRng, RngCore};
use reqwest::Method;

use super::{Auth, Client, SignedIn, wrong_server};
use crate::error::ClientError;
use crate::json::from_json;
use crate::keys::DeviceKey;

/// A QR login shown on the desktop, between its two steps: the ephemeral key (never written
/// anywhere until the phone approves) and the code. Used up by [`Client::qr_login_wait`].
pub struct QrLoginPending {
    key: DeviceKey,
    /// The code's content (render it with [`crate::qr::render_svg`]).
    pub payload: QrLoginPayload,
    /// The short code the phone shows too.
    pub check_code: String,
}

impl std::fmt::Debug for QrLoginPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrLoginPending")
            .field("payload", &self.payload)
            .field("check_code", &self.check_code)
            .finish_non_exhaustive()
    }
}

impl QrLoginPending {
    /// Unix seconds when the code stops working.
    pub fn expires_at(&self) -> i64 {
        self.payload.expires_at()
    }
}

/// How a desktop's QR login ended.
#[derive(Debug)]
pub enum QrLoginAnswer {
    /// Approved: this profile is signed in, in a session bound to the ephemeral key.
    SignedIn(Box<SignedIn>),
    /// The phone declined.
    Declined,
    /// Nobody answered in time: show a new code.
    Expired,
}

impl Client {
    /// Desktop, step 1: a fresh ephemeral key and a rendezvous for it, named `client_name` on
    /// `os` for the phone. A bound device signs in with its password instead.
    pub async fn qr_login_start(
        &self,
        client_name: &str,
        os: &str,
    ) -> Result<QrLoginPending, ClientError> {
        if self.lock_state().device.is_some() {
            return Err(ClientError::Protocol {
                code: "qr_login_on_bound_device".into(),
                message_vi: "Thiết bị này đã được liên kết; hãy đăng nhập bằng mật khẩu.".into(),
                message_en: "This device is bound; sign in with your password.".into(),
            });
        }
        self.keystore.check_available()?;
        let key = DeviceKey::generate();
        let started: QrLoginStarted = self
            .call(
                Method::POST,
                paths::QR_LOGIN,
                Some(&QrLoginStart {
                    desktop_key: key.public_key(),
                    client_name: client_name.to_owned(),
                    os: os.to_owned(),
                }),
                Auth::Key(&key),
            )
            .await?;
        let payload = QrLoginPayload::parse(&started.payload)?;
        // The code must name this server and the key just made: anything else would have the
        // phone approve a login somewhere else.
        if payload.origin() != &self.origin || payload.desktop_key() != &key.public_key() {
            return Err(wrong_server());
        }
        Ok(QrLoginPending {
            key,
            check_code: payload.check_code(),
            payload,
        })
    }

    /// Desktop, step 2: waits on the push channel for the phone's answer. On approval the
    /// session token and the ephemeral key are kept in the keystore and the profile is
    /// marked signed in by QR.
    pub async fn qr_login_wait(
        &self,
        pending: QrLoginPending,
    ) -> Result<QrLoginAnswer, ClientError> {
        let path = paths::fill(
            paths::QR_LOGIN_EVENTS,
            "rendezvous",
            &pending.payload.rendezvous().to_string(),
        );
        let mut nonce = [0u8; request_proof::NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let proof = pending
            .key
            .sign_proof(ProofClaims::new(
                "GET",
                &path,
                &[],
                None,
                self.now(),
                nonce,
            )?)
            .to_header_value();
        let headers = [(request_proof::HEADER_NAME, proof)];
        let Some(text) = self
            .first_pushed_text(&path, &headers, pending.expires_at())
            .await?
        else {
            // No answer before the code's end, or the connection ended without one.
            return Ok(QrLoginAnswer::Expired);
        };
        let event: QrLoginEvent = from_json(text.as_bytes())
            .map_err(|_| ClientError::UnexpectedResponse { status: 101 })?;
        match event {
            QrLoginEvent::Declined => Ok(QrLoginAnswer::Declined),
            QrLoginEvent::Expired => Ok(QrLoginAnswer::Expired),
            QrLoginEvent::Approved { token, session } => {
                if session.bound_key_id != pending.key.key_id() {
                    return Err(wrong_server());
                }
                self.keystore.set_desktop_key(&pending.key)?;
                self.keystore.set_session_token(&token)?;
                self.update_state(|s| {
                    s.signed_in_by_qr = true;
                    s.account = Some(session.account.clone());
                    s.session = Some(session.id.clone());
                    s.acting_for = session.acting_for.clone();
                })?;
                let account = self.me().await?;
                Ok(QrLoginAnswer::SignedIn(Box::new(SignedIn {
                    session,
                    account,
                })))
            }
        }
    }

    /// Phone: which computer asks, from where, with the check code and the accounts it may
    /// be signed in to. The code is checked first to be this server's and unexpired.
    pub async fn qr_login_request(
        &self,
        payload: &QrLoginPayload,
    ) -> Result<QrLoginRequestView, ClientError> {
        payload.check(self.now(), &self.origin)?;
        self.call::<(), _>(
            Method::GET,
            &paths::fill(
                paths::QR_LOGIN_REQUEST,
                "rendezvous",
                &payload.rendezvous().to_string(),
            ),
            None,
            Auth::Session,
        )
        .await
    }

    /// Phone: declines the login in one tap (no passcode: a decline cannot hurt the person;
    /// the request is signed by the session's key); the desktop is told at once.
    pub async fn decline_qr_login(&self, payload: &QrLoginPayload) -> Result<(), ClientError> {
        payload.check(self.now(), &self.origin)?;
        self.call::<(), _>(
            Method::POST,
            &paths::fill(
                paths::QR_LOGIN_DECLINE,
                "rendezvous",
                &payload.rendezvous().to_string(),
            ),
            None,
            Auth::Session,
        )
        .await
    }
}
