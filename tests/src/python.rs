//! The real Python AEA pipe as a peer: each AEA implementation the suite knows ([`Kind`]), in
//! its own venv under `target/aea-venv` (`$CARGO_TARGET_DIR/aea-venv`), named by the peer, its
//! version and the Python minor version, e.g. `target/aea-venv/open-aea-2.2.10-py3.13`. Each is
//! set up on first use by `tests/python/setup_venv.sh` (and reused afterwards), and
//! `tests/python/aea_peer.py` is run in it.
//!
//! Which interpreter runs which peer is the setup script's choice: `$PYTHON` if set, otherwise
//! the newest Python in the peer's range among `python3`, every `python3.X` on `PATH` and
//! pyenv's versions. A `PYTHON` that one peer cannot run leaves that peer without an
//! interpreter.
//!
//! No silent skip: a peer whose interpreter exists but whose venv cannot be made fails the
//! tests that use it with the script's message. A peer with no interpreter at all is said in
//! one line on stderr, shown even by a passing test, and its tests pass without running, unless
//! no other peer can run either, or `PIPE_TESTS_REQUIRE_PEERS` (a comma-separated list of peer
//! names, e.g. `aea,open-aea`) names it: then they fail, saying what to install.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the workspace").to_owned()
}

/// Where the venvs live: `$CARGO_TARGET_DIR/aea-venv`, or `target/aea-venv`.
pub fn venv_root() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    target.join("aea-venv")
}

/// The path of `tests/python/aea_peer.py`.
pub fn aea_peer_script() -> PathBuf {
    workspace_root().join("tests/python/aea_peer.py")
}

/// An AEA implementation of the pipe, at the version the suite pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `aea` 1.2.1 (2021), on Python 3.8 to 3.11.
    Aea,
    /// `open-aea` 2.2.10, the maintained fork, on Python 3.10 to 3.14.
    OpenAea,
}

impl Kind {
    /// Every peer, in the order [`default_peer`] prefers them.
    pub const ALL: [Kind; 2] = [Kind::OpenAea, Kind::Aea];

    /// The name the setup script and `PIPE_TESTS_REQUIRE_PEERS` use: `aea` or `open-aea`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Aea => "aea",
            Kind::OpenAea => "open-aea",
        }
    }

    /// The pinned version.
    pub fn version(self) -> &'static str {
        match self {
            Kind::Aea => "1.2.1",
            Kind::OpenAea => "2.2.10",
        }
    }
}

/// One peer, installed: its venv's python runs `aea_peer.py`.
#[derive(Debug, Clone)]
pub struct AeaPeer {
    /// Which implementation.
    pub kind: Kind,
    /// The interpreter's version, e.g. `3.13.0`.
    pub python_version: String,
    /// The interpreter the venv was made from.
    pub base_python: PathBuf,
    /// The venv's directory.
    pub venv: PathBuf,
    /// The venv's python.
    pub python: PathBuf,
}

impl AeaPeer {
    /// E.g. `open-aea 2.2.10 on Python 3.13.0`.
    pub fn label(&self) -> String {
        format!("{} {} on Python {}", self.kind.name(), self.kind.version(), self.python_version)
    }

    /// A `Command` running `aea_peer.py` in this venv with `args`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.python);
        command.arg(aea_peer_script()).args(args);
        command
    }
}

/// What setting up one peer came to.
#[derive(Debug, Clone)]
pub enum Setup {
    /// Installed (or reused).
    Ready(AeaPeer),
    /// No interpreter that can run it exists here; the script's one-line reason.
    NoInterpreter(String),
    /// An interpreter exists, but the venv could not be made; the script's message.
    Failed(String),
}

/// Runs `setup_venv.sh` for `kind` (with `--find`: only says what it would use).
fn run_setup(kind: Kind, find: bool) -> Setup {
    let script = workspace_root().join("tests/python/setup_venv.sh");
    let mut command = Command::new("bash");
    command.arg(&script);
    if find {
        command.arg("--find");
    }
    let output = match command.arg(kind.name()).arg(venv_root()).output() {
        Ok(output) => output,
        Err(e) => return Setup::Failed(format!("cannot run {}: {e} (is bash installed?)", script.display())),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(3) {
        return Setup::NoInterpreter(stderr.trim().to_owned());
    }
    let field =
        |word: &str| stdout.lines().find_map(|line| line.strip_prefix(word).and_then(|rest| rest.strip_prefix(' ')));
    match (output.status.success(), field("PYTHON"), field("VENV"), stdout.lines().last()) {
        (true, Some(python), Some(venv), Some(venv_python)) => {
            let (version, base) = python.split_once(' ').unwrap_or((python, ""));
            Setup::Ready(AeaPeer {
                kind,
                python_version: version.to_owned(),
                base_python: PathBuf::from(base),
                venv: PathBuf::from(venv),
                python: PathBuf::from(venv_python.trim()),
            })
        }
        _ => Setup::Failed(format!(
            "setting up {} {} failed ({}):\n{stdout}{stderr}",
            kind.name(),
            kind.version(),
            output.status
        )),
    }
}

/// Sets `kind` up once per process (later calls get the same answer).
pub fn setup(kind: Kind) -> &'static Setup {
    static AEA: OnceLock<Setup> = OnceLock::new();
    static OPEN_AEA: OnceLock<Setup> = OnceLock::new();
    let cell = match kind {
        Kind::Aea => &AEA,
        Kind::OpenAea => &OPEN_AEA,
    };
    cell.get_or_init(|| run_setup(kind, false))
}

