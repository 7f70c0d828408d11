//! Desktop actions: their limits.

pub use crate::resources::desktop_actions::{MAX_WAITING_PER_DESKTOP, PENDING_SECS};
