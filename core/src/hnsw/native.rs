//! The native file format: self-describing (the space, dimension, parameters and
//! storage mode are in the file, so loading needs no arguments), every section
//! checksummed, and laid out as in memory (the level-0 slots are the arena, byte for
//! byte, on page boundaries) so a file can be used where it lies.
//!
//! The byte-by-byte description is docs/native-format.md: a 256-byte header, a
//! section table, then the sections (level-0 slots, exact vectors, labels, levels,
//! upper-level offsets and lists, quantizer), each on a 4096-byte boundary with its
//! XXH3-64 checksum in the table.

use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use super::format::{all_finite, check_links, check_upper_links, MAX_LEVEL};
use super::graph::{SlotLayout, Storage, DELETED_BIT, LINKING_BIT};
use super::source::Source;
use super::{Graph, GraphConfig, LoadOptions, MAX_M};
use crate::arena::{Arena, ALIGN};
use crate::error::{Error, Result};
use crate::quant::{Quantization, ScalarQuantizer};
use crate::space::{Family, Space, SpaceKind};

/// The first bytes of every native file.
pub(crate) const MAGIC: [u8; 8] = *b"HNSWLRS\x1a";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 256;
const ENTRY_LEN: usize = 32;
const CHECKSUM_AT: usize = 248;
/// A custom space's name: UTF-8, zero-padded (all zeros: no name).
const NAME_AT: usize = 176;
const NAME_LEN: usize = crate::space::MAX_SPACE_NAME;
/// Sections start on page boundaries, so that a mapping of the file can use them.
const SECTION_ALIGN: u64 = 4096;
const MAX_SECTIONS: usize = 16;

const FLAG_REPLACE_DELETED: u32 = 1;
const FLAG_KEEP_VECTORS: u32 = 2;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Slots = 1,
    Exact = 2,
    Labels = 3,
    Levels = 4,
    UpperOffsets = 5,
    Upper = 6,
    Quantizer = 7,
}

/// Whether `prefix` (the start of a file) is a native file.
pub(crate) fn is_native(prefix: &[u8]) -> bool {
    prefix.starts_with(&MAGIC)
}

/// Per-index settings stored beside the graph.
pub(crate) struct Settings {
    pub ef: usize,
    pub rerank: f32,
}

fn space_code(kind: SpaceKind) -> u32 {
    match kind {
        SpaceKind::L2 => 0,
        SpaceKind::InnerProduct => 1,
        SpaceKind::Cosine => 2,
        SpaceKind::L2U8 => 3,
        SpaceKind::Custom => 4,
    }
}

fn quant_code(q: Quantization) -> u32 {
    match q {
        Quantization::None => 0,
        Quantization::Sq8 => 1,
        Quantization::Sq4 => 2,
    }
}

fn quant_of(code: u32) -> Result<Quantization> {
    Ok(match code {
        0 => Quantization::None,
        1 => Quantization::Sq8,
        2 => Quantization::Sq4,
        _ => return Err(Error::corrupt(format!("unknown quantization code {code}"))),
    })
}

/// The header fields, as written and as read.
struct Header {
    flags: u32,
    space: u32,
    quantization: u32,
    dim: u64,
    data_size: u64,
    m: u64,
    ef_construction: u64,
    ef: u64,
    mult: f64,
    random_seed: u64,
    count: u64,
    capacity: u64,
    entry: u64,
    max_level: i64,
    deleted: u64,
    max_m0: u64,
    stride: u64,
    payload_offset: u64,
    payload_size: u64,
    exact_size: u64,
    exact_stride: u64,
    rerank: f32,
    /// The custom space's name, zero-padded.
    name: [u8; NAME_LEN],
}

