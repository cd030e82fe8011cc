//! Structure-aware: takes a valid index file (a committed hnswlib fixture or a small
//! generated one, in every space) and patches header fields, level-0 words, labels
//! and upper-level sizes with values chosen to hit the reader's checks (0, the
//! maximum, powers of two, the element count and its neighbours, small deltas), then
//! loads and uses it. Byte mutation rarely makes such coordinated changes.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use hnswlib_core::HnswIndex;
use hnswlib_fuzz::{
    exercise_hnsw, generated_hnsw_seeds, hnsw_data_size, load_options, selector, space_for,
    HNSW_FIXTURES,
};
use libfuzzer_sys::fuzz_target;

/// The 8-byte header fields (offset); the two 4-byte ones are patched by `Word`.
const U64_FIELDS: [usize; 10] = [0, 8, 16, 24, 32, 40, 56, 64, 72, 88];

#[derive(Arbitrary, Debug)]
enum Value {
    Delta(i8),
    Zero,
    Max,
    Pow2(u8),
    Count(i8),
    Raw(u64),
}

impl Value {
    fn apply(&self, old: u64, count: u64) -> u64 {
        match *self {
            Value::Delta(d) => old.wrapping_add(d as i64 as u64),
            Value::Zero => 0,
            Value::Max => u64::MAX,
            Value::Pow2(p) => 1u64.wrapping_shl(p as u32 % 64),
            Value::Count(d) => count.wrapping_add(d as i64 as u64),
            Value::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Patch {
    /// One of the 8-byte header fields.
    Header { field: u8, value: Value },
    /// maxlevel (offset 48) or enterpoint_node (offset 52).
    HeaderWord { entry: bool, value: Value },
    /// Word `word` of element `element`'s level-0 record: its count and flags, a
    /// link, a vector word or half its label.
    Record {
        element: u16,
        word: u16,
        value: Value,
    },
    /// The size of element `element`'s upper levels.
    UpperSize { element: u16, value: Value },
    /// Any byte.
    Byte { at: u32, value: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u8,
    /// Load option bits (see the crate docs); the space comes from the seed.
    options: u8,
    patches: Vec<Patch>,
    /// Cut the file to this length (modulo its size + 1).
    truncate: Option<u32>,
    steer: u8,
}

fn seeds() -> &'static [(&'static str, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(&'static str, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut s: Vec<_> = HNSW_FIXTURES
            .iter()
            .map(|&(name, bytes)| (name, bytes.to_vec()))
            .collect();
        s.extend(generated_hnsw_seeds());
        s
    })
}

fn get(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let mut v = [0u8; 8];
    v[..n].copy_from_slice(b.get(at..at + n)?);
    Some(u64::from_le_bytes(v))
}

fn put(b: &mut [u8], at: usize, n: usize, v: u64) {
    if let Some(dst) = b.get_mut(at..at + n) {
        dst.copy_from_slice(&v.to_le_bytes()[..n]);
    }
}

/// Byte offset of element `i`'s upper-level size field (walking the sizes as stored).
fn upper_size_at(b: &[u8], i: usize) -> Option<usize> {
    let (count, record) = (get(b, 16, 8)? as usize, get(b, 24, 8)? as usize);
    let mut at = 96usize.checked_add(count.checked_mul(record)?)?;
    for _ in 0..i {
        at = at.checked_add(4)?.checked_add(get(b, at, 4)? as usize)?;
    }
    Some(at)
}

fuzz_target!(|input: Input| {
    let all = seeds();
    let (name, seed) = &all[input.seed as usize % all.len()];
    let mut file = seed.clone();
    let count = get(&file, 16, 8).unwrap_or(0);
    let record = get(&file, 24, 8).unwrap_or(1).max(1) as usize;
    for p in input.patches.iter().take(8) {
        match p {
            Patch::Header { field, value } => {
                let at = U64_FIELDS[*field as usize % U64_FIELDS.len()];
                let old = get(&file, at, 8).unwrap_or(0);
                put(&mut file, at, 8, value.apply(old, count));
            }
            Patch::HeaderWord { entry, value } => {
                let at = if *entry { 52 } else { 48 };
                let old = get(&file, at, 4).unwrap_or(0);
                put(&mut file, at, 4, value.apply(old, count));
            }
            Patch::Record {
                element,
                word,
                value,
            } => {
                let i = *element as u64 % count.max(1);
                let at = 96 + i as usize * record + (*word as usize * 4) % record;
                let old = get(&file, at, 4).unwrap_or(0);
                put(&mut file, at, 4, value.apply(old, count));
            }
            Patch::UpperSize { element, value } => {
                if let Some(at) = upper_size_at(&file, *element as usize % count.max(1) as usize) {
                    let old = get(&file, at, 4).unwrap_or(0);
                    put(&mut file, at, 4, value.apply(old, count));
                }
            }
            Patch::Byte { at, value } => {
                let n = file.len();
                if n > 0 {
                    file[*at as usize % n] = *value;
                }
            }
        }
    }
    if let Some(t) = input.truncate {
        file.truncate(t as usize % (file.len() + 1));
    }
    let sel = selector(name, input.options);
    let space = space_for(sel as usize & 3, hnsw_data_size(&file), file.len());
    let Ok(index) = HnswIndex::from_bytes(&file, space.clone(), &load_options(sel)) else {
        return;
    };
    exercise_hnsw(
        &index,
        &space,
        input.steer as usize % 16,
        input.steer as usize / 16,
    );
});
