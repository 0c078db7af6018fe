//! NAS-Bench-101: cells of up to 7 vertices, at most 9 edges and 3 operations.
//!
//! # Representation
//!
//! An [`Nb101Arch`] is a *raw* model spec exactly as given: `n <= 7` vertices, an upper-triangular
//! 0/1 adjacency matrix (stored as one bit mask per row, `bit j of row i` = edge `i -> j`) and one
//! [`Nb101Op`] per vertex. Nothing is pruned on construction, because NASLib's encodings read the
//! raw matrix; [`Nb101Arch::pruned`] gives the pruned spec the nasbench API's `ModelSpec` builds
//! (every vertex not on an input->output path removed). Constructors reject what `ModelSpec`'s
//! constructor rejects (non-square matrix, op count not matching, entries on or below the
//! diagonal) plus what the fixed-size storage cannot hold (more than 7 vertices, entries other than
//! 0/1). Everything else is judged by [`Architecture::validate`], which follows
//! `nasbench.api.NASBench._check_spec` on the pruned spec: the input must reach the output, at
//! most 7 vertices and 9 edges after pruning, first op `input`, last op `output`, the remaining
//! (pruned) interior ops in {`conv3x3-bn-relu`, `conv1x1-bn-relu`, `maxpool3x3`}. Ops of vertices
//! that pruning removes are not checked (as in nasbench).
//!
//! # Text form
//!
//! `matrix;ops`: the row-major `n*n` string of `0`/`1`, a `;`, then the comma-separated official
//! op names (`input`, `output`, `conv3x3-bn-relu`, `conv1x1-bn-relu`, `maxpool3x3`). These are the
//! `matrix` and `ops` columns of the NB101 data files joined by `;`, e.g.
//! `0100110001000000010010000010000001000000010000000;input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output`.
//! [`Nb101Arch::from_matrix_ops`] parses the two columns separately.
//!
//! # Hashing
//!
//! [`Architecture::arch_hash`] is NAS-Bench-101's official isomorphism-invariant hash
//! (`graph_util.hash_module` on the pruned spec, labels `[-1, op index..., -2]` with
//! conv3x3 = 0, conv1x1 = 1, maxpool = 2), bit for bit: its `Display` is the 32-digit
//! `nb101_hash` / tfrecord key. [`Nb101Arch::naslib_hash`] is NASLib's own (not
//! isomorphism-invariant) tuple used for de-duplication in its evaluator: the flattened raw 7x7
//! matrix followed by op indices over `[input, output, maxpool3x3, conv1x1, conv3x3]`.
//!
//! # Cells with fewer than 7 vertices
//!
//! The benchmark stores pruned cells (`n < 7`). NASLib (`NasBench101SearchSpace.convert_to_cell`)
//! pads them back to 7x7 before it encodes or mutates them: the last vertex (output) moves to
//! index 6, the freed vertices `n-1..=5` become isolated `conv3x3-bn-relu` vertices.
//! [`Nb101Arch::padded`] does the same, and every encoding, [`Nb101Arch::naslib_hash`],
//! [`Sampling::mutate`](crate::Sampling::mutate) and [`Sampling::neighbours`](crate::Sampling::neighbours) work on the padded cell (padding never
//! changes the official hash). Mutants and neighbours therefore always have 7 vertices.
//!
//! # Sampling, mutation, neighbourhood
//!
//! * [`Sampling::sample`](crate::Sampling::sample): a random 7x7 0/1 matrix kept on its strict upper triangle, uniform
//!   random interior ops, redrawn until valid (uniform over valid *raw* specs, as NASLib and the
//!   nasbench examples do).
//! * [`Sampling::mutate`](crate::Sampling::mutate), `Quirks::Faithful` (NASLib `predictors` branch, the paper's code):
//!   the loop mutates its working copy **in place** and re-checks validity after every step;
//!   each step either (probability 1/2) flips **every** upper-triangular entry of the 7x7 matrix
//!   or changes **every** interior op (vertices 1..=5) to a uniformly chosen different op. Because
//!   changes accumulate over the retries, the result is the parent's matrix or its complement,
//!   and an even number of flips brings the parent's matrix back: the mutant may be the parent
//!   itself (e.g. flip, flip) or an isomorphic copy (e.g. all ops changed on a cell whose pruned
//!   graph has no interior vertex). This is NASLib's behaviour and is kept.
//! * `Quirks::Fixed` (NASLib `Develop`, the nasbench rule): from a fresh copy of the parent flip
//!   each upper-triangular entry with probability 1/7 and change each interior op with
//!   probability 1/3; redraw until valid. This too can return the parent unchanged (nothing
//!   flipped), as nasbench's own mutation can.
//! * Mutating an *invalid* parent (NASLib never does) returns a fresh [`Sampling::sample`](crate::Sampling::sample).
//! * [`Sampling::neighbours`](crate::Sampling::neighbours) (NASLib `get_nbhd`): for every interior vertex on an input->output
//!   path, each of the 2 other ops; then for every upper-triangular pair `(src, dst)` in row-major
//!   order, flipping it when the edge is on a path (removal) or lies on a path once added; only
//!   valid results are kept. NASLib shuffles the list; here it comes in that deterministic order
//!   (callers shuffle).
//!
//! # Encodings (NASLib `encodings_nb101.py`, on the padded 7-vertex cell)
//!
//! * `adjacency_one_hot` (36): the 21 upper-triangular entries row-major (`i < j`), then per
//!   interior vertex 1..=5 a 3-bit code: conv1x1 `001`, conv3x3 `010`, maxpool `100`.
//! * `path` (364 = 3^0 + ... + 3^5): one bit per input->output path of the raw matrix; a path
//!   through interior ops `o_0..o_{L-1}` (conv3x3 = 0, conv1x1 = 1, maxpool = 2) has index
//!   `sum_i 3^i (o_i + 1)`, the direct input->output edge index 0. Paths have at most 5 interior
//!   vertices, so NASLib's loop never truncates anything.
//! * `gcn` (7 x 5): the raw 7x7 adjacency (row = source), one-hot ops over
//!   `[output, input, conv3x3, conv1x1, maxpool]`, `num_vertices` 7 (NASLib's constant).
//! * `bonas` (8 x 6): NASLib's `add_global_node`: a column of ones and a zero row appended,
//!   diagonal set to 1, then **transposed** (so here row = target, column = source, and row 7,
//!   the global node, is all ones); one-hot ops over `[input, conv3x3, conv1x1, maxpool, output]`
//!   plus a sixth column flagging the global node. `num_vertices` is 8 (all nodes are real).
//! * `seminas` (27 tokens, vocabulary 7): for `col = 1..=6`: `A[row][col] + 1` for
//!   `row < col`, then `op[col] + 2` with ops indexed over `[input, output, conv3x3, conv1x1,
//!   maxpool]` (SemiNAS `convert_arch_to_seq` with `max_n = 7`).
//!
//! NASLib crashes (`KeyError`) on `adjacency_one_hot` / `path` when an interior vertex carries
//! `input` or `output`; here those return an error instead.
//!
//! # Quirks
//!
//! Only mutation differs between [`Quirks::Faithful`] and [`Quirks::Fixed`] (see above); hashing,
//! sampling, neighbourhoods and encodings have no NB101 quirk.

