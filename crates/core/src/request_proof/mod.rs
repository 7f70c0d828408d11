//! Per-request proofs of possession, in the manner of DPoP (RFC 9449).
//!
//! A session token alone is a bearer credential: whoever copies it can use it. Định Danh binds
//! every session to a key — the device key, or after a QR login the desktop's ephemeral key —
//! and every request carries a [`RequestProof`] signed by that key over the HTTP method, the
//! path with query, a hash of the body, a hash of the session token, the time and a nonce. A
//! stolen token is useless without the key, and a captured proof is useless for any other
//! request.
//!
//! # Encoding (version 1)
//!
//! Signed bytes: `len ‖ "dinhdanh/request-proof/v1"`, then method, path, body hash, session
//! hash (each with a big-endian `u64` length prefix; the session hash after a presence byte,
//! since sign-in and device binding have no session yet), time (`i64`), nonce (16 bytes, with
//! prefix). The domain tag differs from the signed-action one, so neither can be replayed as
//! the other.
//!
//! Header value ([`RequestProof::to_header_value`]), in [`HEADER_NAME`]:
//!
//! ```text
//! v1.<METHOD>.<b64url path>.<b64url body hash>.<b64url session hash or ->.<unix secs>.<b64url nonce>.<b64url signature>
//! ```
//!
//! # Requests without a session
//!
//! Sign-in and device binding have no session yet: their proof carries no session hash (`-`)
//! and is signed by the device key being presented. Such a request is fresh only because its
//! body carries a single-use server challenge, which the body hash covers.
//!
//! at most [`MAX_HEADER_LEN`] bytes. The claimed method, path and hashes travel in the header
//! so the server can say precisely what did not match; it compares them with the request it
//! actually received before trusting anything.
//!
//! # What the server must do besides [`verify`]
//!
//! * Look up the session by [`session_binding`] of the presented token and verify with the
//!   key that session is bound to — never a key named by the request.
//! * Pass the raw request target (`path?query` exactly as received, no decoding or
//!   normalising) and the raw body bytes.
//! * Reject replays: store each accepted [`RequestProof::nonce`] (per session) for as long as
//!   a proof with it could still pass the time check — `2 × max_skew_secs` — and refuse a
//!   nonce seen before. This crate has no storage, so it cannot do this itself.

use crate::crypto::{self, CanonicalWriter, CryptoError, Digest32, Material, PublicKey, Signature};

/// Domain-separation tag of the version-1 encoding.
pub const DOMAIN: &str = "dinhdanh/request-proof/v1";

/// The HTTP header that carries the proof.
pub const HEADER_NAME: &str = "dinhdanh-proof";

/// Longest HTTP method accepted.
pub const MAX_METHOD_LEN: usize = 16;

/// Longest path-with-query accepted, in bytes.
pub const MAX_PATH_LEN: usize = 1024;

/// Length of the nonce in bytes.
pub const NONCE_LEN: usize = 16;

const VERSION: &str = "v1";

/// What the header carries in place of the session hash when there is no session.
const NO_SESSION: &str = "-";

/// Longest header value a valid proof can have; longer input is rejected before any work.
pub const MAX_HEADER_LEN: usize = VERSION.len()
    + 7 // separators
    + MAX_METHOD_LEN
    + crypto::base64url_len(MAX_PATH_LEN)
    + 2 * crypto::base64url_len(32)
    + 19 // digits of i64::MAX
    + crypto::base64url_len(NONCE_LEN)
    + crypto::base64url_len(crypto::SIGNATURE_LEN);

/// The session binding: SHA-256 of the session token's bytes (DPoP's `ath`).
///
/// The token itself never enters a proof, so a logged proof does not leak it. The server can
/// store sessions under this hash and look them up by it.
pub fn session_binding(token: &str) -> Digest32 {
    crypto::sha256(token.as_bytes())
}

/// The statement a request proof signs. Built by the device for each request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProofClaims {
    method: String,
    path: String,
    body_hash: Digest32,
    session_hash: Option<Digest32>,
    time: i64,
    nonce: [u8; NONCE_LEN],
}

