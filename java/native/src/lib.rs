//! # hnswlib-jni
//!
//! The JNI library of the Java binding of hnswlib-rs (`io.github.hnswlibrs:hnswlib-rs`).
//! It implements the static native methods of the package-private Java class
//! `io.github.hnswlibrs.Native`, and does nothing but convert: Java arguments to
//! core calls, core results to Java arrays, core errors to Java exceptions.
//!
//! * [`registry`]: index handles are ids in a table, never pointers, so use after
//!   close and close during use are safe.
//! * [`upcalls`]: filters, progress listeners and Java distances called from the
//!   core's worker threads.
//! * [`fail`]: the mapping of errors (and panics) to Java exceptions.
//!
//! Every native method runs its body inside `EnvUnowned::with_env`, which catches
//! panics, so no panic unwinds into the JVM.

pub mod fail;
pub mod registry;
pub mod stop;
pub mod upcalls;

use std::ffi::c_void;
use std::sync::Arc;

use hnswlib_core::{
    AddOptions, BruteForceIndex, CDistanceFn, Element, FileFormat, HnswIndex, HnswParams,
    LabelFilter, LoadOptions, Neighbor, Quantization, SaveOptions, SearchOptions, Space, SpaceKind,
    ViewOptions,
};
use jni::objects::{JByteArray, JClass, JFloatArray, JIntArray, JLongArray, JObject, JString};
use jni::sys::{jboolean, jbyteArray, jfloat, jfloatArray, jint, jlong, jlongArray, jobject};
use jni::{jni_sig, jni_str, Env, EnvUnowned};

use crate::fail::{Fail, Res, ThrowFail};
use crate::registry::Index;
use crate::upcalls::{JavaDistance, Upcalls};

/// Space kinds as numbered by `io.github.hnswlibrs.Space`.
const SPACE_L2: jint = 0;
const SPACE_IP: jint = 1;
const SPACE_COSINE: jint = 2;
const SPACE_JAVA: jint = 3;
const SPACE_NATIVE: jint = 4;
const SPACE_L2U8: jint = 5;

/// The core mode for the ordinal of the Java enum `io.github.hnswlibrs.Quantization`
/// (`NONE`, `SQ8`, `SQ4`), which the Java side passes.
fn quantization(ordinal: jint) -> Res<Quantization> {
    match ordinal {
        0 => Ok(Quantization::None),
        1 => Ok(Quantization::Sq8),
        2 => Ok(Quantization::Sq4),
        _ => Err(Fail::Arg(format!("unknown quantization ordinal {ordinal}"))),
    }
}

/// The ordinal of the Java `Quantization` for a core mode (the inverse of
/// [`quantization`]).
fn quantization_ordinal(q: Quantization) -> jint {
    match q {
        Quantization::None => 0,
        Quantization::Sq8 => 1,
        Quantization::Sq4 => 2,
    }
}

/// The core format for the ordinal of the Java enum `io.github.hnswlibrs.FileFormat`
/// (`HNSWLIB`, `NATIVE`).
fn file_format(ordinal: jint) -> Res<FileFormat> {
    match ordinal {
        0 => Ok(FileFormat::Hnswlib),
        1 => Ok(FileFormat::Native),
        _ => Err(Fail::Arg(format!("unknown file format ordinal {ordinal}"))),
    }
}

/// The `io.github.hnswlibrs.Space` kind of a built-in space, or -1 for a custom one.
fn space_kind(kind: SpaceKind) -> jint {
    match kind {
        SpaceKind::L2 => SPACE_L2,
        SpaceKind::InnerProduct => SPACE_IP,
        SpaceKind::Cosine => SPACE_COSINE,
        SpaceKind::L2U8 => SPACE_L2U8,
        SpaceKind::Custom => -1,
    }
}

fn non_negative(v: i64, what: &str) -> Res<usize> {
    usize::try_from(v).map_err(|_| Fail::Arg(format!("{what} must not be negative, got {v}")))
}

/// The core space for a Java `io.github.hnswlibrs.Space` (fields `kind`, `dim`,
/// `distance`, `function`, `userData`, `customName`), and its Java distance if it has
/// one.
fn make_space(env: &mut Env, space: &JObject) -> Res<(Space, Option<Arc<JavaDistance>>)> {
    if space.is_null() {
        return Err(Fail::Arg("the space must not be null".into()));
    }
    let name = env
        .get_field(
            space,
            jni_str!("customName"),
            jni_sig!("Ljava/lang/String;"),
        )?
        .l()?;
    let name = if name.is_null() {
        None
    } else {
        Some(env.cast_local::<JString>(name)?.try_to_string(env)?)
    };
    let (space, java) = unnamed_space(env, space)?;
    match name {
        Some(name) => Ok((space.named(&name)?, java)),
        None => Ok((space, java)),
    }
}

