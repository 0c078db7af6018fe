//! Sampling, mutation and neighbourhoods of NB101 cells, as NASLib does them.

use rand::Rng;

use super::{upper_mask, Nb101Arch, Nb101Op, MAX_VERTICES};
use crate::{Quirks, Sampling};

const N: usize = MAX_VERTICES;

/// A uniformly chosen interior op different from `current` (all three when `current` is not an
/// interior op), as `np.random.choice([op for op in OPS if op != current])`.
#[inline]
fn other_op<R: Rng + ?Sized>(rng: &mut R, current: Nb101Op) -> Nb101Op {
    match current.interior_index() {
        Some(k) => {
            let r = rng.random_range(0..2usize);
            Nb101Op::INTERIOR[if r >= k { r + 1 } else { r }]
        }
        None => Nb101Op::INTERIOR[rng.random_range(0..3usize)],
    }
}

impl Nb101Arch {
    /// One NASLib `predictors`-branch mutation (see the module docs): in-place accumulation of
    /// "flip every edge" / "change every interior op" steps until the spec is valid.
    fn mutate_faithful<R: Rng + ?Sized>(&self, rng: &mut R) -> Nb101Arch {
        let mut cur = self.padded();
        loop {
            if rng.random::<f64>() < 0.5 {
                for i in 0..N - 1 {
                    cur.adj[i] ^= upper_mask(i, N);
                }
            } else {
                for v in 1..N - 1 {
                    cur.ops[v] = other_op(rng, cur.ops[v]);
                }
            }
            if cur.is_valid() {
                return cur;
            }
        }
    }

    /// One NASLib `Develop` / nasbench mutation: each edge flipped with probability 1/7, each
    /// interior op changed with probability 1/3, redrawn from the parent until valid.
    fn mutate_fixed<R: Rng + ?Sized>(&self, rng: &mut R) -> Nb101Arch {
        let parent = self.padded();
        loop {
            let mut cur = parent;
            for src in 0..N - 1 {
                for dst in src + 1..N {
                    if rng.random::<f64>() < 1.0 / N as f64 {
                        cur.adj[src] ^= 1 << dst;
                    }
                }
            }
            for v in 1..N - 1 {
                if rng.random::<f64>() < 1.0 / 3.0 {
                    cur.ops[v] = other_op(rng, cur.ops[v]);
                }
            }
            if cur.is_valid() {
                return cur;
            }
        }
    }
}

impl Sampling for Nb101Arch {
    /// NASLib's `sample_random_architecture`: random strict-upper-triangular 7x7 0/1 matrix and
    /// random interior ops, redrawn until valid.
    fn sample<R: Rng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let bits: u32 = rng.random();
            let mut adj = [0u8; N];
            let mut k = 0;
            for (i, row) in adj.iter_mut().enumerate().take(N - 1) {
                let width = N - 1 - i;
                let chunk = ((bits >> k) & ((1 << width) - 1)) as u8;
                *row = chunk << (i + 1);
                k += width;
            }
            let mut ops = [Nb101Op::Input; N];
            for op in ops.iter_mut().take(N - 1).skip(1) {
                *op = Nb101Op::INTERIOR[rng.random_range(0..3usize)];
            }
            ops[N - 1] = Nb101Op::Output;
            let a = Nb101Arch::from_parts(N, adj, ops);
            if a.is_valid() {
                return a;
            }
        }
    }

    /// `Quirks::Faithful`: the `predictors`-branch loop; `Quirks::Fixed`: the `Develop` rule.
    /// The result is valid and has 7 vertices; it may be isomorphic to (or, rarely, equal to)
    /// the parent, exactly as NASLib's can. An invalid parent yields a fresh sample.
    fn mutate<R: Rng + ?Sized>(&self, rng: &mut R, quirks: Quirks) -> Self {
        if !self.is_valid() {
            return Self::sample(rng);
        }
        match quirks {
            Quirks::Faithful => self.mutate_faithful(rng),
            Quirks::Fixed => self.mutate_fixed(rng),
        }
    }

    /// NASLib's `get_nbhd` on the padded cell, unshuffled: op changes of interior vertices on
    /// an input->output path, then single-edge flips that remove a used edge or add an edge
    /// that ends up on a path; only valid results.
    fn neighbours(&self) -> Vec<Self> {
        let base = self.padded();
        let mut out = Vec::with_capacity(32);
        let (fwd, bwd) = base.reach();
        let on_path = fwd & bwd;
        let used_nodes = if on_path >> (N - 1) & 1 == 1 {
            on_path
        } else {
            0
        };
        for v in 1..N - 1 {
            if used_nodes >> v & 1 == 0 {
                continue;
            }
            for op in Nb101Op::INTERIOR {
                if op == base.ops[v] {
                    continue;
                }
                let mut nb = base;
                nb.ops[v] = op;
                if nb.is_valid() {
                    out.push(nb);
                }
            }
        }
        for src in 0..N - 1 {
            for dst in src + 1..N {
                let mut nb = base;
                nb.adj[src] ^= 1 << dst;
                let existed = base.adj[src] >> dst & 1 == 1;
                // The edge is used when it lies on an input->output path of the matrix that
                // contains it (the old one for a removal, the new one for an addition).
                let with_edge = if existed { &base } else { &nb };
                let (f, b) = with_edge.reach();
                let used = f >> src & 1 == 1 && b >> dst & 1 == 1;
                if used && nb.is_valid() {
                    out.push(nb);
                }
            }
        }
        out
    }
}
