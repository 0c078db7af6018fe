//! NAS-Bench-201: a 4-node cell with 6 edges, each carrying one of 5 operations
//! (5^6 = 15,625 architectures), exactly as NASLib represents it.
//!
//! # Representation
//!
//! The cell has nodes 1..4 in NASLib's numbering (1 = input, 4 = output). Its edges are kept in
//! NASLib's `EDGE_LIST` order, [`EDGE_LIST`] = (1,2), (1,3), (1,4), (2,3), (2,4), (3,4), and each
//! carries an [`Nb201Op`] whose discriminant is NASLib's op index:
//! 0 `skip_connect`, 1 `none`, 2 `nor_conv_3x3`, 3 `nor_conv_1x1`, 4 `avg_pool_3x3`.
//! An [`Nb201Arch`] is therefore NASLib's 6-tuple of op indices (`arch.get_op_indices()`),
//! stored as a fixed-size array; it is `Copy` and never allocates.
//!
//! Every one of the 15,625 tuples is a valid NASLib architecture (NASLib does no isomorphism
//! reduction), so [`Architecture::validate`] always succeeds. [`Nb201Arch::is_degenerate`] reports,
//! for information, whether no input-to-output path avoids a `none` edge.
//!
//! # Text forms
//!
//! * `Display` / `FromStr`: the official NB201 arch string
//!   `|A~0|+|B~0|C~1|+|D~0|E~1|F~2|`, where group `j` lists the incoming edges of node `j`
//!   (0-based) by source node. Its edge order is 0->1, 0->2, 1->2, 0->3, 1->3, 2->3, so string
//!   position `p` holds `EDGE_LIST[STRING_TO_EDGE[p]]` with [`STRING_TO_EDGE`] = [0, 1, 3, 2, 4, 5]
//!   (A=(1,2), B=(1,3), C=(2,3), D=(1,4), E=(2,4), F=(3,4)), as NASLib's
//!   `convert_op_indices_to_str` / `convert_str_to_op_indices` do. Example: the NASLib tuple
//!   (4,3,3,3,2,3) is `|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|`.
//! * The NASLib tuple: [`Nb201Arch::from_naslib_tuple`] / [`Nb201Arch::naslib_tuple`], and its
//!   Python text `(4, 3, 3, 3, 2, 3)` through [`Nb201Arch::parse_naslib_tuple`] /
//!   [`Nb201Arch::naslib_tuple_string`].
//! * The benchmark's op code ([`Nb201Arch::op_code`] / [`Nb201Arch::from_op_code`]): six digits
//!   in arch-string edge order, each the op's index in the official NB201 op list
//!   (0 `none`, 1 `skip_connect`, 2 `nor_conv_1x1`, 3 `nor_conv_3x3`, 4 `avg_pool_3x3`);
//!   the example above is `422232`. This is the `op_code` column of the reference CSVs.
//! * An enumeration index ([`Nb201Arch::from_index`] / [`Nb201Arch::index`], and
//!   [`Nb201Arch::all`]): the NASLib tuple read as a base-5 number with edge (1,2) the most
//!   significant digit, `index = sum_i op_i * 5^(5 - i)`. This is the order of NASLib's
//!   `get_arch_iterator` (`itertools.product(range(5), repeat=6)`). It is *not* the official
//!   NB201 benchmark index.
//!
//! # Hashing
//!
//! NASLib hashes an NB201 architecture as its op tuple. [`Architecture::arch_hash`] packs that
//! tuple into the low 6 bytes of the 128-bit hash, edge (1,2) first (most significant), one
//! byte per op index: (4,3,3,3,2,3) hashes to `0x040303030203`. It is injective.
//!
//! # Sampling, mutation, neighbourhood
//!
//! As on NASLib's `predictors` branch: sampling draws 6 independent uniform ops (no rejection);
//! mutation picks one edge uniformly and replaces its op by one of the 4 other ops uniformly;
//! the neighbourhood is all 24 single-edge changes, edge-major, each edge's alternative ops in
//! ascending NASLib index (NASLib then shuffles that list; callers that need that shuffle do
//! it themselves). Later NASLib versions reject samples whose edges (1,2),(1,3),(1,4) or
//! (1,4),(2,4),(3,4) are all `none`; that rule is not applied here.
//!
//! # Encodings
//!
//! All in NASLib's exact layout (`naslib/predictors/utils/encodings.py`):
//!
//! * `adjacency_one_hot` (30): the 6 edges in `EDGE_LIST` order, each a one-hot of its NASLib
//!   op index.
//! * `path` (155 = 5 + 25 + 125, 0/1 not counts): four paths, each an op sequence read from
//!   the tuple by a blueprint of edge indices; a length-1 path `(o)` sets index `o`, a length-2
//!   path `(o1, o2)` sets `5 + o1 + 5 o2`, a length-3 path sets `30 + o1 + 5 o2 + 25 o3`.
//!   `none` edges are not removed. **QUIRK** (path blueprint): NASLib's blueprint
//!   `[3], [0,4], [1,5], [0,2,5]` was written for the arch-string edge order but is applied to
//!   `EDGE_LIST` indices, so edges (1,4) and (2,3) are swapped. [`Quirks::Faithful`] uses it;
//!   [`Quirks::Fixed`] uses the true paths `[2], [0,4], [1,5], [0,3,5]`.
//! * `gcn` (8 nodes x 7 features, `num_vertices` 8): an op-on-node DAG, node 0 = input (op 0),
//!   nodes 1..6 = the edges in `EDGE_LIST` order (op index + 1), node 7 = output (op 6), with
//!   the fixed adjacency [`GCN_ADJACENCY`] (row = source, column = target).
//! * `bonas` (9 x 8): the gcn graph plus a global node, as NASLib's `add_global_node`: a column
//!   of ones and a zero row appended, the diagonal set to 1, then **transposed** (so in this
//!   encoding row = target, column = source, exactly as NASLib hands it to BONAS); features get
//!   an 8th column that flags the global node (row 8). `num_vertices` is 9.
//! * `seminas` (35 tokens, vocabulary 9): SemiNAS's `convert_arch_to_seq` over the gcn graph:
//!   for each node `j = 1..7`, the tokens `A[i][j] + 1` for `i < j`, then `op[j] + 2`.
//!
//! Apart from the path blueprint there is no NB201 quirk; `quirks` is ignored elsewhere.
//! Allocation-free array versions of every encoding are provided
//! ([`Nb201Arch::adjacency_one_hot`], [`Nb201Arch::path_encoding`], [`Nb201Arch::gcn_features`],
//! [`Nb201Arch::bonas_features`], [`Nb201Arch::seminas_tokens`]).

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{
    ArchHash, Architecture, Encoding, EncodingKind, GraphEncoding, Quirks, Sampling, SpaceError,
    SpaceKind,
};

