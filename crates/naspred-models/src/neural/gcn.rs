//! GCN: NASLib's `GCNPredictor` (`naslib/predictors/gcn.py`, the directed graph convolution
//! neural predictor of Wen et al. 2019).
//!
//! * Input: the `gcn` encoding (op one-hot per node, adjacency, vertex count).
//! * Net: `A' = rownorm(A + I)`; 4 directed graph convolutions of width 144, each
//!   `h = (ReLU(rownorm(A') h W1) + ReLU(rownorm(A'^T) h W2)) / 2` followed by dropout 0.1
//!   (Xavier-uniform `W`); mean pooling (sum over nodes / vertex count); `Linear(144, 128)`,
//!   dropout 0.1, `Linear(128, 1)` (no biases).
//! * Training: z-scored targets, MSE, Adam (lr 1e-4, weight decay 3e-4), cosine annealing over
//!   300 epochs, batch 7 with `drop_last`.
//! * QUIRKs: faithful never zeroes the gradients, ignores `gcn_hidden`, and takes no step when
//!   the training set is smaller than one batch; fixed (default) does all three properly.

use naspred_eval::hpo::{loguniform, HpError, HpSpace, HpSpec, HpoState, Tunable, TunableParams};
use naspred_eval::predictor::{
    ArchInput, Context, Hyperparams, Predictor, PredictorError, PredictorRng, Requirements,
};
use naspred_spaces::{Encoding, EncodingKind, Quirks};
use tch::{Kind, Tensor};

use super::{
    batches, check_train, cosine_lr, encode_all, fit_seed, graphs, mean_std, single_threaded,
    to_vec_finite, FitRng, FlatAdam, NeuralError, MAX_COUNT,
};

/// Graph encodings stacked into tensors: node features `(n, N, F)`, adjacency `(n, N, N)`,
/// vertex counts `(n)`.
pub struct GraphBatch {
    /// Node features.
    pub ops: Tensor,
    /// Adjacency (row = source).
    pub adj: Tensor,
    /// Real vertex counts.
    pub numv: Tensor,
}

impl GraphBatch {
    /// Stacks graph encodings.
    pub fn new(encs: &[Encoding]) -> Result<GraphBatch, NeuralError> {
        let gs = graphs(encs)?;
        let (nn, nf) = (gs[0].nodes as i64, gs[0].features as i64);
        let n = gs.len() as i64;
        let mut ops = Vec::with_capacity((n * nn * nf) as usize);
        let mut adj = Vec::with_capacity((n * nn * nn) as usize);
        let mut numv = Vec::with_capacity(n as usize);
        for g in &gs {
            ops.extend_from_slice(&g.node_features);
            adj.extend_from_slice(&g.adjacency);
            numv.push(g.num_vertices.max(1) as f32);
        }
        Ok(GraphBatch {
            ops: Tensor::from_slice(&ops).view([n, nn, nf]),
            adj: Tensor::from_slice(&adj).view([n, nn, nn]),
            numv: Tensor::from_slice(&numv),
        })
    }

    /// Number of graphs.
    pub fn len(&self) -> usize {
        self.numv.size()[0] as usize
    }

