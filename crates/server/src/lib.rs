//! # dinhdanh-server
//!
//! The reference backend Định Danh talks to: axum over sqlx, SQLite (WAL) as the embedded
//! default and PostgreSQL for deployments that outgrow one machine. It verifies every signed
//! action and request proof with the same core-crate functions the device uses to make them.
//!
//! Status: the crate exists so the workspace has its final shape; its content is the work of
//! the backend issues. Until then it only re-exports the core crate it builds on.

pub use dinhdanh_core as core;
