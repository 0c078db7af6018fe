//! Loaders for NASLib's own published data files, so that NASLib users can bring theirs.
//!
//! NASLib (`naslib/utils/get_dataset_api.py`) reads every tabular benchmark from a Python
//! pickle, and its zero-cost benchmark (`zc_<space>.json`) from JSON. This module reads the
//! same files, with the structures NASLib's `query` methods index into:
//!
//! | file | loader | structure (Python) |
//! |---|---|---|
//! | `nb201_{cifar10,cifar100,ImageNet16}_full_training.pickle` | [`load_nb201_pickle`] | `{arch_str: {dataset_key: {"eval_acc1es": [..], "eval_losses": [..], "train_losses": [..], "train_times": [..]?, "cost_info": {"train_time", "params", "latency", "flops"}}}}` with `dataset_key` = `cifar10-valid`, `cifar100` or `ImageNet16-120` |
//! | `nasbench_only108.pkl` (NASLib's tensorflow-free NB101 API) | [`load_nb101_pickle`] | `{nb101_hash: (fixed, computed)}`, `fixed` = `{"module_adjacency": ndarray, "module_operations": [..], "trainable_parameters": int}`, `computed` = `{epochs: [{"final_validation_accuracy", "final_test_accuracy", "final_training_time", ..} per repeat]}` |
//! | `nb301_full_training.pickle` | [`load_nb301_pickle`] | `{compact: {"val_accuracies": [..], "train_losses": [..], "runtime": float}}`, `compact` = `((8 (input, op) pairs), (8 pairs))` |
//! | `nb_nlp.pickle` (Penn Treebank) | [`load_nlp_pickle`] | `{compact: {"train_losses": [..], "val_losses": [..], "test_losses": [..], "wall_times": [..]}}`, `compact` = `(edges, ops, hiddens)` |
//! | `zc_nasbench{101,201,301}.json` | [`load_zc_json`] | `{dataset: {arch_key: {proxy: {"score", "time"}, .., "val_accuracy": float, "id"?}}}` |
//!
//! # What each loader makes of it
//!
//! * NB201: the final validation accuracy is the last entry of `eval_acc1es` (NASLib's
//!   `query(VAL_ACCURACY)` with `epoch = -1`); curves `val_acc` = `eval_acc1es`, `val_loss` =
//!   `eval_losses`, `train_loss` = `train_losses`, `epoch_times_s` = `train_times` when present.
//!   The training time is the sum of `train_times` when present, else
//!   [`NB201_EPOCHS`] x `cost_info["train_time"]`: NASLib's `TRAIN_TIME` is the mean time of
//!   **one epoch** (NASLib's own test fixture `tests/test_nb201_search_space.py` holds 7.2211 s
//!   for architecture 0 on CIFAR-10, whose 200-epoch total in NB201 is 1444.2186 s; see
//!   [`crate::accounting`]); a zero or negative time counts as missing. `params` (MB) and
//!   `latency` come from `cost_info`. [`Coverage::Full`] when all 15625 architectures are
//!   present, else [`Coverage::Sample`]. Keys may be arch strings or NASLib op-index tuples.
//! * NB101: per repeat the 108-epoch `final_validation_accuracy` x 100 (so
//!   [`crate::TargetMode::RandomSeed`] reproduces the NB101 API's random repeat);
//!   `final_test_accuracy` x 100 and `final_training_time` averaged over the repeats; the 4, 12
//!   and 36-epoch budgets (full pickle only) become [`FidelityPoint`]s (mean over repeats).
//!   The architecture's own hash must equal the pickle key (the official NB101 hash).
//! * NB301: final validation accuracy = last entry of `val_accuracies` (as stored, percent);
//!   curves `val_acc`, `train_loss`; training time = `runtime`.
//! * NLP: NASLib's mapping, validation "accuracy" = 100 - validation loss (curve and final
//!   value), test accuracy = 100 - final test loss; curves `val_loss`, `train_loss` as stored,
//!   `epoch_times_s` = `wall_times` (per-epoch times), training time = their sum.
//!
//! Records whose final validation accuracy is missing or not finite (a diverged run) are
//! skipped, since [`Benchmark`] needs a finite target for every record; everything else that
//! does not match the structure above is a [`DataError::Format`] naming the file, the record
//! and the key, and an architecture that does not parse is a [`DataError::Arch`].
//!
//! # Python pickles
//!
//! Pickles are read with `serde-pickle` (protocols 0-5, gzip-compressed files are detected by
//! their magic bytes). Numbers may be Python `int`/`float`, numpy scalars (`numpy.float64`,
//! ...) or numpy arrays, from numpy 1 (`numpy.core.multiarray`) or numpy 2
//! (`numpy._core.multiarray`), pickled with `_reconstruct` (protocols 0-4) or `_frombuffer`
//! (protocol 5). serde-pickle does not run numpy, so an array arrives as its raw state
//! `(1, shape, dtype, fortran_order, raw_bytes)`; the element width is inferred from
//! `len(raw_bytes) / prod(shape)` and the element kind (float, signed, unsigned, bool) from
//! the dtype when the pickle still carries it (the dtype is memoised, so from the second array
//! on only its constructor arguments such as `'f8'` survive, and for the first one only the
//! byte order) and otherwise from what the field must hold (curves are floats, adjacency
//! matrices and parameter counts integers). Object arrays hold Python objects and are read
//! element by element.
//!
//! # Zero-cost JSON
//!
//! [`load_zc_json`] returns a [`ZcTable`]: per dataset, per architecture the proxy scores, the
//! time each took, and the validation accuracy. Architecture keys are NASLib's hashes as
//! Python prints them: NB201 the op-index tuple `"(4, 3, 3, 3, 2, 3)"` (edge order
//! (1,2), (1,3), (1,4), (2,3), (2,4), (3,4); ops 0 skip_connect, 1 none, 2 nor_conv_3x3,
//! 3 nor_conv_1x1, 4 avg_pool_3x3), NB101 the flattened n x n matrix followed by n op indices
//! over `[input, output, maxpool3x3, conv1x1-bn-relu, conv3x3-bn-relu]`, DARTS the compact
//! tuple. The space is taken from the file name (`zc_nasbench101`, `zc_nasbench201`,
//! `zc_nasbench301` / `darts`) or, failing that, from the keys; [`load_zc_json_as`] names it
//! explicitly. Python's `json` writes `NaN` and `Infinity` for non-finite floats; those are
//! read as such. [`ZcTable::to_benchmark`] turns one dataset's validation accuracies into a
//! [`Benchmark`] ([`Coverage::Sample`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use naspred_spaces::{AnyArch, ArchHash, SpaceKind};
use serde::de::{MapAccess, Visitor};
use serde_pickle::{DeOptions, HashableValue, Value};

use crate::{ArchRecord, Benchmark, Coverage, Curves, DataError, Dataset, FidelityPoint};

/// Epochs of NB201's full training schedule.
pub const NB201_EPOCHS: u32 = 200;
/// Epochs of NB101's longest budget.
pub const NB101_EPOCHS: u32 = 108;
/// Epochs of the NB301 training data (DARTS space).
pub const NB301_EPOCHS: u32 = 98;
/// Epochs of NAS-Bench-NLP's training runs.
pub const NLP_EPOCHS: u32 = 50;
/// Number of NB201 architectures (`5^6`).
pub const NB201_SPACE_SIZE: usize = 15_625;

/// NASLib's NB201 op names by op index (`naslib/search_spaces/nasbench201`).
const NB201_NASLIB_OPS: [&str; 5] = [
    "skip_connect",
    "none",
    "nor_conv_3x3",
    "nor_conv_1x1",
    "avg_pool_3x3",
];

