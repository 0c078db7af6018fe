//! The NAS-Bench-201 weight-sharing supernet (spec §1.6): the TinyNetwork macro skeleton
//! (stem, three stages of `N` cells separated by ResNet blocks, head) where every cell edge
//! holds all five candidate ops, and its output is `Σ_op α_op · op(x)` with one set of
//! `α` (6 edges x 5 ops) shared by every cell.
//!
//! * One-shot training (Bender et al.): `α = 1` for every op, all ops trained together.
//! * Random-sampling weight sharing (Li & Talwalkar): each step draws a uniformly random
//!   architecture and trains its one-hot path only (the other ops get no gradient and no
//!   update).
//! * Query: the supernet with the architecture's one-hot `α`; ops with `α = 0` are skipped,
//!   so the forward equals the stand-alone network of that architecture with the same weights
//!   ([`Nb201Supernet::standalone_store`] extracts those weights in the stand-alone network's
//!   parameter order).
//!
//! Ops as in the stand-alone network: ReLU-Conv-BN (affine BN) 3x3 and 1x1, 3x3 average
//! pooling (`count_include_pad = False`), identity, zero.

use naspred_nets::layers::{Bn, Builder, Conv, Fwd, InitScheme, Linear, Store};
use naspred_nets::Trace;
use naspred_spaces::nb201::{Nb201Arch, Nb201Op, EDGE_LIST, NUM_EDGES, NUM_OPS};
use rand::Rng;
use tch::{Device, Tensor};

/// Op weights of every edge (`[edge][op]`, op in [`Nb201Op::index`] order), shared by all
/// cells.
pub type Alphas = [[f32; NUM_OPS]; NUM_EDGES];

/// All ops on with weight 1 (one-shot training).
pub const ALL_ONES: Alphas = [[1.0; NUM_OPS]; NUM_EDGES];

/// The one-hot `α` of an architecture.
pub fn one_hot(arch: &Nb201Arch) -> Alphas {
    let mut a = [[0.0; NUM_OPS]; NUM_EDGES];
    for (e, op) in arch.ops().iter().enumerate() {
        a[e][op.index() as usize] = 1.0;
    }
    a
}

/// A uniformly random architecture (each edge's op uniform over the five).
pub fn random_arch<R: Rng + ?Sized>(rng: &mut R) -> Nb201Arch {
    let mut ops = [Nb201Op::None; NUM_EDGES];
    for o in ops.iter_mut() {
        *o = Nb201Op::from_index(rng.random_range(0..NUM_OPS as u8)).expect("op index < 5");
    }
    Nb201Arch::new(ops)
}

#[derive(Clone, Debug)]
struct Rcb {
    conv: Conv,
    bn: Bn,
}

impl Rcb {
    fn new(b: &mut Builder, cin: i64, cout: i64, k: i64, stride: i64) -> Self {
        let pad = if stride == 1 && k == 1 { 0 } else { 1 };
        Rcb {
            conv: b.conv(cin, cout, k, stride, pad, 1, 1, false),
            bn: b.bn(cout, true),
        }
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = f.relu(x);
        let y = f.conv(&self.conv, &y);
        f.bn(&self.bn, &y)
    }

    fn params(&self, out: &mut Vec<usize>) {
        out.push(self.conv.w);
        if let Some((w, b)) = self.bn.affine {
            out.push(w);
            out.push(b);
        }
    }

    fn buffers(&self, out: &mut Vec<usize>) {
        out.push(self.bn.running.0);
        out.push(self.bn.running.1);
    }
}

/// One edge's parametric ops.
#[derive(Clone, Debug)]
struct MixedEdge {
    conv3: Rcb,
    conv1: Rcb,
}

#[derive(Clone, Debug)]
struct Res {
    a: Rcb,
    b: Rcb,
    down: Conv,
}

#[derive(Clone, Debug)]
enum Item {
    Cell(Vec<MixedEdge>),
    Res(Box<Res>),
}

/// The NB201 supernet: structure plus parameters.
pub struct Nb201Supernet {
    stem: Conv,
    stem_bn: Bn,
    body: Vec<Item>,
    head_bn: Bn,
    classifier: Linear,
    /// The parameters.
    pub store: Store,
}

impl Nb201Supernet {
    /// A supernet with `c` channels in the first stage and `n` cells per stage, weights from
    /// `seed` (PyTorch's default initialisation).
    pub fn new(c: i64, n: usize, classes: i64, seed: u64, device: Device) -> Self {
        let mut b = Builder::new(seed, InitScheme::TorchDefault);
        let stem = b.conv(3, c, 3, 1, 1, 1, 1, false);
        let stem_bn = b.bn(c, true);
        let chans = [c, 2 * c, 4 * c];
        let mut body = Vec::new();
        for (s, &ch) in chans.iter().enumerate() {
            if s > 0 {
                let cin = chans[s - 1];
                body.push(Item::Res(Box::new(Res {
                    a: Rcb::new(&mut b, cin, ch, 3, 2),
                    b: Rcb::new(&mut b, ch, ch, 3, 1),
                    down: b.conv(cin, ch, 1, 1, 0, 1, 1, false),
                })));
            }
            for _ in 0..n {
                let edges = (0..NUM_EDGES)
                    .map(|_| MixedEdge {
                        conv3: Rcb::new(&mut b, ch, ch, 3, 1),
                        conv1: Rcb::new(&mut b, ch, ch, 1, 1),
                    })
                    .collect();
                body.push(Item::Cell(edges));
            }
        }
        let head_bn = b.bn(4 * c, true);
        let classifier = b.linear(4 * c, classes);
        Nb201Supernet {
            stem,
            stem_bn,
            body,
            head_bn,
            classifier,
            store: b.finish(device),
        }
    }