    /// Whether there are no graphs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Row-normalises a batch of matrices (`adj / adj.sum(-1)`).
fn rownorm(a: &Tensor) -> Tensor {
    a / a.sum_dim_intlist([-1i64].as_slice(), true, Kind::Float)
}

/// Hyperparameters of the GCN.
#[derive(Clone, Debug, PartialEq)]
pub struct GcnParams {
    /// Width of the graph convolutions (144; ignored by NASLib, see the module QUIRKs).
    pub gcn_hidden: usize,
    /// Minibatch (7, last partial batch dropped).
    pub batch_size: usize,
    /// Adam learning rate (1e-4).
    pub lr: f64,
    /// Adam weight decay (3e-4).
    pub wd: f64,
    /// Epochs (300; also the cosine period).
    pub epochs: usize,
}

impl Default for GcnParams {
    fn default() -> Self {
        GcnParams {
            gcn_hidden: 144,
            batch_size: 7,
            lr: 1e-4,
            wd: 3e-4,
            epochs: 300,
        }
    }
}

impl TunableParams for GcnParams {
    /// `gcn_hidden` and `batch_size` (integers >= 1), `lr` (> 0) and `wd` (>= 0) on log
    /// scales. The epochs are not tuned.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("gcn_hidden", 1.0, MAX_COUNT),
        HpSpec::integer("batch_size", 1.0, MAX_COUNT),
        HpSpec::log_real("lr", 0.0, f64::INFINITY).open_below(),
        HpSpec::log_real("wd", 0.0, f64::INFINITY),
    ]);

    fn to_hyperparams(&self) -> Hyperparams {
        let mut h = Hyperparams::new();
        h.insert("gcn_hidden".into(), self.gcn_hidden as f64);
        h.insert("batch_size".into(), self.batch_size as f64);
        h.insert("lr".into(), self.lr);
        h.insert("wd".into(), self.wd);
        h
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "gcn_hidden" => p.gcn_hidden = v as usize,
                "batch_size" => p.batch_size = v as usize,
                "lr" => p.lr = v,
                "wd" => p.wd = v,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's sampler: `gcn_hidden` ~ int(loguniform[64, 200]), `batch_size` ~
    /// int(loguniform[5, 32]), `lr` ~ loguniform[1e-5, 0.1], `wd` ~ loguniform[1e-5, 0.1]
    /// (`int` truncates, as Python's); the epochs are kept.
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        GcnParams {
            gcn_hidden: loguniform(rng, 64.0, 200.0) as usize,
            batch_size: loguniform(rng, 5.0, 32.0) as usize,
            lr: loguniform(rng, 1e-5, 0.1),
            wd: loguniform(rng, 1e-5, 0.1),
            epochs: self.epochs,
        }
    }
}

/// Dropout probability after every graph convolution and after `fc1`.
const DROPOUT: f64 = 0.1;

/// Width of the first readout layer.
const FC_WIDTH: i64 = 128;

/// What the backward pass keeps of one graph convolution (rows = graphs x nodes).
struct SavedConv {
    /// The input propagated along both adjacencies, `2 x rows x in`.
    ah: Tensor,
    /// `ReLU(ah W)`, `2 x rows x hidden`.
    out: Tensor,
    /// The dropout mask applied to the layer output, kept values halved (the mean of the two
    /// directions; training only).
    mask: Option<Tensor>,
}

/// What the backward pass keeps of a forward pass.
#[derive(Default)]
struct Saved {
    convs: Vec<SavedConv>,
    /// Mean-pooled node states, `graphs x hidden`.
    pooled: Option<Tensor>,
    /// `fc1` output after dropout, `graphs x 128`.
    z: Option<Tensor>,
    /// Dropout mask of `z`.
    mask: Option<Tensor>,
}

/// The directed GCN with every weight in one flat buffer and the gradients, written in closed
/// form by [`GcnNet::backward`], in another (the pattern of the MLP). The two weights of a
/// layer form one `2 x in x hidden` block, so both directions of a layer are one batched
/// matrix product forward and two backward; a training step is a few libtorch calls per layer
/// plus one Adam update of the flat buffer, instead of autograd's per-node bookkeeping and a
/// per-tensor optimiser. Same function and gradients (checked against autograd in the tests).
struct GcnNet {
    theta: Tensor,
    grad: Tensor,
    /// `(w, grad of w)` per layer, each `2 x in x hidden` (`[W1, W2]`).
    layers: Vec<(Tensor, Tensor)>,
    /// `Linear(hidden, 128)` weight and gradient.
    fc1: (Tensor, Tensor),
    /// `Linear(128, 1)` weight and gradient.
    fc2: (Tensor, Tensor),
    hidden: i64,
}