mod encode;
mod hash;
mod md5x;
mod search;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ArchHash, Architecture, Encoding, EncodingKind, Quirks, SpaceError, SpaceKind};

pub use hash::NaslibTuple;

/// Most vertices a cell may have (input and output included).
pub const MAX_VERTICES: usize = 7;
/// Most edges a (pruned) cell may have.
pub const MAX_EDGES: usize = 9;

const SPACE: SpaceKind = SpaceKind::Nb101;

/// An operation at a vertex of an NB101 cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Nb101Op {
    /// The cell input (`input`), always vertex 0.
    #[serde(rename = "input")]
    Input,
    /// The cell output (`output`), always the last vertex.
    #[serde(rename = "output")]
    Output,
    /// 3x3 convolution + batch norm + ReLU (`conv3x3-bn-relu`).
    #[serde(rename = "conv3x3-bn-relu")]
    Conv3x3,
    /// 1x1 convolution + batch norm + ReLU (`conv1x1-bn-relu`).
    #[serde(rename = "conv1x1-bn-relu")]
    Conv1x1,
    /// 3x3 max pooling (`maxpool3x3`).
    #[serde(rename = "maxpool3x3")]
    MaxPool3x3,
}

impl Nb101Op {
    /// Every op, input and output included.
    pub const ALL: [Nb101Op; 5] = [
        Nb101Op::Input,
        Nb101Op::Output,
        Nb101Op::Conv3x3,
        Nb101Op::Conv1x1,
        Nb101Op::MaxPool3x3,
    ];

