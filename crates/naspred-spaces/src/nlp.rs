//! NAS-Bench-NLP recurrent cells, exactly as NASLib represents them.
//!
//! # Representation
//!
//! NAS-Bench-NLP stores a cell as a *recepie* (sic): a JSON object mapping node names to
//! `{"op": ..., "input": [...]}`, with the fixed inputs `x`, `h_prev_0`, `h_prev_1`,
//! `h_prev_2` and the new hidden states `h_new_0`, `h_new_1`, ... NASLib converts a recepie into
//! a *compact triple* `(edges, ops, hiddens)` (its `convert_recipe_to_compact`), which is also the
//! key of `nb_nlp.pickle` and NASLib's architecture hash. [`NlpArch`] holds exactly that triple:
//!
//! * nodes `0..4` are the inputs `x, h_prev_0, h_prev_1, h_prev_2` with op 0 (`in`); the recepie's
//!   nodes follow as `4..n`;
//! * `ops[i]` indexes [`OPS`]: 0 `in`, 1 `activation_sigm`, 2 `activation_tanh`,
//!   3 `activation_leaky_relu`, 4 `elementwise_sum`, 5 `elementwise_prod`, 6 `linear`, 7 `blend`;
//! * `edges` are `(parent, child)` pairs, grouped by child in increasing node order and, within
//!   a child, in the order of the recepie's `input` list;
//! * `hiddens` are the indices of the hidden-state nodes, increasing.
//!
//! **Node order.** NASLib walks the recepie's keys in their JSON order and gives each node the
//! next index. When a node names an input that has not been numbered yet (neither a cell input,
//! an earlier node, nor the node itself), it moves that node to the end of the recepie and starts
//! again. [`NlpArch::from_recepie`] reproduces that order exactly (as a rotation of the
//! not-yet-numbered suffix, which is equivalent and runs in `O(n^2)` at worst). The JSON key
//! order therefore matters: [`Recepie`] deserialises objects in document order (do not go through
//! `serde_json::Value`, which sorts keys).
//!
//! # Validity
//!
//! Every [`NlpArch`] is valid by construction ([`NlpArch::from_compact`] checks): at least one
//! non-input node and at most [`MAX_NODES`] nodes; ops `0` exactly on the four inputs and in
//! `1..=7` elsewhere; every edge goes from an earlier node to a non-input node; edges sorted by
//! child; every non-input node has an input; at least one hidden node, hidden indices strictly
//! increasing and naming non-input nodes. Operator arities are not checked (the benchmark's cells
//! all have 1 input for activations, 2 for sums and products, 2-3 for linear, 3 for blend).
//! NASLib only uses cells with at most [`MAX_ENCODED_NODES`] = 25 nodes (inputs included):
//! [`NlpArch::fits_encoding`] tells, and [`Architecture::encode`] refuses larger cells.
//!
//! # Text forms
//!
//! * `Display` writes the compact triple exactly as Python's `str()` of NASLib's tuple, e.g.
//!   `(((0, 4), (1, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (5,))` for
//!   `f = linear(x, h_prev_0); h_new_0 = tanh(f)` (one-element tuples end in `,`).
//! * `FromStr` reads that form (any whitespace; `[...]` lists, as in NASLib's mutable
//!   form, are accepted; trailing commas optional) or, when the text starts with `{`, a
//!   recepie JSON object.
//! * [`NlpArch::to_recepie`] / [`NlpArch::to_recepie_json`] invert the conversion as NASLib's
//!   `convert_compact_to_recipe` does: hidden nodes are renamed `h_new_0, h_new_1, ...`, the others
//!   `node_0, node_1, ...` in index order. Names are not kept, so the round trip recepie -> arch ->
//!   recepie -> arch gives back the same compact triple, not the same names.
//!
//! # Hashing
//!
//! [`Architecture::arch_hash`] is the MD5 digest of the `Display` text (big-endian in the
//! `u128`): its hex form equals Python's `hashlib.md5(str(compact).encode()).hexdigest()`. It is
//! a function of the compact triple only (recepies that differ only in node names hash alike) and
//! injective up to MD5 collisions.
//!
//! # Sampling and mutation
//!
//! None: NAS-Bench-NLP architectures exist only as the benchmark's trained list, so [`NlpArch`]
//! does not implement [`crate::Sampling`].
//!
//! # Encodings (NASLib `nasbenchnlp/encodings.py`, `max_nodes = 25`)
//!
//! With `n` nodes and `last = n - 1`, node `last` is moved to index 25 and nodes `last..25`
//! become padding with op 0 (`in`). The 26 x 26 adjacency `A[p'][c'] = 1` for every edge, with
//! `i' = 25` if `i == last` else `i`; the 26 extended ops are `ops[0..last]`, zeros, `ops[last]`.
//!
//! * `adjacency_one_hot` (910): `A` flattened row-major (676), then for each of the 26 nodes
//!   a one-hot of its op (8) and a hidden-state flag (1).
//! * `gcn` (26 x 8): `A`, one-hot ops, `num_vertices = 25` (NASLib's value, although the graph has
//!   26 nodes).
//! * `seminas` (length 324, vocabulary 12): NASLib's `convert_arch_to_seq` with `max_n = 25` on
//!   the 26-node graph: for columns `j = 1..=24`, `A[i][j] + 1` for `i < j`, then
//!   `extended_op[j] + 3` (NASLib shifts ops by 1 and the sequence by 2). Column 25 — the moved
//!   last node — never enters the sequence; this is NASLib's behaviour and is kept in both quirk
//!   modes (fixing it would change the sequence length the model is built for).
//! * `path` and `bonas` are not defined: [`SpaceError::UnsupportedEncoding`].
//!
//! # Quirks
//!
//! * **QUIRK nlp-padding-hidden-flag** (encoding). NASLib sets the hidden flag of position `i`
//!   when `i` is in `hiddens`, *then* also at 25 for the moved last node. When the last node is a
//!   hidden state (true for every benchmark cell) and `n < 26`, the padding node at position
//!   `last` is flagged too. `Faithful` keeps that stray flag; `Fixed` flags only real nodes.
//! * **QUIRK nlp-hidden-substring** (recepie conversion). NASLib marks a node hidden when its
//!   name *contains* `h_new`, so the LSTM baseline's `h_new_1_part1`, `h_new_1_act`, ... count as
//!   hidden states (5 hidden nodes). `Faithful` (used by [`NlpArch::from_recepie_json`] and
//!   `FromStr`) does the same; `Fixed` accepts only names `h_new_<digits>`.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{
    ArchHash, Architecture, Encoding, EncodingKind, GraphEncoding, Quirks, SpaceError, SpaceKind,
};

