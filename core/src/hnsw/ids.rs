//! Internal ids: hnswlib's `tableint`, the slot an element occupies.
//!
//! An element's internal id is its position in the order elements were added (or
//! loaded from a file, whose order it keeps), exactly as in hnswlib: the first
//! element added is 0, the next 1, and so on; a replace-deleted add reuses the slot
//! (and id) of the deleted element it replaces. hnswlib's C++ programs reach elements
//! by these ids (`getDataByInternalId`, `getExternalLabel`, `isMarkedDeleted`,
//! `label_lookup_`), so the index offers them read-only, every id checked against the
//! element count ([`Error::IdOutOfRange`]).
//!
//! Ids stay valid for as long as the element exists: nothing renumbers slots (deleted
//! elements keep theirs until a replace-deleted add reuses it).

use super::{Graph, HnswIndex};
use crate::error::{Error, Result};
use crate::space::Element;

impl Graph {
    /// `id` if it names an element, else [`Error::IdOutOfRange`].
    pub(crate) fn check_id(&self, id: u64) -> Result<u32> {
        let count = self.storage.len();
        if id >= count as u64 {
            return Err(Error::IdOutOfRange { id, count });
        }
        Ok(id as u32)
    }

    /// Copies element `id`'s vector into `bytes` (`data_size` bytes): the exact row,
    /// or for a codes-only index the vector its code stands for.
    ///
    /// The caller keeps `id` below the element count and makes sure nothing writes the
    /// row meanwhile (it holds the lock of the element's label and the label map, as
    /// [`HnswIndex::get_item`] does).
    pub(crate) fn copy_vector(&self, id: u32, bytes: &mut [u8]) {
        match self.storage.exact_rows(self.quantization.is_quantized()) {
            // SAFETY: id < len <= capacity; the row holds data_size bytes, as many as
            // `bytes`; nothing writes it while the caller's locks are held (above).
            Some(rows) => bytes.copy_from_slice(unsafe { rows.slice(id) }),
            None => {
                let quant = self
                    .quantizer
                    .as_ref()
                    .expect("a codes-only index is trained");
                // SAFETY: as above, for the payload.
                let code = unsafe { self.storage.payloads().slice(id) };
                quant.decode(code, bytemuck::cast_slice_mut(bytes));
            }
        }
    }
}

impl HnswIndex {
    /// The internal id of `label` (deleted labels too, as hnswlib's `label_lookup_`).
    ///
    /// # Errors
    /// [`Error::LabelNotFound`] for a label that is not in the index.
    pub fn internal_id(&self, label: u64) -> Result<u32> {
        let g = self.read();
        g.slots.with_id(label, &g.storage, |id| id)
    }

    /// The label of the element with internal id `id` (hnswlib's `getExternalLabel`).
    ///
    /// # Errors
    /// [`Error::IdOutOfRange`] when `id` is not below [`HnswIndex::len`].
    pub fn label_at(&self, id: u64) -> Result<u64> {
        let g = self.read();
        let id = g.check_id(id)?;
        Ok(g.storage.label(id))
    }

    /// Whether the element with internal id `id` is marked deleted (hnswlib's
    /// `isMarkedDeleted(tableint)`).
    ///
    /// # Errors
    /// [`Error::IdOutOfRange`] when `id` is not below [`HnswIndex::len`].
    pub fn is_deleted_at(&self, id: u64) -> Result<bool> {
        let g = self.read();
        let id = g.check_id(id)?;
        Ok(g.storage.is_deleted(id))
    }

    /// A copy of the stored vector of the element with internal id `id` (hnswlib's
    /// `getDataByInternalId`, which returns a pointer instead): normalised for cosine,
    /// decoded from its code for a codes-only index. Deleted elements are read too
    /// (unlike [`HnswIndex::get_item`], which looks labels up).
    ///
    /// # Errors
    /// [`Error::IdOutOfRange`] when `id` is not below [`HnswIndex::len`];
    /// [`Error::ElementType`] when `T` is not the space's element type.
    pub fn vector_at<T: Element>(&self, id: u64) -> Result<Vec<T>> {
        let g = self.read();
        let id = g.check_id(id)?;
        let mut out = g.space.element_buffer::<T>()?;
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut out);
        loop {
            // The row is written by whoever holds the lock of the slot's label: adds and
            // updates of that label, and replace-deleted adds, which give the slot its
            // new label (with the map held exclusively) before they write. So: hold the
            // lock of the label the slot has, then, with the map held, check that the
            // slot still has that label. It differs only while a replace-deleted add is
            // taking the slot over, which is over in a moment.
            let label = g.storage.label(id);
            let _l = self.label_lock(label);
            let copied = g.slots.frozen(&g.storage, || {
                if g.storage.label(id) != label {
                    return false;
                }
                g.copy_vector(id, bytes);
                true
            });
            if copied {
                return Ok(out);
            }
            std::thread::yield_now();
        }
    }

    /// The address of the stored vector of internal id `id`, for foreign-function
    /// layers that must hand out a pointer (hnswlib's `getDataByInternalId`); Rust
    /// code uses [`HnswIndex::vector_at`].
    ///
    /// The pointer stays valid until the index's storage is replaced: by
    /// [`HnswIndex::resize`], by an add that needs more slots than are allocated (an
    /// index loaded from a file allocates for its elements and grows on demand; one
    /// made with [`HnswIndex::new`] allocates its capacity at once), or by dropping
    /// the index. The bytes it points to change when the element is updated or its
    /// slot is reused by a replace-deleted add; reading them while that happens reads
    /// a mix of old and new values.
    ///
    /// # Errors
    /// [`Error::IdOutOfRange`] when `id` is not below [`HnswIndex::len`];
    /// [`Error::NotSupported`] for a codes-only index, which stores no vectors.
    pub fn vector_ptr_at(&self, id: u64) -> Result<*const u8> {
        let g = self.read();
        let id = g.check_id(id)?;
        match g.storage.exact_rows(g.quantization.is_quantized()) {
            Some(rows) => Ok(rows.at(id)),
            None => Err(Error::NotSupported(
                "a codes-only index (keep_vectors false) stores no vectors to point to; \
                 copy the decoded vector with vector_at instead"
                    .into(),
            )),
        }
    }
}
