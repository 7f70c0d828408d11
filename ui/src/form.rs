//! The registration form as the wizard holds it: what was typed (never cleared on an error),
//! which fields to show for a type, errors keyed the way the element ids and the server name
//! them, and the draft saved so nothing is lost when the app goes to the background.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use dinhdanh_core::api::ApiError;
use dinhdanh_core::org_type::{
    DocumentKind, FieldError, OrgField, OrgType, OrganisationDetails, OrganisationForm,
    RepresentativeForm,
};
use serde::{Deserialize, Serialize};

/// The draft key under which the wizard's form is saved (`save_draft` / `load_draft`).
pub const DRAFT_KEY: &str = "registration";

/// What the wizard keeps while the person types: the type chosen and the form. Saved as the
/// draft on every change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WizardDraft {
    /// The type chosen, once chosen.
    pub org_type: Option<OrgType>,
    /// Everything typed, as text.
    pub form: OrganisationForm,
}

impl WizardDraft {
    /// The draft as saved.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a saved draft; a draft that does not read (an older app's) is ignored.
    pub fn from_json(json: &str) -> Option<WizardDraft> {
        serde_json::from_str(json).ok()
    }

    /// Whether nothing was typed or chosen.
    pub fn is_empty(&self) -> bool {
        self.org_type.is_none() && self.form == OrganisationForm::default()
    }

    /// The form with at least one representative row, so the first row is always on screen.
    pub fn ensure_representative_row(&mut self) {
        if self.form.representatives.is_empty() {
            self.form
                .representatives
                .push(RepresentativeForm::default());
        }
    }
}

/// The single-value fields the form shows for a type, in the order of the guidance
/// (representatives and documents have their own sections).
pub fn single_fields(org_type: OrgType) -> Vec<OrgField> {
    OrgField::ALL
        .into_iter()
        .filter(|f| {
            !matches!(
                f,
                OrgField::Representatives
                    | OrgField::RepresentativeName
                    | OrgField::RepresentativeCitizenId
                    | OrgField::AuthorisationLetter
                    | OrgField::FoundingDecision
            )
        })
        .filter(|f| org_type.asks_for(*f))
        .collect()
}

/// The documents the form offers for a type, and whether each is required for everyone.
/// The authorisation letter is offered to all (required only when the requester is not a
/// legal representative, which the server decides).
pub fn documents(org_type: OrgType) -> Vec<(DocumentKind, bool)> {
    [
        DocumentKind::FoundingDecision,
        DocumentKind::AuthorisationLetter,
    ]
    .into_iter()
    .filter(|d| org_type.asks_for(d.field()))
    .map(|d| (d, org_type.required_fields().contains(&d.field())))
    .collect()
}

/// Whether a field is required for a type (a star next to its label).
pub fn is_required(org_type: OrgType, field: OrgField) -> bool {
    org_type.required_fields().contains(&field)
}

/// Reads or writes one single-value field of the form.
pub fn field_mut(form: &mut OrganisationForm, field: OrgField) -> Option<&mut String> {
    Some(match field {
        OrgField::NameVi => &mut form.name_vi,
        OrgField::AbbreviatedName => &mut form.abbreviated_name,
        OrgField::ForeignName => &mut form.foreign_name,
        OrgField::EstablishedOn => &mut form.established_on,
        OrgField::HeadOfficeAddress => &mut form.head_office_address,
        OrgField::HeadOfficeProvince => &mut form.head_office_province,
        OrgField::TaxCode => &mut form.tax_code,
        OrgField::EnterpriseCode => &mut form.enterprise_code,
        OrgField::CooperativeCode => &mut form.cooperative_code,
        OrgField::AgencyCode => &mut form.agency_code,
        OrgField::ContactPhone => &mut form.contact_phone,
        OrgField::ContactEmail => &mut form.contact_email,
        OrgField::AuthorisationLetter => &mut form.authorisation_letter,
        OrgField::FoundingDecision => &mut form.founding_decision,
        OrgField::Representatives
        | OrgField::RepresentativeName
        | OrgField::RepresentativeCitizenId => return None,
    })
}

/// The key of a field's error: the field's code, with `[row]` for a representative's field
/// (the shape of `ApiError::field`).
pub fn error_key(field: OrgField, index: Option<usize>) -> String {
    match index {
        Some(i) => format!("{}[{i}]", field.code()),
        None => field.code().to_owned(),
    }
}

/// The element id for a key: `prefix-code` or `prefix-code-row`.
pub fn element_id(prefix: &str, key: &str) -> String {
    match key.split_once('[') {
        Some((code, rest)) => format!("{prefix}-{code}-{}", rest.trim_end_matches(']')),
        None => format!("{prefix}-{key}"),
    }
}

/// One error under a field, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMessage {
    /// Vietnamese.
    pub vi: String,
    /// English.
    pub en: String,
}

/// Errors by key (see [`error_key`]).
pub type FieldErrors = BTreeMap<String, FieldMessage>;

/// The core crate's validation errors by key (the first error of a field wins).
pub fn from_field_errors(errors: &[FieldError]) -> FieldErrors {
    let mut map = FieldErrors::new();
    for e in errors {
        map.entry(error_key(e.field, e.index))
            .or_insert_with(|| FieldMessage {
                vi: e.message_vi.clone(),
                en: e.message_en.clone(),
            });
    }
    map
}

