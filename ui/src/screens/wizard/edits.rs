//! What the form step hands its inputs: a way to record an edit, and the error messages.

use std::collections::{BTreeMap, BTreeSet};

use dioxus::prelude::*;

use crate::form::WizardDraft;

use super::draft::save_draft_soon;

/// Error messages by key (see [`crate::form::error_key`]), in the language shown.
pub(super) type Messages = BTreeMap<String, String>;

/// How an input of the form records an edit: the draft changes, the field counts as touched
/// (its errors show from then on), and the draft is saved soon. The touched fields and the
/// save timer are the form step's own state; the draft is the wizard's (shared by its three
/// steps and the keypad, see [`crate::state::Ctx::wizard`]).
#[derive(Clone, Copy, PartialEq)]
pub(super) struct Edits {
    wizard: Signal<WizardDraft>,
    touched: Signal<BTreeSet<String>>,
    generation: Signal<u64>,
}

impl Edits {
    /// Edits of `wizard`, recording touched fields in `touched` and counting changes in
    /// `generation` (for the save timer).
    pub(super) fn new(
        wizard: Signal<WizardDraft>,
        touched: Signal<BTreeSet<String>>,
        generation: Signal<u64>,
    ) -> Edits {
        Edits {
            wizard,
            touched,
            generation,
        }
    }

    /// Applies `change` to the draft, marking the field `key` touched.
    pub(super) fn apply(self, key: String, change: impl FnOnce(&mut WizardDraft)) {
        let (mut wizard, mut touched) = (self.wizard, self.touched);
        change(&mut wizard.write());
        touched.write().insert(key);
        save_draft_soon(self.wizard, self.generation);
    }
}
