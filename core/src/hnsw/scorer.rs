//! Distances from one query to the index's elements: one type per representation
//! (f32, u8, custom, 8-bit and 4-bit codes) and instruction set, so that each search
//! is compiled with its kernel inlined instead of calling through a pointer per
//! distance.
//!
//! [`visit`] builds the scorers for a graph and a query and hands them to a
//! [`ScorerTask`], monomorphised for each combination.

use std::marker::PhantomData;

use super::graph::Rows;
use super::Graph;
use crate::kernels::Isa;
use crate::quant::{Quantization, QueryCodes, ScalarQuantizer};
use crate::space::{Family, PreparedVec, Space};

/// Distances from one query to the elements of one storage.
pub(crate) trait Scorer {
    /// Distance from the query to element `id`.
    fn dist(&self, id: u32) -> f32;
    /// Hints the CPU to fetch what `dist(id)` reads.
    fn prefetch(&self, id: u32);
    /// Distance between elements `a` and `b`, in hnswlib's argument order (the
    /// construction heuristic compares candidates with each other).
    fn between(&self, a: u32, b: u32) -> f32;
}

/// Work that needs a graph's scorers (see [`visit`]).
pub(crate) trait ScorerTask {
    /// The result.
    type Out;
    /// Runs with `traverse` scoring what the search walks through and, when that is
    /// a quantized code and the exact vectors exist, `exact` re-scoring candidates.
    fn run<S: Scorer, E: Scorer>(self, traverse: S, exact: Option<E>) -> Self::Out;
}

/// What to score a query with.
#[derive(Clone, Copy)]
pub(crate) enum Traverse<'a> {
    /// The exact vectors (unquantized indexes, and construction while they exist).
    Exact,
    /// The codes, with the query's weights; exact vectors, where kept, re-rank.
    Codes(&'a QueryCodes),
}

/// Builds the scorers of `g` for query `q` (prepared by the space) and runs `task`
/// with them, monomorphised for instruction set `I`.
#[inline(always)]
pub(crate) fn visit<I: Isa, T: ScorerTask>(
    g: &Graph,
    q: &PreparedVec,
    traverse: Traverse<'_>,
    task: T,
) -> T::Out {
    let s = &g.storage;
    let cap = s.capacity as u32;
    let quantizer = g.quantizer.as_ref();
    let exact_rows = s.exact_rows(g.quantization.is_quantized());
    let (family, _) = g.space.family();
    match traverse {
        Traverse::Codes(codes) => {
            let quant = quantizer.expect("codes are traversed only once trained");
            let rows = s.payloads();
            let exact = |rows: Rows| F32::<I, false>::new(q, g.space.dim(), rows, cap);
            let exact_l2 = |rows: Rows| F32::<I, true>::new(q, g.space.dim(), rows, cap);
            match (quant.mode(), family) {
                (Quantization::Sq4, Family::L2) => task.run(
                    Code::<I, true, true>::new(codes, quant, rows, cap),
                    exact_rows.map(exact_l2),
                ),
                (Quantization::Sq4, _) => task.run(
                    Code::<I, true, false>::new(codes, quant, rows, cap),
                    exact_rows.map(exact),
                ),
                (_, Family::L2) => task.run(
                    Code::<I, false, true>::new(codes, quant, rows, cap),
                    exact_rows.map(exact_l2),
                ),
                _ => task.run(
                    Code::<I, false, false>::new(codes, quant, rows, cap),
                    exact_rows.map(exact),
                ),
            }
        }
        Traverse::Exact => {
            let rows = exact_rows.expect("exact traversal needs the exact vectors");
            let dim = g.space.dim();
            match family {
                Family::L2 => task.run(
                    F32::<I, true>::new(q, dim, rows, cap),
                    None::<F32<'_, I, true>>,
                ),
                Family::Dot => task.run(
                    F32::<I, false>::new(q, dim, rows, cap),
                    None::<F32<'_, I, false>>,
                ),
                Family::L2U8 => task.run(U8::<I>::new(q, dim, rows, cap), None::<U8<'_, I>>),
                Family::Custom => task.run(Custom::new(q, &g.space, rows, cap), None::<Custom<'_>>),
            }
        }
    }
}

/// Checks an element id against the storage capacity the rows were taken from: the
/// one bound that makes every row read below in bounds.
#[inline(always)]
fn check(id: u32, cap: u32) {
    assert!(id < cap, "element id {id} out of range");
}

/// f32 vectors: squared L2 (`L2`) or `1 - dot`.
pub(crate) struct F32<'a, I, const L2: bool> {
    q: *const f32,
    dim: usize,
    rows: Rows,
    cap: u32,
    _p: PhantomData<(&'a PreparedVec, I)>,
}

impl<'a, I: Isa, const L2: bool> F32<'a, I, L2> {
    fn new(q: &'a PreparedVec, dim: usize, rows: Rows, cap: u32) -> Self {
        F32 {
            q: q.as_ptr().cast(),
            dim,
            rows,
            cap,
            _p: PhantomData,
        }
    }

    #[inline(always)]
    fn kernel(&self, a: *const u8, b: *const u8) -> f32 {
        // SAFETY: both point at dim f32 (4-byte aligned: the query buffer, or a row of
        // an arena whose rows are 4-byte aligned), readable while 'a lives.
        unsafe {
            if L2 {
                I::l2_f32(a.cast(), b.cast(), self.dim)
            } else {
                1.0 - I::dot_f32(a.cast(), b.cast(), self.dim)
            }
        }
    }
}

impl<I: Isa, const L2: bool> Scorer for F32<'_, I, L2> {
    #[inline(always)]
    fn dist(&self, id: u32) -> f32 {
        check(id, self.cap);
        self.kernel(self.q.cast(), self.rows.at(id))
    }
    #[inline(always)]
    fn prefetch(&self, id: u32) {
        self.rows.prefetch(id);
    }
    #[inline(always)]
    fn between(&self, a: u32, b: u32) -> f32 {
        check(a, self.cap);
        check(b, self.cap);
        self.kernel(self.rows.at(a), self.rows.at(b))
    }
}

/// u8 vectors, squared L2 (hnswlib's `L2SpaceI`).
pub(crate) struct U8<'a, I> {
    q: *const u8,
    dim: usize,
    rows: Rows,
    cap: u32,
    _p: PhantomData<(&'a PreparedVec, I)>,
}

impl<'a, I: Isa> U8<'a, I> {
    fn new(q: &'a PreparedVec, dim: usize, rows: Rows, cap: u32) -> Self {
        U8 {
            q: q.as_ptr(),
            dim,
            rows,
            cap,
            _p: PhantomData,
        }
    }
}

impl<I: Isa> Scorer for U8<'_, I> {
    #[inline(always)]
    fn dist(&self, id: u32) -> f32 {
        check(id, self.cap);
        // SAFETY: the query and the row hold dim bytes, readable while 'a lives.
        unsafe { I::l2_u8(self.q, self.rows.at(id), self.dim) as f32 }
    }
    #[inline(always)]
    fn prefetch(&self, id: u32) {
        self.rows.prefetch(id);
    }
    #[inline(always)]
    fn between(&self, a: u32, b: u32) -> f32 {
        check(a, self.cap);
        check(b, self.cap);
        // SAFETY: as above, two rows.
        unsafe { I::l2_u8(self.rows.at(a), self.rows.at(b), self.dim) as f32 }
    }
}