/// The peers `PIPE_TESTS_REQUIRE_PEERS` names.
///
/// # Panics
///
/// On a name that is no peer.
pub fn required_peers() -> Vec<Kind> {
    let list = std::env::var("PIPE_TESTS_REQUIRE_PEERS").unwrap_or_default();
    list.split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            Kind::ALL
                .into_iter()
                .find(|kind| kind.name() == name)
                .unwrap_or_else(|| panic!("PIPE_TESTS_REQUIRE_PEERS names '{name}': the peers are aea and open-aea"))
        })
        .collect()
}

/// Writes `line` on stderr once per process. Written to the stream itself, not with
/// `eprintln!`, so that the test harness shows it even for a test that passes.
fn say_once(line: String) {
    static SAID: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.get_or_insert_with(HashSet::new).insert(line.clone()) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// The peer `kind`, set up on first use, or `None` if no interpreter for it exists here (said
/// once on stderr).
///
/// # Panics
///
/// With the setup script's message if an interpreter exists but the venv cannot be made; and
/// when no interpreter exists for it while `PIPE_TESTS_REQUIRE_PEERS` names it, or while no
/// other peer can run either (saying what to install).
pub fn peer(kind: Kind) -> Option<&'static AeaPeer> {
    match setup(kind) {
        Setup::Ready(peer) => {
            say_once(format!("peer: {} ({})", peer.label(), peer.venv.display()));
            Some(peer)
        }
        Setup::Failed(message) => panic!("{message}"),
        Setup::NoInterpreter(reason) => {
            if required_peers().contains(&kind) {
                panic!("{reason}; PIPE_TESTS_REQUIRE_PEERS={} requires it", required_list());
            }
            let others: Vec<&Setup> = Kind::ALL.into_iter().filter(|&k| k != kind).map(setup).collect();
            if others.iter().all(|s| matches!(s, Setup::NoInterpreter(_))) {
                panic!("no AEA peer can run here, so the Python interop tests cannot run:\n{}", no_peer_message());
            }
            say_once(format!("peer: not run: {reason}"));
            None
        }
    }
}

fn required_list() -> String {
    std::env::var("PIPE_TESTS_REQUIRE_PEERS").unwrap_or_default()
}

