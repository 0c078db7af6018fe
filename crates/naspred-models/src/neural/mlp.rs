//! MLP and BANANAS: NASLib's `MLPPredictor` (`naslib/predictors/mlp.py`) and its 3-member
//! ensemble on the path encoding (`bananas`).
//!
//! * Net: `num_layers` hidden `Linear` layers of width `layer_width` with ReLU, then
//!   `Linear -> 1`; Xavier-uniform weights, zero biases.
//! * Training: raw targets (not standardised, as NASLib), L1 loss plus
//!   `regularization x ||W_out||_1`, Adam (lr 1e-3, betas (0.9, 0.99)), batch 32 with the last
//!   partial batch kept, shuffled every epoch, 500 epochs.
//! * HPO sampler: `num_layers`, `layer_width` in 5..=24, lr in {0.1, 0.01, 0.005, 0.001, 1e-4};
//!   the first draw after a reset keeps the defaults.

use naspred_eval::predictor::{
    ArchInput, Context, Hyperparams, Prediction, Predictor, PredictorError, PredictorRng,
    Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};
use rand::Rng;
use tch::{Kind, Tensor};

use super::{
    batches, check_train, dense_tensor, encode_all, fit_seed, param, single_threaded,
    to_vec_finite, Adam, FitRng, NeuralError,
};

/// Hyperparameters of one MLP (NASLib's defaults by [`MlpParams::default`]).
#[derive(Clone, Debug, PartialEq)]
pub struct MlpParams {
    /// Hidden layers (20).
    pub num_layers: usize,
    /// Width of each hidden layer (20).
    pub layer_width: usize,
    /// Minibatch size (32).
    pub batch_size: usize,
    /// Adam learning rate (1e-3).
    pub lr: f64,
    /// Weight of the L1 norm of the output layer's weights (0.2).
    pub regularization: f64,
    /// Training epochs (500).
    pub epochs: usize,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            num_layers: 20,
            layer_width: 20,
            batch_size: 32,
            lr: 1e-3,
            regularization: 0.2,
            epochs: 500,
        }
    }
}

impl MlpParams {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), NeuralError> {
        let bad = |name, value: f64, reason| NeuralError::InvalidParam {
            name,
            value,
            reason,
        };
        if self.layer_width == 0 {
            return Err(bad("layer_width", 0.0, "must be at least 1"));
        }
        if self.batch_size == 0 {
            return Err(bad("batch_size", 0.0, "must be at least 1"));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(bad("lr", self.lr, "must be positive and finite"));
        }
        if !(self.regularization >= 0.0 && self.regularization.is_finite()) {
            return Err(bad(
                "regularization",
                self.regularization,
                "must be non-negative",
            ));
        }
        Ok(())
    }

    /// NASLib's HPO sampler (fresh draw; epochs kept).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Self {
        const LRS: [f64; 5] = [0.1, 0.01, 0.005, 0.001, 1e-4];
        MlpParams {
            num_layers: rng.random_range(5..25),
            layer_width: rng.random_range(5..25),
            batch_size: 32,
            lr: LRS[rng.random_range(0..LRS.len())],
            regularization: 0.2,
            epochs: self.epochs,
        }
    }

    /// As a hyperparameter map.
    pub fn to_hyperparams(&self) -> Hyperparams {
        let mut h = Hyperparams::new();
        h.insert("num_layers".into(), self.num_layers as f64);
        h.insert("layer_width".into(), self.layer_width as f64);
        h.insert("batch_size".into(), self.batch_size as f64);
        h.insert("lr".into(), self.lr);
        h.insert("regularization".into(), self.regularization);
        h
    }

    /// Overwrites the named fields (others ignored).
    pub fn apply(&mut self, hp: &Hyperparams) {
        let u = |v: f64| {
            if v.is_finite() && v > 0.0 {
                v.round() as usize
            } else {
                0
            }
        };
        for (k, &v) in hp {
            match k.as_str() {
                "num_layers" => self.num_layers = u(v),
                "layer_width" => self.layer_width = u(v),
                "batch_size" => self.batch_size = u(v),
                "lr" => self.lr = v,
                "regularization" => self.regularization = v,
                "epochs" => self.epochs = u(v),
                _ => {}
            }
        }
    }
}

/// A feed-forward net. The hidden `width x width` layers after the first are stored stacked in
/// one tensor and split with `unbind` in the forward pass (whose backward is a single `stack`),
/// so the optimiser updates six tensors instead of `2 (layers + 1)`.
struct MlpNet {
    first: Option<(Tensor, Tensor)>,
    hidden_w: Option<Tensor>,
    hidden_b: Option<Tensor>,
    out_w: Tensor,
    out_b: Tensor,
}

