//! The wizard's draft on disk: read once per app start, saved after each pause in typing,
//! cleared once the request is sent.

use dinhdanh_core::app::{LoadDraftArgs, SaveDraftArgs};
use dioxus::prelude::*;

use crate::bridge;
use crate::form::{DRAFT_KEY, WizardDraft};
use crate::platform;
use crate::state::Ctx;

/// Reads the saved draft once per app start, when the wizard opens with an empty form.
pub(super) fn load_draft_once(c: Ctx) {
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
/// `generation` counts the changes, so only the last one of a burst writes.
pub(super) fn save_draft_soon(wizard: Signal<WizardDraft>, mut generation: Signal<u64>) {
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
            json: wizard.peek().to_json(),
        };
        // Best effort: the form stays in memory whatever happens to the copy on disk.
        let _ = bridge::save_draft(&args).await;
    });
}

/// Saves the draft now, without waiting for the pause in typing: the app is going to the
/// background, where the operating system may end it. Nothing to do for an empty form (none
/// begun, or the request was sent and the draft cleared).
pub async fn flush_draft(c: Ctx) {
    let json = {
        let wizard = c.wizard.peek();
        if wizard.is_empty() {
            return;
        }
        wizard.to_json()
    };
    let args = SaveDraftArgs {
        key: DRAFT_KEY.to_owned(),
        json,
    };
    // Best effort, as every save: the form stays in memory whatever happens to the copy.
    let _ = bridge::save_draft(&args).await;
}

/// Empties the form and the saved draft (the request was sent).
pub async fn clear_draft(c: Ctx) {
    let mut wizard = c.wizard;
    wizard.set(WizardDraft::default());
    let cleared = SaveDraftArgs {
        key: DRAFT_KEY.to_owned(),
        json: WizardDraft::default().to_json(),
    };
    let _ = bridge::save_draft(&cleared).await;
}
