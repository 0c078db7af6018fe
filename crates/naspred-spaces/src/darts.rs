//! The DARTS search space, as used by NAS-Bench-301 and NASLib.
//!
//! # Representation
//!
//! A [`DartsArch`] is two cells, `normal` and `reduce`, each a [`DartsCell`] of 8
//! [`DartsPair`]s `(input, op)`. Every cell has the inputs `c_{k-2}` (node 0) and `c_{k-1}`
//! (node 1), four intermediate nodes 2..=5 and an output that concatenates the intermediate
//! nodes. Pairs `2i` and `2i + 1` feed intermediate node `i + 2`; their inputs lie in
//! `0..=i + 1` and must differ (NASLib's sampler draws them without replacement, its mutation
//! never makes them equal, NB301's configuration space requires two distinct inputs, and all
//! 500 DARTS rows of the reference data obey it). Ops use NASLib's compact indices
//! ([`DartsOp`]): 0 `max_pool_3x3`, 1 `avg_pool_3x3`, 2 `skip_connect`, 3 `sep_conv_3x3`,
//! 4 `sep_conv_5x5`, 5 `dil_conv_3x3`, 6 `dil_conv_5x5` (`none` is not part of the space).
//! Every constructor checks these rules, so a value of these types is always valid.
//!
//! # Text forms
//!
//! * NASLib's compact tuple, exactly as Python's `str()` prints it (the key of
//!   `nb301_full_training.pickle`, the `compact` column of the reference data):
//!   `(((0, 4), (1, 3), ...), ((0, 3), ...))`, each pair `(input, op)`.
//!   [`DartsArch::to_compact_string`] writes it byte for byte; [`DartsArch::from_compact_str`]
//!   reads it with any whitespace, `[`/`]` in place of `(`/`)` and trailing commas.
//! * The standard form (`Display` / `FromStr`): `normal;reduce`, each cell a space-separated
//!   list of 8 `op~input` tokens in pair order, e.g.
//!   `sep_conv_5x5~0 sep_conv_3x3~1 ...;sep_conv_3x3~0 ...` (the `normal` / `reduce` columns
//!   of the reference data). `FromStr` also accepts the compact tuple.
//! * [`DartsGenotype`]: the DARTS `Genotype` (`(op name, input)` per pair, concat
//!   `[2, 3, 4, 5]`) used to build networks.
//!
//! # Hashing
//!
//! NASLib hashes the compact tuple. [`Architecture::arch_hash`] packs it losslessly: each pair
//! is 6 bits (`input << 3 | op`), normal pair 0 in the most significant position, 96 bits in
//! all. The hash is therefore injective, invertible ([`DartsArch::from_arch_hash`]), and its
//! numeric order is the lexicographic order of the compact tuples (also `DartsArch`'s `Ord`).
//!
//! # Sampling, mutation, neighbourhood (NASLib `darts/graph.py`, `predictors` branch)
//!
//! * Sampling: for each intermediate node `i`, 4 ops uniform with replacement (2 for the
//!   normal cell, then 2 for the reduction cell), then 2 distinct inputs from `0..=i + 1` for
//!   the normal cell and 2 for the reduction cell, drawn without replacement (ordered).
//! * Mutation: pick a cell (1/2), a pair (1/8) and a field (1/2). Op field: a uniform op out
//!   of all 7, which may be the current one. Input field: a uniform input from
//!   `0..=pair / 2 + 1`, applied only if it differs from the sibling pair's input (it may
//!   equal the pair's own input). **QUIRK** (mutation may be a no-op): under
//!   [`Quirks::Faithful`] a mutation returns the parent unchanged with probability
//!   `1/14 + 77/240 ≈ 0.392`. NASLib's later `Develop` branch wraps the draw in a
//!   "repeat until changed" loop, which through list aliasing actually applies one
//!   unconditional draw plus one changing draw; [`Quirks::Fixed`] does what that loop
//!   intends: it repeats the single draw until the architecture changes.
//! * Neighbourhood: for every cell and pair, the 6 other ops, then every input in
//!   `0..=pair / 2 + 1` other than the pair's own and its sibling's: 60 neighbours per cell,
//!   120 in all, in that (cell, pair, op-then-input, ascending) order. NASLib shuffles the list
//!   with Python's `random.shuffle`; callers that need a random order shuffle it themselves.
//!
//! # Encodings (NASLib `predictors/utils/encodings_darts.py`)
//!
//! * `adjacency_one_hot` (114): per cell a 7x7 matrix (rows/columns `in0, in1, n2..n5, out`;
//!   `matrix[input][node] = 1` for each pair, `matrix[n][out] = 1` for the 4 intermediate
//!   nodes) flattened row-major, then the 8 op indices as plain numbers (categorical, not
//!   one-hot); normal cell then reduction cell.
//! * `path` (11204 = 4 x 2801): one-hot over paths from a cell input to the output through 1..4
//!   ops. Block `cell * 2 + input` of 2801 entries; within a block a path with ops
//!   `o_0..o_{L-1}` (from the input onwards) has index `sum_j 7^j (o_j + 1)`.
//!   **QUIRK**: NASLib's path builder loops over `range(len(OPS))` = 7 pairs, so the 8th pair
//!   of each cell contributes no paths ([`Quirks::Faithful`]); [`Quirks::Fixed`] uses all 8.
//! * `gcn` (22 x 9): per cell an 11-node graph: nodes 0, 1 the inputs, nodes 2..=9 the 8 pairs
//!   (op on node), node 10 the output. A pair reading input 0/1 has an edge from that node; a
//!   pair reading intermediate node `m` has edges from both op nodes of `m`
//!   (`2 + 2(m - 2)` and `3 + 2(m - 2)`); op nodes 2..=9 feed the output. Features: one-hot,
//!   op index in columns 0..=6, output in column 8. The two cells are placed block-diagonally
//!   (normal nodes 0..=10, reduction nodes 11..=21); `num_vertices` = 22. Adjacency row =
//!   source, column = target.
//!   **QUIRK** (input feature): NASLib flags the input nodes in column 0, the same column as
//!   `max_pool_3x3` ([`Quirks::Faithful`]); [`Quirks::Fixed`] flags them in the otherwise
//!   unused column 7. This applies to `gcn`, `bonas` and `seminas` alike.
//! * `bonas` (25 x 11): each cell graph gets a global node (index 11 of the cell: every cell
//!   node -> global, feature column 9) and self-loops; the cells are merged block-diagonally
//!   (strict upper triangles only, so the self-loops are dropped; normal 0..=11, reduction
//!   12..=23); then a final global node 24 (feature column 10) with self-loops on all 25
//!   nodes, and NASLib's final transpose: the adjacency is returned with row = target,
//!   column = source (lower triangular plus the diagonal), exactly as NASLib hands it to the
//!   BONAS predictor. `num_vertices` = 25.
//! * `seminas` (length 629, vocabulary 13): the 25-node BONAS graph as a SemiNAS sequence with
//!   `max_n` = 35: for `col` in 1..35, if `col < 25` the tokens `A[row][col] + 1` for
//!   `row < col`, then `op[col] + 2` (`op` = the one-hot column of node `col`); else `col + 1`
//!   zeros.
//!   **QUIRK** (topology lost): NASLib reads the upper triangle of the transposed (lower
//!   triangular) BONAS matrix, so every adjacency token is 1 and the sequence carries only
//!   the ops ([`Quirks::Faithful`]); [`Quirks::Fixed`] reads the untransposed matrix
//!   (row = source), so the tokens carry the edges.
//!
//! # Genotype
//!
//! **QUIRK** (op - 1): on NASLib's `predictors` branch `convert_compact_to_genotype` names
//! op `k` with `OPS[k - 1]` (Python indexing, so op 0 becomes `dil_conv_5x5`), which shapes
//! the zero-cost networks built for DARTS ([`Quirks::Faithful`]); [`Quirks::Fixed`] uses the
//! 0-based mapping of NASLib's `Develop` branch, which agrees with the reference data's
//! `op~input` lists.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::{
    ArchHash, Architecture, Encoding, EncodingKind, GraphEncoding, Quirks, Sampling, SpaceError,
    SpaceKind,
};

