//! hnswlib's binary index format (`HierarchicalNSW::saveIndex`/`loadIndex`), byte
//! for byte: a 96-byte header, the level-0 block (`count × size_data_per_element`
//! bytes: link count, flags, links, vector, label), then for each element its
//! upper-level lists behind a `u32` byte length. Native little-endian, no magic.
//!
//! Reading trusts nothing: every header field is checked against the others, the
//! space the caller gives and the byte length, before anything is allocated; every
//! link is checked to point at an existing element on a level it has, so a corrupted
//! file gives an error and never a crash, a hang or a huge allocation.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use super::graph::{Rows, COUNT_MASK, LINKING_BIT};
use super::source::Source;
use super::{Graph, GraphConfig, LoadOptions, MAX_M};
use crate::error::{Error, Result};
use crate::space::{Space, SpaceKind};

const HEADER_LEN: usize = 96;
/// Levels are stored in a byte; hnswlib's levels stay far below (≈ ln(n)/ln(M)).
pub(super) const MAX_LEVEL: usize = 255;

/// hnswlib's `size_data_per_element_`: the bytes of one level-0 record in the file.
fn record_size(g: &Graph) -> usize {
    g.storage.layout.links_bytes() + g.space.data_size() + 8
}

/// Size of the saved index in bytes (hnswlib's `indexFileSize`).
pub(crate) fn file_size(g: &Graph) -> usize {
    let s = &g.storage;
    let n = s.len();
    let upper: usize = (0..n as u32)
        .map(|id| 4 + s.level(id) * s.upper_list_bytes())
        .sum();
    HEADER_LEN + n * record_size(g) + upper
}

/// The exact vectors the file stores, or an error for a codes-only index.
fn exact_rows(g: &Graph) -> Result<Rows> {
    g.storage
        .exact_rows(g.quantization.is_quantized())
        .ok_or_else(|| {
            Error::NotSupported(
                "a codes-only index (keep_vectors = false) cannot be saved in hnswlib's format, which stores the vectors".into(),
            )
        })
}

/// Checks that `g` can be written in this format.
pub(crate) fn check_writable(g: &Graph) -> Result<()> {
    exact_rows(g).map(|_| ())
}