impl Header {
    fn to_bytes(&self, sections: u32) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..8].copy_from_slice(&MAGIC);
        let mut at = 8;
        let mut put = |bytes: &[u8]| {
            b[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        for v in [VERSION, self.flags, self.space, self.quantization] {
            put(&v.to_le_bytes());
        }
        for v in [
            self.dim,
            self.data_size,
            self.m,
            self.ef_construction,
            self.ef,
        ] {
            put(&v.to_le_bytes());
        }
        put(&self.mult.to_le_bytes());
        for v in [
            self.random_seed,
            self.count,
            self.capacity,
            self.entry,
            self.max_level as u64,
            self.deleted,
            self.max_m0,
            self.stride,
            self.payload_offset,
            self.payload_size,
            self.exact_size,
            self.exact_stride,
        ] {
            put(&v.to_le_bytes());
        }
        put(&self.rerank.to_le_bytes());
        put(&sections.to_le_bytes());
        put(&self.name);
        debug_assert_eq!(at, NAME_AT + NAME_LEN);
        b
    }

    fn parse(b: &[u8]) -> Header {
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        Header {
            flags: u32_at(12),
            space: u32_at(16),
            quantization: u32_at(20),
            dim: u64_at(24),
            data_size: u64_at(32),
            m: u64_at(40),
            ef_construction: u64_at(48),
            ef: u64_at(56),
            mult: f64::from_bits(u64_at(64)),
            random_seed: u64_at(72),
            count: u64_at(80),
            capacity: u64_at(88),
            entry: u64_at(96),
            max_level: u64_at(104) as i64,
            deleted: u64_at(112),
            max_m0: u64_at(120),
            stride: u64_at(128),
            payload_offset: u64_at(136),
            payload_size: u64_at(144),
            exact_size: u64_at(152),
            exact_stride: u64_at(160),
            rerank: f32::from_bits(u32_at(168)),
            name: b[NAME_AT..NAME_AT + NAME_LEN]
                .try_into()
                .expect("the name field"),
        }
    }
}

fn align(offset: u64) -> u64 {
    offset.next_multiple_of(SECTION_ALIGN)
}

/// Writes `g` in the native format. The caller holds the index exclusively.
pub(crate) fn write(g: &Graph, settings: &Settings, w: &mut dyn Write) -> io::Result<()> {
    let s = &g.storage;
    let l = &s.layout;
    let n = s.len();
    let (entry, max_level) = g.entry();

    // SAFETY: n ≤ capacity, and the caller holds the index exclusively, so nothing
    // writes the storage while these borrows live.
    let slots = unsafe { s.slot_bytes(n) };
    // SAFETY: as above.
    let (exact, exact_stride) = unsafe { s.exact_bytes(n) };
    let mut labels = Vec::with_capacity(8 * n);
    let mut levels = Vec::with_capacity(n);
    let mut offsets = Vec::with_capacity(8 * (n + 1));
    let mut upper = Vec::new();
    let mut deleted = 0u64;
    for id in 0..n as u32 {
        labels.extend_from_slice(&s.label(id).to_le_bytes());
        levels.push(s.level(id) as u8);
        offsets.extend_from_slice(&((upper.len() / 4) as u64).to_le_bytes());
        for word in s.upper_block(id) {
            upper.extend_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
        }
        deleted += s.is_deleted(id) as u64;
    }
    offsets.extend_from_slice(&((upper.len() / 4) as u64).to_le_bytes());
    let quantizer = g.quantizer.as_ref().map(|q| {
        let (lo, step) = q.ranges();
        let mut b = Vec::with_capacity(16 + 8 * lo.len());
        b.extend_from_slice(&quant_code(q.mode()).to_le_bytes());
        b.extend_from_slice(&((g.space.family().0 == Family::L2) as u32).to_le_bytes());
        b.extend_from_slice(&(lo.len() as u64).to_le_bytes());
        for v in lo.iter().chain(step) {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    });

    let mut sections: Vec<(Kind, &[u8])> = vec![(Kind::Slots, slots)];
    if exact_stride > 0 {
        sections.push((Kind::Exact, exact));
    }
    sections.extend([
        (Kind::Labels, &labels[..]),
        (Kind::Levels, &levels[..]),
        (Kind::UpperOffsets, &offsets[..]),
        (Kind::Upper, &upper[..]),
    ]);
    if let Some(q) = &quantizer {
        sections.push((Kind::Quantizer, q));
    }

    let header = Header {
        flags: (g.slots.allow_replace() as u32 * FLAG_REPLACE_DELETED)
            | (g.keep_vectors as u32 * FLAG_KEEP_VECTORS),
        space: space_code(g.space.kind()),
        quantization: quant_code(g.quantization),
        dim: g.space.dim() as u64,
        data_size: g.space.data_size() as u64,
        m: g.m as u64,
        ef_construction: g.ef_construction as u64,
        ef: settings.ef as u64,
        mult: g.mult,
        random_seed: g.random_seed,
        count: n as u64,
        capacity: s.max_elements as u64,
        entry: entry.map_or(u64::MAX, u64::from),
        max_level,
        deleted,
        max_m0: l.max_m0 as u64,
        stride: l.stride as u64,
        payload_offset: l.payload_offset as u64,
        payload_size: l.payload_size as u64,
        exact_size: if exact_stride > 0 {
            g.space.data_size() as u64
        } else {
            0
        },
        exact_stride: exact_stride as u64,
        rerank: settings.rerank,
        name: {
            let mut name = [0u8; NAME_LEN];
            let given = g.space.name().unwrap_or_default().as_bytes();
            name[..given.len()].copy_from_slice(given);
            name
        },
    };
    let mut head = header.to_bytes(sections.len() as u32).to_vec();
    let mut offset = align((HEADER_LEN + ENTRY_LEN * sections.len()) as u64);
    for (kind, bytes) in &sections {
        head.extend_from_slice(&(*kind as u32).to_le_bytes());
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&offset.to_le_bytes());
        head.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        head.extend_from_slice(&xxh3_64(bytes).to_le_bytes());
        offset = align(offset + bytes.len() as u64);
    }
    let sum = xxh3_64(&head);
    head[CHECKSUM_AT..CHECKSUM_AT + 8].copy_from_slice(&sum.to_le_bytes());
    w.write_all(&head)?;
    let mut at = head.len() as u64;
    let zeros = [0u8; SECTION_ALIGN as usize];
    for (_, bytes) in &sections {
        let pad = (align(at) - at) as usize;
        w.write_all(&zeros[..pad])?;
        w.write_all(bytes)?;
        at = align(at) + bytes.len() as u64;
    }
    w.flush()
}

