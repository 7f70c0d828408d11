//! Wire forms of key material, shared by the device, the server and the UI.
//!
//! Every value here travels as unpadded base64url (RFC 4648 §5) and is parsed strictly: one
//! byte string has exactly one text form, so two parties can never disagree about whether two
//! encodings are "the same" key, signature or digest.
//!
//! * [`PublicKey`] — a P-256 public key as its 33-byte SEC1 *compressed* point.
//! * [`KeyId`] — the first 16 bytes of SHA-256 over that compressed point.
//! * [`Signature`] — ECDSA P-256/SHA-256 as fixed 64-byte `r || s`, always *low-S*.
//! * [`Digest32`] — a SHA-256 digest.
//!
//! # Signature malleability
//!
//! ECDSA signatures are malleable: if `(r, s)` is valid then so is `(r, n - s)`. `p256` 0.13
//! (through `ecdsa` 0.16) neither normalises `s` when it signs nor rejects a high `s` when it
//! verifies (`ecdsa::hazmat::verify_prehashed` checks only the equation). This module closes
//! that gap at both ends:
//!
//! * producing: [`sign_with`] and [`Signature::from_p256`] normalise to low-S, so anything the
//!   device creates — with a software key or a platform key whose output it converts — is
//!   canonical;
//! * consuming: [`Signature::parse`] and [`Signature::from_bytes`] *reject* a high `s`
//!   ([`CryptoError::HighS`]) instead of normalising it, so a [`Signature`] value can only hold
//!   the one canonical form and a server that stores or compares signatures sees one spelling
//!   per signature. [`verify`] checks again, so the property holds even for a future
//!   constructor that forgets.
//!
//! # Signing
//!
//! Signing is the device's job. [`sign_with`] is offered because RFC 6979 deterministic
//! signing needs no randomness, so it stays within this crate's sans-IO rules; keys held by a
//! platform keystore sign outside this crate and come back through [`Signature::from_p256`].

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use sha2::{Digest as _, Sha256};

/// Which piece of key material an error is about; used in codes and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Material {
    /// A P-256 public key.
    PublicKey,
    /// A key identifier.
    KeyId,
    /// An ECDSA signature.
    Signature,
    /// A SHA-256 digest.
    Digest,
    /// A server-issued challenge for a signed action.
    Challenge,
    /// The random nonce of a request proof.
    Nonce,
    /// The rendezvous identifier of a QR login.
    RendezvousId,
    /// The path of a request, inside a request proof.
    RequestPath,
}

impl Material {
    /// Stable machine name, the first half of a [`CryptoError::code`].
    pub fn code(self) -> &'static str {
        match self {
            Material::PublicKey => "public_key",
            Material::KeyId => "key_id",
            Material::Signature => "signature",
            Material::Digest => "digest",
            Material::Challenge => "challenge",
            Material::Nonce => "nonce",
            Material::RendezvousId => "rendezvous_id",
            Material::RequestPath => "request_path",
        }
    }

    /// Vietnamese name, starting a sentence.
    pub fn label_vi(self) -> &'static str {
        match self {
            Material::PublicKey => "Khoá công khai",
            Material::KeyId => "Mã khoá",
            Material::Signature => "Chữ ký",
            Material::Digest => "Mã băm",
            Material::Challenge => "Mã thách thức",
            Material::Nonce => "Số dùng một lần",
            Material::RendezvousId => "Mã phiên đăng nhập QR",
            Material::RequestPath => "Đường dẫn yêu cầu",
        }
    }

    /// English name, starting a sentence.
    pub fn label_en(self) -> &'static str {
        match self {
            Material::PublicKey => "Public key",
            Material::KeyId => "Key identifier",
            Material::Signature => "Signature",
            Material::Digest => "Digest",
            Material::Challenge => "Challenge",
            Material::Nonce => "Nonce",
            Material::RendezvousId => "QR login session identifier",
            Material::RequestPath => "Request path",
        }
    }
}