/// A user distance (called through the space).
pub(crate) struct Custom<'a> {
    q: *const u8,
    space: &'a Space,
    rows: Rows,
    cap: u32,
}

impl<'a> Custom<'a> {
    fn new(q: &'a PreparedVec, space: &'a Space, rows: Rows, cap: u32) -> Self {
        Custom {
            q: q.as_ptr(),
            space,
            rows,
            cap,
        }
    }
}

impl Scorer for Custom<'_> {
    #[inline(always)]
    fn dist(&self, id: u32) -> f32 {
        check(id, self.cap);
        // SAFETY: the query and the row hold data_size bytes, 4-byte aligned.
        unsafe { self.space.distance_raw(self.q, self.rows.at(id)) }
    }
    #[inline(always)]
    fn prefetch(&self, id: u32) {
        self.rows.prefetch(id);
    }
    #[inline(always)]
    fn between(&self, a: u32, b: u32) -> f32 {
        check(a, self.cap);
        check(b, self.cap);
        // SAFETY: as above, two rows.
        unsafe { self.space.distance_raw(self.rows.at(a), self.rows.at(b)) }
    }
}

/// Quantized codes (`SQ4`: 4-bit, else 8-bit), scored against a query's weights;
/// `NORM`: squared L2, whose payloads start with `|x̂|²`.
pub(crate) struct Code<'a, I, const SQ4: bool, const NORM: bool> {
    w: *const i16,
    n: usize,
    bias: f32,
    scale: f32,
    codes_at: usize,
    quant: &'a ScalarQuantizer,
    rows: Rows,
    cap: u32,
    _p: PhantomData<I>,
}

impl<'a, I: Isa, const SQ4: bool, const NORM: bool> Code<'a, I, SQ4, NORM> {
    fn new(q: &'a QueryCodes, quant: &'a ScalarQuantizer, rows: Rows, cap: u32) -> Self {
        debug_assert_eq!(quant.mode() == Quantization::Sq4, SQ4);
        debug_assert_eq!(quant.with_norm(), NORM);
        Code {
            w: q.w.as_ptr(),
            n: quant.code_count(),
            bias: q.bias,
            scale: q.scale,
            codes_at: quant.codes_at(),
            quant,
            rows,
            cap,
            _p: PhantomData,
        }
    }
}

impl<I: Isa, const SQ4: bool, const NORM: bool> Scorer for Code<'_, I, SQ4, NORM> {
    #[inline(always)]
    fn dist(&self, id: u32) -> f32 {
        check(id, self.cap);
        let p = self.rows.at(id);
        // SAFETY: the row is a payload of this quantizer (codes_at + its code bytes,
        // with |x̂|² as the first 4 bytes when NORM, 4-byte aligned), and w holds the
        // weights of code_count codes in the kernels' layout (QueryCodes).
        unsafe {
            let codes = p.add(self.codes_at);
            let dot = if SQ4 {
                I::dot_sq4(codes, self.w, self.n)
            } else {
                I::dot_sq8(codes, self.w, self.n)
            };
            let d = self.bias + self.scale * dot as f32;
            if NORM {
                d + p.cast::<f32>().read()
            } else {
                d
            }
        }
    }
    #[inline(always)]
    fn prefetch(&self, id: u32) {
        self.rows.prefetch(id);
    }
    #[inline(always)]
    fn between(&self, a: u32, b: u32) -> f32 {
        check(a, self.cap);
        check(b, self.cap);
        // SAFETY: both rows are payloads of this quantizer, readable while 'a lives.
        let (pa, pb) = unsafe { (self.rows.slice(a), self.rows.slice(b)) };
        self.quant.between(pa, pb)
    }
}