impl ProofClaims {
    /// Describes a request.
    ///
    /// * `method`: upper-case letters only (`GET`, `POST` ...), at most [`MAX_METHOD_LEN`].
    /// * `path`: the request target as it will be sent — starting with `/`, query included,
    ///   visible ASCII only (already percent-encoded), no fragment, at most [`MAX_PATH_LEN`].
    /// * `body`: the exact body bytes (empty for none).
    /// * `session_hash`: [`session_binding`] of the session token; `None` only for sign-in and
    ///   device binding, whose body carries a fresh server challenge instead.
    /// * `time`: now, Unix seconds, not negative.
    /// * `nonce`: 16 fresh random bytes drawn by the caller.
    pub fn new(
        method: &str,
        path: &str,
        body: &[u8],
        session_hash: Option<Digest32>,
        time: i64,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Self, ProofError> {
        check_method(method)?;
        check_path(path)?;
        if time < 0 {
            return Err(ProofError::Malformed {
                detail_en: "negative time",
                detail_vi: "thời gian âm",
            });
        }
        Ok(ProofClaims {
            method: method.to_owned(),
            path: path.to_owned(),
            body_hash: crypto::sha256(body),
            session_hash,
            time,
            nonce,
        })
    }

    /// The canonical bytes that are signed (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(DOMAIN);
        w.bytes(self.method.as_bytes());
        w.bytes(self.path.as_bytes());
        w.bytes(self.body_hash.as_bytes());
        w.optional(self.session_hash.as_ref().map(|h| h.as_bytes().as_slice()));
        w.i64(self.time);
        w.bytes(&self.nonce);
        w.finish()
    }

    /// Signs with a software-held session key.
    pub fn sign_with(self, session_key: &p256::ecdsa::SigningKey) -> RequestProof {
        let signature = crypto::sign_with(session_key, &self.to_bytes());
        RequestProof {
            claims: self,
            signature,
        }
    }

    /// Attaches a signature made elsewhere (a platform keystore) over [`ProofClaims::to_bytes`].
    /// The server checks it; nothing is verified here.
    pub fn with_signature(self, signature: Signature) -> RequestProof {
        RequestProof {
            claims: self,
            signature,
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path with query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// SHA-256 of the body.
    pub fn body_hash(&self) -> &Digest32 {
        &self.body_hash
    }

    /// SHA-256 of the session token; `None` for a request made before there is a session.
    pub fn session_hash(&self) -> Option<&Digest32> {
        self.session_hash.as_ref()
    }

    /// When the device made the proof, Unix seconds.
    pub fn time(&self) -> i64 {
        self.time
    }

    /// The nonce, for the server's replay store.
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.nonce
    }
}

fn check_method(method: &str) -> Result<(), ProofError> {
    if method.is_empty()
        || method.len() > MAX_METHOD_LEN
        || !method.bytes().all(|b| b.is_ascii_uppercase())
    {
        return Err(ProofError::Malformed {
            detail_vi: "phương thức HTTP không hợp lệ",
            detail_en: "invalid HTTP method",
        });
    }
    Ok(())
}

fn check_path(path: &str) -> Result<(), ProofError> {
    if path.len() > MAX_PATH_LEN
        || !path.starts_with('/')
        || !path.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
    {
        return Err(ProofError::Malformed {
            detail_vi: "đường dẫn không hợp lệ",
            detail_en: "invalid request path",
        });
    }
    Ok(())
}

/// A signed request proof, as carried in the [`HEADER_NAME`] header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestProof {
    claims: ProofClaims,
    signature: Signature,
}

impl RequestProof {
    /// What the proof claims.
    pub fn claims(&self) -> &ProofClaims {
        &self.claims
    }