/// NASLib's op vocabulary for NAS-Bench-NLP, indexed by the compact op code.
pub const OPS: [&str; 8] = [
    "in",
    "activation_sigm",
    "activation_tanh",
    "activation_leaky_relu",
    "elementwise_sum",
    "elementwise_prod",
    "linear",
    "blend",
];

/// Names of the four cell inputs, nodes `0..4` of every compact triple.
pub const INPUT_NAMES: [&str; 4] = ["x", "h_prev_0", "h_prev_1", "h_prev_2"];

/// Number of input nodes.
pub const NUM_INPUTS: usize = 4;

/// Largest cell (nodes, inputs included) NASLib uses and encodes (`max_nodes = 25`).
pub const MAX_ENCODED_NODES: usize = 25;

/// Nodes of the encoded graph (`max_nodes + 1`).
pub const ENCODED_NODES: usize = MAX_ENCODED_NODES + 1;

/// Hard limit on the node count of any [`NlpArch`] (keeps parsing of hostile input bounded).
pub const MAX_NODES: usize = 4096;

/// Length of the `adjacency_one_hot` encoding: 26 x 26 adjacency + 26 x (8 ops + hidden flag).
pub const ADJACENCY_ONE_HOT_LEN: usize = ENCODED_NODES * ENCODED_NODES + ENCODED_NODES * 9;

/// Length of the `seminas` token sequence (`(25 + 2) * (25 - 1) / 2`).
pub const SEMINAS_LEN: usize = (MAX_ENCODED_NODES + 2) * (MAX_ENCODED_NODES - 1) / 2;

const SPACE: SpaceKind = SpaceKind::Nlp;

/// The op code of an op name, if it is in [`OPS`].
pub fn op_index(name: &str) -> Option<u8> {
    OPS.iter().position(|&o| o == name).map(|i| i as u8)
}

/// One node of a [`Recepie`]: its op name and the names of its inputs, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecepieNode {
    /// Op name (one of [`OPS`] other than `in`).
    pub op: String,
    /// Input node names, in order.
    pub input: Vec<String>,
}

