//! What an answer to an officer's question may correct.
//!
//! The other legal representatives consented to a request as filed (Decree 69/2024/NĐ-CP,
//! Art. 12): to who the organisation's legal representatives are and, when an authorised
//! person asks, to the authorisation letter they confirmed. A correction that changed either
//! would take effect without their consent, so it is refused; the requester withdraws the
//! request and files a new one, which asks every representative again. Everything else (the
//! name, dates, address, codes, contact, a representative's name as spelt) may be corrected,
//! and the registry is asked again.

use std::collections::BTreeSet;

use crate::org_type::{FieldError, OrgField, OrganisationDetails};

/// Whether `corrected` may replace `filed` in an answer; the refusals are field errors with a
/// sentence that says what to do instead.
pub fn check_correction(
    filed: &OrganisationDetails,
    corrected: &OrganisationDetails,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let numbers = |d: &OrganisationDetails| -> BTreeSet<String> {
        d.representatives
            .iter()
            .map(|r| r.citizen_id.as_str().to_owned())
            .collect()
    };
    if numbers(filed) != numbers(corrected) {
        errors.push(FieldError::new(
            OrgField::Representatives,
            None,
            "changed_after_consent",
            "Không thể thay đổi người đại diện theo pháp luật khi trả lời cán bộ, vì những \
             người đại diện đã đồng ý với yêu cầu như đã nộp. Hãy rút yêu cầu này và nộp yêu \
             cầu mới để mọi người đại diện cùng xác nhận.",
            "The legal representatives cannot be changed in an answer: they consented to the \
             request as it was filed. Withdraw this request and file a new one, so that every \
             representative confirms it.",
        ));
    }
    if filed.authorisation_letter != corrected.authorisation_letter {
        errors.push(FieldError::new(
            OrgField::AuthorisationLetter,
            None,
            "changed_after_consent",
            "Không thể thay giấy ủy quyền khi trả lời cán bộ, vì người đại diện đã xác nhận \
             giấy này. Hãy gửi kèm tài liệu bổ sung, hoặc rút yêu cầu và nộp yêu cầu mới.",
            "The authorisation letter cannot be replaced in an answer: the representatives \
             confirmed this one. Attach further documents instead, or withdraw the request \
             and file a new one.",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org_type::{OrgType, OrganisationForm, RepresentativeForm};
    use chrono::NaiveDate;

    const FIRST: &str = "001085012345";
    const SECOND: &str = "079190054321";

    fn details(reps: &[(&str, &str)], letter: &str) -> OrganisationDetails {
        OrganisationForm {
            name_vi: "Câu lạc bộ Cờ tướng Hoàn Kiếm".into(),
            established_on: "2019-09-01".into(),
            head_office_address: "12 Tràng Tiền, phường Hoàn Kiếm".into(),
            head_office_province: "ha_noi".into(),
            representatives: reps
                .iter()
                .map(|(name, id)| RepresentativeForm {
                    full_name: (*name).into(),
                    citizen_id: (*id).into(),
                })
                .collect(),
            contact_phone: "0912345678".into(),
            founding_decision: "a".repeat(64),
            authorisation_letter: letter.into(),
            ..OrganisationForm::default()
        }
        .validate(
            OrgType::OrganisationWithoutRegistration,
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        )
        .unwrap()
    }

    fn codes(r: Result<(), Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn a_correction_of_the_organisation_or_of_a_name_as_spelt_is_allowed() {
        let filed = details(&[("Nguyễn Văn An", FIRST), ("Trần Thị Mai", SECOND)], "");
        let mut corrected = details(&[("Trần Thị Mai", SECOND), ("Nguyễn Văn Ân", FIRST)], "");
        corrected.name_vi = crate::text::Name::parse("Câu lạc bộ Cờ tướng Tràng Tiền").unwrap();
        assert_eq!(check_correction(&filed, &corrected), Ok(()));
    }

    #[test]
    fn adding_removing_or_replacing_a_representative_is_refused() {
        let filed = details(&[("Nguyễn Văn An", FIRST), ("Trần Thị Mai", SECOND)], "");
        for reps in [
            vec![("Nguyễn Văn An", FIRST)],
            vec![("Nguyễn Văn An", FIRST), ("Lê Văn Bình", "001090011111")],
            vec![
                ("Nguyễn Văn An", FIRST),
                ("Trần Thị Mai", SECOND),
                ("Lê Văn Bình", "001090011111"),
            ],
        ] {
            assert_eq!(
                codes(check_correction(&filed, &details(&reps, ""))),
                ["representatives.changed_after_consent"],
                "{reps:?}"
            );
        }
    }

    #[test]
    fn replacing_or_adding_the_authorisation_letter_is_refused() {
        let filed = details(&[("Nguyễn Văn An", FIRST)], &"b".repeat(64));
        for letter in ["c".repeat(64), String::new()] {
            assert_eq!(
                codes(check_correction(
                    &filed,
                    &details(&[("Nguyễn Văn An", FIRST)], &letter)
                )),
                ["authorisation_letter.changed_after_consent"]
            );
        }
    }
}
