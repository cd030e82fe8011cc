//! Reading indexes: an index file or its bytes, in hnswlib's format or the native one,
//! loaded into memory or viewed (the file memory-mapped read-only).
//!
//! A native file names its space and dimension, so R may leave both out (NULL); when
//! given, they must be the file's. hnswlib's format names neither: it needs `dim`, and
//! its distance is the package's default, Euclidean (the core's "l2"), when not given.
//! A custom distance always needs `dim`, since its space is built from it. Which format
//! a file is comes from its first bytes (the core's `FileFormat::of_file`); views read
//! native files only, and the core refuses the others with its own message.

use extendr_api::prelude::*;
use hnswlib_core::{FileFormat, HnswIndex, LoadOptions, Space, SpaceKind, ViewOptions};

use crate::convert::{core_err, rerr, Result};
use crate::distance::{DistanceSpec, Extra};
use crate::handle::{Handle, IndexBox};

/// How an index is read.
pub enum How {
    /// Into memory: an index like any other.
    Load(LoadOptions),
    /// As a read-only view of a native file.
    View(ViewOptions),
}

/// Where an index is read from: a path, or an index file's bytes (a raw vector).
enum Source<'a> {
    Path(&'a str),
    Bytes(&'a [u8]),
}

impl<'a> Source<'a> {
    fn from_robj(x: &'a Robj) -> Result<Self> {
        match (x.as_raw_slice(), x.as_str()) {
            (Some(bytes), _) => Ok(Source::Bytes(bytes)),
            (None, Some(path)) => Ok(Source::Path(path)),
            (None, None) => Err(rerr(
                "invalid_argument",
                "Invalid parameter: an index is read from a file name or a raw vector",
            )),
        }
    }

    fn format(&self) -> Result<FileFormat> {
        match self {
            Source::Path(p) => FileFormat::of_file(p).map_err(core_err),
            Source::Bytes(b) => Ok(FileFormat::of_bytes(b)),
        }
    }

    /// The core's index; `space` None for a native source that names its own.
    fn read(&self, space: Option<Space>, how: &How) -> hnswlib_core::Result<HnswIndex> {
        match (self, how, space) {
            (Source::Path(p), How::Load(o), Some(s)) => HnswIndex::load(p, s, o),
            (Source::Path(p), How::Load(o), None) => HnswIndex::open(p, o),
            (Source::Path(p), How::View(v), Some(s)) => HnswIndex::view(p, s, v),
            (Source::Path(p), How::View(v), None) => HnswIndex::open_view(p, v),
            (Source::Bytes(b), How::Load(o), Some(s)) => HnswIndex::from_bytes(b, s, o),
            (Source::Bytes(b), How::Load(o), None) => HnswIndex::from_native_bytes(b, o),
            (Source::Bytes(_), How::View(_), _) => Err(hnswlib_core::Error::NotSupported(
                "only an index file can be viewed, not its bytes".into(),
            )),
        }
    }
}

/// A handle over the index read from `source` (a path or a raw vector); `distance` and
/// `dim` may be NULL (see the module's documentation). A custom distance may have a
/// name, which a native file that names its distance must have too (the core checks).
pub fn read(
    source: &Robj,
    (distance, name): (&Robj, Option<&str>),
    dim: &Robj,
    how: &How,
) -> Result<Handle> {
    let source = Source::from_robj(source)?;
    let spec = if distance.is_null() {
        None
    } else {
        Some(DistanceSpec::from_robj(distance)?)
    };
    let dim = if dim.is_null() {
        None
    } else {
        let d = dim.as_real().ok_or_else(|| {
            rerr(
                "invalid_argument",
                "Invalid parameter: dim must be a whole number >= 1",
            )
        })?;
        Some(crate::count(d, "dim")?)
    };
    if name.is_some() && spec.as_ref().is_none_or(DistanceSpec::is_builtin) {
        return Err(rerr(
            "invalid_argument",
            "Invalid parameter: distance_name names a custom distance: give that distance \
             and dim too",
        ));
    }
    let with_space = |spec: DistanceSpec, dim: usize| -> Result<Handle> {
        let (space, extra) = spec.named_space(dim, name)?;
        let index = source.read(Some(space), how).map_err(core_err)?;
        Ok(Handle::new(IndexBox::new(index, spec, extra, dim)))
    };
    // A view reads native files only: anything else goes on to the core, which says so.
    let native = matches!(how, How::View(_)) || source.format()? == FileFormat::Native;
    if !native {
        // A format error, as the core's for the native-only reads of such a file.
        let dim = dim.ok_or_else(|| {
            rerr(
                "format",
                "Wrong file format: an index file in hnswlib's format records neither its \
                 dimension nor its distance: give dim (and distance, \"euclidean\" by default), \
                 or save the index in the native format (format = \"native\")",
            )
        })?;
        return with_space(spec.unwrap_or(DistanceSpec::Builtin("l2")), dim);
    }
    match spec {
        Some(spec) if !spec.is_builtin() => {
            let dim = dim.ok_or_else(|| {
                rerr(
                    "invalid_argument",
                    "Invalid parameter: an index with a custom distance is read with its dim \
                     (the number of values of each item)",
                )
            })?;
            with_space(spec, dim)
        }
        spec => {
            let index = source.read(None, how).map_err(core_err)?;
            let space = index.space();
            let name = builtin_name(space.kind())?;
            if spec.as_ref().is_some_and(|s| s.name() != name)
                || dim.is_some_and(|d| d != space.dim())
            {
                let wanted = match (spec.as_ref().map(DistanceSpec::name), dim) {
                    (Some(n), Some(d)) => format!("{n} of dim {d}"),
                    (Some(n), None) => n.to_string(),
                    (None, d) => format!("dim {}", d.unwrap_or_default()),
                };
                return Err(rerr(
                    "invalid_argument",
                    &format!(
                        "Invalid parameter: the file holds a {name} index of dim {}, not {wanted}",
                        space.dim()
                    ),
                ));
            }
            let spec = spec.unwrap_or(DistanceSpec::Builtin(name));
            Ok(Handle::new(IndexBox::new(
                index,
                spec,
                Extra::None,
                space.dim(),
            )))
        }
    }
}

/// The distance name of a space R can use without being told it.
fn builtin_name(kind: SpaceKind) -> Result<&'static str> {
    match kind {
        SpaceKind::Custom => Err(rerr(
            "invalid_argument",
            "Invalid parameter: the file holds an index with a custom distance: read it \
             with its distance and dim",
        )),
        kind => Ok(kind.name()),
    }
}
