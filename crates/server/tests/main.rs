//! The server's integration tests, one test binary: each file beside this one is a module
//! of it. One binary links the server and its dependencies once, where a binary per file
//! linked them 32 times (about 60 MB each with line tables: 1.9 GB of a CI run's disk, and
//! a link each); the tests run with the same parallelism, as cargo ran the binaries one
//! after another. `autotests = false` in Cargo.toml, so a file must be listed here
//! (tests/tests/test_binaries.rs fails for one that is not).

// Helpers the test modules share (the benches include them by path too).
mod common;
mod identity;
mod oidc_rp;
mod qr_desktop;

mod accounts;
mod audit;
mod backup;
mod confirmation;
mod console;
mod delegation_model;
mod delivery;
mod desktop_actions;
mod devices;
mod harness;
mod layers;
mod live_events;
mod officer_cli;
mod oidc;
mod oidc_app_links;
mod oidc_clients;
mod oidc_jwks_uri;
mod oidc_limits;
mod oidc_logout;
mod oidc_page;
mod oidc_services;
mod openapi;
mod organisation_atomicity;
mod organisations;
mod qr_login;
mod qr_login_push;
mod registration_atomicity;
mod registrations;
mod scale_out;
mod schema_upgrade;
mod sessions;
mod step_up;