/// One section as the table gives it.
#[derive(Clone, Copy)]
struct Section {
    offset: u64,
    len: u64,
    checksum: u64,
}

/// Reads the header and section table, checking the magic, version and checksum.
fn read_head(src: &dyn Source, len: u64) -> Result<(Header, Vec<(u32, Section)>)> {
    if len < HEADER_LEN as u64 {
        return Err(Error::corrupt(format!(
            "{len} bytes is shorter than the {HEADER_LEN}-byte header (truncated?)"
        )));
    }
    let mut scratch = Vec::new();
    let b = src.bytes_at(0, HEADER_LEN, &mut scratch).map_err(io_err)?;
    if !is_native(b) {
        return Err(Error::corrupt("not a native hnswlib-rs file (bad magic)"));
    }
    let version = u32::from_le_bytes(b[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(Error::NotSupported(format!(
            "native format version {version}; this library reads version {VERSION}"
        )));
    }
    let count = u32::from_le_bytes(b[172..176].try_into().expect("4 bytes")) as usize;
    if count > MAX_SECTIONS {
        return Err(Error::corrupt(format!(
            "{count} sections (at most {MAX_SECTIONS})"
        )));
    }
    let head_len = HEADER_LEN + ENTRY_LEN * count;
    if (head_len as u64) > len {
        return Err(Error::corrupt(
            "the section table runs past the end (truncated?)",
        ));
    }
    let mut head = src
        .bytes_at(0, head_len, &mut scratch)
        .map_err(io_err)?
        .to_vec();
    let stored = u64::from_le_bytes(head[CHECKSUM_AT..CHECKSUM_AT + 8].try_into().expect("8"));
    head[CHECKSUM_AT..CHECKSUM_AT + 8].fill(0);
    if xxh3_64(&head) != stored {
        return Err(Error::corrupt(
            "header checksum mismatch (corrupted header)",
        ));
    }
    if head[NAME_AT + NAME_LEN..CHECKSUM_AT]
        .iter()
        .any(|&x| x != 0)
    {
        return Err(Error::corrupt("reserved header bytes are not zero"));
    }
    let header = Header::parse(&head);
    let mut sections = Vec::with_capacity(count);
    for e in head[HEADER_LEN..].chunks_exact(ENTRY_LEN) {
        let u64_at = |o: usize| u64::from_le_bytes(e[o..o + 8].try_into().expect("8 bytes"));
        let kind = u32::from_le_bytes(e[..4].try_into().expect("4 bytes"));
        let s = Section {
            offset: u64_at(8),
            len: u64_at(16),
            checksum: u64_at(24),
        };
        if !s.offset.is_multiple_of(SECTION_ALIGN)
            || s.offset < head_len as u64
            || s.offset.checked_add(s.len).is_none_or(|end| end > len)
        {
            return Err(Error::corrupt(format!(
                "section {kind} at {} of {} bytes lies outside the {len}-byte file (truncated?)",
                s.offset, s.len
            )));
        }
        if sections.iter().any(|(k, _)| *k == kind) {
            return Err(Error::corrupt(format!("section {kind} appears twice")));
        }
        sections.push((kind, s));
    }
    Ok((header, sections))
}

fn io_err(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::corrupt("unexpected end of data (truncated?)")
    } else {
        Error::io("<index data>", e)
    }
}