/// Why key material was rejected, or why a signature does not verify.
///
/// Messages never repeat the rejected input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub enum CryptoError {
    /// The text is longer than any valid encoding; rejected before decoding.
    TooLong {
        /// Which value.
        what: Material,
        /// Longest accepted text, in characters.
        max: usize,
    },
    /// Not unpadded, canonical base64url.
    NotBase64Url {
        /// Which value.
        what: Material,
    },
    /// Decoded to the wrong number of bytes.
    WrongLength {
        /// Which value.
        what: Material,
        /// Fewest bytes accepted.
        min: usize,
        /// Most bytes accepted.
        max: usize,
        /// Bytes found.
        found: usize,
    },
    /// Not a compressed point on P-256, or the point at infinity.
    NotOnCurve,
    /// `r` or `s` is zero or not below the group order.
    SignatureOutOfRange,
    /// `s` is in the upper half of the group order: the malleable twin of a canonical signature.
    HighS,
    /// The signature does not verify for this key and message.
    BadSignature,
}

impl CryptoError {
    /// Stable machine code, e.g. `signature.high_s`.
    pub fn code(&self) -> String {
        match self {
            CryptoError::TooLong { what, .. } => format!("{}.too_long", what.code()),
            CryptoError::NotBase64Url { what } => format!("{}.not_base64url", what.code()),
            CryptoError::WrongLength { what, .. } => format!("{}.wrong_length", what.code()),
            CryptoError::NotOnCurve => "public_key.not_on_curve".into(),
            CryptoError::SignatureOutOfRange => "signature.out_of_range".into(),
            CryptoError::HighS => "signature.high_s".into(),
            CryptoError::BadSignature => "signature.invalid".into(),
        }
    }

    /// Full sentence in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            CryptoError::TooLong { what, max } => {
                format!("{} quá dài (tối đa {max} ký tự).", what.label_vi())
            }
            CryptoError::NotBase64Url { what } => {
                format!("{} không đúng định dạng base64url.", what.label_vi())
            }
            CryptoError::WrongLength {
                what,
                min,
                max,
                found,
            } => {
                format!(
                    "{} phải dài {} byte, nhận được {found}.",
                    what.label_vi(),
                    range(*min, *max)
                )
            }
            CryptoError::NotOnCurve => {
                "Khoá công khai không hợp lệ (không phải điểm nén trên đường cong P-256).".into()
            }
            CryptoError::SignatureOutOfRange => "Chữ ký không hợp lệ (giá trị ngoài miền).".into(),
            CryptoError::HighS => "Chữ ký không ở dạng chuẩn (S cao).".into(),
            CryptoError::BadSignature => "Chữ ký không khớp với khoá và nội dung.".into(),
        }
    }

    /// Full sentence in English.
    pub fn message_en(&self) -> String {
        match self {
            CryptoError::TooLong { what, max } => {
                format!(
                    "{} is too long (at most {max} characters).",
                    what.label_en()
                )
            }
            CryptoError::NotBase64Url { what } => {
                format!("{} is not valid base64url.", what.label_en())
            }
            CryptoError::WrongLength {
                what,
                min,
                max,
                found,
            } => format!(
                "{} must be {} bytes long, {found} given.",
                what.label_en(),
                range(*min, *max)
            ),
            CryptoError::NotOnCurve => {
                "Public key is invalid (not a compressed point on P-256).".into()
            }
            CryptoError::SignatureOutOfRange => "Signature is invalid (value out of range).".into(),
            CryptoError::HighS => "Signature is not in canonical form (high S).".into(),
            CryptoError::BadSignature => "Signature does not match the key and message.".into(),
        }
    }
}

fn range(min: usize, max: usize) -> String {
    if min == max {
        min.to_string()
    } else {
        format!("{min}–{max}")
    }
}

// ---------------------------------------------------------------------------------------------
// base64url
// ---------------------------------------------------------------------------------------------

