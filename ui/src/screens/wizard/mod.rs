//! The registration wizard: choose the type, fill in its form (validated inline by the core
//! crate, documents uploaded as they are picked), review, confirm. The form lives in the
//! shared state and is saved as a draft on every change, so nothing typed is lost on an error,
//! when going back, or when the app goes to the background.

mod documents;
mod draft;
mod edits;
mod form_step;
mod representatives;
mod review_step;
mod type_step;

pub use self::draft::{clear_draft, flush_draft};
pub use self::form_step::WizardForm;
pub use self::review_step::WizardReview;
pub use self::type_step::WizardType;