/// The space the header describes, checked against the caller's when given.
fn space_of(h: &Header, given: Option<Space>) -> Result<Space> {
    let kind = match h.space {
        0 => SpaceKind::L2,
        1 => SpaceKind::InnerProduct,
        2 => SpaceKind::Cosine,
        3 => SpaceKind::L2U8,
        4 => SpaceKind::Custom,
        c => return Err(Error::corrupt(format!("unknown space code {c}"))),
    };
    let dim = usize::try_from(h.dim).map_err(|_| Error::corrupt("dim is too large"))?;
    let name = file_space_name(h, kind)?;
    let named = name.map_or(String::new(), |n| format!(" named {n:?}"));
    let space = match given {
        Some(s) if kind == SpaceKind::Custom => {
            if s.dim() != dim {
                return Err(Error::invalid(format!(
                    "the file holds an index with a custom distance{named} on {dim}-byte elements, not {}-byte",
                    s.dim()
                )));
            }
            match (name, s.name()) {
                (Some(file), Some(given)) if file != given => {
                    return Err(Error::invalid(format!(
                        "the file's custom distance is named {file:?}, the space given is named {given:?}"
                    )))
                }
                // The file names the distance: the index keeps the name, so saves keep it.
                (Some(file), None) => s.named(file)?,
                _ => s,
            }
        }
        Some(s) => {
            if s.kind() != kind || s.dim() != dim {
                return Err(Error::invalid(format!(
                    "the file holds a {} index of dim {dim}, not {} of dim {}",
                    kind.name(),
                    s.kind().name(),
                    s.dim()
                )));
            }
            s
        }
        None if kind == SpaceKind::Custom => {
            return Err(Error::invalid(format!(
                "the file holds an index with a custom distance{named} on {dim}-byte elements: load it with that space"
            )))
        }
        None => Space::by_name(kind.name(), dim).map_err(|e| Error::corrupt(e.to_string()))?,
    };
    if space.data_size() as u64 != h.data_size {
        return Err(Error::corrupt(format!(
            "{} bytes per vector recorded, {} expected",
            h.data_size,
            space.data_size()
        )));
    }
    Ok(space)
}

/// The custom space's name the header holds: none, or UTF-8 followed by zeros only;
/// built-in spaces have none.
fn file_space_name(h: &Header, kind: SpaceKind) -> Result<Option<&str>> {
    let len = h.name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    if h.name[len..].iter().any(|&b| b != 0) {
        return Err(Error::corrupt("the space name is not zero-padded"));
    }
    if len == 0 {
        return Ok(None);
    }
    if kind != SpaceKind::Custom {
        return Err(Error::corrupt(format!(
            "a {} space with a name (only custom spaces have one)",
            kind.name()
        )));
    }
    std::str::from_utf8(&h.name[..len])
        .map(Some)
        .map_err(|_| Error::corrupt("the space name is not UTF-8"))
}

/// What the header and section table say, checked against each other and against
/// the file's length before anything is allocated.
struct Plan {
    h: Header,
    sections: Vec<(u32, Section)>,
    space: Space,
    quantization: Quantization,
    m: usize,
    n: usize,
    layout: SlotLayout,
    slots: Section,
    exact: Option<Section>,
}

impl Plan {
    fn find(&self, kind: Kind) -> Option<Section> {
        self.sections
            .iter()
            .find(|(k, _)| *k == kind as u32)
            .map(|(_, s)| *s)
    }

    /// The section of `kind`, of exactly `bytes` bytes when given.
    fn need(&self, kind: Kind, bytes: Option<u64>) -> Result<Section> {
        let s = self
            .find(kind)
            .ok_or_else(|| Error::corrupt(format!("the {kind:?} section is missing")))?;
        if bytes.is_some_and(|b| b != s.len) {
            return Err(Error::corrupt(format!(
                "the {kind:?} section has {} bytes, {} expected",
                s.len,
                bytes.unwrap_or(0)
            )));
        }
        Ok(s)
    }