/// Encodes bytes as unpadded base64url, the only text form of binary values in Định Danh.
pub fn base64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Number of characters of the unpadded base64url encoding of `n` bytes.
pub const fn base64url_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Decodes unpadded base64url of `min..=max` bytes, strictly.
///
/// Rejects, before decoding, text longer than the encoding of `max` bytes; then rejects
/// padding, the standard alphabet (`+`, `/`), whitespace, and non-canonical encodings whose
/// unused trailing bits are not zero. So every accepted byte string has exactly one text form.
pub fn base64url_decode(
    text: &str,
    what: Material,
    min: usize,
    max: usize,
) -> Result<Vec<u8>, CryptoError> {
    let max_chars = base64url_len(max);
    if text.len() > max_chars {
        return Err(CryptoError::TooLong {
            what,
            max: max_chars,
        });
    }
    // The engine already rejects padding and non-zero trailing bits; comparing against a
    // fresh encoding keeps the "one text form" promise independent of engine defaults.
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| CryptoError::NotBase64Url { what })?;
    if URL_SAFE_NO_PAD.encode(&bytes) != text {
        return Err(CryptoError::NotBase64Url { what });
    }
    if bytes.len() < min || bytes.len() > max {
        return Err(CryptoError::WrongLength {
            what,
            min,
            max,
            found: bytes.len(),
        });
    }
    Ok(bytes)
}

/// Decodes unpadded base64url of exactly `N` bytes, strictly (see [`base64url_decode`]).
pub fn base64url_decode_array<const N: usize>(
    text: &str,
    what: Material,
) -> Result<[u8; N], CryptoError> {
    let bytes = base64url_decode(text, what, N, N)?;
    let found = bytes.len();
    <[u8; N]>::try_from(bytes).map_err(|_| CryptoError::WrongLength {
        what,
        min: N,
        max: N,
        found,
    })
}

/// Implements `Display` (base64url), `FromStr`, `TryFrom<&str>` and serde-as-string for a type
/// with `parse(&str) -> Result<Self, CryptoError>` and `as_bytes(&self) -> &[u8]`.
macro_rules! base64url_string {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::crypto::base64url_encode(self.as_bytes()))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::crypto::CryptoError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl ::std::convert::TryFrom<&str> for $name {
            type Error = $crate::crypto::CryptoError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $name::parse(s)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&$crate::crypto::base64url_encode(self.as_bytes()))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(::serde::de::Error::custom)
            }
        }

        $crate::openapi::string_schema!(
            $name,
            concat!("`", stringify!($name), "`, base64url without padding.")
        );
    };
}
pub(crate) use base64url_string;

/// Parses 1..=`max_digits` ASCII digits without a leading zero (except `0` itself): the one
/// spelling of a non-negative integer in Định Danh's text formats.
pub(crate) fn parse_decimal(text: &str, max_digits: usize) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.len() <= max_digits
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

/// Compares two byte strings in time that depends only on their lengths, so comparing a
/// received digest with an expected one leaks nothing about where they first differ.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// ---------------------------------------------------------------------------------------------
// Digest32
// ---------------------------------------------------------------------------------------------

/// A SHA-256 digest (32 bytes), base64url on the wire.
///
/// Equality is constant-time.
#[derive(Clone, Copy)]
pub struct Digest32([u8; 32]);

/// Another name for [`Digest32`], for readers who look for the algorithm.
pub type Sha256Hash = Digest32;

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Digest32 {
    Digest32(Sha256::digest(bytes).into())
}

impl Digest32 {
    /// Wraps 32 bytes that are already a SHA-256 digest.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Digest32(bytes)
    }

    /// Parses the base64url form (exactly 43 characters).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        base64url_decode_array(text, Material::Digest).map(Digest32)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for Digest32 {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for Digest32 {}

impl std::hash::Hash for Digest32 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({self})")
    }
}

base64url_string!(Digest32);

// ---------------------------------------------------------------------------------------------
// PublicKey and KeyId
// ---------------------------------------------------------------------------------------------

