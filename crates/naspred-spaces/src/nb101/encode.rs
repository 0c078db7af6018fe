//! NASLib's NB101 encodings (`encodings_nb101.py`), computed on the padded 7-vertex cell.

use super::{Nb101Arch, Nb101Op, MAX_VERTICES, SPACE};
use crate::{Encoding, EncodingKind, GraphEncoding, SpaceError};

const N: usize = MAX_VERTICES;
/// Length of the path encoding: 3^0 + 3^1 + ... + 3^5.
pub(crate) const NUM_PATHS: usize = 364;
/// Length of the adjacency encoding: 21 edges + 5 x 3 op bits.
pub(crate) const ADJ_LEN: usize = 36;
/// Length of the SemiNAS sequence for `max_n = 7`.
pub(crate) const SEMINAS_LEN: usize = 27;

fn bad_interior(v: usize, op: Nb101Op, what: &str) -> SpaceError {
    SpaceError::invalid(
        SPACE,
        format!("{what}: interior vertex {v} has op '{op}', which NASLib cannot encode"),
    )
}

/// `encode_adj`: 21 upper-triangular entries, then conv1x1 001 / conv3x3 010 / maxpool 100 for
/// vertices 1..=5.
pub(crate) fn adjacency_one_hot(a: &Nb101Arch, out: &mut [f32; ADJ_LEN]) -> Result<(), SpaceError> {
    let mut k = 0;
    for i in 0..N - 1 {
        for j in i + 1..N {
            out[k] = (a.adj[i] >> j & 1) as f32;
            k += 1;
        }
    }
    for v in 1..N - 1 {
        let code = match a.ops[v] {
            Nb101Op::Conv1x1 => [0.0, 0.0, 1.0],
            Nb101Op::Conv3x3 => [0.0, 1.0, 0.0],
            Nb101Op::MaxPool3x3 => [1.0, 0.0, 0.0],
            op => return Err(bad_interior(v, op, "adjacency_one_hot")),
        };
        out[k..k + 3].copy_from_slice(&code);
        k += 3;
    }
    Ok(())
}

/// `encode_paths`: one bit per input->output path, index `sum_i 3^i (op_i + 1)`.
pub(crate) fn path(a: &Nb101Arch, out: &mut [f32; NUM_PATHS]) -> Result<(), SpaceError> {
    // Every interior vertex on an input->output path must carry a conv/pool op.
    let (fwd, bwd) = a.reach();
    let on_path = fwd & bwd;
    for v in 1..N - 1 {
        if on_path >> v & 1 == 1 && !a.ops[v].is_interior() {
            return Err(bad_interior(v, a.ops[v], "path"));
        }
    }
    if on_path >> (N - 1) & 1 == 0 {
        return Ok(()); // no path at all: all zeros, as NASLib
    }
    // Depth-first over paths; at most 2^5 of them.
    let mut stack: [(u8, u8, u16); 64] = [(0, 0, 0); 64];
    let mut top = 1usize;
    stack[0] = (0, 0, 0); // (vertex, path length, index so far)
    const POW3: [u16; 6] = [1, 3, 9, 27, 81, 243];
    while top > 0 {
        top -= 1;
        let (v, len, idx) = stack[top];
        let mut succ = a.adj[v as usize] & on_path;
        while succ != 0 {
            let w = succ.trailing_zeros() as usize;
            succ &= succ - 1;
            if w == N - 1 {
                out[idx as usize] = 1.0;
            } else {
                let o = a.ops[w].interior_index().unwrap_or(0) as u16;
                stack[top] = (w as u8, len + 1, idx + POW3[len as usize] * (o + 1));
                top += 1;
            }
        }
    }
    Ok(())
}

/// `encode_gcn`: raw adjacency, one-hot over [output, input, conv3x3, conv1x1, maxpool].
pub(crate) fn gcn(a: &Nb101Arch) -> GraphEncoding {
    let mut g = GraphEncoding::zeros(N, 5, N);
    for i in 0..N {
        for j in 0..N {
            if a.adj[i] >> j & 1 == 1 {
                g.adjacency[i * N + j] = 1.0;
            }
        }
        let f = match a.ops[i] {
            Nb101Op::Output => 0,
            Nb101Op::Input => 1,
            Nb101Op::Conv3x3 => 2,
            Nb101Op::Conv1x1 => 3,
            Nb101Op::MaxPool3x3 => 4,
        };
        g.node_features[i * 5 + f] = 1.0;
    }
    g
}

/// `encode_bonas`: global node added, diagonal filled, adjacency transposed; one-hot over
/// [input, conv3x3, conv1x1, maxpool, output] plus the global-node flag.
pub(crate) fn bonas(a: &Nb101Arch) -> GraphEncoding {
    const M: usize = N + 1;
    let mut g = GraphEncoding::zeros(M, 6, M);
    for i in 0..N {
        for j in 0..N {
            if a.adj[i] >> j & 1 == 1 {
                // transposed: entry (j, i) holds the edge i -> j
                g.adjacency[j * M + i] = 1.0;
            }
        }
        g.adjacency[i * M + i] = 1.0;
        let f = match a.ops[i] {
            Nb101Op::Input => 0,
            Nb101Op::Conv3x3 => 1,
            Nb101Op::Conv1x1 => 2,
            Nb101Op::MaxPool3x3 => 3,
            Nb101Op::Output => 4,
        };
        g.node_features[i * 6 + f] = 1.0;
    }
    // The appended column of ones becomes the global node's row after the transpose.
    for j in 0..M {
        g.adjacency[N * M + j] = 1.0;
    }
    g.node_features[N * 6 + 5] = 1.0;
    g
}

/// SemiNAS `convert_arch_to_seq(matrix, ops, max_n=7)` of `encode_seminas`.
pub(crate) fn seminas(a: &Nb101Arch) -> Vec<u32> {
    let mut seq = Vec::with_capacity(SEMINAS_LEN);
    for col in 1..N {
        for row in 0..col {
            seq.push((a.adj[row] >> col & 1) as u32 + 1);
        }
        let op = match a.ops[col] {
            Nb101Op::Input => 0,
            Nb101Op::Output => 1,
            Nb101Op::Conv3x3 => 2,
            Nb101Op::Conv1x1 => 3,
            Nb101Op::MaxPool3x3 => 4,
        };
        seq.push(op + 2);
    }
    seq
}

/// Encodes a padded (7-vertex) cell.
pub(crate) fn encode(a: &Nb101Arch, kind: EncodingKind) -> Result<Encoding, SpaceError> {
    debug_assert_eq!(a.n(), N);
    Ok(match kind {
        EncodingKind::AdjacencyOneHot => {
            let mut v = [0f32; ADJ_LEN];
            adjacency_one_hot(a, &mut v)?;
            Encoding::Dense(v.to_vec())
        }
        EncodingKind::Path => {
            let mut v = vec![0f32; NUM_PATHS];
            let arr: &mut [f32; NUM_PATHS] = v
                .as_mut_slice()
                .try_into()
                .map_err(|_| SpaceError::invalid(SPACE, "internal: path buffer size"))?;
            path(a, arr)?;
            Encoding::Dense(v)
        }
        EncodingKind::Gcn => Encoding::Graph(gcn(a)),
        EncodingKind::Bonas => Encoding::Graph(bonas(a)),
        EncodingKind::Seminas => Encoding::Tokens(seminas(a)),
    })
}
