//! MLP and BANANAS: NASLib's `MLPPredictor` (`naslib/predictors/mlp.py`) and its 3-member
//! ensemble on the path encoding (`bananas`).
//!
//! * Net: `num_layers` hidden `Linear` layers of width `layer_width` with ReLU, then
//!   `Linear -> 1`; Xavier-uniform weights, zero biases.
//! * Training: raw targets (not standardised, as NASLib), L1 loss plus
//!   `regularization x ||W_out||_1`, Adam (lr 1e-3, betas (0.9, 0.99)), batch 32 with the last
//!   partial batch kept, shuffled every epoch, 500 epochs.
//! * Implementation: the gradients are written out by hand (no autograd) and all parameters
//!   live in one flat buffer updated by one Adam call per step; the members of the BANANAS
//!   ensemble train side by side as one batched net (`bmm` over the member dimension), each
//!   with its own initialisation and minibatches. See `MlpStack`.
//! * HPO sampler: `num_layers`, `layer_width` in 5..=24, lr in {0.1, 0.01, 0.005, 0.001, 1e-4};
//!   the first draw after a reset keeps the defaults ([`MlpParams`] is the [`TunableParams`]
//!   behind both predictors' [`Predictor::tuning`]).

use naspred_eval::hpo::{HpError, HpSpace, HpSpec, HpoState, Tunable, TunableParams};
use naspred_eval::predictor::{
    ArchInput, Context, Hyperparams, Prediction, Predictor, PredictorError, PredictorRng,
    Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};
use rand::Rng;
use tch::{Kind, Tensor};