impl MlpNet {
    fn new(input: usize, p: &MlpParams, rng: &mut FitRng) -> Self {
        let zeros = |n: i64| Tensor::zeros([n], (Kind::Float, tch::Device::Cpu));
        let w = p.layer_width as i64;
        let mut fan_in = input as i64;
        let first = (p.num_layers >= 1).then(|| {
            let l = (param(rng.xavier([w, fan_in])), param(zeros(w)));
            fan_in = w;
            l
        });
        let (hidden_w, hidden_b) = if p.num_layers >= 2 {
            let k = p.num_layers as i64 - 1;
            let ws: Vec<Tensor> = (0..k).map(|_| rng.xavier([w, w])).collect();
            (
                Some(param(Tensor::stack(&ws, 0))),
                Some(param(Tensor::zeros(
                    [k, w],
                    (Kind::Float, tch::Device::Cpu),
                ))),
            )
        } else {
            (None, None)
        };
        MlpNet {
            first,
            hidden_w,
            hidden_b,
            out_w: param(rng.xavier([1, fan_in])),
            out_b: param(zeros(1)),
        }
    }

    fn params(&self) -> Vec<Tensor> {
        let mut v: Vec<Tensor> = Vec::with_capacity(6);
        if let Some((w, b)) = &self.first {
            v.push(w.shallow_clone());
            v.push(b.shallow_clone());
        }
        for t in [&self.hidden_w, &self.hidden_b].into_iter().flatten() {
            v.push(t.shallow_clone());
        }
        v.push(self.out_w.shallow_clone());
        v.push(self.out_b.shallow_clone());
        v
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = x.shallow_clone();
        if let Some((w, b)) = &self.first {
            h = h.linear(w, Some(b)).relu();
        }
        if let (Some(ws), Some(bs)) = (&self.hidden_w, &self.hidden_b) {
            for (w, b) in ws.unbind(0).iter().zip(bs.unbind(0).iter()) {
                h = h.linear(w, Some(b)).relu();
            }
        }
        h.linear(&self.out_w, Some(&self.out_b)).view([-1])
    }
}

/// One MLP regressor on a dense encoding.
struct Mlp {
    net: Option<MlpNet>,
}

fn train_mlp(x: &Tensor, y: &Tensor, p: &MlpParams, seed: u64) -> Result<MlpNet, NeuralError> {
    p.validate()?;
    let n = x.size()[0] as usize;
    let mut rng = FitRng::new(seed);
    let net = MlpNet::new(x.size()[1] as usize, p, &mut rng);
    let mut opt = Adam::new(net.params(), p.lr, (0.9, 0.99), 0.0);
    for _ in 0..p.epochs {
        let perm = rng.permutation(n);
        for idx in batches(&perm, p.batch_size, false) {
            let idx = Tensor::from_slice(idx);
            let xb = x.index_select(0, &idx);
            let yb = y.index_select(0, &idx);
            opt.zero_grad();
            let pred = net.forward(&xb);
            let loss = (pred - yb).abs().mean(Kind::Float)
                + net.out_w.abs().sum(Kind::Float) * p.regularization;
            loss.backward();
            opt.step();
        }
    }
    Ok(net)
}

impl Mlp {
    fn predict(&self, x: &Tensor) -> Result<Vec<f64>, NeuralError> {
        let net = self.net.as_ref().ok_or(NeuralError::NotFitted)?;
        let out = tch::no_grad(|| net.forward(x));
        to_vec_finite(&out)
    }
}

/// NASLib's `mlp` (and, with [`MlpPredictor::with_encoding`], any dense-encoding MLP).
pub struct MlpPredictor {
    key: String,
    encoding: EncodingKind,
    quirks: Quirks,
    /// Current hyperparameters.
    pub params: MlpParams,
    hpo_default_next: bool,
    model: Mlp,
}

impl Default for MlpPredictor {
    fn default() -> Self {
        MlpPredictor::new(Quirks::Fixed)
    }
}

impl MlpPredictor {
    /// `mlp` on the adjacency one-hot encoding.
    pub fn new(quirks: Quirks) -> Self {
        MlpPredictor::with_encoding("mlp", EncodingKind::AdjacencyOneHot, quirks)
    }

    /// An MLP under `key` on a dense `encoding`.
    pub fn with_encoding(key: &str, encoding: EncodingKind, quirks: Quirks) -> Self {
        MlpPredictor {
            key: key.into(),
            encoding,
            quirks,
            params: MlpParams::default(),
            hpo_default_next: true,
            model: Mlp { net: None },
        }
    }