/// [`make_space`] without the name.
fn unnamed_space(env: &mut Env, space: &JObject) -> Res<(Space, Option<Arc<JavaDistance>>)> {
    let kind = env.get_field(space, jni_str!("kind"), jni_sig!("I"))?.i()?;
    let dim = env.get_field(space, jni_str!("dim"), jni_sig!("I"))?.i()?;
    let dim = non_negative(dim.into(), "dim")?;
    let float_bytes = || {
        dim.checked_mul(4)
            .ok_or_else(|| Fail::Arg(format!("dim {dim} is too large")))
    };
    let space = match kind {
        SPACE_L2 => Space::l2(dim)?,
        SPACE_IP => Space::ip(dim)?,
        SPACE_COSINE => Space::cosine(dim)?,
        SPACE_L2U8 => Space::l2_u8(dim)?,
        SPACE_JAVA => {
            let obj = env.get_field(
                space,
                jni_str!("distance"),
                jni_sig!("Lio/github/hnswlibrs/FloatDistance;"),
            )?;
            let obj = obj.l()?;
            let d = Arc::new(JavaDistance::new(env, &obj, dim)?);
            let call = Arc::clone(&d);
            let space = Space::custom(float_bytes()?, move |a: &[u8], b: &[u8]| {
                call.distance(a, b)
            })?;
            return Ok((space, Some(d)));
        }
        SPACE_NATIVE => {
            let function = env
                .get_field(space, jni_str!("function"), jni_sig!("J"))?
                .j()?;
            let user_data = env
                .get_field(space, jni_str!("userData"), jni_sig!("J"))?
                .j()?;
            if function == 0 {
                return Err(Fail::Arg("the distance function address is 0".into()));
            }
            // SAFETY: a non-zero address given to Space.nativeFunction, whose contract
            // (documented there) is a function of hnswlib's DISTFUNC signature that
            // reads two vectors of dim floats and may be called from any thread for as
            // long as the index lives. Function and data pointers have the same size.
            let func: CDistanceFn =
                unsafe { std::mem::transmute::<usize, CDistanceFn>(function as usize) };
            // SAFETY: as above; user_data is passed back to the function unchanged.
            unsafe { Space::custom_c(float_bytes()?, func, user_data as usize as *const c_void)? }
        }
        _ => return Err(Fail::Arg(format!("unknown space kind {kind}"))),
    };
    Ok((space, None))
}

/// Input vectors: a Java array (copied) or a direct buffer (borrowed).
enum Floats<'a> {
    Owned(Vec<f32>),
    Borrowed(&'a [f32]),
}

impl std::ops::Deref for Floats<'_> {
    type Target = [f32];
    fn deref(&self) -> &[f32] {
        match self {
            Floats::Owned(v) => v,
            Floats::Borrowed(s) => s,
        }
    }
}

/// Reads `array` whole, or else `len` floats at float offset `pos` of the direct
/// buffer `buffer`. The buffer's memory is used in place, without a copy.
fn read_floats<'a>(
    env: &mut Env,
    array: &JFloatArray,
    buffer: jobject,
    pos: jint,
    len: jint,
) -> Res<Floats<'a>> {
    if !array.is_null() {
        let n = array.len(env)?;
        let mut v = vec![0f32; n];
        array.get_region(env, 0, &mut v)?;
        return Ok(Floats::Owned(v));
    }
    if buffer.is_null() {
        return Err(Fail::Arg("the vectors must not be null".into()));
    }
    let raw = env.get_raw();
    // SAFETY: `raw` is the attached thread's valid JNIEnv and `buffer` a live local
    // reference to a java.nio.Buffer; both functions only read it and throw nothing.
    let (addr, capacity) = unsafe {
        let iface = *raw;
        (
            ((*iface).v1_4.GetDirectBufferAddress)(raw, buffer),
            ((*iface).v1_4.GetDirectBufferCapacity)(raw, buffer),
        )
    };
    if addr.is_null() || capacity < 0 {
        return Err(Fail::Arg("the FloatBuffer must be a direct buffer".into()));
    }
    if pos < 0 || len < 0 || i64::from(pos) + i64::from(len) > capacity {
        return Err(Fail::Arg(format!(
            "buffer range {pos}+{len} is outside its capacity {capacity}"
        )));
    }
    if !(addr as usize).is_multiple_of(std::mem::align_of::<f32>()) {
        return Err(Fail::Arg(
            "the FloatBuffer's memory is not 4-byte aligned".into(),
        ));
    }
    // SAFETY: the buffer is direct, its `capacity` floats start at `addr` (4-byte
    // aligned, checked), and `pos + len <= capacity`. The Java caller keeps the buffer
    // reachable for the whole native call, so the memory stays allocated while the
    // slice is used; Java may write to it concurrently, which can change the values
    // read (the core copies and validates each vector) but not their location.
    let slice =
        unsafe { std::slice::from_raw_parts((addr as *const f32).add(pos as usize), len as usize) };
    Ok(Floats::Borrowed(slice))
}

