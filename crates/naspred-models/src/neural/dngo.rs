//! DNGO: NASLib's `DNGOPredictor` (`naslib/predictors/bnn/dngo.py` over pybnn's `DNGO`).
//!
//! * Net: `Linear(d, 50)`, tanh, `Linear(50, 50)`, tanh, `Linear(50, 50)`, tanh, `Linear(50, 1)`
//!   (PyTorch's default initialisation), trained with Adam (lr 0.01) for 500 epochs on
//!   minibatches of 10 (the whole set when `n <= 10`; the last partial batch is dropped), MSE on
//!   z-scored targets; inputs are not normalised.
//! * Then a Bayesian linear regression on the 50 last-layer basis functions (no bias column):
//!   prior precision `alpha`, noise precision `beta`, posterior `A = alpha I + beta Phi^T Phi`,
//!   `m = beta A^-1 Phi^T y`. Its hyperparameters are sampled with emcee's affine-invariant
//!   ensemble sampler (stretch move, `a = 2`): 20 walkers started at `log alpha ~ N(0, 1)`,
//!   `log sigma^2 ~ N(-3, 1)`, 2000 burn-in plus 2000 steps on the marginal likelihood (minus
//!   infinity outside `|theta| <= 10`); each walker's final position is one model, and the
//!   prediction averages the 20 models' means (the predictive std of [`Predictor::query_dist`]
//!   is the mixture's).
//!
//! The marginal likelihood is evaluated in O(50) per step from one eigendecomposition of
//! `Phi^T Phi`, so the MCMC costs milliseconds.

use naspred_eval::predictor::{
    ArchInput, Context, Prediction, Predictor, PredictorError, Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};
use rand::Rng;
use tch::{Kind, Tensor};

use super::{
    check_train, dense_tensor, encode_all, fit_seed, mean_std, param, single_threaded,
    to_vec_finite, Adam, FitRng, NeuralError,
};

/// DNGO's configuration (pybnn / NASLib defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct DngoParams {
    /// Training epochs of the net (500).
    pub epochs: usize,
    /// Minibatch (10).
    pub batch_size: usize,
    /// Adam learning rate (0.01).
    pub lr: f64,
    /// MCMC walkers (20).
    pub walkers: usize,
    /// MCMC burn-in steps (2000).
    pub burn_in: usize,
    /// MCMC steps after burn-in (2000).
    pub chain_length: usize,
}

impl Default for DngoParams {
    fn default() -> Self {
        DngoParams {
            epochs: 500,
            batch_size: 10,
            lr: 0.01,
            walkers: 20,
            burn_in: 2000,
            chain_length: 2000,
        }
    }
}

pub(crate) struct TanhNet {
    pub(crate) layers: Vec<(Tensor, Tensor)>,
    pub(crate) out: (Tensor, Tensor),
}

impl TanhNet {
    /// PyTorch's default Linear initialisation, `U(±1/sqrt(fan_in))` for weights and biases.
    pub(crate) fn new_default(d: i64, rng: &mut FitRng) -> Self {
        let mut lin = |out: i64, inp: i64| {
            let b = 1.0 / (inp as f64).sqrt();
            (
                param(rng.uniform(&[out, inp], -b, b)),
                param(rng.uniform(&[out], -b, b)),
            )
        };
        let layers = vec![lin(50, d), lin(50, 50), lin(50, 50)];
        let out = lin(1, 50);
        TanhNet { layers, out }
    }

    pub(crate) fn params(&self) -> Vec<Tensor> {
        let mut v = Vec::new();
        for (w, b) in self.layers.iter().chain(std::iter::once(&self.out)) {
            v.push(w.shallow_clone());
            v.push(b.shallow_clone());
        }
        v
    }

    pub(crate) fn basis(&self, x: &Tensor) -> Tensor {
        let mut h = x.shallow_clone();
        for (w, b) in &self.layers {
            h = h.linear(w, Some(b)).tanh();
        }
        h
    }

    pub(crate) fn forward(&self, x: &Tensor) -> Tensor {
        self.basis(x).linear(&self.out.0, Some(&self.out.1))
    }
}

/// The Bayesian linear regression on fixed basis functions, in the eigenbasis of `Phi^T Phi`.
struct Blr {
    /// Eigenvalues of `Phi^T Phi`.
    lam: Vec<f64>,
    /// Eigenvectors (column `i` is `V[.., i]`), row-major `d x d`.
    vecs: Vec<f64>,
    /// `V^T Phi^T y`.
    b: Vec<f64>,
    yty: f64,
    n: usize,
}

