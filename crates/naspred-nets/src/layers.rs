//! Layers, parameter storage, initialisation and the traced forward pass shared by every
//! network.
//!
//! A network is a plain structure of layer descriptors ([`Conv`], [`Bn`], [`Linear`]) that
//! hold indices into a [`Store`] of tensors. Copies of a network with transformed parameters
//! (the double-precision, absolute-valued copy synflow needs; zen's Gaussian re-initialisation)
//! are just a new [`Store`] for the same structure. The forward pass runs through [`Fwd`],
//! which applies each layer and optionally records what the zero-cost proxies read (outputs of
//! every conv / linear layer, inputs of every ReLU, the pre-pool feature map) and the model
//! statistics NASLib computes with tensorwatch (FLOPs and parameters of every layer called).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tch::{Device, Kind, Tensor};

/// How conv / linear weights are initialised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitScheme {
    /// PyTorch's defaults: conv and linear weights and biases `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`
    /// (`kaiming_uniform_(a = sqrt(5))`), BN weight 1 and bias 0.
    TorchDefault,
    /// NAS-Bench-101's network (NASLib `nasbench1.py`): conv weights `N(0, sqrt(2 / (k * k *
    /// out)))`, zero conv biases, linear weights `N(0, 0.01)`, zero linear bias, BN weight 1,
    /// bias 0.
    Nb101,
}

/// Parameters (and BN running statistics) of one network, on one device.
pub struct Store {
    /// Trainable tensors (conv / linear weights and biases, BN affine parameters).
    pub params: Vec<Tensor>,
    /// BN running means and variances.
    pub buffers: Vec<Tensor>,
    /// Index in `params` of each conv / linear weight, in module order (NASLib's "prunable"
    /// layers that every gradient-based proxy sums over).
    pub prunable: Vec<usize>,
    /// Parameters per conv / linear layer weight's output channel is `numel / out`.
    pub prunable_out: Vec<i64>,
}

impl Store {
    /// A copy with every tensor transformed by `f` (parameters made leaf tensors requiring
    /// gradients again).
    pub fn map(&self, f: impl Fn(&Tensor) -> Tensor) -> Store {
        Store {
            params: self
                .params
                .iter()
                .map(|t| f(t).detach().set_requires_grad(true))
                .collect(),
            buffers: self.buffers.iter().map(|t| f(t).detach()).collect(),
            prunable: self.prunable.clone(),
            prunable_out: self.prunable_out.clone(),
        }
    }

    /// The conv / linear weights in module order.
    pub fn prunable_weights(&self) -> Vec<&Tensor> {
        self.prunable.iter().map(|&i| &self.params[i]).collect()
    }

    /// Total number of parameters.
    pub fn num_params(&self) -> i64 {
        self.params.iter().map(|t| t.numel() as i64).sum()
    }
}

/// A 2-D convolution.
#[derive(Clone, Debug)]
pub struct Conv {
    /// Weight index.
    pub w: usize,
    /// Bias index.
    pub b: Option<usize>,
    /// Prunable-layer id (index into [`Store::prunable`]).
    pub id: usize,
    /// Input channels.
    pub cin: i64,
    /// Output channels.
    pub cout: i64,
    /// Kernel side.
    pub k: i64,
    /// Stride.
    pub stride: i64,
    /// Padding.
    pub pad: i64,
    /// Dilation.
    pub dil: i64,
    /// Groups.
    pub groups: i64,
}

/// A 2-D batch normalisation (train mode: batch statistics; running statistics tracked).
#[derive(Clone, Debug)]
pub struct Bn {
    /// Affine weight and bias indices, if affine.
    pub affine: Option<(usize, usize)>,
    /// Running mean / variance buffer indices.
    pub running: (usize, usize),
    /// Channels.
    pub c: i64,
}

/// A fully connected layer.
#[derive(Clone, Debug)]
pub struct Linear {
    /// Weight index.
    pub w: usize,
    /// Bias index.
    pub b: Option<usize>,
    /// Prunable-layer id.
    pub id: usize,
    /// Input features.
    pub cin: i64,
    /// Output features.
    pub cout: i64,
}

