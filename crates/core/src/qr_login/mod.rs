//! The QR-login payload: what a desktop shows and the phone scans to log the desktop in.
//!
//! # Protocol
//!
//! 1. The desktop makes an ephemeral P-256 key pair and asks the server to open a rendezvous;
//!    the server returns a random [`RendezvousId`] and an expiry (a minute or two).
//! 2. The desktop shows [`QrLoginPayload::to_uri`] as a QR code, and [`check_code`] beside it.
//! 3. The phone scans, [`QrLoginPayload::parse`]s and [`QrLoginPayload::check`]s it against
//!    its own server's origin and clock, shows the same check code, and asks the person to
//!    approve. Approval is a signed action ([`crate::signed_action`]) of kind
//!    `ApproveQrLogin`, with target [`QrLoginPayload::approval_target`] and body hash
//!    [`QrLoginPayload::approval_body_hash`] — so the signature names the exact desktop key.
//! 4. The server binds the new desktop session to that key; from then on every desktop
//!    request carries a [`crate::request_proof`] made with it.
//!
//! # URI format (version 1)
//!
//! ```text
//! dinhdanh://login?v=1&r=<rendezvous id>&k=<desktop key>&o=<server origin>&e=<expiry>
//! ```
//!
//! * `v` — format version, `1`.
//! * `r` — rendezvous id, 16–32 bytes, unpadded base64url.
//! * `k` — the desktop's ephemeral public key, 33-byte compressed SEC1, unpadded base64url.
//! * `o` — the server origin ([`Origin`]). Its alphabet (`a-z 0-9 . - : /`) is allowed
//!   verbatim in a URI query and contains none of `& = % # +`, so no percent-encoding is ever
//!   needed; the parser accepts no `%` at all, which removes a whole class of double-decoding
//!   and normalisation bugs.
//! * `e` — expiry, Unix seconds, 1–10 decimal digits without leading zeros.
//!
//! The serialiser always writes that order. The parser accepts any order but rejects unknown,
//! duplicate, missing and empty parameters, and any input longer than [`MAX_URI_LEN`] before
//! doing any other work. The longest payload is [`MAX_URI_LEN`] = 209 bytes, which fits a QR
//! code of version 10 at error-correction level M (213 bytes in byte mode): small enough for
//! a phone camera at arm's length from a laptop screen.
//!
//! # Version 2: a sign-in to another service
//!
//! ```text
//! dinhdanh://login?v=2&s=<sign-in id>&o=<server origin>&e=<expiry>
//! ```
//!
//! The server's login page shows it in a desktop browser ([`ServiceSignInPayload`]). The
//! same strict splitter reads both versions; [`QrPayload::parse`] returns either kind, and
//! each version's reader refuses the other's parameters. Version 1 is unchanged byte for byte.
//!
//! The same version-2 code also travels as the fragment of a verified https link, for a
//! service page open on the phone itself ([`ServiceSignInPayload::to_app_link`],
//! [`ServiceSignInPayload::parse_app_link`], [`APP_LINK_PATH`]).
//!
//! # What the check code does and does not do
//!
//! [`check_code`] is six digits from SHA-256 over the rendezvous id, the desktop key and the
//! origin. Phone and desktop both show it. It lets the person notice a QR code replaced on its
//! way to the camera (an overlay, a sticker, another window). It cannot help when an attacker
//! controls the page showing the code: then the attacker shows the matching code. Against a
//! relayed QR code the defences are elsewhere — the short expiry, the single-use rendezvous,
//! and the phone telling the person where the login is coming from before they approve.

use serde::{Deserialize, Serialize};

use crate::crypto::{
    self, CanonicalWriter, Digest32, Material, PublicKey, base64url_len, parse_decimal,
};
use crate::ids::OrgEid;
use crate::signed_action::{self, ActionError, ActionTarget, Origin};

mod app_link;
mod service_sign_in;

