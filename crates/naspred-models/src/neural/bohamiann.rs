//! BOHAMIANN: NASLib's `BOHAMIANN` (`naslib/predictors/bnn/bohamiann.py` over pybnn's
//! `Bohamiann`), a Bayesian neural network sampled with adaptive SGHMC.
//!
//! NASLib constructs `Bohamiann(get_network=get_default_network, use_double_precision=True,
//! metrics=..., likelihood_function=nll, print_every_n_steps=10, ...)`; those arguments exist
//! only in pybnn's current `master` (automl/pybnn `a69948f`), which is what this follows. An
//! older pybnn (3 hidden layers, Kaiming-normal init, step size `sqrt(lr)`, no priors), which
//! the spec describes, ranked clearly worse here (Kendall tau 0.34 against 0.44 at n = 100 over
//! 20 NB201 trials; NASLib measured 0.47).
//!
//! * Net (double precision): `Linear(d, 50)`, tanh, `Linear(50, 50)`, tanh, `Linear(50, 1)`,
//!   plus a learned log-variance column (pybnn's `AppendLayer`, initialised to `ln 1e-3`);
//!   PyTorch's default `Linear` initialisation (weights and biases `U(±1/sqrt(fan_in))`).
//! * Loss: Gaussian negative log-likelihood per batch, minus pybnn's log-variance prior
//!   (`N(ln 1e-6, 0.01)` on the log variance) and weight prior (`-0.5 |w|^2` averaged over the
//!   parameters), both divided by `n`; targets z-scored, inputs not normalised.
//! * Sampler: pybnn's adaptive SGHMC (step size `lr` = 1e-2, momentum decay 0.05, epsilon
//!   1e-10, gradients scaled by `n`, burn-in adaptation of the preconditioner for 10 steps),
//!   batch 20 from an endlessly reshuffled loader, 100 steps; the weights after steps 15, 20,
//!   ..., 95 are kept (17 nets). Prediction = the mean of their outputs; the predictive std of
//!   [`Predictor::query_dist`] is pybnn's total variance (spread of the means plus the mean
//!   noise variance).
//!
//! The net is small (about 4 000 weights) and the batches are 20 rows, so libtorch's per-call
//! overhead dominated a tch version of the sampler; the fit is plain Rust in `f64` with the
//! gradients written out by hand (checked against tch autograd in this module's tests), drawing
//! the same random numbers in the same order as that version did.

use naspred_eval::predictor::{
    ArchInput, Context, Prediction, Predictor, PredictorError, Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};

use super::{check_train, dense_matrix, encode_all, fit_seed, mean_std, FitRng, NeuralError};

/// BOHAMIANN's configuration (NASLib's values).
#[derive(Clone, Debug, PartialEq)]
pub struct BohamiannParams {
    /// Sampler steps (100).
    pub num_steps: usize,
    /// Burn-in steps (10).
    pub burn_in: usize,
    /// Keep a sample every this many steps after burn-in (5).
    pub keep_every: usize,
    /// Step size of the sampler (1e-2; the update moves by `lr^2` times the preconditioned
    /// gradient).
    pub lr: f64,
    /// Momentum decay (0.05).
    pub mdecay: f64,
    /// Minibatch (20).
    pub batch_size: usize,
}

impl Default for BohamiannParams {
    fn default() -> Self {
        BohamiannParams {
            num_steps: 100,
            burn_in: 10,
            keep_every: 5,
            lr: 1e-2,
            mdecay: 0.05,
            batch_size: 20,
        }
    }
}

/// Width of pybnn's two hidden layers.
const WIDTH: usize = 50;
/// pybnn's log-variance prior: mean (of the variance) and variance.
const LOGVAR_PRIOR_MEAN: f64 = 1e-6;
const LOGVAR_PRIOR_VAR: f64 = 0.01;
/// The sampler's epsilon (pybnn `Bohamiann.train`'s default).
const EPSILON: f64 = 1e-10;
/// Floor of the noise variance in the likelihood.
const VAR_FLOOR: f64 = 1e-16;

/// Where each parameter tensor of the net on `d` inputs lies in the flat parameter vector, in
/// PyTorch's order: `W1 (50 x d)`, `b1`, `W2 (50 x 50)`, `b2`, `W3 (1 x 50)`, `b3`, log
/// variance; weights row-major (`out x in`).
#[derive(Clone, Copy, Debug)]
struct Layout {
    d: usize,
}

