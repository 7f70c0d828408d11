//! (being written)
/// Placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OldProvince;
/// Placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NewProvince;