/// Every peer's reason for having no interpreter, one a line.
fn no_peer_message() -> String {
    Kind::ALL
        .into_iter()
        .map(|kind| match setup(kind) {
            Setup::NoInterpreter(reason) => format!("  {reason}"),
            _ => format!("  {} {}: ready", kind.name(), kind.version()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The peer for tests that need one and do not run per peer: the first of [`Kind::ALL`] that can
/// be installed here (open-aea 2.2.10, else aea 1.2.1).
///
/// # Panics
///
/// When a peer that has an interpreter cannot be installed, or when no peer can run here (with
/// what to install).
pub fn default_peer() -> &'static AeaPeer {
    Kind::ALL
        .into_iter()
        .find_map(|kind| match setup(kind) {
            Setup::Ready(peer) => {
                say_once(format!("peer: {} ({})", peer.label(), peer.venv.display()));
                Some(peer)
            }
            Setup::Failed(message) => panic!("{message}"),
            Setup::NoInterpreter(_) => None,
        })
        .unwrap_or_else(|| panic!("no AEA peer can run here:\n{}", no_peer_message()))
}

/// The default peer's venv python, setting it up on first use.
///
/// # Panics
///
/// As [`default_peer`].
pub fn aea_python() -> PathBuf {
    default_peer().python.clone()
}

/// A `Command` running `aea_peer.py` with the default peer and the given arguments.
///
/// # Panics
///
/// As [`default_peer`].
pub fn aea_peer(args: &[&str]) -> Command {
    default_peer().command(args)
}

/// The directory the default peer's venv has (or would have) here, without installing anything:
/// open-aea's if an interpreter can run it, else aea's, else open-aea's on the newest Python it
/// runs on.
pub fn venv_dir() -> PathBuf {
    Kind::ALL
        .into_iter()
        .find_map(|kind| match run_setup(kind, true) {
            Setup::Ready(peer) => Some(peer.venv),
            _ => None,
        })
        .unwrap_or_else(|| venv_root().join("open-aea-2.2.10-py3.13"))
}

#[cfg(all(test, unix))]
mod tests {
    //! How `setup_venv.sh --find` picks an interpreter, with stand-in interpreters: scripts that
    //! answer the version probe as a Python of a given version would, or fail as a pyenv shim for
    //! a version that is not selected does.

    use std::os::unix::fs::{symlink, PermissionsExt};
    use std::path::Path;

    use super::*;

    /// Answers to one run of `setup_venv.sh --find`.
    struct Found {
        code: Option<i32>,
        stdout: String,
        stderr: String,
    }

    impl Found {
        /// The `PYTHON <version> <interpreter>` line's version.
        fn python_version(&self) -> Option<&str> {
            self.stdout.lines().find_map(|l| l.strip_prefix("PYTHON "))?.split(' ').next()
        }
    }

    /// A stand-in interpreter at `path`: `Some(version)` answers the probe, `None` fails.
    fn fake_python(path: &Path, version: Option<&str>) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let body = match version {
            Some(version) => format!("#!/bin/sh\necho \"{version} $0\"\n"),
            None => "#!/bin/sh\necho 'pyenv: python3: command not found' >&2\nexit 127\n".to_owned(),
        };
        std::fs::write(path, body).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs `setup_venv.sh --find peer` with `PATH` holding only `on_path` (name, version) and
    /// the tools the script needs, and pyenv's versions `in_pyenv` (directory, version).
    fn find(peer: &str, on_path: &[(&str, Option<&str>)], in_pyenv: &[(&str, &str)], python: Option<&str>) -> Found {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        for (name, version) in on_path {
            fake_python(&bin.join(name), *version);
        }
        let tools = dir.path().join("tools");
        std::fs::create_dir(&tools).unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        for tool in ["bash", "sort", "head", "tail", "sed", "tr", "paste", "timeout", "dirname", "cat"] {
            if let Some(found) = std::env::split_paths(&path).map(|d| d.join(tool)).find(|p| p.exists()) {
                symlink(found, tools.join(tool)).unwrap();
            }
        }
        let pyenv = dir.path().join("pyenv");
        for (name, version) in in_pyenv {
            fake_python(&pyenv.join("versions").join(name).join("bin/python3"), Some(version));
        }
        let mut command = Command::new(tools.join("bash"));
        command
            .arg(workspace_root().join("tests/python/setup_venv.sh"))
            .args(["--find", peer])
            .arg(dir.path().join("venvs"))
            .env("PATH", std::env::join_paths([&bin, &tools]).unwrap())
            .env("PYENV_ROOT", &pyenv)
            .env_remove("PYTHON");
        if let Some(python) = python {
            command.env("PYTHON", bin.join(python));
        }
        let output = command.output().expect("bash runs");
        Found {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[test]
    fn each_peer_gets_the_newest_python_in_its_range() {
        let on_path = [
            ("python3", Some("3.11.2")),
            ("python3.9", Some("3.9.18")),
            ("python3.12", Some("3.12.4")),
            ("python3.13", Some("3.13.1")),
        ];
        let aea = find("aea", &on_path, &[("3.11.7", "3.11.7")], None);
        assert_eq!((aea.code, aea.python_version()), (Some(0), Some("3.11.7")), "{}", aea.stderr);
        let open = find("open-aea", &on_path, &[], None);
        assert_eq!((open.code, open.python_version()), (Some(0), Some("3.13.1")), "{}", open.stderr);
        assert!(open.stdout.contains("/venvs/open-aea-2.2.10-py3.13\n"), "{}", open.stdout);
    }

    #[test]
    fn an_interpreter_that_does_not_run_is_passed_over() {
        let on_path = [("python3", None), ("python3.13", None), ("python3.12", Some("3.12.1"))];
        let open = find("open-aea", &on_path, &[], None);
        assert_eq!((open.code, open.python_version()), (Some(0), Some("3.12.1")), "{}", open.stderr);
    }

    #[test]
    fn python_is_the_only_interpreter_and_a_peer_it_cannot_run_has_none() {
        let on_path = [("python3", Some("3.11.2")), ("python3.13", Some("3.13.0"))];
        let open = find("open-aea", &on_path, &[], Some("python3.13"));
        assert_eq!((open.code, open.python_version()), (Some(0), Some("3.13.0")), "{}", open.stderr);
        let aea = find("aea", &on_path, &[], Some("python3.13"));
        assert_eq!(aea.code, Some(3), "{}{}", aea.stdout, aea.stderr);
        assert!(aea.stderr.contains("aea 1.2.1 needs Python 3.8 to 3.11; PYTHON="), "{}", aea.stderr);
        assert_eq!(aea.stderr.lines().count(), 1, "one line: {}", aea.stderr);
    }

    #[test]
    fn no_interpreter_for_a_peer_says_what_was_found_and_what_to_install() {
        let aea = find("aea", &[("python3", Some("3.13.0"))], &[("3.7.16", "3.7.16")], None);
        assert_eq!(aea.code, Some(3), "{}{}", aea.stdout, aea.stderr);
        assert!(aea.stderr.contains("found 3.7.16, 3.13.0; install one"), "{}", aea.stderr);
        assert!(aea.stderr.contains("pyenv install 3.11"), "{}", aea.stderr);
    }

    #[test]
    fn a_python_that_is_not_there_is_an_error() {
        let found = find("open-aea", &[], &[], Some("python3.13"));
        assert_eq!(found.code, Some(1), "{}{}", found.stdout, found.stderr);
        assert!(found.stderr.contains("not found"), "{}", found.stderr);
    }
}