/// Builds the parameters of a network from a seeded random stream (device-independent:
/// values are drawn in Rust, so CPU and CUDA networks start from the same weights).
pub struct Builder {
    rng: ChaCha8Rng,
    scheme: InitScheme,
    params: Vec<(Vec<f32>, Vec<i64>)>,
    buffers: Vec<(Vec<f32>, Vec<i64>)>,
    prunable: Vec<usize>,
    prunable_out: Vec<i64>,
}

impl Builder {
    /// A builder drawing from `seed`.
    pub fn new(seed: u64, scheme: InitScheme) -> Self {
        Builder {
            rng: ChaCha8Rng::seed_from_u64(seed),
            scheme,
            params: Vec::new(),
            buffers: Vec::new(),
            prunable: Vec::new(),
            prunable_out: Vec::new(),
        }
    }

    fn push(&mut self, v: Vec<f32>, shape: Vec<i64>) -> usize {
        self.params.push((v, shape));
        self.params.len() - 1
    }

    fn uniform(&mut self, n: usize, bound: f64) -> Vec<f32> {
        (0..n)
            .map(|_| ((self.rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
            .collect()
    }

    fn normal(&mut self, n: usize, std: f64) -> Vec<f32> {
        gaussian(&mut self.rng, n, std)
    }

    /// A convolution (weights per the scheme).
    #[allow(clippy::too_many_arguments)]
    pub fn conv(
        &mut self,
        cin: i64,
        cout: i64,
        k: i64,
        stride: i64,
        pad: i64,
        dil: i64,
        groups: i64,
        bias: bool,
    ) -> Conv {
        let n = (cout * (cin / groups) * k * k) as usize;
        let fan_in = ((cin / groups) * k * k) as f64;
        let (wv, bv) = match self.scheme {
            InitScheme::TorchDefault => {
                let b = 1.0 / fan_in.sqrt();
                let w = self.uniform(n, b);
                let bv = bias.then(|| self.uniform(cout as usize, b));
                (w, bv)
            }
            InitScheme::Nb101 => {
                let std = (2.0 / (k * k * cout) as f64).sqrt();
                let w = self.normal(n, std);
                (w, bias.then(|| vec![0.0; cout as usize]))
            }
        };
        let w = self.push(wv, vec![cout, cin / groups, k, k]);
        let b = bv.map(|v| self.push(v, vec![cout]));
        self.prunable.push(w);
        self.prunable_out.push(cout);
        Conv {
            w,
            b,
            id: self.prunable.len() - 1,
            cin,
            cout,
            k,
            stride,
            pad,
            dil,
            groups,
        }
    }

    /// A batch normalisation with weight 1, bias 0 (if affine), running mean 0, variance 1.
    pub fn bn(&mut self, c: i64, affine: bool) -> Bn {
        let affine = affine.then(|| {
            let w = self.push(vec![1.0; c as usize], vec![c]);
            let b = self.push(vec![0.0; c as usize], vec![c]);
            (w, b)
        });
        self.buffers.push((vec![0.0; c as usize], vec![c]));
        self.buffers.push((vec![1.0; c as usize], vec![c]));
        let n = self.buffers.len();
        Bn {
            affine,
            running: (n - 2, n - 1),
            c,
        }
    }

    /// A linear layer with bias.
    pub fn linear(&mut self, cin: i64, cout: i64) -> Linear {
        let n = (cin * cout) as usize;
        let (wv, bv) = match self.scheme {
            InitScheme::TorchDefault => {
                let b = 1.0 / (cin as f64).sqrt();
                (self.uniform(n, b), self.uniform(cout as usize, b))
            }
            InitScheme::Nb101 => (self.normal(n, 0.01), vec![0.0; cout as usize]),
        };
        let w = self.push(wv, vec![cout, cin]);
        let b = Some(self.push(bv, vec![cout]));
        self.prunable.push(w);
        self.prunable_out.push(cout);
        Linear {
            w,
            b,
            id: self.prunable.len() - 1,
            cin,
            cout,
        }
    }

    /// The store on `device` (float32 parameters requiring gradients).
    pub fn finish(self, device: Device) -> Store {
        let mk = |(v, s): (Vec<f32>, Vec<i64>)| Tensor::from_slice(&v).reshape(s).to_device(device);
        Store {
            params: self
                .params
                .into_iter()
                .map(|p| mk(p).set_requires_grad(true))
                .collect(),
            buffers: self.buffers.into_iter().map(mk).collect(),
            prunable: self.prunable,
            prunable_out: self.prunable_out,
        }
    }
}

/// `n` draws of `N(0, std^2)` (Box-Muller) from `rng`.
pub fn gaussian<R: Rng + ?Sized>(rng: &mut R, n: usize, std: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt() * std;
        let t = std::f64::consts::TAU * u2;
        out.push((r * t.cos()) as f32);
        if out.len() < n {
            out.push((r * t.sin()) as f32);
        }
    }
    out
}

/// What a forward pass records besides its output.
#[derive(Default)]
pub struct Trace {
    /// Record the output of every conv / linear layer, by prunable id (fisher).
    pub want_layers: bool,
    /// Record the input of every ReLU (nwot).
    pub want_relu: bool,
    /// Count FLOPs and parameters as tensorwatch does (flops, params).
    pub want_stats: bool,
    /// Outputs of conv / linear layers by prunable id.
    pub layer_out: Vec<Option<Tensor>>,
    /// ReLU inputs in call order.
    pub relu_in: Vec<Tensor>,
    /// The feature map before the global pooling (zen).
    pub features: Option<Tensor>,
    /// FLOPs (tensorwatch's rules).
    pub flops: f64,
    /// Parameters of the layers called.
    pub params: f64,
}

/// One forward pass over a network's [`Store`].
pub struct Fwd<'a> {
    /// The parameters.
    pub store: &'a Store,
    /// Whether BN layers are applied (`false`: every BN is the identity, NASLib's `bn=False`
    /// copies).
    pub bn: bool,
    /// What is recorded.
    pub trace: Trace,
    /// BN in evaluation mode: normalise with the running statistics instead of the batch's
    /// (and leave them unchanged). `false` (train mode) unless set with [`Fwd::eval_mode`].
    pub bn_eval: bool,
}

fn numel(t: &Tensor) -> f64 {
    t.size().iter().product::<i64>() as f64
}

impl<'a> Fwd<'a> {
    /// A pass with BN on or off and the given recording wishes.
    pub fn new(store: &'a Store, bn: bool, trace: Trace) -> Self {
        Fwd {
            store,
            bn,
            trace,
            bn_eval: false,
        }
    }

