//! Unit tests of form validation and of the details it produces, sharing a realistic form of
//! each type as fixtures. Tests of one part alone (text, fields, types, field errors) live in
//! that part's file.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::ids::{CitizenId, TaxCode};

const VINAMILK: &str = "0300588569";
const FPT: &str = "0101248141";
const VIETTEL: &str = "0100109106";
// Constructed codes with a valid check digit, standing in for a cooperative and an
// association whose real codes are not public knowledge; not real organisations' codes.
const COOPERATIVE: &str = "0101234565";
const ASSOCIATION: &str = "0301234562";

/// The check-digit rule of Circular 105/2020/TT-BTC, written out independently of
/// `TaxCode`, so the examples above are checked against the rule itself.
fn has_valid_check_digit(code: &str) -> bool {
    const W: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    let d: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 10 {
        return false;
    }
    let sum: u32 = d.iter().zip(W).map(|(n, w)| n * w).sum();
    sum % 11 != 0 && 10 - sum % 11 == d[9]
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 15).unwrap()
}

fn rep(name: &str, id: &str) -> RepresentativeForm {
    RepresentativeForm {
        full_name: name.into(),
        citizen_id: id.into(),
    }
}

fn vinamilk_form() -> OrganisationForm {
    OrganisationForm {
        name_vi: "Công ty Cổ phần Sữa Việt Nam".into(),
        abbreviated_name: "VINAMILK".into(),
        foreign_name: "Vietnam Dairy Products Joint Stock Company".into(),
        established_on: "2003-11-20".into(),
        head_office_address: "Số 10 Tân Trào, Phường Tân Mỹ".into(),
        head_office_province: "ho_chi_minh".into(),
        enterprise_code: VINAMILK.into(),
        tax_code: VINAMILK.into(),
        representatives: vec![rep("Mai Kiều Liên", "079153000123")],
        contact_phone: "0912345678".into(),
        contact_email: "vinamilk@vinamilk.com.vn".into(),
        ..OrganisationForm::default()
    }
}

fn fpt_form() -> OrganisationForm {
    OrganisationForm {
        name_vi: "Công ty Cổ phần FPT".into(),
        established_on: "13/09/1988".into(),
        head_office_address: "Số 10 Phạm Văn Bạch, Phường Cầu Giấy".into(),
        head_office_province: "ha_noi".into(),
        enterprise_code: FPT.into(),
        representatives: vec![rep("Trương Gia Bình", "001056000456")],
        contact_phone: "0987654321".into(),
        ..OrganisationForm::default()
    }
}

fn cooperative_form() -> OrganisationForm {
    OrganisationForm {
        name_vi: "Hợp tác xã Nông nghiệp Đông Anh".into(),
        established_on: "2016-03-01".into(),
        head_office_address: "Thôn Đông, Xã Đông Anh".into(),
        head_office_province: "ha_noi".into(),
        cooperative_code: COOPERATIVE.into(),
        representatives: vec![rep("Nguyễn Văn An", "001070012345")],
        contact_phone: "0912000111".into(),
        ..OrganisationForm::default()
    }
}

fn association_form() -> OrganisationForm {
    OrganisationForm {
        name_vi: "Hội Tin học Thành phố Hồ Chí Minh".into(),
        abbreviated_name: "HCA".into(),
        established_on: "1993-05-01".into(),
        head_office_address: "Số 79 Trương Định, Phường Bến Thành".into(),
        head_office_province: "ho_chi_minh".into(),
        tax_code: ASSOCIATION.into(),
        representatives: vec![rep("Trần Thị Bình", "079185001234")],
        contact_phone: "0903123456".into(),
        contact_email: "contact@hca.org.vn".into(),
        ..OrganisationForm::default()
    }
}

fn unregistered_form() -> OrganisationForm {
    OrganisationForm {
        name_vi: "Ban Quản lý Khu dân cư số 5".into(),
        established_on: "2020-01-10".into(),
        head_office_address: "Tổ 5, Phường Hải Châu".into(),
        head_office_province: "da_nang".into(),
        representatives: vec![rep("Lê Văn Cường", "048080004321")],
        contact_phone: "0905111222".into(),
        founding_decision: "att_founding_1".into(),
        ..OrganisationForm::default()
    }
}