impl GcnNet {
    /// Xavier-uniform `W1` then `W2` layer by layer, then `nn.Linear`'s default init
    /// `U(±1/sqrt(fan_in))` for `fc1` and `fc2`.
    fn new(nfeat: i64, hidden: i64, rng: &mut FitRng) -> Self {
        let fins: Vec<i64> = (0..4)
            .map(|i| if i == 0 { nfeat } else { hidden })
            .collect();
        let total: i64 =
            fins.iter().map(|f| 2 * f * hidden).sum::<i64>() + FC_WIDTH * hidden + FC_WIDTH;
        let opts = (Kind::Float, tch::Device::Cpu);
        let mut net = Self::views(
            Tensor::zeros([total], opts),
            Tensor::zeros([total], opts),
            &fins,
            hidden,
        );
        for (w, _) in &mut net.layers {
            let fin = w.size()[1];
            for d in 0..2 {
                w.get(d).copy_(&rng.xavier([fin, hidden]));
            }
        }
        let b1 = 1.0 / (hidden as f64).sqrt();
        let b2 = 1.0 / (FC_WIDTH as f64).sqrt();
        net.fc1.0.copy_(&rng.uniform(&[FC_WIDTH, hidden], -b1, b1));
        net.fc2.0.copy_(&rng.uniform(&[1, FC_WIDTH], -b2, b2));
        net
    }

    /// The net's views into `theta` and `grad` (layers of inputs `fins`).
    fn views(theta: Tensor, grad: Tensor, fins: &[i64], hidden: i64) -> Self {
        let mut off = 0i64;
        let mut take = |shape: &[i64]| {
            let len: i64 = shape.iter().product();
            let v = (
                theta.narrow(0, off, len).view(shape),
                grad.narrow(0, off, len).view(shape),
            );
            off += len;
            v
        };
        let layers = fins.iter().map(|&f| take(&[2, f, hidden])).collect();
        let fc1 = take(&[FC_WIDTH, hidden]);
        let fc2 = take(&[1, FC_WIDTH]);
        GcnNet {
            theta,
            grad,
            layers,
            fc1,
            fc2,
            hidden,
        }
    }

    /// Predictions for node features `ops` `(graphs, nodes, F)`, the normalised adjacencies
    /// `adj2` `(2, graphs, nodes, nodes)` (forward, then reverse direction) and vertex counts
    /// `numv`; with `drop`, dropout masks are drawn from it (training) and `saved` keeps what
    /// the backward pass needs.
    fn forward(
        &self,
        ops: &Tensor,
        adj2: &Tensor,
        numv: &Tensor,
        mut drop: Option<&mut FitRng>,
        mut saved: Option<&mut Saved>,
    ) -> Tensor {
        let sz = ops.size();
        let (b, nn) = (sz[0], sz[1]);
        let rows = b * nn;
        if let Some(s) = saved.as_deref_mut() {
            s.convs.clear();
        }
        let mut h = ops.shallow_clone();
        for (w, _) in &self.layers {
            let fin = w.size()[1];
            let ah = adj2.matmul(&h).view([2, rows, fin]);
            let out = ah.bmm(w).relu();
            let sum = out
                .sum_dim_intlist([0i64].as_slice(), false, Kind::Float)
                .view([b, nn, self.hidden]);
            // The mean of the two directions and the dropout in one product: the mask is drawn
            // with its kept value halved (exact, so the same values as halving first).
            let mask = drop
                .as_deref_mut()
                .map(|r| r.dropout_mask_scaled(&[b, nn, self.hidden], DROPOUT, 0.5));
            let next = match &mask {
                Some(m) => sum * m,
                None => sum * 0.5,
            };
            if let Some(s) = saved.as_deref_mut() {
                s.convs.push(SavedConv { ah, out, mask });
            }
            h = next;
        }
        let pooled = h.sum_dim_intlist([1i64].as_slice(), false, Kind::Float) / numv.unsqueeze(-1);
        let mut z = pooled.mm(&self.fc1.0.tr());
        let mask = drop.map(|r| r.dropout_mask(&[b, FC_WIDTH], DROPOUT));
        if let Some(m) = &mask {
            z *= m;
        }
        let pred = z.mm(&self.fc2.0.tr()).view([-1]);
        if let Some(s) = saved {
            s.pooled = Some(pooled);
            s.z = Some(z);
            s.mask = mask;
        }
        pred
    }

