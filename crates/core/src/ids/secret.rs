//! (being written)
/// Placeholder.
pub struct Password;
/// Placeholder.
pub struct Passcode;
