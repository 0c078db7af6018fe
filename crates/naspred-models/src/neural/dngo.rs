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
//!
//! The net is trained in plain Rust `f32` (hand-written backward pass, PyTorch's Adam update
//! step for step; both checked against tch in this module's tests): with minibatches of 10 rows,
//! libtorch's per-operation overhead, not arithmetic, was most of a tch fit.

use nalgebra::{DMatrix, SymmetricEigen};
use naspred_eval::predictor::{
    ArchInput, Context, Prediction, Predictor, PredictorError, Requirements,
};
use naspred_spaces::{EncodingKind, Quirks};
use rand::Rng;

use super::{check_train, dense_matrix, encode_all, fit_seed, mean_std, FitRng, NeuralError};

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

/// Width of the hidden layers (the basis functions).
const WIDTH: usize = 50;

/// One `Linear(inp, WIDTH)` layer in `f32`, its weight stored input-major (`wt[k * WIDTH + j]`
/// is PyTorch's `weight[j][k]`) so that the forward pass runs over contiguous rows.
#[derive(Clone)]
struct Dense {
    wt: Vec<f32>,
    b: Vec<f32>,
}

impl Dense {
    /// PyTorch's default initialisation, `U(±1/sqrt(fan_in))` for the weight (drawn in its
    /// `out x in` order) then the bias.
    fn new_default(inp: usize, out: usize, rng: &mut FitRng) -> Self {
        let bound = 1.0 / (inp as f64).sqrt();
        let w = rng.uniform_values(out * inp, -bound, bound);
        let b = rng.uniform_values(out, -bound, bound);
        let mut wt = vec![0.0; out * inp];
        for j in 0..out {
            for k in 0..inp {
                wt[k * out + j] = w[j * inp + k];
            }
        }
        Dense { wt, b }
    }

    /// `tanh(b + W x)` into `h`; zero inputs are skipped (the encodings are mostly 0/1).
    fn forward_tanh(&self, x: &[f32], h: &mut [f32]) {
        h.copy_from_slice(&self.b);
        for (k, &xk) in x.iter().enumerate() {
            if xk != 0.0 {
                let row = &self.wt[k * WIDTH..(k + 1) * WIDTH];
                for (hj, w) in h.iter_mut().zip(row) {
                    *hj += xk * w;
                }
            }
        }
        h.iter_mut().for_each(|v| *v = v.tanh());
    }

    /// Accumulates the gradient of the pre-activation gradient `da` into `grad` (same layout)
    /// and, when `dx` is given, writes the gradient with respect to the input.
    fn backward(&self, x: &[f32], da: &[f32], grad: &mut Dense, dx: Option<&mut [f32]>) {
        for (g, d) in grad.b.iter_mut().zip(da) {
            *g += d;
        }
        for (k, &xk) in x.iter().enumerate() {
            if xk != 0.0 {
                let row = &mut grad.wt[k * WIDTH..(k + 1) * WIDTH];
                for (g, d) in row.iter_mut().zip(da) {
                    *g += xk * d;
                }
            }
        }
        if let Some(dx) = dx {
            for (k, out) in dx.iter_mut().enumerate() {
                *out = dot(&self.wt[k * WIDTH..(k + 1) * WIDTH], da);
            }
        }
    }

    fn zeros_like(&self) -> Dense {
        Dense {
            wt: vec![0.0; self.wt.len()],
            b: vec![0.0; self.b.len()],
        }
    }
}

/// A dot product with eight partial sums (vectorisable without reassociating a single chain).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// pybnn's DNGO net in `f32`: three `tanh` layers of 50 units (the basis functions) and a
/// linear output unit (`out_w`, `out_b`).
#[derive(Clone)]
struct TanhNet {
    layers: [Dense; 3],
    out_w: Vec<f32>,
    out_b: f32,
}

/// The activations of one row: the outputs of the three hidden layers.
type Hidden = [[f32; WIDTH]; 3];

impl TanhNet {
    /// PyTorch's default initialisation, layer by layer.
    fn new_default(d: usize, rng: &mut FitRng) -> Self {
        let layers = [
            Dense::new_default(d, WIDTH, rng),
            Dense::new_default(WIDTH, WIDTH, rng),
            Dense::new_default(WIDTH, WIDTH, rng),
        ];
        let bound = 1.0 / (WIDTH as f64).sqrt();
        let out_w = rng.uniform_values(WIDTH, -bound, bound);
        let out_b = rng.uniform_values(1, -bound, bound)[0];
        TanhNet {
            layers,
            out_w,
            out_b,
        }
    }

