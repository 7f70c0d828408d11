//! The bench's corpora beyond the test corpus: one generator per file, each on its own model
//! of how a phone sees a code, and the pieces they share (`scene`).

pub mod glare;
pub mod night;
pub mod paper;
pub mod scene;
pub mod screen;