/// A NAS-Bench-NLP recepie: `(name, node)` pairs in JSON document order.
///
/// Its `Deserialize` keeps the key order of the JSON object (which determines NASLib's node
/// numbering; duplicate keys are kept here and rejected by [`NlpArch::from_recepie`]);
/// `Serialize` writes the pairs in order. Embed it in a
/// log-record struct to read the `recepie` field of the benchmark's logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recepie {
    /// The nodes, in document order.
    pub nodes: Vec<(String, RecepieNode)>,
}

impl Serialize for Recepie {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.nodes.len()))?;
        for (name, node) in &self.nodes {
            map.serialize_entry(name, node)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Recepie {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecepieVisitor;
        impl<'de> Visitor<'de> for RecepieVisitor {
            type Value = Recepie;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a recepie object {\"name\": {\"op\": ..., \"input\": [...]}, ...}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Recepie, A::Error> {
                let mut nodes: Vec<(String, RecepieNode)> = Vec::new();
                while let Some((name, node)) = map.next_entry::<String, RecepieNode>()? {
                    if nodes.len() >= MAX_NODES {
                        return Err(de::Error::custom(format!("more than {MAX_NODES} nodes")));
                    }
                    nodes.push((name, node));
                }
                Ok(Recepie { nodes })
            }
        }
        deserializer.deserialize_map(RecepieVisitor)
    }
}

impl Recepie {
    /// Parses a recepie JSON object (key order kept).
    pub fn from_json(s: &str) -> Result<Self, SpaceError> {
        serde_json::from_str(s).map_err(|e| SpaceError::parse(SPACE, s, e.to_string()))
    }

    /// The recepie as a JSON object, nodes in order.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64 * self.nodes.len() + 2);
        out.push('{');
        for (k, (name, node)) in self.nodes.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            push_json_str(&mut out, name);
            out.push_str(": {\"op\": ");
            push_json_str(&mut out, &node.op);
            out.push_str(", \"input\": [");
            for (j, inp) in node.input.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                push_json_str(&mut out, inp);
            }
            out.push_str("]}");
        }
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_str(out: &mut String, s: &str) {
    use fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                // Writing into a String cannot fail.
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a node name marks a hidden state under the given quirk mode.
fn is_hidden_name(name: &str, quirks: Quirks) -> bool {
    match quirks {
        Quirks::Faithful => name.contains("h_new"),
        Quirks::Fixed => name
            .strip_prefix("h_new_")
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
    }
}

/// A NAS-Bench-NLP recurrent cell in NASLib's compact form `(edges, ops, hiddens)`.
///
/// Always valid (see the module documentation); build it with [`NlpArch::from_compact`],
/// [`NlpArch::from_recepie_json`], [`NlpArch::from_recepie`] or `FromStr`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NlpArch {
    edges: Box<[(u16, u16)]>,
    ops: Box<[u8]>,
    hiddens: Box<[u16]>,
}

impl NlpArch {
    /// Builds a cell from a compact triple: `(parent, child)` edges, one op code per node
    /// (the four inputs included, with op 0) and the hidden-state node indices.
    pub fn from_compact(
        edges: &[(usize, usize)],
        ops: &[u8],
        hiddens: &[usize],
    ) -> Result<Self, SpaceError> {
        let n = ops.len();
        if n > MAX_NODES {
            return Err(SpaceError::invalid(
                SPACE,
                format!("{n} nodes (at most {MAX_NODES} allowed)"),
            ));
        }
        // Indices are range-checked (< n <= MAX_NODES < u16::MAX) before the narrowing casts.
        let node = |i: usize, what: &str| -> Result<u16, SpaceError> {
            if i < n {
                Ok(i as u16)
            } else {
                Err(SpaceError::invalid(
                    SPACE,
                    format!("{what} names node {i}, but the cell has {n} nodes (0..{n})"),
                ))
            }
        };
        let mut e = Vec::with_capacity(edges.len());
        for &(p, c) in edges {
            e.push((node(p, "an edge")?, node(c, "an edge")?));
        }
        let mut h = Vec::with_capacity(hiddens.len());
        for &i in hiddens {
            h.push(node(i, "a hidden state")?);
        }
        let arch = NlpArch {
            edges: e.into_boxed_slice(),
            ops: ops.into(),
            hiddens: h.into_boxed_slice(),
        };
        arch.check()?;
        Ok(arch)
    }

