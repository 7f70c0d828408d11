//! Organisation registration (Decree 69/2024/NĐ-CP, Arts. 12–13).
//!
//! A request's life once it is filed — co-representatives' consent, the registry check,
//! officer review, answers, withdrawal — is [`lifecycle`], a pure state machine; what an answer
//! may correct is [`correction`]. The form a person fills in and its rules per organisation
//! type are in [`crate::org_type`]; the request and response bodies in [`crate::api`].

pub mod correction;
pub mod lifecycle;

/// Longest answer to an officer's question, in characters. The server holds officers' reasons
/// and questions to the same limit.
pub const MAX_ANSWER_CHARS: usize = 2000;