/// NASLib's NB101 op list for tuple hashes (`nasbench101/conversions.py`).
const NB101_TUPLE_OPS: [&str; 5] = [
    "input",
    "output",
    "maxpool3x3",
    "conv1x1-bn-relu",
    "conv3x3-bn-relu",
];

// ---------------------------------------------------------------------------------------------
// Pickle reading and navigation
// ---------------------------------------------------------------------------------------------

/// Reads a Python pickle (optionally gzip-compressed) into a [`serde_pickle::Value`] tree,
/// with the options NASLib's files need (numpy objects kept as their raw state).
pub fn read_pickle_value(path: &Path) -> Result<Value, DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let head = reader.fill_buf().map_err(|e| DataError::io(path, e))?;
    if head.is_empty() {
        return Err(DataError::format(
            path,
            "pickle stream",
            "the file is empty",
        ));
    }
    let gz = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let opts = DeOptions::new()
        .keep_restore_state()
        .replace_unresolved_globals()
        .replace_recursive_structures();
    let res = if gz {
        serde_pickle::value_from_reader(BufReader::new(MultiGzDecoder::new(reader)), opts)
    } else {
        serde_pickle::value_from_reader(reader, opts)
    };
    res.map_err(|e| DataError::format(path, "pickle stream", format!("not a readable pickle: {e}")))
}

/// Which numeric kind a field must hold, used when a numpy dtype is not recoverable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefer {
    Float,
    Int,
}

/// The short Python type name of a value, for error messages.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::None => "None",
        Value::Bool(_) => "bool",
        Value::I64(_) | Value::Int(_) => "int",
        Value::F64(_) => "float",
        Value::Bytes(_) => "bytes",
        Value::String(_) => "str",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Set(_) => "set",
        Value::FrozenSet(_) => "frozenset",
        Value::Dict(_) => "dict",
    }
}

/// A Python-like, shortened rendering of a dictionary key for error messages.
fn key_repr(k: &HashableValue) -> String {
    let mut s = String::new();
    repr_into(&k.clone().into_value(), &mut s);
    if s.chars().count() > 120 {
        let head: String = s.chars().take(120).collect();
        format!("{head}...")
    } else {
        s
    }
}

fn repr_into(v: &Value, out: &mut String) {
    match v {
        Value::None => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::I64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::F64(f) => {
            let _ = write!(out, "{f}");
        }
        Value::Bytes(b) => {
            let _ = write!(out, "b{:?}", String::from_utf8_lossy(b));
        }
        Value::String(s) => {
            let _ = write!(out, "{s:?}");
        }
        Value::List(items) | Value::Tuple(items) => {
            let (open, close) = if matches!(v, Value::List(_)) {
                ('[', ']')
            } else {
                ('(', ')')
            };
            out.push(open);
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                repr_into(it, out);
            }
            if items.len() == 1 && close == ')' {
                out.push(',');
            }
            out.push(close);
        }
        Value::Set(_) | Value::FrozenSet(_) => out.push_str("{...}"),
        Value::Dict(_) => out.push_str("{...}"),
    }
}

/// Why a pickled value does not have the structure a loader expects (the reason of a
/// [`DataError::Format`], which names the file and the place).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum ValueError {
    /// A value of another kind than expected.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What was expected.
        expected: String,
        /// What was there.
        found: String,
    },
    /// A numpy element of 0 or more than 8 bytes.
    #[error("unsupported element width {0} bytes")]
    ElementWidth(usize),
    /// A numpy element type this reader does not decode.
    #[error("unsupported numpy element type {kind:?} of {width} bytes")]
    ElementType {
        /// The dtype kind (`f`, `i`, `u`, `b`...).
        kind: char,
        /// Bytes per element.
        width: usize,
    },
    /// Raw numpy data whose length is not a multiple of the element count.
    #[error("numpy data of {bytes} bytes does not divide into {count} elements")]
    RawLength {
        /// Bytes of data.
        bytes: usize,
        /// Elements of the shape.
        count: usize,
    },
    /// A dtype whose size differs from the data's bytes per element.
    #[error("numpy dtype says {size}-byte elements but the data holds {width} bytes per element")]
    DtypeWidth {
        /// The dtype's element size.
        size: usize,
        /// Bytes per element of the data.
        width: usize,
    },
    /// A numpy object array with another number of objects than its shape.
    #[error("numpy object array of shape {shape:?} holds {objects} objects")]
    ObjectCount {
        /// The array's shape.
        shape: Vec<usize>,
        /// Objects held.
        objects: usize,
    },
    /// A Python integer too large for a float.
    #[error("integer {value} is not representable: {source}")]
    BigInt {
        /// The integer as text.
        value: String,
        /// The parse error.
        source: std::num::ParseFloatError,
    },
    /// A matrix row of another length than the number of rows.
    #[error("matrix row of length {len} in a {rows}-row matrix")]
    RaggedRow {
        /// The row's length.
        len: usize,
        /// Rows of the matrix.
        rows: usize,
    },
    /// An adjacency matrix entry other than 0 or 1.
    #[error("adjacency entry {0} is not 0 or 1")]
    AdjacencyEntry(f64),
    /// An NB101 tuple matrix entry other than 0 or 1.
    #[error("matrix entry {0} is not 0 or 1")]
    MatrixEntry(i64),
    /// An NB201 op-index tuple of another length than 6.
    #[error("an NB201 op-index tuple has 6 entries, found {0}")]
    Nb201TupleLength(usize),
    /// An NB201 op index outside the op list.
    #[error("op index {index} on edge {edge} is outside 0..5")]
    Nb201OpIndex {
        /// The index.
        index: i64,
        /// The edge (0-based, NASLib's edge order).
        edge: usize,
    },
    /// An NB101 tuple whose length is not n*n + n.
    #[error("an NB101 tuple has n*n + n entries for n <= 7, found {0}")]
    Nb101TupleLength(usize),
    /// An NB101 op index outside the op list.
    #[error("op index {0} is outside 0..5")]
    Nb101OpIndex(i64),
}

impl ValueError {
    /// A value of another kind than `expected`.
    fn expected(expected: impl Into<String>, found: impl Into<String>) -> Self {
        ValueError::Expected {
            expected: expected.into(),
            found: found.into(),
        }
    }
}

type Dict = BTreeMap<HashableValue, Value>;

fn as_dict<'v>(v: &'v Value, what: &str) -> Result<&'v Dict, ValueError> {
    match v {
        Value::Dict(d) => Ok(d),
        other => Err(ValueError::expected(
            format!("{what} (a dict)"),
            format!("a {}", type_name(other)),
        )),
    }
}

/// Looks up a string key (Python 3 `str` or Python 2 `bytes`).
fn get<'v>(d: &'v Dict, key: &str) -> Option<&'v Value> {
    d.get(&HashableValue::String(key.to_string()))
        .or_else(|| d.get(&HashableValue::Bytes(key.as_bytes().to_vec())))
}

/// The string keys of a dict, for error messages.
fn key_list(d: &Dict) -> String {
    let mut keys: Vec<String> = d.keys().take(20).map(key_repr).collect();
    if d.len() > 20 {
        keys.push("...".into());
    }
    format!("[{}]", keys.join(", "))
}

fn as_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Bytes(b) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// A numpy dtype as far as the pickle still tells it.
#[derive(Clone, Copy, Debug, Default)]
struct DType {
    /// `b'f'`, `b'i'`, `b'u'`, `b'b'` (bool) or `b'O'` (object), if known.
    kind: Option<u8>,
    /// Element size in bytes, if known.
    size: Option<usize>,
    big_endian: bool,
}