/// Length of a SEC1 compressed P-256 point.
pub const PUBLIC_KEY_LEN: usize = 33;

/// A P-256 public key: base64url of its 33-byte SEC1 compressed point on the wire.
///
/// Only a compressed point that lies on the curve and is not the identity can be held, so a
/// key that parsed is a key that can verify.
#[derive(Clone)]
pub struct PublicKey {
    compressed: [u8; PUBLIC_KEY_LEN],
    key: p256::ecdsa::VerifyingKey,
}

impl PublicKey {
    /// Parses the base64url form (exactly 44 characters).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        Self::from_sec1_compressed(&base64url_decode_array(text, Material::PublicKey)?)
    }

    /// Builds a key from its 33-byte SEC1 compressed point.
    ///
    /// Rejects uncompressed or hybrid encodings, x coordinates not below the field prime,
    /// points not on the curve, and the identity.
    pub fn from_sec1_compressed(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, CryptoError> {
        // 0x02/0x03 are the only compressed tags; checking here keeps the 33-byte
        // uncompressed-looking inputs out whatever the library accepts.
        if !matches!(bytes.first(), Some(0x02 | 0x03)) {
            return Err(CryptoError::NotOnCurve);
        }
        let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
            .map_err(|_| CryptoError::NotOnCurve)?;
        let out = Self::from_verifying_key(&key);
        // A non-reduced x coordinate would decode to the same point with a different text form.
        if &out.compressed != bytes {
            return Err(CryptoError::NotOnCurve);
        }
        Ok(out)
    }

    /// Wraps a verifying key (for example the public half of a device's signing key).
    pub fn from_verifying_key(key: &p256::ecdsa::VerifyingKey) -> Self {
        let point = key.to_encoded_point(true);
        let mut compressed = [0u8; PUBLIC_KEY_LEN];
        // A compressed P-256 point is always 33 bytes; copy defensively without indexing.
        for (dst, src) in compressed.iter_mut().zip(point.as_bytes()) {
            *dst = *src;
        }
        PublicKey {
            compressed,
            key: *key,
        }
    }

    /// The verifying key, for use with `p256` directly.
    pub fn verifying_key(&self) -> &p256::ecdsa::VerifyingKey {
        &self.key
    }

    /// The verifying key, by value.
    pub fn to_verifying_key(&self) -> p256::ecdsa::VerifyingKey {
        self.key
    }

    /// The 33-byte SEC1 compressed point.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.compressed
    }

    /// The identifier of this key.
    pub fn key_id(&self) -> KeyId {
        KeyId::of_compressed(&self.compressed)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.compressed == other.compressed
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.compressed.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

base64url_string!(PublicKey);

/// Length of a [`KeyId`] in bytes.
pub const KEY_ID_LEN: usize = 16;

/// Identifier of a public key: the first 16 bytes of SHA-256 over its compressed SEC1 point,
/// base64url on the wire (22 characters).
///
/// 128 bits make accidental collisions impossible in practice; a key id only *names* a key —
/// whoever holds one must still verify against the full [`PublicKey`] it looked up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    fn of_compressed(compressed: &[u8; PUBLIC_KEY_LEN]) -> Self {
        let digest = sha256(compressed);
        let mut id = [0u8; KEY_ID_LEN];
        for (dst, src) in id.iter_mut().zip(digest.as_bytes()) {
            *dst = *src;
        }
        KeyId(id)
    }

    /// Parses the base64url form (exactly 22 characters).
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        base64url_decode_array(text, Material::KeyId).map(KeyId)
    }

    /// The 16 identifier bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

base64url_string!(KeyId);

// ---------------------------------------------------------------------------------------------
// Signature
// ---------------------------------------------------------------------------------------------