/// Number of candidate ops per pair.
pub const NUM_OPS: usize = 7;
/// Number of `(input, op)` pairs per cell.
pub const PAIRS_PER_CELL: usize = 8;
/// Number of intermediate nodes per cell.
pub const INTERMEDIATE_NODES: usize = 4;
/// Entries of one `(cell, input)` block of the path encoding: `sum_{i=0..4} 7^i`.
pub const PATHS_PER_BLOCK: usize = 2801;
/// Length of the path encoding: 2 cells x 2 inputs x [`PATHS_PER_BLOCK`].
pub const PATH_ENCODING_LEN: usize = 4 * PATHS_PER_BLOCK;
/// Length of the adjacency encoding: 2 cells x (7 x 7 + 8).
pub const ADJACENCY_ENCODING_LEN: usize = 2 * (49 + PAIRS_PER_CELL);
/// Most paths one architecture can have (30 per cell).
pub const MAX_PATHS: usize = 60;
/// Number of neighbours of every architecture.
pub const NUM_NEIGHBOURS: usize = 120;

const SPACE: SpaceKind = SpaceKind::Darts;

// Graph sizes of the gcn / bonas / seminas encodings.
const CELL_NODES: usize = PAIRS_PER_CELL + 3; // 11
const GCN_NODES: usize = 2 * CELL_NODES; // 22
const GCN_FEATURES: usize = NUM_OPS + 2; // 9
const BONAS_CELL_NODES: usize = CELL_NODES + 1; // 12
const BONAS_NODES: usize = 2 * BONAS_CELL_NODES + 1; // 25
const BONAS_FEATURES: usize = GCN_FEATURES + 2; // 11
const SEMINAS_MAX_N: usize = 35;
const SEMINAS_LEN: usize = (SEMINAS_MAX_N + 2) * (SEMINAS_MAX_N - 1) / 2; // 629

/// Column of the output node's feature.
const OUTPUT_FEATURE: usize = 8;
/// Column of the input nodes' feature under [`Quirks::Fixed`] (unused by NASLib).
const FIXED_INPUT_FEATURE: usize = 7;

/// One of the 7 DARTS operations, with NASLib's compact index as discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum DartsOp {
    /// `max_pool_3x3` (index 0).
    #[serde(rename = "max_pool_3x3")]
    MaxPool3x3 = 0,
    /// `avg_pool_3x3` (index 1).
    #[serde(rename = "avg_pool_3x3")]
    AvgPool3x3 = 1,
    /// `skip_connect` (index 2).
    #[serde(rename = "skip_connect")]
    SkipConnect = 2,
    /// `sep_conv_3x3` (index 3).
    #[serde(rename = "sep_conv_3x3")]
    SepConv3x3 = 3,
    /// `sep_conv_5x5` (index 4).
    #[serde(rename = "sep_conv_5x5")]
    SepConv5x5 = 4,
    /// `dil_conv_3x3` (index 5).
    #[serde(rename = "dil_conv_3x3")]
    DilConv3x3 = 5,
    /// `dil_conv_5x5` (index 6).
    #[serde(rename = "dil_conv_5x5")]
    DilConv5x5 = 6,
}

