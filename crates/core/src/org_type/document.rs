//! [`DocumentKind`]: the documents a registration request may carry, and the form field that
//! holds each.

use serde::{Deserialize, Serialize};

use crate::org_type::field::OrgField;

/// A document attached to a registration request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Giấy ủy quyền: the legal representative's authorisation, needed when the requester is an
    /// authorised person rather than a legal representative (Decree 69/2024, Art. 12).
    AuthorisationLetter,
    /// Quyết định thành lập: the founding decision, the only evidence an officer has for an
    /// organisation that no register knows (type 4).
    FoundingDecision,
}

impl DocumentKind {
    /// Vietnamese name of the document.
    pub fn label_vi(self) -> &'static str {
        match self {
            DocumentKind::AuthorisationLetter => "Giấy ủy quyền",
            DocumentKind::FoundingDecision => "Quyết định thành lập",
        }
    }

    /// English name of the document.
    pub fn label_en(self) -> &'static str {
        match self {
            DocumentKind::AuthorisationLetter => "Authorisation letter",
            DocumentKind::FoundingDecision => "Founding decision",
        }
    }

    /// The form field that holds the uploaded document.
    pub fn field(self) -> OrgField {
        match self {
            DocumentKind::AuthorisationLetter => OrgField::AuthorisationLetter,
            DocumentKind::FoundingDecision => OrgField::FoundingDecision,
        }
    }
}
