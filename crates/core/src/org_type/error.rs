//! [`FieldError`]: one problem with one form field, ready to show under it. The same value comes
//! out of validation in the UI and on the server, and crosses the API as a `validation_failed`
//! detail (`api::registrations`).

use serde::{Deserialize, Serialize};

use crate::error::IdError;
use crate::org_type::field::OrgField;
use crate::text::TextProblem;

/// One problem with one field, ready to show under it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field.
    pub field: OrgField,
    /// For representative fields: the row (0-based) in `representatives`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Stable machine code, `<field or id kind>.<problem>`, e.g. `tax_code.bad_check_digit`.
    pub code: String,
    /// Full sentence in Vietnamese.
    pub message_vi: String,
    /// Full sentence in English.
    pub message_en: String,
}

impl FieldError {
    /// An error about `field` with a code suffix and both messages.
    pub fn new(
        field: OrgField,
        index: Option<usize>,
        problem: &str,
        message_vi: impl Into<String>,
        message_en: impl Into<String>,
    ) -> Self {
        FieldError {
            field,
            index,
            code: format!("{}.{}", field.code(), problem),
            message_vi: message_vi.into(),
            message_en: message_en.into(),
        }
    }

    /// An identifier in `field` failed to parse: keeps the identifier's own code and messages.
    pub fn from_id(field: OrgField, index: Option<usize>, error: &IdError) -> Self {
        FieldError {
            field,
            index,
            code: error.code(),
            message_vi: error.message_vi(),
            message_en: error.message_en(),
        }
    }

    /// A required field left empty.
    pub fn required(field: OrgField, index: Option<usize>) -> Self {
        Self::from_text(field, index, TextProblem::Empty)
    }

    /// Free text in `field` is wrong.
    pub fn from_text(field: OrgField, index: Option<usize>, problem: TextProblem) -> Self {
        FieldError::new(
            field,
            index,
            problem.code(),
            format!("{} {}.", field.label_vi(), problem.message_vi()),
            format!("{} {}.", field.label_en(), problem.message_en()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_travel_as_json_with_their_row_index() {
        let e = FieldError::required(OrgField::RepresentativeName, Some(1));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["field"], "representative_name");
        assert_eq!(json["index"], 1);
        assert_eq!(json["code"], "representative_name.required");
        let no_index = serde_json::to_value(FieldError::required(OrgField::NameVi, None)).unwrap();
        assert!(no_index.get("index").is_none());
    }
}
