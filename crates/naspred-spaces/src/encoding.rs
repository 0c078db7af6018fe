//! Encoding kinds, encoded values and NASLib's dimension table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{SpaceError, SpaceKind};

/// The encodings NASLib's predictors use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodingKind {
    /// Flattened adjacency plus one-hot (or categorical, for DARTS) ops.
    AdjacencyOneHot,
    /// One-hot over input-to-output paths (BANANAS).
    Path,
    /// Op-on-node graph: adjacency, op one-hot per node, vertex count (Wen et al. GCN).
    Gcn,
    /// GCN graph with an added global node (BONAS).
    Bonas,
    /// Token sequence of the adjacency and ops (SemiNAS / NAO).
    Seminas,
}

impl EncodingKind {
    /// All encodings.
    pub const ALL: [EncodingKind; 5] = [
        EncodingKind::AdjacencyOneHot,
        EncodingKind::Path,
        EncodingKind::Gcn,
        EncodingKind::Bonas,
        EncodingKind::Seminas,
    ];

    /// NASLib's name for the encoding.
    pub fn name(self) -> &'static str {
        match self {
            EncodingKind::AdjacencyOneHot => "adjacency_one_hot",
            EncodingKind::Path => "path",
            EncodingKind::Gcn => "gcn",
            EncodingKind::Bonas => "bonas",
            EncodingKind::Seminas => "seminas",
        }
    }
}

impl fmt::Display for EncodingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EncodingKind {
    type Err = SpaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "adjacency_one_hot" | "adjacency" | "adj" => Ok(EncodingKind::AdjacencyOneHot),
            "path" => Ok(EncodingKind::Path),
            "gcn" => Ok(EncodingKind::Gcn),
            "bonas" => Ok(EncodingKind::Bonas),
            "seminas" | "nao" => Ok(EncodingKind::Seminas),
            _ => Err(SpaceError::UnknownEncoding(s.to_string())),
        }
    }
}

/// A graph encoding: dense row-major adjacency, per-node features and the real vertex count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphEncoding {
    /// Number of nodes (rows of the adjacency).
    pub nodes: usize,
    /// Width of each node's feature vector.
    pub features: usize,
    /// `nodes * nodes` adjacency, row-major (row = source, column = target).
    pub adjacency: Vec<f32>,
    /// `nodes * features` node features, row-major.
    pub node_features: Vec<f32>,
    /// Number of real (non-padding) vertices, as NASLib's `num_vertices`.
    pub num_vertices: usize,
}

impl GraphEncoding {
    /// An all-zero graph of the given shape.
    pub fn zeros(nodes: usize, features: usize, num_vertices: usize) -> Self {
        GraphEncoding {
            nodes,
            features,
            adjacency: vec![0.0; nodes * nodes],
            node_features: vec![0.0; nodes * features],
            num_vertices,
        }
    }

    /// Adjacency entry `(i, j)`.
    pub fn adj(&self, i: usize, j: usize) -> f32 {
        self.adjacency[i * self.nodes + j]
    }

    /// Sets adjacency entry `(i, j)`.
    pub fn set_adj(&mut self, i: usize, j: usize, v: f32) {
        self.adjacency[i * self.nodes + j] = v;
    }

    /// Node feature `(node, feature)`.
    pub fn feature(&self, node: usize, f: usize) -> f32 {
        self.node_features[node * self.features + f]
    }

    /// Sets node feature `(node, feature)`.
    pub fn set_feature(&mut self, node: usize, f: usize, v: f32) {
        self.node_features[node * self.features + f] = v;
    }
}

/// An encoded architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Encoding {
    /// A flat feature vector (`adjacency_one_hot`, `path`).
    Dense(Vec<f32>),
    /// A graph (`gcn`, `bonas`).
    Graph(GraphEncoding),
    /// A token sequence (`seminas`).
    Tokens(Vec<u32>),
}

