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
    /// Giấy đồng ý có chữ ký: a co-representative without an e-ID account consents on paper,
    /// signed at the counter and scanned by the officer (Cách 2). Only the officer console
    /// files one; it is not a field of the organisation form.
    ConsentPaper,
}

impl DocumentKind {
    /// Vietnamese name of the document.
    pub fn label_vi(self) -> &'static str {
        match self {
            DocumentKind::AuthorisationLetter => "Giấy ủy quyền",
            DocumentKind::FoundingDecision => "Quyết định thành lập",
            DocumentKind::ConsentPaper => "Giấy đồng ý có chữ ký của người đại diện",
        }
    }

    /// English name of the document.
    pub fn label_en(self) -> &'static str {
        match self {
            DocumentKind::AuthorisationLetter => "Authorisation letter",
            DocumentKind::FoundingDecision => "Founding decision",
            DocumentKind::ConsentPaper => "A representative's signed consent",
        }
    }

    /// The form field that holds the uploaded document (for a consent on paper, the
    /// representatives' list it belongs to).
    pub fn field(self) -> OrgField {
        match self {
            DocumentKind::AuthorisationLetter => OrgField::AuthorisationLetter,
            DocumentKind::FoundingDecision => OrgField::FoundingDecision,
            DocumentKind::ConsentPaper => OrgField::Representatives,
        }
    }

    /// Whether a person may upload it from the app (`POST /v1/attachments`): a consent on
    /// paper is scanned by an officer at the counter only.
    pub fn uploaded_from_the_app(self) -> bool {
        !matches!(self, DocumentKind::ConsentPaper)
    }
}