    /// Converts a recepie JSON object as NASLib's `convert_recipe_to_compact` does
    /// (faithful hidden-state naming, see QUIRK nlp-hidden-substring).
    pub fn from_recepie_json(s: &str) -> Result<Self, SpaceError> {
        Self::from_recepie_json_with(s, Quirks::Faithful)
    }

    /// [`NlpArch::from_recepie_json`] with a choice of hidden-state naming rule.
    pub fn from_recepie_json_with(s: &str, quirks: Quirks) -> Result<Self, SpaceError> {
        let recepie = Recepie::from_json(s)?;
        Self::from_recepie(&recepie, quirks).map_err(|e| SpaceError::parse(SPACE, s, reason_of(&e)))
    }

    /// Converts a parsed recepie, numbering nodes exactly as NASLib does (see the module docs).
    pub fn from_recepie(recepie: &Recepie, quirks: Quirks) -> Result<Self, SpaceError> {
        let nodes = &recepie.nodes;
        let m = nodes.len();
        if m == 0 {
            return Err(SpaceError::invalid(SPACE, "the recepie has no nodes"));
        }
        if m + NUM_INPUTS > MAX_NODES {
            return Err(SpaceError::invalid(
                SPACE,
                format!("{} nodes (at most {MAX_NODES} allowed)", m + NUM_INPUTS),
            ));
        }
        // Name -> position in the recepie; inputs are looked up separately.
        let mut pos: HashMap<&str, usize> = HashMap::with_capacity(m);
        for (k, (name, _)) in nodes.iter().enumerate() {
            if INPUT_NAMES.contains(&name.as_str()) {
                return Err(SpaceError::invalid(
                    SPACE,
                    format!("node name {name:?} is reserved for a cell input"),
                ));
            }
            if pos.insert(name.as_str(), k).is_some() {
                return Err(SpaceError::invalid(
                    SPACE,
                    format!("duplicate node name {name:?}"),
                ));
            }
        }
        // A parent reference: a cell input (0..4) or a recepie position.
        #[derive(Clone, Copy)]
        enum Ref {
            Input(u16),
            Node(usize),
        }
        let mut parents: Vec<Vec<Ref>> = Vec::with_capacity(m);
        let mut ops: Vec<u8> = Vec::with_capacity(m + NUM_INPUTS);
        ops.extend_from_slice(&[0; NUM_INPUTS]);
        let mut node_ops: Vec<u8> = Vec::with_capacity(m);
        for (name, node) in nodes {
            let op = op_index(&node.op).ok_or_else(|| {
                SpaceError::invalid(
                    SPACE,
                    format!(
                        "node {name:?} has unknown op {:?} (expected one of {})",
                        node.op,
                        OPS[1..].join(", ")
                    ),
                )
            })?;
            node_ops.push(op);
            let mut refs = Vec::with_capacity(node.input.len());
            for inp in &node.input {
                if let Some(i) = INPUT_NAMES.iter().position(|&x| x == inp) {
                    refs.push(Ref::Input(i as u16));
                } else if let Some(&k) = pos.get(inp.as_str()) {
                    refs.push(Ref::Node(k));
                } else {
                    return Err(SpaceError::invalid(
                        SPACE,
                        format!(
                            "node {name:?} reads {inp:?}, which is neither a cell input nor a node"
                        ),
                    ));
                }
            }
            parents.push(refs);
        }
        // NASLib's ordering: walk the keys; a node reading a not-yet-numbered node moves to the
        // end and the walk restarts. The numbered prefix never changes, so this is a rotation
        // of the remaining queue.
        const UNSET: usize = usize::MAX;
        let mut index = vec![UNSET; m];
        let mut queue: VecDeque<usize> = (0..m).collect();
        let mut order: Vec<usize> = Vec::with_capacity(m);
        let mut stalled = 0usize;
        while let Some(k) = queue.pop_front() {
            let next = NUM_INPUTS + order.len();
            let ready = parents[k].iter().all(|r| match *r {
                Ref::Input(_) => true,
                Ref::Node(j) => j == k || index[j] != UNSET,
            });
            if ready {
                index[k] = next;
                order.push(k);
                stalled = 0;
            } else {
                queue.push_back(k);
                stalled += 1;
                if stalled >= queue.len() {
                    let mut names: Vec<&str> = queue.iter().map(|&j| nodes[j].0.as_str()).collect();
                    names.truncate(8);
                    return Err(SpaceError::invalid(
                        SPACE,
                        format!("the recepie has a cycle among nodes {names:?}"),
                    ));
                }
            }
        }
        let mut edges: Vec<(u16, u16)> = Vec::with_capacity(parents.iter().map(Vec::len).sum());
        let mut hiddens: Vec<u16> = Vec::new();
        for &k in &order {
            let child = index[k] as u16;
            ops.push(node_ops[k]);
            if is_hidden_name(&nodes[k].0, quirks) {
                hiddens.push(child);
            }
            for r in &parents[k] {
                let p = match *r {
                    Ref::Input(i) => i,
                    Ref::Node(j) => index[j] as u16,
                };
                edges.push((p, child));
            }
        }
        let arch = NlpArch {
            edges: edges.into_boxed_slice(),
            ops: ops.into_boxed_slice(),
            hiddens: hiddens.into_boxed_slice(),
        };
        arch.check()?;
        Ok(arch)
    }

