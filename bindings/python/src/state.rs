//! hnswlib's pickle dictionary, to and from the index file bytes.
//!
//! pip hnswlib pickles an `Index` as `(d,)` where `d` holds the header fields of the
//! index file as ints, and its level-0 block, upper-level link lists and element levels
//! as numpy arrays. Both are views of the same data as hnswlib's file format, which the
//! core reads and writes, so this module only splits the file bytes into the
//! dictionary's pieces and joins them back; the core validates the result as it does
//! any file. Pickles therefore cross between pip hnswlib and hnswlib_rs both ways.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyKeyError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::convert::contiguous;
use crate::spaces::{self, Dtype, SpaceSpec};

/// Bytes of the file header.
const HEADER: usize = 96;

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(w)
}

fn corrupt(what: &str) -> PyErr {
    PyRuntimeError::new_err(format!(
        "Index seems to be corrupted or unsupported: {what}"
    ))
}

/// Fills `d` with the fields of an initialised index from its file bytes.
pub fn file_to_dict(py: Python<'_>, bytes: &[u8], d: &Bound<'_, PyDict>) -> PyResult<()> {
    if bytes.len() < HEADER {
        return Err(corrupt("short header"));
    }
    let max_elements = u64_at(bytes, 8) as usize;
    let count = u64_at(bytes, 16) as usize;
    let sdpe = u64_at(bytes, 24) as usize;
    let label_offset = u64_at(bytes, 32) as usize;
    let max_m = u64_at(bytes, 56) as usize;
    let slpe = 4 + 4 * max_m;
    for (key, off) in [
        ("offset_level0", 0),
        ("max_elements", 8),
        ("cur_element_count", 16),
        ("size_data_per_element", 24),
        ("label_offset", 32),
        ("offset_data", 40),
    ] {
        d.set_item(key, u64_at(bytes, off))?;
    }
    d.set_item("max_level", u32_at(bytes, 48) as i32)?;
    d.set_item("enterpoint_node", u32_at(bytes, 52))?;
    d.set_item("max_M", max_m)?;
    d.set_item("max_M0", u64_at(bytes, 64))?;
    d.set_item("M", u64_at(bytes, 72))?;
    d.set_item("mult", f64::from_bits(u64_at(bytes, 80)))?;
    d.set_item("ef_construction", u64_at(bytes, 88))?;
    d.set_item("size_links_per_element", slpe)?;

    let level0_end = HEADER + count * sdpe;
    let level0 = bytes
        .get(HEADER..level0_end)
        .ok_or_else(|| corrupt("short level-0 block"))?;
    let mut levels = vec![0i32; max_elements.max(count)];
    let mut links = Vec::with_capacity(bytes.len() - level0_end);
    let mut pos = level0_end;
    for level in levels.iter_mut().take(count) {
        let size = u32_at(bytes, pos) as usize;
        pos += 4;
        links.extend_from_slice(&bytes[pos..pos + size]);
        pos += size;
        *level = (size / slpe) as i32;
    }
    let mut external = Vec::with_capacity(count);
    let mut has_deletions = false;
    for i in 0..count {
        external.push(u64_at(level0, i * sdpe + label_offset));
        has_deletions |= level0[i * sdpe + 2] & 1 != 0;
    }
    d.set_item("has_deletions", has_deletions)?;
    d.set_item("label_lookup_external", PyArray1::from_vec(py, external))?;
    d.set_item(
        "label_lookup_internal",
        PyArray1::from_iter(py, 0..count as u32),
    )?;
    d.set_item("element_levels", PyArray1::from_vec(py, levels))?;
    d.set_item(
        "data_level0",
        PyArray1::from_iter(py, level0.iter().map(|&b| b as i8)),
    )?;
    d.set_item(
        "link_lists",
        PyArray1::from_iter(py, links.into_iter().map(|b| b as i8)),
    )?;
    Ok(())
}

/// A required key of the state dictionary.
pub fn get<'py, T>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T>
where
    T: for<'a> FromPyObject<'a, 'py, Error = PyErr>,
{
    d.get_item(key)?
        .ok_or_else(|| PyKeyError::new_err(key.to_owned()))?
        .extract::<T>()
}

