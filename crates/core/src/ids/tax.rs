//! (being written)
use crate::error::{IdError, IdKind, IdProblem};
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxCode(String);
impl TaxCode {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(TaxCode(s.to_owned()))
    }
}
super::string_id!(TaxCode);
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnterpriseCode(String);
impl EnterpriseCode {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(EnterpriseCode(s.to_owned()))
    }
}
super::string_id!(EnterpriseCode);
/// Placeholder while the module is written.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CooperativeCode(String);
impl CooperativeCode {
    /// Parses.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() { return Err(IdError::new(IdKind::OpaqueId, IdProblem::Empty)); }
        Ok(CooperativeCode(s.to_owned()))
    }
}
super::string_id!(CooperativeCode);