/// Number of edges in a cell.
pub const NUM_EDGES: usize = 6;
/// Number of candidate operations per edge.
pub const NUM_OPS: usize = 5;
/// Number of architectures in the space (5^6).
pub const NUM_ARCHS: u32 = 15_625;

/// NASLib's edge order: `(source, target)` in NASLib's 1-based node numbering.
pub const EDGE_LIST: [(u8, u8); NUM_EDGES] = [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)];

/// For each position of the official arch string (edge order 0->1, 0->2, 1->2, 0->3, 1->3,
/// 2->3), the index into [`EDGE_LIST`] of that edge.
pub const STRING_TO_EDGE: [usize; NUM_EDGES] = [0, 1, 3, 2, 4, 5];

/// NASLib's path blueprint (edge indices per input-to-output path), used by the faithful path
/// encoding. It swaps edges 2 and 3 relative to the true topology (the path QUIRK).
pub const NASLIB_PATH_BLUEPRINT: [&[usize]; 4] = [&[3], &[0, 4], &[1, 5], &[0, 2, 5]];

/// The four true input-to-output paths of the cell, as [`EDGE_LIST`] indices.
pub const TRUE_PATHS: [&[usize]; 4] = [&[2], &[0, 4], &[1, 5], &[0, 3, 5]];

/// Length of the path encoding (5 + 25 + 125).
pub const PATH_ENCODING_LEN: usize = 155;

/// Nodes of the gcn graph (input, six edges, output).
pub const GCN_NODES: usize = 8;
/// Op features per gcn node.
pub const GCN_FEATURES: usize = 7;
/// Nodes of the bonas graph (gcn nodes plus the global node).
pub const BONAS_NODES: usize = 9;
/// Features per bonas node (gcn features plus the global-node flag).
pub const BONAS_FEATURES: usize = 8;
/// Length of the SemiNAS token sequence, `(8 + 2)(8 - 1) / 2`.
pub const SEMINAS_LEN: usize = 35;
/// SemiNAS vocabulary size (tokens `0..9`).
pub const SEMINAS_VOCAB: usize = 9;

