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
    let c = &proof.claims;
    crypto::verify(session_key, &c.to_bytes(), &proof.signature)?;
    if c.method != expected.method {
        return Err(ProofError::WrongMethod);
    }
    if c.path != expected.path {
        return Err(ProofError::WrongPath);
    }
    if c.body_hash != crypto::sha256(expected.body) {
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
    Ok(())
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
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use proptest::prelude::*;

    const NOW: i64 = 1_750_000_000;
    const TOKEN: &str = "sess_4b1f0c9e2d7a";
    const BODY: &[u8] = r#"{"organisation_name":"Công ty Ánh Dương"}"#.as_bytes();

    fn key() -> (SigningKey, PublicKey) {
        let sk = SigningKey::random(&mut rand_core::OsRng);
        let pk = PublicKey::from_verifying_key(sk.verifying_key());
        (sk, pk)
    }

    fn proof(sk: &SigningKey) -> RequestProof {
        ProofClaims::new(
            "POST",
            "/api/v1/registrations?draft=1",
            BODY,
            Some(session_binding(TOKEN)),
            NOW - 2,
            [5u8; 16],
        )
        .unwrap()
        .sign_with(sk)
    }

    fn expected(session_hash: &Digest32) -> ExpectedRequest<'_> {
        ExpectedRequest {
            method: "POST",
            path: "/api/v1/registrations?draft=1",
            body: BODY,
            session_hash: Some(session_hash),
            now: NOW,
            max_skew_secs: 60,
        }
    }

    #[test]
    fn a_proof_made_by_the_device_verifies_on_the_server_through_the_header() {
        let (sk, pk) = key();
        let header = proof(&sk).to_header_value();
        assert!(header.starts_with("v1.POST."));
        assert!(header.len() <= MAX_HEADER_LEN);
        assert!(
            !header.contains(TOKEN),
            "the token itself never travels in the proof"
        );
        let received = RequestProof::parse_header_value(&header).unwrap();
        let hash = session_binding(TOKEN);
        assert_eq!(verify(&received, &pk, &expected(&hash)), Ok(()));
        assert_eq!(received.nonce(), &[5u8; 16]);
    }

    #[test]
    fn a_sign_in_proof_has_no_session_and_cannot_pass_for_a_session_request() {
        let (sk, pk) = key();
        let sign_in = ProofClaims::new("POST", "/v1/sessions", BODY, None, NOW, [9u8; 16])
            .unwrap()
            .sign_with(&sk);
        let header = sign_in.to_header_value();
        assert!(header.contains(".-."), "{header}");
        let received = RequestProof::parse_header_value(&header).unwrap();
        assert_eq!(received.claims().session_hash(), None);
        let hash = session_binding(TOKEN);
        let mut want = expected(&hash);
        want.path = "/v1/sessions";
        assert_eq!(verify(&received, &pk, &want), Err(ProofError::WrongSession));
        want.session_hash = None;
        assert_eq!(verify(&received, &pk, &want), Ok(()));
        // And a proof made in a session is refused where no session is expected.
        let mut in_session = expected(&hash);
        in_session.session_hash = None;
        assert_eq!(
            verify(&proof(&sk), &pk, &in_session),
            Err(ProofError::WrongSession)
        );
    }

    #[test]
    fn each_mismatch_with_the_request_has_its_own_error() {
        let (sk, pk) = key();
        let p = proof(&sk);
        let hash = session_binding(TOKEN);
        let other_hash = session_binding("sess_other");
        let check = |e: ExpectedRequest<'_>, error: ProofError| {
            assert_eq!(verify(&p, &pk, &e), Err(error));
        };
        check(
            ExpectedRequest {
                method: "PUT",
                ..expected(&hash)
            },
            ProofError::WrongMethod,
        );
        check(
            ExpectedRequest {
                path: "/api/v1/registrations?draft=2",
                ..expected(&hash)
            },
            ProofError::WrongPath,
        );
        check(
            ExpectedRequest {
                body: b"{}",
                ..expected(&hash)
            },
            ProofError::WrongBody,
        );
        check(expected(&other_hash), ProofError::WrongSession);
        check(
            ExpectedRequest {
                now: NOW + 59,
                ..expected(&hash)
            },
            ProofError::Stale,
        );
        check(
            ExpectedRequest {
                now: NOW - 63,
                ..expected(&hash)
            },
            ProofError::FromTheFuture,
        );
        // The edges of the window are inside it.
        assert_eq!(
            verify(
                &p,
                &pk,
                &ExpectedRequest {
                    now: NOW + 58,
                    ..expected(&hash)
                }
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                &p,
                &pk,
                &ExpectedRequest {
                    now: NOW - 62,
                    ..expected(&hash)
                }
            ),
            Ok(())
        );
    }

    #[test]
    fn a_proof_from_another_key_or_with_a_changed_claim_fails_the_signature() {
        let (sk, _) = key();
        let (_, other) = key();
        let p = proof(&sk);
        let hash = session_binding(TOKEN);
        assert_eq!(
            verify(&p, &other, &expected(&hash)),
            Err(ProofError::Crypto(CryptoError::BadSignature))
        );
        // Swap the signed path for another while keeping the signature.
        let header = p.to_header_value();
        let forged = header.replacen(
            &crypto::base64url_encode(b"/api/v1/registrations?draft=1"),
            &crypto::base64url_encode(b"/api/v1/registrations?draft=2"),
            1,
        );
        let forged = RequestProof::parse_header_value(&forged).unwrap();
        let pk = PublicKey::from_verifying_key(sk.verifying_key());
        assert_eq!(
            verify(
                &forged,
                &pk,
                &ExpectedRequest {
                    path: "/api/v1/registrations?draft=2",
                    ..expected(&hash)
                }
            ),
            Err(ProofError::Crypto(CryptoError::BadSignature))
        );
    }

    #[test]
    fn a_signed_action_signature_is_not_a_request_proof_signature() {
        let (sk, pk) = key();
        let claims =
            ProofClaims::new("GET", "/", b"", Some(session_binding(TOKEN)), NOW, [0; 16]).unwrap();
        let bytes = claims.to_bytes();
        assert_eq!(&bytes[8..8 + DOMAIN.len()], DOMAIN.as_bytes());
        assert_ne!(DOMAIN, crate::signed_action::DOMAIN);
        let foreign = crypto::sign_with(&sk, b"some other signed message");
        let p = claims.with_signature(foreign);
        let hash = session_binding(TOKEN);
        let e = ExpectedRequest {
            method: "GET",
            path: "/",
            body: b"",
            ..expected(&hash)
        };
        assert_eq!(
            verify(&p, &pk, &e),
            Err(ProofError::Crypto(CryptoError::BadSignature))
        );
    }

    #[test]
    fn claims_reject_bad_methods_paths_and_times() {
        let h = session_binding(TOKEN);
        let new = |m: &str, p: &str, t: i64| ProofClaims::new(m, p, b"", Some(h), t, [0; 16]);
        assert!(new("GET", "/a?b=c%20d", 0).is_ok());
        for (m, p, t) in [
            ("get", "/", 0),
            ("", "/", 0),
            ("GETGETGETGETGETGE", "/", 0),
            ("G T", "/", 0),
            ("GET", "", 0),
            ("GET", "a/b", 0),
            ("GET", "/a b", 0),
            ("GET", "/a#frag", 0),
            ("GET", "/đ", 0),
            ("GET", "/", -1),
        ] {
            assert!(
                matches!(new(m, p, t), Err(ProofError::Malformed { .. })),
                "{m} {p} {t} was accepted"
            );
        }
        assert!(new("GET", &format!("/{}", "a".repeat(MAX_PATH_LEN)), 0).is_err());
        assert!(new("GET", &format!("/{}", "a".repeat(MAX_PATH_LEN - 1)), 0).is_ok());
    }

    #[test]
    fn malformed_headers_are_rejected_with_typed_errors() {
        let (sk, _) = key();
        let good = proof(&sk).to_header_value();
        let parts: Vec<&str> = good.split('.').collect();
        let with = |i: usize, v: &str| {
            let mut p = parts.clone();
            p[i] = v;
            p.join(".")
        };
        let parse = RequestProof::parse_header_value;
        assert_eq!(parse(&with(0, "v2")), Err(ProofError::UnsupportedVersion));
        assert!(matches!(
            parse(&with(1, "post")),
            Err(ProofError::Malformed { .. })
        ));
        let bad_path = crypto::base64url_encode(b"no-slash");
        assert!(matches!(
            parse(&with(2, &bad_path)),
            Err(ProofError::Malformed { .. })
        ));
        let invalid_utf8 = crypto::base64url_encode(&[b'/', 0xff]);
        assert!(matches!(
            parse(&with(2, &invalid_utf8)),
            Err(ProofError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&with(3, "AAAA")),
            Err(ProofError::Crypto(_))
        ));
        assert!(matches!(parse(&with(4, "!")), Err(ProofError::Crypto(_))));
        for t in [
            "-1",
            "01",
            "",
            "1e3",
            "99999999999999999999",
            "9223372036854775808",
        ] {
            assert!(
                matches!(parse(&with(5, t)), Err(ProofError::Malformed { .. })),
                "{t}"
            );
        }
        assert!(matches!(
            parse(&with(6, "AAAA")),
            Err(ProofError::Crypto(_))
        ));
        assert!(matches!(
            parse(&with(7, &"A".repeat(86))),
            Err(ProofError::Crypto(_))
        ));
        assert!(matches!(
            parse(&format!("{good}.x")),
            Err(ProofError::Malformed { .. })
        ));
        assert!(matches!(
            parse(&parts[..7].join(".")),
            Err(ProofError::Malformed { .. })
        ));
        assert!(matches!(parse(""), Err(ProofError::Malformed { .. })));
        let huge = "v".repeat(MAX_HEADER_LEN + 1);
        assert_eq!(
            parse(&huge),
            Err(ProofError::Malformed {
                detail_vi: "quá dài",
                detail_en: "too long"
            })
        );
    }

    #[test]
    fn the_longest_valid_proof_fits_the_header_limit() {
        let (sk, _) = key();
        let p = ProofClaims::new(
            "ABCDEFGHIJKLMNOP",
            &format!("/{}", "a".repeat(MAX_PATH_LEN - 1)),
            b"x",
            Some(session_binding(TOKEN)),
            i64::MAX,
            [0xff; 16],
        )
        .unwrap()
        .sign_with(&sk);
        let header = p.to_header_value();
        assert_eq!(header.len(), MAX_HEADER_LEN);
        assert_eq!(RequestProof::parse_header_value(&header).unwrap(), p);
    }

    #[test]
    fn errors_have_stable_codes_and_both_languages() {
        assert_eq!(ProofError::Stale.code(), "request_proof.stale");
        assert_eq!(
            ProofError::Crypto(CryptoError::HighS).code(),
            "signature.high_s"
        );
        assert_eq!(
            ProofError::WrongSession.message_vi(),
            "Bằng chứng được tạo cho một phiên khác."
        );
        assert_eq!(
            ProofError::Stale.to_string(),
            "The request proof is too old."
        );
    }

    proptest! {
        #[test]
        fn proofs_round_trip_through_the_header(
            method in "[A-Z]{1,16}",
            path in "/[!-~&&[^#]]{0,100}",
            body in proptest::collection::vec(any::<u8>(), 0..64),
            token in "[a-z0-9]{8,40}",
            time in 0i64..=i64::MAX,
            nonce in any::<[u8; 16]>(),
        ) {
            let (sk, pk) = key();
            let hash = session_binding(&token);
            let p = ProofClaims::new(&method, &path, &body, Some(hash), time, nonce).unwrap().sign_with(&sk);
            let back = RequestProof::parse_header_value(&p.to_header_value()).unwrap();
            prop_assert_eq!(&back, &p);
            let e = ExpectedRequest {
                method: &method, path: &path, body: &body, session_hash: Some(&hash), now: time, max_skew_secs: 0,
            };
            prop_assert_eq!(verify(&back, &pk, &e), Ok(()));
        }
    }
}