use super::{
    check_train, dense_tensor, encode_all, fit_seed, single_threaded, to_vec_finite, Adam, FitRng,
    NeuralError, MAX_COUNT,
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

impl TunableParams for MlpParams {
    /// `num_layers` (integer >= 0), `layer_width` and `batch_size` (integers >= 1), `lr` (> 0,
    /// log scale), `regularization` (>= 0). The epochs are not tuned.
    const SPACE: HpSpace = HpSpace::new(&[
        HpSpec::integer("num_layers", 0.0, MAX_COUNT),
        HpSpec::integer("layer_width", 1.0, MAX_COUNT),
        HpSpec::integer("batch_size", 1.0, MAX_COUNT),
        HpSpec::log_real("lr", 0.0, f64::INFINITY).open_below(),
        HpSpec::real("regularization", 0.0, f64::INFINITY),
    ]);

    /// As a hyperparameter map.
    fn to_hyperparams(&self) -> Hyperparams {
        let mut h = Hyperparams::new();
        h.insert("num_layers".into(), self.num_layers as f64);
        h.insert("layer_width".into(), self.layer_width as f64);
        h.insert("batch_size".into(), self.batch_size as f64);
        h.insert("lr".into(), self.lr);
        h.insert("regularization".into(), self.regularization);
        h
    }

    fn with_hyperparams(&self, hp: &Hyperparams) -> Result<Self, HpError> {
        Self::SPACE.validate(hp)?;
        let mut p = self.clone();
        for (k, &v) in hp {
            match k.as_str() {
                "num_layers" => p.num_layers = v as usize,
                "layer_width" => p.layer_width = v as usize,
                "batch_size" => p.batch_size = v as usize,
                "lr" => p.lr = v,
                "regularization" => p.regularization = v,
                _ => return Err(Self::SPACE.unknown(k)),
            }
        }
        p.validate()?;
        Ok(p)
    }

    /// NASLib's HPO sampler: `num_layers`, `layer_width` in 5..=24, lr in {0.1, 0.01, 0.005,
    /// 0.001, 1e-4}, batch 32, regularization 0.2; the epochs are kept.
    fn sample(&self, rng: &mut PredictorRng) -> Self {
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
}

/// One linear layer of every ensemble member: views into the stack's flat parameter and
/// gradient buffers.
struct Layer {
    /// Weights, `members x out x in`.
    w: Tensor,
    /// `w` transposed (`members x in x out`), a view kept for the forward pass.
    wt: Tensor,
    /// Biases, `members x 1 x out`.
    b: Tensor,
    /// Gradient of `w`.
    gw: Tensor,
    /// Gradient of `b`.
    gb: Tensor,
}

/// `members` feed-forward nets of one shape (`num_layers` hidden `Linear + ReLU` layers, then
/// `Linear -> 1`), trained side by side as one batched net: every layer is a `baddbmm` over the
/// member dimension, so an ensemble costs about as many libtorch calls as a single net.
///
/// The parameters of all layers and members live in one flat buffer, their gradients in
/// another. The gradients are written out in closed form (backpropagation through
/// `Linear`/ReLU and the L1 loss, computed with `bmm`, `threshold_backward` and sums straight
/// into the gradient buffer) instead of through autograd: for these tiny nets the per-node
/// bookkeeping of autograd and a per-tensor optimiser dominate the fit time, while here a step
/// is about six libtorch calls per layer plus one Adam update of the flat buffer. The result
/// is the same function as NASLib's autograd training (same loss, same gradients, same Adam).
struct MlpStack {
    members: i64,
    theta: Tensor,
    grad: Tensor,
    /// Hidden layers, then the output layer.
    layers: Vec<Layer>,
    /// `(out, in)` of every layer (read by the gradient test).
    #[cfg_attr(not(test), allow(dead_code))]
    shapes: Vec<(i64, i64)>,
}

impl MlpStack {
    /// Xavier-uniform weights and zero biases; member `m` draws its weights from `rngs[m]`
    /// (first layer to output layer).
    fn new(input: usize, p: &MlpParams, rngs: &mut [FitRng]) -> Self {
        let e = rngs.len() as i64;
        let w = p.layer_width as i64;
        let mut shapes: Vec<(i64, i64)> = Vec::with_capacity(p.num_layers + 1);
        let mut fan_in = input as i64;
        for _ in 0..p.num_layers {
            shapes.push((w, fan_in));
            fan_in = w;
        }
        shapes.push((1, fan_in));
        let total: i64 = shapes.iter().map(|(o, i)| e * o * (i + 1)).sum();
        let opts = (Kind::Float, tch::Device::Cpu);
        let theta = Tensor::zeros([total], opts);
        let grad = Tensor::zeros([total], opts);
        let layers = Self::layers(&theta, &grad, &shapes, e);
        for (m, rng) in rngs.iter_mut().enumerate() {
            for (l, &(o, i)) in layers.iter().zip(&shapes) {
                let mut dst = l.w.get(m as i64);
                dst.copy_(&rng.xavier([o, i]));
            }
        }
        MlpStack {
            members: e,
            theta,
            grad,
            layers,
            shapes,
        }
    }

    /// Views of the layers (`(out, in)` shapes, `e` members) into `theta` and `grad`.
    fn layers(theta: &Tensor, grad: &Tensor, shapes: &[(i64, i64)], e: i64) -> Vec<Layer> {
        let view = |buf: &Tensor, off: i64, shape: [i64; 3]| {
            buf.narrow(0, off, shape.iter().product()).view(shape)
        };
        let mut layers = Vec::with_capacity(shapes.len());
        let mut off = 0i64;
        for &(o, i) in shapes {
            let lw = view(theta, off, [e, o, i]);
            let gw = view(grad, off, [e, o, i]);
            off += e * o * i;
            let lb = view(theta, off, [e, 1, o]);
            let gb = view(grad, off, [e, 1, o]);
            off += e * o;
            layers.push(Layer {
                wt: lw.transpose(1, 2),
                w: lw,
                b: lb,
                gw,
                gb,
            });
        }
        layers
    }

    /// Outputs `members x rows x 1` for inputs `members x rows x d`; with `acts`, the post-activation of every hidden layer (input first) is
    /// kept for the backward pass.
    fn forward(&self, x: &Tensor, mut acts: Option<&mut Vec<Tensor>>) -> Tensor {
        let (out, hidden) = self.layers.split_last().expect("output layer");
        let mut h = x.shallow_clone();
        if let Some(a) = acts.as_deref_mut() {
            a.clear();
            a.push(h.shallow_clone());
        }
        for l in hidden {
            let mut z = l.b.baddbmm(&h, &l.wt, 1.0, 1.0);
            h = z.relu_();
            if let Some(a) = acts.as_deref_mut() {
                a.push(h.shallow_clone());
            }
        }
        out.b.baddbmm(&h, &out.wt, 1.0, 1.0)
    }

    /// Writes into the gradient buffer the gradient of
    /// `sum_m [mean_b |pred - y| + reg * ||W_out,m||_1]` for a forward pass with activations
    /// `acts` and predictions `pred` (`members x batch x 1`).
    fn backward(&self, acts: &[Tensor], pred: &Tensor, y: &Tensor, reg: f64) {
        let (out, hidden) = self.layers.split_last().expect("output layer");
        let batch = pred.size()[1] as f64;
        // d mean|r| / d r = sign(r) / batch (0 at r = 0, as torch's abs backward).
        let mut g = pred - y;
        let _ = g.sign_().g_mul_scalar_(1.0 / batch);
        let dims: &[i64] = &[1];
        let last = acts.last().expect("input activation");
        let _ = g.transpose(1, 2).bmm_out(&out.gw, last);
        if reg != 0.0 {
            let mut gw = out.gw.shallow_clone();
            let _ = gw.g_add_(&(out.w.sign() * reg));
        }
        let _ = g.sum_intlist_out(&out.gb, dims, true, None::<Kind>);
        let mut gh = g.bmm(&out.w);
        for (k, l) in hidden.iter().enumerate().rev() {
            let gz = acts[k + 1].threshold_backward(&gh, 0.0);
            let _ = gz.transpose(1, 2).bmm_out(&l.gw, &acts[k]);
            let _ = gz.sum_intlist_out(&l.gb, dims, true, None::<Kind>);
            if k > 0 {
                gh = gz.bmm(&l.w);
            }
        }
    }

    /// Predictions `members x rows` for `x` (`rows x d`).
    fn predict(&self, x: &Tensor) -> Result<Vec<Vec<f64>>, NeuralError> {
        let rows = x.size()[0];
        let xe = x
            .unsqueeze(0)
            .expand([self.members, rows, x.size()[1]], false);
        let out = tch::no_grad(|| self.forward(&xe, None));
        let out = out.view([self.members, -1]);
        (0..self.members)
            .map(|m| to_vec_finite(&out.get(m)))
            .collect()
    }
}

/// Trains `members` MLPs side by side on `x` (`n x d`) and `y` (`n`): member `m` is seeded
/// with `seed + m` (initialisation, then one shuffle per epoch) and sees its own minibatches.
fn train_mlps(
    x: &Tensor,
    y: &Tensor,
    p: &MlpParams,
    seed: u64,
    members: usize,
) -> Result<MlpStack, NeuralError> {
    let n = x.size()[0] as usize;
    let d = x.size()[1];
    let e = members.max(1);
    let mut rngs: Vec<FitRng> = (0..e)
        .map(|m| FitRng::new(seed.wrapping_add(m as u64)))
        .collect();
    let net = MlpStack::new(d as usize, p, &mut rngs);
    let mut opt = Adam::new(vec![net.theta.shallow_clone()], p.lr, (0.9, 0.99), 0.0);
    let grads = [net.grad.shallow_clone()];
    let y = y.view([-1, 1]);
    let mut acts = Vec::with_capacity(p.num_layers + 1);
    let mut idx: Vec<i64> = Vec::with_capacity(e * p.batch_size);
    let bs = p.batch_size.max(1);
    tch::no_grad(|| {
        for _ in 0..p.epochs {
            let perms: Vec<Vec<i64>> = rngs.iter_mut().map(|r| r.permutation(n)).collect();
            for start in (0..n).step_by(bs) {
                let len = bs.min(n - start);
                idx.clear();
                for perm in &perms {
                    idx.extend_from_slice(&perm[start..start + len]);
                }
                let it = Tensor::from_slice(&idx);
                let xb = x.index_select(0, &it).view([e as i64, len as i64, d]);
                let yb = y.index_select(0, &it).view([e as i64, len as i64, 1]);
                let pred = net.forward(&xb, Some(&mut acts));
                net.backward(&acts, &pred, &yb, p.regularization);
                opt.step_with(&grads);
            }
        }
    });
    Ok(net)
}

/// One MLP regressor on a dense encoding.
struct Mlp {
    net: Option<MlpStack>,
}

impl Mlp {
    fn predict(&self, x: &Tensor) -> Result<Vec<f64>, NeuralError> {
        let net = self.net.as_ref().ok_or(NeuralError::NotFitted)?;
        Ok(net.predict(x)?.swap_remove(0))
    }
}

/// NASLib's `mlp` (and, with [`MlpPredictor::with_encoding`], any dense-encoding MLP).
pub struct MlpPredictor {
    key: String,
    encoding: EncodingKind,
    quirks: Quirks,
    hpo: HpoState<MlpParams>,
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
            hpo: HpoState::default(),
            model: Mlp { net: None },
        }
    }

    /// Replaces the default configuration (what draws and resets start from; its epochs are
    /// kept by every draw), after validating it.
    ///
    /// # Errors
    /// The configuration's [`HpError`].
    pub fn with_params(mut self, params: MlpParams) -> Result<Self, HpError> {
        self.hpo = HpoState::new(params)?;
        Ok(self)
    }

    /// The current hyperparameters.
    pub fn params(&self) -> &MlpParams {
        self.hpo.current()
    }

    /// Fits one net on `train` with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        self.params().validate()?;
        let _flush = single_threaded();
        let x = dense_tensor(&encode_all(train, self.encoding, self.quirks)?)?;
        let yv: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let yt = Tensor::from_slice(&yv);
        self.model.net = None;
        self.model.net = Some(train_mlps(&x, &yt, self.hpo.current(), seed, 1)?);
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
        self.hpo.hyperparams()
    }

    fn tuning(&mut self) -> Option<&mut dyn Tunable> {
        Some(&mut self.hpo)
    }
}

