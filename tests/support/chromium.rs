//! Debian's Chromium for the browser tests, installed on first use so that the README's
//! one test command (`cargo test`) passes on a fresh machine: when `/usr/bin/chromium` is
//! missing, `.ci/install-browser` (apt-get, as root or through sudo) runs once per test
//! binary. A machine where that cannot work fails the test with the installer's own
//! words; a browser test is never skipped.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// Debian's `chromium` package, as `.ci/install-browser` installs it.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The path of Chromium, installing it first if it is missing.
pub fn chromium() -> &'static str {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| {
        if Path::new(CHROMIUM).is_file() {
            return Ok(());
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/install-browser");
        eprintln!("{CHROMIUM} is missing: running {script}");
        let out = Command::new("bash")
            .arg(script)
            .output()
            .map_err(|e| format!("could not run {script}: {e}"))?;
        if out.status.success() && Path::new(CHROMIUM).is_file() {
            Ok(())
        } else {
            Err(format!(
                "{script} did not install {CHROMIUM} ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(why) = installed {
        panic!("the browser test needs Debian's chromium: {why}");
    }
    CHROMIUM
}
