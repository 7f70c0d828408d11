//! Identifiers and input policies: each type can only hold a valid value.
//!
//! Every type here is built with `parse(&str) -> Result<Self, IdError>`, shows itself with
//! `as_str()`/`Display`, and travels over serde as a plain string that is parsed again on the
//! way in, so a malformed value can never enter the server, the client or the UI.

mod agency;
mod citizen;
mod contact;
mod opaque;
mod org_eid;
mod province;
mod secret;
mod tax;

pub use agency::AgencyCode;
pub use citizen::{CitizenId, Gender};
pub(crate) use contact::MOBILE_PREFIXES;
pub use contact::{Email, PhoneNumber};
pub use opaque::{
    AccountId, AttachmentId, DelegationId, DeviceId, NotificationId, RegistrationId, SessionId,
};
pub use org_eid::OrgEid;
pub use province::{NewProvince, OldProvince};
pub use secret::{Passcode, Password};
pub use tax::{CooperativeCode, EnterpriseCode, TaxCode};

/// Longest input any identifier parser looks at; longer input is rejected before any work,
/// so a pasted megabyte cannot cost more than a glance.
pub(crate) const MAX_INPUT_LEN: usize = 320;

/// Implements `as_str`, `Display`, `FromStr`, `TryFrom<String>`, `AsRef<str>` and serde-as-string
/// for a newtype `struct $name(String)` that has an inherent `parse(&str) -> Result<Self, IdError>`.
macro_rules! string_id {
    ($name:ident) => {
        $crate::ids::string_id!(
            $name,
            concat!("`", stringify!($name), "`, as text; parsed on the way in."),
            |b| b
        );
    };
    ($name:ident, $description:expr, $refine:expr) => {
        impl $name {
            /// The canonical text form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(s)
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = $crate::error::IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(::serde::de::Error::custom)
            }
        }

        $crate::openapi::string_schema!($name, $description, $refine);
    };
}
pub(crate) use string_id;

/// Removes the separators people type inside numbers (spaces, dots, dashes) and checks that
/// what is left is ASCII digits. Returns the digits, or the problem.
pub(crate) fn digits_only(
    input: &str,
    kind: crate::error::IdKind,
) -> Result<String, crate::error::IdError> {
    use crate::error::{IdError, IdProblem};
    if input.len() > MAX_INPUT_LEN {
        return Err(IdError::new(
            kind,
            IdProblem::TooLong { max: MAX_INPUT_LEN },
        ));
    }
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(IdError::new(kind, IdProblem::Empty));
    }
    let mut out = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '.' | '-' => {}
            _ => return Err(IdError::new(kind, IdProblem::NotDigits)),
        }
    }
    if out.is_empty() {
        return Err(IdError::new(kind, IdProblem::NotDigits));
    }
    Ok(out)
}
