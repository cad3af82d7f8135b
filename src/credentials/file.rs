//! The one way sources read a local file (credentials.ini, the CLI's config.json, the OIDC
//! token): regular files only, size-capped, and never blocking.
//!
//! A FIFO, socket, directory or device in place of one of these files used to be opened and
//! read like a file: a FIFO without a writer blocks `open` and `read` forever, which hung the
//! provider and made the default chain wait out its timeout on every call. Here the path is
//! `stat`ed first and anything but a regular file refused; then, because the path may be
//! swapped between that check and `open`, it is opened with `O_NONBLOCK` (which makes opening
//! a FIFO return at once) and the opened file checked again with `fstat` before any read.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

/// Why a file could not be read. `Display` is a sentence fragment for a message naming the file
/// (the caller says which file); it never holds the file's content.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Nothing at that path (a source whose file is absent is "not configured").
    #[error("no such file")]
    Missing(io::Error),
    /// Something that is not a regular file: "a FIFO", "a directory", ...
    #[error("the path is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Bigger than the cap, in bytes.
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    /// Any other failure to open or read it.
    #[error("cannot {0} the file: {1}")]
    Io(&'static str, io::Error),
}

impl ReadError {
    pub fn is_missing(&self) -> bool {
        matches!(self, ReadError::Missing(_))
    }
}

/// What kind of non-regular file `t` is, for messages.
fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

fn regular(t: std::fs::FileType) -> Result<(), ReadError> {
    if t.is_file() {
        Ok(())
    } else {
        Err(ReadError::NotRegular(kind(t)))
    }
}

/// Opens without blocking: on Unix `O_NONBLOCK` (a FIFO's `open` then returns at once instead
/// of waiting for a writer; it changes nothing for a regular file) and `O_NOCTTY`.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// The bytes of the regular file at `path`, at most `cap` of them; zeroed when dropped (these
/// files hold secrets). Never blocks on a FIFO or device.
pub fn read_regular(path: &Path, cap: u64) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    // Following symlinks, as open does: a link to a regular file is fine.
    match std::fs::metadata(path) {
        Ok(m) => regular(m.file_type())?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing(e)),
        // Let open report it (e.g. permission denied on a parent directory).
        Err(_) => {}
    }
    let file = open_nonblocking(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ReadError::Missing(e),
        _ => ReadError::Io("open", e),
    })?;
    // The path may have been replaced between the stat and the open.
    let meta = file.metadata().map_err(|e| ReadError::Io("read", e))?;
    regular(meta.file_type())?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Io("read", e))?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge(cap));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text, zeroed when dropped.
pub fn read_regular_text(path: &Path, cap: u64) -> Result<Zeroizing<String>, ReadError> {
    let mut bytes = read_regular(path, cap)?;
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(ReadError::NotUtf8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::test_util::Scratch;

    #[test]
    fn regular_files_are_read_and_capped() {
        let s = Scratch::new("regular");
        let p = s.0.join("f");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_regular_text(&p, 5).unwrap().as_str(), "hello");
        assert!(matches!(read_regular(&p, 4), Err(ReadError::TooLarge(4))));
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_regular_text(&p, 5), Err(ReadError::NotUtf8)));
        let missing = read_regular(&s.0.join("nope"), 5).unwrap_err();
        assert!(missing.is_missing(), "{missing}");
        assert_eq!(missing.to_string(), "no such file");
    }

    #[test]
    fn a_directory_is_refused() {
        let s = Scratch::new("dir");
        let e = read_regular(&s.0, 5).unwrap_err();
        assert!(matches!(e, ReadError::NotRegular("a directory")), "{e}");
    }

    /// A FIFO with no writer: opening it for reading blocks forever without O_NONBLOCK, and so
    /// does reading it. Run on a thread with a generous deadline, so that a regression fails
    /// the test instead of hanging it.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_at_once() {
        let s = Scratch::new("fifo");
        let p = s.0.join("fifo");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let path = p.clone();
        std::thread::spawn(move || {
            let _ = tx.send(
                read_regular(&path, 5)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("reading a FIFO blocked");
        assert_eq!(
            got.unwrap_err(),
            "the path is a FIFO (named pipe), not a regular file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_character_device_is_refused() {
        let e = read_regular(Path::new("/dev/zero"), 5).unwrap_err();
        assert!(
            matches!(e, ReadError::NotRegular("a character device")),
            "{e}"
        );
    }
}
