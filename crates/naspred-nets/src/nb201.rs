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

#[derive(Clone, Debug)]
struct ReluConvBn {
    conv: Conv,
    bn: Bn,
}

impl ReluConvBn {
    fn new(b: &mut Builder, cin: i64, cout: i64, k: i64, stride: i64) -> Self {
        let pad = if stride == 1 && k == 1 { 0 } else { 1 };
        ReluConvBn {
            conv: b.conv(cin, cout, k, stride, pad, 1, 1, false),
            bn: b.bn(cout, true),
        }
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = f.relu(x);
        let y = f.conv(&self.conv, &y);
        f.bn(&self.bn, &y)
    }
}

#[derive(Clone, Debug)]
enum EdgeOp {
    Skip,
    Pool,
    Conv(ReluConvBn),
}

#[derive(Clone, Debug)]
struct Cell {
    /// One op per NASLib edge; `None` for the zero op.
    edges: Vec<Option<EdgeOp>>,
}

impl Cell {
    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let mut nodes: Vec<Tensor> = vec![x.shallow_clone()];
        for j in 2..=4u8 {
            let mut acc: Option<Tensor> = None;
            for (e, &(from, to)) in EDGE_LIST.iter().enumerate() {
                if to != j {
                    continue;
                }
                let inp = &nodes[(from - 1) as usize];
                let y = match &self.edges[e] {
                    // NASLib's Zero op: `x.mul(0.)` (stays in the graph with a zero gradient).
                    None => inp * 0.0,
                    Some(EdgeOp::Skip) => inp.shallow_clone(),
                    Some(EdgeOp::Pool) => f.avg_pool(inp, 3, 1, 1, false),
                    Some(EdgeOp::Conv(c)) => c.forward(f, inp),
                };
                acc = Some(match acc {
                    None => y,
                    Some(a) => a + y,
                });
            }
            nodes.push(acc.expect("every NB201 node has incoming edges"));
        }
        nodes.pop().expect("output node")
    }
}

#[derive(Clone, Debug)]
struct ResBlock {
    a: ReluConvBn,
    b: ReluConvBn,
    down: Conv,
}

impl ResBlock {
    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = self.a.forward(f, x);
        let y = self.b.forward(f, &y);
        let r = f.avg_pool(x, 2, 2, 0, true);
        let r = f.conv(&self.down, &r);
        r + y
    }
}

#[derive(Clone, Debug)]
enum Item {
    Cell(Cell),
    Res(Box<ResBlock>),
}

/// The NB201 network of one architecture.
#[derive(Clone, Debug)]
pub struct Nb201Net {
    stem: Conv,
    stem_bn: Bn,
    body: Vec<Item>,
    head_bn: Bn,
    classifier: Linear,
}

impl Nb201Net {
    /// Builds the network and its parameters (seeded, PyTorch's default initialisation).
    pub fn build(arch: &Nb201Arch, cfg: Nb201Config, seed: u64, device: Device) -> (Self, Store) {
        let mut b = Builder::new(seed, InitScheme::TorchDefault);
        let c = cfg.c;
        let stem = b.conv(3, c, 3, 1, 1, 1, 1, false);
        let stem_bn = b.bn(c, true);
        let mut body = Vec::new();
        let chans = [c, 2 * c, 4 * c];
        for (s, &ch) in chans.iter().enumerate() {
            if s > 0 {
                let cin = chans[s - 1];
                body.push(Item::Res(Box::new(ResBlock {
                    a: ReluConvBn::new(&mut b, cin, ch, 3, 2),
                    b: ReluConvBn::new(&mut b, ch, ch, 3, 1),
                    down: b.conv(cin, ch, 1, 1, 0, 1, 1, false),
                })));
            }
            for _ in 0..cfg.n {
                let edges = arch
                    .ops()
                    .iter()
                    .map(|op| match op {
                        Nb201Op::None => None,
                        Nb201Op::SkipConnect => Some(EdgeOp::Skip),
                        Nb201Op::AvgPool3x3 => Some(EdgeOp::Pool),
                        Nb201Op::NorConv3x3 => {
                            Some(EdgeOp::Conv(ReluConvBn::new(&mut b, ch, ch, 3, 1)))
                        }
                        Nb201Op::NorConv1x1 => {
                            Some(EdgeOp::Conv(ReluConvBn::new(&mut b, ch, ch, 1, 1)))
                        }
                    })
                    .collect();
                body.push(Item::Cell(Cell { edges }));
            }
        }
        let head_bn = b.bn(4 * c, true);
        let classifier = b.linear(4 * c, cfg.classes);
        (
            Nb201Net {
                stem,
                stem_bn,
                body,
                head_bn,
                classifier,
            },
            b.finish(device),
        )
    }

    /// Logits for a `[B, 3, H, W]` batch.
    pub fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = f.conv(&self.stem, x);
        let mut y = f.bn(&self.stem_bn, &y);
        for item in &self.body {
            y = match item {
                Item::Cell(c) => c.forward(f, &y),
                Item::Res(r) => r.forward(f, &y),
            };
        }
        let y = f.bn(&self.head_bn, &y);
        let y = f.relu(&y);
        let y = f.global_pool(&y, true);
        f.linear(&self.classifier, &y)
    }
}