/// NASLib's fixed gcn adjacency for NB201 (row = source, column = target): node 0 is the
/// input, nodes 1..6 the edges in [`EDGE_LIST`] order, node 7 the output.
pub const GCN_ADJACENCY: [[u8; GCN_NODES]; GCN_NODES] = [
    [0, 1, 1, 1, 0, 0, 0, 0],
    [0, 0, 0, 0, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0, 0],
];

/// The gcn adjacency flattened row-major as `f32`.
const GCN_ADJ_F32: [f32; GCN_NODES * GCN_NODES] = {
    let mut out = [0.0f32; GCN_NODES * GCN_NODES];
    let mut i = 0;
    while i < GCN_NODES {
        let mut j = 0;
        while j < GCN_NODES {
            out[i * GCN_NODES + j] = GCN_ADJACENCY[i][j] as f32;
            j += 1;
        }
        i += 1;
    }
    out
};

/// The bonas adjacency flattened row-major: NASLib's `add_global_node(gcn, True)` (append a
/// column of ones and a zero row, fill the diagonal with 1, transpose).
const BONAS_ADJ_F32: [f32; BONAS_NODES * BONAS_NODES] = {
    // Before the transpose: m[i][j].
    let mut m = [[0u8; BONAS_NODES]; BONAS_NODES];
    let mut i = 0;
    while i < GCN_NODES {
        let mut j = 0;
        while j < GCN_NODES {
            m[i][j] = GCN_ADJACENCY[i][j];
            j += 1;
        }
        m[i][GCN_NODES] = 1;
        i += 1;
    }
    let mut d = 0;
    while d < BONAS_NODES {
        m[d][d] = 1;
        d += 1;
    }
    let mut out = [0.0f32; BONAS_NODES * BONAS_NODES];
    let mut r = 0;
    while r < BONAS_NODES {
        let mut c = 0;
        while c < BONAS_NODES {
            out[r * BONAS_NODES + c] = m[c][r] as f32;
            c += 1;
        }
        r += 1;
    }
    out
};

/// SemiNAS sequence with every adjacency token and the output token filled in; the six edge
/// op tokens (at [`SEMINAS_OP_SLOTS`]) are left 0.
const SEMINAS_TEMPLATE: [u32; SEMINAS_LEN] = {
    let mut out = [0u32; SEMINAS_LEN];
    let mut k = 0;
    let mut col = 1;
    while col < GCN_NODES {
        let mut row = 0;
        while row < col {
            out[k] = GCN_ADJACENCY[row][col] as u32 + 1;
            k += 1;
            row += 1;
        }
        // op token: output node is op 6 -> token 8; edge nodes filled per arch.
        out[k] = if col == GCN_NODES - 1 { 6 + 2 } else { 0 };
        k += 1;
        col += 1;
    }
    out
};

/// Positions of the op tokens of gcn nodes 1..6 (the six edges) in the SemiNAS sequence.
const SEMINAS_OP_SLOTS: [usize; NUM_EDGES] = {
    let mut out = [0usize; NUM_EDGES];
    let mut col = 1;
    while col <= NUM_EDGES {
        // Node `col`'s block starts after sum_{c=1}^{col-1} (c + 1) tokens; its op token
        // follows its `col` adjacency tokens.
        out[col - 1] = (col - 1) * (col + 2) / 2 + col;
        col += 1;
    }
    out
};

/// One NB201 edge operation; the discriminant is NASLib's op index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Nb201Op {
    /// `skip_connect` (NASLib `Identity`), index 0.
    SkipConnect = 0,
    /// `none` (NASLib `Zero`), index 1.
    None = 1,
    /// `nor_conv_3x3` (NASLib `ReLUConvBN3x3`), index 2.
    NorConv3x3 = 2,
    /// `nor_conv_1x1` (NASLib `ReLUConvBN1x1`), index 3.
    NorConv1x1 = 3,
    /// `avg_pool_3x3` (NASLib `AvgPool1x1`), index 4.
    AvgPool3x3 = 4,
}

impl Nb201Op {
    /// All ops in NASLib index order.
    pub const ALL: [Nb201Op; NUM_OPS] = [
        Nb201Op::SkipConnect,
        Nb201Op::None,
        Nb201Op::NorConv3x3,
        Nb201Op::NorConv1x1,
        Nb201Op::AvgPool3x3,
    ];

