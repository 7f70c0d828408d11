//! The registration wizard: choose the type, fill in its form (validated inline by the core
//! crate, documents uploaded as they are picked), review, confirm. The form lives in the
//! shared state and is saved as a draft on every change, so nothing typed is lost on an error,
//! when going back, or when the app goes to the background.

use std::collections::BTreeSet;

use dinhdanh_core::api::{ApiError, ErrorCode};
use dinhdanh_core::app::{LoadDraftArgs, SaveDraftArgs, UploadAttachmentArgs};
use dinhdanh_core::ids::NewProvince;
use dinhdanh_core::org_type::{DocumentKind, OrgField, OrgType, RepresentativeForm};
use dioxus::prelude::*;

use crate::bridge;
use crate::form::{
    self, DRAFT_KEY, FieldErrors, WizardDraft, element_id, error_key, visible_errors,
};
use crate::format;
use crate::i18n::Lang;
use crate::nav::{Pending, Screen};
use crate::platform;
use crate::state::{Ctx, ctx};

/// Reads the saved draft once per app start, when the wizard opens with an empty form.
fn load_draft_once(c: Ctx) {
    if *c.draft_loaded.read() {
        return;
    }
    let mut loaded = c.draft_loaded;
    loaded.set(true);
    spawn(async move {
        let args = LoadDraftArgs {
            key: DRAFT_KEY.to_owned(),
        };
        if let Ok(Some(json)) = bridge::load_draft(&args).await {
            if let Some(draft) = WizardDraft::from_json(&json) {
                let mut wizard = c.wizard;
                if wizard.read().is_empty() {
                    wizard.set(draft);
                }
            }
        }
    });
}

/// Saves the draft half a second after the last change (one write per pause in typing).
fn save_draft_soon(c: Ctx, mut generation: Signal<u64>) {
    let mine = {
        let mut g = generation.write();
        *g += 1;
        *g
    };
    spawn(async move {
        platform::sleep(500).await;
        if *generation.peek() != mine {
            return;
        }
        let args = SaveDraftArgs {
            key: DRAFT_KEY.to_owned(),
            json: c.wizard.peek().to_json(),
        };
        // Best effort: the form stays in memory whatever happens to the copy on disk.
        let _ = bridge::save_draft(&args).await;
    });
}

/// Wizard, step 1: the four types, each with a line explaining it.
#[component]
pub fn WizardType() -> Element {
    let c = ctx();
    use_hook(move || load_draft_once(c));
    let generation = use_signal(|| 0u64);
    let chosen = c.wizard.read().org_type;
    let lang = c.l();
    rsx! {
        div { id: "screen-wizard-type", class: "screen",
            p { class: "step", {c.t("Bước 1/3", "Step 1 of 3")} }
            h1 { {c.t("Chọn loại tổ chức", "Choose the organisation type")} }
            div { class: "type-list", role: "radiogroup",
                for t in OrgType::ALL {
                    button {
                        key: "{t.number()}",
                        id: "type-{format::serde_name(&t)}",
                        class: if chosen == Some(t) { "type-card selected" } else { "type-card" },
                        r#type: "button",
                        role: "radio",
                        aria_checked: if chosen == Some(t) { "true" } else { "false" },
                        onclick: move |_| {
                            let mut wizard = c.wizard;
                            let mut w = wizard.write();
                            w.org_type = Some(t);
                            w.ensure_representative_row();
                            drop(w);
                            save_draft_soon(c, generation);
                        },
                        span { class: "type-number", "{t.number()}" }
                        span { class: "type-body",
                            span { class: "type-label", {lang.t(t.label_vi(), t.label_en())} }
                            span { class: "type-text", {lang.t(t.description_vi(), t.description_en())} }
                        }
                    }
                }
            }
            button {
                id: "type-next",
                class: "button primary",
                r#type: "button",
                disabled: chosen.is_none(),
                onclick: move |_| c.go(Screen::WizardForm),
                {c.t("Tiếp tục", "Continue")}
            }
            button { class: "button ghost", r#type: "button", onclick: move |_| c.go(Screen::AccountSwitcher),
                {c.t("Hủy", "Cancel")}
            }
        }
    }
}

