//! The form's documents: each uploaded as soon as it is picked, its attachment id then kept in
//! the draft.

use dinhdanh_core::app::UploadAttachmentArgs;
use dinhdanh_core::org_type::DocumentKind;
use dioxus::prelude::*;

use crate::bridge;
use crate::form;
use crate::state::ctx;
use crate::widgets::Field;

use super::edits::Edits;

/// One document: the file input (with `data-uploaded` once the upload succeeded), what it
/// takes, and whether it is uploading or uploaded.
#[component]
pub(super) fn DocumentField(
    kind: DocumentKind,
    required: bool,
    uploaded: bool,
    error: Option<String>,
    edits: Edits,
) -> Element {
    let c = ctx();
    let lang = c.l();
    // This document's upload under way (each document its own, so two at once show both).
    let mut uploading = use_signal(|| false);
    let key = kind.field().code();
    let upload = move |evt: FormEvent| {
        let Some(file) = evt.files().into_iter().next() else {
            return;
        };
        spawn(async move {
            uploading.set(true);
            let bytes = match file.read_bytes().await {
                Ok(b) => b.to_vec(),
                Err(_) => {
                    uploading.set(false);
                    c.fail(bridge::internal_error());
                    return;
                }
            };
            let args = UploadAttachmentArgs {
                kind,
                content: bytes,
            };
            if let Some(view) = c.run(bridge::upload_attachment(&args)).await {
                edits.apply(kind.field().code().to_owned(), |d| {
                    if let Some(slot) = form::field_mut(&mut d.form, kind.field()) {
                        *slot = view.id.to_string();
                    }
                });
            }
            uploading.set(false);
        });
    };
    let label = format!(
        "{}{}",
        lang.t(kind.label_vi(), kind.label_en()),
        if required { " *" } else { "" }
    );
    rsx! {
        Field { input_id: "file-{key}", label, error, error_id: "error-{key}", class: "field file-field",
            if kind == DocumentKind::AuthorisationLetter {
                p { class: "hint", {c.t("Chỉ cần khi bạn không phải người đại diện theo pháp luật.", "Needed only when you are not a legal representative.")} }
            }
            input {
                id: "file-{key}",
                r#type: "file",
                accept: "application/pdf,image/jpeg,image/png",
                "data-uploaded": if uploaded { "true" } else { "false" },
                onchange: upload,
            }
            p { class: "hint",
                if *uploading.read() { {c.t("Đang tải lên…", "Uploading…")} }
                else if uploaded { {c.t("✓ Đã tải lên", "✓ Uploaded")} }
                else { {c.t("PDF, JPEG hoặc PNG, tối đa 10 MB.", "PDF, JPEG or PNG, at most 10 MB.")} }
            }
        }
    }
}