impl DartsOp {
    /// All ops in index order.
    pub const ALL: [DartsOp; NUM_OPS] = [
        DartsOp::MaxPool3x3,
        DartsOp::AvgPool3x3,
        DartsOp::SkipConnect,
        DartsOp::SepConv3x3,
        DartsOp::SepConv5x5,
        DartsOp::DilConv3x3,
        DartsOp::DilConv5x5,
    ];

    /// NASLib's compact index (0..=6).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The op with this compact index, if it is below 7.
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// The op's name (`max_pool_3x3`, ..., `dil_conv_5x5`).
    pub fn name(self) -> &'static str {
        match self {
            DartsOp::MaxPool3x3 => "max_pool_3x3",
            DartsOp::AvgPool3x3 => "avg_pool_3x3",
            DartsOp::SkipConnect => "skip_connect",
            DartsOp::SepConv3x3 => "sep_conv_3x3",
            DartsOp::SepConv5x5 => "sep_conv_5x5",
            DartsOp::DilConv3x3 => "dil_conv_3x3",
            DartsOp::DilConv5x5 => "dil_conv_5x5",
        }
    }

    /// The op with this exact name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

impl fmt::Display for DartsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DartsOp {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        DartsOp::from_name(t)
            .or_else(|| t.parse::<usize>().ok().and_then(DartsOp::from_index))
            .ok_or_else(|| {
                SpaceError::parse(
                    SPACE,
                    s,
                    "unknown op (expected max_pool_3x3, avg_pool_3x3, skip_connect, \
                     sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5 or an index 0..=6)",
                )
            })
    }
}

/// One `(input node, op)` pair of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DartsPair {
    /// The node the pair reads: 0 (`c_{k-2}`), 1 (`c_{k-1}`) or an intermediate node 2..=4.
    pub input: u8,
    /// The op applied to it.
    pub op: DartsOp,
}

impl DartsPair {
    /// A pair (not yet checked against its position in a cell).
    pub fn new(input: u8, op: DartsOp) -> Self {
        DartsPair { input, op }
    }
}

/// The reason of a validity (or parse) error, to re-wrap it as a parse error of a larger input.
fn reason_of(e: SpaceError) -> String {
    match e {
        SpaceError::Invalid { reason, .. } | SpaceError::Parse { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Cell number used in messages about a cell outside an architecture.
const LONE_CELL: usize = 2;

/// Names a cell in messages: 0 normal, 1 reduce, otherwise a lone cell.
fn cell_name(cell: usize) -> &'static str {
    match cell {
        0 => "normal",
        1 => "reduce",
        _ => "this",
    }
}

/// Checks the pairs of one cell; `cell` (0 normal, 1 reduce) only names it in messages.
fn check_pairs(pairs: &[DartsPair; PAIRS_PER_CELL], cell: usize) -> Result<(), SpaceError> {
    for (j, p) in pairs.iter().enumerate() {
        let max_input = j / 2 + 1;
        if p.input as usize > max_input {
            return Err(SpaceError::invalid(
                SPACE,
                format!(
                    "{} cell, pair {j} (node {}): input {} out of range 0..={max_input}",
                    cell_name(cell),
                    j / 2 + 2,
                    p.input
                ),
            ));
        }
    }
    for node in 0..INTERMEDIATE_NODES {
        let (a, b) = (pairs[2 * node], pairs[2 * node + 1]);
        if a.input == b.input {
            return Err(SpaceError::invalid(
                SPACE,
                format!(
                    "{} cell, node {}: both pairs read node {} (the two inputs must differ)",
                    cell_name(cell),
                    node + 2,
                    a.input
                ),
            ));
        }
    }
    Ok(())
}

/// One DARTS cell: 8 `(input, op)` pairs, pairs `2i`, `2i + 1` feeding node `i + 2`.
///
/// Always valid: inputs in range and distinct per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DartsCell {
    pairs: [DartsPair; PAIRS_PER_CELL],
}

impl DartsCell {
    /// A cell from its pairs, checked.
    pub fn new(pairs: [DartsPair; PAIRS_PER_CELL]) -> Result<Self, SpaceError> {
        check_pairs(&pairs, LONE_CELL)?;
        Ok(DartsCell { pairs })
    }

    /// A cell from NASLib's compact `(input, op index)` tuples, checked.
    pub fn from_tuples(tuples: [(u8, u8); PAIRS_PER_CELL]) -> Result<Self, SpaceError> {
        Self::from_tuples_in(tuples, LONE_CELL)
    }

    fn from_tuples_in(tuples: [(u8, u8); PAIRS_PER_CELL], cell: usize) -> Result<Self, SpaceError> {
        let mut pairs = [DartsPair::new(0, DartsOp::MaxPool3x3); PAIRS_PER_CELL];
        for (j, &(input, op)) in tuples.iter().enumerate() {
            let op = DartsOp::from_index(op as usize).ok_or_else(|| {
                SpaceError::invalid(
                    SPACE,
                    format!(
                        "{} cell, pair {j}: op index {op} out of range 0..=6",
                        cell_name(cell)
                    ),
                )
            })?;
            pairs[j] = DartsPair::new(input, op);
        }
        check_pairs(&pairs, cell)?;
        Ok(DartsCell { pairs })
    }

    /// The 8 pairs.
    pub fn pairs(&self) -> &[DartsPair; PAIRS_PER_CELL] {
        &self.pairs
    }

    /// The compact `(input, op index)` tuples.
    pub fn to_tuples(&self) -> [(u8, u8); PAIRS_PER_CELL] {
        self.pairs.map(|p| (p.input, p.op as u8))
    }

    /// Re-checks the validity rules (always `Ok` for a constructed cell).
    pub fn validate(&self) -> Result<(), SpaceError> {
        check_pairs(&self.pairs, LONE_CELL)
    }

    /// The `op~input` list (space-separated) of this cell.
    pub fn to_op_list_string(&self) -> String {
        let mut s = String::with_capacity(8 * 15);
        self.write_op_list(&mut s)
            .expect("writing to a String cannot fail");
        s
    }

    fn write_op_list<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        for (j, p) in self.pairs.iter().enumerate() {
            if j > 0 {
                w.write_char(' ')?;
            }
            write!(w, "{}~{}", p.op.name(), p.input)?;
        }
        Ok(())
    }

    /// Parses an `op~input` list (8 tokens separated by whitespace or commas).
    pub fn from_op_list(s: &str) -> Result<Self, SpaceError> {
        Self::from_op_list_in(s, LONE_CELL)
    }

    fn from_op_list_in(s: &str, cell: usize) -> Result<Self, SpaceError> {
        let mut tuples = [(0u8, 0u8); PAIRS_PER_CELL];
        let mut n = 0usize;
        for tok in s.split(|c: char| c.is_whitespace() || c == ',') {
            if tok.is_empty() {
                continue;
            }
            if n == PAIRS_PER_CELL {
                return Err(SpaceError::parse(
                    SPACE,
                    s,
                    format!(
                        "{} cell: more than {PAIRS_PER_CELL} op~input tokens",
                        cell_name(cell)
                    ),
                ));
            }
            let (name, input) = tok.split_once('~').ok_or_else(|| {
                SpaceError::parse(
                    SPACE,
                    s,
                    format!(
                        "{} cell: token {:?} is not of the form op~input",
                        cell_name(cell),
                        crate::error::echo(tok)
                    ),
                )
            })?;
            let op = DartsOp::from_name(name).ok_or_else(|| {
                SpaceError::parse(
                    SPACE,
                    s,
                    format!(
                        "{} cell: unknown op {:?}",
                        cell_name(cell),
                        crate::error::echo(name)
                    ),
                )
            })?;
            let input: u8 = input.parse().map_err(|_| {
                SpaceError::parse(
                    SPACE,
                    s,
                    format!(
                        "{} cell: input {:?} is not a node number 0..=4",
                        cell_name(cell),
                        crate::error::echo(input)
                    ),
                )
            })?;
            tuples[n] = (input, op as u8);
            n += 1;
        }
        if n != PAIRS_PER_CELL {
            return Err(SpaceError::parse(
                SPACE,
                s,
                format!(
                    "{} cell: expected {PAIRS_PER_CELL} op~input tokens, found {n}",
                    cell_name(cell)
                ),
            ));
        }
        Self::from_tuples_in(tuples, cell).map_err(|e| SpaceError::parse(SPACE, s, reason_of(e)))
    }
}