fn error_codes(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.code.as_str()).collect()
}

#[test]
fn every_tax_code_used_in_these_examples_satisfies_the_check_digit_rule() {
    for code in [VINAMILK, FPT, VIETTEL, COOPERATIVE, ASSOCIATION] {
        assert!(has_valid_check_digit(code), "{code}");
        assert!(TaxCode::parse(code).is_ok(), "{code}");
    }
    // And the rule really rejects a mistyped one.
    assert!(!has_valid_check_digit("0300588568"));
}

#[test]
fn vinamilk_as_an_enterprise_validates_into_typed_details() {
    let d = vinamilk_form()
        .validate(OrgType::Enterprise, today())
        .unwrap();
    assert_eq!(d.name_vi.as_str(), "Công ty Cổ phần Sữa Việt Nam");
    assert_eq!(
        d.abbreviated_name.as_ref().map(Name::as_str),
        Some("VINAMILK")
    );
    assert_eq!(
        d.established_on,
        NaiveDate::from_ymd_opt(2003, 11, 20).unwrap()
    );
    assert_eq!(d.head_office.province.key(), "ho_chi_minh");
    assert_eq!(
        d.enterprise_code.as_ref().map(|c| c.as_str()),
        Some(VINAMILK)
    );
    assert_eq!(d.tax_code.as_ref().map(|c| c.as_str()), Some(VINAMILK));
    assert_eq!(d.representatives.len(), 1);
    assert_eq!(
        d.contact_email.as_ref().map(|e| e.as_str()),
        Some("vinamilk@vinamilk.com.vn")
    );
    assert_eq!(d.cooperative_code, None);
    assert_eq!(d.founding_decision, None);
}

#[test]
fn fpt_validates_with_a_vietnamese_date_and_no_tax_code_field() {
    let d = fpt_form().validate(OrgType::Enterprise, today()).unwrap();
    assert_eq!(
        d.established_on,
        NaiveDate::from_ymd_opt(1988, 9, 13).unwrap()
    );
    assert_eq!(d.tax_code, None);
    assert_eq!(d.enterprise_code.unwrap().tax_code().as_str(), FPT);
}

#[test]
fn a_realistic_form_of_each_type_validates() {
    assert!(
        cooperative_form()
            .validate(OrgType::Cooperative, today())
            .is_ok()
    );
    let assoc = association_form()
        .validate(OrgType::OrganisationWithTaxCode, today())
        .unwrap();
    assert_eq!(assoc.tax_code.unwrap().as_str(), ASSOCIATION);
    let unreg = unregistered_form()
        .validate(OrgType::OrganisationWithoutRegistration, today())
        .unwrap();
    assert_eq!(unreg.founding_decision.unwrap().as_str(), "att_founding_1");
    assert_eq!(unreg.tax_code, None);
}

#[test]
fn an_empty_form_reports_every_required_field_of_its_type_at_once() {
    for t in OrgType::ALL {
        let errors = OrganisationForm::default()
            .validate(t, today())
            .unwrap_err();
        let mut got: Vec<OrgField> = errors.iter().map(|e| e.field).collect();
        got.sort();
        got.dedup();
        // With no rows at all, the row fields are reported as the list being empty.
        let mut want: Vec<OrgField> = t
            .required_fields()
            .iter()
            .copied()
            .filter(|f| {
                !matches!(
                    f,
                    OrgField::RepresentativeName | OrgField::RepresentativeCitizenId
                )
            })
            .collect();
        want.sort();
        assert_eq!(got, want, "{t:?}");
        assert!(
            errors
                .iter()
                .all(|e| !e.message_vi.is_empty() && !e.message_en.is_empty())
        );
    }
}