/// Input vectors of either element type: floats (a `float[]` or a direct buffer) or
/// unsigned bytes (a `byte[]`, each Java byte read as its unsigned value 0..255). The
/// core checks the type against the index's space.
pub(crate) enum Vectors<'a> {
    F32(Floats<'a>),
    U8(Vec<u8>),
}

/// Runs `$body` with `$v` bound to the input as a slice of its own element type, so one
/// generic core call serves both (`Vectors` -> `&[f32]` or `&[u8]`).
macro_rules! with_vectors {
    ($vectors:expr, |$v:ident| $body:expr) => {
        match $vectors {
            $crate::Vectors::F32(floats) => {
                let $v: &[f32] = floats;
                $body
            }
            $crate::Vectors::U8(bytes) => {
                let $v: &[u8] = bytes;
                $body
            }
        }
    };
}
pub(crate) use with_vectors;

/// The input of an add or a search: the Java `byte[]` when it is not null (u8 vectors),
/// else the floats of [`read_floats`].
fn read_vectors<'a>(
    env: &mut Env,
    (floats, bytes, buffer): (&JFloatArray, &JByteArray, &JObject),
    (pos, len): (jint, jint),
) -> Res<Vectors<'a>> {
    if !bytes.is_null() {
        return Ok(Vectors::U8(env.convert_byte_array(bytes)?));
    }
    Ok(Vectors::F32(read_floats(
        env,
        floats,
        buffer.as_raw(),
        pos,
        len,
    )?))
}

/// Java longs as u64 labels (bit for bit), or None for a null array.
fn read_labels(env: &mut Env, labels: &JLongArray) -> Res<Option<Vec<u64>>> {
    if labels.is_null() {
        return Ok(None);
    }
    let n = labels.len(env)?;
    let mut v = vec![0i64; n];
    labels.get_region(env, 0, &mut v)?;
    Ok(Some(v.into_iter().map(|l| l as u64).collect()))
}

/// A new Java `long[]` holding `values`.
fn long_array(env: &mut Env, values: &[i64]) -> Res<jlongArray> {
    let array = JLongArray::new(env, values.len())?;
    array.set_region(env, 0, values)?;
    Ok(array.into_raw())
}

/// A per-call ef: negative means the index's own.
fn per_call_ef(ef: jint) -> Option<usize> {
    usize::try_from(ef).ok()
}

/// A per-call re-ranking depth: NaN (what Java's `SearchOptions` holds when none was
/// set; `withRerank` refuses NaN) means the index's own.
fn per_call_rerank(rerank: jfloat) -> Option<f32> {
    (!rerank.is_nan()).then_some(rerank)
}

/// Runs a native method body: errors and panics become Java exceptions.
fn run<'l, T: Default>(env: &mut EnvUnowned<'l>, body: impl FnOnce(&mut Env<'l>) -> Res<T>) -> T {
    env.with_env(body).resolve::<ThrowFail>()
}

// ---- creating, loading, closing ----------------------------------------------------

/// `static native long newHnsw(Space space, long maxElements, int m,
/// int efConstruction, long seed, boolean allowReplaceDeleted, int quantization,
/// boolean keepVectors)`
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_newHnsw<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    space: JObject<'l>,
    max_elements: jlong,
    m: jint,
    ef_construction: jint,
    seed: jlong,
    allow_replace_deleted: jboolean,
    quantization_ordinal: jint,
    keep_vectors: jboolean,
) -> jlong {
    run(&mut env, |env| {
        let (space, java) = make_space(env, &space)?;
        let params = HnswParams {
            max_elements: non_negative(max_elements, "maxElements")?,
            m: non_negative(m.into(), "M")?,
            ef_construction: non_negative(ef_construction.into(), "efConstruction")?,
            random_seed: seed as u64,
            allow_replace_deleted,
            quantization: quantization(quantization_ordinal)?,
            keep_vectors,
        };
        let index = HnswIndex::new(space, &params)?;
        Ok(registry::register(Index::Hnsw(index), java) as jlong)
    })
}

/// `static native long newBruteForce(Space space, long maxElements)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_newBruteForce<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    space: JObject<'l>,
    max_elements: jlong,
) -> jlong {
    run(&mut env, |env| {
        let (space, java) = make_space(env, &space)?;
        let index = BruteForceIndex::new(space, non_negative(max_elements, "maxElements")?)?;
        Ok(registry::register(Index::Brute(index), java) as jlong)
    })
}

