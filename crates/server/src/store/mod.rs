//! Storage: typed rows, the conversions of stored values, and the SQL. Functions take a
//! connection or a transaction, so one action's change, its audit entry and its notices commit
//! together.

pub mod acting_for;
pub mod audit;
pub mod delegations;
pub mod deployment_targets;
pub mod organisations;
pub mod roles;
pub mod tx;
pub mod values;