    fn config(&self, allow_replace_deleted: bool) -> GraphConfig {
        GraphConfig {
            m: self.m,
            ef_construction: self.h.ef_construction as usize,
            mult: self.h.mult,
            random_seed: self.h.random_seed,
            allow_replace_deleted: allow_replace_deleted
                || self.h.flags & FLAG_REPLACE_DELETED != 0,
            quantization: self.quantization,
            keep_vectors: self.h.flags & FLAG_KEEP_VECTORS != 0,
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            ef: self.h.ef as usize,
            rerank: self.h.rerank,
        }
    }
}

/// Reads and checks the header and section table of `src`; `space` is needed only
/// for custom distances, `quantization` (when not None) must be the file's.
fn plan(src: &dyn Source, space: Option<Space>, quantization: Quantization) -> Result<Plan> {
    let len = src.size().map_err(io_err)?;
    let (h, sections) = read_head(src, len)?;
    let space = space_of(&h, space)?;
    let file_quantization = quant_of(h.quantization)?;
    if quantization.is_quantized() && quantization != file_quantization {
        return Err(Error::invalid(format!(
            "the file stores {} storage; it cannot be loaded as {}",
            file_quantization.name(),
            quantization.name()
        )));
    }
    let corrupt = |what: &str| Error::corrupt(what.to_string());
    let m = usize::try_from(h.m).map_err(|_| corrupt("M is too large"))?;
    if !(2..=MAX_M).contains(&m) || h.max_m0 != 2 * h.m {
        return Err(Error::corrupt(format!(
            "M = {}, level-0 links {} are invalid",
            h.m, h.max_m0
        )));
    }
    let expected_mult = 1.0 / (m as f64).ln();
    if (h.mult - expected_mult).abs() > 1e-9 * expected_mult
        || h.ef_construction == 0
        || h.ef == 0
        || h.ef_construction > u32::MAX as u64
        || h.ef > u32::MAX as u64
    {
        return Err(Error::corrupt(format!(
            "mult {}, ef_construction {} or ef {} is invalid",
            h.mult, h.ef_construction, h.ef
        )));
    }
    if !(h.rerank.is_finite() && h.rerank >= 1.0) {
        return Err(Error::corrupt(format!("rerank {} is invalid", h.rerank)));
    }
    if h.count > h.capacity || h.count > u32::MAX as u64 {
        return Err(Error::corrupt(format!(
            "{} elements in a capacity of {} (at most {} elements)",
            h.count,
            h.capacity,
            u32::MAX
        )));
    }
    let mut plan = Plan {
        n: h.count as usize,
        h,
        sections,
        space,
        quantization: file_quantization,
        m,
        layout: SlotLayout::new(2, 0),
        slots: Section {
            offset: 0,
            len: 0,
            checksum: 0,
        },
        exact: None,
    };
    let h = &plan.h;
    // Check sizes against the file before allocating anything.
    let slots_len = h
        .count
        .checked_mul(h.stride)
        .ok_or_else(|| corrupt("slot bytes overflow"))?;
    plan.slots = plan.need(Kind::Slots, Some(slots_len))?;
    let (layout, exact_size) = Graph::layout(&plan.space, &plan.config(false))?;
    if (
        layout.max_m0 as u64,
        layout.stride as u64,
        layout.payload_offset as u64,
        layout.payload_size as u64,
    ) != (h.max_m0, h.stride, h.payload_offset, h.payload_size)
    {
        return Err(Error::corrupt(format!(
            "slot layout (stride {}, payload {} bytes at {}) differs from this library's (stride {}, payload {} bytes at {})",
            h.stride, h.payload_size, h.payload_offset, layout.stride, layout.payload_size, layout.payload_offset
        )));
    }
    plan.layout = layout;
    plan.exact = plan.find(Kind::Exact);
    if let Some(e) = plan.exact {
        let stride = Storage::exact_stride_for(exact_size);
        if stride as u64 != h.exact_stride
            || h.exact_size != h.data_size
            || Some(e.len) != h.count.checked_mul(h.exact_stride)
        {
            return Err(Error::corrupt(format!(
                "exact vectors: {} bytes of rows of stride {} do not fit {} elements of stride {stride}",
                e.len, h.exact_stride, h.count
            )));
        }
    }
    Ok(plan)
}

