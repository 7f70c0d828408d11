//! The HTTP layer: authentication of requests made in a session, and the router.

pub mod auth;
