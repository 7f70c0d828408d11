//! (being written)
use crate::error::{IdError, IdKind, IdProblem};
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgEid(String);
impl OrgEid {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(OrgEid(s.to_owned()))
    }
}
super::string_id!(OrgEid);