    /// The nonce; the server stores it to refuse a second use (see the module documentation).
    pub fn nonce(&self) -> &[u8; NONCE_LEN] {
        &self.claims.nonce
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The compact header value (see the module documentation).
    pub fn to_header_value(&self) -> String {
        let c = &self.claims;
        [
            VERSION.to_owned(),
            c.method.clone(),
            crypto::base64url_encode(c.path.as_bytes()),
            c.body_hash.to_string(),
            c.session_hash
                .as_ref()
                .map_or_else(|| NO_SESSION.to_owned(), Digest32::to_string),
            c.time.to_string(),
            crypto::base64url_encode(&c.nonce),
            self.signature.to_string(),
        ]
        .join(".")
    }

    /// Parses a header value strictly: bounded length, exactly eight parts, known version,
    /// canonical encodings. Parsing checks shape only; [`verify`] checks meaning.
    pub fn parse_header_value(value: &str) -> Result<Self, ProofError> {
        if value.len() > MAX_HEADER_LEN {
            return Err(ProofError::Malformed {
                detail_vi: "quá dài",
                detail_en: "too long",
            });
        }
        let wrong_shape = ProofError::Malformed {
            detail_vi: "sai cấu trúc",
            detail_en: "wrong structure",
        };
        let parts: Vec<&str> = value.split('.').collect();
        let [
            version,
            method,
            path,
            body_hash,
            session_hash,
            time,
            nonce,
            signature,
        ] = parts.as_slice()
        else {
            return Err(wrong_shape);
        };
        if *version != VERSION {
            return Err(ProofError::UnsupportedVersion);
        }
        let path_bytes = crypto::base64url_decode(path, Material::RequestPath, 1, MAX_PATH_LEN)?;
        let path = String::from_utf8(path_bytes).map_err(|_| ProofError::Malformed {
            detail_vi: "đường dẫn không hợp lệ",
            detail_en: "invalid request path",
        })?;
        check_method(method)?;
        check_path(&path)?;
        let time = crypto::parse_decimal(time, 19)
            .and_then(|t| i64::try_from(t).ok())
            .ok_or(ProofError::Malformed {
                detail_vi: "thời gian không hợp lệ",
                detail_en: "invalid time",
            })?;
        Ok(RequestProof {
            claims: ProofClaims {
                method: (*method).to_owned(),
                path,
                body_hash: Digest32::parse(body_hash)?,
                session_hash: match *session_hash {
                    NO_SESSION => None,
                    hash => Some(Digest32::parse(hash)?),
                },
                time,
                nonce: crypto::base64url_decode_array(nonce, Material::Nonce)?,
            },
            signature: Signature::parse(signature)?,
        })
    }
}

/// What the server knows about the request it received.
#[derive(Clone, Copy, Debug)]
pub struct ExpectedRequest<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The raw request target, path and query exactly as received.
    pub path: &'a str,
    /// The raw body bytes.
    pub body: &'a [u8],
    /// [`session_binding`] of the token the request presented; `None` for a route that takes
    /// no session (sign-in, device binding).
    pub session_hash: Option<&'a Digest32>,
    /// The server's current time, Unix seconds.
    pub now: i64,
    /// How far (in seconds) the proof's time may be from `now`, either way.
    pub max_skew_secs: u32,
}

/// Verifies a request proof against the request the server received, with the key the
/// session is bound to.
///
/// Checks the signature first (so nothing below is read from unauthenticated input), then
/// method, path, body, session and time. Does not check the nonce for replay: that needs the
/// server's store (see the module documentation).
pub fn verify(
    proof: &RequestProof,
    session_key: &PublicKey,
    expected: &ExpectedRequest<'_>,
) -> Result<(), ProofError> {
    check(proof, session_key, expected, true).map(|_| ())
}

/// [`verify`] for a request whose body the server reads only once the request is
/// authenticated (an upload): checks everything but the body — `expected.body` is not looked
/// at — and returns the SHA-256 of the body the proof was made for. The caller then reads the
/// body, bounded, and refuses the request ([`ProofError::WrongBody`]) unless its SHA-256 is
/// that value.
pub fn verify_before_body(
    proof: &RequestProof,
    session_key: &PublicKey,
    expected: &ExpectedRequest<'_>,
) -> Result<Digest32, ProofError> {
    check(proof, session_key, expected, false)
}