/// A DARTS architecture: a normal and a reduction cell.
///
/// `Display` / `FromStr` use the `normal;reduce` `op~input` lists; `FromStr` also reads
/// NASLib's compact tuple. `Ord` is the lexicographic order of the compact tuples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DartsArch {
    normal: DartsCell,
    reduce: DartsCell,
}

/// NASLib's compact tuple as plain numbers: `[normal, reduce]`, each 8 `(input, op index)`.
pub type DartsCompact = [[(u8, u8); PAIRS_PER_CELL]; 2];

/// A DARTS `Genotype`: `(op, input node)` per pair and the concatenated nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DartsGenotype {
    /// Normal cell, in pair order.
    pub normal: [(DartsOp, u8); PAIRS_PER_CELL],
    /// Nodes concatenated into the normal cell's output (`[2, 3, 4, 5]`).
    pub normal_concat: [u8; INTERMEDIATE_NODES],
    /// Reduction cell, in pair order.
    pub reduce: [(DartsOp, u8); PAIRS_PER_CELL],
    /// Nodes concatenated into the reduction cell's output (`[2, 3, 4, 5]`).
    pub reduce_concat: [u8; INTERMEDIATE_NODES],
}

impl fmt::Display for DartsGenotype {
    /// Python's `repr` of the namedtuple, e.g.
    /// `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, cell: &[(DartsOp, u8); PAIRS_PER_CELL]) -> fmt::Result {
            f.write_str("[")?;
            for (j, (op, input)) in cell.iter().enumerate() {
                if j > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "('{}', {input})", op.name())?;
            }
            f.write_str("]")
        }
        fn concat(f: &mut fmt::Formatter<'_>, c: &[u8; INTERMEDIATE_NODES]) -> fmt::Result {
            write!(f, "[{}, {}, {}, {}]", c[0], c[1], c[2], c[3])
        }
        f.write_str("Genotype(normal=")?;
        list(f, &self.normal)?;
        f.write_str(", normal_concat=")?;
        concat(f, &self.normal_concat)?;
        f.write_str(", reduce=")?;
        list(f, &self.reduce)?;
        f.write_str(", reduce_concat=")?;
        concat(f, &self.reduce_concat)?;
        f.write_str(")")
    }
}