impl Layout {
    fn sizes(self) -> [usize; 7] {
        [WIDTH * self.d, WIDTH, WIDTH * WIDTH, WIDTH, WIDTH, 1, 1]
    }
    fn total(self) -> usize {
        self.sizes().iter().sum()
    }
    fn b1(self) -> usize {
        WIDTH * self.d
    }
    fn w2(self) -> usize {
        self.b1() + WIDTH
    }
    fn b2(self) -> usize {
        self.w2() + WIDTH * WIDTH
    }
    fn w3(self) -> usize {
        self.b2() + WIDTH
    }
    fn b3(self) -> usize {
        self.w3() + WIDTH
    }
    fn logvar(self) -> usize {
        self.b3() + 1
    }
}

/// The activations of one input row.
struct Acts {
    h1: [f64; WIDTH],
    h2: [f64; WIDTH],
    mu: f64,
}

/// `tanh(b + W x)` for a row-major `WIDTH x x.len()` matrix `w`.
fn tanh_layer(w: &[f64], b: &[f64], x: &[f64]) -> [f64; WIDTH] {
    let mut h = [0.0; WIDTH];
    for (j, hj) in h.iter_mut().enumerate() {
        let row = &w[j * x.len()..(j + 1) * x.len()];
        *hj = (b[j] + row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>()).tanh();
    }
    h
}

/// The network's mean output for one row `x` (the log variance is the parameter itself).
fn forward(p: &[f64], l: Layout, x: &[f64]) -> Acts {
    let h1 = tanh_layer(&p[..l.b1()], &p[l.b1()..l.w2()], x);
    let h2 = tanh_layer(&p[l.w2()..l.b2()], &p[l.b2()..l.w3()], &h1);
    let w3 = &p[l.w3()..l.b3()];
    let mu = p[l.b3()] + w3.iter().zip(&h2).map(|(a, b)| a * b).sum::<f64>();
    Acts { h1, h2, mu }
}

/// Adds the gradient of `dmu * mu(x)` with respect to the weights and biases to `grad`.
fn backward_row(p: &[f64], l: Layout, x: &[f64], a: &Acts, dmu: f64, grad: &mut [f64]) {
    let d = l.d;
    grad[l.b3()] += dmu;
    let mut da2 = [0.0; WIDTH];
    for j in 0..WIDTH {
        grad[l.w3() + j] += dmu * a.h2[j];
        da2[j] = dmu * p[l.w3() + j] * (1.0 - a.h2[j] * a.h2[j]);
    }
    let mut dh1 = [0.0; WIDTH];
    for (j, &g) in da2.iter().enumerate() {
        grad[l.b2() + j] += g;
        let row = l.w2() + j * WIDTH;
        for k in 0..WIDTH {
            grad[row + k] += g * a.h1[k];
            dh1[k] += g * p[row + k];
        }
    }
    for j in 0..WIDTH {
        let g = dh1[j] * (1.0 - a.h1[j] * a.h1[j]);
        grad[l.b1() + j] += g;
        for (gw, &xk) in grad[j * d..(j + 1) * d].iter_mut().zip(x) {
            *gw += g * xk;
        }
    }
}

/// pybnn's objective for the batch rows `idx` of `x` (row-major, `l.d` columns) with targets
/// `y`: the mean Gaussian negative log-likelihood (constant `½ ln 2π` left out, variance floored
/// at `1e-16`) minus the log-variance and weight priors divided by `n`. Writes its gradient
/// with respect to `p` into `grad` and returns its value.
fn loss_and_grad(
    p: &[f64],
    l: Layout,
    (x, y): (&[f64], &[f64]),
    idx: &[usize],
    n: usize,
    grad: &mut [f64],
) -> f64 {
    grad.fill(0.0);
    let (bsz, nf) = (idx.len() as f64, n as f64);
    let lv = p[l.logvar()];
    let e = lv.exp();
    let inv = 1.0 / (e + VAR_FLOOR);
    let (mut ll, mut dlv) = (0.0, 0.0);
    for &i in idx {
        let row = &x[i * l.d..(i + 1) * l.d];
        let a = forward(p, l, row);
        let r = y[i] - a.mu;
        ll += -0.5 * r * r * inv - 0.5 * lv;
        dlv += 0.5 * r * r * e * inv * inv - 0.5;
        backward_row(p, l, row, &a, -r * inv / bsz, grad);
    }
    let m = LOGVAR_PRIOR_MEAN.ln();
    let lv_prior = -(lv - m) * (lv - m) / (2.0 * LOGVAR_PRIOR_VAR) - 0.5 * LOGVAR_PRIOR_VAR.ln();
    grad[l.logvar()] += -dlv / bsz + (lv - m) / (LOGVAR_PRIOR_VAR * nf);
    let count = p.len() as f64;
    let w_prior = -0.5 * p.iter().map(|w| w * w).sum::<f64>() / count;
    for (g, w) in grad.iter_mut().zip(p) {
        *g += w / (count * nf);
    }
    -ll / bsz - lv_prior / nf - w_prior / nf
}