    /// Writes into the gradient buffer the gradient of `mean((pred - y)^2)` for a forward pass
    /// that kept `saved`, on the adjacencies `adj2` and vertex counts `numv` of its batch.
    fn backward(&self, s: &Saved, pred: &Tensor, y: &Tensor, adj2: &Tensor, numv: &Tensor) {
        let (Some(pooled), Some(z)) = (&s.pooled, &s.z) else {
            return;
        };
        let b = pred.size()[0];
        let d = ((pred - y) * (2.0 / b as f64)).view([b, 1]);
        let _ = d.tr().mm_out(&self.fc2.1, z);
        let mut dz = d.mm(&self.fc2.0);
        if let Some(m) = &s.mask {
            dz *= m;
        }
        let _ = dz.tr().mm_out(&self.fc1.1, pooled);
        let dpool = dz.mm(&self.fc1.0) / numv.unsqueeze(-1);
        let nn = adj2.size()[2];
        let rows = b * nn;
        let mut dh = dpool.unsqueeze(1).expand([b, nn, self.hidden], false);
        let adj2_t = adj2.transpose(2, 3);
        for (k, ((w, gw), sv)) in self.layers.iter().zip(&s.convs).enumerate().rev() {
            let dnext = match &sv.mask {
                Some(m) => &dh * m,
                None => &dh * 0.5,
            }
            .view([rows, self.hidden]);
            let dout = sv.out.threshold_backward(&dnext.unsqueeze(0), 0.0);
            let _ = sv.ah.transpose(1, 2).bmm_out(gw, &dout);
            if k > 0 {
                let fin = w.size()[1];
                let dah = dout.bmm(&w.transpose(1, 2)).view([2, b, nn, fin]);
                dh = adj2_t
                    .matmul(&dah)
                    .sum_dim_intlist([0i64].as_slice(), false, Kind::Float);
            }
        }
    }
}

/// The two normalised adjacencies of NASLib's directed GCN for raw adjacencies `(n, N, N)`,
/// stacked as `(2, n, N, N)`: `rownorm(A')` then `rownorm(A'^T)`.
fn gcn_adjacencies(adj: &Tensor) -> Tensor {
    let nn = adj.size()[1];
    let eye = Tensor::eye(nn, (Kind::Float, tch::Device::Cpu));
    let a = rownorm(&(adj + eye));
    Tensor::stack(&[rownorm(&a), rownorm(&a.transpose(1, 2))], 0)
}

/// NASLib's `gcn` predictor.
pub struct GcnPredictor {
    key: String,
    quirks: Quirks,
    hpo: HpoState<GcnParams>,
    fitted: Option<(GcnNet, f64, f64)>,
}

impl Default for GcnPredictor {
    fn default() -> Self {
        GcnPredictor::new(Quirks::Fixed)
    }
}

impl GcnPredictor {
    /// NASLib's configuration with the given QUIRK setting.
    pub fn new(quirks: Quirks) -> Self {
        GcnPredictor {
            key: "gcn".into(),
            quirks,
            hpo: HpoState::default(),
            fitted: None,
        }
    }

    /// Replaces the default configuration (what draws and resets start from; its epochs are
    /// kept by every draw), after validating it.
    ///
    /// # Errors
    /// The configuration's [`HpError`].
    pub fn with_params(mut self, params: GcnParams) -> Result<Self, HpError> {
        self.hpo = HpoState::new(params)?;
        Ok(self)
    }