/// Which level of the compact tuple is being parsed (for error messages).
#[derive(Clone, Copy)]
enum Level {
    Arch,
    Cell(usize),
    Pair(usize, usize),
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Level::Arch => f.write_str("the architecture (2 cells)"),
            Level::Cell(c) => write!(f, "the {} cell (8 pairs)", cell_name(c)),
            Level::Pair(c, j) => write!(f, "{} pair {j} (input, op)", cell_name(c)),
        }
    }
}

/// A cursor over the compact tuple text.
struct Cursor<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(input: &'a str) -> Self {
        Cursor {
            input,
            bytes: input.as_bytes(),
            pos: 0,
        }
    }

    fn err(&self, reason: impl Into<String>) -> SpaceError {
        SpaceError::parse(SPACE, self.input, reason)
    }

    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    fn describe(&mut self) -> String {
        match self.peek() {
            None => "end of input".to_string(),
            Some(_) => {
                let rest: String = self.input[self.pos..].chars().take(12).collect();
                format!("{rest:?} at byte {}", self.pos)
            }
        }
    }

    /// Consumes `(` or `[` and returns the matching closer.
    fn open(&mut self, what: Level) -> Result<u8, SpaceError> {
        match self.peek() {
            Some(b'(') => {
                self.pos += 1;
                Ok(b')')
            }
            Some(b'[') => {
                self.pos += 1;
                Ok(b']')
            }
            _ => {
                let found = self.describe();
                Err(self.err(format!("expected '(' opening {what}, found {found}")))
            }
        }
    }

    /// Parses `open elem (, elem){n-1} [,] close` into `out` (`n = out.len()`).
    fn seq<T>(
        &mut self,
        what: Level,
        out: &mut [T],
        mut elem: impl FnMut(&mut Self, usize) -> Result<T, SpaceError>,
    ) -> Result<(), SpaceError> {
        let n = out.len();
        let close = self.open(what)?;
        for (k, slot) in out.iter_mut().enumerate() {
            if k > 0 {
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(c) if c == close => {
                        return Err(self.err(format!("{what} has {k} elements, expected {n}")))
                    }
                    _ => {
                        let found = self.describe();
                        return Err(self.err(format!("expected ',' in {what}, found {found}")));
                    }
                }
            }
            *slot = elem(self, k)?;
        }
        if self.peek() == Some(b',') {
            self.pos += 1;
        }
        match self.peek() {
            Some(c) if c == close => {
                self.pos += 1;
                Ok(())
            }
            _ => {
                let found = self.describe();
                Err(self.err(format!(
                    "expected '{}' closing {what} after {n} elements, found {found}",
                    close as char
                )))
            }
        }
    }

    fn int(&mut self, what: &str) -> Result<u8, SpaceError> {
        self.skip_ws();
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(&c) = self.bytes.get(self.pos) {
            if !c.is_ascii_digit() {
                break;
            }
            value = value.saturating_mul(10).saturating_add(u32::from(c - b'0'));
            self.pos += 1;
        }
        if self.pos == start {
            let found = self.describe();
            return Err(self.err(format!("expected a number for {what}, found {found}")));
        }
        u8::try_from(value).map_err(|_| {
            self.err(format!(
                "{what} {} is out of range",
                &self.input[start..self.pos]
            ))
        })
    }
}

impl DartsArch {
    /// An architecture from its two cells.
    pub fn new(normal: DartsCell, reduce: DartsCell) -> Self {
        DartsArch { normal, reduce }
    }

    /// The normal cell.
    pub fn normal(&self) -> &DartsCell {
        &self.normal
    }

    /// The reduction cell.
    pub fn reduce(&self) -> &DartsCell {
        &self.reduce
    }

    /// Both cells, normal first.
    pub fn cells(&self) -> [&DartsCell; 2] {
        [&self.normal, &self.reduce]
    }

    fn cell(&self, c: usize) -> &DartsCell {
        if c == 0 {
            &self.normal
        } else {
            &self.reduce
        }
    }

    fn cell_mut(&mut self, c: usize) -> &mut DartsCell {
        if c == 0 {
            &mut self.normal
        } else {
            &mut self.reduce
        }
    }

    /// An architecture from NASLib's compact tuple as numbers, checked.
    pub fn from_compact(compact: DartsCompact) -> Result<Self, SpaceError> {
        Ok(DartsArch {
            normal: DartsCell::from_tuples_in(compact[0], 0)?,
            reduce: DartsCell::from_tuples_in(compact[1], 1)?,
        })
    }

    /// NASLib's compact tuple as numbers.
    pub fn to_compact(&self) -> DartsCompact {
        [self.normal.to_tuples(), self.reduce.to_tuples()]
    }

    /// NASLib's compact tuple exactly as Python's `str()` prints it.
    pub fn to_compact_string(&self) -> String {
        let mut s = String::with_capacity(140);
        s.push('(');
        for (c, cell) in self.cells().into_iter().enumerate() {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('(');
            for (j, p) in cell.pairs.iter().enumerate() {
                if j > 0 {
                    s.push_str(", ");
                }
                s.push('(');
                s.push(char::from(b'0' + p.input));
                s.push_str(", ");
                s.push(char::from(b'0' + p.op as u8));
                s.push(')');
            }
            s.push(')');
        }
        s.push(')');
        s
    }

