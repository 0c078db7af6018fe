//! BONAS: NASLib's `BonasPredictor` (`naslib/predictors/bonas.py`, Shi et al. 2020).
//!
//! * Input: the `bonas` encoding (adjacency with a global node, transposed, diagonal set; node
//!   one-hot features with a global-node flag).
//! * Net: 4 graph convolutions `A (X W) + b` of width 64 (no adjacency normalisation), each
//!   followed by `BatchNorm1d` over the channels (statistics over batch x nodes) and ReLU;
//!   weights `U(±0.05)`, biases `U(±1/sqrt(64))`; readout = the last (global) node ->
//!   `Linear(64, 1)`.
//! * Training: z-scored targets, MSE, Adam (lr 1e-4, no weight decay), cosine annealing to 0
//!   over 100 epochs, batch 128 (last partial batch kept).
//! * QUIRK: faithful never zeroes the gradients; fixed (default) does.

use naspred_eval::hpo::{loguniform, HpError, HpSpace, HpSpec, HpoState, Tunable, TunableParams};
use naspred_eval::predictor::{
    ArchInput, Context, Hyperparams, Predictor, PredictorError, PredictorRng, Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};
use tch::{Device, Kind, Tensor};

use super::gcn::GraphBatch;
use super::{
    batches, check_train, cosine_lr, encode_all, fit_seed, mean_std, single_threaded,
    to_vec_finite, FitRng, FlatAdam, NeuralError, MAX_COUNT,
};

/// Hyperparameters of BONAS.
#[derive(Clone, Debug, PartialEq)]
pub struct BonasParams {
    /// Width of the graph convolutions (64).
    pub gcn_hidden: usize,
    /// Minibatch (128).
    pub batch_size: usize,
    /// Adam learning rate (1e-4).
    pub lr: f64,
    /// Epochs (100).
    pub epochs: usize,
}

impl Default for BonasParams {
    fn default() -> Self {
        BonasParams {
            gcn_hidden: 64,
            batch_size: 128,
            lr: 1e-4,
            epochs: 100,
        }
    }
}

impl TunableParams for BonasParams {
    /// `gcn_hidden` and `batch_size` (integers >= 1), `lr` (> 0, log scale). The epochs are
    /// not tuned.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("gcn_hidden", 1.0, MAX_COUNT),
        HpSpec::integer("batch_size", 1.0, MAX_COUNT),
        HpSpec::log_real("lr", 0.0, f64::INFINITY).open_below(),
    ]);

    fn to_hyperparams(&self) -> Hyperparams {
        let mut h = Hyperparams::new();
        h.insert("gcn_hidden".into(), self.gcn_hidden as f64);
        h.insert("batch_size".into(), self.batch_size as f64);
        h.insert("lr".into(), self.lr);
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
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's sampler: `gcn_hidden` ~ int(loguniform[16, 128]), `batch_size` ~
    /// int(loguniform[32, 256]), `lr` ~ loguniform[1e-5, 0.1] (`int` truncates); the epochs
    /// are kept.
    fn sample(&self, rng: &mut PredictorRng) -> Self {
        BonasParams {
            gcn_hidden: loguniform(rng, 16.0, 128.0) as usize,
            batch_size: loguniform(rng, 32.0, 256.0) as usize,
            lr: loguniform(rng, 1e-5, 0.1),
            epochs: self.epochs,
        }
    }
}

/// One graph convolution block: views of its parameters and gradients into the flat buffers,
/// and its batch-norm running statistics.
struct Block {
    /// Weight `in x hidden`.
    w: Tensor,
    b: Tensor,
    gamma: Tensor,
    beta: Tensor,
    gw: Tensor,
    gb: Tensor,
    ggamma: Tensor,
    gbeta: Tensor,
    run_mean: Tensor,
    run_var: Tensor,
}

/// What the backward pass keeps of one block's forward pass (rows = graphs x nodes).
struct Saved {
    /// The block's input, `rows x in`.
    x: Tensor,
    /// The normalised convolution output, `rows x hidden`.
    xhat: Tensor,
    /// `1 / sqrt(var + eps)` of the batch, per channel.
    invstd: Tensor,
    /// The block's output after ReLU, `rows x hidden`.
    out: Tensor,
}

/// The BONAS net with every parameter in one flat buffer and the gradients, written in closed
/// form by [`BonasNet::backward`], in another (the pattern of the MLP): a training step is a
/// few libtorch calls per block plus one Adam update of the flat buffer, instead of autograd's
/// per-node bookkeeping and a per-tensor optimiser. Same function, same gradients (checked
/// against autograd in the tests).
struct BonasNet {
    theta: Tensor,
    grad: Tensor,
    blocks: Vec<Block>,
    fc_w: Tensor,
    fc_b: Tensor,
    g_fc_w: Tensor,
    g_fc_b: Tensor,
    hidden: i64,
}

