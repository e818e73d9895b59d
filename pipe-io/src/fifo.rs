//! POSIX named pipes: the private rendezvous directory and the non-blocking opens.
//!
//! The channel side creates a fresh directory with an unpredictable name and mode 0700 (through
//! `tempfile`, which removes it when dropped, with no runtime needed), holding two FIFOs of mode
//! 0600: `process_to_aea` (the channel reads it) and `aea_to_process` (the channel writes it),
//! the names the AEA uses.
//!
//! The client side takes paths it was given, so it checks them first: each FIFO and the
//! directory holding it must belong to our effective user and be writable by nobody else
//! ([`check_ours`]), or it is refused with [`Error::NotOurs`].

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use crate::error::{os_error, Error};

/// The FIFO the channel reads from and the client writes to.
pub(crate) const CHANNEL_IN_NAME: &str = "process_to_aea";
/// The FIFO the channel writes to and the client reads from.
pub(crate) const CHANNEL_OUT_NAME: &str = "aea_to_process";

/// A rendezvous directory with its two FIFOs; removed with everything in it on drop.
#[derive(Debug)]
pub(crate) struct FifoDir {
    dir: tempfile::TempDir,
    pub(crate) in_path: PathBuf,
    pub(crate) out_path: PathBuf,
}

impl FifoDir {
    /// Creates the directory and both FIFOs.
    pub(crate) fn create() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("aea-pipe-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|err| os_error("creating the FIFO directory", err))?;
        let in_path = dir.path().join(CHANNEL_IN_NAME);
        let out_path = dir.path().join(CHANNEL_OUT_NAME);
        make_fifo(&in_path)?;
        make_fifo(&out_path)?;
        Ok(Self { dir, in_path, out_path })
    }

    /// The directory's path.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Replaces both FIFOs with new ones at the same paths, so that nothing left in the old
    /// ones (bytes a dead peer wrote, a frame cut mid-write) reaches whoever opens them next. A
    /// peer that still holds an old one open is left alone with it.
    pub(crate) fn renew_fifos(&self) -> io::Result<()> {
        for path in [&self.in_path, &self.out_path] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(os_error(path.display(), err)),
            }
            make_fifo(path)?;
        }
        Ok(())
    }

    /// Removes the directory now, reporting failure (dropping removes it silently).
    pub(crate) fn remove(self) -> io::Result<()> {
        let path = self.dir.path().to_owned();
        self.dir.close().map_err(|err| os_error(format_args!("removing {}", path.display()), err))
    }
}

/// Creates a FIFO at `path` that only its owner can read and write (mode 0600); an error is the
/// OS's, with its code and the path in its message.
fn make_fifo(path: &Path) -> io::Result<()> {
    mkfifo(path).map_err(|err| os_error(format_args!("creating the FIFO {}", path.display()), err))
}

fn mkfifo(path: &Path) -> io::Result<()> {
    #[cfg(not(target_vendor = "apple"))]
    return Ok(rustix::fs::mkfifoat(rustix::fs::CWD, path, Mode::RUSR | Mode::WUSR)?);
    // rustix cannot create FIFOs on Apple platforms; nix wraps POSIX `mkfifo` there.
    #[cfg(target_vendor = "apple")]
    {
        use nix::sys::stat::Mode as NixMode;
        Ok(nix::unistd::mkfifo(path, NixMode::S_IRUSR | NixMode::S_IWUSR)?)
    }
}

/// What a FIFO path must be before it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A FIFO: the channel's own, which it created in its own directory.
    Fifo,
    /// A FIFO that is ours alone, in a directory that is ours alone ([`check_ours`]): the
    /// client's, given by someone else.
    OurFifo,
}

/// Opens the read end of the FIFO at `path`, non-blocking; this succeeds with or without a
/// writer. Anything but a FIFO is refused with [`Error::NotAFifo`], and with
/// [`Expect::OurFifo`] anything not ours alone with [`Error::NotOurs`].
pub(crate) fn open_read(path: &Path, expect: Expect) -> Result<File, Error> {
    open_checked(path, OFlags::RDONLY, expect)
}