/// `static native long load(boolean hnsw, String path, byte[] bytes, Space space,
/// long maxElements, boolean allowReplaceDeleted, long seed, int quantization,
/// boolean keepVectors)`: an HNSW or brute-force index from the file `path`, or from
/// `bytes` when path is null (the last two only for HNSW).
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_load<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    hnsw: jboolean,
    path: JString<'l>,
    bytes: JByteArray<'l>,
    space: JObject<'l>,
    max_elements: jlong,
    allow_replace_deleted: jboolean,
    seed: jlong,
    quantization_ordinal: jint,
    keep_vectors: jboolean,
) -> jlong {
    run(&mut env, |env| {
        let (space, java) = make_space(env, &space)?;
        let max_elements = non_negative(max_elements, "maxElements")?;
        let path = if path.is_null() {
            None
        } else {
            Some(path.try_to_string(env)?)
        };
        let bytes = match path {
            None => env.convert_byte_array(&bytes)?,
            Some(_) => Vec::new(),
        };
        let index = if hnsw {
            let opts = LoadOptions {
                max_elements,
                allow_replace_deleted,
                random_seed: seed as u64,
                quantization: quantization(quantization_ordinal)?,
                keep_vectors,
            };
            Index::Hnsw(match &path {
                Some(p) => HnswIndex::load(p, space, &opts)?,
                None => HnswIndex::from_bytes(&bytes, space, &opts)?,
            })
        } else {
            Index::Brute(match &path {
                Some(p) => BruteForceIndex::load(p, space, max_elements)?,
                None => BruteForceIndex::from_bytes(&bytes, space, max_elements)?,
            })
        };
        Ok(registry::register(index, java) as jlong)
    })
}

/// `static native long open(String path, byte[] bytes, long maxElements, boolean
/// allowReplaceDeleted, int quantization, boolean keepVectors)`: an HNSW index from a
/// native file, or from its `bytes` when path is null, which name the space,
/// dimension and settings.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_open<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    path: JString<'l>,
    bytes: JByteArray<'l>,
    max_elements: jlong,
    allow_replace_deleted: jboolean,
    quantization_ordinal: jint,
    keep_vectors: jboolean,
) -> jlong {
    run(&mut env, |env| {
        let opts = LoadOptions {
            max_elements: non_negative(max_elements, "maxElements")?,
            allow_replace_deleted,
            quantization: quantization(quantization_ordinal)?,
            keep_vectors,
            ..LoadOptions::default()
        };
        let index = if path.is_null() {
            HnswIndex::from_native_bytes(&env.convert_byte_array(&bytes)?, &opts)?
        } else {
            HnswIndex::open(path.try_to_string(env)?, &opts)?
        };
        Ok(registry::register(Index::Hnsw(index), None) as jlong)
    })
}

/// `static native long openView(String path, Space space, boolean verify, boolean
/// populate)`: a read-only view of a native file; `space` null means the file's own
/// (not possible for custom distances).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_openView<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    path: JString<'l>,
    space: JObject<'l>,
    verify: jboolean,
    populate: jboolean,
) -> jlong {
    run(&mut env, |env| {
        let path = path.try_to_string(env)?;
        let opts = ViewOptions { verify, populate };
        let (index, java) = if space.is_null() {
            (HnswIndex::open_view(path, &opts)?, None)
        } else {
            let (space, java) = make_space(env, &space)?;
            (HnswIndex::view(path, space, &opts)?, java)
        };
        Ok(registry::register(Index::Hnsw(index), java) as jlong)
    })
}

/// `static native void free(long id)`: closes the index (idempotent).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_free<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
) {
    run(&mut env, |_| {
        registry::remove(id);
        Ok(())
    })
}

// ---- adding -----------------------------------------------------------------------

/// `static native void add(long id, float[] data, byte[] bytes, Buffer buf, int pos,
/// int len, long[] labels, int threads, boolean replaceDeleted, ProgressListener
/// progress)`: the rows of `bytes` (u8), of `data`, or of `len` floats of the direct
/// buffer at `pos`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_add<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    data: JFloatArray<'l>,
    bytes: JByteArray<'l>,
    buffer: JObject<'l>,
    pos: jint,
    len: jint,
    labels: JLongArray<'l>,
    threads: jint,
    replace_deleted: jboolean,
    progress: JObject<'l>,
) {
    run(&mut env, |env| {
        let entry = registry::get(id)?;
        let data = read_vectors(env, (&data, &bytes, &buffer), (pos, len))?;
        let labels = read_labels(env, &labels)?;
        let upcalls = Upcalls::new(env, entry.id, &JObject::null(), &progress)?;
        let result = match &entry.index {
            Index::Hnsw(h) => {
                let report = |done: usize, total: usize| upcalls.progress(done, total);
                let opts = AddOptions {
                    num_threads: threads as isize,
                    replace_deleted,
                    progress: if upcalls.has_progress() {
                        Some(&report)
                    } else {
                        None
                    },
                };
                with_vectors!(&data, |v| h.add_batch(v, labels.as_deref(), &opts))
            }
            Index::Brute(b) => match &labels {
                Some(l) => with_vectors!(&data, |v| b.add_batch(v, l)),
                None => return Err(Fail::Arg("a brute-force index needs labels".into())),
            },
        };
        entry.checked(upcalls.finish(result))
    })
}