impl BonasNet {
    /// Weights `U(±0.05)`, biases `U(±1/sqrt(hidden))` (drawn block by block, then the
    /// readout), batch-norm scales 1 and shifts 0.
    fn new(nfeat: i64, hidden: i64, rng: &mut FitRng) -> Self {
        let sb = 1.0 / (hidden as f64).sqrt();
        let fins: Vec<i64> = (0..4)
            .map(|i| if i == 0 { nfeat } else { hidden })
            .collect();
        let total: i64 = fins.iter().map(|f| f * hidden + 3 * hidden).sum::<i64>() + hidden + 1;
        let opts = (Kind::Float, Device::Cpu);
        let theta = Tensor::zeros([total], opts);
        let grad = Tensor::zeros([total], opts);
        let mut net = Self::views(theta, grad, &fins, hidden);
        for blk in &mut net.blocks {
            let fin = blk.w.size()[0];
            blk.w.copy_(&rng.uniform(&[fin, hidden], -0.05, 0.05));
            blk.b.copy_(&rng.uniform(&[hidden], -sb, sb));
            let _ = blk.gamma.fill_(1.0);
        }
        net.fc_w.copy_(&rng.uniform(&[1, hidden], -sb, sb));
        net.fc_b.copy_(&rng.uniform(&[1], -sb, sb));
        net
    }

    /// The net's views into `theta` and `grad` (blocks of inputs `fins`), fresh running
    /// statistics.
    fn views(theta: Tensor, grad: Tensor, fins: &[i64], hidden: i64) -> Self {
        let opts = (Kind::Float, Device::Cpu);
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
        let mut blocks = Vec::with_capacity(fins.len());
        for &fin in fins {
            let (w, gw) = take(&[fin, hidden]);
            let (b, gb) = take(&[hidden]);
            let (gamma, ggamma) = take(&[hidden]);
            let (beta, gbeta) = take(&[hidden]);
            blocks.push(Block {
                w,
                b,
                gamma,
                beta,
                gw,
                gb,
                ggamma,
                gbeta,
                run_mean: Tensor::zeros([hidden], opts),
                run_var: Tensor::ones([hidden], opts),
            });
        }
        let (fc_w, g_fc_w) = take(&[1, hidden]);
        let (fc_b, g_fc_b) = take(&[1]);
        BonasNet {
            theta,
            grad,
            blocks,
            fc_w,
            fc_b,
            g_fc_w,
            g_fc_b,
            hidden,
        }
    }

    /// Predictions `(graphs)` and the readout embeddings `(graphs x hidden)` for node features
    /// `(graphs, nodes, F)` and adjacencies `(graphs, nodes, nodes)`; `train` normalises with
    /// the batch statistics (updating the running ones), and `saved` keeps what the backward
    /// pass needs.
    fn forward(
        &self,
        feat: &Tensor,
        adj: &Tensor,
        train: bool,
        mut saved: Option<&mut Vec<Saved>>,
    ) -> (Tensor, Tensor) {
        let sz = feat.size();
        let (b, nn, nf) = (sz[0], sz[1], sz[2]);
        let rows = b * nn;
        let mut x = feat.reshape([rows, nf]);
        if let Some(s) = saved.as_deref_mut() {
            s.clear();
        }
        for blk in &self.blocks {
            let xw = x.mm(&blk.w).view([b, nn, self.hidden]);
            let g = blk.b.baddbmm(adj, &xw, 1.0, 1.0).view([rows, self.hidden]);
            let (y, mean, invstd) = g.native_batch_norm(
                Some(&blk.gamma),
                Some(&blk.beta),
                Some(&blk.run_mean),
                Some(&blk.run_var),
                train,
                0.1,
                1e-5,
            );
            let out = y.relu();
            if let Some(s) = saved.as_deref_mut() {
                let xhat = (g - &mean) * &invstd;
                s.push(Saved {
                    x,
                    xhat,
                    invstd,
                    out: out.shallow_clone(),
                });
            }
            x = out;
        }
        let emb = x.view([b, nn, self.hidden]).select(1, nn - 1);
        let pred = self.fc_b.addmm(&emb, &self.fc_w.tr()).view([-1]);
        (pred, emb)
    }