    /// The basis functions (last hidden layer) and the hidden activations of one row.
    fn hidden(&self, x: &[f32]) -> Hidden {
        let mut h = [[0.0f32; WIDTH]; 3];
        self.layers[0].forward_tanh(x, &mut h[0]);
        let (h0, rest) = h.split_at_mut(1);
        self.layers[1].forward_tanh(&h0[0], &mut rest[0]);
        let (h1, h2) = rest.split_at_mut(1);
        self.layers[2].forward_tanh(&h1[0], &mut h2[0]);
        h
    }

    fn output(&self, h: &Hidden) -> f32 {
        self.out_b + dot(&self.out_w, &h[2])
    }

    /// Adds the gradient of `dout * output(x)` to `grad`.
    fn backward(&self, x: &[f32], h: &Hidden, dout: f32, grad: &mut TanhNet) {
        grad.out_b += dout;
        let mut da = [0.0f32; WIDTH];
        for j in 0..WIDTH {
            grad.out_w[j] += dout * h[2][j];
            da[j] = dout * self.out_w[j] * (1.0 - h[2][j] * h[2][j]);
        }
        let mut dx = [0.0f32; WIDTH];
        for l in (1..3).rev() {
            self.layers[l].backward(&h[l - 1], &da, &mut grad.layers[l], Some(&mut dx));
            for j in 0..WIDTH {
                da[j] = dx[j] * (1.0 - h[l - 1][j] * h[l - 1][j]);
            }
        }
        self.layers[0].backward(x, &da, &mut grad.layers[0], None);
    }

    fn zeros_like(&self) -> TanhNet {
        TanhNet {
            layers: [
                self.layers[0].zeros_like(),
                self.layers[1].zeros_like(),
                self.layers[2].zeros_like(),
            ],
            out_w: vec![0.0; WIDTH],
            out_b: 0.0,
        }
    }

    /// Every parameter, mutably, in one fixed order (for the optimiser).
    fn slices_mut(&mut self) -> Vec<&mut [f32]> {
        let mut v: Vec<&mut [f32]> = Vec::with_capacity(8);
        for l in &mut self.layers {
            v.push(&mut l.wt);
            v.push(&mut l.b);
        }
        v.push(&mut self.out_w);
        v.push(std::slice::from_mut(&mut self.out_b));
        v
    }

    /// MSE of the batch rows `idx` (row-major `x`, `d` columns); its gradient into `grad`.
    fn mse_grad(&self, (x, d): (&[f32], usize), y: &[f32], idx: &[i64], grad: &mut TanhNet) {
        grad.slices_mut().into_iter().for_each(|s| s.fill(0.0));
        let scale = 2.0 / idx.len() as f32;
        for &i in idx {
            let i = i as usize;
            let row = &x[i * d..(i + 1) * d];
            let h = self.hidden(row);
            let err = self.output(&h) - y[i];
            self.backward(row, &h, scale * err, grad);
        }
    }

    /// The basis functions of every row of `x` (`d` columns) as a row-major `f64` matrix.
    fn basis(&self, x: &[f32], d: usize) -> Vec<f64> {
        x.chunks_exact(d)
            .flat_map(|row| self.hidden(row)[2].map(f64::from))
            .collect()
    }
}

/// PyTorch's Adam (`torch.optim.Adam`, no weight decay, single-tensor path) in `f32`.
struct Adam {
    lr: f64,
    betas: (f64, f64),
    eps: f32,
    step: i32,
    m: TanhNet,
    v: TanhNet,
}

impl Adam {
    fn new(net: &TanhNet, lr: f64) -> Self {
        Adam {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            step: 0,
            m: net.zeros_like(),
            v: net.zeros_like(),
        }
    }

