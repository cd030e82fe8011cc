//! Crash-safe file writes: a temp file in the target's directory, synced, then
//! renamed over the target, so a crash never leaves a half-written index.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};
use crate::options::SaveOptions;

/// Writes `path` atomically with what `write` produces; with `opts.sync` the file
/// and the rename are on disk when it returns.
pub fn write_atomically(
    path: &Path,
    opts: &SaveOptions,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = EarlyWriteback::new(File::create(&tmp)?, opts.sync);
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?.file;
        if opts.sync {
            // fdatasync: the bytes and the length; the rest of the inode is not needed
            // to read the file back.
            file.sync_data()?;
        }
        fs::rename(&tmp, path)?;
        if opts.sync {
            // Make the rename itself durable; not every file system can sync a directory.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Reads a whole file, mapping errors to [`Error::Io`].
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| Error::io(path, e))
}

/// A file that asks the kernel to start writing each 8 MiB back to disk as soon as it
/// is written (Linux `sync_file_range`), so the final sync waits for the last part
/// only instead of the whole file. Elsewhere, or when no sync follows, it is a plain
/// file.
struct EarlyWriteback {
    file: File,
    enabled: bool,
    written: u64,
    flushed_to: u64,
}

impl EarlyWriteback {
    const CHUNK: u64 = 8 << 20;

    fn new(file: File, enabled: bool) -> Self {
        EarlyWriteback {
            file,
            enabled,
            written: 0,
            flushed_to: 0,
        }
    }
}

impl Write for EarlyWriteback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.enabled && self.written - self.flushed_to >= Self::CHUNK {
            #[cfg(target_os = "linux")]
            {
                use std::os::fd::AsRawFd;
                // SAFETY: a valid open descriptor and a range inside the written file;
                // the call only starts asynchronous writeback and has no memory effects.
                // A failure is harmless: the final sync_all writes everything anyway.
                unsafe {
                    libc::sync_file_range(
                        self.file.as_raw_fd(),
                        self.flushed_to as libc::off64_t,
                        (self.written - self.flushed_to) as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WRITE,
                    );
                }
            }
            self.flushed_to = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
