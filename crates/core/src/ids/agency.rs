//! (being written)
use crate::error::{IdError, IdKind, IdProblem};
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgencyCode(String);
impl AgencyCode {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(AgencyCode(s.to_owned()))
    }
}
super::string_id!(AgencyCode);
