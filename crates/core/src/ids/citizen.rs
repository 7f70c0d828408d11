//! (being written)
use crate::error::{IdError, IdKind, IdProblem};
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CitizenId(String);
impl CitizenId {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(CitizenId(s.to_owned()))
    }
}
super::string_id!(CitizenId);
/// Placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Gender { Male, Female }