/// PyTorch's default `Linear` initialisation (`U(±1/sqrt(fan_in))`, weights then bias, layer
/// by layer, drawn in `f32`) and pybnn's log variance `ln 1e-3`.
fn init_params(l: Layout, rng: &mut FitRng) -> Vec<f64> {
    let mut p = Vec::with_capacity(l.total());
    for (out, inp) in [(WIDTH, l.d), (WIDTH, WIDTH), (1, WIDTH)] {
        let b = 1.0 / (inp as f64).sqrt();
        p.extend(
            rng.uniform_values(out * inp, -b, b)
                .into_iter()
                .map(f64::from),
        );
        p.extend(rng.uniform_values(out, -b, b).into_iter().map(f64::from));
    }
    p.push(1e-3f64.ln());
    p
}

/// pybnn's adaptive SGHMC state, one value per parameter.
struct Sghmc {
    tau: Vec<f64>,
    g: Vec<f64>,
    v_hat: Vec<f64>,
    mom: Vec<f64>,
}

impl Sghmc {
    fn new(len: usize) -> Self {
        Sghmc {
            tau: vec![1.0; len],
            g: vec![1.0; len],
            v_hat: vec![1.0; len],
            mom: vec![0.0; len],
        }
    }

    /// One step with the (already `n`-scaled) gradient `grad`: burn-in adaptation of the
    /// preconditioner, then momentum and parameter updates with noise drawn tensor by tensor.
    fn step(
        &mut self,
        p: &mut [f64],
        grad: &[f64],
        sizes: &[usize],
        burn_in: bool,
        cfg: &BohamiannParams,
        rng: &mut FitRng,
    ) {
        let lr2 = cfg.lr * cfg.lr;
        let (noise_scale, lr4) = (2.0 * cfg.lr * cfg.lr * cfg.mdecay, cfg.lr.powi(4));
        let mut start = 0;
        for &size in sizes {
            let noise = rng.normal_values(size, 1.0);
            for (i, z) in (start..start + size).zip(noise) {
                let gr = grad[i];
                if burn_in {
                    let tau_inv = 1.0 / (self.tau[i] + 1.0);
                    self.tau[i] +=
                        1.0 - self.tau[i] * (self.g[i] * self.g[i] / (self.v_hat[i] + EPSILON));
                    self.g[i] += -self.g[i] * tau_inv + tau_inv * gr;
                    self.v_hat[i] += -self.v_hat[i] * tau_inv + tau_inv * gr * gr;
                }
                let minv = 1.0 / (self.v_hat[i].sqrt() + EPSILON);
                let evar = minv * noise_scale - lr4;
                let sigma = evar.max(1e-16).sqrt();
                self.mom[i] += -(minv * gr * lr2) - self.mom[i] * cfg.mdecay + f64::from(z) * sigma;
                p[i] += self.mom[i];
            }
            start += size;
        }
    }
}

/// The sampled nets and the target scaling.
struct FittedBnn {
    layout: Layout,
    samples: Vec<Vec<f64>>,
    mean: f64,
    std: f64,
}

/// NASLib's `bohamiann` predictor.
pub struct BohamiannPredictor {
    quirks: Quirks,
    /// Configuration.
    pub params: BohamiannParams,
    fitted: Option<FittedBnn>,
}

impl Default for BohamiannPredictor {
    fn default() -> Self {
        BohamiannPredictor::new(Quirks::Fixed)
    }
}

impl BohamiannPredictor {
    /// NASLib's configuration (the encoding follows `quirks`).
    pub fn new(quirks: Quirks) -> Self {
        BohamiannPredictor {
            quirks,
            params: BohamiannParams::default(),
            fitted: None,
        }
    }