    /// The interior ops in nasbench's `available_ops` order (their index is the hash label).
    pub const INTERIOR: [Nb101Op; 3] = [Nb101Op::Conv3x3, Nb101Op::Conv1x1, Nb101Op::MaxPool3x3];

    /// The official name (`input`, `output`, `conv3x3-bn-relu`, `conv1x1-bn-relu`, `maxpool3x3`).
    pub fn name(self) -> &'static str {
        match self {
            Nb101Op::Input => "input",
            Nb101Op::Output => "output",
            Nb101Op::Conv3x3 => "conv3x3-bn-relu",
            Nb101Op::Conv1x1 => "conv1x1-bn-relu",
            Nb101Op::MaxPool3x3 => "maxpool3x3",
        }
    }

    /// The op with this official name (exact match).
    pub fn from_name(name: &str) -> Option<Nb101Op> {
        Nb101Op::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether this is one of the three ops allowed at interior vertices.
    pub fn is_interior(self) -> bool {
        matches!(
            self,
            Nb101Op::Conv3x3 | Nb101Op::Conv1x1 | Nb101Op::MaxPool3x3
        )
    }

    /// Index in nasbench's `available_ops` (conv3x3 0, conv1x1 1, maxpool 2), `None` for
    /// input/output.
    pub fn interior_index(self) -> Option<usize> {
        match self {
            Nb101Op::Conv3x3 => Some(0),
            Nb101Op::Conv1x1 => Some(1),
            Nb101Op::MaxPool3x3 => Some(2),
            Nb101Op::Input | Nb101Op::Output => None,
        }
    }
}

impl fmt::Display for Nb101Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Nb101Op {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nb101Op::from_name(s.trim()).ok_or_else(|| {
            SpaceError::parse(
                SPACE,
                s,
                "unknown op (expected input, output, conv3x3-bn-relu, conv1x1-bn-relu or maxpool3x3)",
            )
        })
    }
}

/// A raw NAS-Bench-101 model spec: up to 7 vertices, upper-triangular adjacency, one op per vertex.
///
/// Entries of `adj` and `ops` at indices `>= n` are always zero / [`Nb101Op::Input`], so the
/// derived equality and hashing compare exactly the raw spec.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Nb101Arch {
    n: u8,
    /// Row bit masks: bit `j` of `adj[i]` is the edge `i -> j` (only `j > i` can be set).
    adj: [u8; MAX_VERTICES],
    ops: [Nb101Op; MAX_VERTICES],
}

/// Why a structurally sound spec is outside the NB101 space (nasbench's `_check_spec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Violation {
    Disconnected,
    TooManyEdges(u32),
    FirstNotInput(Nb101Op),
    LastNotOutput(Nb101Op),
    BadInterior(usize, Nb101Op),
}

impl Violation {
    fn message(self) -> String {
        match self {
            Violation::Disconnected => {
                "invalid spec: the input is not connected to the output".to_string()
            }
            Violation::TooManyEdges(e) => {
                format!("too many edges after pruning: {e} (max edges = {MAX_EDGES})")
            }
            Violation::FirstNotInput(op) => {
                format!("first operation should be 'input', got '{op}'")
            }
            Violation::LastNotOutput(op) => {
                format!("last operation should be 'output', got '{op}'")
            }
            Violation::BadInterior(v, op) => format!(
                "unsupported op '{op}' at vertex {v} (available ops = conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3)"
            ),
        }
    }
}

/// Bit mask of the columns strictly above the diagonal in row `i` of a `n`-vertex matrix.
#[inline]
pub(crate) fn upper_mask(i: usize, n: usize) -> u8 {
    let all = ((1u16 << n) - 1) as u8;
    all & !(((1u16 << (i + 1)) - 1) as u8)
}

