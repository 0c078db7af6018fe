//! The NAS-Bench-201 weight-sharing supernet behind the study's one-shot and random-sampling
//! weight-sharing predictors (spec §1.6): the TinyNetwork macro skeleton
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
//! pooling (`count_include_pad = False`), identity, zero. The macro skeleton, the residual blocks
//! and the cell's node sums are `naspred_nets::nb201`'s ([`Skeleton`], [`cell_forward`]), shared
//! with the stand-alone network.

use naspred_nets::layers::{Builder, Fwd, InitScheme, Store};
use naspred_nets::nb201::{cell_forward, BodyItem, ReluConvBn, Skeleton};
use naspred_nets::Trace;
use naspred_spaces::nb201::{Nb201Arch, Nb201Op, NUM_EDGES, NUM_OPS};
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

/// One edge's parametric ops.
#[derive(Clone, Debug)]
struct MixedEdge {
    conv3: ReluConvBn,
    conv1: ReluConvBn,
}

/// The NB201 supernet: TinyNetwork's [`Skeleton`] with cells of [`NUM_EDGES`] mixed edges, plus
/// the parameters.
pub struct Nb201Supernet {
    skeleton: Skeleton<Vec<MixedEdge>>,
    /// The parameters.
    pub store: Store,
}

impl Nb201Supernet {
    /// A supernet with `c` channels in the first stage and `n` cells per stage, weights from
    /// `seed` (PyTorch's default initialisation).
    pub fn new(c: i64, n: usize, classes: i64, seed: u64, device: Device) -> Self {
        let mut b = Builder::new(seed, InitScheme::TorchDefault);
        let skeleton = Skeleton::build(&mut b, c, n, classes, |b, ch| {
            (0..NUM_EDGES)
                .map(|_| MixedEdge {
                    conv3: ReluConvBn::new(b, ch, ch, 3, 1),
                    conv1: ReluConvBn::new(b, ch, ch, 1, 1),
                })
                .collect()
        });
        Nb201Supernet {
            skeleton,
            store: b.finish(device),
        }
    }

    fn cell(f: &mut Fwd, edges: &[MixedEdge], alphas: &Alphas, x: &Tensor) -> Tensor {
        cell_forward(x, |e, inp| {
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
            edge_out.unwrap_or_else(|| inp * 0.0)
        })
    }

    /// Logits of a batch under `alphas`; BN in train mode (batch statistics) unless
    /// `bn_eval`.
    pub fn forward(&self, x: &Tensor, alphas: &Alphas, bn_eval: bool) -> Tensor {
        let mut f = Fwd::new(&self.store, true, Trace::default());
        f.bn_eval = bn_eval;
        self.skeleton
            .forward(&mut f, x, |f, edges, y| Self::cell(f, edges, alphas, y))
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
        let sk = &self.skeleton;
        p.push(sk.stem.w);
        let (w, b) = sk.stem_bn.affine.expect("affine stem BN");
        p.extend([w, b]);
        bufs.extend([sk.stem_bn.running.0, sk.stem_bn.running.1]);
        for item in &sk.body {
            match item {
                BodyItem::Res(r) => {
                    r.a.push_params(p);
                    r.a.push_buffers(bufs);
                    r.b.push_params(p);
                    r.b.push_buffers(bufs);
                    p.push(r.down.w);
                }
                BodyItem::Cell(edges) => {
                    for (e, edge) in edges.iter().enumerate() {
                        // The stand-alone network creates the edge's op in edge order.
                        for (op, rcb) in [
                            (Nb201Op::NorConv3x3, &edge.conv3),
                            (Nb201Op::NorConv1x1, &edge.conv1),
                        ] {
                            if alphas[e][op.index() as usize] != 0.0 {
                                rcb.push_params(p);
                                rcb.push_buffers(bufs);
                            }
                        }
                    }
                }
            }
        }
        let (w, b) = sk.head_bn.affine.expect("affine head BN");
        p.extend([w, b]);
        bufs.extend([sk.head_bn.running.0, sk.head_bn.running.1]);
        p.push(sk.classifier.w);
        p.push(sk.classifier.b.expect("classifier bias"));
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