/// Reads a native index from `src`; `space` is needed only for custom distances.
pub(crate) fn read(
    src: &dyn Source,
    space: Option<Space>,
    opts: &LoadOptions,
) -> Result<(Graph, Settings)> {
    let p = plan(src, space, opts.quantization)?;
    let n = p.n;
    let file_capacity =
        usize::try_from(p.h.capacity).map_err(|_| Error::corrupt("capacity is too large"))?;
    // As for hnswlib's format: a capacity the caller asks for is allocated; the
    // file's is a limit, with slots allocated for the elements present.
    let (max_elements, capacity) = if opts.max_elements != 0 && opts.max_elements >= n {
        (opts.max_elements, opts.max_elements)
    } else {
        (file_capacity, n)
    };
    let mut g = Graph::new(
        p.space.clone(),
        p.config(opts.allow_replace_deleted),
        max_elements,
        capacity,
    )?;
    g.storage.count.store(n, Ordering::Relaxed);
    // SAFETY: n ≤ capacity, and the storage is fresh: nothing else can reach it.
    let slot_bytes = unsafe { g.storage.slot_bytes_mut(n) };
    read_section(src, p.slots, slot_bytes)?;
    if let Some(e) = p.exact {
        // SAFETY: as above.
        let exact_bytes = unsafe { g.storage.exact_bytes_mut(n) };
        read_section(src, e, exact_bytes)?;
    }
    read_meta(src, &p, &g)?;

    // The slots came in as bytes: check what the searches rely on.
    let mut deleted = 0u64;
    for id in 0..n as u32 {
        let header = g.storage.header(id);
        let word = header.load(Ordering::Relaxed);
        if word & LINKING_BIT != 0 {
            header.store(word & !LINKING_BIT, Ordering::Relaxed);
        }
        deleted += (word & DELETED_BIT != 0) as u64;
    }
    check_deleted(&p, deleted)?;
    check_vectors(&g, n)?;
    check_links(&g, n)?;
    finish(src, &p, &mut g)?;
    g.slots.load(n, &g.storage)?;
    Ok((g, p.settings()))
}

/// Options of [`view`] (see [`crate::hnsw::ViewOptions`]).
pub(crate) struct ViewChecks {
    /// Checksums of the level-0 and exact-vector sections, every level-0 link and
    /// every vector, as a load checks them.
    pub verify: bool,
}

/// A graph over a read-only mapping of a native file: the level-0 slots and exact
/// vectors stay in the mapping (shared with every other process that maps the
/// file), labels, levels and upper levels are copied out. Unless `checks.verify`,
/// the large sections are neither checksummed nor read here, so opening costs
/// what the small sections cost; searches stay memory-safe on any level-0 bytes,
/// since they skip neighbour ids outside the storage.
pub(crate) fn view(
    map: &Arc<memmap2::Mmap>,
    space: Option<Space>,
    checks: &ViewChecks,
) -> Result<(Graph, Settings)> {
    let src: &[u8] = map;
    let p = plan(&src, space, Quantization::None)?;
    let n = p.n;
    let region = |s: Section, len: usize| {
        usize::try_from(s.offset)
            .ok()
            .and_then(|offset| Arena::in_file(map, offset, len))
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "the section at {} does not lie inside the file or is misaligned",
                    s.offset
                ))
            })
    };
    // The slots are followed by a line kernels may read past the last one.
    let slots = region(p.slots, p.slots.len as usize + ALIGN)?;
    let (exact, exact_size) = match p.exact {
        Some(e) => (region(e, e.len as usize)?, p.space.data_size()),
        None => (Arena::zeroed(0, "exact vectors")?, 0),
    };
    if checks.verify {
        verify_checksum(
            p.slots,
            &src[p.slots.offset as usize..][..p.slots.len as usize],
        )?;
        if let Some(e) = p.exact {
            verify_checksum(e, &src[e.offset as usize..][..e.len as usize])?;
        }
    }
    let max_elements = usize::try_from(p.h.capacity).unwrap_or(usize::MAX);
    let storage = Storage::view(p.layout, p.m, exact_size, n, max_elements, slots, exact)?;
    let mut g = Graph::with_storage(p.space.clone(), p.config(false), storage)?;
    read_meta(&src, &p, &g)?;
    if checks.verify {
        let mut deleted = 0u64;
        for id in 0..n as u32 {
            let word = g.storage.header(id).load(Ordering::Relaxed);
            if word & LINKING_BIT != 0 {
                return Err(Error::corrupt(format!(
                    "element {id} is marked as being inserted"
                )));
            }
            deleted += (word & DELETED_BIT != 0) as u64;
        }
        check_deleted(&p, deleted)?;
        check_vectors(&g, n)?;
        check_links(&g, n)?;
    } else {
        // The upper levels were copied: check them (searches rely on their levels).
        check_upper_links(&g, n)?;
    }
    finish(&src, &p, &mut g)?;
    let deleted = usize::try_from(p.h.deleted)
        .ok()
        .filter(|&d| d <= n)
        .ok_or_else(|| Error::corrupt("more deleted elements than elements"))?;
    g.slots.load_view(deleted);
    Ok((g, p.settings()))
}