    /// The recepie NASLib's `convert_compact_to_recipe` builds: hidden nodes named
    /// `h_new_0, h_new_1, ...`, the others `node_0, node_1, ...`, in index order.
    pub fn to_recepie(&self) -> Recepie {
        let n = self.ops.len();
        let mut names: Vec<String> = INPUT_NAMES.iter().map(|s| s.to_string()).collect();
        let (mut reg, mut hid) = (0usize, 0usize);
        for i in NUM_INPUTS..n {
            if self.is_hidden(i) {
                names.push(format!("h_new_{hid}"));
                hid += 1;
            } else {
                names.push(format!("node_{reg}"));
                reg += 1;
            }
        }
        let mut inputs: Vec<Vec<String>> = vec![Vec::new(); n];
        for &(p, c) in self.edges.iter() {
            inputs[c as usize].push(names[p as usize].clone());
        }
        let nodes = (NUM_INPUTS..n)
            .map(|i| {
                (
                    names[i].clone(),
                    RecepieNode {
                        op: OPS[self.ops[i] as usize].to_string(),
                        input: std::mem::take(&mut inputs[i]),
                    },
                )
            })
            .collect();
        Recepie { nodes }
    }

    /// [`NlpArch::to_recepie`] as a JSON object. Converting it back gives the same compact
    /// triple.
    pub fn to_recepie_json(&self) -> String {
        self.to_recepie().to_json()
    }

    /// The `(parent, child)` edges.
    pub fn edges(&self) -> &[(u16, u16)] {
        &self.edges
    }

    /// Op codes of all nodes (inputs included), indexing [`OPS`].
    pub fn ops(&self) -> &[u8] {
        &self.ops
    }

    /// Indices of the hidden-state nodes, increasing.
    pub fn hidden_nodes(&self) -> &[u16] {
        &self.hiddens
    }

    /// Number of nodes, the four inputs included (NASLib's `len(compact[1])`).
    pub fn num_nodes(&self) -> usize {
        self.ops.len()
    }

    /// Number of edges.
    pub fn num_edges(&self) -> usize {
        self.edges.len()
    }

    /// Whether NASLib uses and can encode this cell (at most [`MAX_ENCODED_NODES`] nodes).
    pub fn fits_encoding(&self) -> bool {
        self.ops.len() <= MAX_ENCODED_NODES
    }

    /// Whether node `i` is a hidden state.
    pub fn is_hidden(&self, i: usize) -> bool {
        i < self.ops.len() && self.hiddens.binary_search(&(i as u16)).is_ok()
    }