impl Blr {
    fn new(phi: &Tensor, y: &[f64]) -> Result<Blr, NeuralError> {
        let phi = phi.to_kind(Kind::Double);
        let d = phi.size()[1] as usize;
        let yt = Tensor::from_slice(y);
        let gram = phi.transpose(0, 1).matmul(&phi);
        let (lam, vecs) = gram.f_linalg_eigh("L")?;
        let b = vecs
            .transpose(0, 1)
            .matmul(&phi.transpose(0, 1).matmul(&yt));
        let lam: Vec<f64> = Vec::<f64>::try_from(&lam)?
            .into_iter()
            .map(|l| l.max(0.0))
            .collect();
        let vecs: Vec<f64> = Vec::<f64>::try_from(&vecs.contiguous().view([-1]))?;
        let b: Vec<f64> = Vec::<f64>::try_from(&b)?;
        debug_assert_eq!(vecs.len(), d * d);
        Ok(Blr {
            lam,
            vecs,
            b,
            yty: y.iter().map(|v| v * v).sum(),
            n: y.len(),
        })
    }

    /// pybnn's marginal log-likelihood of `theta = (log alpha, log sigma^2)`.
    fn mll(&self, theta: [f64; 2]) -> f64 {
        if theta.iter().any(|t| !(-10.0..=10.0).contains(t)) {
            return f64::NEG_INFINITY;
        }
        let alpha = theta[0].exp();
        let beta = 1.0 / theta[1].exp();
        let d = self.lam.len() as f64;
        let n = self.n as f64;
        let (mut mtm, mut mtphity, mut mtgm, mut logdet) = (0.0, 0.0, 0.0, 0.0);
        for (&l, &b) in self.lam.iter().zip(&self.b) {
            let a = alpha + beta * l;
            let mi = beta * b / a;
            mtm += mi * mi;
            mtphity += mi * b;
            mtgm += mi * mi * l;
            logdet += a.ln();
        }
        let resid = (self.yty - 2.0 * mtphity + mtgm).max(0.0);
        d / 2.0 * alpha.ln() + n / 2.0 * beta.ln()
            - n / 2.0 * (2.0 * std::f64::consts::PI).ln()
            - beta / 2.0 * resid
            - alpha / 2.0 * mtm
            - 0.5 * logdet
    }

    /// Predictive mean and variance of basis rows `phi` (`rows x d`, row-major) under `theta`.
    fn predict(&self, theta: [f64; 2], phi: &[f64], rows: usize) -> (Vec<f64>, Vec<f64>) {
        let alpha = theta[0].exp();
        let beta = 1.0 / theta[1].exp();
        let d = self.lam.len();
        let inv: Vec<f64> = self.lam.iter().map(|&l| 1.0 / (alpha + beta * l)).collect();
        let mut mean = Vec::with_capacity(rows);
        let mut var = Vec::with_capacity(rows);
        let mut proj = vec![0.0; d];
        for r in 0..rows {
            let x = &phi[r * d..(r + 1) * d];
            // proj = V^T x
            for (i, p) in proj.iter_mut().enumerate() {
                *p = (0..d).map(|k| self.vecs[k * d + i] * x[k]).sum();
            }
            let mut mu = 0.0;
            let mut v = 1.0 / beta;
            for i in 0..d {
                mu += beta * inv[i] * self.b[i] * proj[i];
                v += proj[i] * proj[i] * inv[i];
            }
            mean.push(mu);
            var.push(v);
        }
        (mean, var)
    }
}

/// emcee's ensemble sampler (stretch move, `a = 2`, two alternating halves); the final walker
/// positions.
fn ensemble_sample<R: Rng>(
    lnp: impl Fn([f64; 2]) -> f64,
    mut pos: Vec<[f64; 2]>,
    steps: usize,
    rng: &mut R,
) -> Vec<[f64; 2]> {
    let k = pos.len();
    let mut lp: Vec<f64> = pos.iter().map(|&p| lnp(p)).collect();
    let half = k / 2;
    if half == 0 {
        return pos;
    }
    for _ in 0..steps {
        for s in 0..2 {
            let (active, other) = if s == 0 {
                (0..half, half..k)
            } else {
                (half..k, 0..half)
            };
            let others: Vec<[f64; 2]> = pos[other.clone()].to_vec();
            for w in active {
                let u: f64 = rng.random();
                let z = (u + 1.0).powi(2) / 2.0; // ((a-1)u + 1)^2 / a with a = 2
                let j = &others[rng.random_range(0..others.len())];
                let prop = [j[0] + z * (pos[w][0] - j[0]), j[1] + z * (pos[w][1] - j[1])];
                let lpp = lnp(prop);
                let logr = z.ln() + lpp - lp[w]; // (d - 1) ln z with d = 2
                if lpp.is_finite() && rng.random::<f64>().ln() < logr {
                    pos[w] = prop;
                    lp[w] = lpp;
                }
            }
        }
    }
    pos
}

/// NASLib's `dngo` predictor.
pub struct DngoPredictor {
    quirks: Quirks,
    /// Configuration.
    pub params: DngoParams,
    fitted: Option<Fitted>,
}