    /// The same pass with BN in evaluation mode (running statistics), as `model.eval()`.
    pub fn eval_mode(mut self) -> Self {
        self.bn_eval = true;
        self
    }

    fn p(&self, i: usize) -> &Tensor {
        &self.store.params[i]
    }

    /// Applies a convolution.
    pub fn conv(&mut self, c: &Conv, x: &Tensor) -> Tensor {
        let b = c.b.map(|i| self.p(i));
        let y = x.conv2d(
            self.p(c.w),
            b,
            [c.stride, c.stride],
            [c.pad, c.pad],
            [c.dil, c.dil],
            c.groups,
        );
        if self.trace.want_stats {
            let s = y.size();
            let active = (s[0] * s[2] * s[3]) as f64;
            let per_pos = (c.k * c.k * x.size()[1] * (c.cout / c.groups)) as f64;
            self.trace.flops += per_pos * active;
            if c.b.is_some() {
                self.trace.flops += c.cout as f64 * active;
            }
            self.trace.params += (c.cout * (c.cin / c.groups) * c.k * c.k) as f64;
            if c.b.is_some() {
                self.trace.params += c.cout as f64;
            }
        }
        if self.trace.want_layers {
            if self.trace.layer_out.len() < self.store.prunable.len() {
                self.trace
                    .layer_out
                    .resize_with(self.store.prunable.len(), || None);
            }
            self.trace.layer_out[c.id] = Some(y.shallow_clone());
        }
        y
    }

