//! Set-up for the API conformance test (`tests/tests/api_conformance.rs`): schemathesis runs
//! from a virtual environment the test makes under the target directory (pinned version,
//! installed by pip on first use), which on Debian needs the `venv` module packaged apart
//! from Python. A virtual environment rather than `pip install --user`: Debian's Python
//! refuses user installs (PEP 668, "externally managed"), and the venv keeps the pinned
//! schemathesis and its dependencies away from anything else on the machine.

use anyhow::Result;

/// Debian packages: Python and its `venv` module (with `ensurepip`, so the venv has pip).
const APT: &[&str] = &["python3", "python3-venv"];

/// Installs what is missing (idempotent, like the rest of the set-up).
pub fn setup() -> Result<()> {
    crate::apt_install(APT)
}