    /// The encodings of `inputs` as a row-major `f64` matrix and its width.
    fn features(&self, inputs: &[ArchInput]) -> Result<(Vec<f64>, usize), NeuralError> {
        let encs = encode_all(inputs, EncodingKind::AdjacencyOneHot, self.quirks)?;
        let (x, d) = dense_matrix(&encs)?;
        Ok((x.into_iter().map(f64::from).collect(), d))
    }

    /// Fits (samples) with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        let _flush = naspred_eval::fpenv::FlushDenormals::new();
        let cfg = self.params.clone();
        if cfg.batch_size == 0 || cfg.keep_every == 0 || !(cfg.lr > 0.0 && cfg.lr.is_finite()) {
            return Err(NeuralError::InvalidParam {
                name: "batch_size/keep_every/lr",
                value: cfg.lr,
                reason: "batch and keep_every >= 1, lr positive",
            });
        }
        self.fitted = None;
        let (x, d) = self.features(train)?;
        let n = train.len();
        let (mean, std) = mean_std(y);
        let yz: Vec<f64> = y.iter().map(|&v| (v - mean) / std).collect();
        let layout = Layout { d };
        let mut rng = FitRng::new(seed);
        let mut p = init_params(layout, &mut rng);
        let mut state = Sghmc::new(p.len());
        let mut grad = vec![0.0; p.len()];
        let mut samples = Vec::new();
        let (mut queue, mut qpos): (Vec<usize>, usize) = (Vec::new(), 0);
        for step in 0..cfg.num_steps {
            if qpos >= queue.len() {
                queue = rng.permutation(n).into_iter().map(|i| i as usize).collect();
                qpos = 0;
            }
            let end = (qpos + cfg.batch_size).min(queue.len());
            loss_and_grad(&p, layout, (&x, &yz), &queue[qpos..end], n, &mut grad);
            qpos = end;
            // pybnn adds the priors divided by n; the sampler scales the gradient by n again.
            grad.iter_mut().for_each(|g| *g *= n as f64);
            state.step(
                &mut p,
                &grad,
                &layout.sizes(),
                step < cfg.burn_in,
                &cfg,
                &mut rng,
            );
            if step > cfg.burn_in && (step - cfg.burn_in).is_multiple_of(cfg.keep_every) {
                samples.push(p.clone());
            }
        }
        if samples.is_empty() {
            samples.push(p);
        }
        self.fitted = Some(FittedBnn {
            layout,
            samples,
            mean,
            std,
        });
        Ok(())
    }

    /// Mean and spread (target units) of the sampled nets' predictions.
    pub fn predict_dist(&self, test: &[ArchInput]) -> Result<Prediction, NeuralError> {
        let f = self.fitted.as_ref().ok_or(NeuralError::NotFitted)?;
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: Some(Vec::new()),
            });
        }
        let (x, d) = self.features(test)?;
        let l = f.layout;
        if d != l.d {
            return Err(NeuralError::BadEncoding {
                index: 0,
                what: format!("{d} features, fitted on {}", l.d),
            });
        }
        let k = f.samples.len() as f64;
        let mut mean = Vec::with_capacity(test.len());
        let mut std = Vec::with_capacity(test.len());
        for (i, row) in x.chunks_exact(d).enumerate() {
            let mus: Vec<f64> = f.samples.iter().map(|s| forward(s, l, row).mu).collect();
            let mu = mus.iter().sum::<f64>() / k;
            // pybnn's total variance: spread of the sampled means plus their noise variance.
            let var = f
                .samples
                .iter()
                .zip(&mus)
                .map(|(s, m)| (m - mu) * (m - mu) + s[l.logvar()].exp())
                .sum::<f64>()
                / k;
            if !(mu.is_finite() && var.is_finite()) {
                return Err(NeuralError::Diverged(format!(
                    "prediction {i} is not finite ({mu})"
                )));
            }
            mean.push(mu * f.std + f.mean);
            std.push(var.max(0.0).sqrt() * f.std);
        }
        Ok(Prediction {
            mean,
            std: Some(std),
        })
    }
}

impl Predictor for BohamiannPredictor {
    fn key(&self) -> &str {
        "bohamiann"
    }

    fn requirements(&self) -> Requirements {
        Requirements::model_based()
    }

    fn fit(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        ctx: &mut Context<'_>,
    ) -> Result<(), PredictorError> {
        let seed = fit_seed(ctx.rng);
        self.fit_seeded(train, y, seed)
            .map_err(|e| e.into_fit("bohamiann"))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        Ok(self
            .predict_dist(test)
            .map_err(|e| e.into_query("bohamiann"))?
            .mean)
    }

