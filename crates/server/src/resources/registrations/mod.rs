//! Organisation registration requests (Decree 69/2024/NĐ-CP, Arts. 12–13): submission,
//! co-representatives' consent, the registry check and the automatic decision, officer review,
//! answers to officers' questions, withdrawal, attachments, and in-person registration.
//!
//! **Who asks.** A level-2 account submits, confirmed with a signed action
//! (`register_organisation`, target `registration:new`). The requester is a legal
//! representative / head, or a person they authorised, who attaches the authorisation letter
//! (Art. 12). The details are validated again here with the core crate's rules, so the server
//! and the app agree on what is valid.
//!
//! **Consent.** Where the organisation has several legal representatives, the others consent
//! first — and when an authorised person asks, every representative does, confirming in the
//! app what their letter says: each with an account is notified (inbox and SMS) and answers
//! with a signed action
//! (`consent_to_registration` / `refuse_registration`). One refusal withdraws the request. A
//! representative without an account cannot answer in the app, so the request then goes to an
//! officer, who obtains that consent in person.
//!
//! **Decision.** Types 1–3 are checked against their registry through
//! [`crate::resources::registry::RegistryAdapter`]. Found, active, matching name, date, address and
//! representatives, requested by a recorded representative in person (not by an authorised
//! person): approved at once, and the organisation's account is created
//! ([`crate::resources::organisations::create_organisation`]). Anything else — and every type 4 — waits for
//! an officer of the head office's province, with the reason shown.
//!
//! **Due dates** (Art. 13): 3 working days from submission when the registry settles the
//! request, 15 days when an officer must verify it. Working days are Monday to Friday, less
//! the days off of the operator-maintained table (Tết included) and plus its make-up working
//! Saturdays ([`crate::resources::holidays`]); a change to the table counts the open requests'
//! due dates again in its transaction. Dates are Vietnam's (UTC+7).
//!
//! **Privacy.** The submitted details list representatives' full identification numbers: they
//! are stored encrypted ([`crate::infra::keys::ServerKeys::encrypt_blob`]); representatives are kept
//! as look-up keys for authorization; registry values shown to officers are masked. Attachments
//! live outside the database, named by their SHA-256, and are served only to their uploader and
//! to officers of the province of a request they are attached to.
//!
//! **Lifecycle.** Every status change goes through the core's machine
//! ([`dinhdanh_core::registration::lifecycle`]): `file` for a new request, `handle` for each
//! event; its effects say what happens next (ask for consent, check the registry, send to an
//! officer, create the organisation, tell the requester). The status is written only where the
//! request still has the one it was read with (`lifecycle.rs` in this folder).
//!
//! **One transaction per action.** Each action (filing, consent, answer, withdrawal, an
//! officer's decision, an upload) changes the request, its history, its audit entries and its
//! notices in one [`crate::store::tx::Tx`]. An approval creates the organisation's account
//! ([`crate::resources::organisations::create_organisation_in`]) in the approving action's
//! transaction too, with its number on the request, the history, the audit entry and the
//! requester's notice.
//!
//! Every step is audited with the person who took it as actor (the officer for in-person
//! registration and decisions), refusals too.

use axum::routing::{get, post};
use dinhdanh_core::api::paths;
use dinhdanh_core::registration::MAX_ANSWER_CHARS;

use crate::infra::state::AppState;

mod attachments;
mod dates;
mod in_person;
mod lifecycle;
mod officers;
mod people;
mod queue_cursor;
mod requester;
mod stored;
mod submission;
mod views;

pub use crate::store::registrations::{QueueFilter, QueueFrom, QueueKey};
pub use attachments::{
    checked_media_type, keep_content, kept_content, read_attachment, store_attachment,
};
pub use dates::{
    MovedDueDate, calendar_for_display, calendar_from, due_date, recount_open_due_dates,
    vietnam_date, working_days_between,
};
pub use in_person::{check_in_person, file_in_person, keep_scan, register_in_person};
pub use officers::{
    WeekCount, check_console_decision, decide_confirmed, decide_in_person, list_requests,
    province_queue, province_queue_size, province_statistics, queue_entry, statistics_in,
    weekly_trend,
};
pub use queue_cursor::{BadCursor, QueueCursor, key_of};
pub use stored::{StoredRegistration, load, org_key};
pub use submission::{
    CheckedRegistration, check_new_registration, file_new_registration, new_registration_target,
    submission_name, with_derived_capacity,
};
pub use views::view;

/// Working days to decide a request the registry settles (Decree 69/2024, Art. 13).
pub const REGISTRY_DUE_WORKING_DAYS: u32 = 3;
/// Days to decide a request an officer must verify (Decree 69/2024, Art. 13).
pub const VERIFICATION_DUE_DAYS: u64 = 15;
/// Longest officer reason or question, and requester answer, in characters.
pub const MAX_TEXT_CHARS: usize = MAX_ANSWER_CHARS;
/// Queue items per page.
pub const QUEUE_PAGE: i64 = 50;

/// Routes of this module.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            paths::REGISTRATIONS,
            post(submission::submit).get(submission::list_own),
        )
        .route(paths::REGISTRATION, get(submission::show))
        .route(paths::REGISTRATION_CONSENT, post(requester::consent))
        .route(paths::REGISTRATION_ANSWER, post(requester::answer))
        .route(paths::REGISTRATION_WITHDRAWAL, post(requester::withdraw))
        .route(paths::ATTACHMENTS, post(attachments::upload))
        .route(paths::ATTACHMENT, get(attachments::download))
        .route(paths::OFFICER_QUEUE, get(officers::queue))
        .route(paths::OFFICER_DECISION, post(officers::officer_decision))
        .route(paths::OFFICER_STATISTICS, get(officers::statistics))
}