fn bytes_of(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<u8>> {
    let obj = d
        .get_item(key)?
        .ok_or_else(|| PyKeyError::new_err(key.to_owned()))?;
    let arr = contiguous::<i8>(&obj)?;
    let arr = arr
        .try_readonly()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(arr
        .as_slice()
        .unwrap_or(&[])
        .iter()
        .map(|&b| b as u8)
        .collect())
}

fn check(field: &str, got: u64, expected: u64) -> PyResult<()> {
    if got != expected {
        return Err(PyRuntimeError::new_err(format!(
            "Unpickle Error: Invalid value of {field} "
        )));
    }
    Ok(())
}

/// The file bytes of the initialised index described by `d`, for vectors of
/// `data_size` bytes. Checks every derived size as hnswlib does; the core checks the
/// rest when it reads the bytes.
pub fn dict_to_file(d: &Bound<'_, PyDict>, data_size: usize) -> PyResult<Vec<u8>> {
    let m: u64 = get(d, "M")?;
    let max_m: u64 = get(d, "max_M")?;
    let max_m0: u64 = get(d, "max_M0")?;
    let count: u64 = get(d, "cur_element_count")?;
    let max_elements: u64 = get(d, "max_elements")?;
    if !(2..=10_000).contains(&m) {
        return Err(PyRuntimeError::new_err(
            "Unpickle Error: Invalid value of M ",
        ));
    }
    check("max_M", max_m, m)?;
    check("max_M0", max_m0, m.saturating_mul(2))?;
    let offset_data = 4 + 4 * max_m0;
    let label_offset = offset_data + data_size as u64;
    let sdpe = label_offset + 8;
    let slpe = 4 + 4 * max_m;
    check("offset_level0", get(d, "offset_level0")?, 0)?;
    check("offset_data", get(d, "offset_data")?, offset_data)?;
    check("label_offset", get(d, "label_offset")?, label_offset)?;
    check(
        "size_data_per_element",
        get(d, "size_data_per_element")?,
        sdpe,
    )?;
    check(
        "size_links_per_element",
        get(d, "size_links_per_element")?,
        slpe,
    )?;
    if count > max_elements {
        return Err(PyRuntimeError::new_err(
            "Unpickle Error: Invalid value of cur_element_count ",
        ));
    }
    let level0 = bytes_of(d, "data_level0")?;
    check(
        "data_level0",
        level0.len() as u64,
        count.saturating_mul(sdpe),
    )?;
    let links = bytes_of(d, "link_lists")?;
    let levels_obj = d
        .get_item("element_levels")?
        .ok_or_else(|| PyKeyError::new_err("element_levels"))?;
    let levels = contiguous::<i32>(&levels_obj)?;
    let levels = levels
        .try_readonly()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    let levels = levels.as_slice().unwrap_or(&[]);
    if (levels.len() as u64) < count || levels.iter().any(|&l| l < 0) {
        return Err(PyRuntimeError::new_err(
            "Unpickle Error: Invalid value of element_levels ",
        ));
    }
    let count = count as usize;
    let total_links: u64 = levels[..count].iter().map(|&l| l as u64 * slpe).sum();
    check("link_lists", links.len() as u64, total_links)?;
    if levels[..count]
        .iter()
        .any(|&l| l as u64 * slpe > u64::from(u32::MAX))
    {
        return Err(PyRuntimeError::new_err(
            "Unpickle Error: Invalid value of element_levels ",
        ));
    }

    let mut out = Vec::with_capacity(HEADER + level0.len() + links.len() + 4 * count);
    for v in [
        0,
        max_elements,
        count as u64,
        sdpe,
        label_offset,
        offset_data,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&get::<i32>(d, "max_level")?.to_le_bytes());
    out.extend_from_slice(&get::<u32>(d, "enterpoint_node")?.to_le_bytes());
    for v in [max_m, max_m0, m] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&get::<f64>(d, "mult")?.to_le_bytes());
    out.extend_from_slice(&get::<u64>(d, "ef_construction")?.to_le_bytes());
    out.extend_from_slice(&level0);
    let mut pos = 0usize;
    for &level in &levels[..count] {
        let size = level as usize * slpe as usize;
        out.extend_from_slice(&(size as u32).to_le_bytes());
        out.extend_from_slice(&links[pos..pos + size]);
        pos += size;
    }
    Ok(out)
}

/// The dictionary of a `(d,)` pickle state; anything else is hnswlib's "Invalid state!".
pub fn unwrap<'py>(state: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    state
        .cast::<PyTuple>()
        .ok()
        .filter(|t| t.len() == 1)
        .ok_or_else(|| PyRuntimeError::new_err("Invalid state!"))?
        .get_item(0)
}

/// Checks the serialization version and returns the space of a state dictionary
/// (float32 unless it has a `dtype` key, which pip hnswlib's never have).
pub fn space_of(d: &Bound<'_, PyDict>) -> PyResult<SpaceSpec> {
    if get::<i64>(d, "ser_version")? > 1 {
        return Err(PyRuntimeError::new_err(
            "Unpickle Error: Invalid serialization version!",
        ));
    }
    let name: String = get(d, "space")?;
    let dtype = Dtype::from_py(d.get_item("dtype")?.as_ref())?;
    spaces::builtin(&name, get(d, "dim")?, dtype)
}

/// Records a uint8 index's dtype in a state dictionary; a float32 one gets no key, so
/// its dictionary stays pip hnswlib's.
pub fn set_dtype(d: &Bound<'_, PyDict>, dtype: Dtype) -> PyResult<()> {
    if dtype != Dtype::Float32 {
        d.set_item("dtype", dtype.name())?;
    }
    Ok(())
}
