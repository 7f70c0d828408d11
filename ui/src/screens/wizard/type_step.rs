//! Wizard, step 1: the four types, each with a line explaining it.

use dinhdanh_core::org_type::OrgType;
use dioxus::prelude::*;

use crate::format;
use crate::nav::Screen;
use crate::state::ctx;

use super::draft::{load_draft_once, save_draft_soon};

/// Wizard, step 1: choose the type.
#[component]
pub fn WizardType() -> Element {
    let c = ctx();
    use_hook(move || load_draft_once(c));
    let generation = use_signal(|| 0u64);
    let chosen = c.wizard.read().org_type;
    let choose = move |t: OrgType| {
        let mut wizard = c.wizard;
        let mut w = wizard.write();
        w.org_type = Some(t);
        w.ensure_representative_row();
        drop(w);
        save_draft_soon(c.wizard, generation);
    };
    rsx! {
        div { id: "screen-wizard-type", class: "screen",
            p { class: "step", {c.t("Bước 1/3", "Step 1 of 3")} }
            h1 { {c.t("Chọn loại tổ chức", "Choose the organisation type")} }
            div { class: "type-list", role: "radiogroup",
                for t in OrgType::ALL {
                    TypeCard { key: "{t.number()}", org_type: t, selected: chosen == Some(t), on_choose: choose }
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

/// One type to choose: its number, name and what it is for.
#[component]
fn TypeCard(org_type: OrgType, selected: bool, on_choose: EventHandler<OrgType>) -> Element {
    let lang = ctx().l();
    let t = org_type;
    rsx! {
        button {
            id: "type-{format::serde_name(&t)}",
            class: if selected { "type-card selected" } else { "type-card" },
            r#type: "button",
            role: "radio",
            aria_checked: if selected { "true" } else { "false" },
            onclick: move |_| on_choose.call(t),
            span { class: "type-number", "{t.number()}" }
            span { class: "type-body",
                span { class: "type-label", {lang.t(t.label_vi(), t.label_en())} }
                span { class: "type-text", {lang.t(t.description_vi(), t.description_en())} }
            }
        }
    }
}