// ---- searching --------------------------------------------------------------------

fn write_row(
    env: &mut Env,
    found: &[Neighbor],
    out_labels: &JLongArray,
    out_distances: &JFloatArray,
) -> Res<()> {
    let labels: Vec<i64> = found.iter().map(|n| n.label as i64).collect();
    let distances: Vec<f32> = found.iter().map(|n| n.distance).collect();
    out_labels.set_region(env, 0, &labels)?;
    out_distances.set_region(env, 0, &distances)?;
    Ok(())
}

/// The core filter of a Java `io.github.hnswlibrs.LabelFilter` (fields `kind`,
/// `values`), or None for null.
fn label_filter(env: &mut Env, f: &JObject) -> Res<Option<LabelFilter<'static>>> {
    if f.is_null() {
        return Ok(None);
    }
    let kind = env.get_field(f, jni_str!("kind"), jni_sig!("I"))?.i()?;
    let values = env.get_field(f, jni_str!("values"), jni_sig!("[J"))?.l()?;
    let values = JLongArray::cast_local(env, values)?;
    let values = read_labels(env, &values)?.unwrap_or_default();
    match kind {
        LABEL_FILTER_ALLOW => Ok(Some(LabelFilter::allow_list(values))),
        LABEL_FILTER_BITS => Ok(Some(LabelFilter::bit_mask(values))),
        _ => Err(Fail::Arg(format!("unknown label filter kind {kind}"))),
    }
}

/// Kinds of `io.github.hnswlibrs.LabelFilter`.
const LABEL_FILTER_ALLOW: jint = 0;
const LABEL_FILTER_BITS: jint = 1;

/// What the search natives do around the search itself: look the index up, read the
/// queries, wrap the Java filter and build the label filter, and turn a callback's
/// exception or the core's error into the failure.
#[allow(clippy::too_many_arguments)]
fn searching<T>(
    env: &mut Env,
    id: jlong,
    queries: (&JFloatArray, &JByteArray, &JObject),
    (pos, len): (jint, jint),
    k: jint,
    (ef, rerank): (jint, jfloat),
    (filter, label_filter): (&JObject, &JObject),
    threads: jint,
    search: impl FnOnce(&Index, &Vectors, usize, &SearchOptions) -> hnswlib_core::Result<T>,
) -> Res<T> {
    let entry = registry::get(id)?;
    let queries = read_vectors(env, queries, (pos, len))?;
    let k = non_negative(k.into(), "k")?;
    let data = self::label_filter(env, label_filter)?;
    let upcalls = Upcalls::new(env, entry.id, filter, &JObject::null())?;
    let call = upcalls.has_filter();
    let accept = |label: u64| {
        data.as_ref().is_none_or(|f| f.accepts(label)) && (!call || upcalls.filter(label))
    };
    let opts = SearchOptions {
        ef: per_call_ef(ef),
        filter: if call || data.is_some() {
            Some(&accept)
        } else {
            None
        },
        num_threads: threads as isize,
        rerank: per_call_rerank(rerank),
    };
    let result = search(&entry.index, &queries, k, &opts);
    entry.checked(upcalls.finish(result))
}

/// `static native int search(long id, float[] query, byte[] bytes, Buffer buf, int pos, int len,
/// int k, int ef, float rerank, LongPredicate filter, LabelFilter labelFilter, long[] outLabels,
/// float[] outDistances)`:
/// writes up to k results (closest first) and returns how many.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_search<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    query: JFloatArray<'l>,
    bytes: JByteArray<'l>,
    buffer: JObject<'l>,
    pos: jint,
    len: jint,
    k: jint,
    ef: jint,
    rerank: jfloat,
    filter: JObject<'l>,
    label_filter: JObject<'l>,
    out_labels: JLongArray<'l>,
    out_distances: JFloatArray<'l>,
) -> jint {
    run(&mut env, |env| {
        let found = searching(
            env,
            id,
            (&query, &bytes, &buffer),
            (pos, len),
            k,
            (ef, rerank),
            (&filter, &label_filter),
            1,
            |index, q, k, opts| match index {
                Index::Hnsw(h) => with_vectors!(q, |q| h.search(q, k, opts)),
                Index::Brute(b) => with_vectors!(q, |q| b.search(q, k, opts)),
            },
        )?;
        write_row(env, &found, &out_labels, &out_distances)?;
        Ok(found.len() as jint)
    })
}

