//! Version 2 of the QR format: a sign-in to another service (a relying party of this server's
//! OpenID provider), shown by the server's login page in a desktop browser and scanned by the
//! phone. See `docs/design/qr-login.md` and `docs/design/openid-provider.md`.
//!
//! ```text
//! dinhdanh://login?v=2&s=<sign-in id>&o=<server origin>&e=<expiry>
//! ```
//!
//! * `s` — the pending sign-in, 16–32 bytes, unpadded base64url (the server draws 32).
//! * `o`, `e` — as in version 1: the server origin and the expiry in Unix seconds.
//!
//! No browser key: the sign-in is bound to the browser by a cookie the server set when the page
//! opened, and only that browser gets the authorization code. The phone reads what it approves
//! (the service's registered name and redirect origin) from the server, never from the code.

use crate::crypto::{CanonicalWriter, base64url_len};
use crate::signed_action::Origin;

use super::{
    MAX_EXPIRY, QrError, QrLoginPayload, RawQuery, RendezvousId, URI_PREFIX,
    check_origin_and_expiry, malformed, parse_expiry, parse_origin, required, six_digits,
    unknown_parameter,
};

/// The format version of a service sign-in code.
pub const SERVICE_SIGN_IN_VERSION: u32 = 2;

/// Longest valid service sign-in URI.
pub const MAX_SERVICE_SIGN_IN_URI_LEN: usize = URI_PREFIX.len()
    + "v=2".len()
    + "&s=".len()
    + base64url_len(RendezvousId::MAX_LEN)
    + "&o=".len()
    + Origin::MAX_LEN
    + "&e=".len()
    + 10;

// The same bound as version 1: a version-10 QR code at level M holds 213 bytes. And the one
// length check of the shared parser (the longest of all versions) must cover this version.
const _: () = assert!(MAX_SERVICE_SIGN_IN_URI_LEN <= 213);
const _: () = assert!(MAX_SERVICE_SIGN_IN_URI_LEN <= super::MAX_URI_LEN);

/// Its own domain tag: a check code of a service sign-in never equals one computed the
/// version-1 way over the same bytes.
const CHECK_CODE_DOMAIN: &str = "dinhdanh/qr-check-code/service-sign-in/v2";

/// What the login page shows for a sign-in to a service. Holds only valid values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceSignInPayload {
    sign_in: RendezvousId,
    origin: Origin,
    expires_at: i64,
}

impl ServiceSignInPayload {
    /// Builds a payload. `expires_at` (Unix seconds) must be in `0..=MAX_EXPIRY`.
    pub fn new(sign_in: RendezvousId, origin: Origin, expires_at: i64) -> Result<Self, QrError> {
        if !(0..=MAX_EXPIRY).contains(&expires_at) {
            return Err(malformed("thời hạn không hợp lệ", "invalid expiry"));
        }
        Ok(ServiceSignInPayload {
            sign_in,
            origin,
            expires_at,
        })
    }

    /// The pending sign-in; the phone reads and answers it at `/v1/oidc/sign-ins/{id}`.
    pub fn sign_in(&self) -> &RendezvousId {
        &self.sign_in
    }

    /// The server the sign-in is on.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// When the code stops being valid, Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The URI to render as a QR code (at most [`MAX_SERVICE_SIGN_IN_URI_LEN`] bytes).
    pub fn to_uri(&self) -> String {
        format!(
            "{URI_PREFIX}v={SERVICE_SIGN_IN_VERSION}&s={}&o={}&e={}",
            self.sign_in, self.origin, self.expires_at
        )
    }

    /// Parses a scanned service sign-in code strictly: like [`QrLoginPayload::parse`] for
    /// version 1, a well-formed version other than 2 is [`QrError::UnsupportedVersion`].
    pub fn parse(input: &str) -> Result<Self, QrError> {
        let raw = RawQuery::split(input)?;
        if raw.version()? != u64::from(SERVICE_SIGN_IN_VERSION) {
            return Err(QrError::UnsupportedVersion);
        }
        Self::from_raw(&raw)
    }

