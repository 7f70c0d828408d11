//! Storage: typed rows, the conversions of stored values, and the SQL. Functions take a
//! connection or a transaction, so one action's change, its audit entry and its notices commit
//! together.

pub mod audit;
pub mod challenges;
pub mod confirmation_keys;
pub mod desktop_actions;
pub mod qr_login;
pub mod registry;
pub mod roles;
pub mod tx;
pub mod values;