    /// Parses NASLib's compact tuple (any whitespace, `(` or `[`, trailing commas allowed).
    pub fn from_compact_str(s: &str) -> Result<Self, SpaceError> {
        let mut cur = Cursor::new(s);
        let mut compact: DartsCompact = [[(0, 0); PAIRS_PER_CELL]; 2];
        cur.seq(Level::Arch, &mut compact, |cur, c| {
            let mut cell = [(0u8, 0u8); PAIRS_PER_CELL];
            cur.seq(Level::Cell(c), &mut cell, |cur, j| {
                let mut v = [0u8; 2];
                cur.seq(Level::Pair(c, j), &mut v, |cur, k| {
                    cur.int(if k == 0 { "an input" } else { "an op" })
                })?;
                Ok((v[0], v[1]))
            })?;
            Ok(cell)
        })?;
        if cur.peek().is_some() {
            let found = cur.describe();
            return Err(cur.err(format!("unexpected text after the tuple: {found}")));
        }
        DartsArch::from_compact(compact).map_err(|e| SpaceError::parse(SPACE, s, reason_of(e)))
    }

    /// Parses the two `op~input` lists (the `normal` and `reduce` columns of the data).
    pub fn from_op_lists(normal: &str, reduce: &str) -> Result<Self, SpaceError> {
        Ok(DartsArch {
            normal: DartsCell::from_op_list_in(normal, 0)?,
            reduce: DartsCell::from_op_list_in(reduce, 1)?,
        })
    }

    /// The architecture as a `Genotype`.
    ///
    /// **QUIRK**: [`Quirks::Faithful`] names op `k` with NASLib's `OPS[k - 1]` (op 0 becomes
    /// `dil_conv_5x5`); [`Quirks::Fixed`] uses `OPS[k]`.
    pub fn to_genotype(&self, quirks: Quirks) -> DartsGenotype {
        let map = |cell: &DartsCell| {
            cell.pairs.map(|p| {
                let op = match quirks {
                    Quirks::Faithful => DartsOp::ALL[(p.op.index() + NUM_OPS - 1) % NUM_OPS],
                    Quirks::Fixed => p.op,
                };
                (op, p.input)
            })
        };
        DartsGenotype {
            normal: map(&self.normal),
            normal_concat: [2, 3, 4, 5],
            reduce: map(&self.reduce),
            reduce_concat: [2, 3, 4, 5],
        }
    }

    /// The architecture of a `Genotype` (NASLib's `convert_genotype_to_compact`, 0-based;
    /// the concat lists are ignored).
    pub fn from_genotype(genotype: &DartsGenotype) -> Result<Self, SpaceError> {
        let t = |cell: &[(DartsOp, u8); PAIRS_PER_CELL]| cell.map(|(op, input)| (input, op as u8));
        DartsArch::from_compact([t(&genotype.normal), t(&genotype.reduce)])
    }

    /// Inverts [`Architecture::arch_hash`].
    pub fn from_arch_hash(hash: ArchHash) -> Result<Self, SpaceError> {
        let h = hash.0;
        if h >> (6 * 2 * PAIRS_PER_CELL) != 0 {
            return Err(SpaceError::invalid(
                SPACE,
                format!("hash {hash} has bits above the 96 a DARTS hash uses"),
            ));
        }
        let mut compact: DartsCompact = [[(0, 0); PAIRS_PER_CELL]; 2];
        for (k, slot) in compact.iter_mut().flatten().enumerate() {
            let shift = 6 * (2 * PAIRS_PER_CELL - 1 - k);
            let g = ((h >> shift) & 0x3f) as u8;
            *slot = (g >> 3, g & 7);
        }
        DartsArch::from_compact(compact)
    }

    /// Calls `f` with the index (into the 11204-long path encoding) of every input-to-output
    /// path, once per path (a repeated index means two paths with the same op sequence).
    ///
    /// **QUIRK**: [`Quirks::Faithful`] skips the 8th pair of each cell, as NASLib does.
    pub fn for_each_path_index(&self, quirks: Quirks, mut f: impl FnMut(usize)) {
        #[derive(Clone, Copy, Default)]
        struct Path {
            start: u8,
            len: u8,
            index: u16,
        }
        const POW7: [u16; 4] = [1, 7, 49, 343];
        let used_pairs = match quirks {
            Quirks::Faithful => PAIRS_PER_CELL - 1,
            Quirks::Fixed => PAIRS_PER_CELL,
        };
        for (c, cell) in self.cells().into_iter().enumerate() {
            // Paths ending at each intermediate node; node m has at most 2^(m+1) paths.
            let mut paths = [[Path::default(); 16]; INTERMEDIATE_NODES];
            let mut counts = [0usize; INTERMEDIATE_NODES];
            for (j, p) in cell.pairs.iter().enumerate().take(used_pairs) {
                let node = j / 2;
                let op = p.op.index() as u16 + 1;
                if p.input < 2 {
                    let path = Path {
                        start: p.input,
                        len: 1,
                        index: op,
                    };
                    paths[node][counts[node]] = path;
                    counts[node] += 1;
                } else {
                    let from = p.input as usize - 2;
                    for k in 0..counts[from] {
                        let q = paths[from][k];
                        let path = Path {
                            start: q.start,
                            len: q.len + 1,
                            index: q.index + POW7[q.len as usize] * op,
                        };
                        paths[node][counts[node]] = path;
                        counts[node] += 1;
                    }
                }
            }
            for node in 0..INTERMEDIATE_NODES {
                for q in &paths[node][..counts[node]] {
                    f((2 * c + q.start as usize) * PATHS_PER_BLOCK + q.index as usize);
                }
            }
        }
    }

