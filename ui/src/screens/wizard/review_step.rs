//! Wizard, step 3: the details as they will be sent, the declaration, then the passcode.

use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::{OrgField, OrgType, OrganisationDetails};
use dioxus::prelude::*;

use crate::form::{self, WizardDraft};
use crate::format;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen};
use crate::platform;
use crate::state::ctx;

/// The review's rows (label, value) in the language shown: the type, every field filled in,
/// the representatives (identification numbers masked) and the documents attached.
fn review_rows(
    draft: &WizardDraft,
    org_type: OrgType,
    details: &OrganisationDetails,
    lang: Lang,
) -> Vec<(String, String)> {
    let t = |vi: &str, en: &str| lang.t(vi, en).to_owned();
    let mut rows = vec![(
        t("Loại tổ chức", "Organisation type"),
        t(org_type.label_vi(), org_type.label_en()),
    )];
    let mut form_copy = draft.form.clone();
    for field in form::single_fields(org_type) {
        let value = form::field_mut(&mut form_copy, field)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        let shown = match field {
            OrgField::HeadOfficeProvince => NewProvince::parse(&value)
                .map(|p| t(p.name_vi(), p.name_en()))
                .unwrap_or(value),
            OrgField::EstablishedOn => format::date(details.established_on),
            _ => value,
        };
        rows.push((t(field.label_vi(), field.label_en()), shown));
    }
    for (i, rep) in details.representatives.iter().enumerate() {
        rows.push((
            format!("{} {}", t("Người đại diện", "Representative"), i + 1),
            format!("{} — {}", rep.full_name.as_str(), rep.citizen_id.masked()),
        ));
    }
    for (kind, _) in form::documents(org_type) {
        let has = form::field_mut(&mut form_copy, kind.field()).is_some_and(|v| !v.is_empty());
        if has {
            rows.push((
                t(kind.label_vi(), kind.label_en()),
                t("Đã đính kèm", "Attached"),
            ));
        }
    }
    rows
}

/// Wizard, step 3: review, then the passcode.
#[component]
pub fn WizardReview() -> Element {
    let c = ctx();
    let draft = c.wizard.read().clone();
    let Ok((org_type, details)) = form::validate(&draft, platform::today()) else {
        return rsx! {
            div { id: "screen-wizard-review", class: "screen",
                button { class: "button primary", r#type: "button", onclick: move |_| c.go(Screen::WizardForm),
                    {c.t("Quay lại biểu mẫu", "Back to the form")}
                }
            }
        };
    };
    let rows = review_rows(&draft, org_type, &details, c.l());
    let submit = move |_| {
        c.go(Screen::Confirm(Box::new(Pending::SubmitRegistration {
            org_type,
            details: Box::new(details.clone()),
        })));
    };
    rsx! {
        div { id: "screen-wizard-review", class: "screen",
            p { class: "step", {c.t("Bước 3/3", "Step 3 of 3")} }
            h1 { {c.t("Kiểm tra thông tin", "Check the details")} }
            dl { class: "review",
                for (label, value) in rows {
                    div { class: "review-row",
                        dt { "{label}" }
                        dd { "{value}" }
                    }
                }
            }
            p { class: "declaration",
                {c.t(
                    "Tôi xác nhận các thông tin trên là đúng và chịu trách nhiệm trước pháp luật.",
                    "I confirm the details above are true and I am responsible for them before the law.",
                )}
            }
            button { id: "review-submit", class: "button primary", r#type: "button", onclick: submit,
                {c.t("Xác nhận và gửi", "Confirm and send")}
            }
            button { class: "button ghost", r#type: "button", onclick: move |_| c.go(Screen::WizardForm),
                {c.t("Sửa thông tin", "Edit the details")}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use dinhdanh_core::org_type::DocumentKind;

    use super::*;

    #[test]
    fn the_review_names_the_province_masks_representatives_and_lists_attachments() {
        let mut draft = WizardDraft {
            org_type: Some(OrgType::Enterprise),
            ..WizardDraft::default()
        };
        draft.ensure_representative_row();
        let f = &mut draft.form;
        f.name_vi = "Công ty TNHH Phần mềm An Phát".into();
        f.enterprise_code = "0108680015".into();
        f.established_on = "2015-04-20".into();
        f.head_office_address = "Số 18 phố Duy Tân, phường Cầu Giấy".into();
        f.head_office_province = "ha_noi".into();
        f.contact_phone = "0912345678".into();
        f.representatives[0].full_name = "Nguyễn Văn An".into();
        f.representatives[0].citizen_id = "001080012345".into();
        f.authorisation_letter = "att_1".into();
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let (org_type, details) = form::validate(&draft, today).unwrap();

        let rows = review_rows(&draft, org_type, &details, Lang::En);
        let value_of = |label: &str| {
            rows.iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
        };
        let province = NewProvince::parse("ha_noi").unwrap();
        assert_eq!(rows[0].0, "Organisation type");
        assert_eq!(
            value_of(OrgField::HeadOfficeProvince.label_en()).as_deref(),
            Some(province.name_en())
        );
        assert_eq!(
            value_of("Representative 1").as_deref(),
            Some("Nguyễn Văn An — 001******345")
        );
        assert_eq!(
            value_of(DocumentKind::AuthorisationLetter.label_en()).as_deref(),
            Some("Attached")
        );
        assert!(rows.iter().all(|(_, v)| !v.contains("001080012345")));
    }
}
