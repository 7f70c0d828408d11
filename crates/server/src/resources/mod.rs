//! The API's resources, one folder each with its routes, handlers and rules. A resource
//! reaches another only through that one's service API.

pub mod accounts;
pub mod challenges;
pub mod clients;
pub mod console;
pub mod delegations;
pub mod desktop_actions;
pub mod devices;
pub mod holidays;
pub mod live;
pub mod officers;
pub mod oidc;
pub mod organisations;
pub mod progress;
pub mod qr_login;
pub mod registrations;
pub mod registry;
pub mod services;
pub mod sessions;
pub mod step_up;