    /// The sorted, de-duplicated indices of the set entries of the path encoding.
    pub fn path_indices(&self, quirks: Quirks) -> Vec<usize> {
        let mut v = Vec::with_capacity(MAX_PATHS);
        self.for_each_path_index(quirks, |i| v.push(i));
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The 114-long `adjacency_one_hot` encoding.
    pub fn encode_adjacency(&self) -> Vec<f32> {
        let mut v = vec![0.0f32; ADJACENCY_ENCODING_LEN];
        for (c, cell) in self.cells().into_iter().enumerate() {
            let base = c * (49 + PAIRS_PER_CELL);
            for (j, p) in cell.pairs.iter().enumerate() {
                v[base + p.input as usize * 7 + j / 2 + 2] = 1.0;
                v[base + 49 + j] = p.op.index() as f32;
            }
            for node in 2..6 {
                v[base + node * 7 + 6] = 1.0;
            }
        }
        v
    }

    /// The 11204-long `path` encoding.
    pub fn encode_path(&self, quirks: Quirks) -> Vec<f32> {
        let mut v = vec![0.0f32; PATH_ENCODING_LEN];
        self.for_each_path_index(quirks, |i| v[i] = 1.0);
        v
    }

    /// NASLib's `transform_matrix` for one cell: the 11x11 adjacency (row = source) and the
    /// feature column of each node.
    fn cell_graph(
        cell: &DartsCell,
        quirks: Quirks,
    ) -> ([[bool; CELL_NODES]; CELL_NODES], [usize; CELL_NODES]) {
        let mut adj = [[false; CELL_NODES]; CELL_NODES];
        let mut feat = [0usize; CELL_NODES];
        for (j, p) in cell.pairs.iter().enumerate() {
            let input = p.input as usize;
            if input < 2 {
                adj[input][j + 2] = true;
            } else {
                adj[(input - 2) * 2 + 2][j + 2] = true;
                adj[(input - 2) * 2 + 3][j + 2] = true;
            }
            feat[j + 2] = p.op.index();
            adj[j + 2][CELL_NODES - 1] = true;
        }
        let input_feature = match quirks {
            Quirks::Faithful => 0,
            Quirks::Fixed => FIXED_INPUT_FEATURE,
        };
        feat[0] = input_feature;
        feat[1] = input_feature;
        feat[CELL_NODES - 1] = OUTPUT_FEATURE;
        (adj, feat)
    }

    /// The 22 x 9 `gcn` graph.
    pub fn encode_gcn(&self, quirks: Quirks) -> GraphEncoding {
        let mut g = GraphEncoding::zeros(GCN_NODES, GCN_FEATURES, GCN_NODES);
        for (c, cell) in self.cells().into_iter().enumerate() {
            let o = c * CELL_NODES;
            let (adj, feat) = Self::cell_graph(cell, quirks);
            for (r, row) in adj.iter().enumerate() {
                for (col, &e) in row.iter().enumerate() {
                    if e {
                        g.set_adj(o + r, o + col, 1.0);
                    }
                }
                g.set_feature(o + r, feat[r], 1.0);
            }
        }
        g
    }

    /// The 25 x 25 BONAS adjacency as NASLib returns it (`m[target][source]`, self-loops on
    /// the diagonal) and the feature column of each node.
    fn bonas_graph(
        &self,
        quirks: Quirks,
    ) -> ([[bool; BONAS_NODES]; BONAS_NODES], [usize; BONAS_NODES]) {
        let mut m = [[false; BONAS_NODES]; BONAS_NODES];
        let mut feat = [0usize; BONAS_NODES];
        let global = BONAS_NODES - 1;
        for (c, cell) in self.cells().into_iter().enumerate() {
            let o = c * BONAS_CELL_NODES;
            let (adj, f) = Self::cell_graph(cell, quirks);
            for (r, row) in adj.iter().enumerate() {
                for (col, &e) in row.iter().enumerate() {
                    if e {
                        m[o + col][o + r] = true;
                    }
                }
                // Every cell node feeds the cell's global node.
                m[o + CELL_NODES][o + r] = true;
                feat[o + r] = f[r];
            }
            feat[o + CELL_NODES] = GCN_FEATURES; // cell global node: column 9
        }
        for (i, row) in m.iter_mut().enumerate() {
            row[i] = true; // self-loops
        }
        // Every node feeds the final global node (stored transposed: row = target).
        for e in &mut m[global][..global] {
            *e = true;
        }
        feat[global] = GCN_FEATURES + 1; // final global node: column 10
        (m, feat)
    }

    /// The 25 x 11 `bonas` graph, adjacency exactly as NASLib returns it (row = target).
    pub fn encode_bonas(&self, quirks: Quirks) -> GraphEncoding {
        let (m, feat) = self.bonas_graph(quirks);
        let mut g = GraphEncoding::zeros(BONAS_NODES, BONAS_FEATURES, BONAS_NODES);
        for (i, row) in m.iter().enumerate() {
            for (j, &e) in row.iter().enumerate() {
                if e {
                    g.set_adj(i, j, 1.0);
                }
            }
            g.set_feature(i, feat[i], 1.0);
        }
        g
    }

    /// The 629-long `seminas` token sequence (vocabulary 13).
    ///
    /// **QUIRK**: [`Quirks::Faithful`] reads the transposed BONAS matrix (all adjacency tokens
    /// are 1); [`Quirks::Fixed`] reads it with row = source.
    pub fn encode_seminas(&self, quirks: Quirks) -> Vec<u32> {
        let (m, feat) = self.bonas_graph(quirks);
        let mut seq = Vec::with_capacity(SEMINAS_LEN);
        for col in 1..SEMINAS_MAX_N {
            if col < BONAS_NODES {
                match quirks {
                    // NASLib: upper triangle of the transposed matrix.
                    Quirks::Faithful => {
                        seq.extend(m[..col].iter().map(|row| u32::from(row[col]) + 1));
                    }
                    // Edges source -> col, i.e. row `col` of the transposed matrix.
                    Quirks::Fixed => {
                        seq.extend(m[col][..col].iter().map(|&e| u32::from(e) + 1));
                    }
                }
                seq.push(feat[col] as u32 + 2);
            } else {
                seq.extend(std::iter::repeat_n(0, col + 1));
            }
        }
        debug_assert_eq!(seq.len(), SEMINAS_LEN);
        seq
    }

    /// One draw of NASLib's mutation (possibly a no-op).
    fn mutate_once<R: Rng + ?Sized>(&self, rng: &mut R) -> Self {
        let mut child = *self;
        let c = rng.random_range(0..2usize);
        let j = rng.random_range(0..PAIRS_PER_CELL);
        let field = rng.random_range(0..2usize);
        let cell = child.cell_mut(c);
        if field == 1 {
            cell.pairs[j].op = DartsOp::ALL[rng.random_range(0..NUM_OPS)];
        } else {
            let choice = rng.random_range(0..(j / 2 + 2)) as u8;
            if cell.pairs[j ^ 1].input != choice {
                cell.pairs[j].input = choice;
            }
        }
        child
    }
}

impl fmt::Display for DartsArch {
    /// `normal;reduce`, each an `op~input` list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.normal.write_op_list(f)?;
        f.write_str(";")?;
        self.reduce.write_op_list(f)
    }
}