    /// The current hyperparameters.
    pub fn params(&self) -> &GcnParams {
        self.hpo.current()
    }

    /// Reports under another key (e.g. `gcn_faithful`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// Fits with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        self.params().validate()?;
        let params = self.hpo.current().clone();
        let _flush = single_threaded();
        self.fitted = None;
        let data = GraphBatch::new(&encode_all(train, EncodingKind::Gcn, self.quirks)?)?;
        let adj2 = gcn_adjacencies(&data.adj);
        let (mean, std) = mean_std(y);
        let yz: Vec<f32> = y.iter().map(|&v| ((v - mean) / std) as f32).collect();
        let yt = Tensor::from_slice(&yz);
        let n = train.len();
        let fixed = self.quirks == Quirks::Fixed;
        let hidden = if fixed { params.gcn_hidden } else { 144 } as i64;
        let batch = if fixed {
            params.batch_size.min(n)
        } else {
            params.batch_size
        };
        let mut rng = FitRng::new(seed);
        let net = GcnNet::new(data.ops.size()[2], hidden, &mut rng);
        // Faithful: the gradients are never zeroed, so Adam sees their running sum.
        let acc = net.grad.zeros_like();
        let grads = if fixed { &net.grad } else { &acc };
        let mut theta = net.theta.shallow_clone();
        let mut opt = FlatAdam::new(theta.numel(), params.lr, (0.9, 0.999), params.wd);
        let mut saved = Saved::default();
        tch::no_grad(|| -> Result<(), NeuralError> {
            for epoch in 0..params.epochs {
                opt.lr = cosine_lr(params.lr, epoch, params.epochs);
                let perm = rng.permutation(n);
                for idx in batches(&perm, batch, true) {
                    let idx = Tensor::from_slice(idx);
                    let adj = adj2.index_select(1, &idx);
                    let numv = data.numv.index_select(0, &idx);
                    let ops = data.ops.index_select(0, &idx);
                    let pred = net.forward(&ops, &adj, &numv, Some(&mut rng), Some(&mut saved));
                    net.backward(&saved, &pred, &yt.index_select(0, &idx), &adj, &numv);
                    if !fixed {
                        let mut a = acc.shallow_clone();
                        let _ = a.g_add_(&net.grad);
                    }
                    opt.step(&mut theta, grads)?;
                }
            }
            Ok(())
        })?;
        self.fitted = Some((net, mean, std));
        Ok(())
    }

    /// Predictions (in target units) for `test`.
    pub fn predict(&self, test: &[ArchInput]) -> Result<Vec<f64>, NeuralError> {
        let (net, mean, std) = self.fitted.as_ref().ok_or(NeuralError::NotFitted)?;
        if test.is_empty() {
            return Ok(Vec::new());
        }
        let data = GraphBatch::new(&encode_all(test, EncodingKind::Gcn, self.quirks)?)?;
        let adj2 = gcn_adjacencies(&data.adj);
        let mut out = Vec::with_capacity(test.len());
        let n = test.len() as i64;
        let mut start = 0i64;
        while start < n {
            let len = (n - start).min(1000);
            let p = tch::no_grad(|| {
                net.forward(
                    &data.ops.narrow(0, start, len),
                    &adj2.narrow(1, start, len),
                    &data.numv.narrow(0, start, len),
                    None,
                    None,
                )
            });
            out.extend(to_vec_finite(&p)?.into_iter().map(|v| v * std + mean));
            start += len;
        }
        Ok(out)
    }
}

impl Predictor for GcnPredictor {
    fn key(&self) -> &str {
        &self.key
    }