impl Encoding {
    /// The encoding as one flat vector: dense values as they are; a graph as its adjacency,
    /// then its node features, then the vertex count; tokens as numbers.
    pub fn flatten(&self) -> Vec<f32> {
        match self {
            Encoding::Dense(v) => v.clone(),
            Encoding::Graph(g) => {
                let mut out = Vec::with_capacity(g.adjacency.len() + g.node_features.len() + 1);
                out.extend_from_slice(&g.adjacency);
                out.extend_from_slice(&g.node_features);
                out.push(g.num_vertices as f32);
                out
            }
            Encoding::Tokens(t) => t.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The dense vector, if this is a dense encoding.
    pub fn as_dense(&self) -> Option<&[f32]> {
        match self {
            Encoding::Dense(v) => Some(v),
            _ => None,
        }
    }

    /// The graph, if this is a graph encoding.
    pub fn as_graph(&self) -> Option<&GraphEncoding> {
        match self {
            Encoding::Graph(g) => Some(g),
            _ => None,
        }
    }

    /// The tokens, if this is a token encoding.
    pub fn as_tokens(&self) -> Option<&[u32]> {
        match self {
            Encoding::Tokens(t) => Some(t),
            _ => None,
        }
    }

    /// The shape of this value.
    pub fn shape(&self) -> EncodingShape {
        match self {
            Encoding::Dense(v) => EncodingShape::Dense(v.len()),
            Encoding::Graph(g) => EncodingShape::Graph {
                nodes: g.nodes,
                features: g.features,
            },
            Encoding::Tokens(t) => EncodingShape::Tokens {
                len: t.len(),
                vocab: 0,
            },
        }
    }
}

/// The shape of an encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EncodingShape {
    /// A flat vector of this length.
    Dense(usize),
    /// A graph of `nodes` nodes with `features` features each.
    Graph {
        /// Node count.
        nodes: usize,
        /// Feature width.
        features: usize,
    },
    /// A token sequence of length `len` over `vocab` symbols (`vocab` is 0 when unknown,
    /// as for a value's own shape).
    Tokens {
        /// Sequence length.
        len: usize,
        /// Vocabulary size.
        vocab: usize,
    },
}

/// NASLib's dimensions of every encoding in every space (`None`: not defined there).
pub fn encoding_shape(space: SpaceKind, kind: EncodingKind) -> Option<EncodingShape> {
    use EncodingKind as E;
    use EncodingShape::*;
    use SpaceKind as S;
    let g = |nodes, features| Some(Graph { nodes, features });
    let t = |len, vocab| Some(Tokens { len, vocab });
    match (space, kind) {
        (S::Nb201, E::AdjacencyOneHot) => Some(Dense(30)),
        (S::Nb201, E::Path) => Some(Dense(155)),
        (S::Nb201, E::Gcn) => g(8, 7),
        (S::Nb201, E::Bonas) => g(9, 8),
        (S::Nb201, E::Seminas) => t(35, 9),
        (S::Nb101, E::AdjacencyOneHot) => Some(Dense(36)),
        (S::Nb101, E::Path) => Some(Dense(364)),
        (S::Nb101, E::Gcn) => g(7, 5),
        (S::Nb101, E::Bonas) => g(8, 6),
        (S::Nb101, E::Seminas) => t(27, 7),
        (S::Darts, E::AdjacencyOneHot) => Some(Dense(114)),
        (S::Darts, E::Path) => Some(Dense(11204)),
        (S::Darts, E::Gcn) => g(22, 9),
        (S::Darts, E::Bonas) => g(25, 11),
        (S::Darts, E::Seminas) => t(629, 13),
        (S::Nlp, E::AdjacencyOneHot) => Some(Dense(910)),
        (S::Nlp, E::Gcn) => g(26, 8),
        (S::Nlp, E::Seminas) => t(324, 12),
        (S::Nlp, E::Path) | (S::Nlp, E::Bonas) => None,
    }
}

/// Whether an encoded value has the shape [`encoding_shape`] promises (token vocabularies are
/// checked by value: every token must be below the vocabulary size).
pub fn matches_shape(space: SpaceKind, kind: EncodingKind, value: &Encoding) -> bool {
    match (encoding_shape(space, kind), value) {
        (Some(EncodingShape::Dense(n)), Encoding::Dense(v)) => v.len() == n,
        (Some(EncodingShape::Graph { nodes, features }), Encoding::Graph(g)) => {
            g.nodes == nodes
                && g.features == features
                && g.adjacency.len() == nodes * nodes
                && g.node_features.len() == nodes * features
        }
        (Some(EncodingShape::Tokens { len, vocab }), Encoding::Tokens(t)) => {
            t.len() == len && t.iter().all(|&x| (x as usize) < vocab)
        }
        _ => false,
    }
}
