//! Python callables that the core calls from its worker threads.
//!
//! Every index operation runs with the GIL released, so a callback first takes the
//! GIL back (`Python::attach`); holding it across the operation would deadlock as
//! soon as a worker thread calls back. The core's callbacks cannot fail, so the first
//! exception a callable raises is kept, later calls return at once, and the binding
//! raises the kept exception when the operation returns.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyBool;

/// A Python callable plus the first exception it raised.
pub struct PyCallback {
    func: Py<PyAny>,
    failed: AtomicBool,
    error: Mutex<Option<PyErr>>,
}

impl PyCallback {
    /// Wraps `func`.
    pub fn new(func: Py<PyAny>) -> Self {
        PyCallback {
            func,
            failed: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    fn keep(&self, e: PyErr) {
        self.failed.store(true, Ordering::Release);
        self.error.lock().get_or_insert(e);
    }

    /// Whether an exception is pending.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Takes the pending exception (and re-arms the callback).
    pub fn take_error(&self) -> Option<PyErr> {
        let e = self.error.lock().take();
        self.failed.store(false, Ordering::Release);
        e
    }

    /// A filter call: `bool(func(label))`; false once the callable has raised.
    pub fn filter(&self, label: u64) -> bool {
        if self.failed() {
            return false;
        }
        Python::attach(|py| {
            match self
                .func
                .call1(py, (label,))
                .and_then(|r| r.bind(py).is_truthy())
            {
                Ok(keep) => keep,
                Err(e) => {
                    self.keep(e);
                    false
                }
            }
        })
    }

    /// A progress call: `func(done, total)`; returning `False` (or raising, or a
    /// pending KeyboardInterrupt) stops the batch.
    pub fn progress(&self, done: usize, total: usize) -> bool {
        if self.failed() {
            return false;
        }
        Python::attach(|py| {
            let r = py
                .check_signals()
                .and_then(|()| self.func.call1(py, (done, total)));
            match r {
                Ok(r) => !r.bind(py).is(PyBool::new(py, false)),
                Err(e) => {
                    self.keep(e);
                    false
                }
            }
        })
    }

    /// A distance call: `float(func(a, b))` with the two vectors as float32 arrays;
    /// infinity once the callable has raised.
    pub fn distance(&self, a: &[u8], b: &[u8]) -> f32 {
        if self.failed() {
            return f32::INFINITY;
        }
        Python::attach(|py| {
            let as_array = |bytes: &[u8]| {
                numpy::PyArray1::from_iter(
                    py,
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]])),
                )
            };
            let r = self
                .func
                .call1(py, (as_array(a), as_array(b)))
                .and_then(|r| r.extract::<f32>(py));
            match r {
                Ok(d) => d,
                Err(e) => {
                    self.keep(e);
                    f32::INFINITY
                }
            }
        })
    }
}
