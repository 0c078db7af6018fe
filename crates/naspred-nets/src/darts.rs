//! The DARTS network as NASLib's zero-cost code builds it: the graph-based
//! `NasBench301SearchSpace` of `search_spaces/nasbench301/graph.py` with a genotype's ops on its
//! cell edges (the model NASLib's published NAS-Bench-Suite-Zero DARTS scores, `params` and
//! `flops` included, were computed on). C = 32 initial channels, 8 cells, stem Conv3x3(3 -> 3C)
//! and BN, reduction cells at layers 2 and 5 (channels double), preprocessing ReLU-Conv1x1-BN
//! (FactorizedReduce after a reduction cell), each cell concatenating its 4 intermediate nodes,
//! no auxiliary head, drop-path 0, global average pooling (an `AdaptiveAvgPool2d` module) and a
//! linear classifier.
//!
//! Ops (NASLib's `core/primitives.py`): `sep_conv_kxk` = (ReLU, depthwise kxk, pointwise 1x1,
//! BN) twice (the first with the stride); `dil_conv_kxk` = ReLU, depthwise kxk dilation 2,
//! pointwise 1x1, BN; pools 3x3 with padding 1 (average without counting the padding)
//! **followed by a BN**; `skip_connect` = identity, or FactorizedReduce when the stride is 2.
//! Every BN inside a cell op is **non-affine** (`affine=False`, running statistics kept); the
//! stem and the preprocessing BNs are affine. PyTorch's default initialisation.
//!
//! This differs from the DARTS repository's NetworkCIFAR (NASLib's `build_darts_net.py`, used
//! by the paper's `ZeroCostV2` runner), whose cell-op BNs are affine and whose pools carry no
//! BN: that network has about 1 % more parameters and FLOPs than NASLib's published values
//! (1.2195 M vs 1.2049 M parameters, 204.3 vs 202.8 MFLOPs on the sample's first genotype);
//! this one equals them (`tests/networks.rs`).

use naspred_spaces::darts::{DartsArch, DartsCell, DartsOp};
use tch::{Device, Tensor};

use crate::layers::{Bn, Builder, Conv, Fwd, InitScheme, Linear, Store};

#[derive(Clone, Debug)]
struct ReluConvBn {
    conv: Conv,
    bn: Bn,
}

impl ReluConvBn {
    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = f.relu(x);
        let y = f.conv(&self.conv, &y);
        f.bn(&self.bn, &y)
    }
}

#[derive(Clone, Debug)]
struct FactorizedReduce {
    c1: Conv,
    c2: Conv,
    bn: Bn,
}

