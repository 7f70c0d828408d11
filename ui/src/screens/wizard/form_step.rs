//! Wizard, step 2: the type's form — its single fields here, the representatives and the
//! documents in their own files. Errors come from the core crate's validation (and from the
//! server, after a refused submission).

use std::collections::BTreeSet;

use dinhdanh_core::api::{ApiError, ErrorCode};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::OrgField;
use dioxus::prelude::*;

use crate::form::{self, FieldErrors, WizardDraft, element_id, visible_errors};
use crate::nav::Screen;
use crate::platform;
use crate::state::ctx;
use crate::widgets::Field;

use super::documents::DocumentField;
use super::draft::load_draft_once;
use super::edits::{Edits, Messages};
use super::representatives::Representatives;

/// Wizard, step 2: the type's form.
#[component]
pub fn WizardForm() -> Element {
    let c = ctx();
    use_hook(move || load_draft_once(c));
    let generation = use_signal(|| 0u64);
    let touched = use_signal(BTreeSet::<String>::new);
    let mut attempted = use_signal(|| false);
    let edits = Edits::new(c.wizard, touched, generation);
    let lang = c.l();
    let draft = c.wizard.read().clone();
    let Some(org_type) = draft.org_type else {
        return rsx! {
            div { id: "screen-wizard-form", class: "screen",
                button { class: "button primary", r#type: "button", onclick: move |_| c.go(Screen::WizardType),
                    {c.t("Chọn loại tổ chức", "Choose the organisation type")}
                }
            }
        };
    };

    // Inline validation by the core crate, plus what the server said last time.
    let local = match form::validate(&draft, platform::today()) {
        Ok(_) => FieldErrors::new(),
        Err(errors) => errors,
    };
    let mut shown = visible_errors(&local, &touched.read(), *attempted.read());
    if let Some(e) = c.error.read().as_ref() {
        for (k, v) in form::from_api_error(e) {
            // A server error stays until the field is edited again.
            if !touched.read().contains(&k) {
                shown.entry(k).or_insert(v);
            }
        }
    }
    let messages: Messages = shown
        .into_iter()
        .map(|(k, m)| (k, lang.t(&m.vi, &m.en).to_owned()))
        .collect();

    let next = move |_| {
        attempted.set(true);
        let draft = c.wizard.read().clone();
        match form::validate(&draft, platform::today()) {
            Ok(_) => c.go(Screen::WizardReview),
            Err(_) => c.fail(ApiError::new(ErrorCode::ValidationFailed)),
        }
    };

    let mut typed = draft.form.clone();
    rsx! {
        div { id: "screen-wizard-form", class: "screen",
            p { class: "step", {c.t("Bước 2/3", "Step 2 of 3")} }
            h1 { {lang.t(org_type.label_vi(), org_type.label_en())} }
            p { class: "note", {c.t("Các trường có dấu * là bắt buộc.", "Fields marked * are required.")} }
            for field in form::single_fields(org_type) {
                SingleField {
                    key: "{field.code()}",
                    field,
                    required: form::is_required(org_type, field),
                    value: form::field_mut(&mut typed, field).map(|v| v.clone()).unwrap_or_default(),
                    error: messages.get(field.code()).cloned(),
                    edits,
                }
            }
            Representatives { reps: draft.form.representatives.clone(), messages: messages.clone(), edits }
            for (kind, required) in form::documents(org_type) {
                DocumentField {
                    key: "{kind.field().code()}",
                    kind,
                    required,
                    uploaded: form::field_mut(&mut typed, kind.field()).is_some_and(|v| !v.is_empty()),
                    error: messages.get(kind.field().code()).cloned(),
                    edits,
                }
            }
            button { id: "form-next", class: "button primary", r#type: "button", onclick: next,
                {c.t("Tiếp tục", "Continue")}
            }
            button { class: "button ghost", r#type: "button", onclick: move |_| c.go(Screen::WizardType),
                {c.t("Quay lại", "Back")}
            }
        }
    }
}

/// One single-value field: a text, date, phone or e-mail input, or the province list.
#[component]
fn SingleField(
    field: OrgField,
    required: bool,
    value: String,
    error: Option<String>,
    edits: Edits,
) -> Element {
    let c = ctx();
    let lang = c.l();
    let key = field.code().to_owned();
    let input_id = element_id("field", &key);
    let label = format!(
        "{}{}",
        lang.t(field.label_vi(), field.label_en()),
        if required { " *" } else { "" }
    );
    let invalid = error.is_some();
    let on_input = move |e: FormEvent| {
        let v = e.value();
        edits.apply(key.clone(), move |d: &mut WizardDraft| {
            if let Some(slot) = form::field_mut(&mut d.form, field) {
                *slot = v;
            }
        });
    };
    rsx! {
        Field { input_id: input_id.clone(), label, error, error_id: element_id("error", field.code()),
            if field == OrgField::HeadOfficeProvince {
                select { id: "{input_id}", value: "{value}", onchange: on_input,
                    option { value: "", {c.t("— Chọn tỉnh, thành phố —", "— Choose a province —")} }
                    for p in NewProvince::all() {
                        option { key: "{p.key()}", value: "{p.key()}", selected: p.key() == value, {lang.t(p.name_vi(), p.name_en())} }
                    }
                }
            } else {
                input {
                    id: "{input_id}",
                    r#type: match field { OrgField::EstablishedOn => "date", OrgField::ContactPhone => "tel", OrgField::ContactEmail => "email", _ => "text" },
                    inputmode: match field { OrgField::TaxCode | OrgField::EnterpriseCode | OrgField::CooperativeCode => "numeric", _ => "text" },
                    // Uncontrolled (initial value only): a re-render while keys
                    // are still arriving must not write an older value back.
                    initial_value: "{value}",
                    aria_invalid: if invalid { "true" } else { "false" },
                    oninput: on_input,
                }
            }
        }
    }
}
