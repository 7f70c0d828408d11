//! (being written)
use crate::error::{IdError, IdKind, IdProblem};
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);
impl PhoneNumber {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(PhoneNumber(s.to_owned()))
    }
}
super::string_id!(PhoneNumber);
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);
impl Email {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(Email(s.to_owned()))
    }
}
super::string_id!(Email);