/// Why a matrix and op list are no raw NB101 spec (the reason of the [`SpaceError::Invalid`]
/// that [`Nb101Arch::new`] returns).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum SpecError {
    /// No vertices.
    #[error("the adjacency matrix is empty")]
    Empty,
    /// More vertices than NB101 allows.
    #[error("{0} vertices, at most {MAX_VERTICES} are supported")]
    TooManyVertices(usize),
    /// An op list of another length than the matrix.
    #[error("{ops} ops for a {n}x{n} matrix (length of ops must match matrix dimensions)")]
    OpCount {
        /// Ops given.
        ops: usize,
        /// Rows of the matrix.
        n: usize,
    },
    /// A row of another length than the number of rows.
    #[error("row {row} has {len} entries but the matrix has {n} rows (matrix must be square)")]
    NotSquare {
        /// The row.
        row: usize,
        /// Its length.
        len: usize,
        /// Rows of the matrix.
        n: usize,
    },
    /// An edge on or below the diagonal.
    #[error("entry ({i}, {j}) is 1 on or below the diagonal (matrix must be upper triangular)")]
    BelowDiagonal {
        /// Row.
        i: usize,
        /// Column.
        j: usize,
    },
    /// An entry other than 0 or 1.
    #[error("entry ({i}, {j}) is {value}, expected 0 or 1")]
    NotBinary {
        /// Row.
        i: usize,
        /// Column.
        j: usize,
        /// The entry.
        value: u8,
    },
}

impl Nb101Arch {
    /// Builds a raw spec from an adjacency matrix (rows of 0/1) and one op per vertex.
    ///
    /// Rejects, as nasbench's `ModelSpec` constructor does, a matrix that is not square, an op
    /// list of the wrong length and entries on or below the diagonal; also more than 7
    /// vertices, an empty matrix and entries other than 0/1. Validity in the NB101 space is
    /// checked separately by [`Architecture::validate`].
    pub fn new<R: AsRef<[u8]>>(matrix: &[R], ops: &[Nb101Op]) -> Result<Self, SpaceError> {
        Self::build(matrix, ops).map_err(|reason| SpaceError::invalid(SPACE, reason.to_string()))
    }

    fn build<R: AsRef<[u8]>>(matrix: &[R], ops: &[Nb101Op]) -> Result<Self, SpecError> {
        let n = matrix.len();
        if n == 0 {
            return Err(SpecError::Empty);
        }
        if n > MAX_VERTICES {
            return Err(SpecError::TooManyVertices(n));
        }
        if ops.len() != n {
            return Err(SpecError::OpCount { ops: ops.len(), n });
        }
        let mut adj = [0u8; MAX_VERTICES];
        for (i, row) in matrix.iter().enumerate() {
            let row = row.as_ref();
            if row.len() != n {
                return Err(SpecError::NotSquare {
                    row: i,
                    len: row.len(),
                    n,
                });
            }
            for (j, &v) in row.iter().enumerate() {
                match v {
                    0 => {}
                    1 if j > i => adj[i] |= 1 << j,
                    1 => return Err(SpecError::BelowDiagonal { i, j }),
                    _ => return Err(SpecError::NotBinary { i, j, value: v }),
                }
            }
        }
        let mut o = [Nb101Op::Input; MAX_VERTICES];
        o[..n].copy_from_slice(ops);
        Ok(Nb101Arch {
            n: n as u8,
            adj,
            ops: o,
        })
    }

