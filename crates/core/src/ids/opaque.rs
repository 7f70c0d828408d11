//! Server-issued opaque identifiers (accounts, devices, requests ...).
//!
//! They carry no personal data (never a CCCD number), so they can appear in URLs and logs.
//! Their shape is checked so that nothing else travels in their place: 1 to 64 characters of
//! the URL-safe alphabet `[A-Za-z0-9_-]`.

use crate::error::{IdError, IdKind, IdProblem};

const MAX_OPAQUE_LEN: usize = 64;

fn parse_opaque(input: &str) -> Result<String, IdError> {
    let err = |p| IdError::new(IdKind::OpaqueId, p);
    if input.is_empty() {
        return Err(err(IdProblem::Empty));
    }
    if input.len() > MAX_OPAQUE_LEN {
        return Err(err(IdProblem::TooLong {
            max: MAX_OPAQUE_LEN,
        }));
    }
    if !input
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(err(IdProblem::ForbiddenCharacter));
    }
    Ok(input.to_owned())
}

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses a server-issued identifier (1–64 characters of `[A-Za-z0-9_-]`).
            pub fn parse(input: &str) -> Result<Self, IdError> {
                parse_opaque(input).map($name)
            }
        }

        super::string_id!(
            $name,
            concat!("`", stringify!($name), "`: 1 to 64 letters, digits, `_` or `-`."),
            |b| b.pattern(Some(crate::patterns::OPAQUE_ID))
        );
    };
}

opaque_id!(
    /// A personal or organisation account on the server.
    AccountId
);
opaque_id!(
    /// A device bound to an account.
    DeviceId
);
opaque_id!(
    /// An organisation registration request.
    RegistrationId
);
opaque_id!(
    /// A delegation (a person authorised to act for an organisation).
    DelegationId
);
opaque_id!(
    /// A notification in the in-app inbox.
    NotificationId
);
opaque_id!(
    /// A session, as shown to its owner in the list of sessions (never the token).
    SessionId
);
opaque_id!(
    /// A stored attachment (authorisation letter, founding decision).
    AttachmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_ids_accept_url_safe_text_only() {
        assert!(AccountId::parse("acc_9fQ-x").is_ok());
        assert_eq!(AccountId::parse("").unwrap_err().problem, IdProblem::Empty);
        assert_eq!(
            AccountId::parse("a/b").unwrap_err().problem,
            IdProblem::ForbiddenCharacter
        );
        assert!(AccountId::parse(&"a".repeat(65)).is_err());
        let id: DeviceId = serde_json::from_str("\"dev_1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"dev_1\"");
        assert!(serde_json::from_str::<DeviceId>("\"no spaces\"").is_err());
    }
}