struct Fitted {
    net: TanhNet,
    blr: Blr,
    thetas: Vec<[f64; 2]>,
    mean: f64,
    std: f64,
}

impl Default for DngoPredictor {
    fn default() -> Self {
        DngoPredictor::new(Quirks::Fixed)
    }
}

impl DngoPredictor {
    /// NASLib's configuration (the encoding follows `quirks`).
    pub fn new(quirks: Quirks) -> Self {
        DngoPredictor {
            quirks,
            params: DngoParams::default(),
            fitted: None,
        }
    }

    /// Fits with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        let p = self.params.clone();
        if p.batch_size == 0 || p.walkers < 2 || !(p.lr > 0.0 && p.lr.is_finite()) {
            return Err(NeuralError::InvalidParam {
                name: "batch_size/walkers/lr",
                value: p.lr,
                reason: "batch >= 1, walkers >= 2, lr positive",
            });
        }
        single_threaded();
        self.fitted = None;
        let x = dense_tensor(&encode_all(
            train,
            EncodingKind::AdjacencyOneHot,
            self.quirks,
        )?)?;
        let n = train.len();
        let (mean, std) = mean_std(y);
        let yz: Vec<f64> = y.iter().map(|&v| (v - mean) / std).collect();
        let yzf: Vec<f32> = yz.iter().map(|&v| v as f32).collect();
        let yt = Tensor::from_slice(&yzf);
        let mut rng = FitRng::new(seed);
        let net = TanhNet::new_default(x.size()[1], &mut rng);
        let mut opt = Adam::new(net.params(), p.lr, (0.9, 0.999), 0.0);
        let batch = if n <= p.batch_size { n } else { p.batch_size };
        for _ in 0..p.epochs {
            let perm = rng.permutation(n);
            for idx in super::batches(&perm, batch, true) {
                let idx = Tensor::from_slice(idx);
                opt.zero_grad();
                let pred = net.forward(&x.index_select(0, &idx)).view([-1]);
                let loss = (pred - yt.index_select(0, &idx)).square().mean(Kind::Float);
                loss.backward();
                opt.step();
            }
        }
        let phi = tch::no_grad(|| net.basis(&x));
        let blr = Blr::new(&phi, &yz)?;
        let inner = rng.inner();
        let start: Vec<[f64; 2]> = (0..p.walkers)
            .map(|_| [std_normal(inner), -3.0 + std_normal(inner)])
            .collect();
        let thetas = ensemble_sample(|t| blr.mll(t), start, p.burn_in + p.chain_length, inner);
        self.fitted = Some(Fitted {
            net,
            blr,
            thetas,
            mean,
            std,
        });
        Ok(())
    }

    /// Predictive mean and std (target units) of `test`.
    pub fn predict_dist(&self, test: &[ArchInput]) -> Result<Prediction, NeuralError> {
        let f = self.fitted.as_ref().ok_or(NeuralError::NotFitted)?;
        if test.is_empty() {
            return Ok(Prediction {
                mean: Vec::new(),
                std: Some(Vec::new()),
            });
        }
        let x = dense_tensor(&encode_all(
            test,
            EncodingKind::AdjacencyOneHot,
            self.quirks,
        )?)?;
        let phi = tch::no_grad(|| f.net.basis(&x));
        let phi = to_vec_finite(&phi.contiguous().view([-1]))?;
        let rows = test.len();
        let k = f.thetas.len() as f64;
        let mut m1 = vec![0.0; rows];
        let mut m2 = vec![0.0; rows];
        for &t in &f.thetas {
            let (mu, var) = f.blr.predict(t, &phi, rows);
            for i in 0..rows {
                m1[i] += mu[i] / k;
                m2[i] += (var[i] + mu[i] * mu[i]) / k;
            }
        }
        let mean: Vec<f64> = m1.iter().map(|m| m * f.std + f.mean).collect();
        let std: Vec<f64> = m1
            .iter()
            .zip(&m2)
            .map(|(a, b)| (b - a * a).max(0.0).sqrt() * f.std)
            .collect();
        if let Some(i) = mean.iter().position(|v| !v.is_finite()) {
            return Err(NeuralError::Diverged(format!(
                "prediction {i} is not finite"
            )));
        }
        Ok(Prediction {
            mean,
            std: Some(std),
        })
    }
}

fn std_normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl Predictor for DngoPredictor {
    fn key(&self) -> &str {
        "dngo"
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
            .map_err(|e| e.into_fit("dngo"))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        Ok(self
            .predict_dist(test)
            .map_err(|e| e.into_query("dngo"))?
            .mean)
    }

    fn query_dist(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Prediction, PredictorError> {
        self.predict_dist(test).map_err(|e| e.into_query("dngo"))
    }
}