pub use app_link::{APP_LINK_PATH, MAX_APP_LINK_LEN};

pub use service_sign_in::{
    MAX_SERVICE_SIGN_IN_URI_LEN, QrPayload, SERVICE_SIGN_IN_VERSION, ServiceSignInPayload,
};

/// Scheme, host and the start of the query of every QR-login URI.
pub const URI_PREFIX: &str = "dinhdanh://login?";

/// The format version of a desktop login (version 2, [`SERVICE_SIGN_IN_VERSION`], is a
/// sign-in to another service: [`ServiceSignInPayload`]).
pub const VERSION: u32 = 1;

/// Largest expiry that fits the ten digits of the format (year 2286).
pub const MAX_EXPIRY: i64 = 9_999_999_999;

/// Longest valid QR-login URI of any version (version 1's; version 2 is shorter); longer input
/// is rejected before any other work.
pub const MAX_URI_LEN: usize = URI_PREFIX.len()
    + "v=1".len()
    + "&r=".len()
    + base64url_len(RendezvousId::MAX_LEN)
    + "&k=".len()
    + base64url_len(crypto::PUBLIC_KEY_LEN)
    + "&o=".len()
    + Origin::MAX_LEN
    + "&e=".len()
    + 10;

// 213 bytes is the byte-mode capacity of a version-10 QR code at level M: a longer origin
// limit or id would fail the build here, not a scan in the field.
const _: () = assert!(MAX_URI_LEN <= 213);

const CHECK_CODE_DOMAIN: &str = "dinhdanh/qr-check-code/v1";

/// The server's handle on one QR login: 16–32 random bytes (the server draws them),
/// base64url on the wire. Equality is constant-time.
#[derive(Clone)]
pub struct RendezvousId(Vec<u8>);

impl RendezvousId {
    /// Fewest bytes accepted.
    pub const MIN_LEN: usize = 16;
    /// Most bytes accepted.
    pub const MAX_LEN: usize = 32;

    /// Wraps random bytes drawn by the server.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crypto::CryptoError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(crypto::CryptoError::WrongLength {
                what: Material::RendezvousId,
                min: Self::MIN_LEN,
                max: Self::MAX_LEN,
                found: bytes.len(),
            });
        }
        Ok(RendezvousId(bytes.to_vec()))
    }

    /// Parses the base64url form.
    pub fn parse(text: &str) -> Result<Self, crypto::CryptoError> {
        crypto::base64url_decode(text, Material::RendezvousId, Self::MIN_LEN, Self::MAX_LEN)
            .map(RendezvousId)
    }

    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for RendezvousId {
    fn eq(&self, other: &Self) -> bool {
        crypto::ct_eq(&self.0, &other.0)
    }
}

impl Eq for RendezvousId {}

impl std::hash::Hash for RendezvousId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl std::fmt::Debug for RendezvousId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RendezvousId({self})")
    }
}

crypto::base64url_string!(
    RendezvousId,
    crate::patterns::base64url(RendezvousId::MIN_LEN, RendezvousId::MAX_LEN)
);

/// What a desktop shows in its QR code. Holds only valid values; see the module
/// documentation for the text form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrLoginPayload {
    rendezvous: RendezvousId,
    desktop_key: PublicKey,
    origin: Origin,
    expires_at: i64,
}

impl QrLoginPayload {
    /// Builds a payload. `expires_at` (Unix seconds) must be in `0..=MAX_EXPIRY`.
    pub fn new(
        rendezvous: RendezvousId,
        desktop_key: PublicKey,
        origin: Origin,
        expires_at: i64,
    ) -> Result<Self, QrError> {
        if !(0..=MAX_EXPIRY).contains(&expires_at) {
            return Err(malformed("thời hạn không hợp lệ", "invalid expiry"));
        }
        Ok(QrLoginPayload {
            rendezvous,
            desktop_key,
            origin,
            expires_at,
        })
    }

