//! Storage: typed rows, the conversions of stored values, and the SQL. Functions take a
//! connection or a transaction, so one action's change, its audit entry and its notices commit
//! together.

pub mod accounts;
pub mod acting_for;
pub mod audit;
pub mod backup;
pub mod challenges;
pub mod citizens;
pub mod confirmation_keys;
pub mod console_sessions;
pub mod delegation_services;
pub mod delegations;
pub mod deployment_targets;
pub mod desktop_actions;
pub mod devices;
pub mod holidays;
pub mod live_events;
pub mod notifications;
pub mod officers;
pub mod oidc_clients;
pub mod oidc_consents;
pub mod oidc_keys;
pub mod oidc_logouts;
pub mod oidc_requests;
pub mod oidc_sign_ins;
pub mod oidc_tokens;
pub mod one_time_codes;
pub mod organisations;
pub mod proof_nonces;
pub mod qr_login;
pub mod registration_attachments;
pub mod registrations;
pub mod registry;
pub mod roles;
pub mod sessions;
pub mod sweep;
pub mod tx;
pub mod values;