/// Opens the write end of the FIFO at `path`, non-blocking. `Ok(None)` means no reader has the
/// FIFO open yet (`ENXIO`): retry later.
pub(crate) fn open_write(path: &Path, expect: Expect) -> Result<Option<File>, Error> {
    match open_checked(path, OFlags::WRONLY, expect) {
        Ok(file) => Ok(Some(file)),
        Err(err) if err.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => Ok(None),
        Err(err) => Err(err),
    }
}

/// One non-blocking read from a FIFO read end: `Ok(0)` if no writer has it open (it looks like
/// EOF), `Err(WouldBlock)` if a writer is there but has sent nothing.
pub(crate) fn probe(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut file = file;
    file.read(buf)
}

/// Whether `path` now names another file than `file`, the FIFO opened from it: the channel made
/// its FIFOs anew for a reconnect after this end opened the old one. A path that no longer
/// exists counts as replaced (it is about to be made again).
pub(crate) fn replaced(file: &File, path: &Path) -> io::Result<bool> {
    let opened = file.metadata()?;
    match std::fs::metadata(path) {
        Ok(now) => Ok((now.dev(), now.ino()) != (opened.dev(), opened.ino())),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(true),
        Err(err) => Err(os_error(path.display(), err)),
    }
}

fn open_checked(path: &Path, access: OFlags, expect: Expect) -> Result<File, Error> {
    let not_a_fifo = || Error::NotAFifo { path: path.display().to_string() };
    // Checked before opening, so that no other kind of file (a device, say) is ever opened...
    match expect {
        Expect::Fifo => {
            if !metadata(path)?.file_type().is_fifo() {
                return Err(not_a_fifo());
            }
        }
        Expect::OurFifo => check_ours(path)?,
    }
    let on_path = |err: rustix::io::Errno| os_error(path.display(), err.into());
    let fd = rustix::fs::open(path, access | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty()).map_err(on_path)?;
    // ...and after, on the descriptor itself, in case the path was swapped in between.
    if FileType::from_raw_mode(rustix::fs::fstat(&fd).map_err(on_path)?.st_mode) != FileType::Fifo {
        return Err(not_a_fifo());
    }
    let file = File::from(fd);
    if expect == Expect::OurFifo {
        // Its mode was checked on the path, against its directory's (`check_ours`); the
        // descriptor must still be of our user, in case the path was swapped in between.
        let opened = file.metadata().map_err(|err| os_error(path.display(), err))?;
        if opened.uid() != our_uid() {
            let reason = format!("it belongs to uid {}, not to our user (uid {})", opened.uid(), our_uid());
            return Err(Error::NotOurs { path: path.display().to_string(), reason });
        }
    }
    Ok(file)
}

/// Checks, without opening it, that `path` is a FIFO ([`Error::NotAFifo`] otherwise) and that
/// it and the directory holding it are ours alone ([`Error::NotOurs`] otherwise): they belong
/// to our effective user, and neither group nor others may write them. A FIFO that others could
/// write could carry their frames to us; a directory that others could write could have the
/// FIFO swapped for theirs. The FIFO's own write bits for group and others do not matter when
/// its directory denies them all access (nobody else can reach it). A missing path is the OS's
/// `NotFound`, with its code and the path in its message.
pub(crate) fn check_ours(path: &Path) -> Result<(), Error> {
    let ours = our_uid();
    let fifo = metadata(path)?;
    if !fifo.file_type().is_fifo() {
        return Err(Error::NotAFifo { path: path.display().to_string() });
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let holder = metadata(dir)?;
    if let Some(reason) = not_ours_alone(holder.uid(), holder.mode(), ours) {
        return Err(Error::NotOurs {
            path: dir.display().to_string(),
            reason: format!("the directory holding {}: {reason}", path.display()),
        });
    }
    // A FIFO in a directory that group and others cannot even enter is out of their reach,
    // whatever its own mode: Python's `os.mkfifo` under a umask of 002 makes 0664 FIFOs in a
    // 0700 `mkdtemp()` directory. Elsewhere the FIFO must be ours alone too.
    let dir_closed_to_others = holder.mode() & 0o077 == 0;
    let fifo_mode = if dir_closed_to_others { fifo.mode() & !0o022 } else { fifo.mode() };
    if let Some(reason) = not_ours_alone(fifo.uid(), fifo_mode, ours) {
        return Err(Error::NotOurs { path: path.display().to_string(), reason });
    }
    Ok(())
}

/// The rule for a rendezvous file or directory owned by `uid`, with permission bits `mode`,
/// when we run as `ours`: `None` if it is ours alone, else why not.
pub(crate) fn not_ours_alone(uid: u32, mode: u32, ours: u32) -> Option<String> {
    let mode = mode & 0o7777;
    if uid != ours {
        return Some(format!("it belongs to uid {uid}, not to our user (uid {ours})"));
    }
    let others = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "group and others",
        (true, false) => "its group",
        (false, true) => "others",
        (false, false) => return None,
    };
    Some(format!("{others} may write it (mode {mode:04o})"))
}

