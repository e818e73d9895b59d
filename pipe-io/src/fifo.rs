//! POSIX named pipes: the private rendezvous directory and the non-blocking opens.
//!
//! The channel side creates a fresh directory with an unpredictable name and mode 0700 (through
//! `tempfile`, which removes it when dropped, with no runtime needed), holding two FIFOs of mode
//! 0600: `process_to_aea` (the channel reads it) and `aea_to_process` (the channel writes it),
//! the names the AEA uses.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use crate::error::Error;

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
            .tempdir()?;
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

    /// Removes the directory now, reporting failure (dropping removes it silently).
    pub(crate) fn remove(self) -> io::Result<()> {
        self.dir.close()
    }
}

/// Creates a FIFO at `path` that only its owner can read and write (mode 0600).
fn make_fifo(path: &Path) -> io::Result<()> {
    #[cfg(not(target_vendor = "apple"))]
    return Ok(rustix::fs::mkfifoat(rustix::fs::CWD, path, Mode::RUSR | Mode::WUSR)?);
    // rustix cannot create FIFOs on Apple platforms; nix wraps POSIX `mkfifo` there.
    #[cfg(target_vendor = "apple")]
    {
        use nix::sys::stat::Mode as NixMode;
        Ok(nix::unistd::mkfifo(path, NixMode::S_IRUSR | NixMode::S_IWUSR)?)
    }
}

/// Opens the read end of the FIFO at `path`, non-blocking; this succeeds with or without a
/// writer. Anything but a FIFO is refused with [`Error::NotAFifo`].
pub(crate) fn open_read(path: &Path) -> Result<File, Error> {
    open_checked(path, OFlags::RDONLY)
}

/// Opens the write end of the FIFO at `path`, non-blocking. `Ok(None)` means no reader has the
/// FIFO open yet (`ENXIO`): retry later.
pub(crate) fn open_write(path: &Path) -> Result<Option<File>, Error> {
    match open_checked(path, OFlags::WRONLY) {
        Ok(file) => Ok(Some(file)),
        Err(Error::Io(err)) if err.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error()) => Ok(None),
        Err(err) => Err(err),
    }
}

/// One non-blocking read from a FIFO read end: `Ok(0)` if no writer has it open (it looks like
/// EOF), `Err(WouldBlock)` if a writer is there but has sent nothing.
pub(crate) fn probe(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut file = file;
    file.read(buf)
}

fn open_checked(path: &Path, access: OFlags) -> Result<File, Error> {
    let not_a_fifo = || Error::NotAFifo { path: path.display().to_string() };
    // Checked before opening, so that no other kind of file (a device, say) is ever opened...
    let metadata =
        std::fs::metadata(path).map_err(|err| io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
    if !metadata.file_type().is_fifo() {
        return Err(not_a_fifo());
    }
    let fd =
        rustix::fs::open(path, access | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty()).map_err(io::Error::from)?;
    // ...and after, on the descriptor itself, in case the path was swapped in between.
    if FileType::from_raw_mode(rustix::fs::fstat(&fd).map_err(io::Error::from)?.st_mode) != FileType::Fifo {
        return Err(not_a_fifo());
    }
    Ok(File::from(fd))
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
    fn write_end_is_not_ready_until_a_reader_opens() {
        let dir = FifoDir::create().unwrap();
        assert!(open_write(&dir.in_path).unwrap().is_none());
        let reader = open_read(&dir.in_path).unwrap();
        let writer = open_write(&dir.in_path).unwrap();
        assert!(writer.is_some());
        let mut buf = [0u8; 8];
        assert_eq!(probe(&reader, &mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn read_end_without_writer_reads_as_eof() {
        let dir = FifoDir::create().unwrap();
        let reader = open_read(&dir.out_path).unwrap();
        assert_eq!(probe(&reader, &mut [0u8; 8]).unwrap(), 0);
    }

    #[test]
    fn regular_file_is_not_a_fifo() {
        let file = tempfile::NamedTempFile::new().unwrap();
        assert!(matches!(open_read(file.path()), Err(Error::NotAFifo { .. })));
        assert!(matches!(open_write(file.path()), Err(Error::NotAFifo { .. })));
    }

    #[test]
    fn missing_path_is_an_io_error() {
        let err = open_read(Path::new("/nonexistent/aea/pipe")).unwrap_err();
        assert!(matches!(err, Error::Io(ref e) if e.kind() == io::ErrorKind::NotFound), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/aea/pipe"), "the message names the path: {err}");
    }
}
