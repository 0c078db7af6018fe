//! NAS-Bench-101's network (NASLib's `predictors/utils/models/nasbench1.py`, after the
//! official nasbench model): stem Conv3x3-BN-ReLU (3 -> 128), 3 stacks of 3 cells, 2x2 max
//! pooling and channel doubling between stacks (128, 256, 512), global mean pooling, linear
//! classifier.
//!
//! A cell works on the pruned spec: vertex channels by nasbench's rule (the output channels
//! split among the vertices feeding the output, remainders to the first ones; other interior
//! vertices take the max of their successors); inputs of an interior vertex are summed (other
//! vertices truncated to its channels, the cell input projected by a 1x1 Conv-BN-ReLU); the
//! output concatenates the vertices feeding it, plus the projected input when connected.
//! Initialisation: conv `N(0, sqrt(2 / (k * k * out)))`, BN weight 1 / bias 0, linear
//! `N(0, 0.01)`, zero biases.

use naspred_spaces::nb101::{Nb101Arch, Nb101Op};
use tch::{Device, Tensor};

use crate::layers::{Bn, Builder, Conv, Fwd, InitScheme, Linear, Store};
use crate::NetError;

#[derive(Clone, Debug)]
struct ConvBnRelu {
    conv: Conv,
    bn: Bn,
}

impl ConvBnRelu {
    fn new(b: &mut Builder, cin: i64, cout: i64, k: i64) -> Self {
        let pad = if k == 3 { 1 } else { 0 };
        ConvBnRelu {
            conv: b.conv(cin, cout, k, 1, pad, 1, 1, false),
            bn: b.bn(cout, true),
        }
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let y = f.conv(&self.conv, x);
        let y = f.bn(&self.bn, &y);
        f.relu(&y)
    }
}

#[derive(Clone, Debug)]
enum VertexOp {
    Conv(ConvBnRelu),
    MaxPool,
}

#[derive(Clone, Debug)]
struct Cell {
    n: usize,
    adj: Vec<Vec<bool>>,
    channels: Vec<i64>,
    ops: Vec<Option<VertexOp>>,
    input_proj: Vec<Option<ConvBnRelu>>,
}

/// Why a (pruned) NB101 cell has no network (the reason of a [`NetError::InvalidArch`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
enum CellError {
    /// An interior vertex that nasbench's channel rule leaves without channels.
    #[error("vertex {0} gets no channels")]
    NoChannels(usize),
    /// An interior vertex whose op is not a convolution or pooling.
    #[error("vertex {vertex} has op {op}")]
    InteriorOp {
        /// The vertex.
        vertex: usize,
        /// Its op's name.
        op: &'static str,
    },
}

/// nasbench's `ComputeVertexChannels`.
fn vertex_channels(cin: i64, cout: i64, adj: &[Vec<bool>]) -> Result<Vec<i64>, CellError> {
    let n = adj.len();
    let mut ch = vec![0i64; n];
    ch[0] = cin;
    ch[n - 1] = cout;
    if n == 2 {
        return Ok(ch);
    }
    let in_deg_out = (1..n).filter(|&s| adj[s][n - 1]).count() as i64;
    if in_deg_out == 0 {
        // Only the input feeds the output: interior vertices are pruned away already.
        return Ok(ch);
    }
    let interior = cout / in_deg_out;
    let mut correction = cout % in_deg_out;
    for v in 1..n - 1 {
        if adj[v][n - 1] {
            ch[v] = interior;
            if correction > 0 {
                ch[v] += 1;
                correction -= 1;
            }
        }
    }
    for v in (1..n.saturating_sub(2)).rev() {
        if !adj[v][n - 1] {
            for dst in v + 1..n - 1 {
                if adj[v][dst] {
                    ch[v] = ch[v].max(ch[dst]);
                }
            }
        }
        if ch[v] <= 0 {
            return Err(CellError::NoChannels(v));
        }
    }
    Ok(ch)
}

impl Cell {
    fn new(b: &mut Builder, arch: &Nb101Arch, cin: i64, cout: i64) -> Result<Self, CellError> {
        let n = arch.n();
        let adj: Vec<Vec<bool>> = (0..n)
            .map(|i| (0..n).map(|j| arch.edge(i, j)).collect())
            .collect();
        let channels = vertex_channels(cin, cout, &adj)?;
        let mut ops = vec![None];
        for (t, &c) in channels.iter().enumerate().take(n - 1).skip(1) {
            ops.push(Some(match arch.ops()[t] {
                Nb101Op::Conv3x3 => VertexOp::Conv(ConvBnRelu::new(b, c, c, 3)),
                Nb101Op::Conv1x1 => VertexOp::Conv(ConvBnRelu::new(b, c, c, 1)),
                Nb101Op::MaxPool3x3 => VertexOp::MaxPool,
                other => {
                    return Err(CellError::InteriorOp {
                        vertex: t,
                        op: other.name(),
                    })
                }
            }));
        }
        let mut input_proj = vec![None];
        for t in 1..n {
            input_proj.push(adj[0][t].then(|| ConvBnRelu::new(b, cin, channels[t], 1)));
        }
        Ok(Cell {
            n,
            adj,
            channels,
            ops,
            input_proj,
        })
    }

    fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let n = self.n;
        let mut tensors: Vec<Tensor> = vec![x.shallow_clone()];
        let mut concat: Vec<Tensor> = Vec::new();
        for t in 1..n - 1 {
            let mut acc: Option<Tensor> = None;
            for (src, tensor) in tensors.iter().enumerate().take(t).skip(1) {
                if self.adj[src][t] {
                    let c = self.channels[t];
                    let y = if tensor.size()[1] > c {
                        tensor.narrow(1, 0, c)
                    } else {
                        tensor.shallow_clone()
                    };
                    acc = Some(match acc {
                        None => y,
                        Some(a) => a + y,
                    });
                }
            }
            if let Some(p) = &self.input_proj[t] {
                let y = p.forward(f, x);
                acc = Some(match acc {
                    None => y,
                    Some(a) => a + y,
                });
            }
            let inp = acc.expect("pruned cells feed every vertex");
            let out = match self.ops[t].as_ref().expect("interior op") {
                VertexOp::Conv(c) => c.forward(f, &inp),
                VertexOp::MaxPool => f.max_pool(&inp, 3, 1, 1),
            };
            if self.adj[t][n - 1] {
                concat.push(out.shallow_clone());
            }
            tensors.push(out);
        }
        let proj = self.input_proj[n - 1].as_ref().map(|p| p.forward(f, x));
        if concat.is_empty() {
            return proj.expect("the input feeds the output");
        }
        let out = if concat.len() == 1 {
            concat.pop().expect("one tensor")
        } else {
            Tensor::cat(&concat, 1)
        };
        match proj {
            Some(p) => out + p,
            None => out,
        }
    }
}

#[derive(Clone, Debug)]
enum Layer {
    Cell(Box<Cell>),
    Pool,
}

/// The NB101 network of one cell.
#[derive(Clone, Debug)]
pub struct Nb101Net {
    stem: ConvBnRelu,
    layers: Vec<Layer>,
    classifier: Linear,
}

impl Nb101Net {
    /// Stem channels.
    pub const STEM: i64 = 128;
    /// Stacks.
    pub const STACKS: usize = 3;
    /// Cells per stack.
    pub const MODULES: usize = 3;

    /// Builds the network of the (pruned) cell.
    pub fn build(
        arch: &Nb101Arch,
        classes: i64,
        seed: u64,
        device: Device,
    ) -> Result<(Self, Store), NetError> {
        let invalid = |reason: String| NetError::InvalidArch {
            space: "nb101".into(),
            arch: format!("{arch:?}"),
            reason,
        };
        let cell = arch.pruned().map_err(|e| invalid(e.to_string()))?;
        let mut b = Builder::new(seed, InitScheme::Nb101);
        let stem = ConvBnRelu::new(&mut b, 3, Self::STEM, 3);
        let mut layers = Vec::new();
        let mut cin = Self::STEM;
        let mut cout = Self::STEM;
        for s in 0..Self::STACKS {
            if s > 0 {
                layers.push(Layer::Pool);
                cout *= 2;
            }
            for _ in 0..Self::MODULES {
                layers.push(Layer::Cell(Box::new(
                    Cell::new(&mut b, &cell, cin, cout).map_err(|e| invalid(e.to_string()))?,
                )));
                cin = cout;
            }
        }
        let classifier = b.linear(cout, classes);
        Ok((
            Nb101Net {
                stem,
                layers,
                classifier,
            },
            b.finish(device),
        ))
    }

    /// Logits for a `[B, 3, H, W]` batch.
    pub fn forward(&self, f: &mut Fwd, x: &Tensor) -> Tensor {
        let mut y = self.stem.forward(f, x);
        for l in &self.layers {
            y = match l {
                Layer::Cell(c) => c.forward(f, &y),
                Layer::Pool => f.max_pool(&y, 2, 2, 0),
            };
        }
        let y = f.global_pool(&y, false);
        f.linear(&self.classifier, &y)
    }
}
