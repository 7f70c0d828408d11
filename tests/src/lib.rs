//! Shared helpers for the cross-crate tests in `tests/tests/`.

#[cfg(feature = "e2e")]
pub mod chromium;
#[cfg(feature = "e2e")]
pub mod e2e;
pub mod oidc_demo;
pub mod pdf;
#[cfg(feature = "e2e")]
pub mod screen_checks;
#[cfg(feature = "e2e")]
pub mod webdriver;

mod memory_store;
pub use memory_store::MemoryStore;