    /// NASLib's op index (0..5).
    #[inline]
    pub const fn index(self) -> u8 {
        self as u8
    }

    /// The op with this NASLib index, if it is below 5.
    #[inline]
    pub const fn from_index(i: u8) -> Option<Nb201Op> {
        match i {
            0 => Some(Nb201Op::SkipConnect),
            1 => Some(Nb201Op::None),
            2 => Some(Nb201Op::NorConv3x3),
            3 => Some(Nb201Op::NorConv1x1),
            4 => Some(Nb201Op::AvgPool3x3),
            _ => None,
        }
    }

    /// The op's index in the official NB201 op list
    /// (`none`, `skip_connect`, `nor_conv_1x1`, `nor_conv_3x3`, `avg_pool_3x3`).
    #[inline]
    pub const fn official_index(self) -> u8 {
        match self {
            Nb201Op::None => 0,
            Nb201Op::SkipConnect => 1,
            Nb201Op::NorConv1x1 => 2,
            Nb201Op::NorConv3x3 => 3,
            Nb201Op::AvgPool3x3 => 4,
        }
    }

    /// The op with this official NB201 index, if it is below 5.
    #[inline]
    pub const fn from_official_index(i: u8) -> Option<Nb201Op> {
        match i {
            0 => Some(Nb201Op::None),
            1 => Some(Nb201Op::SkipConnect),
            2 => Some(Nb201Op::NorConv1x1),
            3 => Some(Nb201Op::NorConv3x3),
            4 => Some(Nb201Op::AvgPool3x3),
            _ => None,
        }
    }

    /// The op's name in the official arch string (`skip_connect`, `none`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Nb201Op::SkipConnect => "skip_connect",
            Nb201Op::None => "none",
            Nb201Op::NorConv3x3 => "nor_conv_3x3",
            Nb201Op::NorConv1x1 => "nor_conv_1x1",
            Nb201Op::AvgPool3x3 => "avg_pool_3x3",
        }
    }

    /// NASLib's primitive name (`Identity`, `Zero`, `ReLUConvBN3x3`, `ReLUConvBN1x1`,
    /// `AvgPool1x1`).
    pub const fn naslib_name(self) -> &'static str {
        match self {
            Nb201Op::SkipConnect => "Identity",
            Nb201Op::None => "Zero",
            Nb201Op::NorConv3x3 => "ReLUConvBN3x3",
            Nb201Op::NorConv1x1 => "ReLUConvBN1x1",
            Nb201Op::AvgPool3x3 => "AvgPool1x1",
        }
    }

    /// The op with this official arch-string name (exact match).
    pub fn from_name(name: &str) -> Option<Nb201Op> {
        Nb201Op::ALL.into_iter().find(|op| op.name() == name)
    }
}

impl fmt::Display for Nb201Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Nb201Op {
    type Err = SpaceError;

    /// Accepts the official name (`nor_conv_3x3`) or NASLib's primitive name
    /// (`ReLUConvBN3x3`), surrounding whitespace ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Nb201Op::from_name(t)
            .or_else(|| Nb201Op::ALL.into_iter().find(|op| op.naslib_name() == t))
            .ok_or_else(|| {
                SpaceError::parse(
                    SpaceKind::Nb201,
                    s,
                    "unknown op (expected skip_connect, none, nor_conv_3x3, nor_conv_1x1 or avg_pool_3x3)",
                )
            })
    }
}

/// A NAS-Bench-201 architecture: one op per edge, in NASLib's [`EDGE_LIST`] order.
///
/// ```
/// use naspred_spaces::nb201::Nb201Arch;
/// use naspred_spaces::{Architecture, EncodingKind, Quirks};
///
/// let a = Nb201Arch::from_naslib_tuple([4, 3, 3, 3, 2, 3]).unwrap();
/// let s = "|avg_pool_3x3~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_3x3~1|nor_conv_1x1~2|";
/// assert_eq!(a.to_string(), s);
/// assert_eq!(s.parse::<Nb201Arch>().unwrap(), a);
/// assert_eq!(a.op_code(), "422232");
/// assert_eq!(Nb201Arch::from_index(a.index()).unwrap(), a);
/// let path = a.encode(EncodingKind::Path, Quirks::Faithful).unwrap();
/// assert_eq!(path.as_dense().unwrap().len(), 155);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nb201Arch {
    ops: [Nb201Op; NUM_EDGES],
}

