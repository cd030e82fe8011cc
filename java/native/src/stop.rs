//! Range (epsilon) and document (multi-vector) searches: `Native.rangeSearch` and
//! `Native.searchDocs`. Their results have a size only the search knows, so each
//! returns one `long[]` that the Java side unpacks: `rows + 1` offsets (FAISS's
//! `lims`), then for documents the document ids, then the labels, then the distances
//! as `Float.floatToRawIntBits`.

use hnswlib_core::DocHit;
use jni::objects::{JByteArray, JClass, JFloatArray, JLongArray, JObject};
use jni::sys::{jfloat, jint, jlong, jlongArray};
use jni::{Env, EnvUnowned};

use crate::fail::{Fail, Res};
use crate::registry::Index;
use crate::{long_array, read_labels, run, searching, with_vectors};

/// `lims`, then each of `columns` over all results, as one Java `long[]`.
fn packed(env: &mut Env, lims: &[usize], columns: &[Vec<i64>]) -> Res<jlongArray> {
    let total: usize = lims.len() + columns.iter().map(Vec::len).sum::<usize>();
    let mut out: Vec<i64> = Vec::with_capacity(total);
    out.extend(lims.iter().map(|&l| l as i64));
    for c in columns {
        out.extend_from_slice(c);
    }
    long_array(env, &out)
}

fn bits(d: f32) -> i64 {
    i64::from(d.to_bits() as i32)
}

/// `static native long[] rangeSearch(long id, float[] queries, byte[] bytes, Buffer buf,
/// int pos,
/// int len, float epsilon, long maxResults, int minCandidates, LongPredicate filter,
/// LabelFilter labelFilter, int threads)`: packed lims, labels, distance bits.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_rangeSearch<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    queries: JFloatArray<'l>,
    bytes: JByteArray<'l>,
    buffer: JObject<'l>,
    pos: jint,
    len: jint,
    epsilon: jfloat,
    max_results: jlong,
    min_candidates: jint,
    filter: JObject<'l>,
    label_filter: JObject<'l>,
    threads: jint,
) -> jlongArray {
    run(&mut env, |env| {
        let max = usize::try_from(max_results).map_err(|_| {
            Fail::Arg(format!(
                "maxResults must not be negative, got {max_results}"
            ))
        })?;
        let res = searching(
            env,
            id,
            (&queries, &bytes, &buffer),
            (pos, len),
            0,
            (min_candidates, f32::NAN),
            (&filter, &label_filter),
            threads,
            |index, q, _, opts| match index {
                Index::Hnsw(h) => with_vectors!(q, |q| h.search_range_batch(q, epsilon, max, opts)),
                Index::Brute(b) => {
                    with_vectors!(q, |q| b.search_range_batch(q, epsilon, max, opts))
                }
            },
        )?;
        let labels = res.labels.iter().map(|&l| l as i64).collect();
        let dists = res.distances.iter().map(|&d| bits(d)).collect();
        packed(env, &res.lims, &[labels, dists])
    })
}

/// `static native long[] searchDocs(long id, float[] queries, byte[] bytes, Buffer buf,
/// int pos,
/// int len, int k, long[] docOfLabel, int efCollection, LongPredicate filter,
/// LabelFilter labelFilter, int threads)`: packed lims, docs, labels, distance bits. `docOfLabel[label]` is the
/// label's document; negative, or a label past its end: none.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_searchDocs<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    queries: JFloatArray<'l>,
    bytes: JByteArray<'l>,
    buffer: JObject<'l>,
    pos: jint,
    len: jint,
    k: jint,
    doc_of_label: JLongArray<'l>,
    ef_collection: jint,
    filter: JObject<'l>,
    label_filter: JObject<'l>,
    threads: jint,
) -> jlongArray {
    run(&mut env, |env| {
        let table = read_labels(env, &doc_of_label)?
            .ok_or_else(|| Fail::Arg("docOfLabel must not be null".into()))?;
        let doc_of = |l: u64| {
            let d = *table.get(usize::try_from(l).ok()?)? as i64;
            u64::try_from(d).ok()
        };
        let rows = searching(
            env,
            id,
            (&queries, &bytes, &buffer),
            (pos, len),
            k,
            (ef_collection, f32::NAN),
            (&filter, &label_filter),
            threads,
            |index, q, k, opts| match index {
                Index::Hnsw(h) => with_vectors!(q, |q| h.search_docs_batch(q, k, &doc_of, opts)),
                Index::Brute(b) => with_vectors!(q, |q| b.search_docs_batch(q, k, &doc_of, opts)),
            },
        )?;
        let mut lims = vec![0usize];
        let all: Vec<&DocHit> = rows.iter().flatten().collect();
        for r in &rows {
            lims.push(lims.last().copied().unwrap_or(0) + r.len());
        }
        let docs = all.iter().map(|h| h.doc as i64).collect();
        let labels = all.iter().map(|h| h.label as i64).collect();
        let dists = all.iter().map(|h| bits(h.distance)).collect();
        packed(env, &lims, &[docs, labels, dists])
    })
}
