//! What an error about key material names, and the errors themselves, in both languages.

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