impl Nb201Arch {
    /// The architecture with these ops, in [`EDGE_LIST`] order.
    #[inline]
    pub const fn new(ops: [Nb201Op; NUM_EDGES]) -> Self {
        Nb201Arch { ops }
    }

    /// The ops in [`EDGE_LIST`] order.
    #[inline]
    pub const fn ops(&self) -> [Nb201Op; NUM_EDGES] {
        self.ops
    }

    /// The op on edge `edge` ([`EDGE_LIST`] index).
    ///
    /// # Panics
    /// If `edge >= 6`.
    #[inline]
    pub fn op(&self, edge: usize) -> Nb201Op {
        self.ops[edge]
    }

    /// A copy with edge `edge` ([`EDGE_LIST`] index) set to `op`.
    ///
    /// # Panics
    /// If `edge >= 6`.
    #[inline]
    pub fn with_op(mut self, edge: usize, op: Nb201Op) -> Self {
        self.ops[edge] = op;
        self
    }

    /// The architecture from NASLib's op-index tuple (`arch.get_op_indices()`).
    pub fn from_naslib_tuple(t: [u8; NUM_EDGES]) -> Result<Self, SpaceError> {
        let mut ops = [Nb201Op::SkipConnect; NUM_EDGES];
        for (e, (&v, slot)) in t.iter().zip(ops.iter_mut()).enumerate() {
            *slot = Nb201Op::from_index(v).ok_or_else(|| {
                SpaceError::invalid(
                    SpaceKind::Nb201,
                    format!("op index {v} on edge {e} of tuple {t:?} is out of range 0..5"),
                )
            })?;
        }
        Ok(Nb201Arch { ops })
    }

    /// NASLib's op-index tuple (`arch.get_op_indices()`), which is also NASLib's hash.
    #[inline]
    pub fn naslib_tuple(&self) -> [u8; NUM_EDGES] {
        self.ops.map(Nb201Op::index)
    }

    /// Parses the Python text of NASLib's tuple, e.g. `(4, 3, 3, 3, 2, 3)` (a list in square
    /// brackets is accepted too; spaces are optional).
    pub fn parse_naslib_tuple(s: &str) -> Result<Self, SpaceError> {
        let err = |reason: String| SpaceError::parse(SpaceKind::Nb201, s, reason);
        let t = s.trim();
        let inner = t
            .strip_prefix('(')
            .and_then(|x| x.strip_suffix(')'))
            .or_else(|| t.strip_prefix('[').and_then(|x| x.strip_suffix(']')))
            .ok_or_else(|| {
                err("expected a tuple of six op indices such as (4, 3, 3, 3, 2, 3)".into())
            })?;
        let mut out = [0u8; NUM_EDGES];
        let mut n = 0;
        for item in inner.split(',') {
            let item = item.trim();
            if n == NUM_EDGES {
                return Err(err("more than six op indices".into()));
            }
            if item.len() != 1 || !item.as_bytes()[0].is_ascii_digit() {
                return Err(err(format!(
                    "item {} is {item:?}, not an op index 0..4",
                    n + 1
                )));
            }
            out[n] = item.as_bytes()[0] - b'0';
            n += 1;
        }
        if n != NUM_EDGES {
            return Err(err(format!("{n} op indices, expected 6")));
        }
        Nb201Arch::from_naslib_tuple(out).map_err(|e| match e {
            SpaceError::Invalid { reason, .. } => err(reason),
            other => other,
        })
    }

    /// NASLib's tuple as Python prints it, e.g. `(4, 3, 3, 3, 2, 3)`.
    pub fn naslib_tuple_string(&self) -> String {
        let t = self.naslib_tuple();
        format!(
            "({}, {}, {}, {}, {}, {})",
            t[0], t[1], t[2], t[3], t[4], t[5]
        )
    }

    /// The architecture with enumeration index `index` (`0..15625`): the NASLib tuple read as
    /// a base-5 number, edge (1,2) most significant (the order of
    /// `itertools.product(range(5), repeat=6)`).
    pub fn from_index(index: u32) -> Result<Self, SpaceError> {
        if index >= NUM_ARCHS {
            return Err(SpaceError::invalid(
                SpaceKind::Nb201,
                format!("architecture index {index} is out of range 0..{NUM_ARCHS}"),
            ));
        }
        Ok(Self::from_index_unchecked(index))
    }

