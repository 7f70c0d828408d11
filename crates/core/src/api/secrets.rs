//! Secrets that cross the wire: they serialise (they must travel) but never print.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::Digest32;
use crate::error::{IdError, IdKind, IdProblem};

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// The secret's text. Do not log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(***)", stringify!($name))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

secret_string!(
    /// A password as typed at sign-in. Not policy-checked (old passwords predate the policy);
    /// new passwords are [`crate::ids::Password`].
    SecretText
);

crate::openapi::string_schema!(
    SecretText,
    "`SecretText`: a secret as typed (a password at sign-in), at most 256 bytes of UTF-8.",
    |b| b.max_length(Some(256))
);

impl SecretText {
    /// Wraps typed text; at most 256 bytes are accepted on the wire.
    pub fn new(text: impl Into<String>) -> Self {
        SecretText(Zeroizing::new(text.into()))
    }
}

impl<'de> Deserialize<'de> for SecretText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        if text.len() > 256 {
            return Err(serde::de::Error::custom("secret too long"));
        }
        Ok(SecretText(text))
    }
}

secret_string!(
    /// An opaque session token: 32 random bytes from the server, base64url (43 characters).
    /// The server stores only its SHA-256; every request also carries a proof signed by the
    /// key the session is bound to, so the token alone opens nothing.
    SessionToken
);

crate::openapi::string_schema!(
    SessionToken,
    "`SessionToken`: 43 base64url characters (32 random bytes).",
    |b| b.pattern(Some(crate::patterns::session_token()))
);

/// Length of a session token's text: 32 bytes in base64url without padding.
pub const SESSION_TOKEN_LEN: usize = 43;

impl SessionToken {
    /// Makes a token from 32 random bytes (the server passes them from its CSPRNG).
    pub fn from_random(bytes: &[u8; 32]) -> Self {
        SessionToken(Zeroizing::new(crate::crypto::base64url_encode(bytes)))
    }

    /// Parses a token received in a header or a body.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.len() != SESSION_TOKEN_LEN
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(IdError::new(
                IdKind::OpaqueId,
                IdProblem::BadFormat {
                    detail_vi: "mã phiên không hợp lệ",
                    detail_en: "invalid session token",
                },
            ));
        }
        Ok(SessionToken(Zeroizing::new(text.to_owned())))
    }

    /// The SHA-256 the server stores and the request proof binds to.
    pub fn hash(&self) -> Digest32 {
        crate::request_proof::session_binding(&self.0)
    }
}

impl<'de> Deserialize<'de> for SessionToken {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        SessionToken::parse(&text).map_err(serde::de::Error::custom)
    }
}

secret_string!(
    /// A 6-digit one-time code sent by SMS or e-mail (valid 5 minutes, 5 tries).
    OneTimeCode
);

crate::openapi::string_schema!(
    OneTimeCode,
    "`OneTimeCode`: the six digits of a code sent by SMS or e-mail (whitespace between them \
     is accepted on the way in).",
    |b| b.pattern(Some(crate::patterns::ONE_TIME_CODE))
);

impl OneTimeCode {
    /// Parses six digits (spaces between them are dropped).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let err = |p| IdError::new(IdKind::OpaqueId, p);
        if digits.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(IdProblem::NotDigits));
        }
        if digits.len() != 6 {
            return Err(err(IdProblem::WrongLength {
                expected: "6",
                found: digits.len(),
            }));
        }
        Ok(OneTimeCode(Zeroizing::new(digits)))
    }
}

impl<'de> Deserialize<'de> for OneTimeCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        OneTimeCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_travel_but_never_print() {
        let token = SessionToken::from_random(&[7u8; 32]);
        assert_eq!(token.expose().len(), SESSION_TOKEN_LEN);
        assert_eq!(format!("{token:?}"), "SessionToken(***)");
        let json = serde_json::to_string(&token).unwrap();
        assert_eq!(serde_json::from_str::<SessionToken>(&json).unwrap(), token);
        assert!(serde_json::from_str::<SessionToken>("\"short\"").is_err());
        assert_ne!(token.hash(), SessionToken::from_random(&[8u8; 32]).hash());

        let code = OneTimeCode::parse("123 456").unwrap();
        assert_eq!(code.expose(), "123456");
        assert_eq!(format!("{code:?}"), "OneTimeCode(***)");
        assert!(OneTimeCode::parse("12345").is_err());
        assert!(OneTimeCode::parse("12345a").is_err());

        let pw: SecretText = serde_json::from_str("\"anything goes\"").unwrap();
        assert_eq!(format!("{pw:?}"), "SecretText(***)");
        assert!(serde_json::from_str::<SecretText>(&format!("\"{}\"", "x".repeat(300))).is_err());
    }
}