/// Length of a [`Signature`] in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// An ECDSA P-256/SHA-256 signature: fixed 64-byte `r || s`, base64url on the wire
/// (86 characters).
///
/// Holds only canonical signatures: `r` and `s` in `1..n` and `s <= n/2` (low-S). See the
/// module documentation for why high-S is rejected rather than normalised on input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    bytes: [u8; SIGNATURE_LEN],
    sig: p256::ecdsa::Signature,
}

impl Signature {
    /// Parses the base64url form, rejecting out-of-range and high-S values.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        Self::from_bytes(&base64url_decode_array(text, Material::Signature)?)
    }

    /// Builds a signature from 64 bytes `r || s`, rejecting out-of-range and high-S values.
    pub fn from_bytes(bytes: &[u8; SIGNATURE_LEN]) -> Result<Self, CryptoError> {
        let sig = p256::ecdsa::Signature::from_slice(bytes)
            .map_err(|_| CryptoError::SignatureOutOfRange)?;
        if sig.normalize_s().is_some() {
            return Err(CryptoError::HighS);
        }
        Ok(Signature { bytes: *bytes, sig })
    }

    /// Converts a signature made by `p256` or a platform keystore, normalising it to low-S.
    ///
    /// This is the producing side: a device may hand over either twin of a signature and the
    /// result is the canonical one.
    pub fn from_p256(sig: p256::ecdsa::Signature) -> Self {
        let sig = sig.normalize_s().unwrap_or(sig);
        let mut bytes = [0u8; SIGNATURE_LEN];
        for (dst, src) in bytes.iter_mut().zip(sig.to_bytes().iter()) {
            *dst = *src;
        }
        Signature { bytes, sig }
    }

    /// The 64 bytes `r || s`.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.bytes
    }

    /// The signature as a `p256` value.
    pub fn to_p256(&self) -> p256::ecdsa::Signature {
        self.sig
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

base64url_string!(Signature);

/// Signs `message` (ECDSA P-256 over SHA-256, RFC 6979 deterministic nonce), returning the
/// canonical low-S signature.
///
/// Needs no randomness, so it is allowed in this sans-IO crate; the device client uses it for
/// software-held keys.
pub fn sign_with(signing_key: &p256::ecdsa::SigningKey, message: &[u8]) -> Signature {
    let sig: p256::ecdsa::Signature = signing_key.sign(message);
    Signature::from_p256(sig)
}

/// Verifies an ECDSA P-256/SHA-256 signature over `message`.
///
/// Rejects high-S signatures even though `p256` alone would accept them.
pub fn verify(
    public_key: &PublicKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), CryptoError> {
    if signature.sig.normalize_s().is_some() {
        return Err(CryptoError::HighS);
    }
    public_key
        .key
        .verify(message, &signature.sig)
        .map_err(|_| CryptoError::BadSignature)
}

// ---------------------------------------------------------------------------------------------
// Canonical encoding, shared by signed actions and request proofs
// ---------------------------------------------------------------------------------------------

/// Builds the canonical, injective byte strings that get signed.
///
/// Each variable-length field is written as a big-endian `u64` length followed by its bytes;
/// integers are fixed-width big-endian; optional fields get an explicit presence byte. Given
/// a fixed field order (each format's own), two different sequences of fields can never
/// produce the same bytes.
pub(crate) struct CanonicalWriter {
    out: Vec<u8>,
}

impl CanonicalWriter {
    /// Starts a message with a length-prefixed domain-separation tag, so a signature made for
    /// one format can never be read as valid for another.
    pub(crate) fn new(domain: &str) -> Self {
        let mut w = CanonicalWriter {
            out: Vec::with_capacity(256),
        };
        w.bytes(domain.as_bytes());
        w
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        // usize never exceeds 64 bits on any target Rust supports.
        self.out
            .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.out.extend_from_slice(bytes);
    }

    /// A length-prefixed byte string, or an explicit absence.
    pub(crate) fn optional(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            None => self.out.push(0),
            Some(b) => {
                self.out.push(1);
                self.bytes(b);
            }
        }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.out.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.out
    }
}

#[cfg(test)]
mod tests;