    fn query_dist(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Prediction, PredictorError> {
        self.predict_dist(test)
            .map_err(|e| e.into_query("bohamiann"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Kind, Tensor};

    /// The objective of [`loss_and_grad`] written with tch operations, as the earlier tch
    /// implementation computed it, for autograd.
    fn tch_loss(params: &[Tensor], x: &Tensor, y: &Tensor, n: f64) -> Tensor {
        let mut h = x.shallow_clone();
        for l in 0..2 {
            h = h.linear(&params[2 * l], Some(&params[2 * l + 1])).tanh();
        }
        let mu = h.linear(&params[4], Some(&params[5])).view([-1]);
        let lv = &params[6] * mu.ones_like().view([-1, 1]);
        let bsz = mu.size()[0] as f64;
        let inv = (lv.exp().view([-1]) + VAR_FLOOR).reciprocal();
        let ll = ((y - &mu).square() * inv * (-0.5) - lv.view([-1]) * 0.5).sum(Kind::Double);
        let d = &lv - LOGVAR_PRIOR_MEAN.ln();
        let lv_prior = (d.square() * (-1.0 / (2.0 * LOGVAR_PRIOR_VAR))
            - 0.5 * LOGVAR_PRIOR_VAR.ln())
        .mean(Kind::Double);
        let count: i64 = params.iter().map(|t| t.numel() as i64).sum();
        let mut w_prior = Tensor::zeros([], (Kind::Double, tch::Device::Cpu));
        for t in params {
            w_prior += t.square().sum(Kind::Double) * (-0.5);
        }
        let w_prior = w_prior / count as f64;
        -(ll / bsz) - lv_prior / n - w_prior / n
    }

    #[test]
    fn hand_written_gradient_matches_autograd() {
        let l = Layout { d: 7 };
        let mut rng = FitRng::new(5);
        let mut p = init_params(l, &mut rng);
        // Move the log variance and the output bias away from their initial values so that
        // every term of the gradient is exercised.
        p[l.logvar()] = -1.3;
        p[l.b3()] = 0.4;
        let rows = 12;
        let x: Vec<f64> = rng
            .uniform_values(rows * l.d, 0.0, 1.0)
            .into_iter()
            .map(|v| f64::from(v.round()))
            .collect();
        let y: Vec<f64> = rng
            .normal_values(rows, 1.0)
            .into_iter()
            .map(f64::from)
            .collect();
        let idx = [3usize, 0, 7, 7, 11, 5];
        let n = 40;
        let mut grad = vec![0.0; p.len()];
        let loss = loss_and_grad(&p, l, (&x, &y), &idx, n, &mut grad);

        let mut start = 0;
        let shapes: [&[i64]; 7] = [&[50, 7], &[50], &[50, 50], &[50], &[1, 50], &[1], &[1, 1]];
        let params: Vec<Tensor> = l
            .sizes()
            .iter()
            .zip(shapes)
            .map(|(&s, shape)| {
                let t = Tensor::from_slice(&p[start..start + s]).view(shape);
                start += s;
                t.set_requires_grad(true)
            })
            .collect();
        let sel: Vec<i64> = idx.iter().map(|&i| i as i64).collect();
        let sel = Tensor::from_slice(&sel);
        let xt = Tensor::from_slice(&x)
            .view([rows as i64, 7])
            .index_select(0, &sel);
        let yt = Tensor::from_slice(&y).index_select(0, &sel);
        let lt = tch_loss(&params, &xt, &yt, n as f64);
        lt.backward();
        assert!(
            (lt.double_value(&[]) - loss).abs() < 1e-10,
            "loss {loss} vs {lt}"
        );
        let auto: Vec<f64> = params
            .iter()
            .flat_map(|t| Vec::<f64>::try_from(&t.grad().contiguous().view([-1])).unwrap())
            .collect();
        assert_eq!(auto.len(), grad.len());
        let worst = auto
            .iter()
            .zip(&grad)
            .map(|(a, b)| (a - b).abs() / (1e-8 + a.abs()))
            .fold(0.0, f64::max);
        assert!(worst < 1e-8, "largest relative gradient difference {worst}");
        assert!(grad.iter().filter(|g| g.abs() > 1e-6).count() > grad.len() / 4);
    }
}