impl FactorizedReduce {
    fn new(b: &mut Builder, cin: i64, cout: i64, affine: bool) -> Self {
        FactorizedReduce {
            c1: b.conv(cin, cout / 2, 1, 2, 0, 1, 1, false),
            c2: b.conv(cin, cout / 2, 1, 2, 0, 1, 1, false),
            bn: b.bn(cout, affine),
        }
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let x = f.relu(x);
        let a = f.conv(&self.c1, &x);
        let shifted = x
            .narrow(2, 1, x.size()[2] - 1)
            .narrow(3, 1, x.size()[3] - 1);
        let b = f.conv(&self.c2, &shifted);
        let y = Tensor::cat(&[a, b], 1);
        f.bn(&self.bn, &y)
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Max pooling (stride), then a non-affine BN.
    MaxPool(i64, Bn),
    /// Average pooling (stride), then a non-affine BN.
    AvgPool(i64, Bn),
    Identity,
    Reduce(Box<FactorizedReduce>),
    /// (dw, pw, bn) stages: one for dil conv, two for sep conv.
    Stacked(Vec<(Conv, Conv, Bn)>),
}

impl Op {
    fn new(b: &mut Builder, op: DartsOp, c: i64, stride: i64) -> Op {
        let dw_pw = |b: &mut Builder, k: i64, s: i64, pad: i64, dil: i64| {
            (
                b.conv(c, c, k, s, pad, dil, c, false),
                b.conv(c, c, 1, 1, 0, 1, 1, false),
                b.bn(c, false),
            )
        };
        match op {
            DartsOp::MaxPool3x3 => Op::MaxPool(stride, b.bn(c, false)),
            DartsOp::AvgPool3x3 => Op::AvgPool(stride, b.bn(c, false)),
            DartsOp::SkipConnect if stride == 1 => Op::Identity,
            DartsOp::SkipConnect => Op::Reduce(Box::new(FactorizedReduce::new(b, c, c, false))),
            DartsOp::SepConv3x3 => {
                let s1 = dw_pw(b, 3, stride, 1, 1);
                let s2 = dw_pw(b, 3, 1, 1, 1);
                Op::Stacked(vec![s1, s2])
            }
            DartsOp::SepConv5x5 => {
                let s1 = dw_pw(b, 5, stride, 2, 1);
                let s2 = dw_pw(b, 5, 1, 2, 1);
                Op::Stacked(vec![s1, s2])
            }
            DartsOp::DilConv3x3 => Op::Stacked(vec![dw_pw(b, 3, stride, 2, 2)]),
            DartsOp::DilConv5x5 => Op::Stacked(vec![dw_pw(b, 5, stride, 4, 2)]),
        }
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        match self {
            Op::MaxPool(s, bn) => {
                let y = f.max_pool(x, 3, *s, 1);
                f.bn(bn, &y)
            }
            Op::AvgPool(s, bn) => {
                let y = f.avg_pool(x, 3, *s, 1, false);
                f.bn(bn, &y)
            }
            Op::Identity => x.shallow_clone(),
            Op::Reduce(r) => r.forward(f, x),
            Op::Stacked(stages) => {
                let mut y = x.shallow_clone();
                for (dw, pw, bn) in stages {
                    y = f.relu(&y);
                    y = f.conv(dw, &y);
                    y = f.conv(pw, &y);
                    y = f.bn(bn, &y);
                }
                y
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Pre {
    Rcb(ReluConvBn),
    Reduce(FactorizedReduce),
}

#[derive(Clone, Debug)]
struct Cell {
    pre0: Pre,
    pre1: ReluConvBn,
    ops: Vec<(u8, Op)>,
}

impl Cell {
    fn new(
        b: &mut Builder,
        genotype: &DartsCell,
        c_pp: i64,
        c_p: i64,
        c: i64,
        reduction: bool,
        reduction_prev: bool,
    ) -> Self {
        let pre0 = if reduction_prev {
            Pre::Reduce(FactorizedReduce::new(b, c_pp, c, true))
        } else {
            Pre::Rcb(ReluConvBn {
                conv: b.conv(c_pp, c, 1, 1, 0, 1, 1, false),
                bn: b.bn(c, true),
            })
        };
        let pre1 = ReluConvBn {
            conv: b.conv(c_p, c, 1, 1, 0, 1, 1, false),
            bn: b.bn(c, true),
        };
        let ops = genotype
            .pairs()
            .iter()
            .map(|p| {
                let stride = if reduction && p.input < 2 { 2 } else { 1 };
                (p.input, Op::new(b, p.op, c, stride))
            })
            .collect();
        Cell { pre0, pre1, ops }
    }

    fn forward(&self, f: &mut Fwd, s0: &Tensor, s1: &Tensor) -> Tensor {
        let s0 = match &self.pre0 {
            Pre::Rcb(r) => r.forward(f, s0),
            Pre::Reduce(r) => r.forward(f, s0),
        };
        let s1 = self.pre1.forward(f, s1);
        let mut states = vec![s0, s1];
        for pair in self.ops.chunks(2) {
            let h1 = pair[0].1.forward(f, &states[pair[0].0 as usize]);
            let h2 = pair[1].1.forward(f, &states[pair[1].0 as usize]);
            states.push(h1 + h2);
        }
        Tensor::cat(&states[2..], 1)
    }
}

/// The DARTS network of one genotype, as NASLib's graph-based search space builds it.
#[derive(Clone, Debug)]
pub struct DartsNet {
    stem: Conv,
    stem_bn: Bn,
    cells: Vec<Cell>,
    classifier: Linear,
}

impl DartsNet {
    /// Initial channels.
    pub const C: i64 = 32;
    /// Cells.
    pub const LAYERS: usize = 8;

    /// Builds the network.
    pub fn build(arch: &DartsArch, classes: i64, seed: u64, device: Device) -> (Self, Store) {
        let mut b = Builder::new(seed, InitScheme::TorchDefault);
        let c = Self::C;
        let mut c_curr = 3 * c;
        let stem = b.conv(3, c_curr, 3, 1, 1, 1, 1, false);
        let stem_bn = b.bn(c_curr, true);
        let (mut c_pp, mut c_p) = (c_curr, c_curr);
        c_curr = c;
        let mut reduction_prev = false;
        let mut cells = Vec::new();
        for i in 0..Self::LAYERS {
            let reduction = i == Self::LAYERS / 3 || i == 2 * Self::LAYERS / 3;
            if reduction {
                c_curr *= 2;
            }
            let g = if reduction {
                arch.reduce()
            } else {
                arch.normal()
            };
            cells.push(Cell::new(
                &mut b,
                g,
                c_pp,
                c_p,
                c_curr,
                reduction,
                reduction_prev,
            ));
            reduction_prev = reduction;
            c_pp = c_p;
            c_p = 4 * c_curr;
        }
        let classifier = b.linear(c_p, classes);
        (
            DartsNet {
                stem,
                stem_bn,
                cells,
                classifier,
            },
            b.finish(device),
        )
    }

    /// Logits for a `[B, 3, H, W]` batch.
    pub fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let s = f.conv(&self.stem, x);
        let s = f.bn(&self.stem_bn, &s);
        let mut s0 = s.shallow_clone();
        let mut s1 = s;
        for cell in &self.cells {
            let s2 = cell.forward(f, &s0, &s1);
            s0 = s1;
            s1 = s2;
        }
        let y = f.global_pool(&s1, true);
        f.linear(&self.classifier, &y)
    }
}