    /// The version-2 reading of parameters already split, whose version is 2: `r` and `k`
    /// belong to version 1 and are unknown here.
    fn from_raw(raw: &RawQuery<'_>) -> Result<Self, QrError> {
        if raw.unknown || raw.r.is_some() || raw.k.is_some() {
            return Err(unknown_parameter());
        }
        let sign_in = RendezvousId::parse(required(raw.s)?)
            .map_err(|_| malformed("mã đăng nhập không hợp lệ", "invalid sign-in id"))?;
        let origin = parse_origin(required(raw.o)?)?;
        let expires_at = parse_expiry(required(raw.e)?)?;
        Self::new(sign_in, origin, expires_at)
    }

    /// Whether the code has expired at `now` (Unix seconds); the expiry second itself is
    /// already expired.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// The phone's checks before it asks the server about the sign-in: the code is for
    /// `expected_origin` and has not expired (the server checks again with its own clock).
    pub fn check(&self, now: i64, expected_origin: &Origin) -> Result<(), QrError> {
        check_origin_and_expiry(&self.origin, self.expires_at, now, expected_origin)
    }

    /// The six-digit code the login page and the phone both show: SHA-256 over the sign-in id
    /// and the origin, length-prefixed, under its own domain tag.
    pub fn check_code(&self) -> String {
        let mut w = CanonicalWriter::new(CHECK_CODE_DOMAIN);
        w.bytes(self.sign_in.as_bytes());
        w.bytes(self.origin.as_str().as_bytes());
        six_digits(w)
    }
}

impl std::fmt::Display for ServiceSignInPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_uri())
    }
}

impl std::str::FromStr for ServiceSignInPayload {
    type Err = QrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Any Định Danh QR code the phone can scan: one strict parser for every version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QrPayload {
    /// Version 1: log a desktop in to this app.
    DesktopLogin(QrLoginPayload),
    /// Version 2: sign in to another service in a desktop browser.
    ServiceSignIn(ServiceSignInPayload),
}

impl QrPayload {
    /// Parses a scanned code strictly (see the module documentation of [`super`]): the
    /// version decides the reading; a version neither 1 nor 2 is
    /// [`QrError::UnsupportedVersion`], decided before the other parameters are read.
    pub fn parse(input: &str) -> Result<Self, QrError> {
        let raw = RawQuery::split(input)?;
        match raw.version()? {
            1 => QrLoginPayload::from_raw(&raw).map(QrPayload::DesktopLogin),
            2 => ServiceSignInPayload::from_raw(&raw).map(QrPayload::ServiceSignIn),
            _ => Err(QrError::UnsupportedVersion),
        }
    }

    /// The URI this payload is written as.
    pub fn to_uri(&self) -> String {
        match self {
            QrPayload::DesktopLogin(p) => p.to_uri(),
            QrPayload::ServiceSignIn(p) => p.to_uri(),
        }
    }

    /// The server the code is for.
    pub fn origin(&self) -> &Origin {
        match self {
            QrPayload::DesktopLogin(p) => p.origin(),
            QrPayload::ServiceSignIn(p) => p.origin(),
        }
    }

    /// When the code stops being valid, Unix seconds.
    pub fn expires_at(&self) -> i64 {
        match self {
            QrPayload::DesktopLogin(p) => p.expires_at(),
            QrPayload::ServiceSignIn(p) => p.expires_at(),
        }
    }

    /// The phone's checks: this server's code, not expired.
    pub fn check(&self, now: i64, expected_origin: &Origin) -> Result<(), QrError> {
        check_origin_and_expiry(self.origin(), self.expires_at(), now, expected_origin)
    }

    /// The six-digit check code of this kind of code.
    pub fn check_code(&self) -> String {
        match self {
            QrPayload::DesktopLogin(p) => p.check_code(),
            QrPayload::ServiceSignIn(p) => p.check_code(),
        }
    }
}

impl std::fmt::Display for QrPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_uri())
    }
}

impl std::str::FromStr for QrPayload {
    type Err = QrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