fn check_deleted(p: &Plan, deleted: u64) -> Result<()> {
    if deleted != p.h.deleted {
        return Err(Error::corrupt(format!(
            "{deleted} elements are marked deleted, the header says {}",
            p.h.deleted
        )));
    }
    Ok(())
}

/// Reads the labels, levels and upper levels into `g`'s storage.
fn read_meta(src: &dyn Source, p: &Plan, g: &Graph) -> Result<()> {
    let (h, n) = (&p.h, p.n);
    let corrupt = |what: &str| Error::corrupt(what.to_string());
    // One buffer per section (used only when the source is a file, not bytes).
    let mut scratch: [Vec<u8>; 4] = Default::default();
    let [s_labels, s_levels, s_offsets, s_upper] = &mut scratch;
    let labels = small_section(src, p.need(Kind::Labels, Some(8 * h.count))?, s_labels)?;
    let levels = small_section(src, p.need(Kind::Levels, Some(h.count))?, s_levels)?;
    let offsets = small_section(
        src,
        p.need(Kind::UpperOffsets, Some(8 * (h.count + 1)))?,
        s_offsets,
    )?;
    let upper = small_section(src, p.need(Kind::Upper, None)?, s_upper)?;
    if !upper.len().is_multiple_of(4) {
        return Err(corrupt("the upper-level section is not whole words"));
    }
    let u64_at =
        |b: &[u8], i: usize| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    let list_words = (g.storage.upper_list_bytes() / 4) as u64;
    let total_words = (upper.len() / 4) as u64;
    let mut words = Vec::new();
    for (id, &level) in levels.iter().enumerate().take(n) {
        let level = level as u64;
        let (from, to) = (u64_at(offsets, id), u64_at(offsets, id + 1));
        if level as usize > MAX_LEVEL
            || from > to
            || to > total_words
            || to - from != level * list_words
        {
            return Err(Error::corrupt(format!(
                "element {id}: level {level} does not match its upper-level words {from}..{to}"
            )));
        }
        words.clear();
        words.extend(
            upper[4 * from as usize..4 * to as usize]
                .chunks_exact(4)
                .map(|w| u32::from_le_bytes(w.try_into().expect("4 bytes"))),
        );
        g.storage
            .load_meta(id as u32, u64_at(labels, id), level as usize, &words)?;
    }
    if u64_at(offsets, 0) != 0 || u64_at(offsets, n) != total_words {
        return Err(corrupt(
            "the upper-level offsets do not cover the upper-level section",
        ));
    }
    Ok(())
}

/// The quantizer, the storage mode's sections and the entry point.
fn finish(src: &dyn Source, p: &Plan, g: &mut Graph) -> Result<()> {
    let corrupt = |what: &str| Error::corrupt(what.to_string());
    let (h, n) = (&p.h, p.n);
    let mut scratch = Vec::new();
    if let Some(q) = p.find(Kind::Quantizer) {
        if !p.quantization.is_quantized() {
            return Err(corrupt("a quantizer section in an unquantized index"));
        }
        let b = small_section(src, q, &mut scratch)?;
        g.quantizer = Some(parse_quantizer(b, p.quantization, &g.space)?);
    }
    let keep_vectors = h.flags & FLAG_KEEP_VECTORS != 0;
    if p.quantization.is_quantized() {
        match (p.exact.is_some(), g.quantizer.is_some()) {
            (false, true) if !keep_vectors => g.storage.drop_exact_arena()?,
            (true, true) if keep_vectors => {}
            (true, false) => {}
            _ => {
                return Err(corrupt(
                    "the exact-vector and quantizer sections do not match the storage mode",
                ))
            }
        }
    } else if p.exact.is_some() {
        return Err(corrupt("an exact-vector section in an unquantized index"));
    }

    if n > 0 {
        let entry = h.entry;
        if entry >= h.count
            || h.max_level < 0
            || (g.storage.level(entry as u32) as i64) < h.max_level
        {
            return Err(Error::corrupt(format!(
                "entry point {entry} / top level {} invalid for {n} elements",
                h.max_level
            )));
        }
        g.set_entry(entry as u32, h.max_level as usize);
    } else if h.entry != u64::MAX || h.max_level != -1 {
        return Err(corrupt("an empty index with an entry point"));
    }
    Ok(())
}

