//! NAS-Bench-201's TinyNetwork as NASLib builds it (`search_spaces/nasbench201/graph.py`):
//! stem Conv3x3(3 -> C) + BN, three stages of `N` cells at C, 2C, 4C channels separated by
//! ResNet basic blocks of stride 2, head BN + ReLU, global average pooling and a linear
//! classifier.
//!
//! Cell edge ops: `nor_conv_kxk` = ReLU, Conv (no bias), BN (affine); `avg_pool_3x3` = 3x3
//! average pooling, stride 1, padding 1, `count_include_pad = False`; `skip_connect` = identity;
//! `none` = zero (`x * 0`, as NASLib). Each node is the sum of its incoming edges (NASLib edge order
//! 1->2, 1->3, 1->4, 2->3, 2->4, 3->4; node 1 is the cell input, node 4 its output). The
//! ResNet block: ReLU-Conv3x3(stride 2)-BN, ReLU-Conv3x3-BN, plus the shortcut
//! AvgPool2x2(stride 2) + Conv1x1 (no bias). Parameters and FLOPs of this network equal the
//! values in NASLib's zero-cost benchmark (BN affine everywhere).

use naspred_spaces::nb201::{Nb201Arch, Nb201Op, EDGE_LIST};
use tch::{Device, Tensor};

use crate::layers::{Bn, Builder, Conv, Fwd, InitScheme, Linear, Store};

/// Configuration of the NB201 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nb201Config {
    /// Channels of the first stage (16).
    pub c: i64,
    /// Cells per stage (5).
    pub n: usize,
    /// Output classes (10 / 100 / 120).
    pub classes: i64,
}

impl Default for Nb201Config {
    fn default() -> Self {
        Nb201Config {
            c: 16,
            n: 5,
            classes: 10,
        }
    }
}

/// ReLU, Conv (no bias), BN (affine): NB201's `ReLUConvBN`, also the two halves of its ResNet
/// block.
#[derive(Clone, Debug)]
pub struct ReluConvBn {
    /// The convolution.
    pub conv: Conv,
    /// The batch norm after it.
    pub bn: Bn,
}

impl ReluConvBn {
    /// A `k x k` block from `cin` to `cout` channels (padding 1, except 0 for a 1x1 of stride 1).
    pub fn new(b: &mut Builder, cin: i64, cout: i64, k: i64, stride: i64) -> Self {
        let pad = if stride == 1 && k == 1 { 0 } else { 1 };
        ReluConvBn {
            conv: b.conv(cin, cout, k, stride, pad, 1, 1, false),
            bn: b.bn(cout, true),
        }
    }

    /// `BN(Conv(ReLU(x)))`.
    pub fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = f.relu(x);
        let y = f.conv(&self.conv, &y);
        f.bn(&self.bn, &y)
    }

    /// Appends the indices of its parameters (conv weight, BN weight and bias) in creation
    /// order.
    pub fn push_params(&self, out: &mut Vec<usize>) {
        out.push(self.conv.w);
        if let Some((w, b)) = self.bn.affine {
            out.push(w);
            out.push(b);
        }
    }

    /// Appends the indices of its BN running mean and variance.
    pub fn push_buffers(&self, out: &mut Vec<usize>) {
        out.push(self.bn.running.0);
        out.push(self.bn.running.1);
    }
}

/// The residual block between stages: ReLU-Conv3x3(stride 2)-BN, ReLU-Conv3x3-BN, plus the
/// shortcut AvgPool2x2(stride 2) + Conv1x1.
#[derive(Clone, Debug)]
pub struct ResBlock {
    /// First half (stride 2).
    pub a: ReluConvBn,
    /// Second half.
    pub b: ReluConvBn,
    /// Shortcut 1x1 convolution (no bias).
    pub down: Conv,
}

impl ResBlock {
    fn new(b: &mut Builder, cin: i64, cout: i64) -> Self {
        ResBlock {
            a: ReluConvBn::new(b, cin, cout, 3, 2),
            b: ReluConvBn::new(b, cout, cout, 3, 1),
            down: b.conv(cin, cout, 1, 1, 0, 1, 1, false),
        }
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = self.a.forward(f, x);
        let y = self.b.forward(f, &y);
        let r = f.avg_pool(x, 2, 2, 0, true);
        let r = f.conv(&self.down, &r);
        r + y
    }
}

/// One element of the body: a cell or a residual block.
#[derive(Clone, Debug)]
pub enum BodyItem<C> {
    /// A cell (of whatever kind the skeleton carries).
    Cell(C),
    /// A residual block between stages.
    Res(Box<ResBlock>),
}

/// TinyNetwork's macro skeleton around cells of type `C`: stem Conv3x3 + BN, three stages of
/// `n` cells at C, 2C, 4C channels separated by [`ResBlock`]s, head BN + ReLU, global average
/// pooling, linear classifier. [`Nb201Net`] fills it with one architecture's cells; the
/// weight-sharing supernet (`naspred-train`) with cells holding every op. Both create their
/// parameters in the same order, so a supernet path maps onto a stand-alone network.
#[derive(Clone, Debug)]
pub struct Skeleton<C> {
    /// Stem convolution.
    pub stem: Conv,
    /// Stem batch norm.
    pub stem_bn: Bn,
    /// Cells and residual blocks in forward order.
    pub body: Vec<BodyItem<C>>,
    /// Head batch norm.
    pub head_bn: Bn,
    /// Classifier.
    pub classifier: Linear,
}