/// Writes the index. The caller holds the index exclusively and has checked it is
/// writable ([`check_writable`]).
pub(crate) fn write(g: &Graph, w: &mut dyn Write) -> io::Result<()> {
    let s = &g.storage;
    let l = &s.layout;
    let n = s.len();
    let rows = exact_rows(g).map_err(io::Error::other)?;
    let (entry, max_level) = g.entry();
    let offset_data = l.links_bytes();
    let label_offset = offset_data + g.space.data_size();

    let mut h = Vec::with_capacity(HEADER_LEN);
    for v in [
        0,
        s.max_elements,
        n,
        record_size(g),
        label_offset,
        offset_data,
    ] {
        h.extend_from_slice(&(v as u64).to_le_bytes());
    }
    h.extend_from_slice(&(max_level as i32).to_le_bytes());
    h.extend_from_slice(&entry.unwrap_or(u32::MAX).to_le_bytes());
    for v in [s.max_m, l.max_m0, g.m] {
        h.extend_from_slice(&(v as u64).to_le_bytes());
    }
    h.extend_from_slice(&g.mult.to_le_bytes());
    h.extend_from_slice(&(g.ef_construction as u64).to_le_bytes());
    w.write_all(&h)?;

    let mut buf = Vec::with_capacity(record_size(g) * 256);
    for id in 0..n as u32 {
        for word in s.links0_words(id) {
            buf.extend_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
        }
        // SAFETY: id < len <= capacity, and the caller holds the index exclusively,
        // so nothing writes the row meanwhile. (Vector bytes are native-endian, as in
        // hnswlib's files.)
        buf.extend_from_slice(unsafe { rows.slice(id) });
        buf.extend_from_slice(&s.label(id).to_le_bytes());
        if buf.len() >= (1 << 20) {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    for id in 0..n as u32 {
        let block = s.upper_block(id);
        buf.extend_from_slice(&((block.len() * 4) as u32).to_le_bytes());
        for word in block {
            buf.extend_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
        }
        if buf.len() >= (1 << 20) {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    w.write_all(&buf)?;
    w.flush()
}

struct Header {
    max_elements: usize,
    count: usize,
    slot_size: usize,
    label_offset: usize,
    offset_data: usize,
    max_level: i32,
    entry: u32,
    max_m: usize,
    max_m0: usize,
    m: usize,
    mult: f64,
    ef_construction: usize,
}

fn parse_header(b: &[u8; HEADER_LEN]) -> Result<Header> {
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let size_at = |o: usize, name: &str| -> Result<usize> {
        usize::try_from(u64_at(o))
            .map_err(|_| Error::corrupt(format!("{name} does not fit in memory")))
    };
    let offset_level0 = u64_at(0);
    if offset_level0 != 0 {
        return Err(Error::corrupt(format!(
            "offsetLevel0 is {offset_level0}, hnswlib always writes 0 (not an hnswlib index file?)"
        )));
    }
    Ok(Header {
        max_elements: size_at(8, "max_elements")?,
        count: size_at(16, "cur_element_count")?,
        slot_size: size_at(24, "size_data_per_element")?,
        label_offset: size_at(32, "label_offset")?,
        offset_data: size_at(40, "offsetData")?,
        max_level: i32::from_le_bytes(b[48..52].try_into().expect("4 bytes")),
        entry: u32::from_le_bytes(b[52..56].try_into().expect("4 bytes")),
        max_m: size_at(56, "maxM")?,
        max_m0: size_at(64, "maxM0")?,
        m: size_at(72, "M")?,
        mult: f64::from_le_bytes(b[80..88].try_into().expect("8 bytes")),
        ef_construction: size_at(88, "ef_construction")?,
    })
}

/// Checks the header's fields against one another as hnswlib writes them (M, the
/// element layout, mult).
fn check_shape(h: &Header) -> Result<()> {
    if h.m < 2 || h.m > MAX_M || h.max_m != h.m || h.max_m0 != 2 * h.m {
        return Err(Error::corrupt(format!(
            "M = {}, maxM = {}, maxM0 = {}: hnswlib writes 2 <= M <= {MAX_M}, maxM = M, maxM0 = 2M",
            h.m, h.max_m, h.max_m0
        )));
    }
    if h.offset_data != 4 + 4 * h.max_m0
        || h.label_offset < h.offset_data
        || h.slot_size != h.label_offset + 8
    {
        return Err(Error::corrupt(format!(
            "element layout fields disagree (offsetData {}, label_offset {}, size_data_per_element {})",
            h.offset_data, h.label_offset, h.slot_size
        )));
    }
    let expected_mult = 1.0 / (h.m as f64).ln();
    if (h.mult - expected_mult).abs() > 1e-9 * expected_mult || h.ef_construction == 0 {
        return Err(Error::corrupt(format!(
            "mult = {} (hnswlib writes 1/ln(M) = {expected_mult}) or ef_construction = {} is invalid",
            h.mult, h.ef_construction
        )));
    }
    Ok(())
}

/// The vector size in bytes of an index in hnswlib's format whose first bytes are
/// `head`, if they are a header hnswlib writes ([`check_shape`]), else None: tells a
/// caller who gave an hnswlib file where only the native format will do what the
/// file is.
pub(crate) fn sniff(head: &[u8]) -> Option<usize> {
    let h = parse_header(head.get(..HEADER_LEN)?.try_into().ok()?).ok()?;
    check_shape(&h).ok()?;
    Some(h.label_offset - h.offset_data)
}

/// Checks the header against itself, the caller's space and the byte length.
fn validate(h: &Header, space: &Space, len: u64) -> Result<()> {
    check_shape(h)?;
    let file_data_size = h.label_offset - h.offset_data;
    if file_data_size != space.data_size() {
        let as_f32 = if file_data_size.is_multiple_of(4) {
            format!(" (dim {} as f32)", file_data_size / 4)
        } else {
            String::new()
        };
        return Err(Error::Incompatible(format!(
            "the file stores {file_data_size}-byte vectors{as_f32}, but the {} space given has dim {} ({} bytes)",
            space.kind().name(),
            space.dim(),
            space.data_size()
        )));
    }
    if h.count > h.max_elements || h.count > u32::MAX as usize {
        return Err(Error::corrupt(format!(
            "element count {} exceeds max_elements {}",
            h.count, h.max_elements
        )));
    }
    let min_len = h
        .count
        .checked_mul(h.slot_size + 4)
        .and_then(|b| b.checked_add(HEADER_LEN))
        .ok_or_else(|| Error::corrupt("element count overflows"))?;
    if (min_len as u64) > len {
        return Err(Error::corrupt(format!(
            "the header announces {} elements of {} bytes ({min_len} bytes at least), but the data is {len} bytes (truncated?)",
            h.count, h.slot_size
        )));
    }
    if h.count > 0 && (h.entry as usize >= h.count || h.max_level < 0) {
        return Err(Error::corrupt(format!(
            "entry point {} / max level {} invalid for {} elements",
            h.entry, h.max_level, h.count
        )));
    }
    Ok(())
}

/// Level-0 records are read and checked by several threads, each taking runs of
/// records of about this many bytes (large enough that a `pread` costs little per
/// byte, small enough to stay in cache while it is unpacked).
const LOAD_CHUNK_BYTES: usize = 1 << 20;

/// Reads an index from `src`, which must hold exactly one index.
pub(crate) fn read(src: &dyn Source, space: Space, opts: &LoadOptions) -> Result<Graph> {
    let io_err = |e: io::Error| -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::corrupt("unexpected end of data (truncated?)")
        } else {
            Error::io("<index data>", e)
        }
    };
    let len = src.size().map_err(io_err)?;
    if len < HEADER_LEN as u64 {
        return Err(Error::corrupt(format!(
            "{len} bytes is shorter than hnswlib's {HEADER_LEN}-byte header"
        )));
    }
    let mut scratch = Vec::new();
    let hb = src.bytes_at(0, HEADER_LEN, &mut scratch).map_err(io_err)?;
    let h = parse_header(hb.try_into().expect("header length"))?;
    validate(&h, &space, len)?;

    // A capacity the caller asks for is allocated, as hnswlib does; the file's is
    // only a limit, and slots are allocated for the elements present (the file may
    // declare any max_elements, up to 2^64-1).
    let (max_elements, capacity) = if opts.max_elements != 0 && opts.max_elements >= h.count {
        (opts.max_elements, opts.max_elements)
    } else {
        (h.max_elements, h.count)
    };
    let g = Graph::new(
        space,
        GraphConfig {
            m: h.m,
            ef_construction: h.ef_construction,
            mult: h.mult,
            random_seed: opts.random_seed,
            allow_replace_deleted: opts.allow_replace_deleted,
            quantization: opts.quantization,
            keep_vectors: opts.keep_vectors,
        },
        max_elements,
        capacity,
    )?;
    let n = h.count;
    g.storage.count.store(n, Ordering::Relaxed);

    // Level 0, in parallel: records are independent and each goes to its own slot.
    let mut labels: Vec<AtomicU64> = Vec::new();
    labels
        .try_reserve_exact(n)
        .map_err(|_| Error::OutOfMemory(format!("cannot allocate the labels of {n} elements")))?;
    labels.extend((0..n).map(|_| AtomicU64::new(0)));
    let per_chunk = (LOAD_CHUNK_BYTES / h.slot_size).max(1);
    let chunks = n.div_ceil(per_chunk);
    crate::parallel::for_each_row(chunks, 0, None, |c| {
        let first = c * per_chunk;
        let count = per_chunk.min(n - first);
        let offset = (HEADER_LEN + first * h.slot_size) as u64;
        let mut buf = Vec::new();
        let bytes = src
            .bytes_at(offset, count * h.slot_size, &mut buf)
            .map_err(io_err)?;
        for (i, record) in bytes.chunks_exact(h.slot_size).enumerate() {
            let id = (first + i) as u32;
            labels[id as usize].store(read_record(&g, &h, id, record)?, Ordering::Relaxed);
        }
        Ok(())
    })?;
    let labels: Vec<u64> = labels.into_iter().map(AtomicU64::into_inner).collect();

    // Upper levels: variable-length records, read in one piece and walked in order.
    let upper_start = (HEADER_LEN + n * h.slot_size) as u64;
    let upper = src
        .bytes_at(upper_start, (len - upper_start) as usize, &mut scratch)
        .map_err(io_err)?;
    let list_bytes = g.storage.upper_list_bytes();
    let mut at = 0usize;
    let mut words = Vec::new();
    for id in 0..n as u32 {
        let Some(sb) = upper.get(at..at + 4) else {
            return Err(Error::corrupt("unexpected end of data (truncated?)"));
        };
        let size = u32::from_le_bytes(sb.try_into().expect("4 bytes")) as usize;
        at += 4;
        if !size.is_multiple_of(list_bytes) || size / list_bytes > MAX_LEVEL {
            return Err(Error::corrupt(format!(
                "element {id}: upper-level size {size} is not a multiple of {list_bytes} up to level {MAX_LEVEL}"
            )));
        }
        // Each remaining element needs at least its 4-byte size field.
        let rest = (n - 1 - id as usize) * 4;
        let Some(bytes) = upper
            .get(at..at + size)
            .filter(|_| at + size + rest <= upper.len())
        else {
            return Err(Error::corrupt(format!(
                "element {id}: upper levels run past the end of the data (truncated?)"
            )));
        };
        at += size;
        words.clear();
        words.extend(
            bytes
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes"))),
        );
        g.storage
            .load_meta(id, labels[id as usize], size / list_bytes, &words)?;
    }
    if at != upper.len() {
        return Err(Error::corrupt(format!(
            "{} bytes remain after the last element (expected exactly {} bytes)",
            upper.len() - at,
            upper_start as usize + at
        )));
    }
    drop(scratch);

    // Level-0 links were checked as their records were copied.
    check_upper_links(&g, n)?;
    let mut g = g;
    if n > 0 {
        if g.storage.level(h.entry) < h.max_level as usize {
            return Err(Error::corrupt(format!(
                "entry point {} has level {}, below the max level {}",
                h.entry,
                g.storage.level(h.entry),
                h.max_level
            )));
        }
        g.set_entry(h.entry, h.max_level as usize);
    }

    g.slots.load(n, &g.storage)?;
    Ok(g)
}

/// Unpacks one level-0 record of the file into element `id`'s slot and row, checking
/// its links (what [`check_links`] checks of level 0, here while the record is in
/// cache instead of in a second pass over the whole level), and returns its label.
fn read_record(g: &Graph, h: &Header, id: u32, record: &[u8]) -> Result<u64> {
    let words = record[..h.offset_data].chunks_exact(4);
    let mut count = 0usize;
    for (i, w) in words.enumerate() {
        let mut word = u32::from_le_bytes(w.try_into().expect("4 bytes"));
        if i == 0 {
            // Byte 3 of the header is unused by hnswlib; in memory it marks an
            // element still being inserted, which a loaded one never is.
            word &= !LINKING_BIT;
            count = (word & COUNT_MASK) as usize;
            if count > h.max_m0 {
                return Err(Error::corrupt(format!(
                    "element {id} level 0: {count} links, at most {} fit",
                    h.max_m0
                )));
            }
        } else if i <= count && word as usize >= h.count {
            return Err(Error::corrupt(format!(
                "element {id} level 0 links to {word}, which is not an element of that level"
            )));
        }
        g.storage.load_links0_word(id, i, word);
    }
    let data = &record[h.offset_data..h.label_offset];
    if matches!(
        g.space.kind(),
        SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine
    ) && !all_finite(data)
    {
        return Err(Error::corrupt(format!(
            "element {id} holds NaN or infinity"
        )));
    }
    // SAFETY: data has data_size bytes, the size of the exact rows (the payload of an
    // unquantized index); this record is the only writer of row `id`, and nobody can
    // read the fresh storage before loading ends.
    unsafe { g.storage.write_row(id, g.quantization.is_quantized(), data) };
    Ok(u64::from_le_bytes(
        record[h.label_offset..].try_into().expect("8 bytes"),
    ))
}

/// Whether the little-endian f32s in `data` are all finite: the exponent bits of
/// each are not all ones. Branch-free per value, so it vectorises.
pub(super) fn all_finite(data: &[u8]) -> bool {
    const EXPONENT: u32 = 0x7f80_0000;
    data.chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) & EXPONENT)
        .fold(true, |ok, e| ok & (e != EXPONENT))
}

