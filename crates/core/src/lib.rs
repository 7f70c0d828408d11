//! # dinhdanh-core
//!
//! The sans-IO heart of Định Danh, the organisation electronic identity app of Decree
//! 69/2024/NĐ-CP. Everything here is pure: identifiers that can only hold valid values,
//! the four organisation types, the wire types every party shares, the canonical encoding of
//! signed actions and per-request proofs, a registration request's lifecycle as a state
//! machine, and the QR-login payload. No network, no filesystem, no clock, no randomness:
//! callers pass time and random bytes in, so the same code runs in the server, the device
//! client and the wasm UI.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod account;
pub mod api;
pub mod app;
pub mod calendar;
pub mod crypto;
pub mod error;
pub mod ids;
mod openapi;
pub mod org_type;
pub mod patterns;
pub mod qr_login;
pub mod registration;
pub mod request_proof;
pub mod signed_action;
pub mod text;

pub use error::{IdError, IdKind, IdProblem};