impl<C> Skeleton<C> {
    /// Creates the parameters in NASLib's order; `make_cell(builder, channels)` creates each
    /// cell's.
    pub fn build(
        b: &mut Builder,
        c: i64,
        n: usize,
        classes: i64,
        mut make_cell: impl FnMut(&mut Builder, i64) -> C,
    ) -> Self {
        let stem = b.conv(3, c, 3, 1, 1, 1, 1, false);
        let stem_bn = b.bn(c, true);
        let mut body = Vec::new();
        let chans = [c, 2 * c, 4 * c];
        for (s, &ch) in chans.iter().enumerate() {
            if s > 0 {
                body.push(BodyItem::Res(Box::new(ResBlock::new(b, chans[s - 1], ch))));
            }
            for _ in 0..n {
                body.push(BodyItem::Cell(make_cell(b, ch)));
            }
        }
        let head_bn = b.bn(4 * c, true);
        let classifier = b.linear(4 * c, classes);
        Skeleton {
            stem,
            stem_bn,
            body,
            head_bn,
            classifier,
        }
    }

    /// Logits for a `[B, 3, H, W]` batch; `cell(f, cell, x)` computes a cell.
    pub fn forward(
        &self,
        f: &mut Fwd,
        x: &Tensor,
        mut cell: impl FnMut(&mut Fwd, &C, &Tensor) -> Tensor,
    ) -> Tensor {
        let y = f.conv(&self.stem, x);
        let mut y = f.bn(&self.stem_bn, &y);
        for item in &self.body {
            y = match item {
                BodyItem::Cell(c) => cell(f, c, &y),
                BodyItem::Res(r) => r.forward(f, &y),
            };
        }
        let y = f.bn(&self.head_bn, &y);
        let y = f.relu(&y);
        let y = f.global_pool(&y, true);
        f.linear(&self.classifier, &y)
    }
}

/// A cell's output: node 1 is `x`, each later node the sum of `edge(e, input)` over its
/// incoming edges `e` (in [`EDGE_LIST`] order), node 4 the output.
pub fn cell_forward(x: &Tensor, mut edge: impl FnMut(usize, &Tensor) -> Tensor) -> Tensor {
    let mut nodes: Vec<Tensor> = vec![x.shallow_clone()];
    for j in 2..=4u8 {
        let mut acc: Option<Tensor> = None;
        for (e, &(from, to)) in EDGE_LIST.iter().enumerate() {
            if to != j {
                continue;
            }
            let y = edge(e, &nodes[(from - 1) as usize]);
            acc = Some(match acc {
                None => y,
                Some(a) => a + y,
            });
        }
        nodes.push(acc.expect("every NB201 node has incoming edges"));
    }
    nodes.pop().expect("output node")
}

#[derive(Clone, Debug)]
enum EdgeOp {
    Skip,
    Pool,
    Conv(ReluConvBn),
}

/// One architecture's cell: one op per NASLib edge, `None` for the zero op.
#[derive(Clone, Debug)]
pub struct Cell {
    edges: Vec<Option<EdgeOp>>,
}

impl Cell {
    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        cell_forward(x, |e, inp| match &self.edges[e] {
            // NASLib's Zero op: `x.mul(0.)` (stays in the graph with a zero gradient).
            None => inp * 0.0,
            Some(EdgeOp::Skip) => inp.shallow_clone(),
            Some(EdgeOp::Pool) => f.avg_pool(inp, 3, 1, 1, false),
            Some(EdgeOp::Conv(c)) => c.forward(f, inp),
        })
    }
}

/// The NB201 network of one architecture.
#[derive(Clone, Debug)]
pub struct Nb201Net {
    skeleton: Skeleton<Cell>,
}

impl Nb201Net {
    /// Builds the network and its parameters (seeded, PyTorch's default initialisation).
    pub fn build(arch: &Nb201Arch, cfg: Nb201Config, seed: u64, device: Device) -> (Self, Store) {
        let mut b = Builder::new(seed, InitScheme::TorchDefault);
        let skeleton = Skeleton::build(&mut b, cfg.c, cfg.n, cfg.classes, |b, ch| {
            let edges = arch
                .ops()
                .iter()
                .map(|op| match op {
                    Nb201Op::None => None,
                    Nb201Op::SkipConnect => Some(EdgeOp::Skip),
                    Nb201Op::AvgPool3x3 => Some(EdgeOp::Pool),
                    Nb201Op::NorConv3x3 => Some(EdgeOp::Conv(ReluConvBn::new(b, ch, ch, 3, 1))),
                    Nb201Op::NorConv1x1 => Some(EdgeOp::Conv(ReluConvBn::new(b, ch, ch, 1, 1))),
                })
                .collect();
            Cell { edges }
        });
        (Nb201Net { skeleton }, b.finish(device))
    }

    /// Logits for a `[B, 3, H, W]` batch.
    pub fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        self.skeleton.forward(f, x, |f, c, y| c.forward(f, y))
    }
}
