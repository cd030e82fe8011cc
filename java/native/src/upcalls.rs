//! Calls from the core's worker threads back into Java: search filters
//! (`java.util.function.LongPredicate`), progress listeners and Java distances.
//!
//! The core calls these from rayon worker threads that the JVM has never seen, so
//! every call attaches the thread first (`JavaVM::attach_current_thread`: a thread
//! attaches once and stays attached until it exits; the core's pools are per call,
//! so their threads exit and detach when the call ends). Each call costs a JNI
//! transition and a local frame, which is why Java callbacks are slow and the docs
//! say so.
//!
//! A Java exception thrown by a callback is caught on the worker thread, kept, and
//! rethrown unchanged from the native method once the core returns. After the first
//! exception the remaining calls are skipped: filters answer `false`, progress
//! listeners cancel, distances answer infinity.
//!
//! While a thread runs a callback of index `id` it is marked, so that a call into
//! the same index from inside its own callback fails with `IllegalStateException`
//! instead of deadlocking on the index's locks.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use jni::objects::{JFloatArray, JObject};
use jni::refs::Global;
use jni::signature::{JavaType, Primitive};
use jni::sys::jvalue;
use jni::vm::JavaVM;
use jni::{jni_sig, jni_str, Env};
use parking_lot::Mutex;

use crate::fail::{Fail, Res};

thread_local! {
    /// The id of the index whose callback this thread is running, or 0.
    static IN_CALLBACK_OF: Cell<u64> = const { Cell::new(0) };
}

/// Marks the current thread as running a callback of index `id` while alive.
struct CallbackMark(u64);

impl CallbackMark {
    fn enter(id: u64) -> Self {
        CallbackMark(IN_CALLBACK_OF.with(|c| c.replace(id)))
    }
}

impl Drop for CallbackMark {
    fn drop(&mut self) {
        IN_CALLBACK_OF.with(|c| c.set(self.0));
    }
}

/// Fails if the current thread is inside a callback of index `id`.
pub fn check_not_reentered(id: u64) -> Res<()> {
    if id != 0 && IN_CALLBACK_OF.with(Cell::get) == id {
        return Err(Fail::State(
            "an index cannot be used from inside its own filter, progress listener or distance \
             (the call that invoked the callback holds the index)"
                .into(),
        ));
    }
    Ok(())
}

/// A Java object and the method of its interface that the core calls.
struct Method {
    obj: Global<JObject<'static>>,
    mid: jni::ids::JMethodID,
}

impl Method {
    fn new(
        env: &mut Env,
        obj: &JObject,
        name: &jni::strings::JNIStr,
        sig: &jni::signature::MethodSignature,
    ) -> Res<Option<Self>> {
        if obj.is_null() {
            return Ok(None);
        }
        let class = env.get_object_class(obj)?;
        let mid = env.get_method_id(&class, name, sig)?;
        Ok(Some(Method {
            obj: env.new_global_ref(obj)?,
            mid,
        }))
    }
}

/// The first failure of a group of callbacks, and a flag the callbacks read cheaply.
#[derive(Default)]
struct FirstFailure {
    failed: AtomicBool,
    failure: Mutex<Option<Fail>>,
}

impl FirstFailure {
    fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    fn record(&self, f: Fail) {
        let mut slot = self.failure.lock();
        if slot.is_none() {
            *slot = Some(f);
        }
        self.failed.store(true, Ordering::Release);
    }

    fn take(&self) -> Option<Fail> {
        let f = self.failure.lock().take();
        self.failed.store(false, Ordering::Release);
        f
    }
}