#[test]
fn an_enterprise_tax_code_must_equal_its_enterprise_code() {
    let mut f = fpt_form();
    f.tax_code = VIETTEL.into();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(
        error_codes(&errors),
        ["tax_code.differs_from_registry_code"]
    );
    assert_eq!(errors[0].field, OrgField::TaxCode);

    // A branch's 13-digit code is not the enterprise's own tax code either.
    f.tax_code = format!("{FPT}-001");
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(
        error_codes(&errors),
        ["tax_code.differs_from_registry_code"]
    );

    // Separators people type do not matter.
    f.tax_code = "0101 248 141".into();
    assert!(f.validate(OrgType::Enterprise, today()).is_ok());
}

#[test]
fn a_cooperative_tax_code_must_equal_its_cooperative_code() {
    let mut f = cooperative_form();
    f.tax_code = VINAMILK.into();
    let errors = f.validate(OrgType::Cooperative, today()).unwrap_err();
    assert_eq!(
        error_codes(&errors),
        ["tax_code.differs_from_registry_code"]
    );
    f.tax_code = COOPERATIVE.into();
    assert!(f.validate(OrgType::Cooperative, today()).is_ok());
}

#[test]
fn an_organisation_with_a_tax_code_must_give_it() {
    let mut f = association_form();
    f.tax_code.clear();
    let errors = f
        .validate(OrgType::OrganisationWithTaxCode, today())
        .unwrap_err();
    assert_eq!(error_codes(&errors), ["tax_code.required"]);
}

#[test]
fn type_4_refuses_registry_codes_and_names_the_type_they_belong_to() {
    let cases = [
        (OrgField::TaxCode, VINAMILK, "loại 3"),
        (OrgField::EnterpriseCode, FPT, "loại 1"),
        (OrgField::CooperativeCode, COOPERATIVE, "loại 2"),
    ];
    for (field, code, type_vi) in cases {
        let mut f = unregistered_form();
        match field {
            OrgField::TaxCode => f.tax_code = code.into(),
            OrgField::EnterpriseCode => f.enterprise_code = code.into(),
            _ => f.cooperative_code = code.into(),
        }
        let errors = f
            .validate(OrgType::OrganisationWithoutRegistration, today())
            .unwrap_err();
        assert_eq!(errors.len(), 1, "{field:?}");
        assert_eq!(errors[0].field, field);
        assert_eq!(
            errors[0].code,
            format!("{}.belongs_to_other_type", field.code())
        );
        assert!(
            errors[0].message_vi.contains(type_vi),
            "{}",
            errors[0].message_vi
        );
    }
}

#[test]
fn registry_codes_of_other_types_are_refused_for_types_1_to_3_too() {
    let mut f = association_form();
    f.enterprise_code = VINAMILK.into();
    let errors = f
        .validate(OrgType::OrganisationWithTaxCode, today())
        .unwrap_err();
    assert_eq!(
        error_codes(&errors),
        ["enterprise_code.belongs_to_other_type"]
    );

    let mut f = fpt_form();
    f.cooperative_code = COOPERATIVE.into();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(
        error_codes(&errors),
        ["cooperative_code.belongs_to_other_type"]
    );
}

#[test]
fn an_agency_code_left_over_on_an_enterprise_form_is_ignored() {
    let mut f = fpt_form();
    f.agency_code = "000.00.00.H29".into();
    let d = f.validate(OrgType::Enterprise, today()).unwrap();
    assert_eq!(d.agency_code, None);
    let mut f = association_form();
    f.agency_code = "000.00.00.H29".into();
    let d = f
        .validate(OrgType::OrganisationWithTaxCode, today())
        .unwrap();
    assert_eq!(d.agency_code.unwrap().as_str(), "000.00.00.H29");
}

#[test]
fn identifier_errors_keep_the_identifier_code_and_messages() {
    let mut f = vinamilk_form();
    f.tax_code = "0300588568".into();
    f.contact_phone = "12345".into();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    let tax = errors
        .iter()
        .find(|e| e.field == OrgField::TaxCode)
        .unwrap();
    assert_eq!(tax.code, "tax_code.bad_check_digit");
    assert_eq!(tax.message_vi, "Mã số thuế không hợp lệ (sai số kiểm tra).");
    assert!(errors.iter().any(|e| e.field == OrgField::ContactPhone));
}

