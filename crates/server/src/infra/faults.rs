//! Failures a test asks for, to show that an action commits whole or not at all. Armed only
//! through `dinhdanh_server::testing`; in production the list stays empty and costs one lock
//! per action. A run-time switch rather than a cargo feature: feature unification would compile
//! it into the binaries the end-to-end tests run.

use std::sync::Mutex;

/// Armed failures, one-shot each.
#[derive(Default)]
pub struct Faults(Mutex<Vec<Fault>>);

/// Fail the next transaction of `action` once it has taken `after_steps` steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The action's name, as its transaction was begun with (`registration.consent`).
    pub action: String,
    /// How many steps succeed before the failure.
    pub after_steps: usize,
}

impl Faults {
    /// Arms a failure for the next transaction of `fault.action`.
    pub fn arm(&self, fault: Fault) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(fault);
    }

    /// Takes the failure armed for `action`, if any.
    pub fn take(&self, action: &str) -> Option<usize> {
        let mut armed = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = armed.iter().position(|f| f.action == action)?;
        Some(armed.remove(at).after_steps)
    }

    /// Whether a failure is still armed (the action it names never ran).
    pub fn pending(&self) -> Vec<Fault> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