fn our_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// The metadata of `path` (symbolic links followed); an error is the OS's, with its code and the
/// path in its message.
fn metadata(path: &Path) -> io::Result<std::fs::Metadata> {
    std::fs::metadata(path).map_err(|err| os_error(path.display(), err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendezvous_directory_is_private_and_fifos_are_owner_only() {
        let dir = FifoDir::create().unwrap();
        let dir_mode = std::fs::metadata(dir.in_path.parent().unwrap()).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        for path in [&dir.in_path, &dir.out_path] {
            let meta = std::fs::metadata(path).unwrap();
            assert!(meta.file_type().is_fifo());
            assert_eq!(meta.permissions().mode() & 0o077, 0, "no access for group or others");
        }
        let parent = dir.in_path.parent().unwrap().to_owned();
        dir.remove().unwrap();
        assert!(!parent.exists());
    }

    #[test]
    fn renewed_fifos_hold_nothing_of_the_old_ones() {
        let dir = FifoDir::create().unwrap();
        let old_reader = open_read(&dir.in_path, Expect::Fifo).unwrap();
        let mut old_writer = open_write(&dir.in_path, Expect::Fifo).unwrap().unwrap();
        std::io::Write::write_all(&mut old_writer, b"stale").unwrap();
        dir.renew_fifos().unwrap();
        for path in [&dir.in_path, &dir.out_path] {
            let meta = std::fs::metadata(path).unwrap();
            assert!(meta.file_type().is_fifo());
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        let reader = open_read(&dir.in_path, Expect::Fifo).unwrap();
        let _writer = open_write(&dir.in_path, Expect::Fifo).unwrap().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(probe(&reader, &mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock, "no stale bytes");
        assert_eq!(probe(&old_reader, &mut buf).unwrap(), 5, "the old FIFO still has them, unreachable by path");
    }

    #[test]
    fn a_fifo_made_anew_at_its_path_is_seen_as_replaced() {
        let dir = FifoDir::create().unwrap();
        let old = open_read(&dir.in_path, Expect::Fifo).unwrap();
        assert!(!replaced(&old, &dir.in_path).unwrap());
        dir.renew_fifos().unwrap();
        assert!(replaced(&old, &dir.in_path).unwrap());
        let new = open_read(&dir.in_path, Expect::Fifo).unwrap();
        assert!(!replaced(&new, &dir.in_path).unwrap());
        std::fs::remove_file(&dir.in_path).unwrap();
        assert!(replaced(&new, &dir.in_path).unwrap(), "gone: about to be made again");
    }

    #[test]
    fn write_end_is_not_ready_until_a_reader_opens() {
        let dir = FifoDir::create().unwrap();
        assert!(open_write(&dir.in_path, Expect::Fifo).unwrap().is_none());
        let reader = open_read(&dir.in_path, Expect::Fifo).unwrap();
        let writer = open_write(&dir.in_path, Expect::Fifo).unwrap();
        assert!(writer.is_some());
        let mut buf = [0u8; 8];
        assert_eq!(probe(&reader, &mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn read_end_without_writer_reads_as_eof() {
        let dir = FifoDir::create().unwrap();
        let reader = open_read(&dir.out_path, Expect::Fifo).unwrap();
        assert_eq!(probe(&reader, &mut [0u8; 8]).unwrap(), 0);
    }

    #[test]
    fn regular_file_is_not_a_fifo() {
        let file = tempfile::NamedTempFile::new().unwrap();
        for expect in [Expect::Fifo, Expect::OurFifo] {
            assert!(matches!(open_read(file.path(), expect), Err(Error::NotAFifo { .. })));
            assert!(matches!(open_write(file.path(), expect), Err(Error::NotAFifo { .. })));
        }
    }

    #[test]
    fn a_missing_path_is_the_os_error_with_its_kind_code_and_the_path() {
        let enoent = rustix::io::Errno::NOENT.raw_os_error();
        let os_message = io::Error::from_raw_os_error(enoent).to_string();
        for expect in [Expect::Fifo, Expect::OurFifo] {
            let err = open_read(Path::new("/nonexistent/aea/pipe"), expect).unwrap_err();
            assert!(matches!(err, Error::Io(ref e) if e.kind() == io::ErrorKind::NotFound), "{err:?}");
            assert_eq!(err.raw_os_error(), Some(enoent), "{err:?}");
            assert_eq!(err.to_string(), format!("/nonexistent/aea/pipe: {os_message}"));
            let os = io::Error::from(err);
            assert_eq!((os.kind(), os.raw_os_error()), (io::ErrorKind::NotFound, Some(enoent)));
        }
    }

    #[test]
    fn ours_alone_means_our_owner_and_no_write_bit_for_group_or_others() {
        assert_eq!(not_ours_alone(1000, 0o600, 1000), None, "our own FIFO");
        assert_eq!(not_ours_alone(1000, 0o644, 1000), None, "Python's mkfifo under umask 022");
        assert_eq!(not_ours_alone(1000, 0o700, 1000), None, "mkdtemp's directory");
        assert_eq!(not_ours_alone(1000, 0o755, 1000), None, "readable by others is fine");
        assert_eq!(not_ours_alone(1000, 0o010_644, 1000), None, "the file type bits are ignored");
        assert_eq!(not_ours_alone(0, 0o600, 0), None, "root's own");
        assert_eq!(
            not_ours_alone(65534, 0o600, 1000).as_deref(),
            Some("it belongs to uid 65534, not to our user (uid 1000)")
        );
        assert_eq!(
            not_ours_alone(1000, 0o600, 0).as_deref(),
            Some("it belongs to uid 1000, not to our user (uid 0)"),
            "root refuses a user's FIFO"
        );
        assert_eq!(not_ours_alone(1000, 0o666, 1000).as_deref(), Some("group and others may write it (mode 0666)"));
        assert_eq!(not_ours_alone(1000, 0o620, 1000).as_deref(), Some("its group may write it (mode 0620)"));
        assert_eq!(not_ours_alone(1000, 0o1777, 1000).as_deref(), Some("group and others may write it (mode 1777)"));
        assert_eq!(not_ours_alone(1000, 0o702, 1000).as_deref(), Some("others may write it (mode 0702)"));
    }

    #[test]
    fn our_own_rendezvous_is_ours_alone_and_a_python_style_0644_fifo_too() {
        let dir = FifoDir::create().unwrap();
        check_ours(&dir.in_path).unwrap();
        check_ours(&dir.out_path).unwrap();
        std::fs::set_permissions(&dir.in_path, std::fs::Permissions::from_mode(0o644)).unwrap();
        check_ours(&dir.in_path).unwrap();
        open_read(&dir.in_path, Expect::OurFifo).unwrap();
    }

    #[test]
    fn a_fifo_or_directory_others_may_write_is_refused_naming_it() {
        let dir = FifoDir::create().unwrap();
        std::fs::set_permissions(&dir.in_path, std::fs::Permissions::from_mode(0o622)).unwrap();
        assert!(check_ours(&dir.in_path).is_ok(), "in a directory closed to others, nobody else reaches it");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let err = check_ours(&dir.in_path).unwrap_err();
        assert!(
            matches!(&err, Error::NotOurs { path, reason } if *path == dir.in_path.display().to_string() && reason.contains("0622")),
            "{err:?}"
        );
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(open_read(&dir.in_path, Expect::Fifo).is_ok(), "the channel's own open does not check");

        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_ours(&dir.out_path).unwrap_err();
        assert!(
            matches!(&err, Error::NotOurs { path, reason }
                if *path == dir.path().display().to_string() && reason.contains("directory holding") && reason.contains("0777")),
            "{err:?}"
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}