    /// Writes into the gradient buffer the gradient of `mean((pred - y)^2)` for a training
    /// forward pass (`saved`, readout `emb`, predictions `pred`) on adjacencies `adj`.
    fn backward(&self, saved: &[Saved], emb: &Tensor, pred: &Tensor, y: &Tensor, adj: &Tensor) {
        let (b, nn) = (adj.size()[0], adj.size()[1]);
        let rows = b * nn;
        let d = ((pred - y) * (2.0 / b as f64)).view([b, 1]);
        let _ = d.tr().mm_out(&self.g_fc_w, emb);
        let _ = d.sum_intlist_out(&self.g_fc_b, [0i64].as_slice(), false, None::<Kind>);
        let dout = Tensor::zeros([b, nn, self.hidden], (Kind::Float, Device::Cpu));
        dout.select(1, nn - 1).copy_(&d.mm(&self.fc_w));
        let mut dout = dout.view([rows, self.hidden]);
        let adj_t = adj.transpose(1, 2);
        let inv_rows = 1.0 / rows as f64;
        for (k, (blk, sv)) in self.blocks.iter().zip(saved).enumerate().rev() {
            let dy = sv.out.threshold_backward(&dout, 0.0);
            let _ = dy.sum_intlist_out(&blk.gbeta, [0i64].as_slice(), false, None::<Kind>);
            let _ = (&dy * &sv.xhat).sum_intlist_out(
                &blk.ggamma,
                [0i64].as_slice(),
                false,
                None::<Kind>,
            );
            // Batch-norm backward with batch statistics: dL/dg = gamma * invstd *
            // (dy - mean(dy) - xhat * mean(dy * xhat)).
            let centred = dy - &sv.xhat * (&blk.ggamma * inv_rows) - &blk.gbeta * inv_rows;
            let dg = centred * (&blk.gamma * &sv.invstd);
            let _ = dg.sum_intlist_out(&blk.gb, [0i64].as_slice(), false, None::<Kind>);
            let dxw = adj_t
                .bmm(&dg.view([b, nn, self.hidden]))
                .view([rows, self.hidden]);
            let _ = sv.x.tr().mm_out(&blk.gw, &dxw);
            if k > 0 {
                dout = dxw.mm(&blk.w.tr());
            }
        }
    }
}

/// NASLib's `bonas` predictor.
pub struct BonasPredictor {
    key: String,
    quirks: Quirks,
    hpo: HpoState<BonasParams>,
    fitted: Option<(BonasNet, f64, f64)>,
}

impl Default for BonasPredictor {
    fn default() -> Self {
        BonasPredictor::new(Quirks::Fixed)
    }
}