/// `static native void searchBatch(long id, float[] queries, byte[] bytes, Buffer buf, int pos,
/// int len, int k, int ef, float rerank, LongPredicate filter, LabelFilter labelFilter,
/// int threads, long[] outLabels,
/// float[] outDistances, int[] outCounts)`: rows × k results, -1 / +infinity where a
/// row has fewer than k.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_searchBatch<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    queries: JFloatArray<'l>,
    bytes: JByteArray<'l>,
    buffer: JObject<'l>,
    pos: jint,
    len: jint,
    k: jint,
    ef: jint,
    rerank: jfloat,
    filter: JObject<'l>,
    label_filter: JObject<'l>,
    threads: jint,
    out_labels: JLongArray<'l>,
    out_distances: JFloatArray<'l>,
    out_counts: JIntArray<'l>,
) {
    run(&mut env, |env| {
        let res = searching(
            env,
            id,
            (&queries, &bytes, &buffer),
            (pos, len),
            k,
            (ef, rerank),
            (&filter, &label_filter),
            threads,
            |index, q, k, opts| match index {
                Index::Hnsw(h) => with_vectors!(q, |q| h.search_batch(q, k, opts)),
                Index::Brute(b) => with_vectors!(q, |q| b.search_batch(q, k, opts)),
            },
        )?;
        let labels: Vec<i64> = res.labels.iter().map(|&l| l as i64).collect();
        let counts: Vec<i32> = res.counts.iter().map(|&c| c as i32).collect();
        out_labels.set_region(env, 0, &labels)?;
        out_distances.set_region(env, 0, &res.distances)?;
        out_counts.set_region(env, 0, &counts)?;
        Ok(())
    })
}

// ---- labels and state -------------------------------------------------------------

/// Label operations of [`Java_io_github_hnswlibrs_Native_labelOp`].
const OP_MARK_DELETED: jint = 0;
const OP_UNMARK_DELETED: jint = 1;
const OP_IS_DELETED: jint = 2;
const OP_CONTAINS: jint = 3;
const OP_REMOVE: jint = 4;

/// `static native boolean labelOp(long id, int op, long label)`: mark/unmark
/// deleted, is deleted, contains, remove (brute force).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_labelOp<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    op: jint,
    label: jlong,
) -> jboolean {
    run(&mut env, |_| {
        let entry = registry::get(id)?;
        let label = label as u64;
        Ok(match op {
            OP_MARK_DELETED => entry.hnsw()?.mark_deleted(label).map(|_| true)?,
            OP_UNMARK_DELETED => entry.hnsw()?.unmark_deleted(label).map(|_| true)?,
            OP_IS_DELETED => entry.hnsw()?.is_deleted(label)?,
            OP_CONTAINS => match &entry.index {
                Index::Hnsw(h) => h.contains(label),
                Index::Brute(b) => b.contains(label),
            },
            OP_REMOVE => entry.brute()?.remove(label).map(|_| true)?,
            _ => return Err(Fail::Arg(format!("unknown label operation {op}"))),
        })
    })
}

/// Numbers of [`Java_io_github_hnswlibrs_Native_info`].
const INFO_SIZE: jint = 0;
const INFO_MAX_ELEMENTS: jint = 1;
const INFO_DELETED: jint = 2;
const INFO_M: jint = 3;
const INFO_EF_CONSTRUCTION: jint = 4;
const INFO_EF: jint = 5;
const INFO_ALLOW_REPLACE_DELETED: jint = 6;
const INFO_FILE_SIZE: jint = 7;
const INFO_QUANTIZATION: jint = 8;
const INFO_KEEPS_VECTORS: jint = 9;
const INFO_TRAINED: jint = 10;
const INFO_SPACE: jint = 11;
const INFO_DIM: jint = 12;
const INFO_IS_VIEW: jint = 13;

/// `static native long info(long id, int what)`: counts and parameters.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_info<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    what: jint,
) -> jlong {
    run(&mut env, |_| {
        let entry = registry::get(id)?;
        let n = match (&entry.index, what) {
            (Index::Hnsw(h), INFO_SIZE) => h.len(),
            (Index::Brute(b), INFO_SIZE) => b.len(),
            (Index::Hnsw(h), INFO_MAX_ELEMENTS) => h.max_elements(),
            (Index::Brute(b), INFO_MAX_ELEMENTS) => b.max_elements(),
            (Index::Hnsw(h), INFO_DELETED) => h.deleted_count(),
            (Index::Hnsw(h), INFO_M) => h.m(),
            (Index::Hnsw(h), INFO_EF_CONSTRUCTION) => h.ef_construction(),
            (Index::Hnsw(h), INFO_EF) => h.ef(),
            (Index::Hnsw(h), INFO_ALLOW_REPLACE_DELETED) => usize::from(h.allow_replace_deleted()),
            (Index::Hnsw(h), INFO_FILE_SIZE) => h.file_size(),
            (Index::Hnsw(h), INFO_QUANTIZATION) => quantization_ordinal(h.quantization()) as usize,
            (Index::Hnsw(h), INFO_KEEPS_VECTORS) => usize::from(h.keeps_vectors()),
            (Index::Hnsw(h), INFO_TRAINED) => usize::from(h.is_trained()),
            (Index::Hnsw(h), INFO_SPACE) => return Ok(space_kind(h.space().kind()).into()),
            (Index::Hnsw(h), INFO_DIM) => h.dim(),
            (Index::Hnsw(h), INFO_IS_VIEW) => usize::from(h.is_view()),
            _ => return Err(Fail::Arg(format!("unknown info {what}"))),
        };
        Ok(n as jlong)
    })
}