    /// Checks every validity rule (see the module docs).
    fn check(&self) -> Result<(), SpaceError> {
        let n = self.ops.len();
        let bad = |reason: String| Err(SpaceError::invalid(SPACE, reason));
        if n > MAX_NODES {
            return bad(format!("{n} nodes (at most {MAX_NODES} allowed)"));
        }
        if n <= NUM_INPUTS {
            return bad(format!(
                "{n} ops: need the 4 inputs and at least one more node"
            ));
        }
        for (i, &op) in self.ops.iter().enumerate() {
            if i < NUM_INPUTS {
                if op != 0 {
                    return bad(format!("input node {i} must have op 0 (in), not {op}"));
                }
            } else if op == 0 || op as usize >= OPS.len() {
                return bad(format!(
                    "node {i} has op {op}; non-input nodes need an op in 1..=7"
                ));
            }
        }
        let mut has_input = vec![false; n];
        let mut last_child = 0u16;
        for &(p, c) in self.edges.iter() {
            let (pu, cu) = (p as usize, c as usize);
            if cu >= n || pu >= n {
                return bad(format!("edge ({p}, {c}) names a node outside 0..{n}"));
            }
            if cu < NUM_INPUTS {
                return bad(format!("edge ({p}, {c}) leads into input node {c}"));
            }
            if p >= c {
                return bad(format!(
                    "edge ({p}, {c}) does not come from an earlier node"
                ));
            }
            if c < last_child {
                return bad(format!(
                    "edge ({p}, {c}) is out of order: edges must be grouped by child, increasing"
                ));
            }
            last_child = c;
            has_input[cu] = true;
        }
        if let Some(i) = (NUM_INPUTS..n).find(|&i| !has_input[i]) {
            return bad(format!("node {i} has no input"));
        }
        if self.hiddens.is_empty() {
            return bad("no hidden-state (h_new) node".to_string());
        }
        let mut prev: Option<u16> = None;
        for &h in self.hiddens.iter() {
            if (h as usize) < NUM_INPUTS || h as usize >= n {
                return bad(format!("hidden state {h} is not a non-input node (4..{n})"));
            }
            if prev.is_some_and(|q| q >= h) {
                return bad(format!(
                    "hidden states must be strictly increasing; {h} follows {}",
                    prev.unwrap_or(0)
                ));
            }
            prev = Some(h);
        }
        Ok(())
    }

    /// The position of node `i` in the 26-node encoded graph.
    #[inline]
    fn ext(&self, i: u16) -> usize {
        let last = self.ops.len() - 1;
        if i as usize == last {
            MAX_ENCODED_NODES
        } else {
            i as usize
        }
    }

    /// The op of encoded position `i` (NASLib's `get_categorical_ops`).
    #[inline]
    fn ext_op(&self, i: usize) -> u8 {
        let last = self.ops.len() - 1;
        if i < last {
            self.ops[i]
        } else if i == MAX_ENCODED_NODES {
            self.ops[last]
        } else {
            0
        }
    }

    /// The hidden flag of encoded position `i`.
    #[inline]
    fn ext_hidden(&self, i: usize, quirks: Quirks) -> bool {
        let last = self.ops.len() - 1;
        let last_hidden = self.is_hidden(last);
        if i == MAX_ENCODED_NODES {
            return last_hidden;
        }
        match quirks {
            Quirks::Faithful => self.is_hidden(i),
            Quirks::Fixed => i < last && self.is_hidden(i),
        }
    }

    fn ensure_fits(&self) -> Result<(), SpaceError> {
        if self.fits_encoding() {
            Ok(())
        } else {
            Err(SpaceError::invalid(
                SPACE,
                format!(
                    "cell has {} nodes; NASLib's encodings hold at most {MAX_ENCODED_NODES}",
                    self.ops.len()
                ),
            ))
        }
    }

    fn encode_adjacency_one_hot(&self, quirks: Quirks) -> Vec<f32> {
        const N: usize = ENCODED_NODES;
        let mut v = vec![0.0f32; ADJACENCY_ONE_HOT_LEN];
        for &(p, c) in self.edges.iter() {
            v[self.ext(p) * N + self.ext(c)] = 1.0;
        }
        let base = N * N;
        for i in 0..N {
            let at = base + 9 * i;
            v[at + self.ext_op(i) as usize] = 1.0;
            if self.ext_hidden(i, quirks) {
                v[at + 8] = 1.0;
            }
        }
        v
    }

    fn encode_gcn(&self) -> GraphEncoding {
        let mut g = GraphEncoding::zeros(ENCODED_NODES, OPS.len(), MAX_ENCODED_NODES);
        for &(p, c) in self.edges.iter() {
            g.set_adj(self.ext(p), self.ext(c), 1.0);
        }
        for i in 0..ENCODED_NODES {
            g.set_feature(i, self.ext_op(i) as usize, 1.0);
        }
        g
    }