    /// Builds a spec from row bit masks (bit `j` of `rows[i]` = edge `i -> j`); bits on or
    /// below the diagonal or beyond `n` are rejected like in [`Nb101Arch::new`].
    pub fn from_bits(
        n: usize,
        rows: [u8; MAX_VERTICES],
        ops: &[Nb101Op],
    ) -> Result<Self, SpaceError> {
        if n == 0 || n > MAX_VERTICES {
            return Err(SpaceError::invalid(
                SPACE,
                format!("{n} vertices, expected 1 to {MAX_VERTICES}"),
            ));
        }
        if ops.len() != n {
            return Err(SpaceError::invalid(
                SPACE,
                format!("{} ops for {n} vertices", ops.len()),
            ));
        }
        for (i, &r) in rows.iter().enumerate() {
            let allowed = if i < n { upper_mask(i, n) } else { 0 };
            if r & !allowed != 0 {
                return Err(SpaceError::invalid(
                    SPACE,
                    format!(
                        "row {i} has bits outside the strict upper triangle of a {n}x{n} matrix"
                    ),
                ));
            }
        }
        let mut o = [Nb101Op::Input; MAX_VERTICES];
        o[..n].copy_from_slice(ops);
        Ok(Nb101Arch {
            n: n as u8,
            adj: rows,
            ops: o,
        })
    }

    /// Internal constructor; `adj`/`ops` must already satisfy the storage invariants.
    #[inline]
    pub(crate) fn from_parts(
        n: usize,
        adj: [u8; MAX_VERTICES],
        ops: [Nb101Op; MAX_VERTICES],
    ) -> Self {
        debug_assert!((1..=MAX_VERTICES).contains(&n));
        Nb101Arch {
            n: n as u8,
            adj,
            ops,
        }
    }

    /// Parses the data files' two columns: `matrix` (row-major `n*n` string of `0`/`1`) and
    /// `ops` (comma-separated official names).
    pub fn from_matrix_ops(matrix: &str, ops: &str) -> Result<Self, SpaceError> {
        let err = |reason: String| SpaceError::parse(SPACE, &format!("{matrix};{ops}"), reason);
        let m = matrix.trim();
        let len = m.len();
        if len == 0 {
            return Err(err("the matrix string is empty".to_string()));
        }
        if let Some((pos, c)) = m.char_indices().find(|&(_, c)| c != '0' && c != '1') {
            return Err(err(format!(
                "matrix character {c:?} at position {pos} is not 0 or 1"
            )));
        }
        let n = (1..=MAX_VERTICES).find(|&k| k * k == len).ok_or_else(|| {
            err(format!(
                "matrix string has {len} digits, expected n*n for n in 1..=7 (4, 9, ..., 49)"
            ))
        })?;
        let mut op_list = [Nb101Op::Input; MAX_VERTICES];
        let mut count = 0usize;
        for name in ops.trim().split(',') {
            let name = name.trim();
            let op = Nb101Op::from_name(name).ok_or_else(|| {
                err(format!(
                    "unknown op {:?} (expected input, output, conv3x3-bn-relu, conv1x1-bn-relu or maxpool3x3)",
                    crate::error::echo(name)
                ))
            })?;
            if count < MAX_VERTICES {
                op_list[count] = op;
            }
            count += 1;
        }
        if count != n {
            return Err(err(format!(
                "{count} ops for a {n}x{n} matrix (expected {n})"
            )));
        }
        let bytes = m.as_bytes();
        let mut adj = [0u8; MAX_VERTICES];
        for i in 0..n {
            for j in 0..n {
                if bytes[i * n + j] == b'1' {
                    if j <= i {
                        return Err(err(format!(
                            "entry ({i}, {j}) is 1 on or below the diagonal (matrix must be upper triangular)"
                        )));
                    }
                    adj[i] |= 1 << j;
                }
            }
        }
        Ok(Nb101Arch::from_parts(n, adj, op_list))
    }

    /// Number of vertices of the raw spec.
    #[inline]
    pub fn n(&self) -> usize {
        self.n as usize
    }

    /// The ops, one per vertex.
    #[inline]
    pub fn ops(&self) -> &[Nb101Op] {
        &self.ops[..self.n()]
    }

    /// The op at vertex `v` (`None` past the last vertex).
    pub fn op(&self, v: usize) -> Option<Nb101Op> {
        self.ops().get(v).copied()
    }

    /// Whether the raw spec has the edge `i -> j`.
    #[inline]
    pub fn edge(&self, i: usize, j: usize) -> bool {
        i < self.n() && j < self.n() && self.adj[i] >> j & 1 == 1
    }

    /// Row bit masks of the raw adjacency (bit `j` of entry `i` = edge `i -> j`; entries past
    /// `n` are zero).
    #[inline]
    pub fn row_bits(&self) -> [u8; MAX_VERTICES] {
        self.adj
    }