#[test]
fn every_field_error_is_reported_in_one_pass() {
    let mut f = vinamilk_form();
    f.name_vi = "   ".into();
    f.established_on = "2030-01-01".into();
    f.head_office_province = "sai_gon".into();
    f.enterprise_code = "abc".into();
    f.contact_email = "no-at-sign".into();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    let fields: Vec<OrgField> = errors.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            OrgField::NameVi,
            OrgField::EstablishedOn,
            OrgField::HeadOfficeProvince,
            OrgField::EnterpriseCode,
            OrgField::ContactEmail
        ]
    );
    assert_eq!(errors[1].code, "established_on.in_future");
    assert_eq!(errors[2].code, "province.unknown_province");
}

#[test]
fn the_date_of_establishment_is_checked_against_the_given_today() {
    let mut f = fpt_form();
    f.established_on = "2025-07-15".into();
    assert!(f.validate(OrgType::Enterprise, today()).is_ok());
    f.established_on = "16/07/2025".into();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(error_codes(&errors), ["established_on.in_future"]);
    for bad in ["31/02/2020", "2020-13-01", "hôm qua", "2020-01-01T00:00"] {
        f.established_on = bad.into();
        let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
        assert_eq!(error_codes(&errors), ["established_on.bad_format"], "{bad}");
    }
}

#[test]
fn a_representative_listed_twice_is_reported_on_the_second_row() {
    let mut f = vinamilk_form();
    f.representatives
        .push(rep("Nguyễn Văn Bình", "001085012345"));
    f.representatives
        .push(rep("Mai Kiều Liên", "079 153 000 123"));
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "representative_citizen_id.duplicate");
    assert_eq!(errors[0].index, Some(2));
}

#[test]
fn representative_errors_carry_their_row_index() {
    let mut f = vinamilk_form();
    f.representatives.push(rep("", "00108501234"));
    f.representatives
        .push(rep("Trần Văn Cường", "001299912345"));
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    let got: Vec<(OrgField, Option<usize>, &str)> = errors
        .iter()
        .map(|e| (e.field, e.index, e.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                OrgField::RepresentativeName,
                Some(1),
                "representative_name.required"
            ),
            (
                OrgField::RepresentativeCitizenId,
                Some(1),
                "citizen_id.wrong_length"
            ),
            // Born in 2099 according to the number: mistyped, as of 2025.
            (
                OrgField::RepresentativeCitizenId,
                Some(2),
                "citizen_id.impossible_birth_year"
            ),
        ]
    );
}

#[test]
fn no_representative_at_all_is_an_error_on_the_list() {
    let mut f = fpt_form();
    f.representatives.clear();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(error_codes(&errors), ["representatives.required"]);
    f.representatives = vec![rep("Trương Gia Bình", "001056000456"); MAX_REPRESENTATIVES + 1];
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(error_codes(&errors), ["representatives.too_many"]);
}

#[test]
fn the_debug_form_of_a_typed_row_masks_the_identification_number() {
    let dbg = format!("{:?}", rep("Mai Kiều Liên", "079153000123"));
    assert!(dbg.contains("079******123"), "{dbg}");
    assert!(!dbg.contains("079153000123"), "{dbg}");
    assert!(!format!("{:?}", rep("A", "0791530")).contains("0791530"));
}

#[test]
fn names_with_control_or_bidi_characters_are_refused() {
    for bad in ["Công ty\nFPT", "FPT\u{0}", "Công ty \u{202E}TPF", "a\tb"] {
        assert_eq!(
            Name::parse(bad),
            Err(TextProblem::ControlCharacter),
            "{bad:?}"
        );
    }
    let mut f = fpt_form();
    f.name_vi = "Công ty\u{7}".into();
    let errors = f.validate(OrgType::Enterprise, today()).unwrap_err();
    assert_eq!(error_codes(&errors), ["name_vi.control_character"]);
}