/// Calls `method` with `args` on an attached thread, marked as inside index `id`'s
/// callback. A Java exception (or a JNI failure) is recorded and gives `None`.
fn call(
    vm: &JavaVM,
    id: u64,
    method: &Method,
    ret: Primitive,
    args: &dyn Fn(&mut Env) -> jni::errors::Result<Vec<jvalue>>,
    failures: &FirstFailure,
) -> Option<jni::sys::jvalue> {
    let result = vm.attach_current_thread(|env| -> jni::errors::Result<Option<jvalue>> {
        let _mark = CallbackMark::enter(id);
        let args = args(env)?;
        // SAFETY: `mid` was looked up on the class of `obj` with the signature whose
        // arguments `args` builds and whose return type is `ret`.
        let called = unsafe {
            env.call_method_unchecked(&method.obj, method.mid, JavaType::Primitive(ret), &args)
        };
        match called {
            Ok(v) => Ok(Some(v.as_jni())),
            Err(jni::errors::Error::JavaException) => {
                if let Some(t) = env.exception_occurred() {
                    env.exception_clear();
                    failures.record(Fail::Thrown(env.new_global_ref(&t)?));
                } else {
                    failures.record(Fail::State("a Java callback failed".into()));
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    });
    match result {
        Ok(v) => v,
        Err(e) => {
            failures.record(Fail::State(format!(
                "hnswlib-rs: calling a Java callback failed: {e}"
            )));
            None
        }
    }
}

/// The Java filter and progress listener of one call.
pub struct Upcalls {
    vm: JavaVM,
    id: u64,
    filter: Option<Method>,
    progress: Option<Method>,
    failures: FirstFailure,
}

impl Upcalls {
    /// Looks up `LongPredicate.test` and `ProgressListener.onProgress` on the given
    /// objects (either may be null).
    pub fn new(env: &mut Env, id: u64, filter: &JObject, progress: &JObject) -> Res<Self> {
        Ok(Upcalls {
            vm: env.get_java_vm()?,
            id,
            filter: Method::new(env, filter, jni_str!("test"), jni_sig!("(J)Z").as_ref())?,
            progress: Method::new(
                env,
                progress,
                jni_str!("onProgress"),
                jni_sig!("(JJ)Z").as_ref(),
            )?,
            failures: FirstFailure::default(),
        })
    }

    /// Whether a filter was given.
    pub fn has_filter(&self) -> bool {
        self.filter.is_some()
    }

    /// Whether a progress listener was given.
    pub fn has_progress(&self) -> bool {
        self.progress.is_some()
    }

    /// The filter's answer for `label` (false once a callback has thrown).
    pub fn filter(&self, label: u64) -> bool {
        self.ask(&self.filter, &[jvalue { j: label as i64 }])
    }

    /// The listener's answer for `(done, total)`: false cancels.
    pub fn progress(&self, done: usize, total: usize) -> bool {
        self.ask(
            &self.progress,
            &[jvalue { j: done as i64 }, jvalue { j: total as i64 }],
        )
    }

    /// Calls a boolean method: true when there is none, false once a callback threw.
    fn ask(&self, method: &Option<Method>, args: &[jvalue]) -> bool {
        let Some(m) = method else { return true };
        if self.failures.failed() {
            return false;
        }
        let args = |_: &mut Env| Ok(args.to_vec());
        // SAFETY: a boolean method returns its value in the `z` field.
        call(
            &self.vm,
            self.id,
            m,
            Primitive::Boolean,
            &args,
            &self.failures,
        )
        .is_some_and(|v| unsafe { v.z })
    }

    /// The result of the core call, unless a callback threw: then that exception.
    pub fn finish<T>(self, result: hnswlib_core::Result<T>) -> Res<T> {
        match self.failures.take() {
            Some(f) => Err(f),
            None => result.map_err(Fail::Core),
        }
    }
}

/// A custom distance implemented in Java (`io.github.hnswlibrs.FloatDistance`),
/// over vectors of `dim` floats.
pub struct JavaDistance {
    vm: JavaVM,
    method: Method,
    dim: usize,
    /// The id of the index using it (0 until registered).
    id: AtomicU64,
    failures: FirstFailure,
}

impl JavaDistance {
    /// Wraps a `FloatDistance` object.
    pub fn new(env: &mut Env, obj: &JObject, dim: usize) -> Res<Self> {
        let method = Method::new(env, obj, jni_str!("distance"), jni_sig!("([F[F)F").as_ref())?
            .ok_or_else(|| Fail::Arg("the distance must not be null".into()))?;
        Ok(JavaDistance {
            vm: env.get_java_vm()?,
            method,
            dim,
            id: AtomicU64::new(0),
            failures: FirstFailure::default(),
        })
    }

    /// Tells the distance which index it belongs to (for the re-entry check).
    pub fn set_index(&self, id: u64) {
        self.id.store(id, Ordering::Release);
    }

    /// The exception a call of the distance threw since the last check, if any.
    pub fn take_failure(&self) -> Option<Fail> {
        if self.failures.failed() {
            self.failures.take()
        } else {
            None
        }
    }

    /// Calls the Java distance on two stored elements (`dim` native-endian floats each).
    pub fn distance(&self, a: &[u8], b: &[u8]) -> f32 {
        if self.failures.failed() {
            return f32::INFINITY;
        }
        let to_floats = |bytes: &[u8]| -> Vec<f32> {
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        let (a, b) = (to_floats(a), to_floats(b));
        let dim = self.dim;
        let args = |env: &mut Env| -> jni::errors::Result<Vec<jvalue>> {
            let ja = JFloatArray::new(env, dim)?;
            ja.set_region(env, 0, &a)?;
            let jb = JFloatArray::new(env, dim)?;
            jb.set_region(env, 0, &b)?;
            // The arrays are local references of the frame that attach pushed, so
            // they stay valid for the call that follows.
            let (ra, rb) = (ja.into_raw(), jb.into_raw());
            Ok(vec![jvalue { l: ra }, jvalue { l: rb }])
        };
        let id = self.id.load(Ordering::Acquire);
        match call(
            &self.vm,
            id,
            &self.method,
            Primitive::Float,
            &args,
            &self.failures,
        ) {
            // SAFETY: a float method returns its value in the `f` field.
            Some(v) => unsafe { v.f },
            None => f32::INFINITY,
        }
    }
}
