//! Crash-safe file writes: a temp file in the target's directory, synced, then
//! renamed over the target (and the directory synced), so a crash never leaves a
//! half-written index.
//!
//! The temp file gets a random name and is created with `create_new` (O_EXCL): two
//! saves to one path never share a temp file, and a file or symlink planted at a
//! temp name is never opened or followed.

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::options::SaveOptions;

/// Writes `path` atomically with what `write` produces; with `opts.sync` the file
/// (`sync_all`) and the rename (a sync of the directory) are on disk when it returns.
pub fn write_atomically(
    path: &Path,
    opts: &SaveOptions,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{} is not a file path", path.display())))?;
    let (file, tmp) = create_temp(dir, name, random_suffix).map_err(|e| Error::io(path, e))?;
    let result = (|| {
        let file = EarlyWriteback::new(file, opts.sync);
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?.file;
        if opts.sync {
            file.sync_all()?;
        }
        drop(file);
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

/// Creates a new temp file for `name` in `dir`, trying names `.name.tmp<suffix()>`
/// until one does not exist yet.
fn create_temp(
    dir: &Path,
    name: &OsStr,
    mut suffix: impl FnMut() -> String,
) -> io::Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..64 {
        let tmp = dir.join(format!(".{}.tmp{}", name.to_string_lossy(), suffix()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// 64 unpredictable bits as hex: std's per-process random hash keys (seeded by the
/// operating system), a counter, the time and the process id.
fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    format!("{:016x}", h.finish())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_files_are_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"keep").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&victim, dir.path().join(".f.tmpa")).unwrap();
        #[cfg(not(unix))]
        fs::write(dir.path().join(".f.tmpa"), b"x").unwrap();
        let mut names = ["a", "a", "b"].into_iter();
        let (mut f, tmp) =
            create_temp(dir.path(), OsStr::new("f"), || names.next().unwrap().into()).unwrap();
        assert_eq!(tmp, dir.path().join(".f.tmpb"));
        f.write_all(b"new").unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert_ne!(random_suffix(), random_suffix());
    }
}