    fn cell(f: &mut Fwd, edges: &[MixedEdge], alphas: &Alphas, x: &Tensor) -> Tensor {
        let mut nodes: Vec<Tensor> = vec![x.shallow_clone()];
        for j in 2..=4u8 {
            let mut acc: Option<Tensor> = None;
            for (e, &(from, to)) in EDGE_LIST.iter().enumerate() {
                if to != j {
                    continue;
                }
                let inp = &nodes[(from - 1) as usize];
                let mut edge_out: Option<Tensor> = None;
                for op in Nb201Op::ALL {
                    let a = alphas[e][op.index() as usize];
                    if a == 0.0 || op == Nb201Op::None {
                        continue;
                    }
                    let y = match op {
                        Nb201Op::SkipConnect => inp.shallow_clone(),
                        Nb201Op::AvgPool3x3 => f.avg_pool(inp, 3, 1, 1, false),
                        Nb201Op::NorConv3x3 => edges[e].conv3.forward(f, inp),
                        Nb201Op::NorConv1x1 => edges[e].conv1.forward(f, inp),
                        Nb201Op::None => unreachable!("skipped above"),
                    };
                    let y = if a == 1.0 { y } else { y * a as f64 };
                    edge_out = Some(match edge_out {
                        None => y,
                        Some(s) => s + y,
                    });
                }
                // Only the zero op (or nothing) is on: NASLib's `x * 0`.
                let y = edge_out.unwrap_or_else(|| inp * 0.0);
                acc = Some(match acc {
                    None => y,
                    Some(s) => s + y,
                });
            }
            nodes.push(acc.expect("every NB201 node has incoming edges"));
        }
        nodes.pop().expect("output node")
    }

    /// Logits of a batch under `alphas`; BN in train mode (batch statistics) unless
    /// `bn_eval`.
    pub fn forward(&self, x: &Tensor, alphas: &Alphas, bn_eval: bool) -> Tensor {
        let mut f = Fwd::new(&self.store, true, Trace::default());
        f.bn_eval = bn_eval;
        let y = f.conv(&self.stem, x);
        let mut y = f.bn(&self.stem_bn, &y);
        for item in &self.body {
            y = match item {
                Item::Cell(edges) => Self::cell(&mut f, edges, alphas, &y),
                Item::Res(r) => {
                    let z = r.a.forward(&mut f, &y);
                    let z = r.b.forward(&mut f, &z);
                    let s = f.avg_pool(&y, 2, 2, 0, true);
                    f.conv(&r.down, &s) + z
                }
            };
        }
        let y = f.bn(&self.head_bn, &y);
        let y = f.relu(&y);
        let y = f.global_pool(&y, true);
        f.linear(&self.classifier, &y)
    }

    /// Which parameters a forward under `alphas` uses (mask over `store.params`).
    pub fn active_params(&self, alphas: &Alphas) -> Vec<bool> {
        let mut idx = Vec::new();
        self.walk(alphas, &mut idx, &mut Vec::new());
        let mut mask = vec![false; self.store.params.len()];
        for i in idx {
            mask[i] = true;
        }
        mask
    }

    /// Parameter and buffer indices in the order the stand-alone network of `alphas`'s
    /// architecture creates them (every op with a non-zero `α`).
    fn walk(&self, alphas: &Alphas, p: &mut Vec<usize>, bufs: &mut Vec<usize>) {
        p.push(self.stem.w);
        let (w, b) = self.stem_bn.affine.expect("affine stem BN");
        p.extend([w, b]);
        bufs.extend([self.stem_bn.running.0, self.stem_bn.running.1]);
        for item in &self.body {
            match item {
                Item::Res(r) => {
                    r.a.params(p);
                    r.a.buffers(bufs);
                    r.b.params(p);
                    r.b.buffers(bufs);
                    p.push(r.down.w);
                }
                Item::Cell(edges) => {
                    for (e, edge) in edges.iter().enumerate() {
                        // The stand-alone network creates the edge's op in edge order.
                        for (op, rcb) in [
                            (Nb201Op::NorConv3x3, &edge.conv3),
                            (Nb201Op::NorConv1x1, &edge.conv1),
                        ] {
                            if alphas[e][op.index() as usize] != 0.0 {
                                rcb.params(p);
                                rcb.buffers(bufs);
                            }
                        }
                    }
                }
            }
        }
        let (w, b) = self.head_bn.affine.expect("affine head BN");
        p.extend([w, b]);
        bufs.extend([self.head_bn.running.0, self.head_bn.running.1]);
        p.push(self.classifier.w);
        p.push(self.classifier.b.expect("classifier bias"));
    }

    /// Copies of the supernet's weights (parameters, BN buffers) on `arch`'s path, in the
    /// order `naspred_nets::nb201::Nb201Net::build` creates them for the same `c` and `n`:
    /// put them into a stand-alone network's [`Store`] to get the network the one-hot
    /// supernet computes.
    pub fn standalone_store(&self, arch: &Nb201Arch) -> (Vec<Tensor>, Vec<Tensor>) {
        let (mut p, mut b) = (Vec::new(), Vec::new());
        self.walk(&one_hot(arch), &mut p, &mut b);
        let params = p
            .iter()
            .map(|&i| self.store.params[i].detach().copy().set_requires_grad(true))
            .collect();
        let bufs = b.iter().map(|&i| self.store.buffers[i].copy()).collect();
        (params, bufs)
    }
}
