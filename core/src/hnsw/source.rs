//! Where saved indexes are read from: a file (read with `pread`, so several threads
//! can read their own parts at once) or bytes already in memory (used in place).

use std::io;

/// Where a saved index is read from: bytes at any offset, from several threads at
/// once (a file read with `pread`, or bytes already in memory, which need no copy).
pub(crate) trait Source: Sync {
    /// Total length in bytes.
    fn size(&self) -> io::Result<u64>;
    /// The `len` bytes at `offset`: borrowed when in memory, else read into `scratch`.
    fn bytes_at<'a>(
        &'a self,
        offset: u64,
        len: usize,
        scratch: &'a mut Vec<u8>,
    ) -> io::Result<&'a [u8]>;
    /// Fills `buf` with the bytes at `offset`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
}

impl Source for &[u8] {
    fn size(&self) -> io::Result<u64> {
        Ok(<[u8]>::len(self) as u64)
    }
    fn bytes_at<'a>(&'a self, offset: u64, len: usize, _: &'a mut Vec<u8>) -> io::Result<&'a [u8]> {
        usize::try_from(offset)
            .ok()
            .and_then(|o| self.get(o..o.checked_add(len)?))
            .ok_or_else(|| io::ErrorKind::UnexpectedEof.into())
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut unused = Vec::new();
        buf.copy_from_slice(self.bytes_at(offset, buf.len(), &mut unused)?);
        Ok(())
    }
}

impl Source for std::fs::File {
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
    fn bytes_at<'a>(
        &'a self,
        offset: u64,
        len: usize,
        scratch: &'a mut Vec<u8>,
    ) -> io::Result<&'a [u8]> {
        scratch.resize(len, 0);
        read_exact_at(self, &mut scratch[..], offset)?;
        Ok(&scratch[..])
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        read_exact_at(self, buf, offset)
    }
}

#[cfg(unix)]
fn read_exact_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(f: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(f, buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}
