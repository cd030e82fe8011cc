//! hnswlib's binary index format (`HierarchicalNSW::saveIndex`/`loadIndex`), byte
//! for byte: a 96-byte header, the level-0 block (`count × size_data_per_element`
//! bytes: link count, flags, links, vector, label), then for each element its
//! upper-level lists behind a `u32` byte length. Native little-endian, no magic.
//!
//! Reading trusts nothing: every header field is checked against the others, the
//! space the caller gives and the byte length, before anything is allocated; every
//! link is checked to point at an existing element on a level it has, so a corrupted
//! file gives an error and never a crash, a hang or a huge allocation.

use std::io::{self, Read, Write};
use std::sync::atomic::Ordering;

use super::graph::{Rows, LINKING_BIT};
use super::{Graph, GraphConfig, LoadOptions, MAX_M};
use crate::error::{Error, Result};
use crate::space::{Space, SpaceKind};

const HEADER_LEN: usize = 96;
/// Levels are stored in a byte; hnswlib's levels stay far below (≈ ln(n)/ln(M)).
const MAX_LEVEL: usize = 255;

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
    for v in [0, s.capacity, n, record_size(g), label_offset, offset_data] {
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

/// Checks the header against itself, the caller's space and the byte length.
fn validate(h: &Header, space: &Space, len: u64) -> Result<()> {
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
    let expected_mult = 1.0 / (h.m as f64).ln();
    if (h.mult - expected_mult).abs() > 1e-9 * expected_mult || h.ef_construction == 0 {
        return Err(Error::corrupt(format!(
            "mult = {} (hnswlib writes 1/ln(M) = {expected_mult}) or ef_construction = {} is invalid",
            h.mult, h.ef_construction
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

/// Reads an index of exactly `len` bytes from `r`.
pub(crate) fn read(r: &mut dyn Read, len: u64, space: Space, opts: &LoadOptions) -> Result<Graph> {
    let io_err = |e: io::Error| -> Error {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Error::corrupt("unexpected end of data (truncated?)")
        } else {
            Error::io("<index data>", e)
        }
    };
    if len < HEADER_LEN as u64 {
        return Err(Error::corrupt(format!(
            "{len} bytes is shorter than hnswlib's {HEADER_LEN}-byte header"
        )));
    }
    let mut hb = [0u8; HEADER_LEN];
    r.read_exact(&mut hb).map_err(io_err)?;
    let h = parse_header(&hb)?;
    validate(&h, &space, len)?;

    let capacity = if opts.max_elements != 0 && opts.max_elements >= h.count {
        opts.max_elements
    } else {
        h.max_elements
    };
    let mut g = Graph::new(
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
        capacity,
    )?;
    let quantized = opts.quantization.is_quantized();
    g.storage.count.store(h.count, Ordering::Relaxed);
    let n = h.count;

    // Level 0.
    let space_is_f32 = matches!(
        g.space.kind(),
        SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine
    );
    let mut slot = vec![0u8; h.slot_size];
    let mut labels = Vec::with_capacity(n);
    for id in 0..n as u32 {
        r.read_exact(&mut slot).map_err(io_err)?;
        for (i, w) in slot[..h.offset_data].chunks_exact(4).enumerate() {
            let mut word = u32::from_le_bytes(w.try_into().expect("4 bytes"));
            if i == 0 {
                // Byte 3 of the header is unused by hnswlib; in memory it marks an
                // element still being inserted, which a loaded one never is.
                word &= !LINKING_BIT;
            }
            g.storage.load_links0_word(id, i, word);
        }
        let data = &slot[h.offset_data..h.label_offset];
        if space_is_f32 {
            let finite = data
                .chunks_exact(4)
                .all(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")).is_finite());
            if !finite {
                return Err(Error::corrupt(format!(
                    "element {id} holds NaN or infinity"
                )));
            }
        }
        // SAFETY: data has data_size bytes, the size of the exact rows (the payload of
        // an unquantized index); nobody else can read this fresh storage yet.
        unsafe { g.storage.write_row(id, quantized, data) };
        labels.push(u64::from_le_bytes(
            slot[h.label_offset..].try_into().expect("8 bytes"),
        ));
    }

    // Upper levels.
    let mut consumed = (HEADER_LEN + n * h.slot_size) as u64;
    let list_bytes = g.storage.upper_list_bytes();
    let mut words = Vec::new();
    for id in 0..n as u32 {
        let mut sb = [0u8; 4];
        r.read_exact(&mut sb).map_err(io_err)?;
        let size = u32::from_le_bytes(sb) as usize;
        consumed += 4;
        if !size.is_multiple_of(list_bytes) || size / list_bytes > MAX_LEVEL {
            return Err(Error::corrupt(format!(
                "element {id}: upper-level size {size} is not a multiple of {list_bytes} up to level {MAX_LEVEL}"
            )));
        }
        // Each remaining element needs at least its 4-byte size field.
        let rest = (n - 1 - id as usize) as u64 * 4;
        if consumed + size as u64 + rest > len {
            return Err(Error::corrupt(format!(
                "element {id}: upper levels run past the end of the data (truncated?)"
            )));
        }
        let mut bytes = vec![0u8; size];
        r.read_exact(&mut bytes).map_err(io_err)?;
        consumed += size as u64;
        words.clear();
        words.extend(
            bytes
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes"))),
        );
        g.storage
            .load_meta(id, labels[id as usize], size / list_bytes, &words)?;
    }
    if consumed != len {
        return Err(Error::corrupt(format!(
            "{} bytes remain after the last element (expected exactly {consumed} bytes)",
            len - consumed
        )));
    }

    check_links(&g, n)?;
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

    g.slots.load(&labels, &g.storage);
    Ok(g)
}

/// Every valid link must name an existing element that has the link's level.
fn check_links(g: &Graph, n: usize) -> Result<()> {
    let s = &g.storage;
    for id in 0..n as u32 {
        for level in 0..=s.level(id) {
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