    /// `from_index` for an index known to be below [`NUM_ARCHS`].
    #[inline]
    fn from_index_unchecked(mut index: u32) -> Self {
        let mut ops = [Nb201Op::SkipConnect; NUM_EDGES];
        for slot in ops.iter_mut().rev() {
            // `index % 5 < 5`, so the lookup always succeeds.
            *slot = Nb201Op::ALL[(index % NUM_OPS as u32) as usize];
            index /= NUM_OPS as u32;
        }
        Nb201Arch { ops }
    }

    /// The enumeration index (see [`Nb201Arch::from_index`]).
    #[inline]
    pub fn index(&self) -> u32 {
        self.ops
            .iter()
            .fold(0u32, |acc, op| acc * NUM_OPS as u32 + op.index() as u32)
    }

    /// All 15,625 architectures in enumeration-index order.
    pub fn all() -> impl ExactSizeIterator<Item = Nb201Arch> + DoubleEndedIterator + Clone {
        (0..NUM_ARCHS).map(Nb201Arch::from_index_unchecked)
    }

    /// The ops in official arch-string order (edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3).
    #[inline]
    pub fn string_ops(&self) -> [Nb201Op; NUM_EDGES] {
        STRING_TO_EDGE.map(|e| self.ops[e])
    }

    /// The architecture from ops in official arch-string order.
    #[inline]
    pub fn from_string_ops(string_ops: [Nb201Op; NUM_EDGES]) -> Self {
        let mut ops = [Nb201Op::SkipConnect; NUM_EDGES];
        for (p, &e) in STRING_TO_EDGE.iter().enumerate() {
            ops[e] = string_ops[p];
        }
        Nb201Arch { ops }
    }

    /// The benchmark's op code: six digits in arch-string edge order, each the official NB201
    /// op index (`none` 0, `skip_connect` 1, `nor_conv_1x1` 2, `nor_conv_3x3` 3,
    /// `avg_pool_3x3` 4).
    pub fn op_code(&self) -> String {
        self.string_ops()
            .iter()
            .map(|op| char::from(b'0' + op.official_index()))
            .collect()
    }

    /// Parses an op code (see [`Nb201Arch::op_code`]). Exactly six digits 0..4 are required.
    pub fn from_op_code(code: &str) -> Result<Self, SpaceError> {
        let err = |reason: String| SpaceError::parse(SpaceKind::Nb201, code, reason);
        let t = code.trim();
        if t.len() != NUM_EDGES || !t.is_ascii() {
            return Err(err(format!(
                "expected six op digits 0..4, got {} characters",
                t.chars().count()
            )));
        }
        let mut string_ops = [Nb201Op::None; NUM_EDGES];
        for (p, b) in t.bytes().enumerate() {
            string_ops[p] = b
                .checked_sub(b'0')
                .and_then(Nb201Op::from_official_index)
                .ok_or_else(|| {
                    err(format!(
                        "character {} is {:?}, not an op digit 0..4",
                        p + 1,
                        b as char
                    ))
                })?;
        }
        Ok(Nb201Arch::from_string_ops(string_ops))
    }

    /// Whether no input-to-output path avoids a `none` edge (the cell's output is constant
    /// zero). Such architectures are still valid NASLib architectures.
    pub fn is_degenerate(&self) -> bool {
        TRUE_PATHS
            .iter()
            .all(|path| path.iter().any(|&e| self.ops[e] == Nb201Op::None))
    }

    /// The four path encoding indices, in blueprint order (see the module doc).
    pub fn path_indices(&self, quirks: Quirks) -> [usize; 4] {
        let blueprint = match quirks {
            Quirks::Faithful => &NASLIB_PATH_BLUEPRINT,
            Quirks::Fixed => &TRUE_PATHS,
        };
        let mut out = [0usize; 4];
        for (slot, path) in out.iter_mut().zip(blueprint.iter()) {
            // Offset: 0 for length 1, 5 for length 2, 30 for length 3.
            let mut index = match path.len() {
                1 => 0,
                2 => NUM_OPS,
                _ => NUM_OPS + NUM_OPS * NUM_OPS,
            };
            let mut weight = 1;
            for &e in path.iter() {
                index += self.ops[e].index() as usize * weight;
                weight *= NUM_OPS;
            }
            *slot = index;
        }
        out
    }

    /// The `adjacency_one_hot` encoding (30 values).
    #[inline]
    pub fn adjacency_one_hot(&self) -> [f32; NUM_EDGES * NUM_OPS] {
        let mut out = [0.0f32; NUM_EDGES * NUM_OPS];
        for (e, op) in self.ops.iter().enumerate() {
            out[e * NUM_OPS + op.index() as usize] = 1.0;
        }
        out
    }