    /// The raw adjacency matrix as `n` rows of 0/1.
    pub fn matrix(&self) -> Vec<Vec<u8>> {
        (0..self.n())
            .map(|i| (0..self.n()).map(|j| self.edge(i, j) as u8).collect())
            .collect()
    }

    /// Number of edges of the raw spec (pruned edges included).
    pub fn num_edges(&self) -> u32 {
        self.adj.iter().map(|r| r.count_ones()).sum()
    }

    /// Vertices reachable from the input (input included) and vertices that reach the output
    /// (output included), as bit masks.
    #[inline]
    pub(crate) fn reach(&self) -> (u8, u8) {
        let n = self.n();
        let mut fwd = 1u8;
        for i in 0..n {
            if fwd >> i & 1 == 1 {
                fwd |= self.adj[i];
            }
        }
        let mut bwd = 1u8 << (n - 1);
        for i in (0..n).rev() {
            if self.adj[i] & bwd != 0 {
                bwd |= 1 << i;
            }
        }
        (fwd, bwd)
    }

    /// Bit mask of the vertices kept by nasbench's pruning (on some input->output path); `None`
    /// when fewer than 2 remain (input not connected to output).
    #[inline]
    pub(crate) fn kept_mask(&self) -> Option<u8> {
        let (fwd, bwd) = self.reach();
        let keep = fwd & bwd;
        if keep.count_ones() < 2 {
            None
        } else {
            Some(keep)
        }
    }

    /// The spec restricted to the vertices in `keep` (renumbered in order).
    fn restrict(&self, keep: u8) -> Nb101Arch {
        let mut map = [0u8; MAX_VERTICES];
        let mut m = 0usize;
        for (v, slot) in map.iter_mut().enumerate().take(self.n()) {
            if keep >> v & 1 == 1 {
                *slot = m as u8;
                m += 1;
            }
        }
        let mut adj = [0u8; MAX_VERTICES];
        let mut ops = [Nb101Op::Input; MAX_VERTICES];
        for v in 0..self.n() {
            if keep >> v & 1 == 0 {
                continue;
            }
            let nv = map[v] as usize;
            ops[nv] = self.ops[v];
            let mut row = self.adj[v] & keep;
            while row != 0 {
                let w = row.trailing_zeros() as usize;
                row &= row - 1;
                adj[nv] |= 1 << map[w];
            }
        }
        Nb101Arch::from_parts(m, adj, ops)
    }

    /// The pruned spec, as nasbench's `ModelSpec` computes it: every vertex that is not both
    /// reachable from the input and able to reach the output is removed (with its edges and
    /// op), the rest renumbered in order. Errors when fewer than 2 vertices remain, i.e. the
    /// input is not connected to the output.
    pub fn pruned(&self) -> Result<Nb101Arch, SpaceError> {
        match self.kept_mask() {
            Some(keep) if keep.count_ones() as usize == self.n() => Ok(*self),
            Some(keep) => Ok(self.restrict(keep)),
            None => Err(SpaceError::invalid(
                SPACE,
                Violation::Disconnected.message(),
            )),
        }
    }

    /// The first rule of nasbench's `_check_spec` this spec breaks, if any.
    #[inline]
    pub(crate) fn violation(&self) -> Option<Violation> {
        let keep = match self.kept_mask() {
            Some(k) => k,
            None => return Some(Violation::Disconnected),
        };
        let mut edges = 0u32;
        for v in 0..self.n() {
            if keep >> v & 1 == 1 {
                edges += (self.adj[v] & keep).count_ones();
            }
        }
        if edges > MAX_EDGES as u32 {
            return Some(Violation::TooManyEdges(edges));
        }
        let last = self.n() - 1;
        if self.ops[0] != Nb101Op::Input {
            return Some(Violation::FirstNotInput(self.ops[0]));
        }
        if self.ops[last] != Nb101Op::Output {
            return Some(Violation::LastNotOutput(self.ops[last]));
        }
        for v in 1..last {
            if keep >> v & 1 == 1 && !self.ops[v].is_interior() {
                return Some(Violation::BadInterior(v, self.ops[v]));
            }
        }
        None
    }