fn parse_dtype(v: &Value) -> DType {
    let mut dt = DType::default();
    if let Value::Tuple(items) = v {
        match items.first() {
            // Constructor arguments, e.g. ('f8', False, True) or ('<f8', ...).
            Some(Value::String(s)) => {
                let s = match s.as_bytes().first() {
                    Some(b'<') | Some(b'=') | Some(b'|') => &s[1..],
                    Some(b'>') => {
                        dt.big_endian = true;
                        &s[1..]
                    }
                    _ => s,
                };
                let b = s.as_bytes();
                if b == b"?" {
                    dt.kind = Some(b'b');
                    dt.size = Some(1);
                } else if let Some(&k) = b.first() {
                    dt.kind = Some(k);
                    dt.size = s[1..].parse().ok();
                }
            }
            // Restored state, e.g. (3, '<', None, None, None, -1, -1, 0): byte order only.
            Some(Value::I64(_)) => {
                if let Some(e) = items.get(1).and_then(as_str) {
                    dt.big_endian = e == ">";
                }
            }
            _ => {}
        }
    }
    dt
}

/// Converts one raw element; `kind` is already resolved.
fn decode_elem(b: &[u8], kind: u8, big: bool) -> Result<f64, ValueError> {
    let mut buf = [0u8; 8];
    let w = b.len();
    if w > 8 || w == 0 {
        return Err(ValueError::ElementWidth(w));
    }
    buf[..w].copy_from_slice(b);
    if big {
        buf[..w].reverse();
    }
    Ok(match (kind, w) {
        (b'f', 8) => f64::from_le_bytes(buf),
        (b'f', 4) => f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64,
        (b'f', 2) => f16_to_f64(u16::from_le_bytes([buf[0], buf[1]])),
        (b'i', 8) => i64::from_le_bytes(buf) as f64,
        (b'i', 4) => i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64,
        (b'i', 2) => i16::from_le_bytes([buf[0], buf[1]]) as f64,
        (b'i', 1) => buf[0] as i8 as f64,
        (b'u', 8) => u64::from_le_bytes(buf) as f64,
        (b'u', 4) => u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64,
        (b'u', 2) => u16::from_le_bytes([buf[0], buf[1]]) as f64,
        (b'u', 1) | (b'b', 1) => buf[0] as f64,
        (k, w) => {
            return Err(ValueError::ElementType {
                kind: char::from(k),
                width: w,
            })
        }
    })
}