    /// The rendezvous this QR code opens.
    pub fn rendezvous(&self) -> &RendezvousId {
        &self.rendezvous
    }

    /// The desktop's ephemeral key; the desktop session will be bound to it.
    pub fn desktop_key(&self) -> &PublicKey {
        &self.desktop_key
    }

    /// The server the desktop is logging in to.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// When the code stops being valid, Unix seconds.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The URI to render as a QR code (at most [`MAX_URI_LEN`] bytes).
    pub fn to_uri(&self) -> String {
        format!(
            "{URI_PREFIX}v={VERSION}&r={}&k={}&o={}&e={}",
            self.rendezvous, self.desktop_key, self.origin, self.expires_at
        )
    }

    /// Parses a scanned desktop-login QR code strictly (see the module documentation).
    ///
    /// A code of another scheme or host is [`QrError::NotOurCode`]; a well-formed `v` other than
    /// `1` is [`QrError::UnsupportedVersion`] (this reader reads desktop logins only; use
    /// [`QrPayload::parse`] to read every kind), decided before the other parameters are read so
    /// a newer format with new parameters still gets that answer; anything else wrong is
    /// [`QrError::Malformed`]. Expiry and server are checked by [`QrLoginPayload::check`].
    pub fn parse(input: &str) -> Result<Self, QrError> {
        let raw = RawQuery::split(input)?;
        if raw.version()? != u64::from(VERSION) {
            return Err(QrError::UnsupportedVersion);
        }
        Self::from_raw(&raw)
    }

    /// The version-1 reading of parameters already split, whose version is 1.
    fn from_raw(raw: &RawQuery<'_>) -> Result<Self, QrError> {
        if raw.unknown || raw.s.is_some() {
            return Err(unknown_parameter());
        }
        let rendezvous = RendezvousId::parse(required(raw.r)?)
            .map_err(|_| malformed("mã phiên không hợp lệ", "invalid rendezvous id"))?;
        let desktop_key = PublicKey::parse(required(raw.k)?)
            .map_err(|_| malformed("khoá của máy tính không hợp lệ", "invalid desktop key"))?;
        let origin = parse_origin(required(raw.o)?)?;
        let expires_at = parse_expiry(required(raw.e)?)?;
        Self::new(rendezvous, desktop_key, origin, expires_at)
    }

    /// Whether the code has expired at `now` (Unix seconds); the expiry second itself is
    /// already expired.
    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.expires_at
    }

    /// The phone's checks before it offers to approve: the code is for `expected_origin`
    /// (the server this app talks to) and has not expired. The server checks the expiry again
    /// with its own clock; this check is for a fast, clear answer on the phone.
    pub fn check(&self, now: i64, expected_origin: &Origin) -> Result<(), QrError> {
        check_origin_and_expiry(&self.origin, self.expires_at, now, expected_origin)
    }

    /// The six-digit code phone and desktop both show (see the module documentation).
    pub fn check_code(&self) -> String {
        check_code(self)
    }

    /// The target of the `ApproveQrLogin` / `DeclineQrLogin` signed action: `qr_login:<r>`.
    pub fn approval_target(&self) -> Result<ActionTarget, ActionError> {
        // A 32-byte id is 43 base64url characters, within the 64 a target id may hold; this
        // cannot fail, but the error path keeps that a checked fact rather than a panic.
        ActionTarget::new("qr_login", &self.rendezvous.to_string()).map_err(|_| {
            ActionError::BodyNotCanonical {
                detail_vi: "mã phiên không dùng được làm đối tượng",
                detail_en: "has a rendezvous id unusable as a target",
            }
        })
    }

    /// What the person approves: which desktop key gets a session on which server, signed in
    /// to which account (`None`: the personal account; `Some`: an organisation they may act for).
    pub fn approval_body(&self, account: Option<OrgEid>) -> QrApprovalBody {
        QrApprovalBody {
            rendezvous: self.rendezvous.clone(),
            desktop_key: self.desktop_key.clone(),
            origin: self.origin.clone(),
            expires_at: self.expires_at,
            account,
        }
    }

    /// [`signed_action::canonical_body_hash`] of [`QrLoginPayload::approval_body`]: the body
    /// hash of the approval, computed the same way by phone and server.
    pub fn approval_body_hash(&self, account: Option<OrgEid>) -> Result<Digest32, ActionError> {
        signed_action::canonical_body_hash(&self.approval_body(account))
    }
}

