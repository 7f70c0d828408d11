//! The form's legal representatives: a row per person (name and identification number), rows
//! added and removed.

use dinhdanh_core::org_type::{OrgField, RepresentativeForm};
use dioxus::prelude::*;

use crate::form::{WizardDraft, element_id, error_key};
use crate::state::ctx;
use crate::widgets::Field;

use super::edits::{Edits, Messages};

/// The representatives section, with the error of the list as a whole (e.g. none given).
#[component]
pub(super) fn Representatives(
    reps: Vec<RepresentativeForm>,
    messages: Messages,
    edits: Edits,
) -> Element {
    let c = ctx();
    let removable = reps.len() > 1;
    let error = |field: OrgField, row: usize| messages.get(&error_key(field, Some(row))).cloned();
    rsx! {
        fieldset { class: "representatives",
            legend { {c.t("Người đại diện theo pháp luật *", "Legal representatives *")} }
            if let Some(e) = messages.get("representatives") {
                p { id: "error-representatives", class: "field-error", "{e}" }
            }
            for (row, rep) in reps.iter().cloned().enumerate() {
                RepresentativeRow {
                    key: "{row}",
                    row,
                    rep,
                    name_error: error(OrgField::RepresentativeName, row),
                    citizen_id_error: error(OrgField::RepresentativeCitizenId, row),
                    removable,
                    edits,
                }
            }
            button { id: "add-representative", class: "button small secondary", r#type: "button",
                onclick: move |_| edits.apply("representatives".into(), |d| d.form.representatives.push(RepresentativeForm::default())),
                {c.t("+ Thêm người đại diện", "+ Add a representative")}
            }
        }
    }
}

/// One representative (row `row`, from 0): name, identification number, and *Xóa* while
/// there is more than one.
#[component]
fn RepresentativeRow(
    row: usize,
    rep: RepresentativeForm,
    name_error: Option<String>,
    citizen_id_error: Option<String>,
    removable: bool,
    edits: Edits,
) -> Element {
    let c = ctx();
    rsx! {
        div { class: "rep-row",
            RepresentativeInput { row, field: OrgField::RepresentativeName, value: rep.full_name, error: name_error, edits }
            RepresentativeInput { row, field: OrgField::RepresentativeCitizenId, value: rep.citizen_id, error: citizen_id_error, edits }
            if removable {
                button { id: "remove-representative-{row}", class: "button small ghost", r#type: "button",
                    onclick: move |_| edits.apply(format!("representatives[{row}]"), move |d: &mut WizardDraft| {
                        if row < d.form.representatives.len() { d.form.representatives.remove(row); }
                    }),
                    {c.t("Xóa người này", "Remove")}
                }
            }
        }
    }
}

/// One input of a representative row.
#[component]
fn RepresentativeInput(
    row: usize,
    field: OrgField,
    value: String,
    error: Option<String>,
    edits: Edits,
) -> Element {
    let lang = ctx().l();
    let key = error_key(field, Some(row));
    let input_id = element_id("field", &key);
    let error_id = element_id("error", &key);
    let label = format!(
        "{} ({})",
        lang.t(field.label_vi(), field.label_en()),
        row + 1
    );
    let invalid = error.is_some();
    rsx! {
        Field { input_id: input_id.clone(), label, error, error_id,
            input {
                id: "{input_id}",
                r#type: "text",
                inputmode: if field == OrgField::RepresentativeCitizenId { "numeric" } else { "text" },
                initial_value: "{value}",
                aria_invalid: if invalid { "true" } else { "false" },
                oninput: move |e: FormEvent| {
                    let v = e.value();
                    edits.apply(key.clone(), move |d: &mut WizardDraft| {
                        if let Some(r) = d.form.representatives.get_mut(row) {
                            if field == OrgField::RepresentativeName { r.full_name = v; } else { r.citizen_id = v; }
                        }
                    });
                },
            }
        }
    }
}