    /// The `path` encoding (155 values, 0/1).
    #[inline]
    pub fn path_encoding(&self, quirks: Quirks) -> [f32; PATH_ENCODING_LEN] {
        let mut out = [0.0f32; PATH_ENCODING_LEN];
        for i in self.path_indices(quirks) {
            out[i] = 1.0;
        }
        out
    }

    /// The gcn node op labels: `[0, op_0 + 1, ..., op_5 + 1, 6]`.
    #[inline]
    pub fn gcn_ops(&self) -> [u8; GCN_NODES] {
        let mut out = [0u8; GCN_NODES];
        for (slot, op) in out[1..=NUM_EDGES].iter_mut().zip(self.ops.iter()) {
            *slot = op.index() + 1;
        }
        out[GCN_NODES - 1] = 6;
        out
    }

    /// The gcn node features: 8 rows of one-hot(7) over [`Nb201Arch::gcn_ops`], row-major.
    #[inline]
    pub fn gcn_features(&self) -> [f32; GCN_NODES * GCN_FEATURES] {
        let mut out = [0.0f32; GCN_NODES * GCN_FEATURES];
        for (node, &op) in self.gcn_ops().iter().enumerate() {
            out[node * GCN_FEATURES + op as usize] = 1.0;
        }
        out
    }

    /// The bonas node features: the gcn features widened to 8 columns, plus a 9th row for the
    /// global node with its flag in column 7; row-major.
    #[inline]
    pub fn bonas_features(&self) -> [f32; BONAS_NODES * BONAS_FEATURES] {
        let mut out = [0.0f32; BONAS_NODES * BONAS_FEATURES];
        for (node, &op) in self.gcn_ops().iter().enumerate() {
            out[node * BONAS_FEATURES + op as usize] = 1.0;
        }
        out[BONAS_NODES * BONAS_FEATURES - 1] = 1.0;
        out
    }

    /// The SemiNAS token sequence (35 tokens below 9).
    #[inline]
    pub fn seminas_tokens(&self) -> [u32; SEMINAS_LEN] {
        let mut out = SEMINAS_TEMPLATE;
        for (&slot, op) in SEMINAS_OP_SLOTS.iter().zip(self.ops.iter()) {
            // gcn op label (index + 1) plus SemiNAS's offset 2.
            out[slot] = op.index() as u32 + 3;
        }
        out
    }

    /// The gcn graph encoding.
    pub fn gcn_graph(&self) -> GraphEncoding {
        GraphEncoding {
            nodes: GCN_NODES,
            features: GCN_FEATURES,
            adjacency: GCN_ADJ_F32.to_vec(),
            node_features: self.gcn_features().to_vec(),
            num_vertices: GCN_NODES,
        }
    }

    /// The bonas graph encoding (adjacency transposed as NASLib's; see the module doc).
    pub fn bonas_graph(&self) -> GraphEncoding {
        GraphEncoding {
            nodes: BONAS_NODES,
            features: BONAS_FEATURES,
            adjacency: BONAS_ADJ_F32.to_vec(),
            node_features: self.bonas_features().to_vec(),
            num_vertices: BONAS_NODES,
        }
    }

    /// The 24 single-edge changes written into an array, edge-major, ops ascending.
    pub fn neighbour_array(&self) -> [Nb201Arch; NUM_EDGES * (NUM_OPS - 1)] {
        let mut out = [*self; NUM_EDGES * (NUM_OPS - 1)];
        let mut k = 0;
        for e in 0..NUM_EDGES {
            for op in Nb201Op::ALL {
                if op != self.ops[e] {
                    out[k].ops[e] = op;
                    k += 1;
                }
            }
        }
        out
    }
}

impl fmt::Debug for Nb201Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nb201Arch{}", self.naslib_tuple_string())
    }
}

impl fmt::Display for Nb201Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.string_ops();
        write!(
            f,
            "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
            s[0], s[1], s[2], s[3], s[4], s[5]
        )
    }
}

impl FromStr for Nb201Arch {
    type Err = SpaceError;