    fn requirements(&self) -> Requirements {
        Requirements {
            hpo: true,
            ..Requirements::model_based()
        }
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        let seed = fit_seed(ctx.rng);
        self.fit_seeded(train, y, seed)
            .map_err(|e| e.into_fit(&self.key))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        self.predict(test).map_err(|e| e.into_query(&self.key))
    }

    fn hyperparams(&self) -> Hyperparams {
        self.hpo.hyperparams()
    }

    fn tuning(&mut self) -> Option<&mut dyn Tunable> {
        Some(&mut self.hpo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of `b` random graphs of `nn` nodes with `nf` one-hot-like features, vertex
    /// counts, targets, and a net of width `hidden`.
    fn setup(b: i64, nn: i64, nf: i64, hidden: i64) -> (GcnNet, Tensor, Tensor, Tensor, Tensor) {
        let mut rng = FitRng::new(11);
        let net = GcnNet::new(nf, hidden, &mut rng);
        let ops = rng
            .uniform(&[b, nn, nf], 0.0, 1.0)
            .gt(0.5)
            .to_kind(Kind::Float);
        let adj = rng
            .uniform(&[b, nn, nn], 0.0, 1.0)
            .gt(0.6)
            .to_kind(Kind::Float)
            .triu(1);
        let numv = rng.uniform(&[b], 2.0, nn as f64 + 1.0).floor();
        let y = rng.normal(&[b], 1.0);
        (net, ops, gcn_adjacencies(&adj), numv, y)
    }

    fn max_abs(t: &Tensor) -> f64 {
        t.abs().max().double_value(&[])
    }

    /// The hand-written gradient equals autograd's on the same weights, batch and dropout
    /// masks.
    #[test]
    fn manual_gradient_matches_autograd() {
        let (net, ops, adj2, numv, y) = setup(5, 6, 4, 9);
        let mut saved = Saved::default();
        let pred = tch::no_grad(|| {
            net.forward(
                &ops,
                &adj2,
                &numv,
                Some(&mut FitRng::new(3)),
                Some(&mut saved),
            )
        });
        net.backward(&saved, &pred, &y, &adj2, &numv);
        assert!(saved.convs.iter().all(|c| c.mask.is_some()));

        let theta = net.theta.detach().copy().set_requires_grad(true);
        let fins: Vec<i64> = net.layers.iter().map(|(w, _)| w.size()[1]).collect();
        let ag = GcnNet::views(theta.shallow_clone(), theta.zeros_like(), &fins, 9);
        let out = ag.forward(&ops, &adj2, &numv, Some(&mut FitRng::new(3)), None);
        (out - &y).square().mean(Kind::Float).backward();
        crate::neural::assert_same_gradient(&theta.grad(), &net.grad);
    }

    /// The flat net computes NASLib's module formulation: per layer
    /// `(ReLU(norm (h W1)) + ReLU(inv (h W2))) / 2`, mean pooling, `fc1`, `fc2`.
    #[test]
    fn forward_matches_the_module_formulation() {
        let (net, ops, adj2, numv, _) = setup(4, 5, 3, 6);
        let ours = tch::no_grad(|| net.forward(&ops, &adj2, &numv, None, None));
        let (norm, inv) = (adj2.get(0), adj2.get(1));
        let mut h = ops.shallow_clone();
        for (w, _) in &net.layers {
            let o1 = norm.matmul(&h.matmul(&w.get(0))).relu();
            let o2 = inv.matmul(&h.matmul(&w.get(1))).relu();
            h = (o1 + o2) * 0.5;
        }
        let pooled = h.sum_dim_intlist([1i64].as_slice(), false, Kind::Float) / numv.unsqueeze(-1);
        let reference = pooled
            .linear::<Tensor>(&net.fc1.0, None)
            .linear::<Tensor>(&net.fc2.0, None)
            .view([-1]);
        let rel = max_abs(&(ours - &reference)) / max_abs(&reference);
        assert!(rel < 1e-5, "relative difference {rel}");
    }
}
