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
    batches, check_train, cosine_lr, encode_all, fit_seed, mean_std, param, single_threaded,
    to_vec_finite, Adam, FitRng, NeuralError, MAX_COUNT,
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

struct Layer {
    w: Tensor,
    b: Tensor,
    bn_w: Tensor,
    bn_b: Tensor,
    run_mean: Tensor,
    run_var: Tensor,
}

struct BonasNet {
    layers: Vec<Layer>,
    fc_w: Tensor,
    fc_b: Tensor,
}

impl BonasNet {
    fn new(nfeat: i64, hidden: i64, rng: &mut FitRng) -> Self {
        let opts = (Kind::Float, Device::Cpu);
        let sb = 1.0 / (hidden as f64).sqrt();
        let layers = (0..4)
            .map(|i| {
                let inp = if i == 0 { nfeat } else { hidden };
                Layer {
                    w: param(rng.uniform(&[inp, hidden], -0.05, 0.05)),
                    b: param(rng.uniform(&[hidden], -sb, sb)),
                    bn_w: param(Tensor::ones([hidden], opts)),
                    bn_b: param(Tensor::zeros([hidden], opts)),
                    run_mean: Tensor::zeros([hidden], opts),
                    run_var: Tensor::ones([hidden], opts),
                }
            })
            .collect();
        BonasNet {
            layers,
            fc_w: param(rng.uniform(&[1, hidden], -sb, sb)),
            fc_b: param(rng.uniform(&[1], -sb, sb)),
        }
    }

    fn params(&self) -> Vec<Tensor> {
        let mut v = Vec::new();
        for l in &self.layers {
            v.extend([
                l.w.shallow_clone(),
                l.b.shallow_clone(),
                l.bn_w.shallow_clone(),
                l.bn_b.shallow_clone(),
            ]);
        }
        v.push(self.fc_w.shallow_clone());
        v.push(self.fc_b.shallow_clone());
        v
    }

    fn forward(&self, feat: &Tensor, adj: &Tensor, train: bool) -> Tensor {
        let mut x = feat.shallow_clone();
        for l in &self.layers {
            let g = adj.bmm(&x.matmul(&l.w)) + &l.b;
            let bn = g.transpose(2, 1).batch_norm(
                Some(&l.bn_w),
                Some(&l.bn_b),
                Some(&l.run_mean),
                Some(&l.run_var),
                train,
                0.1,
                1e-5,
                false,
            );
            x = bn.relu().transpose(1, 2);
        }
        let nodes = x.size()[1];
        let emb = x.select(1, nodes - 1);
        emb.linear(&self.fc_w, Some(&self.fc_b)).view([-1])
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
        single_threaded();
        self.fitted = None;
        let data = GraphBatch::new(&encode_all(train, EncodingKind::Bonas, self.quirks)?)?;
        let (mean, std) = mean_std(y);
        let yz: Vec<f32> = y.iter().map(|&v| ((v - mean) / std) as f32).collect();
        let yt = Tensor::from_slice(&yz);
        let n = train.len();
        let fixed = self.quirks == Quirks::Fixed;
        let mut rng = FitRng::new(seed);
        let net = BonasNet::new(data.ops.size()[2], p.gcn_hidden as i64, &mut rng);
        let mut opt = Adam::new(net.params(), p.lr, (0.9, 0.999), 0.0);
        for epoch in 0..p.epochs {
            opt.lr = cosine_lr(p.lr, epoch, p.epochs);
            let perm = rng.permutation(n);
            for idx in batches(&perm, p.batch_size, false) {
                let idx = Tensor::from_slice(idx);
                if fixed {
                    opt.zero_grad();
                }
                let pred = net.forward(
                    &data.ops.index_select(0, &idx),
                    &data.adj.index_select(0, &idx),
                    true,
                );
                let loss = (pred - yt.index_select(0, &idx)).square().mean(Kind::Float);
                loss.backward();
                opt.step();
            }
        }
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
        let p = tch::no_grad(|| net.forward(&data.ops, &data.adj, false));
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