/// `static native void setEf(long id, int ef)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_setEf<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    ef: jint,
) {
    run(&mut env, |_| {
        let entry = registry::get(id)?;
        entry.hnsw()?.set_ef(non_negative(ef.into(), "ef")?);
        Ok(())
    })
}

/// `static native void setRerank(long id, float rerank)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_setRerank<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    rerank: jfloat,
) {
    run(&mut env, |_| {
        let entry = registry::get(id)?;
        entry.hnsw()?.set_rerank(rerank)?;
        Ok(())
    })
}

/// `static native float getRerank(long id)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_getRerank<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
) -> jfloat {
    run(&mut env, |_| Ok(registry::get(id)?.hnsw()?.rerank()))
}

/// `static native int quantizationByName(String name)`: the ordinal of the Java
/// `Quantization` named `name` as in the other bindings ("none", "sq8", "sq4").
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_quantizationByName<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    name: JString<'l>,
) -> jint {
    run(&mut env, |env| {
        if name.is_null() {
            return Err(Fail::Arg("the quantization name must not be null".into()));
        }
        let name = name.try_to_string(env)?;
        Ok(quantization_ordinal(Quantization::by_name(&name)?))
    })
}

/// `static native void resize(long id, long maxElements)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_resize<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    max_elements: jlong,
) {
    run(&mut env, |_| {
        let entry = registry::get(id)?;
        let max = non_negative(max_elements, "maxElements")?;
        match &entry.index {
            Index::Hnsw(h) => h.resize(max)?,
            Index::Brute(b) => b.resize(max)?,
        }
        Ok(())
    })
}

/// The stored vectors of `labels`, concatenated, as elements of type `T` (which the core
/// checks against the space).
fn stored_items<T: Element>(env: &mut Env, id: jlong, labels: &JLongArray) -> Res<Vec<T>> {
    let entry = registry::get(id)?;
    let labels =
        read_labels(env, labels)?.ok_or_else(|| Fail::Arg("labels must not be null".into()))?;
    Ok(match &entry.index {
        Index::Hnsw(h) => h.get_items(&labels)?,
        Index::Brute(b) => b.get_items(&labels)?,
    })
}

/// `static native float[] getItems(long id, long[] labels)`: the stored vectors,
/// concatenated.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_getItems<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    labels: JLongArray<'l>,
) -> jfloatArray {
    run(&mut env, |env| {
        let items: Vec<f32> = stored_items(env, id, &labels)?;
        let array = JFloatArray::new(env, items.len())?;
        array.set_region(env, 0, &items)?;
        Ok(array.into_raw())
    })
}

/// `static native byte[] getByteItems(long id, long[] labels)`: the stored u8 vectors,
/// concatenated (an index of space l2u8).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_getByteItems<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    labels: JLongArray<'l>,
) -> jbyteArray {
    run(&mut env, |env| {
        let items: Vec<u8> = stored_items(env, id, &labels)?;
        Ok(env.byte_array_from_slice(&items)?.into_raw())
    })
}

/// `static native long[] ids(long id)`: every label, ascending (as u64).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_ids<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
) -> jlongArray {
    run(&mut env, |env| {
        let entry = registry::get(id)?;
        let ids = match &entry.index {
            Index::Hnsw(h) => h.ids(),
            Index::Brute(b) => b.ids(),
        };
        let ids: Vec<i64> = ids.into_iter().map(|l| l as i64).collect();
        long_array(env, &ids)
    })
}

/// `static native long[] checkIntegrity(long id)`: hnswlib's checkIntegrity as
/// `{connections, minInbound, maxInbound, withoutInbound}`; a damaged graph throws
/// `IndexFormatException`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_checkIntegrity<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
) -> jlongArray {
    run(&mut env, |env| {
        let r = registry::get(id)?.hnsw()?.check_integrity()?;
        let values = [
            r.connections,
            r.min_inbound,
            r.max_inbound,
            r.without_inbound,
        ]
        .map(|v| v as i64);
        long_array(env, &values)
    })
}

// ---- saving -----------------------------------------------------------------------

/// `static native void save(long id, String path, boolean sync, int format)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_save<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    path: JString<'l>,
    sync: jboolean,
    format: jint,
) {
    run(&mut env, |env| {
        let entry = registry::get(id)?;
        let path = path.try_to_string(env)?;
        let opts = SaveOptions {
            sync,
            format: file_format(format)?,
        };
        match &entry.index {
            Index::Hnsw(h) => h.save_with(path, &opts)?,
            Index::Brute(b) => b.save_with(path, &opts)?,
        }
        Ok(())
    })
}