fn verify_checksum(s: Section, bytes: &[u8]) -> Result<()> {
    if xxh3_64(bytes) != s.checksum {
        return Err(Error::corrupt(format!(
            "checksum mismatch in the {}-byte section at {} (corrupted data)",
            s.len, s.offset
        )));
    }
    Ok(())
}

/// Reads a large section straight into `dst` (in parallel runs for files), then
/// verifies its checksum.
fn read_section(src: &dyn Source, s: Section, dst: &mut [u8]) -> Result<()> {
    const RUN: usize = 1 << 20;
    debug_assert_eq!(dst.len() as u64, s.len);
    let runs: Vec<parking_lot::Mutex<&mut [u8]>> =
        dst.chunks_mut(RUN).map(parking_lot::Mutex::new).collect();
    crate::parallel::for_each_row(runs.len(), 0, None, |r| {
        let mut run = runs[r].lock();
        src.read_at(s.offset + (r * RUN) as u64, &mut run)
            .map_err(io_err)
    })?;
    drop(runs);
    verify_checksum(s, dst)
}

/// The bytes of a small section, checksum verified.
fn small_section<'a>(
    src: &'a dyn Source,
    s: Section,
    scratch: &'a mut Vec<u8>,
) -> Result<&'a [u8]> {
    let len = usize::try_from(s.len).map_err(|_| Error::corrupt("section too large"))?;
    let b = src.bytes_at(s.offset, len, scratch).map_err(io_err)?;
    verify_checksum(s, b)?;
    Ok(b)
}

/// The f32 vectors (exact rows, or unquantized payloads) must be finite.
fn check_vectors(g: &Graph, n: usize) -> Result<()> {
    if !matches!(
        g.space.kind(),
        SpaceKind::L2 | SpaceKind::InnerProduct | SpaceKind::Cosine
    ) {
        return Ok(());
    }
    let Some(rows) = g.storage.exact_rows(g.quantization.is_quantized()) else {
        return Ok(());
    };
    const PER_TASK: usize = 16 * 1024;
    crate::parallel::for_each_row(n.div_ceil(PER_TASK), 0, None, |t| {
        for id in t * PER_TASK..(t * PER_TASK + PER_TASK).min(n) {
            // SAFETY: id < n ≤ capacity; the storage is not shared yet.
            if !all_finite(unsafe { rows.slice(id as u32) }) {
                return Err(Error::corrupt(format!(
                    "element {id} holds NaN or infinity"
                )));
            }
        }
        Ok(())
    })
}

fn parse_quantizer(b: &[u8], mode: Quantization, space: &Space) -> Result<ScalarQuantizer> {
    let bad = |why: &str| Error::corrupt(format!("quantizer section: {why}"));
    if b.len() < 16 {
        return Err(bad("too short"));
    }
    let stored_mode = quant_of(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")))?;
    let with_norm = u32::from_le_bytes(b[4..8].try_into().expect("4 bytes"));
    let dim = u64::from_le_bytes(b[8..16].try_into().expect("8 bytes"));
    let l2 = space.family().0 == Family::L2;
    if stored_mode != mode || with_norm != l2 as u32 || dim != space.dim() as u64 {
        return Err(bad("mode, norm flag or dim differs from the header"));
    }
    if (b.len() - 16) as u64 != 8 * dim {
        return Err(bad("wrong length"));
    }
    let values: Vec<f32> = b[16..]
        .chunks_exact(4)
        .map(|v| f32::from_le_bytes(v.try_into().expect("4 bytes")))
        .collect();
    let (lo, step) = values.split_at(dim as usize);
    if values.iter().any(|v| !v.is_finite()) || step.iter().any(|&s| s < 0.0) {
        return Err(bad("a range is not finite or a step is negative"));
    }
    Ok(ScalarQuantizer::from_ranges(
        mode,
        l2,
        lo.to_vec(),
        step.to_vec(),
    ))
}