fn check(
    proof: &RequestProof,
    session_key: &PublicKey,
    expected: &ExpectedRequest<'_>,
    with_body: bool,
) -> Result<Digest32, ProofError> {
    let c = &proof.claims;
    crypto::verify(session_key, &c.to_bytes(), &proof.signature)?;
    if c.method != expected.method {
        return Err(ProofError::WrongMethod);
    }
    if c.path != expected.path {
        return Err(ProofError::WrongPath);
    }
    if with_body && c.body_hash != crypto::sha256(expected.body) {
        return Err(ProofError::WrongBody);
    }
    if c.session_hash.as_ref() != expected.session_hash {
        return Err(ProofError::WrongSession);
    }
    let skew = i64::from(expected.max_skew_secs);
    if expected.now.saturating_sub(c.time) > skew {
        return Err(ProofError::Stale);
    }
    if c.time.saturating_sub(expected.now) > skew {
        return Err(ProofError::FromTheFuture);
    }
    Ok(c.body_hash)
}

/// Why a request proof was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum ProofError {
    /// A key, digest, nonce or signature is malformed, or the signature does not verify.
    Crypto(#[from] CryptoError),
    /// The header or a claim does not have the expected shape.
    Malformed {
        /// What is wrong, in Vietnamese.
        detail_vi: &'static str,
        /// What is wrong, in English.
        detail_en: &'static str,
    },
    /// A proof format this version does not know.
    UnsupportedVersion,
    /// Made for another HTTP method.
    WrongMethod,
    /// Made for another path or query.
    WrongPath,
    /// Made for another body.
    WrongBody,
    /// Made for another session.
    WrongSession,
    /// Older than the allowed skew.
    Stale,
    /// Ahead of the server's clock by more than the allowed skew.
    FromTheFuture,
}

impl ProofError {
    /// Stable machine code, e.g. `request_proof.stale`.
    pub fn code(&self) -> String {
        let code = match self {
            ProofError::Crypto(e) => return e.code(),
            ProofError::Malformed { .. } => "malformed",
            ProofError::UnsupportedVersion => "unsupported_version",
            ProofError::WrongMethod => "wrong_method",
            ProofError::WrongPath => "wrong_path",
            ProofError::WrongBody => "wrong_body",
            ProofError::WrongSession => "wrong_session",
            ProofError::Stale => "stale",
            ProofError::FromTheFuture => "from_the_future",
        };
        format!("request_proof.{code}")
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            ProofError::Crypto(e) => e.message_vi(),
            ProofError::Malformed { detail_vi, .. } => {
                format!("Bằng chứng yêu cầu không hợp lệ: {detail_vi}.")
            }
            ProofError::UnsupportedVersion => {
                "Phiên bản bằng chứng yêu cầu không được hỗ trợ, vui lòng cập nhật ứng dụng.".into()
            }
            ProofError::WrongMethod => "Bằng chứng được tạo cho một phương thức HTTP khác.".into(),
            ProofError::WrongPath => "Bằng chứng được tạo cho một đường dẫn khác.".into(),
            ProofError::WrongBody => "Bằng chứng được tạo cho một nội dung khác.".into(),
            ProofError::WrongSession => "Bằng chứng được tạo cho một phiên khác.".into(),
            ProofError::Stale => "Bằng chứng yêu cầu đã quá cũ.".into(),
            ProofError::FromTheFuture => {
                "Đồng hồ của thiết bị chạy nhanh hơn máy chủ, vui lòng chỉnh lại giờ.".into()
            }
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            ProofError::Crypto(e) => e.message_en(),
            ProofError::Malformed { detail_en, .. } => {
                format!("The request proof is malformed: {detail_en}.")
            }
            ProofError::UnsupportedVersion => {
                "This request proof version is not supported; please update the app.".into()
            }
            ProofError::WrongMethod => "The proof was made for a different HTTP method.".into(),
            ProofError::WrongPath => "The proof was made for a different path.".into(),
            ProofError::WrongBody => "The proof was made for a different body.".into(),
            ProofError::WrongSession => "The proof was made for a different session.".into(),
            ProofError::Stale => "The request proof is too old.".into(),
            ProofError::FromTheFuture => {
                "The device clock is ahead of the server; please correct the time.".into()
            }
        }
    }
}

#[cfg(test)]
mod tests;