/// `static native byte[] toBytes(long id, int format)` (a brute-force index has
/// hnswlib's format only)
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_toBytes<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    format: jint,
) -> jbyteArray {
    run(&mut env, |env| {
        let entry = registry::get(id)?;
        let format = file_format(format)?;
        let bytes = match &entry.index {
            Index::Hnsw(h) => h.to_bytes_with(format)?,
            Index::Brute(_) if format != FileFormat::Hnswlib => {
                return Err(Fail::Arg(
                    "a brute-force index has hnswlib's format only".into(),
                ))
            }
            Index::Brute(b) => b.to_bytes(),
        };
        if bytes.len() > i32::MAX as usize - 8 {
            return Err(Fail::State(format!(
                "the index takes {} bytes, more than a Java byte array holds; use save instead",
                bytes.len()
            )));
        }
        Ok(env.byte_array_from_slice(&bytes)?.into_raw())
    })
}

/// `static native long symbolAddress(String library, String symbol)`: the address of
/// `symbol` in the shared library `library` (loaded with `dlopen` and never unloaded,
/// so the address stays valid for the life of the process).
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_symbolAddress<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    library: JString<'l>,
    symbol: JString<'l>,
) -> jlong {
    run(&mut env, |env| {
        let library = library.try_to_string(env)?;
        let symbol = symbol.try_to_string(env)?;
        let c = |s: &str| {
            std::ffi::CString::new(s)
                .map_err(|_| Fail::Arg(format!("{s:?} contains a NUL character")))
        };
        let (lib_c, sym_c) = (c(&library)?, c(&symbol)?);
        let dl_error = || {
            // SAFETY: dlerror returns null or a NUL-terminated message owned by libc.
            let msg = unsafe { libc::dlerror() };
            if msg.is_null() {
                String::from("unknown error")
            } else {
                // SAFETY: non-null, NUL-terminated (above).
                unsafe { std::ffi::CStr::from_ptr(msg) }
                    .to_string_lossy()
                    .into_owned()
            }
        };
        // SAFETY: a valid NUL-terminated path; loading runs the library's initialisers,
        // which is what the caller asks for by naming it.
        let handle = unsafe { libc::dlopen(lib_c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if handle.is_null() {
            return Err(Fail::Arg(format!("cannot load {library}: {}", dl_error())));
        }
        // SAFETY: `handle` is a live dlopen handle (never closed) and the name is valid.
        let addr = unsafe { libc::dlsym(handle, sym_c.as_ptr()) };
        if addr.is_null() {
            return Err(Fail::Arg(format!(
                "no symbol {symbol} in {library}: {}",
                dl_error()
            )));
        }
        Ok(addr as usize as jlong)
    })
}

/// `static native void checkSpaceName(String name)`: throws
/// `IllegalArgumentException` unless the core takes `name` as a custom space's name.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_checkSpaceName<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    name: JString<'l>,
) {
    run(&mut env, |env| {
        let name = name.try_to_string(env)?;
        // The core's rule, applied to a throw-away custom space.
        Space::custom(1, |_: &[u8], _: &[u8]| 0.0)?.named(&name)?;
        Ok(())
    })
}

/// `static native String spaceName(long id)`: the name of the index's custom space,
/// or null.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_spaceName<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
) -> jobject {
    run(&mut env, |env| {
        let entry = registry::get(id)?;
        let name = match &entry.index {
            Index::Hnsw(h) => h.space().name().map(str::to_owned),
            Index::Brute(b) => b.space().name().map(str::to_owned),
        };
        Ok(match name {
            Some(name) => env.new_string(name)?.into_raw(),
            None => std::ptr::null_mut(),
        })
    })
}

/// `static native long searchLoop(long id, float[] queries, int k, int ef)`: searches
/// every row of `queries` once, one core `search` call per row on this thread, and
/// returns the nanoseconds taken. The GloVe benchmark times this next to the same
/// queries made through `knn` from Java, on the same index in the same process, to
/// measure what the binding adds.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_github_hnswlibrs_Native_searchLoop<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    id: jlong,
    queries: JFloatArray<'l>,
    k: jint,
    ef: jint,
) -> jlong {
    run(&mut env, |env| {
        let entry = registry::get(id)?;
        let queries = read_floats(env, &queries, std::ptr::null_mut(), 0, 0)?;
        let k = non_negative(k.into(), "k")?;
        let opts = SearchOptions {
            ef: per_call_ef(ef),
            ..Default::default()
        };
        let index = entry.hnsw()?;
        let dim = index.dim();
        let start = std::time::Instant::now();
        for q in queries.chunks_exact(dim) {
            std::hint::black_box(index.search(q, k, &opts)?);
        }
        Ok(start.elapsed().as_nanos() as jlong)
    })
}