#[test]
fn an_authorised_person_must_attach_the_authorisation_letter() {
    let legal_rep = CitizenId::parse("079153000123").unwrap();
    let assistant = CitizenId::parse("079190001234").unwrap();
    let f = vinamilk_form();
    assert!(
        f.validate_for_requester(OrgType::Enterprise, &legal_rep, today())
            .is_ok()
    );
    let errors = f
        .validate_for_requester(OrgType::Enterprise, &assistant, today())
        .unwrap_err();
    assert_eq!(error_codes(&errors), ["authorisation_letter.required"]);
    let mut f = f;
    f.authorisation_letter = "att_letter_9".into();
    let d = f
        .validate_for_requester(OrgType::Enterprise, &assistant, today())
        .unwrap();
    assert_eq!(d.authorisation_letter.unwrap().as_str(), "att_letter_9");
}

#[test]
fn type_4_needs_its_founding_decision() {
    let mut f = unregistered_form();
    f.founding_decision.clear();
    let errors = f
        .validate(OrgType::OrganisationWithoutRegistration, today())
        .unwrap_err();
    assert_eq!(error_codes(&errors), ["founding_decision.required"]);
    f.founding_decision = "not an id/".into();
    let errors = f
        .validate(OrgType::OrganisationWithoutRegistration, today())
        .unwrap_err();
    assert_eq!(error_codes(&errors), ["id.forbidden_character"]);
}

#[test]
fn details_round_trip_through_json_and_back_to_the_same_form() {
    let d = vinamilk_form()
        .validate(OrgType::Enterprise, today())
        .unwrap();
    let json = serde_json::to_string(&d).unwrap();
    let back: OrganisationDetails = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    assert_eq!(
        back.to_form()
            .validate(OrgType::Enterprise, today())
            .unwrap(),
        d
    );
}

#[test]
fn revalidating_deserialised_details_catches_a_type_mismatch() {
    let d = vinamilk_form()
        .validate(OrgType::Enterprise, today())
        .unwrap();
    let requester = CitizenId::parse("079153000123").unwrap();
    assert!(
        d.revalidate(OrgType::Enterprise, &requester, today())
            .is_ok()
    );
    let errors = d
        .revalidate(
            OrgType::OrganisationWithoutRegistration,
            &requester,
            today(),
        )
        .unwrap_err();
    let codes = error_codes(&errors);
    assert!(
        codes.contains(&"tax_code.belongs_to_other_type"),
        "{codes:?}"
    );
    assert!(
        codes.contains(&"enterprise_code.belongs_to_other_type"),
        "{codes:?}"
    );
    // A JSON body with a bad name never becomes details at all.
    let mut v = serde_json::to_value(&d).unwrap();
    v["name_vi"] = "  ".into();
    assert!(serde_json::from_value::<OrganisationDetails>(v).is_err());
}

#[test]
fn co_representatives_are_everyone_but_the_requester() {
    let mut f = vinamilk_form();
    f.representatives
        .push(rep("Nguyễn Văn Bình", "001085012345"));
    let d = f.validate(OrgType::Enterprise, today()).unwrap();
    let requester = CitizenId::parse("079153000123").unwrap();
    let others = d.co_representatives(&requester);
    assert_eq!(others, [CitizenId::parse("001085012345").unwrap()]);
    assert!(d.is_legal_representative(&requester));
}

proptest! {
    #[test]
    fn validation_never_panics_and_valid_details_round_trip(
        name in "\\PC{0,40}",
        date in "[0-9/-]{0,12}",
        tax in "[0-9 -]{0,14}",
        phone in "[0-9+ ]{0,12}",
        citizen in "[0-9]{10,13}",
        t in 0usize..4,
    ) {
        let org_type = OrgType::ALL[t];
        let mut f = vinamilk_form();
        f.name_vi = name;
        f.established_on = date;
        f.tax_code = tax;
        f.contact_phone = phone;
        f.representatives[0].citizen_id = citizen;
        if let Ok(d) = f.validate(org_type, today()) {
            let again = d.to_form().validate(org_type, today());
            prop_assert_eq!(again, Ok(d));
        }
    }
}
