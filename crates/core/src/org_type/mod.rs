//! The four organisation types of the registration guidance and the organisation's details.
//!
//! Decree 69/2024/NĐ-CP and the VNeID "Định danh tổ chức" guidance sort organisations into four
//! types by which register already knows them: (1) enterprises (business registry),
//! (2) cooperatives (cooperative registry), (3) agencies and organisations that have a tax code
//! but no business registration (tax registry), (4) organisations with none of these, which an
//! officer verifies by hand. The type decides which form fields are asked, which codes must or
//! must not be present, and which documents are attached.
//!
//! Parse, don't validate: the UI holds an [`OrganisationForm`] of plain strings while the person
//! types; [`OrganisationForm::validate`] turns it into [`OrganisationDetails`] (typed, every
//! identifier parsed) or returns *every* [`FieldError`] at once, so each is shown under its field.
//! The same function runs in the UI, the app and the server, so they agree on what is valid.

mod details;
mod document;
mod error;
mod field;
mod form;
mod registry;
mod types;
mod validation;

pub use crate::text::{AddressLine, Name, TextProblem};
pub use details::{HeadOffice, LegalRepresentative, OrganisationDetails};
pub use document::DocumentKind;
pub use error::FieldError;
pub use field::OrgField;
pub use form::{OrganisationForm, RepresentativeForm};
pub use registry::RegistryKind;
pub use types::OrgType;
pub use validation::MAX_REPRESENTATIVES;

#[cfg(test)]
mod tests;