/// Every valid link must name an existing element that has the link's level.
pub(super) fn check_links(g: &Graph, n: usize) -> Result<()> {
    const PER_TASK: usize = 16 * 1024;
    crate::parallel::for_each_row(n.div_ceil(PER_TASK), 0, None, |t| {
        let first = t * PER_TASK;
        check_links_of(g, n, 0, first as u32..(first + PER_TASK).min(n) as u32)
    })
}

/// [`check_links`] for the levels above 0 only (a few percent of the elements, so
/// on this thread).
pub(super) fn check_upper_links(g: &Graph, n: usize) -> Result<()> {
    check_links_of(g, n, 1, 0..n as u32)
}

fn check_links_of(
    g: &Graph,
    n: usize,
    first_level: usize,
    ids: std::ops::Range<u32>,
) -> Result<()> {
    let s = &g.storage;
    for id in ids {
        for level in first_level..=s.level(id) {
            let links = s.links(id, level);
            let raw = s.links_raw_count(id, level);
            if raw > links.capacity() {
                return Err(Error::corrupt(format!(
                    "element {id} level {level}: {raw} links, at most {} fit",
                    links.capacity()
                )));
            }
            for i in 0..links.len() {
                let t = links.get(i);
                if t as usize >= n || s.level(t) < level {
                    return Err(Error::corrupt(format!(
                        "element {id} level {level} links to {t}, which is not an element of that level"
                    )));
                }
            }
        }
    }
    Ok(())
}
