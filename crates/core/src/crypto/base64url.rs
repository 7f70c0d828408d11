//! The one text form of binary values (strict unpadded base64url), the one spelling of a
//! decimal number, and comparison in constant time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::error::{CryptoError, Material};

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
/// with `parse(&str) -> Result<Self, CryptoError>` and `as_bytes(&self) -> &[u8]`; its schema
/// has `$pattern` (from [`crate::patterns`]).
macro_rules! base64url_string {
    ($name:ident, $pattern:expr) => {
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
            concat!("`", stringify!($name), "`, base64url without padding."),
            |b| b.pattern(Some($pattern))
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
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
