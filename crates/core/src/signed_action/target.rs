//! The object a signed action is about, as `type:id`.

use crate::error::{IdError, IdKind, IdProblem};

/// The object an action is about, as `type:id`, e.g. `registration:REQ123`,
/// `delegation:dlg_7`, `qr_login:<rendezvous id>`, `account:acc_1` for actions on the account
/// itself.
///
/// `type` is 1–32 characters of `[a-z_]` starting with a letter; `id` is 1–64 characters of
/// `[A-Za-z0-9_-]` (the alphabet of server-issued ids and of base64url).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionTarget(String);

impl ActionTarget {
    /// Longest target accepted: 32 + 1 + 64 characters.
    pub const MAX_LEN: usize = 97;

    /// Parses `type:id`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let err = |p| IdError::new(IdKind::ActionTarget, p);
        if input.len() > Self::MAX_LEN {
            return Err(err(IdProblem::TooLong { max: Self::MAX_LEN }));
        }
        if input.is_empty() {
            return Err(err(IdProblem::Empty));
        }
        let Some((kind, id)) = input.split_once(':') else {
            return Err(err(IdProblem::BadFormat {
                detail_vi: "phải có dạng loại:mã",
                detail_en: "must look like type:id",
            }));
        };
        let kind_ok = (1..=32).contains(&kind.len())
            && kind.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let id_ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !(kind_ok && id_ok) {
            return Err(err(IdProblem::ForbiddenCharacter));
        }
        Ok(ActionTarget(input.to_owned()))
    }

    /// Builds a target from its two halves.
    pub fn new(kind: &str, id: &str) -> Result<Self, IdError> {
        // Refuse a ':' in the kind here, where `parse` alone would read it as the separator.
        if kind.contains(':') {
            return Err(IdError::new(
                IdKind::ActionTarget,
                IdProblem::ForbiddenCharacter,
            ));
        }
        Self::parse(&format!("{kind}:{id}"))
    }

    /// The type half, e.g. `registration`.
    pub fn kind(&self) -> &str {
        self.0.split_once(':').map_or("", |(k, _)| k)
    }

    /// The id half, e.g. `REQ123`.
    pub fn id(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, i)| i)
    }
}

crate::ids::string_id!(ActionTarget);