    fn update(&mut self, net: &mut TanhNet, grad: &mut TanhNet) {
        self.step += 1;
        let (b1, b2) = self.betas;
        let step_size = (self.lr / (1.0 - b1.powi(self.step))) as f32;
        let bc2_sqrt = (1.0 - b2.powi(self.step)).sqrt() as f32;
        let (w1, b2f, w2) = ((1.0 - b1) as f32, b2 as f32, (1.0 - b2) as f32);
        let groups = net
            .slices_mut()
            .into_iter()
            .zip(grad.slices_mut())
            .zip(self.m.slices_mut().into_iter().zip(self.v.slices_mut()));
        for ((p, g), (m, v)) in groups {
            let per_value = p
                .iter_mut()
                .zip(g.iter())
                .zip(m.iter_mut().zip(v.iter_mut()));
            for ((p, &g), (m, v)) in per_value {
                *m += w1 * (g - *m);
                *v = *v * b2f + w2 * g * g;
                let denom = v.sqrt() / bc2_sqrt + self.eps;
                *p += -step_size * (*m / denom);
            }
        }
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
    /// From the row-major basis matrix `phi` (`y.len()` rows of `WIDTH`).
    fn new(phi: &[f64], y: &[f64]) -> Result<Blr, NeuralError> {
        let d = WIDTH;
        let phi = DMatrix::from_row_slice(y.len(), d, phi);
        let eig =
            SymmetricEigen::try_new(phi.transpose() * &phi, f64::EPSILON, 0).ok_or_else(|| {
                NeuralError::Diverged("eigendecomposition of Phi^T Phi did not converge".into())
            })?;
        let phity = phi.transpose() * nalgebra::DVector::from_column_slice(y);
        let b = eig.eigenvectors.transpose() * phity;
        let mut vecs = vec![0.0; d * d];
        for k in 0..d {
            for i in 0..d {
                vecs[k * d + i] = eig.eigenvectors[(k, i)];
            }
        }
        Ok(Blr {
            lam: eig.eigenvalues.iter().map(|l| l.max(0.0)).collect(),
            vecs,
            b: b.iter().copied().collect(),
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
    d: usize,
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

    /// The `f32` encodings of `inputs`, row-major, and their width.
    fn features(&self, inputs: &[ArchInput]) -> Result<(Vec<f32>, usize), NeuralError> {
        dense_matrix(&encode_all(
            inputs,
            EncodingKind::AdjacencyOneHot,
            self.quirks,
        )?)
    }

    /// Fits with an explicit seed.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        seed: u64,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        let _flush = naspred_eval::fpenv::FlushDenormals::new();
        let p = self.params.clone();
        if p.batch_size == 0 || p.walkers < 2 || !(p.lr > 0.0 && p.lr.is_finite()) {
            return Err(NeuralError::InvalidParam {
                name: "batch_size/walkers/lr",
                value: p.lr,
                reason: "batch >= 1, walkers >= 2, lr positive",
            });
        }
        self.fitted = None;
        let (x, d) = self.features(train)?;
        let n = train.len();
        let (mean, std) = mean_std(y);
        let yz: Vec<f64> = y.iter().map(|&v| (v - mean) / std).collect();
        let yzf: Vec<f32> = yz.iter().map(|&v| v as f32).collect();
        let mut rng = FitRng::new(seed);
        let mut net = TanhNet::new_default(d, &mut rng);
        let mut opt = Adam::new(&net, p.lr);
        let mut grad = net.zeros_like();
        let batch = if n <= p.batch_size { n } else { p.batch_size };
        for _ in 0..p.epochs {
            let perm = rng.permutation(n);
            for idx in super::batches(&perm, batch, true) {
                net.mse_grad((&x, d), &yzf, idx, &mut grad);
                opt.update(&mut net, &mut grad);
            }
        }
        let blr = Blr::new(&net.basis(&x, d), &yz)?;
        let inner = rng.inner();
        let start: Vec<[f64; 2]> = (0..p.walkers)
            .map(|_| [std_normal(inner), -3.0 + std_normal(inner)])
            .collect();
        let thetas = ensemble_sample(|t| blr.mll(t), start, p.burn_in + p.chain_length, inner);
        self.fitted = Some(Fitted {
            net,
            d,
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
        let (x, d) = self.features(test)?;
        if d != f.d {
            return Err(NeuralError::BadEncoding {
                index: 0,
                what: format!("{d} features, fitted on {}", f.d),
            });
        }
        let phi = f.net.basis(&x, d);
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

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Kind, Tensor};

    /// The net's parameters as tch leaf tensors in PyTorch's layout and order.
    fn to_tch(net: &TanhNet, d: usize) -> Vec<Tensor> {
        let mut out = Vec::new();
        for (l, inp) in net.layers.iter().zip([d, WIDTH, WIDTH]) {
            let w = Tensor::from_slice(&l.wt)
                .view([inp as i64, WIDTH as i64])
                .tr()
                .contiguous();
            out.push(w.set_requires_grad(true));
            out.push(Tensor::from_slice(&l.b).set_requires_grad(true));
        }
        out.push(
            Tensor::from_slice(&net.out_w)
                .view([1, WIDTH as i64])
                .set_requires_grad(true),
        );
        out.push(Tensor::from_slice(&[net.out_b]).set_requires_grad(true));
        out
    }

    fn flat(net: &TanhNet, d: usize) -> Vec<f32> {
        // Weights back in PyTorch's out x in order.
        let mut v = Vec::new();
        for (l, inp) in net.layers.iter().zip([d, WIDTH, WIDTH]) {
            for j in 0..WIDTH {
                v.extend((0..inp).map(|k| l.wt[k * WIDTH + j]));
            }
            v.extend_from_slice(&l.b);
        }
        v.extend_from_slice(&net.out_w);
        v.push(net.out_b);
        v
    }

    fn tch_flat(ts: &[Tensor]) -> Vec<f32> {
        ts.iter()
            .flat_map(|t| Vec::<f32>::try_from(&t.contiguous().view([-1])).unwrap())
            .collect()
    }

    fn close(a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len());
        let worst = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs() / (1e-3 + x.abs().max(y.abs())))
            .fold(0.0, f32::max);
        assert!(worst < tol, "largest relative difference {worst}");
    }

    fn problem(d: usize, rows: usize) -> (TanhNet, Vec<f32>, Vec<f32>) {
        let mut rng = FitRng::new(9);
        let net = TanhNet::new_default(d, &mut rng);
        let x: Vec<f32> = rng
            .uniform_values(rows * d, 0.0, 1.0)
            .into_iter()
            .map(|v| v.round())
            .collect();
        let y = rng.normal_values(rows, 1.0);
        (net, x, y)
    }

    fn tch_loss(ts: &[Tensor], x: &Tensor, y: &Tensor) -> Tensor {
        let mut h = x.shallow_clone();
        for l in 0..3 {
            h = h.linear(&ts[2 * l], Some(&ts[2 * l + 1])).tanh();
        }
        let pred = h.linear(&ts[6], Some(&ts[7])).view([-1]);
        (pred - y).square().mean(Kind::Float)
    }

    #[test]
    fn hand_written_gradient_matches_autograd() {
        let (d, rows) = (9, 16);
        let (net, x, y) = problem(d, rows);
        let idx: Vec<i64> = vec![4, 0, 15, 7, 7, 2, 11, 9, 1, 13];
        let mut grad = net.zeros_like();
        net.mse_grad((&x, d), &y, &idx, &mut grad);

        let ts = to_tch(&net, d);
        let sel = Tensor::from_slice(&idx);
        let xt = Tensor::from_slice(&x)
            .view([rows as i64, d as i64])
            .index_select(0, &sel);
        let yt = Tensor::from_slice(&y).index_select(0, &sel);
        tch_loss(&ts, &xt, &yt).backward();
        let auto = tch_flat(&ts.iter().map(|t| t.grad()).collect::<Vec<_>>());
        close(&flat(&grad, d), &auto, 1e-4);
        assert!(auto.iter().filter(|g| g.abs() > 1e-6).count() > auto.len() / 2);
    }

    #[test]
    fn adam_steps_match_the_tch_adam() {
        let (d, rows) = (9, 30);
        let (mut net, x, y) = problem(d, rows);
        let ts = to_tch(&net, d);
        let mut tch_opt = super::super::Adam::new(
            ts.iter().map(|t| t.shallow_clone()).collect(),
            0.01,
            (0.9, 0.999),
            0.0,
        );
        let mut opt = Adam::new(&net, 0.01);
        let mut grad = net.zeros_like();
        let xt = Tensor::from_slice(&x).view([rows as i64, d as i64]);
        let yt = Tensor::from_slice(&y);
        for step in 0..20i64 {
            let idx: Vec<i64> = (0..10).map(|k| (step * 7 + k * 3) % rows as i64).collect();
            net.mse_grad((&x, d), &y, &idx, &mut grad);
            opt.update(&mut net, &mut grad);
            let sel = Tensor::from_slice(&idx);
            tch_opt.zero_grad();
            tch_loss(&ts, &xt.index_select(0, &sel), &yt.index_select(0, &sel)).backward();
            tch_opt.step();
        }
        close(&flat(&net, d), &tch_flat(&ts), 1e-3);
    }
}