    /// Fits one net on `train` with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        single_threaded();
        let x = dense_tensor(&encode_all(train, self.encoding, self.quirks)?)?;
        let yv: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let yt = Tensor::from_slice(&yv);
        self.model.net = None;
        self.model.net = Some(train_mlp(&x, &yt, &self.params, seed)?);
        Ok(())
    }

    /// Predictions for `test`.
    pub fn predict(&self, test: &[ArchInput]) -> Result<Vec<f64>, NeuralError> {
        if test.is_empty() {
            return Ok(Vec::new());
        }
        let x = dense_tensor(&encode_all(test, self.encoding, self.quirks)?)?;
        self.model.predict(&x)
    }
}

impl Predictor for MlpPredictor {
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
        self.params.to_hyperparams()
    }

    fn set_hyperparams(&mut self, hp: &Hyperparams) {
        self.params.apply(hp);
    }

    fn set_random_hyperparams(&mut self, rng: &mut PredictorRng) {
        if self.hpo_default_next {
            self.hpo_default_next = false;
            self.params = MlpParams {
                epochs: self.params.epochs,
                ..MlpParams::default()
            };
        } else {
            self.params = self.params.sample(rng);
        }
    }

    fn reset_hyperparams(&mut self) {
        self.hpo_default_next = true;
        self.params = MlpParams {
            epochs: self.params.epochs,
            ..MlpParams::default()
        };
    }
}

/// NASLib's `bananas`: an ensemble of 3 MLPs on the path encoding, each with its own
/// initialisation and shuffles. The prediction is the members' mean; [`Predictor::query_dist`]
/// reports their spread (population standard deviation) as the predictive std.
pub struct BananasPredictor {
    /// The members' configuration.
    pub params: MlpParams,
    /// Ensemble size (3).
    pub members: usize,
    quirks: Quirks,
    hpo_default_next: bool,
    nets: Vec<Mlp>,
}

impl Default for BananasPredictor {
    fn default() -> Self {
        BananasPredictor::new(Quirks::Fixed)
    }
}

impl BananasPredictor {
    /// NASLib's configuration.
    pub fn new(quirks: Quirks) -> Self {
        BananasPredictor {
            params: MlpParams::default(),
            members: 3,
            quirks,
            hpo_default_next: true,
            nets: Vec::new(),
        }
    }

    /// Fits every member (seeds `seed`, `seed + 1`, ...).
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        single_threaded();
        let x = dense_tensor(&encode_all(train, EncodingKind::Path, self.quirks)?)?;
        let yv: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let yt = Tensor::from_slice(&yv);
        self.nets.clear();
        for m in 0..self.members.max(1) {
            let net = train_mlp(&x, &yt, &self.params, seed.wrapping_add(m as u64))?;
            self.nets.push(Mlp { net: Some(net) });
        }
        Ok(())
    }

    /// Mean and spread of the members' predictions.
    pub fn predict_dist(&self, test: &[ArchInput]) -> Result<Prediction, NeuralError> {
        if self.nets.is_empty() {
            return Err(NeuralError::NotFitted);
        }
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: Some(Vec::new()),
            });
        }
        let x = dense_tensor(&encode_all(test, EncodingKind::Path, self.quirks)?)?;
        let preds = self
            .nets
            .iter()
            .map(|m| m.predict(&x))
            .collect::<Result<Vec<_>, _>>()?;
        let k = preds.len() as f64;
        let n = test.len();
        let mut mean = vec![0.0; n];
        let mut std = vec![0.0; n];
        for i in 0..n {
            let mu = preds.iter().map(|p| p[i]).sum::<f64>() / k;
            let var = preds.iter().map(|p| (p[i] - mu).powi(2)).sum::<f64>() / k;
            mean[i] = mu;
            std[i] = var.sqrt();
        }
        Ok(Prediction {
            mean,
            std: Some(std),
        })
    }
}

impl Predictor for BananasPredictor {
    fn key(&self) -> &str {
        "bananas"
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
            .map_err(|e| e.into_fit("bananas"))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        Ok(self
            .predict_dist(test)
            .map_err(|e| e.into_query("bananas"))?
            .mean)
    }

    fn query_dist(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Prediction, PredictorError> {
        self.predict_dist(test).map_err(|e| e.into_query("bananas"))
    }

    fn hyperparams(&self) -> Hyperparams {
        self.params.to_hyperparams()
    }

    fn set_hyperparams(&mut self, hp: &Hyperparams) {
        self.params.apply(hp);
    }

    fn set_random_hyperparams(&mut self, rng: &mut PredictorRng) {
        if self.hpo_default_next {
            self.hpo_default_next = false;
            self.params = MlpParams {
                epochs: self.params.epochs,
                ..MlpParams::default()
            };
        } else {
            self.params = self.params.sample(rng);
        }
    }

    fn reset_hyperparams(&mut self) {
        self.hpo_default_next = true;
        self.params = MlpParams {
            epochs: self.params.epochs,
            ..MlpParams::default()
        };
    }
}
