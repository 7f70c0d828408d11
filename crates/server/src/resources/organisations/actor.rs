//! Who acts: the server's one [`Actor`] and audited refusal live with the audit trail
//! ([`crate::store::audit`]); organisations' handlers and the resources that call them name
//! them from here.

pub use crate::store::audit::{Actor, audit_record, refuse};