/// A server error's field errors by key: its `details`, and the error itself when it names a
/// field. Field names may come as `details.tax_code` (the request body's path) or `tax_code`.
pub fn from_api_error(error: &ApiError) -> FieldErrors {
    let mut map = FieldErrors::new();
    for e in error.details.iter().chain(std::iter::once(error)) {
        if let Some(field) = e.field.as_deref() {
            let key = field.strip_prefix("details.").unwrap_or(field).to_owned();
            map.entry(key).or_insert_with(|| FieldMessage {
                vi: e.message_vi.clone(),
                en: e.message_en.clone(),
            });
        }
    }
    map
}

/// Which validation errors to show: those of fields the person has touched, or all of them
/// once they tried to go on. Inline, but not shouting at an untouched empty form.
pub fn visible_errors(
    all: &FieldErrors,
    touched: &BTreeSet<String>,
    attempted: bool,
) -> FieldErrors {
    all.iter()
        .filter(|(key, _)| attempted || touched.contains(key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Validates the draft for its type with the core crate (the server checks the same way).
pub fn validate(
    draft: &WizardDraft,
    today: NaiveDate,
) -> Result<(OrgType, OrganisationDetails), FieldErrors> {
    let Some(org_type) = draft.org_type else {
        return Err(FieldErrors::new());
    };
    draft
        .form
        .validate(org_type, today)
        .map(|details| (org_type, details))
        .map_err(|errors| from_field_errors(&errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    #[test]
    fn representative_errors_are_keyed_by_row_and_map_to_element_ids() {
        let key = error_key(OrgField::RepresentativeCitizenId, Some(1));
        assert_eq!(key, "representative_citizen_id[1]");
        assert_eq!(
            element_id("error", &key),
            "error-representative_citizen_id-1"
        );
        assert_eq!(element_id("field", "tax_code"), "field-tax_code");
    }

    #[test]
    fn an_empty_enterprise_form_lists_its_required_fields() {
        let mut draft = WizardDraft {
            org_type: Some(OrgType::Enterprise),
            ..WizardDraft::default()
        };
        draft.ensure_representative_row();
        let errors = validate(&draft, today()).unwrap_err();
        for key in [
            "name_vi",
            "enterprise_code",
            "contact_phone",
            "representative_name[0]",
        ] {
            assert!(errors.contains_key(key), "{key} missing in {errors:?}");
        }
        assert!(!errors.contains_key("founding_decision"));
    }

    #[test]
    fn only_touched_fields_show_errors_until_the_person_tries_to_go_on() {
        let mut all = FieldErrors::new();
        for k in ["name_vi", "tax_code"] {
            all.insert(
                k.into(),
                FieldMessage {
                    vi: "x".into(),
                    en: "x".into(),
                },
            );
        }
        let touched: BTreeSet<String> = ["tax_code".to_owned()].into();
        assert_eq!(visible_errors(&all, &touched, false).len(), 1);
        assert_eq!(visible_errors(&all, &touched, true).len(), 2);
    }

    #[test]
    fn server_field_errors_land_under_their_fields() {
        let json = serde_json::json!({
            "code": "validation_failed",
            "message_vi": "Thông tin chưa hợp lệ.",
            "message_en": "Not valid.",
            "details": [
                {"code": "tax_code.bad_check_digit", "message_vi": "Sai số kiểm tra.",
                 "message_en": "Bad check digit.", "field": "details.tax_code"},
                {"code": "required", "message_vi": "Bắt buộc.", "message_en": "Required.",
                 "field": "representative_name[0]"}
            ]
        });
        let e: ApiError = serde_json::from_value(json).unwrap();
        let map = from_api_error(&e);
        assert_eq!(map["tax_code"].en, "Bad check digit.");
        assert!(map.contains_key("representative_name[0]"));
        assert_eq!(map.len(), 2, "the general error has no field");
    }

    #[test]
    fn a_draft_round_trips_and_a_foreign_draft_is_ignored() {
        let mut draft = WizardDraft {
            org_type: Some(OrgType::Cooperative),
            ..WizardDraft::default()
        };
        draft.form.name_vi = "Hợp tác xã Nông nghiệp Hòa Bình".into();
        let back = WizardDraft::from_json(&draft.to_json()).unwrap();
        assert_eq!(back, draft);
        assert!(WizardDraft::from_json("not json").is_none());
        assert!(WizardDraft::default().is_empty());
    }

    #[test]
    fn each_type_shows_its_own_registry_code_only() {
        let e = single_fields(OrgType::Enterprise);
        assert!(e.contains(&OrgField::EnterpriseCode));
        assert!(!e.contains(&OrgField::CooperativeCode));
        let four = single_fields(OrgType::OrganisationWithoutRegistration);
        assert!(!four.contains(&OrgField::TaxCode));
        assert!(
            documents(OrgType::OrganisationWithoutRegistration)
                .contains(&(DocumentKind::FoundingDecision, true))
        );
        assert!(
            documents(OrgType::Enterprise).contains(&(DocumentKind::AuthorisationLetter, false))
        );
    }

    #[test]
    fn every_single_field_shown_can_be_edited() {
        for t in OrgType::ALL {
            let mut form = OrganisationForm::default();
            for f in single_fields(t) {
                assert!(field_mut(&mut form, f).is_some(), "{f:?}");
            }
        }
    }
}
