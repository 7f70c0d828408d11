//! One component per screen (see [`crate::nav::Screen`]).

pub mod co_representatives;
pub mod confirm;
pub mod desktop_action;
pub mod first_run;
pub mod home;
pub mod inbox;
pub mod my_data;
pub mod organisation;
pub mod places;
pub mod qr;
pub mod request;
pub mod security;
pub mod service_consents;
pub mod service_sign_in;
pub mod wizard;
