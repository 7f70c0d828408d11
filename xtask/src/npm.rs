//! The project's Node packages, each installed from its own `package-lock.json` with `npm ci`
//! when its `node_modules` is missing or the lock file changed since the last install (a
//! second run costs nothing): the demo relying party (`demo/service/`) and pdf.js for the
//! officer console (`crates/server/pdfjs/`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::step;

/// Node's oldest major version the packages are installed with (and the demo runs on).
const NODE_MAJOR: u32 = 20;

/// The copy of `package-lock.json` the last successful `npm ci` installed from.
const INSTALLED_LOCK: &str = "node_modules/.dinhdanh-installed-lock.json";

/// The console's pdf.js package.
pub const PDFJS_DIR: &str = "crates/server/pdfjs";
/// What the server's `--pdfjs-dir` names: the package's own folder.
pub const PDFJS_PACKAGE: &str = "crates/server/pdfjs/node_modules/pdfjs-dist";

/// Checks Node and runs `npm ci <extra>` in `dir` when needed; `what` names the packages in
/// the progress line.
pub fn ci(dir: &str, what: &str, extra: &[&str]) -> Result<()> {
    let version = super::output("node", &["--version"]).unwrap_or_default();
    let major: Option<u32> = version
        .trim()
        .strip_prefix('v')
        .and_then(|v| v.split('.').next())
        .and_then(|v| v.parse().ok());
    match major {
        Some(m) if m >= NODE_MAJOR => {}
        _ => bail!(
            "{what} need Node.js {NODE_MAJOR} or later (found {:?}); install it \
             (Debian: `apt-get install nodejs npm`, or from nodejs.org)",
            version.trim()
        ),
    }
    let path = Path::new(dir);
    let lock = std::fs::read(path.join("package-lock.json"))
        .with_context(|| format!("{dir}/package-lock.json"))?;
    let installed = std::fs::read(path.join(INSTALLED_LOCK)).ok();
    if installed.as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    step(&format!(
        "installing {what} (npm ci, from {dir}/package-lock.json)"
    ));
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .args(extra)
        .current_dir(path)
        .status()
        .context("could not start npm")?;
    if !status.success() {
        bail!("`npm ci` in {dir} failed ({status})");
    }
    std::fs::write(path.join(INSTALLED_LOCK), &lock)?;
    Ok(())
}

/// Installs pdf.js for the console (its optional dependencies are a native canvas for Node,
/// which the browser does not need) and returns the folder to give the server.
pub fn pdfjs(root: &Path) -> Result<std::path::PathBuf> {
    ci(
        PDFJS_DIR,
        "pdf.js for the officer console",
        &["--omit=optional"],
    )?;
    Ok(root.join(PDFJS_PACKAGE))
}