    /// Applies a batch normalisation (train mode) unless BN is off.
    pub fn bn(&mut self, b: &Bn, x: &Tensor) -> Tensor {
        if self.trace.want_stats {
            let f = numel(x);
            self.trace.flops += if b.affine.is_some() { 2.0 * f } else { f };
            if b.affine.is_some() {
                self.trace.params += 2.0 * b.c as f64;
            }
        }
        if !self.bn {
            return x.shallow_clone();
        }
        let (w, bias) = match b.affine {
            Some((w, bb)) => (Some(self.p(w)), Some(self.p(bb))),
            None => (None, None),
        };
        let rm = &self.store.buffers[b.running.0];
        let rv = &self.store.buffers[b.running.1];
        x.batch_norm(w, bias, Some(rm), Some(rv), !self.bn_eval, 0.1, 1e-5, true)
    }

    /// Applies a ReLU.
    pub fn relu(&mut self, x: &Tensor) -> Tensor {
        if self.trace.want_stats {
            self.trace.flops += numel(x);
        }
        if self.trace.want_relu {
            self.trace.relu_in.push(x.shallow_clone());
        }
        x.relu()
    }

    /// Average pooling.
    pub fn avg_pool(
        &mut self,
        x: &Tensor,
        k: i64,
        s: i64,
        p: i64,
        count_include_pad: bool,
    ) -> Tensor {
        let y = x.avg_pool2d(
            [k, k],
            [s, s],
            [p, p],
            false,
            count_include_pad,
            None::<i64>,
        );
        self.pool_stats(x, k, s, p);
        y
    }

    /// Max pooling.
    pub fn max_pool(&mut self, x: &Tensor, k: i64, s: i64, p: i64) -> Tensor {
        let y = x.max_pool2d([k, k], [s, s], [p, p], [1, 1], false);
        self.pool_stats(x, k, s, p);
        y
    }

    fn pool_stats(&mut self, x: &Tensor, k: i64, s: i64, p: i64) {
        if self.trace.want_stats {
            let sz = x.size();
            let ow = ((sz[3] + 2 * p - k) as f64 / s as f64 + 1.0).floor();
            let oh = ((sz[2] + 2 * p - k) as f64 / s as f64 + 1.0).floor();
            self.trace.flops += (sz[0] * sz[1]) as f64 * ow * oh * (k * k) as f64;
        }
    }

    /// Global average pooling to `[B, C]` (records the feature map for zen). `module`: the
    /// pooling is an `nn.AdaptiveAvgPool2d` module in NASLib's network (counted by
    /// tensorwatch), not a functional `torch.mean`.
    pub fn global_pool(&mut self, x: &Tensor, module: bool) -> Tensor {
        if self.trace.want_stats && module {
            let sz = x.size();
            // tensorwatch's adaptive-pool count: (end - start + 1) per output axis.
            self.trace.flops += (sz[0] * sz[1] * (sz[2] + 1) * (sz[3] + 1)) as f64;
        }
        self.trace.features = Some(x.shallow_clone());
        x.mean_dim(&[-1i64, -2][..], false, x.kind())
    }

    /// Applies a linear layer.
    pub fn linear(&mut self, l: &Linear, x: &Tensor) -> Tensor {
        let b = l.b.map(|i| self.p(i));
        let y = x.linear(self.p(l.w), b);
        if self.trace.want_stats {
            self.trace.flops += (x.size()[0] * l.cin * l.cout) as f64;
            self.trace.params += (l.cin * l.cout + l.cout) as f64;
        }
        if self.trace.want_layers {
            if self.trace.layer_out.len() < self.store.prunable.len() {
                self.trace
                    .layer_out
                    .resize_with(self.store.prunable.len(), || None);
            }
            self.trace.layer_out[l.id] = Some(y.shallow_clone());
        }
        y
    }
}

/// Floating-point kind of a store's parameters.
pub fn store_kind(store: &Store) -> Kind {
    store
        .params
        .first()
        .map(|t| t.kind())
        .unwrap_or(Kind::Float)
}
