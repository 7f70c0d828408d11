//! The device client's integration tests, one test binary: each file beside this one is a
//! module of it. One binary links the server (the tests run it in-process) and the client
//! once, where a binary per file linked them ten times (about 70 MB each); the tests run with
//! the same parallelism, as cargo ran the binaries one after another. `autotests = false` in
//! Cargo.toml, so a file must be listed here (tests/tests/test_binaries.rs fails for one that
//! is not).

// The harness the test modules share.
mod common;

mod app_flows;
mod cli;
mod co_representatives;
mod desktop_actions;
mod device;
mod live_events;
mod qr_corpus;
mod self_service;
mod service_sign_in;
mod services;
