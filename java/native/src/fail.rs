//! Everything a native method can fail with, and how each becomes a Java exception.
//!
//! | failure | Java exception |
//! |---|---|
//! | core `InvalidArgument` | `IllegalArgumentException` |
//! | core `LabelNotFound` | `io.github.hnswlibrs.LabelNotFoundException` (an `IllegalArgumentException`) |
//! | core `Capacity` | `io.github.hnswlibrs.CapacityExceededException` (an `IllegalStateException`) |
//! | core `State` | `IllegalStateException` |
//! | core `Io` | `java.io.IOException` |
//! | core `Format` | `io.github.hnswlibrs.IndexFormatException` (an `IOException`) |
//! | core `Cancelled` | `java.util.concurrent.CancellationException` |
//! | core `OutOfMemory` | `OutOfMemoryError` |
//! | closed index, use from inside its own callback | `IllegalStateException` |
//! | an exception thrown by a Java callback | that exception, unchanged |
//! | a Rust panic (a bug) | `IllegalStateException` naming it an internal error |
//!
//! The message is always the core's `Display` text.

use std::any::Any;

use hnswlib_core::{Error, ErrorKind};
use jni::errors::ErrorPolicy;
use jni::objects::JThrowable;
use jni::refs::Global;
use jni::strings::JNIString;
use jni::Env;

/// Why a native method failed.
pub enum Fail {
    /// An error of the core.
    Core(Error),
    /// A JNI call failed; usually a Java exception is already pending.
    Jni(jni::errors::Error),
    /// A bad argument found by the binding itself.
    Arg(String),
    /// An operation the index's state does not allow (closed, re-entered).
    State(String),
    /// A Java callback threw this; it is rethrown as it is.
    Thrown(Global<JThrowable<'static>>),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Core(e)
    }
}

impl From<jni::errors::Error> for Fail {
    fn from(e: jni::errors::Error) -> Self {
        Fail::Jni(e)
    }
}

/// The result type of every native method body.
pub type Res<T> = Result<T, Fail>;

fn core_class(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "java/lang/IllegalArgumentException",
        ErrorKind::LabelNotFound => "io/github/hnswlibrs/LabelNotFoundException",
        ErrorKind::Capacity => "io/github/hnswlibrs/CapacityExceededException",
        ErrorKind::State => "java/lang/IllegalStateException",
        ErrorKind::Io => "java/io/IOException",
        ErrorKind::Format => "io/github/hnswlibrs/IndexFormatException",
        ErrorKind::Cancelled => "java/util/concurrent/CancellationException",
        ErrorKind::OutOfMemory => "java/lang/OutOfMemoryError",
    }
}

fn throw(env: &mut Env, class: &str, msg: &str) -> jni::errors::Result<()> {
    let class = JNIString::from(class);
    let msg = JNIString::from(msg);
    match env.throw_new(&class, &msg) {
        // throw_new reports the exception it has just made pending as an error.
        Ok(()) | Err(jni::errors::Error::JavaException) => Ok(()),
        Err(e) => Err(e),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Throws the Java exception that matches a [`Fail`] and returns the default value.
pub struct ThrowFail;

impl<T: Default> ErrorPolicy<T, Fail> for ThrowFail {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        err: Fail,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            // A JNI call already threw (e.g. ArrayIndexOutOfBounds): let it propagate.
            return Ok(T::default());
        }
        match err {
            Fail::Core(e) => throw(env, core_class(e.kind()), &e.to_string())?,
            Fail::Arg(msg) => throw(env, "java/lang/IllegalArgumentException", &msg)?,
            Fail::State(msg) => throw(env, "java/lang/IllegalStateException", &msg)?,
            Fail::Jni(e) => throw(
                env,
                "java/lang/IllegalStateException",
                &format!("hnswlib-rs: JNI call failed: {e}"),
            )?,
            Fail::Thrown(t) => match env.throw(&t) {
                Ok(()) | Err(jni::errors::Error::JavaException) => {}
                Err(e) => return Err(e),
            },
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        if !env.exception_check() {
            throw(
                env,
                "java/lang/IllegalStateException",
                &format!(
                    "hnswlib-rs internal error (please report it): {}",
                    panic_message(&*payload)
                ),
            )?;
        }
        Ok(T::default())
    }
}