/// IEEE half precision to f64.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    match exp {
        0 => sign * frac * 2f64.powi(-24),
        31 => {
            if frac == 0.0 {
                sign * f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => sign * (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Decodes raw numpy bytes of `count` elements.
fn decode_raw(raw: &[u8], count: usize, dt: DType, prefer: Prefer) -> Result<Vec<f64>, ValueError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if !raw.len().is_multiple_of(count) {
        return Err(ValueError::RawLength {
            bytes: raw.len(),
            count,
        });
    }
    let width = raw.len() / count;
    if let Some(size) = dt.size {
        if size != width {
            return Err(ValueError::DtypeWidth { size, width });
        }
    }
    let kind = match dt.kind {
        Some(k) => k,
        None => match (prefer, width) {
            (_, 1) => {
                if prefer == Prefer::Int {
                    b'i'
                } else {
                    b'u'
                }
            }
            (Prefer::Float, _) => b'f',
            (Prefer::Int, _) => b'i',
        },
    };
    raw.chunks_exact(width)
        .map(|c| decode_elem(c, kind, dt.big_endian))
        .collect()
}

/// A decoded numpy array: shape and row-major data.
struct NdArray {
    shape: Vec<usize>,
    data: Vec<f64>,
}

fn shape_of(v: &Value) -> Option<Vec<usize>> {
    match v {
        Value::Tuple(items) | Value::List(items) => items
            .iter()
            .map(|x| match x {
                Value::I64(i) if *i >= 0 => Some(*i as usize),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Reorders Fortran-ordered data into row-major order.
fn fortran_to_c(data: Vec<f64>, shape: &[usize]) -> Vec<f64> {
    if shape.len() < 2 {
        return data;
    }
    let n = data.len();
    let mut out = vec![0.0; n];
    let mut idx = vec![0usize; shape.len()];
    for (c_pos, slot) in out.iter_mut().enumerate() {
        // Multi-index of row-major position c_pos.
        let mut rem = c_pos;
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        // Column-major offset of that multi-index.
        let mut f_pos = 0;
        let mut stride = 1;
        for d in 0..shape.len() {
            f_pos += idx[d] * stride;
            stride *= shape[d];
        }
        *slot = data[f_pos];
    }
    out
}

/// Recognises a numpy array in one of its pickled forms; `Ok(None)` if `v` is not one.
fn as_ndarray(v: &Value, prefer: Prefer) -> Result<Option<NdArray>, ValueError> {
    let items = match v {
        Value::Tuple(items) => items,
        _ => return Ok(None),
    };
    // Protocols 0-4: `_reconstruct` + BUILD state (version, shape, dtype, fortran, data).
    if items.len() == 5 && matches!(items[0], Value::I64(_)) {
        if let (Some(shape), Value::Bool(fortran)) = (shape_of(&items[1]), &items[3]) {
            let count: usize = shape.iter().product();
            let dt = parse_dtype(&items[2]);
            let data = match &items[4] {
                Value::Bytes(raw) => decode_raw(raw, count, dt, prefer)?,
                Value::String(s) => {
                    // Python 2 `str` data decoded as latin-1 text.
                    let raw: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
                    decode_raw(&raw, count, dt, prefer)?
                }
                Value::List(objs) => {
                    // Object array: the elements themselves.
                    if objs.len() != count {
                        return Err(ValueError::ObjectCount {
                            shape,
                            objects: objs.len(),
                        });
                    }
                    objs.iter()
                        .map(|o| num(o, prefer))
                        .collect::<Result<_, _>>()?
                }
                other => {
                    return Err(ValueError::expected(
                        "bytes as numpy array data",
                        format!("a {}", type_name(other)),
                    ))
                }
            };
            let data = if *fortran {
                fortran_to_c(data, &shape)
            } else {
                data
            };
            return Ok(Some(NdArray { shape, data }));
        }
    }
    // Protocol 5: `_frombuffer(buffer, dtype, shape, order)`.
    if items.len() == 4 {
        if let (Value::Bytes(raw), Some(shape), Some(order)) =
            (&items[0], shape_of(&items[2]), as_str(&items[3]))
        {
            let count: usize = shape.iter().product();
            let dt = parse_dtype(&items[1]);
            let data = decode_raw(raw, count, dt, prefer)?;
            let data = if order == "F" {
                fortran_to_c(data, &shape)
            } else {
                data
            };
            return Ok(Some(NdArray { shape, data }));
        }
    }
    Ok(None)
}

/// A scalar number: Python `int`/`float`/`bool`, a numpy scalar or a one-element array.
fn num(v: &Value, prefer: Prefer) -> Result<f64, ValueError> {
    match v {
        Value::F64(f) => Ok(*f),
        Value::I64(i) => Ok(*i as f64),
        Value::Int(i) => i
            .to_string()
            .parse::<f64>()
            .map_err(|source| ValueError::BigInt {
                value: i.to_string(),
                source,
            }),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Tuple(items) if items.len() == 2 && matches!(items[1], Value::Bytes(_)) => {
            // numpy scalar: scalar(dtype, raw bytes).
            let Value::Bytes(raw) = &items[1] else {
                unreachable!("matched above")
            };
            let v = decode_raw(raw, 1, parse_dtype(&items[0]), prefer)?;
            Ok(v[0])
        }
        other => match as_ndarray(other, prefer)? {
            Some(a) if a.data.len() == 1 => Ok(a.data[0]),
            Some(a) => Err(ValueError::expected(
                "a number",
                format!("a numpy array of shape {:?}", a.shape),
            )),
            None => Err(ValueError::expected(
                "a number",
                format!("a {}", type_name(other)),
            )),
        },
    }
}

/// An integer-valued number.
fn int(v: &Value) -> Result<i64, ValueError> {
    let x = num(v, Prefer::Int)?;
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Ok(x as i64)
    } else {
        Err(ValueError::expected("an integer", x.to_string()))
    }
}

/// A one-dimensional sequence of numbers: a list/tuple of numbers or a numpy array.
fn num_vec(v: &Value, prefer: Prefer) -> Result<Vec<f64>, ValueError> {
    match v {
        Value::List(items) | Value::Tuple(items) => {
            if let Some(a) = as_ndarray(v, prefer)? {
                return Ok(a.data);
            }
            items.iter().map(|x| num(x, prefer)).collect()
        }
        other => Err(ValueError::expected(
            "a list of numbers",
            format!("a {}", type_name(other)),
        )),
    }
}

/// A square 0/1 matrix: a numpy array or nested lists. Returns `(n, row-major entries)`.
fn square_matrix(v: &Value) -> Result<(usize, Vec<u8>), ValueError> {
    let (shape, data) = match as_ndarray(v, Prefer::Int)? {
        Some(a) => (a.shape, a.data),
        None => match v {
            Value::List(rows) | Value::Tuple(rows) => {
                let mut data = Vec::new();
                for r in rows {
                    let row = num_vec(r, Prefer::Int)?;
                    if row.len() != rows.len() {
                        return Err(ValueError::RaggedRow {
                            len: row.len(),
                            rows: rows.len(),
                        });
                    }
                    data.extend(row);
                }
                (vec![rows.len(), rows.len()], data)
            }
            other => {
                return Err(ValueError::expected(
                    "a matrix",
                    format!("a {}", type_name(other)),
                ))
            }
        },
    };
    if shape.len() != 2 || shape[0] != shape[1] {
        return Err(ValueError::expected(
            "a square matrix",
            format!("shape {shape:?}"),
        ));
    }
    let bits = data
        .iter()
        .map(|&x| {
            if x == 0.0 {
                Ok(0u8)
            } else if x == 1.0 {
                Ok(1u8)
            } else {
                Err(ValueError::AdjacencyEntry(x))
            }
        })
        .collect::<Result<Vec<u8>, ValueError>>()?;
    Ok((shape[0], bits))
}

/// Python `repr` of a nested tuple/list of integers (numpy integers included), the text form
/// NASLib's compact keys are printed in.
fn int_tuple_repr(v: &Value) -> Result<String, ValueError> {
    fn go(v: &Value, out: &mut String) -> Result<(), ValueError> {
        match v {
            Value::List(items) | Value::Tuple(items) => {
                out.push('(');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    go(it, out)?;
                }
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
                Ok(())
            }
            other => {
                let i = int(other)?;
                let _ = write!(out, "{i}");
                Ok(())
            }
        }
    }
    let mut s = String::new();
    go(v, &mut s)?;
    Ok(s)
}

/// A flat tuple of integers.
fn int_vec(v: &Value) -> Result<Vec<i64>, ValueError> {
    match v {
        Value::List(items) | Value::Tuple(items) => {
            if let Some(a) = as_ndarray(v, Prefer::Int)? {
                return a
                    .data
                    .iter()
                    .map(|&x| {
                        if x.fract() == 0.0 {
                            Ok(x as i64)
                        } else {
                            Err(ValueError::expected("integers", x.to_string()))
                        }
                    })
                    .collect();
            }
            items.iter().map(int).collect()
        }
        other => Err(ValueError::expected(
            "a tuple of integers",
            format!("a {}", type_name(other)),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Architecture text forms
// ---------------------------------------------------------------------------------------------

/// The NB201 arch string of NASLib's op-index tuple.
fn nb201_tuple_to_str(t: &[i64]) -> Result<String, ValueError> {
    if t.len() != 6 {
        return Err(ValueError::Nb201TupleLength(t.len()));
    }
    let mut names = [""; 6];
    for (e, (&i, slot)) in t.iter().zip(names.iter_mut()).enumerate() {
        *slot = usize::try_from(i)
            .ok()
            .and_then(|i| NB201_NASLIB_OPS.get(i))
            .ok_or(ValueError::Nb201OpIndex { index: i, edge: e })?;
    }
    // Edge order (1,2) (1,3) (1,4) (2,3) (2,4) (3,4); the string lists node 1's input, node
    // 2's inputs from 0 and 1, node 3's inputs from 0, 1, 2.
    Ok(format!(
        "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
        names[0], names[1], names[3], names[2], names[4], names[5]
    ))
}

/// The NB101 standard text form `matrix;ops`: the row-major 0/1 matrix and the op labels
/// separated by commas (the layout of the reference data's `matrix` / `ops` columns).
fn nb101_text(bits: &[u8], ops: &[&str]) -> String {
    let mut s = String::with_capacity(bits.len() + 1 + ops.len() * 16);
    for &b in bits {
        s.push(if b == 1 { '1' } else { '0' });
    }
    s.push(';');
    s.push_str(&ops.join(","));
    s
}

/// The NB101 architecture of NASLib's tuple hash: `n*n` matrix entries, then `n` op indices.
fn nb101_tuple_to_text(t: &[i64]) -> Result<String, ValueError> {
    let l = t.len();
    let n = (1..=7)
        .find(|n| n * n + n == l)
        .ok_or(ValueError::Nb101TupleLength(l))?;
    let mut bits = Vec::with_capacity(n * n);
    for &x in &t[..n * n] {
        match x {
            0 => bits.push(0),
            1 => bits.push(1),
            other => return Err(ValueError::MatrixEntry(other)),
        }
    }
    let ops = t[n * n..]
        .iter()
        .map(|&i| {
            usize::try_from(i)
                .ok()
                .and_then(|i| NB101_TUPLE_OPS.get(i).copied())
                .ok_or(ValueError::Nb101OpIndex(i))
        })
        .collect::<Result<Vec<&str>, ValueError>>()?;
    Ok(nb101_text(&bits, &ops))
}

// ---------------------------------------------------------------------------------------------
// Loaders
// ---------------------------------------------------------------------------------------------

/// Error helpers bound to one file.
struct Src<'a> {
    path: &'a Path,
}

impl Src<'_> {
    fn fmt(&self, location: impl Into<String>, reason: impl fmt::Display) -> DataError {
        DataError::format(self.path, location, reason.to_string())
    }

    fn arch(
        &self,
        space: SpaceKind,
        location: impl Into<String>,
        text: &str,
    ) -> Result<AnyArch, DataError> {
        let location = location.into();
        let arch = AnyArch::parse(space, text).map_err(|source| DataError::Arch {
            path: self.path.to_path_buf(),
            location: location.clone(),
            source,
        })?;
        arch.validate().map_err(|source| DataError::Arch {
            path: self.path.to_path_buf(),
            location,
            source,
        })?;
        Ok(arch)
    }

    fn top_dict<'v>(&self, v: &'v Value) -> Result<&'v Dict, DataError> {
        let d = as_dict(v, "a top-level dict of architectures")
            .map_err(|r| self.fmt("top level", r))?;
        if d.is_empty() {
            return Err(self.fmt("top level", "the dict holds no architectures"));
        }
        Ok(d)
    }
}

fn finite_positive(x: f64) -> Option<f64> {
    (x.is_finite() && x > 0.0).then_some(x)
}

fn last_finite(v: &[f64]) -> Option<f64> {
    v.last().copied().filter(|x| x.is_finite())
}

/// Builds the benchmark; an empty record list is a format error naming the file.
fn finish(
    src: &Src<'_>,
    space: SpaceKind,
    dataset: Dataset,
    epochs: u32,
    coverage: Coverage,
    records: Vec<ArchRecord>,
) -> Result<Benchmark, DataError> {
    if records.is_empty() {
        return Err(src.fmt(
            "top level",
            "no architecture with a finite final validation accuracy",
        ));
    }
    Benchmark::new(
        space,
        dataset,
        epochs,
        coverage,
        src.path.display().to_string(),
        records,
    )
}

/// The key NASLib's NB201 pickles use for `dataset`.
fn nb201_dataset_keys(dataset: Dataset) -> Result<&'static [&'static str], DataError> {
    Ok(match dataset {
        Dataset::Cifar10 => &["cifar10-valid", "cifar10"],
        Dataset::Cifar100 => &["cifar100"],
        Dataset::ImageNet16_120 => &["ImageNet16-120", "ImageNet16"],
        other => {
            return Err(DataError::NoSuchBenchmark {
                space: "nb201".into(),
                dataset: other.name().into(),
            })
        }
    })
}

/// Loads one of NASLib's `nb201_<dataset>_full_training.pickle` files.
///
/// `dataset` selects the per-architecture entry (`cifar10` reads `cifar10-valid`, as NASLib
/// does). See the module documentation for the fields used.
pub fn load_nb201_pickle(path: &Path, dataset: Dataset) -> Result<Benchmark, DataError> {
    let keys = nb201_dataset_keys(dataset)?;
    let src = Src { path };
    let root = read_pickle_value(path)?;
    let top = src.top_dict(&root)?;
    let mut records = Vec::with_capacity(top.len());
    for (k, v) in top {
        let loc = format!("architecture {}", key_repr(k));
        let text = match k {
            HashableValue::String(s) => s.clone(),
            HashableValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            other => {
                let t = int_vec(&other.clone().into_value())
                    .map_err(|r| src.fmt(&loc, format!("key: {r}")))?;
                nb201_tuple_to_str(&t).map_err(|r| src.fmt(&loc, format!("key: {r}")))?
            }
        };
        let arch = src.arch(SpaceKind::Nb201, &loc, &text)?;
        let per_ds = as_dict(v, "a dict of datasets").map_err(|r| src.fmt(&loc, r))?;
        let (ds_key, entry) = keys
            .iter()
            .find_map(|k| get(per_ds, k).map(|e| (*k, e)))
            .ok_or_else(|| {
                src.fmt(
                    &loc,
                    format!(
                        "no entry for dataset {:?}; keys are {}",
                        keys[0],
                        key_list(per_ds)
                    ),
                )
            })?;
        let loc = format!("{loc}, dataset {ds_key:?}");
        let entry = as_dict(entry, "a dict of metrics").map_err(|r| src.fmt(&loc, r))?;
        let curve = |name: &str, required: bool| -> Result<Vec<f64>, DataError> {
            match get(entry, name) {
                Some(v) => num_vec(v, Prefer::Float)
                    .map_err(|r| src.fmt(format!("{loc}, key {name:?}"), r)),
                None if required => Err(src.fmt(
                    &loc,
                    format!("missing key {name:?}; keys are {}", key_list(entry)),
                )),
                None => Ok(Vec::new()),
            }
        };
        let val_acc = curve("eval_acc1es", true)?;
        let val_loss = curve("eval_losses", false)?;
        let train_loss = curve("train_losses", false)?;
        let epoch_times = curve("train_times", false)?;
        let Some(final_acc) = last_finite(&val_acc) else {
            continue;
        };
        let cost = match get(entry, "cost_info") {
            Some(c) => Some(
                as_dict(c, "cost_info")
                    .map_err(|r| src.fmt(format!("{loc}, key \"cost_info\""), r))?,
            ),
            None => None,
        };
        let cost_num = |name: &str| -> Result<Option<f64>, DataError> {
            match cost.and_then(|c| get(c, name)) {
                Some(Value::None) | None => Ok(None),
                Some(v) => num(v, Prefer::Float)
                    .map(Some)
                    .map_err(|r| src.fmt(format!("{loc}, key cost_info[{name:?}]"), r)),
            }
        };
        let from_epochs = if epoch_times.iter().all(|t| t.is_finite()) {
            finite_positive(epoch_times.iter().sum())
        } else {
            None
        };
        // cost_info["train_time"] is a per-epoch time (see the module docs).
        let train_time = match from_epochs {
            Some(t) => Some(t),
            None => cost_num("train_time")?
                .and_then(finite_positive)
                .map(|per_epoch| per_epoch * NB201_EPOCHS as f64),
        };
        let mut rec = ArchRecord::new(arch, vec![final_acc]);
        rec.train_time_s = train_time;
        rec.params_m = cost_num("params")?.filter(|x| x.is_finite());
        rec.latency_s = cost_num("latency")?.filter(|x| x.is_finite());
        rec.curves = Some(Curves {
            val_acc,
            val_loss,
            train_loss,
            epoch_times_s: epoch_times,
        });
        records.push(rec);
    }
    let coverage = if records.len() == NB201_SPACE_SIZE {
        Coverage::Full
    } else {
        Coverage::Sample
    };
    finish(
        &src,
        SpaceKind::Nb201,
        dataset,
        NB201_EPOCHS,
        coverage,
        records,
    )
}

/// NB101 metrics of one budget, one entry per repeat.
#[derive(Default)]
struct Repeats {
    val: Vec<f64>,
    test: Vec<f64>,
    time: Vec<f64>,
}

/// Loads NASLib's NB101 pickle (`nasbench_only108.pkl`, or the full `nasbench_full` data
/// in the same layout): `{hash: (fixed_stats, computed_stats)}`.
pub fn load_nb101_pickle(path: &Path) -> Result<Benchmark, DataError> {
    let src = Src { path };
    let root = read_pickle_value(path)?;
    let top = src.top_dict(&root)?;
    let mut records = Vec::with_capacity(top.len());
    for (k, v) in top {
        let loc = format!("architecture {}", key_repr(k));
        let (fixed, computed) = match v {
            Value::Tuple(p) | Value::List(p) if p.len() == 2 => (&p[0], &p[1]),
            other => {
                return Err(src.fmt(
                    &loc,
                    format!(
                        "expected a (fixed_stats, computed_stats) pair, found a {}",
                        type_name(other)
                    ),
                ))
            }
        };
        let (arch, params) = nb101_fixed_stats(&src, &loc, k, fixed)?;
        let by_epochs = nb101_computed_stats(&src, &loc, computed)?;
        let mean = |v: &[f64]| -> Option<f64> {
            let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
            (!f.is_empty()).then(|| f.iter().sum::<f64>() / f.len() as f64)
        };
        let Some(Repeats {
            val: final_val,
            test: final_test,
            time: final_time,
        }) = by_epochs.get(&NB101_EPOCHS)
        else {
            return Err(src.fmt(
                &loc,
                format!("no {NB101_EPOCHS}-epoch results in computed_stats"),
            ));
        };
        if mean(final_val).is_none() {
            continue;
        }
        let mut rec = ArchRecord::new(arch, final_val.clone());
        rec.test_acc = mean(final_test);
        rec.train_time_s = mean(final_time).and_then(finite_positive);
        rec.params_m = params.map(|p| p / 1e6);
        rec.points = by_epochs
            .iter()
            .filter(|(e, _)| **e < NB101_EPOCHS)
            .filter_map(|(e, reps)| {
                mean(&reps.val).map(|val_acc| FidelityPoint {
                    epochs: *e,
                    val_acc,
                })
            })
            .collect();
        records.push(rec);
    }
    finish(
        &src,
        SpaceKind::Nb101,
        Dataset::Cifar10,
        NB101_EPOCHS,
        Coverage::Sample,
        records,
    )
}

/// One NB101 architecture's `fixed_stats`: its cell (checked against its key when the key is
/// an NB101 hash) and its parameter count.
fn nb101_fixed_stats(
    src: &Src<'_>,
    loc: &str,
    k: &HashableValue,
    fixed: &Value,
) -> Result<(AnyArch, Option<f64>), DataError> {
    let fixed = as_dict(fixed, "fixed_stats").map_err(|r| src.fmt(loc, r))?;
    let adj = get(fixed, "module_adjacency")
        .ok_or_else(|| src.fmt(loc, "fixed_stats has no \"module_adjacency\""))?;
    let (n, bits) =
        square_matrix(adj).map_err(|r| src.fmt(format!("{loc}, key \"module_adjacency\""), r))?;
    let ops_v = get(fixed, "module_operations")
        .ok_or_else(|| src.fmt(loc, "fixed_stats has no \"module_operations\""))?;
    let ops: Vec<&str> = match ops_v {
        Value::List(items) | Value::Tuple(items) => items
            .iter()
            .map(|o| {
                as_str(o).ok_or_else(|| {
                    src.fmt(
                        format!("{loc}, key \"module_operations\""),
                        format!("expected op names, found a {}", type_name(o)),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(src.fmt(
                format!("{loc}, key \"module_operations\""),
                format!("expected a list of op names, found a {}", type_name(other)),
            ))
        }
    };
    if ops.len() != n {
        return Err(src.fmt(
            loc,
            format!("{} ops for a {n}x{n} adjacency matrix", ops.len()),
        ));
    }
    let arch = src.arch(SpaceKind::Nb101, loc, &nb101_text(&bits, &ops))?;
    let key_text = match k {
        HashableValue::String(s) => Some(s.clone()),
        HashableValue::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    };
    if let Some(h) = key_text.as_deref().and_then(|t| t.parse::<ArchHash>().ok()) {
        let mine = arch.arch_hash();
        if h != mine {
            return Err(src.fmt(
                loc,
                format!("the cell hashes to {mine}, not to its key (the NB101 hash)"),
            ));
        }
    }
    let params = match get(fixed, "trainable_parameters") {
        Some(Value::None) | None => None,
        Some(p) => Some(
            num(p, Prefer::Int)
                .map_err(|r| src.fmt(format!("{loc}, key \"trainable_parameters\""), r))?,
        ),
    };
    Ok((arch, params))
}

/// One NB101 architecture's `computed_stats`: the metrics of every repeat, by epoch budget.
fn nb101_computed_stats(
    src: &Src<'_>,
    loc: &str,
    computed: &Value,
) -> Result<BTreeMap<u32, Repeats>, DataError> {
    let computed = as_dict(computed, "computed_stats").map_err(|r| src.fmt(loc, r))?;
    let mut by_epochs: BTreeMap<u32, Repeats> = BTreeMap::new();
    for (ek, runs) in computed {
        let eloc = format!("{loc}, epochs {}", key_repr(ek));
        let epochs = int(&ek.clone().into_value())
            .ok()
            .and_then(|e| u32::try_from(e).ok())
            .ok_or_else(|| src.fmt(&eloc, "computed_stats key is not an epoch count"))?;
        let runs = match runs {
            Value::List(r) | Value::Tuple(r) => r,
            other => {
                return Err(src.fmt(
                    &eloc,
                    format!("expected a list of repeats, found a {}", type_name(other)),
                ))
            }
        };
        let entry = by_epochs.entry(epochs).or_default();
        for (ri, run) in runs.iter().enumerate() {
            let rloc = format!("{eloc}, repeat {ri}");
            let run = as_dict(run, "a dict of metrics").map_err(|r| src.fmt(&rloc, r))?;
            let field = |name: &str| -> Result<Option<f64>, DataError> {
                match get(run, name) {
                    Some(Value::None) | None => Ok(None),
                    Some(v) => num(v, Prefer::Float)
                        .map(Some)
                        .map_err(|r| src.fmt(format!("{rloc}, key {name:?}"), r)),
                }
            };
            let val = field("final_validation_accuracy")?
                .ok_or_else(|| src.fmt(&rloc, "missing key \"final_validation_accuracy\""))?;
            entry.val.push(val * 100.0);
            if let Some(t) = field("final_test_accuracy")? {
                entry.test.push(t * 100.0);
            }
            if let Some(t) = field("final_training_time")? {
                entry.time.push(t);
            }
        }
    }
    Ok(by_epochs)
}

/// Loads NASLib's NB301 training data `nb301_full_training.pickle` (DARTS space, CIFAR-10).
pub fn load_nb301_pickle(path: &Path) -> Result<Benchmark, DataError> {
    let src = Src { path };
    let root = read_pickle_value(path)?;
    let top = src.top_dict(&root)?;
    let mut records = Vec::with_capacity(top.len());
    for (k, v) in top {
        let loc = format!("architecture {}", key_repr(k));
        let text = match k {
            HashableValue::String(s) => s.clone(),
            other => int_tuple_repr(&other.clone().into_value())
                .map_err(|r| src.fmt(&loc, format!("key: {r}")))?,
        };
        let arch = src.arch(SpaceKind::Darts, &loc, &text)?;
        let entry = as_dict(v, "a dict of metrics").map_err(|r| src.fmt(&loc, r))?;
        let curve = |name: &str, required: bool| -> Result<Vec<f64>, DataError> {
            match get(entry, name) {
                Some(v) => num_vec(v, Prefer::Float)
                    .map_err(|r| src.fmt(format!("{loc}, key {name:?}"), r)),
                None if required => Err(src.fmt(
                    &loc,
                    format!("missing key {name:?}; keys are {}", key_list(entry)),
                )),
                None => Ok(Vec::new()),
            }
        };
        let val_acc = curve("val_accuracies", true)?;
        let train_loss = curve("train_losses", false)?;
        let Some(final_acc) = last_finite(&val_acc) else {
            continue;
        };
        let runtime = match get(entry, "runtime") {
            Some(Value::None) | None => None,
            Some(r) => Some(
                num(r, Prefer::Float).map_err(|e| src.fmt(format!("{loc}, key \"runtime\""), e))?,
            ),
        };
        let mut rec = ArchRecord::new(arch, vec![final_acc]);
        rec.train_time_s = runtime.and_then(finite_positive);
        rec.curves = Some(Curves {
            val_acc,
            train_loss,
            ..Curves::default()
        });
        records.push(rec);
    }
    finish(
        &src,
        SpaceKind::Darts,
        Dataset::Cifar10,
        NB301_EPOCHS,
        Coverage::Sample,
        records,
    )
}

/// Loads NASLib's NAS-Bench-NLP data `nb_nlp.pickle` (Penn Treebank).
pub fn load_nlp_pickle(path: &Path) -> Result<Benchmark, DataError> {
    let src = Src { path };
    let root = read_pickle_value(path)?;
    let top = src.top_dict(&root)?;
    let mut records = Vec::with_capacity(top.len());
    for (k, v) in top {
        let loc = format!("architecture {}", key_repr(k));
        let text = match k {
            HashableValue::String(s) => s.clone(),
            other => int_tuple_repr(&other.clone().into_value())
                .map_err(|r| src.fmt(&loc, format!("key: {r}")))?,
        };
        let arch = src.arch(SpaceKind::Nlp, &loc, &text)?;
        let entry = as_dict(v, "a dict of metrics").map_err(|r| src.fmt(&loc, r))?;
        let curve = |name: &str, required: bool| -> Result<Vec<f64>, DataError> {
            match get(entry, name) {
                Some(v) => num_vec(v, Prefer::Float)
                    .map_err(|r| src.fmt(format!("{loc}, key {name:?}"), r)),
                None if required => Err(src.fmt(
                    &loc,
                    format!("missing key {name:?}; keys are {}", key_list(entry)),
                )),
                None => Ok(Vec::new()),
            }
        };
        let val_loss = curve("val_losses", true)?;
        let train_loss = curve("train_losses", false)?;
        let test_loss = curve("test_losses", false)?;
        let wall = curve("wall_times", false)?;
        let Some(final_loss) = last_finite(&val_loss) else {
            continue;
        };
        let mut rec = ArchRecord::new(arch, vec![100.0 - final_loss]);
        rec.test_acc = last_finite(&test_loss).map(|l| 100.0 - l);
        rec.train_time_s = if wall.iter().all(|t| t.is_finite()) {
            finite_positive(wall.iter().sum())
        } else {
            None
        };
        rec.curves = Some(Curves {
            val_acc: val_loss.iter().map(|l| 100.0 - l).collect(),
            val_loss,
            train_loss,
            epoch_times_s: wall,
        });
        records.push(rec);
    }
    finish(
        &src,
        SpaceKind::Nlp,
        Dataset::Ptb,
        NLP_EPOCHS,
        Coverage::Sample,
        records,
    )
}

// ---------------------------------------------------------------------------------------------
// Zero-cost JSON
// ---------------------------------------------------------------------------------------------

/// One architecture of a zero-cost benchmark file.
#[derive(Clone, Debug, PartialEq)]
pub struct ZcRecord {
    /// NASLib's key, as written in the file (e.g. `"(4, 3, 3, 3, 2, 3)"`).
    pub key: String,
    /// The architecture.
    pub arch: AnyArch,
    /// The file's `id` field, if any.
    pub id: Option<String>,
    /// Proxy name -> score.
    pub scores: BTreeMap<String, f64>,
    /// Proxy name -> seconds it took, where recorded.
    pub times: BTreeMap<String, f64>,
    /// Validation accuracy in percent (NASLib's `val_accuracy`).
    pub val_accuracy: f64,
}

/// One dataset's records of a zero-cost benchmark file.
#[derive(Clone, Debug)]
struct ZcDataset {
    name: String,
    records: Vec<ZcRecord>,
    index: HashMap<ArchHash, usize>,
}

/// A zero-cost benchmark file (`zc_nasbench{101,201,301}.json`): per dataset, per architecture
/// the proxy scores and the validation accuracy.
#[derive(Clone, Debug)]
pub struct ZcTable {
    space: SpaceKind,
    source: String,
    datasets: Vec<ZcDataset>,
}

impl ZcTable {
    /// The search space of the architectures.
    pub fn space(&self) -> SpaceKind {
        self.space
    }

    /// The file it was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The dataset names as written in the file, in file order.
    pub fn dataset_names(&self) -> Vec<&str> {
        self.datasets.iter().map(|d| d.name.as_str()).collect()
    }

    fn find(&self, dataset: Dataset) -> Option<&ZcDataset> {
        self.datasets
            .iter()
            .find(|d| d.name == dataset.name())
            .or_else(|| {
                self.datasets
                    .iter()
                    .find(|d| d.name.parse::<Dataset>().ok() == Some(dataset))
            })
    }

    /// The records of `dataset`, in file order.
    pub fn records(&self, dataset: Dataset) -> Option<&[ZcRecord]> {
        self.find(dataset).map(|d| d.records.as_slice())
    }

    /// The records of a dataset named as in the file (also for tasks that are not a
    /// [`Dataset`], e.g. TransNAS-Bench tasks).
    pub fn records_by_name(&self, name: &str) -> Option<&[ZcRecord]> {
        self.datasets
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.records.as_slice())
    }

    /// The record of an architecture.
    pub fn lookup(&self, dataset: Dataset, arch: &AnyArch) -> Option<&ZcRecord> {
        let d = self.find(dataset)?;
        d.index.get(&arch.arch_hash()).map(|&i| &d.records[i])
    }

    /// The proxy names present for `dataset` (sorted, each at least once).
    pub fn proxies(&self, dataset: Dataset) -> Vec<String> {
        let mut names: Vec<String> = self
            .records(dataset)
            .unwrap_or_default()
            .iter()
            .flat_map(|r| r.scores.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The validation accuracies of `dataset` as a benchmark ([`Coverage::Sample`]).
    pub fn to_benchmark(&self, dataset: Dataset) -> Result<Benchmark, DataError> {
        let d = self
            .find(dataset)
            .ok_or_else(|| DataError::NoSuchBenchmark {
                space: self.space.name().into(),
                dataset: dataset.name().into(),
            })?;
        let epochs = match self.space {
            SpaceKind::Nb101 => NB101_EPOCHS,
            SpaceKind::Nb201 => NB201_EPOCHS,
            SpaceKind::Darts => NB301_EPOCHS,
            SpaceKind::Nlp => NLP_EPOCHS,
        };
        let records: Vec<ArchRecord> = d
            .records
            .iter()
            .filter(|r| r.val_accuracy.is_finite())
            .map(|r| ArchRecord::new(r.arch.clone(), vec![r.val_accuracy]))
            .collect();
        Benchmark::new(
            self.space,
            dataset,
            epochs,
            Coverage::Sample,
            format!("{}#{}", self.source, d.name),
            records,
        )
    }
}

/// A JSON object read with its keys in file order.
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::with_capacity(m.size_hint().unwrap_or(0));
                while let Some((k, v)) = m.next_entry::<String, serde_json::Value>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The zero-cost file as `{dataset: {arch: record}}`, both levels in file order.
struct OrderedTop(Vec<(String, Ordered)>);

impl<'de> serde::Deserialize<'de> for OrderedTop {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedTop;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of datasets")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<OrderedTop, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Ordered>()? {
                    out.push((k, v));
                }
                Ok(OrderedTop(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Rewrites Python's non-standard JSON floats (`NaN`, `Infinity`, `-Infinity`) outside
/// strings into strings that [`json_num`] reads back.
fn sanitize_python_json(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return std::borrow::Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 64);
    let mut i = 0;
    let mut in_str = false;
    let mut start = 0;
    while i < b.len() {
        let c = b[i];
        if in_str {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        let rep: Option<(&str, usize)> = if c == b'"' {
            in_str = true;
            None
        } else if b[i..].starts_with(b"NaN") {
            Some(("\"NaN\"", 3))
        } else if b[i..].starts_with(b"-Infinity") {
            Some(("\"-inf\"", 9))
        } else if b[i..].starts_with(b"Infinity") {
            Some(("\"inf\"", 8))
        } else {
            None
        };
        match rep {
            Some((r, len)) => {
                out.push_str(&text[start..i]);
                out.push_str(r);
                i += len;
                start = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[start..]);
    std::borrow::Cow::Owned(out)
}

/// A JSON number, or one of the strings [`sanitize_python_json`] writes.
fn json_num(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => match s.as_str() {
            "NaN" | "nan" => Some(f64::NAN),
            "inf" | "Infinity" => Some(f64::INFINITY),
            "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
            _ => s.trim().parse().ok(),
        },
        serde_json::Value::Null => Some(f64::NAN),
        _ => None,
    }
}

/// Parses a Python-printed flat tuple of integers, e.g. `(4, 3, 3, 3, 2, 3)`.
fn parse_flat_int_tuple(s: &str) -> Option<Vec<i64>> {
    let t = s.trim();
    let inner = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .or_else(|| t.strip_prefix('[').and_then(|x| x.strip_suffix(']')))?;
    if inner.contains(['(', '[']) {
        return None;
    }
    inner
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse().ok())
        .collect()
}

/// Guesses the space of a zero-cost file from its name, then from its keys.
fn guess_zc_space(path: &Path, keys: &[&str]) -> Option<SpaceKind> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("nasbench101") || name.contains("nb101") {
        return Some(SpaceKind::Nb101);
    }
    if name.contains("nasbench201") || name.contains("nb201") {
        return Some(SpaceKind::Nb201);
    }
    if name.contains("nasbench301") || name.contains("nb301") || name.contains("darts") {
        return Some(SpaceKind::Darts);
    }
    let first = keys.first()?.trim();
    if first.starts_with("((") || first.starts_with("[[") {
        return Some(SpaceKind::Darts);
    }
    let lens: Vec<usize> = keys
        .iter()
        .filter_map(|k| parse_flat_int_tuple(k).map(|t| t.len()))
        .collect();
    if lens.len() != keys.len() {
        return None;
    }
    if lens.iter().all(|&l| l == 6) {
        Some(SpaceKind::Nb201)
    } else if lens.iter().all(|&l| (2..=7).any(|n| n * n + n == l)) {
        Some(SpaceKind::Nb101)
    } else {
        None
    }
}

/// Loads a zero-cost benchmark file, taking the space from its name or keys.
pub fn load_zc_json(path: &Path) -> Result<ZcTable, DataError> {
    load_zc_json_impl(path, None)
}

/// Loads a zero-cost benchmark file whose architectures belong to `space`.
pub fn load_zc_json_as(path: &Path, space: SpaceKind) -> Result<ZcTable, DataError> {
    load_zc_json_impl(path, Some(space))
}

fn load_zc_json_impl(path: &Path, space: Option<SpaceKind>) -> Result<ZcTable, DataError> {
    let src = Src { path };
    let mut text = String::new();
    File::open(path)
        .map_err(|e| DataError::io(path, e))?
        .read_to_string(&mut text)
        .map_err(|e| DataError::io(path, e))?;
    let clean = sanitize_python_json(&text);
    let mut de = serde_json::Deserializer::from_str(&clean);
    let top: OrderedTop = serde::Deserialize::deserialize(&mut de).map_err(|e| {
        src.fmt(
            format!("line {}, column {}", e.line(), e.column()),
            e.to_string(),
        )
    })?;
    de.end().map_err(|e| {
        src.fmt(
            format!("line {}, column {}", e.line(), e.column()),
            e.to_string(),
        )
    })?;
    if top.0.is_empty() {
        return Err(src.fmt("top level", "no datasets"));
    }
    let space = match space {
        Some(s) => s,
        None => {
            let keys: Vec<&str> = top
                .0
                .iter()
                .flat_map(|(_, archs)| archs.0.iter().map(|(k, _)| k.as_str()))
                .take(1000)
                .collect();
            guess_zc_space(path, &keys).ok_or_else(|| {
                src.fmt(
                    "top level",
                    "cannot tell the search space from the file name or the keys; use load_zc_json_as",
                )
            })?
        }
    };
    let mut datasets = Vec::with_capacity(top.0.len());
    for (ds, archs) in top.0 {
        let mut records = Vec::with_capacity(archs.0.len());
        let mut index = HashMap::with_capacity(archs.0.len());
        for (key, rec) in archs.0 {
            let loc = format!("dataset {ds:?}, architecture {key:?}");
            let text = match space {
                SpaceKind::Nb201 => match parse_flat_int_tuple(&key) {
                    Some(t) => nb201_tuple_to_str(&t).map_err(|r| src.fmt(&loc, r))?,
                    None => key.clone(),
                },
                SpaceKind::Nb101 => match parse_flat_int_tuple(&key) {
                    Some(t) => nb101_tuple_to_text(&t).map_err(|r| src.fmt(&loc, r))?,
                    None => key.clone(),
                },
                SpaceKind::Darts | SpaceKind::Nlp => key.clone(),
            };
            let arch = src.arch(space, &loc, &text)?;
            let obj = match rec {
                serde_json::Value::Object(o) => o,
                other => return Err(src.fmt(&loc, format!("expected an object, found {other}"))),
            };
            let mut scores = BTreeMap::new();
            let mut times = BTreeMap::new();
            let mut val_accuracy = None;
            let mut id = None;
            for (name, v) in &obj {
                match name.as_str() {
                    "val_accuracy" => {
                        val_accuracy = Some(json_num(v).ok_or_else(|| {
                            src.fmt(&loc, format!("val_accuracy is {v}, not a number"))
                        })?)
                    }
                    "id" | "idx" => {
                        id = Some(match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                    }
                    proxy => {
                        let (score, time) = match v {
                            serde_json::Value::Object(p) => (
                                p.get("score").and_then(json_num),
                                p.get("time").and_then(json_num),
                            ),
                            other => (json_num(other), None),
                        };
                        let score = score.ok_or_else(|| {
                            src.fmt(
                                &loc,
                                format!("proxy {proxy:?} is {v}, expected {{\"score\": .., \"time\": ..}}"),
                            )
                        })?;
                        scores.insert(proxy.to_string(), score);
                        if let Some(t) = time {
                            times.insert(proxy.to_string(), t);
                        }
                    }
                }
            }
            let val_accuracy =
                val_accuracy.ok_or_else(|| src.fmt(&loc, "missing key \"val_accuracy\""))?;
            index.entry(arch.arch_hash()).or_insert(records.len());
            records.push(ZcRecord {
                key,
                arch,
                id,
                scores,
                times,
                val_accuracy,
            });
        }
        datasets.push(ZcDataset {
            name: ds,
            records,
            index,
        });
    }
    Ok(ZcTable {
        space,
        source: path.display().to_string(),
        datasets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nb201_tuple_mapping_matches_spec_example() {
        assert_eq!(
            nb201_tuple_to_str(&[4, 3, 3, 3, 2, 3]).unwrap(),
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|"
        );
        assert!(nb201_tuple_to_str(&[5, 0, 0, 0, 0, 0]).is_err());
        assert!(nb201_tuple_to_str(&[0, 0, 0]).is_err());
    }

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f64(0x3c00), 1.0);
        assert_eq!(f16_to_f64(0xc000), -2.0);
        assert_eq!(f16_to_f64(0x3555), 0.333251953125);
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn fortran_order() {
        // [[1, 2, 3], [4, 5, 6]] stored column-major.
        let f = vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
        assert_eq!(fortran_to_c(f, &[2, 3]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn python_json_sanitizer() {
        let s = r#"{"a": NaN, "b": -Infinity, "c": "NaN Infinity", "d": Infinity}"#;
        let v: serde_json::Value = serde_json::from_str(&sanitize_python_json(s)).unwrap();
        assert!(json_num(&v["a"]).unwrap().is_nan());
        assert_eq!(json_num(&v["b"]), Some(f64::NEG_INFINITY));
        assert_eq!(v["c"], "NaN Infinity");
        assert_eq!(json_num(&v["d"]), Some(f64::INFINITY));
    }
}