    /// Whether the spec is in the NB101 space (see [`Architecture::validate`]).
    #[inline]
    pub fn is_valid(&self) -> bool {
        self.violation().is_none()
    }

    /// The cell padded to 7 vertices as NASLib's `convert_to_cell` does: vertices `0..n-1`
    /// keep their index, the last vertex moves to 6 (its column of the matrix moves to column
    /// 6), and vertices `n-1..=5` become isolated `conv3x3-bn-relu` vertices. A 7-vertex spec
    /// is returned unchanged. (NASLib writes `output` at 6; this keeps the original last op,
    /// which is `output` for every valid spec. A 1-vertex spec keeps its op at 0.)
    pub fn padded(&self) -> Nb101Arch {
        let n = self.n();
        if n == MAX_VERTICES {
            return *self;
        }
        let mut ops = [Nb101Op::Conv3x3; MAX_VERTICES];
        let mut adj = [0u8; MAX_VERTICES];
        if n == 1 {
            ops[0] = self.ops[0];
            ops[6] = Nb101Op::Output;
            return Nb101Arch::from_parts(MAX_VERTICES, adj, ops);
        }
        let last = n - 1;
        for i in 0..last {
            let row = self.adj[i];
            let low = row & ((1u8 << last) - 1);
            let out = (row >> last) & 1;
            adj[i] = low | (out << 6);
            ops[i] = self.ops[i];
        }
        ops[6] = self.ops[last];
        Nb101Arch::from_parts(MAX_VERTICES, adj, ops)
    }

    /// NASLib's own de-duplication key (`convert_spec_to_tuple`), on the padded 7-vertex cell;
    /// see [`NaslibTuple`].
    pub fn naslib_hash(&self) -> NaslibTuple {
        hash::naslib_tuple(&self.padded())
    }
}

impl fmt::Debug for Nb101Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nb101Arch({self})")
    }
}

impl fmt::Display for Nb101Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.n();
        let mut buf = [0u8; MAX_VERTICES * MAX_VERTICES];
        for i in 0..n {
            for j in 0..n {
                buf[i * n + j] = if self.adj[i] >> j & 1 == 1 {
                    b'1'
                } else {
                    b'0'
                };
            }
        }
        // The buffer only holds ASCII digits.
        f.write_str(std::str::from_utf8(&buf[..n * n]).unwrap_or_default())?;
        f.write_str(";")?;
        for (k, op) in self.ops().iter().enumerate() {
            if k > 0 {
                f.write_str(",")?;
            }
            f.write_str(op.name())?;
        }
        Ok(())
    }
}

impl FromStr for Nb101Arch {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (matrix, ops) = s.trim().split_once(';').ok_or_else(|| {
            SpaceError::parse(
                SPACE,
                s,
                "expected `matrix;ops` (a 0/1 string of n*n digits, ';', comma-separated op names)",
            )
        })?;
        Nb101Arch::from_matrix_ops(matrix, ops)
    }
}

impl From<Nb101Arch> for String {
    fn from(a: Nb101Arch) -> String {
        a.to_string()
    }
}

impl TryFrom<String> for Nb101Arch {
    type Error = SpaceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Architecture for Nb101Arch {
    const SPACE: SpaceKind = SpaceKind::Nb101;

    /// nasbench's `_check_spec` on the pruned spec (see the module docs).
    fn validate(&self) -> Result<(), SpaceError> {
        match self.violation() {
            None => Ok(()),
            Some(v) => Err(SpaceError::invalid(SPACE, v.message())),
        }
    }

    /// The official NB101 hash of the pruned spec. For a spec whose input does not reach the
    /// output (no pruned spec exists, nasbench cannot hash it) this is `hash_module` of the raw
    /// spec, so that it is still deterministic.
    fn arch_hash(&self) -> ArchHash {
        hash::official_hash(self)
    }

    /// NASLib's encodings of the padded cell; `quirks` has no effect for NB101.
    fn encode(&self, kind: EncodingKind, _quirks: Quirks) -> Result<Encoding, SpaceError> {
        encode::encode(&self.padded(), kind)
    }
}