impl std::fmt::Display for QrLoginPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_uri())
    }
}

impl std::str::FromStr for QrLoginPayload {
    type Err = QrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The body of a QR-login approval: everything the signature must pin down.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrApprovalBody {
    /// The rendezvous approved.
    pub rendezvous: RendezvousId,
    /// The desktop key the new session is bound to.
    pub desktop_key: PublicKey,
    /// The server the session is on.
    pub origin: Origin,
    /// The code's expiry, Unix seconds.
    pub expires_at: i64,
    /// The account the desktop is signed in to: `None` for the personal account, or an
    /// organisation the person may act for. Signed, so it cannot be switched on the way.
    pub account: Option<OrgEid>,
}

/// Six decimal digits derived from SHA-256 over the payload's rendezvous id, desktop key and
/// origin (length-prefixed, with its own domain tag).
pub fn check_code(payload: &QrLoginPayload) -> String {
    let mut w = CanonicalWriter::new(CHECK_CODE_DOMAIN);
    w.bytes(payload.rendezvous.as_bytes());
    w.bytes(payload.desktop_key.as_bytes());
    w.bytes(payload.origin.as_str().as_bytes());
    six_digits(w)
}

/// Six decimal digits from SHA-256 over a finished canonical message.
fn six_digits(w: CanonicalWriter) -> String {
    let digest = crypto::sha256(&w.finish());
    let mut first = [0u8; 8];
    for (dst, src) in first.iter_mut().zip(digest.as_bytes()) {
        *dst = *src;
    }
    // 2^64 mod 10^6 is negligible next to 2^64: the digits are as good as uniform.
    format!("{:06}", u64::from_be_bytes(first) % 1_000_000)
}

/// The phone's checks shared by every kind of code: the server first (a code for another
/// server is reported as such even when it has also expired), then the expiry.
fn check_origin_and_expiry(
    origin: &Origin,
    expires_at: i64,
    now: i64,
    expected_origin: &Origin,
) -> Result<(), QrError> {
    if origin != expected_origin {
        return Err(QrError::WrongServer);
    }
    if now >= expires_at {
        return Err(QrError::Expired);
    }
    Ok(())
}

/// The parameters of a scanned code, each present at most once, before their values are read.
/// Every version's parameter names are known here; each version's reader refuses the ones it
/// does not use, so one strict splitter serves all of them.
#[derive(Default)]
struct RawQuery<'a> {
    v: Option<&'a str>,
    r: Option<&'a str>,
    k: Option<&'a str>,
    s: Option<&'a str>,
    o: Option<&'a str>,
    e: Option<&'a str>,
    /// A parameter no version knows; reported after the version check, because a newer
    /// version may add parameters and should be answered "unsupported version".
    unknown: bool,
}