/// NASLib's `bananas`: an ensemble of 3 MLPs on the path encoding, each with its own
/// initialisation and shuffles. The prediction is the members' mean; [`Predictor::query_dist`]
/// reports their spread (population standard deviation) as the predictive std.
pub struct BananasPredictor {
    /// The members' configuration (defaults, current, NASLib's draw rule).
    hpo: HpoState<MlpParams>,
    /// Ensemble size (3).
    pub members: usize,
    quirks: Quirks,
    nets: Option<MlpStack>,
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
            hpo: HpoState::default(),
            members: 3,
            quirks,
            nets: None,
        }
    }

    /// Replaces the members' default configuration (what draws and resets start from; its
    /// epochs are kept by every draw), after validating it.
    ///
    /// # Errors
    /// The configuration's [`HpError`].
    pub fn with_params(mut self, params: MlpParams) -> Result<Self, HpError> {
        self.hpo = HpoState::new(params)?;
        Ok(self)
    }

    /// The members' current configuration.
    pub fn params(&self) -> &MlpParams {
        self.hpo.current()
    }

    /// Fits every member (seeds `seed`, `seed + 1`, ...), side by side as one batched net.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        self.params().validate()?;
        let _flush = single_threaded();
        let x = dense_tensor(&encode_all(train, EncodingKind::Path, self.quirks)?)?;
        let yv: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let yt = Tensor::from_slice(&yv);
        self.nets = None;
        let p = self.hpo.current();
        self.nets = Some(train_mlps(&x, &yt, p, seed, self.members)?);
        Ok(())
    }

    /// Mean and spread of the members' predictions.
    pub fn predict_dist(&self, test: &[ArchInput]) -> Result<Prediction, NeuralError> {
        let Some(nets) = self.nets.as_ref() else {
            return Err(NeuralError::NotFitted);
        };
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: Some(Vec::new()),
            });
        }
        let x = dense_tensor(&encode_all(test, EncodingKind::Path, self.quirks)?)?;
        let preds = nets.predict(&x)?;
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
        self.hpo.hyperparams()
    }

    fn tuning(&mut self) -> Option<&mut dyn Tunable> {
        Some(&mut self.hpo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written gradient equals autograd's on the same loss.
    #[test]
    fn manual_gradient_matches_autograd() {
        let p = MlpParams {
            num_layers: 3,
            layer_width: 6,
            regularization: 0.2,
            ..MlpParams::default()
        };
        let mut rngs: Vec<FitRng> = (0..2).map(FitRng::new).collect();
        let net = MlpStack::new(5, &p, &mut rngs);
        let mut data = FitRng::new(9);
        let x = data.normal(&[2, 7, 5], 1.0);
        let y = data.normal(&[2, 7, 1], 1.0);
        let mut acts = Vec::new();
        let pred = tch::no_grad(|| net.forward(&x, Some(&mut acts)));
        net.backward(&acts, &pred, &y, p.regularization);

        let theta = net.theta.detach().copy().set_requires_grad(true);
        let dummy = theta.zeros_like();
        let ag = MlpStack {
            members: 2,
            layers: MlpStack::layers(&theta, &dummy, &net.shapes, 2),
            theta: theta.shallow_clone(),
            grad: dummy,
            shapes: net.shapes.clone(),
        };
        let out = ag.forward(&x, None);
        let w_out = &ag.layers.last().unwrap().w;
        let loss = (out - &y)
            .abs()
            .mean_dim([1i64, 2].as_slice(), false, Kind::Float)
            .sum(Kind::Float)
            + w_out.abs().sum(Kind::Float) * p.regularization;
        loss.backward();
        let diff = (theta.grad() - &net.grad).abs().max().double_value(&[]);
        assert!(diff < 1e-5, "max gradient difference {diff}");
        assert!(net.grad.abs().sum(Kind::Float).double_value(&[]) > 0.0);
    }
}
