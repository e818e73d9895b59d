//! The real Python AEA pipe as a peer: a venv under `target/aea-venv`, set up on first use by
//! `tests/python/setup_venv.sh` (and reused afterwards), and `tests/python/aea_peer.py` run in it.
//!
//! If Python is missing or the install fails, the calling test fails with the script's message
//! (what to install): there is no silent skip.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_owned()
}

/// Where the venv lives: `$CARGO_TARGET_DIR/aea-venv`, or `target/aea-venv`.
pub fn venv_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    target.join("aea-venv")
}

/// The path of `tests/python/aea_peer.py`.
pub fn aea_peer_script() -> PathBuf {
    workspace_root().join("tests/python/aea_peer.py")
}

/// The venv's python with `aea` installed, setting the venv up on first use.
///
/// # Panics
///
/// With the setup script's own message when Python 3.8-3.11, its venv module or PyPI is not
/// available: the tests that need the AEA peer cannot run without it, and say so.
pub fn aea_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = PYTHON.get_or_init(|| {
        let script = workspace_root().join("tests/python/setup_venv.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg(venv_dir())
            .output()
            .map_err(|e| format!("cannot run {}: {e} (is bash installed?)", script.display()))?;
        if !output.status.success() {
            return Err(format!(
                "setting up the Python AEA peer failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let python = stdout.lines().last().unwrap_or_default().trim();
        Ok(PathBuf::from(python))
    });
    match result {
        Ok(python) => python.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// A `Command` running `aea_peer.py` with the venv's python and the given arguments.
pub fn aea_peer(args: &[&str]) -> Command {
    let mut command = Command::new(aea_python());
    command.arg(aea_peer_script()).args(args);
    command
}