    /// Parses the official arch string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` (surrounding
    /// whitespace ignored; everything else must match exactly).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| SpaceError::parse(SpaceKind::Nb201, s, reason);
        let t = s.trim();
        if t.is_empty() {
            return Err(err(
                "empty string, expected |op~0|+|op~0|op~1|+|op~0|op~1|op~2|".into(),
            ));
        }
        let mut string_ops = [Nb201Op::None; NUM_EDGES];
        let mut pos = 0;
        let mut groups = 0;
        for (g, group) in t.split('+').enumerate() {
            let node = g + 1;
            if node > 3 {
                return Err(err(
                    "more than 3 node groups separated by '+' (expected 3)".into()
                ));
            }
            let inner = group
                .strip_prefix('|')
                .and_then(|x| x.strip_suffix('|'))
                .filter(|x| !x.is_empty())
                .ok_or_else(|| {
                    err(format!(
                        "node group {node} is {group:?}, expected |op~0|...| with {node} edge(s)"
                    ))
                })?;
            let mut count = 0;
            for (i, token) in inner.split('|').enumerate() {
                if i >= node {
                    return Err(err(format!(
                        "node {node} lists more than {node} incoming edge(s)"
                    )));
                }
                let (name, src) = token.split_once('~').ok_or_else(|| {
                    err(format!(
                        "edge {token:?} into node {node} is not of the form op~source"
                    ))
                })?;
                let op = Nb201Op::from_name(name).ok_or_else(|| {
                    err(format!(
                        "unknown op {name:?} (expected skip_connect, none, nor_conv_3x3, nor_conv_1x1 or avg_pool_3x3)"
                    ))
                })?;
                let expected = ["0", "1", "2"][i];
                if src != expected {
                    return Err(err(format!(
                        "edge {} into node {node} has source {src:?}, expected {expected}",
                        i + 1
                    )));
                }
                string_ops[pos] = op;
                pos += 1;
                count += 1;
            }
            if count != node {
                return Err(err(format!(
                    "node {node} lists {count} incoming edge(s), expected {node}"
                )));
            }
            groups += 1;
        }
        if groups != 3 {
            return Err(err(format!(
                "{groups} node group(s) separated by '+', expected 3"
            )));
        }
        Ok(Nb201Arch::from_string_ops(string_ops))
    }
}

impl Serialize for Nb201Arch {
    /// Serialised as the official arch string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Nb201Arch {
    /// Deserialised from the official arch string.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Architecture for Nb201Arch {
    const SPACE: SpaceKind = SpaceKind::Nb201;

    /// Always valid: every op tuple is a NASLib architecture.
    fn validate(&self) -> Result<(), SpaceError> {
        Ok(())
    }

    fn arch_hash(&self) -> ArchHash {
        ArchHash(
            self.ops
                .iter()
                .fold(0u128, |acc, op| (acc << 8) | op.index() as u128),
        )
    }

    fn encode(&self, kind: EncodingKind, quirks: Quirks) -> Result<Encoding, SpaceError> {
        Ok(match kind {
            EncodingKind::AdjacencyOneHot => Encoding::Dense(self.adjacency_one_hot().to_vec()),
            EncodingKind::Path => Encoding::Dense(self.path_encoding(quirks).to_vec()),
            EncodingKind::Gcn => Encoding::Graph(self.gcn_graph()),
            EncodingKind::Bonas => Encoding::Graph(self.bonas_graph()),
            EncodingKind::Seminas => Encoding::Tokens(self.seminas_tokens().to_vec()),
        })
    }
}

impl Sampling for Nb201Arch {
    /// Six independent uniform ops.
    fn sample<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut ops = [Nb201Op::SkipConnect; NUM_EDGES];
        for slot in ops.iter_mut() {
            *slot = Nb201Op::ALL[rng.random_range(0..NUM_OPS)];
        }
        Nb201Arch { ops }
    }

    /// One uniform edge gets one of the 4 other ops, uniformly (`quirks` has no effect).
    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R, _quirks: Quirks) -> Self {
        let edge = rng.random_range(0..NUM_EDGES);
        let current = self.ops[edge].index() as usize;
        // The k-th of the other ops in ascending order, as `np.random.choice(available)`.
        let k = rng.random_range(0..NUM_OPS - 1);
        let new = if k < current { k } else { k + 1 };
        self.with_op(edge, Nb201Op::ALL[new])
    }

    /// All 24 single-edge changes, edge-major, each edge's ops ascending (NASLib's `get_nbhd`
    /// order before its shuffle).
    fn neighbours(&self) -> Vec<Self> {
        self.neighbour_array().to_vec()
    }
}