    fn encode_seminas(&self) -> Vec<u32> {
        // Column `col` (1..=24) starts at (col - 1)(col + 2) / 2: `col` adjacency tokens
        // (1 = no edge, 2 = edge) followed by the op token.
        let start = |col: usize| (col - 1) * (col + 2) / 2;
        let mut seq = vec![1u32; SEMINAS_LEN];
        for &(p, c) in self.edges.iter() {
            let (row, col) = (self.ext(p), self.ext(c));
            if col < MAX_ENCODED_NODES {
                seq[start(col) + row] = 2;
            }
        }
        for col in 1..MAX_ENCODED_NODES {
            seq[start(col) + col] = self.ext_op(col) as u32 + 3;
        }
        seq
    }
}

/// The reason text of an error (for re-wrapping as a parse error).
fn reason_of(e: &SpaceError) -> String {
    match e {
        SpaceError::Invalid { reason, .. } | SpaceError::Parse { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Appends the decimal digits of `v`.
#[inline]
fn push_uint(out: &mut Vec<u8>, v: u16) {
    let mut buf = [0u8; 5];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends a Python tuple of integers (`()`, `(a,)`, `(a, b)`).
fn push_tuple(out: &mut Vec<u8>, items: impl ExactSizeIterator<Item = u16>) {
    let len = items.len();
    out.push(b'(');
    for (k, x) in items.enumerate() {
        if k > 0 {
            out.extend_from_slice(b", ");
        }
        push_uint(out, x);
    }
    if len == 1 {
        out.push(b',');
    }
    out.push(b')');
}

impl NlpArch {
    /// Appends the compact text form (Python's `str()` of the tuple) as ASCII bytes.
    fn push_compact(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"((");
        for (k, &(p, c)) in self.edges.iter().enumerate() {
            if k > 0 {
                out.extend_from_slice(b", ");
            }
            out.push(b'(');
            push_uint(out, p);
            out.extend_from_slice(b", ");
            push_uint(out, c);
            out.push(b')');
        }
        if self.edges.len() == 1 {
            out.push(b',');
        }
        out.extend_from_slice(b"), ");
        push_tuple(out, self.ops.iter().map(|&o| o as u16));
        out.extend_from_slice(b", ");
        push_tuple(out, self.hiddens.iter().copied());
        out.push(b')');
    }

    /// The compact text form as bytes, sized to avoid reallocation.
    fn compact_bytes(&self) -> Vec<u8> {
        let cap = 16 + 12 * self.edges.len() + 3 * self.ops.len() + 6 * self.hiddens.len();
        let mut out = Vec::with_capacity(cap);
        self.push_compact(&mut out);
        out
    }
}

impl fmt::Display for NlpArch {
    /// Python's `str()` of NASLib's compact tuple.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.compact_bytes();
        // Only ASCII digits and punctuation are written, so this never fails.
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

// ---------------------------------------------------------------------------------------------
// Compact text parser: nested tuples / lists of non-negative integers, depth <= 3.

/// A parsed value of the compact text form.
enum Val {
    Int(usize),
    Seq(Vec<Val>),
}

struct CompactParser<'a> {
    s: &'a [u8],
    i: usize,
    input: &'a str,
}

impl<'a> CompactParser<'a> {
    fn err(&self, reason: impl Into<String>) -> SpaceError {
        SpaceError::parse(SPACE, self.input, reason)
    }

    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Val, SpaceError> {
        self.skip_ws();
        let Some(&b) = self.s.get(self.i) else {
            return Err(self.err("unexpected end of input"));
        };
        match b {
            b'(' | b'[' => {
                if depth >= 3 {
                    return Err(self.err(format!(
                        "nesting too deep at byte {} (the compact triple nests 3 levels)",
                        self.i
                    )));
                }
                let close = if b == b'(' { b')' } else { b']' };
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.s.get(self.i) {
                        None => return Err(self.err("unclosed bracket")),
                        Some(&c) if c == close => {
                            self.i += 1;
                            return Ok(Val::Seq(items));
                        }
                        Some(_) => {}
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(&c) if c == close => {}
                        Some(_) => {
                            return Err(self.err(format!(
                                "expected ',' or '{}' at byte {}",
                                close as char, self.i
                            )))
                        }
                        None => return Err(self.err("unclosed bracket")),
                    }
                }
            }
            b'0'..=b'9' => {
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                // Digits only, so the slice is ASCII.
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                text.parse::<usize>()
                    .ok()
                    .filter(|&v| v <= u16::MAX as usize)
                    .map(Val::Int)
                    .ok_or_else(|| self.err(format!("number {text} is too large")))
            }
            b'-' => Err(self.err(format!("negative number at byte {}", self.i))),
            _ => Err(self.err(format!(
                "unexpected character {:?} at byte {}",
                self.input
                    .get(self.i..)
                    .and_then(|t| t.chars().next())
                    .unwrap_or('?'),
                self.i
            ))),
        }
    }
}

fn parse_compact(s: &str) -> Result<NlpArch, SpaceError> {
    let mut p = CompactParser {
        s: s.as_bytes(),
        i: 0,
        input: s,
    };
    let v = p.value(0)?;
    p.skip_ws();
    if p.i != p.s.len() {
        return Err(p.err(format!("trailing text at byte {}", p.i)));
    }
    let err = |r: &str| SpaceError::parse(SPACE, s, r.to_string());
    let Val::Seq(parts) = v else {
        return Err(err("expected a triple (edges, ops, hiddens)"));
    };
    let [edges_v, ops_v, hid_v]: [Val; 3] = parts
        .try_into()
        .map_err(|_| err("expected exactly three parts (edges, ops, hiddens)"))?;
    let ints = |v: Val, what: &str| -> Result<Vec<usize>, SpaceError> {
        let Val::Seq(items) = v else {
            return Err(err(&format!("{what} must be a tuple of integers")));
        };
        items
            .into_iter()
            .map(|x| match x {
                Val::Int(i) => Ok(i),
                Val::Seq(_) => Err(err(&format!("{what} must hold integers, not tuples"))),
            })
            .collect()
    };
    let Val::Seq(edge_items) = edges_v else {
        return Err(err("edges must be a tuple of (parent, child) pairs"));
    };
    let mut edges = Vec::with_capacity(edge_items.len());
    for e in edge_items {
        let pair = ints(e, "an edge")?;
        let [a, b]: [usize; 2] = pair
            .try_into()
            .map_err(|_| err("every edge must be a (parent, child) pair"))?;
        edges.push((a, b));
    }
    let ops = ints(ops_v, "ops")?;
    let ops: Vec<u8> = ops
        .into_iter()
        .map(|o| u8::try_from(o).map_err(|_| err(&format!("op {o} is not an op code 0..=7"))))
        .collect::<Result<_, _>>()?;
    let hiddens = ints(hid_v, "hiddens")?;
    NlpArch::from_compact(&edges, &ops, &hiddens)
        .map_err(|e| SpaceError::parse(SPACE, s, reason_of(&e)))
}

impl FromStr for NlpArch {
    type Err = SpaceError;

    /// Parses the compact text form (Python `str()` of the tuple; `[...]` lists also accepted)
    /// or, when the text starts with `{`, a recepie JSON object.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.as_bytes().first() {
            Some(b'{') => NlpArch::from_recepie_json(t),
            Some(b'(') | Some(b'[') => parse_compact(t),
            _ => Err(SpaceError::parse(
                SPACE,
                s,
                "expected a compact triple ((edges), (ops), (hiddens)) or a recepie JSON object",
            )),
        }
    }
}

impl Architecture for NlpArch {
    const SPACE: SpaceKind = SpaceKind::Nlp;

    fn validate(&self) -> Result<(), SpaceError> {
        self.check()
    }

    fn arch_hash(&self) -> ArchHash {
        let digest: [u8; 16] = Md5::digest(self.compact_bytes()).into();
        ArchHash(u128::from_be_bytes(digest))
    }

    fn encode(&self, kind: EncodingKind, quirks: Quirks) -> Result<Encoding, SpaceError> {
        match kind {
            EncodingKind::Path | EncodingKind::Bonas => Err(SpaceError::UnsupportedEncoding {
                space: SPACE,
                encoding: kind.name(),
            }),
            EncodingKind::AdjacencyOneHot => {
                self.ensure_fits()?;
                Ok(Encoding::Dense(self.encode_adjacency_one_hot(quirks)))
            }
            EncodingKind::Gcn => {
                self.ensure_fits()?;
                Ok(Encoding::Graph(self.encode_gcn()))
            }
            EncodingKind::Seminas => {
                self.ensure_fits()?;
                Ok(Encoding::Tokens(self.encode_seminas()))
            }
        }
    }
}