impl FromStr for DartsArch {
    type Err = SpaceError;
    /// Reads `normal;reduce` `op~input` lists or NASLib's compact tuple.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim_start();
        if t.starts_with('(') || t.starts_with('[') {
            return DartsArch::from_compact_str(s);
        }
        match s.split_once(';') {
            Some((normal, reduce)) => {
                if reduce.contains(';') {
                    return Err(SpaceError::parse(
                        SPACE,
                        s,
                        "more than one ';' (expected normal;reduce)",
                    ));
                }
                DartsArch::from_op_lists(normal, reduce)
            }
            None => Err(SpaceError::parse(
                SPACE,
                s,
                "expected `normal;reduce` op~input lists or NASLib's compact tuple \
                 (((input, op), ...), (...))",
            )),
        }
    }
}

impl TryFrom<String> for DartsArch {
    type Error = SpaceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<DartsArch> for String {
    fn from(a: DartsArch) -> String {
        a.to_string()
    }
}

impl Architecture for DartsArch {
    const SPACE: SpaceKind = SpaceKind::Darts;

    fn validate(&self) -> Result<(), SpaceError> {
        check_pairs(&self.normal.pairs, 0)?;
        check_pairs(&self.reduce.pairs, 1)
    }

    fn arch_hash(&self) -> ArchHash {
        let mut h: u128 = 0;
        for cell in self.cells() {
            for p in &cell.pairs {
                h = (h << 6) | u128::from((p.input << 3) | p.op as u8);
            }
        }
        ArchHash(h)
    }

    fn encode(&self, kind: EncodingKind, quirks: Quirks) -> Result<Encoding, SpaceError> {
        Ok(match kind {
            EncodingKind::AdjacencyOneHot => Encoding::Dense(self.encode_adjacency()),
            EncodingKind::Path => Encoding::Dense(self.encode_path(quirks)),
            EncodingKind::Gcn => Encoding::Graph(self.encode_gcn(quirks)),
            EncodingKind::Bonas => Encoding::Graph(self.encode_bonas(quirks)),
            EncodingKind::Seminas => Encoding::Tokens(self.encode_seminas(quirks)),
        })
    }
}

impl Sampling for DartsArch {
    fn sample<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let mut compact: DartsCompact = [[(0, 0); PAIRS_PER_CELL]; 2];
        for node in 0..INTERMEDIATE_NODES {
            let ops: [u8; 4] = std::array::from_fn(|_| rng.random_range(0..NUM_OPS) as u8);
            let k = node + 2;
            for (c, cell) in compact.iter_mut().enumerate() {
                let first = rng.random_range(0..k);
                let mut second = rng.random_range(0..k - 1);
                if second >= first {
                    second += 1;
                }
                cell[2 * node] = (first as u8, ops[2 * c]);
                cell[2 * node + 1] = (second as u8, ops[2 * c + 1]);
            }
        }
        DartsArch::from_compact(compact).expect("sampled architectures are valid by construction")
    }

    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R, quirks: Quirks) -> Self {
        match quirks {
            Quirks::Faithful => self.mutate_once(rng),
            Quirks::Fixed => loop {
                let child = self.mutate_once(rng);
                if child != *self {
                    return child;
                }
            },
        }
    }

    fn neighbours(&self) -> Vec<Self> {
        let mut out = Vec::with_capacity(NUM_NEIGHBOURS);
        for c in 0..2 {
            for j in 0..PAIRS_PER_CELL {
                let pair = self.cell(c).pairs[j];
                let sibling = self.cell(c).pairs[j ^ 1];
                for op in DartsOp::ALL {
                    if op != pair.op {
                        let mut n = *self;
                        n.cell_mut(c).pairs[j].op = op;
                        out.push(n);
                    }
                }
                for input in 0..(j / 2 + 2) as u8 {
                    if input != pair.input && input != sibling.input {
                        let mut n = *self;
                        n.cell_mut(c).pairs[j].input = input;
                        out.push(n);
                    }
                }
            }
        }
        out
    }
}
