//! Zeroed, aligned memory regions for the index's flat arrays.
//!
//! An index's level-0 graph and vectors are large arrays read at random: every hop of
//! a search lands on another page. With 4 KiB pages each of those reads also misses
//! the TLB once the arrays outgrow its reach (a few MiB), so large regions are mapped
//! on their own, aligned to 2 MiB and marked `MADV_HUGEPAGE`: where the kernel has
//! transparent huge pages (Linux, `enabled` = `always` or `madvise`) they are backed
//! by 2 MiB pages. Small regions come from the allocator.
//!
//! Either way the memory starts zeroed, its start is aligned to at least 64 bytes
//! (a cache line), and allocation failures are errors, never aborts. Anonymous
//! mappings are committed page by page as they are touched, so the unused tail of a
//! region costs address space only.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::Arc;

use crate::error::{Error, Result};

/// Regions of at least this many bytes are mapped with huge pages where possible.
const HUGE_THRESHOLD: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;
/// Alignment of every region's start.
pub(crate) const ALIGN: usize = 64;

/// A zeroed region of memory, owned, aligned to [`ALIGN`] bytes.
pub(crate) struct Arena {
    ptr: NonNull<u8>,
    len: usize,
    kind: Kind,
}

enum Kind {
    /// Nothing allocated (`len == 0`).
    Empty,
    /// From the global allocator with `Layout(len, ALIGN)`.
    Heap,
    /// An anonymous mapping of `map_len` bytes (`len` rounded up to pages) at `ptr`.
    #[cfg(unix)]
    Mapped { map_len: usize },
    /// Part of a read-only mapping of a file (a view of a saved index), kept mapped
    /// while any arena in it lives. Never written.
    File { _map: Arc<memmap2::Mmap> },
}

// SAFETY: an Arena owns its memory exclusively (like a Box<[u8]>), or shares a
// read-only file mapping that nothing writes (Mmap is Send + Sync); the raw pointers
// are never shared outside the borrows its methods hand out.
unsafe impl Send for Arena {}
// SAFETY: shared access only reads through `&self` borrows; writes go through the
// atomic types that callers place in the region, or through `&mut self`.
unsafe impl Sync for Arena {}

impl Arena {
    /// A zeroed region of `len` bytes; `what` names it in the error message.
    pub(crate) fn zeroed(len: usize, what: &str) -> Result<Arena> {
        if len == 0 {
            return Ok(Arena {
                // Aligned like every region, never dereferenced.
                ptr: NonNull::new(ALIGN as *mut u8).expect("ALIGN is not zero"),
                len: 0,
                kind: Kind::Empty,
            });
        }
        #[cfg(unix)]
        if len >= HUGE_THRESHOLD {
            if let Some(a) = Self::mapped(len) {
                return Ok(a);
            }
        }
        let layout = Layout::from_size_align(len, ALIGN).map_err(|_| oom(what, len))?;
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(p).ok_or_else(|| oom(what, len))?;
        Ok(Arena {
            ptr,
            len,
            kind: Kind::Heap,
        })
    }

    /// An anonymous mapping of `len` bytes starting on a 2 MiB boundary, advised for
    /// huge pages; `None` when the system refuses (the caller falls back to the heap).
    #[cfg(unix)]
    fn mapped(len: usize) -> Option<Arena> {
        let map_len = len.checked_add(HUGE_PAGE)?;
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let map_ptr = p.cast::<u8>() as usize;
        let start = map_ptr.next_multiple_of(HUGE_PAGE);
        // Keep exactly the pages the region needs: a mapping that went on past its end
        // would let the kernel back the last, partly used 2 MiB with a whole huge page.
        let page = page_size();
        let keep = len.checked_next_multiple_of(page)?;
        let (head, tail) = (start - map_ptr, map_ptr + map_len - (start + keep));
        // SAFETY: [map_ptr, start) and [start + keep, map_ptr + map_len) are page-aligned
        // parts of the mapping just made (start - map_ptr < HUGE_PAGE <= map_len - keep),
        // so unmapping them affects nothing else.
        unsafe {
            if head > 0 {
                libc::munmap(map_ptr as *mut libc::c_void, head);
            }
            if tail > 0 {
                libc::munmap((start + keep) as *mut libc::c_void, tail);
            }
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        // SAFETY: [start, start + keep) is the mapping that remains. madvise is advice:
        // a failure changes nothing.
        unsafe {
            libc::madvise(start as *mut libc::c_void, keep, libc::MADV_HUGEPAGE);
        }
        Some(Arena {
            // SAFETY: inside a successful mapping, so not null.
            ptr: unsafe { NonNull::new_unchecked(start as *mut u8) },
            len,
            kind: Kind::Mapped { map_len: keep },
        })
    }

    /// The `len` bytes at `offset` of a file mapping, or `None` when they do not lie
    /// inside it or are not aligned to [`ALIGN`]. The region is read-only: the caller
    /// never writes through [`Arena::as_ptr`] of it (see [`Arena::is_file`]).
    pub(crate) fn in_file(map: &Arc<memmap2::Mmap>, offset: usize, len: usize) -> Option<Arena> {
        let end = offset.checked_add(len)?;
        if end > map.len() {
            return None;
        }
        let p = map.as_ptr().wrapping_add(offset);
        if !(p as usize).is_multiple_of(ALIGN) {
            return None;
        }
        Some(Arena {
            // SAFETY: inside a live mapping (offset + len ≤ its length), so not null.
            ptr: unsafe { NonNull::new_unchecked(p as *mut u8) },
            len,
            kind: Kind::File {
                _map: Arc::clone(map),
            },
        })
    }

    /// Whether the region is part of a file mapping (read-only).
    pub(crate) fn is_file(&self) -> bool {
        matches!(self.kind, Kind::File { .. })
    }

    /// Start of the region.
    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        match self.kind {
            Kind::Empty | Kind::File { .. } => {}
            Kind::Heap => {
                // SAFETY: allocated in `zeroed` with exactly this layout, freed once.
                unsafe {
                    alloc::dealloc(
                        self.ptr.as_ptr(),
                        Layout::from_size_align_unchecked(self.len, ALIGN),
                    )
                }
            }
            #[cfg(unix)]
            Kind::Mapped { map_len } => {
                // SAFETY: the mapping kept by `mapped`, unmapped once; no borrow of it
                // outlives `self`.
                unsafe {
                    libc::munmap(self.ptr.as_ptr().cast(), map_len);
                }
            }
        }
    }
}

#[cfg(unix)]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

fn oom(what: &str, len: usize) -> Error {
    Error::OutOfMemory(format!("{what}: cannot allocate {len} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_zeroed_aligned_and_writable() {
        for len in [0, 1, 100, 4096, HUGE_THRESHOLD + 12_345] {
            let a = Arena::zeroed(len, "test").unwrap();
            assert_eq!(a.len(), len);
            assert_eq!(a.as_ptr() as usize % ALIGN, 0);
            if len > 0 {
                // SAFETY: the region has len bytes.
                let s = unsafe { std::slice::from_raw_parts_mut(a.as_ptr(), len) };
                assert!(s.iter().all(|&b| b == 0));
                s[len - 1] = 7;
                s[0] = 9;
                assert_eq!((s[0], s[len - 1]), (9, if len == 1 { 9 } else { 7 }));
            }
        }
    }

    #[test]
    fn absurd_sizes_are_errors() {
        assert!(Arena::zeroed(usize::MAX - 10, "huge").is_err());
    }
}