impl BonasPredictor {
    /// NASLib's configuration with the given QUIRK setting.
    pub fn new(quirks: Quirks) -> Self {
        BonasPredictor {
            key: "bonas".into(),
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
    pub fn with_params(mut self, params: BonasParams) -> Result<Self, HpError> {
        self.hpo = HpoState::new(params)?;
        Ok(self)
    }

    /// The current hyperparameters.
    pub fn params(&self) -> &BonasParams {
        self.hpo.current()
    }

    /// Reports under another key (e.g. `bonas_faithful`).
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
        let p = self.hpo.current().clone();
        let _flush = single_threaded();
        self.fitted = None;
        let data = GraphBatch::new(&encode_all(train, EncodingKind::Bonas, self.quirks)?)?;
        let (mean, std) = mean_std(y);
        let yz: Vec<f32> = y.iter().map(|&v| ((v - mean) / std) as f32).collect();
        let yt = Tensor::from_slice(&yz);
        let n = train.len();
        let fixed = self.quirks == Quirks::Fixed;
        let mut rng = FitRng::new(seed);
        let net = BonasNet::new(data.ops.size()[2], p.gcn_hidden as i64, &mut rng);
        // Faithful: the gradients are never zeroed, so Adam sees their running sum.
        let acc = net.grad.zeros_like();
        let grads = if fixed { &net.grad } else { &acc };
        let mut theta = net.theta.shallow_clone();
        let mut opt = FlatAdam::new(theta.numel(), p.lr, (0.9, 0.999), 0.0);
        let mut saved = Vec::with_capacity(net.blocks.len());
        tch::no_grad(|| -> Result<(), NeuralError> {
            for epoch in 0..p.epochs {
                opt.lr = cosine_lr(p.lr, epoch, p.epochs);
                let perm = rng.permutation(n);
                for idx in batches(&perm, p.batch_size, false) {
                    let idx = Tensor::from_slice(idx);
                    let adj = data.adj.index_select(0, &idx);
                    let feat = data.ops.index_select(0, &idx);
                    let (pred, emb) = net.forward(&feat, &adj, true, Some(&mut saved));
                    net.backward(&saved, &emb, &pred, &yt.index_select(0, &idx), &adj);
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
        let data = GraphBatch::new(&encode_all(test, EncodingKind::Bonas, self.quirks)?)?;
        let (p, _) = tch::no_grad(|| net.forward(&data.ops, &data.adj, false, None));
        Ok(to_vec_finite(&p)?
            .into_iter()
            .map(|v| v * std + mean)
            .collect())
    }
}

impl Predictor for BonasPredictor {
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

    /// A batch of `b` random graphs of `nn` nodes (self-loops set) with `nf` features, random
    /// targets, and a net of width `hidden` whose parameters are all perturbed away from their
    /// initial values (so scales and shifts matter too).
    fn setup(b: i64, nn: i64, nf: i64, hidden: i64) -> (BonasNet, Tensor, Tensor, Tensor) {
        let mut rng = FitRng::new(5);
        let net = BonasNet::new(nf, hidden, &mut rng);
        let total = net.theta.size()[0];
        let mut theta = net.theta.shallow_clone();
        let _ = theta.g_add_(&rng.normal(&[total], 0.2));
        let feat = rng.uniform(&[b, nn, nf], 0.0, 1.0);
        let eye = Tensor::eye(nn, (Kind::Float, Device::Cpu));
        let adj = rng
            .uniform(&[b, nn, nn], 0.0, 1.0)
            .gt(0.6)
            .to_kind(Kind::Float)
            .maximum(&eye);
        let y = rng.normal(&[b], 1.0);
        (net, feat, adj, y)
    }

    fn max_abs(t: &Tensor) -> f64 {
        t.abs().max().double_value(&[])
    }

    /// The hand-written gradient equals autograd's on the same weights and batch.
    #[test]
    fn manual_gradient_matches_autograd() {
        let (net, feat, adj, y) = setup(5, 4, 6, 8);
        let mut saved = Vec::new();
        let (pred, emb) = tch::no_grad(|| net.forward(&feat, &adj, true, Some(&mut saved)));
        net.backward(&saved, &emb, &pred, &y, &adj);

        let theta = net.theta.detach().copy().set_requires_grad(true);
        let fins: Vec<i64> = net.blocks.iter().map(|b| b.w.size()[0]).collect();
        let ag = BonasNet::views(theta.shallow_clone(), theta.zeros_like(), &fins, 8);
        let (out, _) = ag.forward(&feat, &adj, true, None);
        (out - &y).square().mean(Kind::Float).backward();
        crate::neural::assert_same_gradient(&theta.grad(), &net.grad);
    }

    /// The flat net computes NASLib's module formulation: `A (X W) + b`, `BatchNorm1d` over
    /// the channels of `(graphs, channels, nodes)`, ReLU, readout of the last node — in
    /// training mode and with running statistics.
    #[test]
    fn forward_matches_the_module_formulation() {
        let (net, feat, adj, _) = setup(6, 5, 3, 7);
        let (ours, _) = tch::no_grad(|| net.forward(&feat, &adj, true, None));
        let (ours_eval, _) = tch::no_grad(|| net.forward(&feat, &adj, false, None));
        let opts = (Kind::Float, Device::Cpu);
        let mut refs = Vec::new();
        for train in [true, false] {
            let (mean, var): (Vec<Tensor>, Vec<Tensor>) = (0..4)
                .map(|_| (Tensor::zeros([7], opts), Tensor::ones([7], opts)))
                .unzip();
            // One pass of the module formulation (training: batch statistics, updating the
            // running ones; else the running statistics).
            let module_pass = |training: bool| {
                let mut x = feat.shallow_clone();
                for (l, blk) in net.blocks.iter().enumerate() {
                    let g = adj.bmm(&x.matmul(&blk.w)) + &blk.b;
                    let bn = g.transpose(2, 1).batch_norm(
                        Some(&blk.gamma),
                        Some(&blk.beta),
                        Some(&mean[l]),
                        Some(&var[l]),
                        training,
                        0.1,
                        1e-5,
                        false,
                    );
                    x = bn.relu().transpose(1, 2);
                }
                x
            };
            let mut x = module_pass(true);
            if !train {
                // Evaluation after one training pass: the running statistics it left.
                x = module_pass(false);
            }
            let emb = x.select(1, 4);
            refs.push(emb.linear(&net.fc_w, Some(&net.fc_b)).view([-1]));
        }
        let rel = |a: &Tensor, b: &Tensor| max_abs(&(a - b)) / max_abs(b);
        assert!(
            rel(&ours, &refs[0]) < 1e-5,
            "train {}",
            rel(&ours, &refs[0])
        );
        assert!(
            rel(&ours_eval, &refs[1]) < 1e-5,
            "eval {}",
            rel(&ours_eval, &refs[1])
        );
    }
}