/// Wizard, step 2: the type's form.
#[component]
pub fn WizardForm() -> Element {
    let c = ctx();
    use_hook(move || load_draft_once(c));
    let generation = use_signal(|| 0u64);
    let mut touched = use_signal(BTreeSet::<String>::new);
    let mut attempted = use_signal(|| false);
    let mut uploading = use_signal(|| None::<DocumentKind>);
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
    let err = move |key: &str| shown.get(key).map(|m| lang.t(&m.vi, &m.en).to_owned());

    let mut edit = move |key: String, apply: Box<dyn FnOnce(&mut WizardDraft)>| {
        let mut wizard = c.wizard;
        apply(&mut wizard.write());
        touched.write().insert(key);
        save_draft_soon(c, generation);
    };

    let next = move |_| {
        attempted.set(true);
        let draft = c.wizard.read().clone();
        match form::validate(&draft, platform::today()) {
            Ok(_) => c.go(Screen::WizardReview),
            Err(_) => c.fail(ApiError::new(ErrorCode::ValidationFailed)),
        }
    };

    let upload = move |kind: DocumentKind, evt: FormEvent| {
        let Some(file) = evt.files().into_iter().next() else {
            return;
        };
        spawn(async move {
            uploading.set(Some(kind));
            let bytes = match file.read_bytes().await {
                Ok(b) => b.to_vec(),
                Err(_) => {
                    uploading.set(None);
                    c.fail(bridge::internal_error());
                    return;
                }
            };
            let args = UploadAttachmentArgs {
                kind,
                content: bytes,
            };
            if let Some(view) = c.run(bridge::upload_attachment(&args)).await {
                let mut wizard = c.wizard;
                if let Some(slot) = form::field_mut(&mut wizard.write().form, kind.field()) {
                    *slot = view.id.to_string();
                }
                touched.write().insert(kind.field().code().to_owned());
                save_draft_soon(c, generation);
            }
            uploading.set(None);
        });
    };

    let fields = form::single_fields(org_type);
    let reps = draft.form.representatives.clone();
    rsx! {
        div { id: "screen-wizard-form", class: "screen",
            p { class: "step", {c.t("Bước 2/3", "Step 2 of 3")} }
            h1 { {lang.t(org_type.label_vi(), org_type.label_en())} }
            p { class: "note", {c.t("Các trường có dấu * là bắt buộc.", "Fields marked * are required.")} }
            for field in fields {
                {
                    let key = field.code().to_owned();
                    let value = form::field_mut(&mut draft.form.clone(), field).map(|v| v.clone()).unwrap_or_default();
                    let label = format!("{}{}", lang.t(field.label_vi(), field.label_en()), if form::is_required(org_type, field) { " *" } else { "" });
                    let error = err(&key);
                    let input_id = element_id("field", &key);
                    let error_id = element_id("error", &key);
                    let key2 = key.clone();
                    let on_input = move |e: FormEvent| {
                        let v = e.value();
                        edit(key2.clone(), Box::new(move |d: &mut WizardDraft| {
                            if let Some(slot) = form::field_mut(&mut d.form, field) { *slot = v; }
                        }));
                    };
                    rsx! {
                        div { key: "{key}", class: if error.is_some() { "field invalid" } else { "field" },
                            label { r#for: "{input_id}", "{label}" }
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
                                    aria_invalid: if error.is_some() { "true" } else { "false" },
                                    oninput: on_input,
                                }
                            }
                            if let Some(e) = error.clone() {
                                p { id: "{error_id}", class: "field-error", "{e}" }
                            }
                        }
                    }
                }
            }
            fieldset { class: "representatives",
                legend { {c.t("Người đại diện theo pháp luật *", "Legal representatives *")} }
                if let Some(e) = err("representatives") {
                    p { id: "error-representatives", class: "field-error", "{e}" }
                }
                for (row, rep) in reps.iter().cloned().enumerate() {
                    div { key: "{row}", class: "rep-row",
                        {rep_input(c, lang, row, OrgField::RepresentativeName, rep.full_name.clone(), err(&error_key(OrgField::RepresentativeName, Some(row))), edit)}
                        {rep_input(c, lang, row, OrgField::RepresentativeCitizenId, rep.citizen_id.clone(), err(&error_key(OrgField::RepresentativeCitizenId, Some(row))), edit)}
                        if reps.len() > 1 {
                            button { id: "remove-representative-{row}", class: "button small ghost", r#type: "button",
                                onclick: move |_| edit(format!("representatives[{row}]"), Box::new(move |d: &mut WizardDraft| {
                                    if row < d.form.representatives.len() { d.form.representatives.remove(row); }
                                })),
                                {c.t("Xóa người này", "Remove")}
                            }
                        }
                    }
                }
                button { id: "add-representative", class: "button small secondary", r#type: "button",
                    onclick: move |_| edit("representatives".into(), Box::new(|d: &mut WizardDraft| d.form.representatives.push(RepresentativeForm::default()))),
                    {c.t("+ Thêm người đại diện", "+ Add a representative")}
                }
            }
            for (kind, required) in form::documents(org_type) {
                {
                    let key = kind.field().code();
                    let uploaded = form::field_mut(&mut draft.form.clone(), kind.field()).is_some_and(|v| !v.is_empty());
                    let busy = *uploading.read() == Some(kind);
                    let error = err(key);
                    rsx! {
                        div { key: "{key}", class: if error.is_some() { "field file-field invalid" } else { "field file-field" },
                            label { r#for: "file-{key}",
                                {format!("{}{}", lang.t(kind.label_vi(), kind.label_en()), if required { " *" } else { "" })}
                            }
                            if kind == DocumentKind::AuthorisationLetter {
                                p { class: "hint", {c.t("Chỉ cần khi bạn không phải người đại diện theo pháp luật.", "Needed only when you are not a legal representative.")} }
                            }
                            input {
                                id: "file-{key}",
                                r#type: "file",
                                accept: "application/pdf,image/jpeg,image/png",
                                "data-uploaded": if uploaded { "true" } else { "false" },
                                onchange: move |e| upload(kind, e),
                            }
                            p { class: "hint",
                                if busy { {c.t("Đang tải lên…", "Uploading…")} }
                                else if uploaded { {c.t("✓ Đã tải lên", "✓ Uploaded")} }
                                else { {c.t("PDF, JPEG hoặc PNG, tối đa 10 MB.", "PDF, JPEG or PNG, at most 10 MB.")} }
                            }
                            if let Some(e) = error.clone() {
                                p { id: "error-{key}", class: "field-error", "{e}" }
                            }
                        }
                    }
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

/// One input of a representative row.
fn rep_input(
    c: Ctx,
    lang: Lang,
    row: usize,
    field: OrgField,
    value: String,
    error: Option<String>,
    mut edit: impl FnMut(String, Box<dyn FnOnce(&mut WizardDraft)>) + Copy + 'static,
) -> Element {
    let key = error_key(field, Some(row));
    let input_id = element_id("field", &key);
    let error_id = element_id("error", &key);
    let label = format!(
        "{} ({})",
        lang.t(field.label_vi(), field.label_en()),
        row + 1
    );
    let _ = c;
    rsx! {
        div { class: if error.is_some() { "field invalid" } else { "field" },
            label { r#for: "{input_id}", "{label}" }
            input {
                id: "{input_id}",
                r#type: "text",
                inputmode: if field == OrgField::RepresentativeCitizenId { "numeric" } else { "text" },
                initial_value: "{value}",
                aria_invalid: if error.is_some() { "true" } else { "false" },
                oninput: move |e: FormEvent| {
                    let v = e.value();
                    edit(key.clone(), Box::new(move |d: &mut WizardDraft| {
                        if let Some(r) = d.form.representatives.get_mut(row) {
                            if field == OrgField::RepresentativeName { r.full_name = v; } else { r.citizen_id = v; }
                        }
                    }));
                },
            }
            if let Some(e) = error.clone() {
                p { id: "{error_id}", class: "field-error", "{e}" }
            }
        }
    }
}

/// Wizard, step 3: review, then the passcode.
#[component]
pub fn WizardReview() -> Element {
    let c = ctx();
    let lang = c.l();
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
    let mut rows: Vec<(String, String)> = vec![(
        c.t("Loại tổ chức", "Organisation type"),
        lang.t(org_type.label_vi(), org_type.label_en()).to_owned(),
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
                .map(|p| lang.t(p.name_vi(), p.name_en()).to_owned())
                .unwrap_or(value),
            OrgField::EstablishedOn => format::date(details.established_on),
            _ => value,
        };
        rows.push((lang.t(field.label_vi(), field.label_en()).to_owned(), shown));
    }
    for (i, rep) in details.representatives.iter().enumerate() {
        rows.push((
            format!("{} {}", c.t("Người đại diện", "Representative"), i + 1),
            format!("{} — {}", rep.full_name.as_str(), rep.citizen_id.masked()),
        ));
    }
    for (kind, _) in form::documents(org_type) {
        let has = form::field_mut(&mut form_copy, kind.field()).is_some_and(|v| !v.is_empty());
        if has {
            rows.push((
                lang.t(kind.label_vi(), kind.label_en()).to_owned(),
                c.t("Đã đính kèm", "Attached"),
            ));
        }
    }
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