impl<'a> RawQuery<'a> {
    /// Our prefix, the length bound (before any other work), and `name=value` pairs with
    /// non-empty values, none repeated.
    fn split(input: &'a str) -> Result<Self, QrError> {
        let Some(query) = input.strip_prefix(URI_PREFIX) else {
            return Err(QrError::NotOurCode);
        };
        if input.len() > MAX_URI_LEN {
            return Err(malformed("quá dài", "too long"));
        }
        let mut raw = RawQuery::default();
        for pair in query.split('&') {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(malformed(
                    "tham số sai cấu trúc",
                    "a parameter has no value",
                ));
            };
            let slot = match name {
                "v" => &mut raw.v,
                "r" => &mut raw.r,
                "k" => &mut raw.k,
                "s" => &mut raw.s,
                "o" => &mut raw.o,
                "e" => &mut raw.e,
                _ => {
                    raw.unknown = true;
                    continue;
                }
            };
            if value.is_empty() {
                return Err(malformed("tham số rỗng", "a parameter is empty"));
            }
            if slot.replace(value).is_some() {
                return Err(malformed("tham số bị lặp", "a parameter is repeated"));
            }
        }
        Ok(raw)
    }

    /// The format version: present, decimal, at most five digits, no leading zero.
    fn version(&self) -> Result<u64, QrError> {
        let v = self
            .v
            .ok_or_else(|| malformed("thiếu phiên bản", "the version is missing"))?;
        parse_decimal(v, 5).ok_or_else(|| malformed("phiên bản không hợp lệ", "invalid version"))
    }
}

fn required(value: Option<&str>) -> Result<&str, QrError> {
    value.ok_or_else(|| malformed("thiếu tham số", "a parameter is missing"))
}

fn unknown_parameter() -> QrError {
    malformed("có tham số lạ", "has an unknown parameter")
}

fn parse_origin(text: &str) -> Result<Origin, QrError> {
    Origin::parse(text)
        .map_err(|_| malformed("địa chỉ máy chủ không hợp lệ", "invalid server origin"))
}

fn parse_expiry(text: &str) -> Result<i64, QrError> {
    parse_decimal(text, 10)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| malformed("thời hạn không hợp lệ", "invalid expiry"))
}

fn malformed(detail_vi: &'static str, detail_en: &'static str) -> QrError {
    QrError::Malformed {
        detail_vi,
        detail_en,
    }
}

/// Why a scanned QR code cannot be used to log in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum QrError {
    /// Not a Định Danh login code at all (another app's code, a web link ...).
    NotOurCode,
    /// A login code of a format version this app does not know: the app needs updating.
    UnsupportedVersion,
    /// A Định Danh login code that is damaged or forged.
    Malformed {
        /// What is wrong, in Vietnamese.
        detail_vi: &'static str,
        /// What is wrong, in English.
        detail_en: &'static str,
    },
    /// The code has expired.
    Expired,
    /// The code is for another Định Danh server.
    WrongServer,
}

impl QrError {
    /// Stable machine code, e.g. `qr_login.expired`.
    pub fn code(&self) -> String {
        let code = match self {
            QrError::NotOurCode => "not_our_code",
            QrError::UnsupportedVersion => "unsupported_version",
            QrError::Malformed { .. } => "malformed",
            QrError::Expired => "expired",
            QrError::WrongServer => "wrong_server",
        };
        format!("qr_login.{code}")
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            QrError::NotOurCode => "Đây không phải mã QR đăng nhập của Định Danh.".into(),
            QrError::UnsupportedVersion => {
                "Mã QR này cần phiên bản ứng dụng mới hơn, vui lòng cập nhật ứng dụng.".into()
            }
            QrError::Malformed { detail_vi, .. } => {
                format!("Mã QR đăng nhập không hợp lệ: {detail_vi}.")
            }
            QrError::Expired => "Mã QR đã hết hạn, vui lòng tạo mã mới trên máy tính.".into(),
            QrError::WrongServer => "Mã QR này dành cho một máy chủ khác.".into(),
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            QrError::NotOurCode => "This is not a Định Danh login QR code.".into(),
            QrError::UnsupportedVersion => {
                "This QR code needs a newer version of the app; please update.".into()
            }
            QrError::Malformed { detail_en, .. } => {
                format!("The login QR code is invalid: {detail_en}.")
            }
            QrError::Expired => {
                "The QR code has expired; please make a new one on the computer.".into()
            }
            QrError::WrongServer => "This QR code is for a different server.".into(),
        }
    }
}

#[cfg(test)]
mod tests;
