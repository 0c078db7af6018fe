//! Computing proxies for one architecture, sharing forward and backward passes.
//!
//! One network is built per architecture. The image-based proxies share **one** forward pass
//! of the minibatch (BN in train mode, as every NASLib copy of the network computes the same
//! function of the same weights and batch):
//!
//! * one backward of the cross-entropy loss gives the weight gradients of `grad_norm`, `snip`,
//!   `plain`, `grasp`'s first gradient and (through the recorded conv / linear outputs)
//!   `fisher`'s activation gradients; with `grasp` requested it keeps its graph for the
//!   Hessian-gradient product, one more backward;
//! * one backward of the summed logits to the input gives the Jacobian of `jacov`,
//!   `jacov_faithful` (the same value, without the NB101 negation) and `epe_nas`; `nwot` reads
//!   the ReLU inputs recorded by the same forward.
//!
//! `synflow` runs on a BN-free float64 copy with absolute parameters and an all-ones input;
//! `zen` on a Gaussian re-initialised copy with Gaussian inputs; `params` / `flops` count a
//! batch-1 pass as tensorwatch does; `l2_norm` reads the weights.
//!
//! The time of a shared pass is split evenly among the proxies that use it; each proxy's own
//! reduction is timed separately.

use std::time::Instant;

use naspred_data::cifar::ImageBatch;
use naspred_data::Dataset;
use naspred_nets::{NetConfig, Network, Trace};
use naspred_spaces::{AnyArch, SpaceKind};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Device, Kind, Tensor};

use crate::{Proxy, ZcError};

/// Settings of a zero-cost computation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZcSettings {
    /// The dataset (classes and input side).
    pub dataset: Dataset,
    /// Minibatch size.
    pub batch_size: usize,
    /// Seed of the network initialisation and the minibatch draw (combined with the
    /// architecture's hash).
    pub seed: u64,
    /// Device.
    pub device: Device,
}

impl ZcSettings {
    /// NASLib's paper-runner batch size (the search loader's `batch_size: 256`, spec §1.5).
    pub const DEFAULT_BATCH: usize = 256;

    /// Classes of the dataset.
    pub fn classes(&self) -> i64 {
        dataset_classes(self.dataset)
    }

    /// Input side of the dataset (32, or 16 for ImageNet16-120).
    pub fn side(&self) -> i64 {
        if self.dataset == Dataset::ImageNet16_120 {
            16
        } else {
            32
        }
    }
}

/// Classes of a vision dataset.
pub fn dataset_classes(d: Dataset) -> i64 {
    match d {
        Dataset::Cifar100 => 100,
        Dataset::ImageNet16_120 => 120,
        _ => 10,
    }
}

/// The default device: CUDA when available.
pub fn default_device() -> Device {
    Device::cuda_if_available()
}

/// Parses a device name: `cpu`, `cuda` (device 0), `cuda:N`, or `auto` (CUDA when
/// available, else CPU). Asking for CUDA where libtorch sees no such device is a
/// [`ZcError::CudaUnavailable`], never a later libtorch panic.
pub fn parse_device(name: &str) -> Result<Device, ZcError> {
    let n = name.trim().to_ascii_lowercase();
    let index = match n.as_str() {
        "cpu" => return Ok(Device::Cpu),
        "auto" => return Ok(default_device()),
        "cuda" | "gpu" => 0,
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(i)) => i,
            _ => return Err(ZcError::UnknownDevice(name.to_string())),
        },
    };
    let available = if tch::Cuda::is_available() {
        tch::Cuda::device_count().max(0) as usize
    } else {
        0
    };
    if index >= available {
        return Err(ZcError::CudaUnavailable {
            requested: name.to_string(),
            available,
        });
    }
    Ok(Device::Cuda(index))
}

/// Why one proxy has no score on one architecture (the architecture's other proxies may
/// still have theirs).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProxyFailure {
    /// The proxy's value is NaN or infinite (never replaced).
    #[error("non-finite value {0}")]
    NonFinite(f64),
    /// GraSP: no gradient reached any weight.
    #[error("no gradient reached any weight")]
    NoGradient,
    /// Zen: the network has no pre-pool feature map.
    #[error("the network has no pre-pool feature map")]
    NoFeatureMap,
    /// A failure read back from the score cache, as it was recorded.
    #[error("{0}")]
    Cached(String),
}

/// The score of one proxy on one architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyScore {
    /// The proxy.
    pub proxy: Proxy,
    /// The score (NASLib's sign convention of the space applied), or why it failed (a
    /// non-finite value is a failure, never replaced).
    pub value: Result<f64, ProxyFailure>,
    /// Seconds spent (shared passes split among their users).
    pub seconds: f64,
}

/// A minibatch on a device.
pub struct Minibatch {
    /// Images `[B, 3, H, W]`, float32.
    pub x: Tensor,
    /// Labels `[B]`, int64.
    pub y: Tensor,
    /// Labels on the host.
    pub labels: Vec<i64>,
}

impl Minibatch {
    /// Draws a minibatch as NASLib's zero-cost loader does: `size` distinct images of the
    /// first 70 % of `pool`, train augmentation (random crop with padding 4, horizontal flip),
    /// normalised.
    pub fn draw(
        pool: &ImageBatch,
        size: usize,
        rng: &mut ChaCha8Rng,
        device: Device,
    ) -> Result<Minibatch, ZcError> {
        let b =
            pool.sample_batch_augmented(rng, size, 0.7, &naspred_data::cifar::Augmentation::CIFAR)?;
        let side = naspred_data::cifar::SIDE as i64;
        let x = Tensor::from_slice(&b.images)
            .reshape([b.n as i64, 3, side, side])
            .to_device(device);
        let y = Tensor::from_slice(&b.labels).to_device(device);
        Ok(Minibatch {
            x,
            y,
            labels: b.labels,
        })
    }
}

/// The per-architecture seed: `seed` mixed with the architecture's hash.
pub fn arch_seed(arch: &AnyArch, seed: u64) -> u64 {
    let h = arch.arch_hash().0;
    let mut z = (h as u64) ^ ((h >> 64) as u64) ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn finite(p: Proxy, space: SpaceKind, v: f64) -> Result<f64, ProxyFailure> {
    if v.is_finite() {
        Ok(v * p.sign(space))
    } else {
        Err(ProxyFailure::NonFinite(v))
    }
}

fn scalar(t: &Tensor) -> f64 {
    t.to_kind(Kind::Double).double_value(&[])
}

/// Computes `proxies` for `arch`. `images` is the pool minibatches are drawn from; it is
/// needed only when a requested proxy reads images ([`Proxy::needs_images`]).
pub fn compute(
    arch: &AnyArch,
    proxies: &[Proxy],
    settings: &ZcSettings,
    images: Option<&ImageBatch>,
) -> Result<Vec<ProxyScore>, ZcError> {
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compute_inner(arch, proxies, settings, images)
    }));
    match r {
        Ok(r) => r,
        Err(e) => {
            let msg = naspred_eval::predictor::panic_text(e.as_ref())
                .unwrap_or("libtorch panic")
                .to_string();
            Err(ZcError::Torch {
                arch: arch.to_string(),
                message: msg,
            })
        }
    }
}

fn compute_inner(
    arch: &AnyArch,
    proxies: &[Proxy],
    settings: &ZcSettings,
    images: Option<&ImageBatch>,
) -> Result<Vec<ProxyScore>, ZcError> {
    let seed = arch_seed(arch, settings.seed);
    let t0 = Instant::now();
    let net = Network::build(
        arch,
        NetConfig {
            classes: settings.classes(),
            seed,
            device: settings.device,
        },
    )?;
    let build_s = t0.elapsed().as_secs_f64();
    let ctx = Pass {
        net: &net,
        weights: net.store.prunable_weights(),
        proxies,
        space: arch.space(),
        settings,
        seed,
    };
    let mut out: Vec<ProxyScore> = Vec::with_capacity(proxies.len());
    // Data-free proxies on the original network.
    data_free_pass(&ctx, &mut out);
    // Image-based proxies: one shared forward.
    image_passes(&ctx, images, build_s, &mut out)?;
    if ctx.want(Proxy::Synflow) {
        out.push(synflow_pass(&ctx));
    }
    if ctx.want(Proxy::Zen) {
        out.push(zen_pass(&ctx));
    }
    // Report in the order asked.
    out.sort_by_key(|s| proxies.iter().position(|p| *p == s.proxy));
    Ok(out)
}

/// What every pass of one architecture's computation reads.
struct Pass<'a> {
    /// The network built for the architecture.
    net: &'a Network,
    /// Its prunable (conv / linear) weights.
    weights: Vec<&'a Tensor>,
    /// The proxies asked for.
    proxies: &'a [Proxy],
    /// The architecture's space (for NASLib's sign convention).
    space: SpaceKind,
    settings: &'a ZcSettings,
    /// The per-architecture seed ([`arch_seed`]).
    seed: u64,
}

impl Pass<'_> {
    fn want(&self, p: Proxy) -> bool {
        self.proxies.contains(&p)
    }

    /// A score of `p` (its sign convention applied; a non-finite value is a failure).
    fn score(&self, p: Proxy, v: f64, seconds: f64) -> ProxyScore {
        ProxyScore {
            proxy: p,
            value: finite(p, self.space, v),
            seconds,
        }
    }
}

/// `params` and `flops` (one counting pass, its time split between them) and `l2_norm`.
fn data_free_pass(ctx: &Pass<'_>, out: &mut Vec<ProxyScore>) {
    let (want_params, want_flops) = (ctx.want(Proxy::Params), ctx.want(Proxy::Flops));
    if want_params || want_flops {
        let t = Instant::now();
        let (flops, params) = ctx.net.model_stats(ctx.settings.side());
        let n = (want_params as usize + want_flops as usize) as f64;
        let s = t.elapsed().as_secs_f64() / n;
        if want_params {
            out.push(ctx.score(Proxy::Params, params / 1e6, s));
        }
        if want_flops {
            out.push(ctx.score(Proxy::Flops, flops / 1e6, s));
        }
    }
    if ctx.want(Proxy::L2Norm) {
        let t = Instant::now();
        let _g = tch::no_grad_guard();
        let v: f64 = ctx.weights.iter().map(|w| scalar(&w.norm())).sum();
        out.push(ctx.score(Proxy::L2Norm, v, t.elapsed().as_secs_f64()));
    }
}

/// The shared forward pass of the image-based proxies.
struct Shared {
    mb: Minibatch,
    /// The input (requiring its gradient when a Jacobian proxy is asked for).
    x: Tensor,
    logits: Tensor,
    trace: Trace,
    /// The forward's time (and the network's build time) split among the proxies using it.
    fwd_share: f64,
}

/// The image-based proxies: one minibatch and one forward shared by the cross-entropy group,
/// the Jacobian group and `nwot`.
fn image_passes(
    ctx: &Pass<'_>,
    images: Option<&ImageBatch>,
    build_s: f64,
    out: &mut Vec<ProxyScore>,
) -> Result<(), ZcError> {
    let ce_group: Vec<Proxy> = [
        Proxy::GradNorm,
        Proxy::Snip,
        Proxy::Grasp,
        Proxy::Fisher,
        Proxy::Plain,
    ]
    .into_iter()
    .filter(|p| ctx.want(*p))
    .collect();
    let jac_group: Vec<Proxy> = [Proxy::Jacov, Proxy::JacovFaithful, Proxy::EpeNas]
        .into_iter()
        .filter(|p| ctx.want(*p))
        .collect();
    let nwot = ctx.want(Proxy::Nwot);
    if ce_group.is_empty() && jac_group.is_empty() && !nwot {
        return Ok(());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed ^ 0xD1B5_4A32_D192_ED03);
    let pool = images.ok_or(ZcError::NoImages {
        dataset: ctx.settings.dataset,
    })?;
    let t = Instant::now();
    let mb = Minibatch::draw(pool, ctx.settings.batch_size, &mut rng, ctx.settings.device)?;
    let x = if jac_group.is_empty() {
        mb.x.shallow_clone()
    } else {
        mb.x.detach().set_requires_grad(true)
    };
    let (logits, trace) = ctx.net.forward(
        &x,
        true,
        Trace {
            want_layers: ctx.want(Proxy::Fisher),
            want_relu: nwot,
            ..Default::default()
        },
    );
    let users = (ce_group.len() + jac_group.len() + nwot as usize) as f64;
    let fwd_share = (t.elapsed().as_secs_f64() + build_s) / users;
    let shared = Shared {
        mb,
        x,
        logits,
        trace,
        fwd_share,
    };
    if !ce_group.is_empty() {
        ce_pass(ctx, &shared, &ce_group, !jac_group.is_empty(), out);
    }
    if !jac_group.is_empty() {
        jacobian_pass(ctx, &shared, &jac_group, out);
    }
    if nwot {
        out.push(nwot_pass(ctx, &shared));
    }
    Ok(())
}

/// The cross-entropy group: one backward of the loss to the weights (and, for `fisher`, to the
/// recorded layer outputs), then each proxy's reduction; `grasp` keeps the graph for its
/// Hessian-gradient product. `jacobian_follows` keeps the forward's graph for the Jacobian.
fn ce_pass(
    ctx: &Pass<'_>,
    sh: &Shared,
    group: &[Proxy],
    jacobian_follows: bool,
    out: &mut Vec<ProxyScore>,
) {
    let fisher = ctx.want(Proxy::Fisher);
    let grasp = ctx.want(Proxy::Grasp);
    let t = Instant::now();
    let loss = sh.logits.cross_entropy_for_logits(&sh.mb.y);
    let mut inputs: Vec<&Tensor> = ctx.weights.clone();
    let layer_out: Vec<Tensor> = if fisher {
        sh.trace
            .layer_out
            .iter()
            .flatten()
            .map(|t| t.shallow_clone())
            .collect()
    } else {
        Vec::new()
    };
    let layer_ids: Vec<usize> = if fisher {
        sh.trace
            .layer_out
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|_| i))
            .collect()
    } else {
        Vec::new()
    };
    inputs.extend(layer_out.iter());
    let keep = grasp || jacobian_follows;
    let grads = Tensor::run_backward(&[&loss], &inputs[..], keep, grasp);
    let nw = ctx.weights.len();
    let bwd_share = t.elapsed().as_secs_f64() / group.len() as f64;
    {
        let _g = tch::no_grad_guard();
        for &p in group {
            let t = Instant::now();
            let value = match p {
                Proxy::Fisher => Some(fisher_score(ctx, &grads[nw..], &layer_out, &layer_ids)),
                _ => ce_weight_score(p, &grads[..nw], &ctx.weights),
            };
            if let Some(v) = value {
                let seconds = sh.fwd_share + bwd_share + t.elapsed().as_secs_f64();
                out.push(ctx.score(p, v, seconds));
            }
        }
    }
    if grasp {
        let t = Instant::now();
        let value = grasp_score(ctx, &grads[..nw], jacobian_follows);
        out.push(ProxyScore {
            proxy: Proxy::Grasp,
            value,
            seconds: sh.fwd_share + bwd_share + t.elapsed().as_secs_f64(),
        });
    }
}

/// `grad_norm`, `snip` and `plain` from the loss's weight gradients (`None` for the other
/// proxies: `fisher` reads the layer gradients, `grasp` needs one more backward).
fn ce_weight_score(p: Proxy, grads: &[Tensor], weights: &[&Tensor]) -> Option<f64> {
    match p {
        Proxy::GradNorm => Some(
            grads
                .iter()
                .filter(|g| g.defined())
                .map(|g| scalar(&g.norm()))
                .sum::<f64>(),
        ),
        Proxy::Snip => Some(
            grads
                .iter()
                .zip(weights)
                .filter(|(g, _)| g.defined())
                .map(|(g, w)| scalar(&(g * *w).abs().sum(Kind::Double)))
                .sum::<f64>(),
        ),
        Proxy::Plain => Some(
            grads
                .iter()
                .zip(weights)
                .filter(|(g, _)| g.defined())
                .map(|(g, w)| scalar(&(g * *w).sum(Kind::Double)))
                .sum::<f64>(),
        ),
        _ => None,
    }
}

/// `fisher` from the recorded layer outputs and their loss gradients (`layer_grads[k]` is the
/// gradient of `layer_out[k]`, the output of prunable layer `layer_ids[k]`).
fn fisher_score(
    ctx: &Pass<'_>,
    layer_grads: &[Tensor],
    layer_out: &[Tensor],
    layer_ids: &[usize],
) -> f64 {
    let mut s = 0.0;
    for (k, &id) in layer_ids.iter().enumerate() {
        let g = &layer_grads[k];
        if !g.defined() {
            continue;
        }
        let act = &layer_out[k];
        let prod = act.detach() * g.detach();
        let g_nk = if prod.dim() > 2 {
            prod.sum_dim_intlist(&[2i64, 3][..], false, Kind::Float)
        } else {
            prod
        };
        let del_k = g_nk
            .pow_tensor_scalar(2)
            .mean_dim(&[0i64][..], false, Kind::Float)
            * 0.5;
        let w = ctx.weights[id];
        let per_ch = w.numel() as f64 / ctx.net.store.prunable_out[id] as f64;
        s += scalar(&del_k.abs().sum(Kind::Double)) * per_ch;
    }
    s
}

/// `grasp`: the Hessian-gradient product through `z = Σ g·g` (the weight gradients kept with
/// their graph), one more backward; `−Σ w·Hg`.
fn grasp_score(
    ctx: &Pass<'_>,
    grads: &[Tensor],
    jacobian_follows: bool,
) -> Result<f64, ProxyFailure> {
    let mut z: Option<Tensor> = None;
    for g in grads.iter().filter(|g| g.defined()) {
        let term = (g.detach() * g).sum(Kind::Float);
        z = Some(match z {
            None => term,
            Some(a) => a + term,
        });
    }
    match z {
        Some(z) if z.requires_grad() => {
            let hg = Tensor::run_backward(&[&z], &ctx.weights[..], jacobian_follows, false);
            let _g = tch::no_grad_guard();
            let v: f64 = hg
                .iter()
                .zip(&ctx.weights)
                .filter(|(h, _)| h.defined())
                .map(|(h, w)| scalar(&(-(*w) * h).sum(Kind::Double)))
                .sum();
            finite(Proxy::Grasp, ctx.space, v)
        }
        Some(_) => finite(Proxy::Grasp, ctx.space, 0.0),
        None => Err(ProxyFailure::NoGradient),
    }
}

/// `jacov`, `jacov_faithful` and `epe_nas`: one backward of the summed logits to the input;
/// the jacov reduction runs once for both jacov keys (they differ only in the sign applied).
fn jacobian_pass(ctx: &Pass<'_>, sh: &Shared, group: &[Proxy], out: &mut Vec<ProxyScore>) {
    let device = ctx.settings.device;
    let t = Instant::now();
    let total = sh.logits.sum(Kind::Float);
    let jac = Tensor::run_backward(&[&total], &[&sh.x], false, false);
    let _g = tch::no_grad_guard();
    let b = sh.mb.labels.len() as i64;
    let j = if jac[0].defined() {
        jac[0].reshape([b, -1]).to_kind(Kind::Double)
    } else {
        // The output does not depend on the input: a zero Jacobian.
        Tensor::zeros([b, sh.mb.x.numel() as i64 / b], (Kind::Double, device))
    };
    let share = t.elapsed().as_secs_f64() / group.len() as f64;
    let jacov_users = group.iter().filter(|p| **p != Proxy::EpeNas).count();
    let raw_jacov = (jacov_users > 0).then(|| {
        let t = Instant::now();
        let v = jacov_score(&j);
        (v, t.elapsed().as_secs_f64() / jacov_users as f64)
    });
    for &p in group {
        let t = Instant::now();
        let (v, own) = match (p, raw_jacov) {
            (Proxy::Jacov | Proxy::JacovFaithful, Some(raw)) => raw,
            _ => (epe_score(&j, &sh.mb.labels, device), 0.0),
        };
        let seconds = sh.fwd_share + share + own + t.elapsed().as_secs_f64();
        out.push(ctx.score(p, v, seconds));
    }
}

/// `nwot`: the log-determinant of the Hamming kernel of the recorded ReLU activation codes.
fn nwot_pass(ctx: &Pass<'_>, sh: &Shared) -> ProxyScore {
    let t = Instant::now();
    let _g = tch::no_grad_guard();
    let b = sh.mb.labels.len() as i64;
    let k = hamming_kernel(&sh.trace.relu_in, b, ctx.settings.device, EXACT_F32_COLUMNS);
    let (_sign, logabs) = k.slogdet();
    ctx.score(
        Proxy::Nwot,
        scalar(&logabs),
        sh.fwd_share + t.elapsed().as_secs_f64(),
    )
}

/// Columns of 0/1 codes a float32 product sums exactly (every partial sum an integer ≤ 2^24).
const EXACT_F32_COLUMNS: i64 = 1 << 24;

/// nwot's kernel `K = Σ_l C_l C_lᵀ + (1 − C_l)(1 − C_l)ᵀ` (float64, `[b, b]`) over the binary
/// codes `C_l = 1[input > 0]` (`[b, n_l]`) of the recorded ReLU inputs, with one product per
/// layer instead of two: with `S = Σ_l C_l C_lᵀ`, whose diagonal `d` holds the codes' row sums
/// (a 0/1 code is its own square), and `n = Σ_l n_l`, `K = 2 S − d 1ᵀ − 1 dᵀ + n`. The codes
/// are written straight into one reused float32 buffer. Every entry is an integer computed
/// exactly: `S` accumulates in float32 over at most `exact_columns` code columns before it is
/// added to a float64 sum, so `K` is the same integer matrix as NASLib's per-layer float32
/// products summed in float64 (a single layer wider than `exact_columns` rounds in both).
fn hamming_kernel(relu_in: &[Tensor], b: i64, device: Device, exact_columns: i64) -> Tensor {
    let widest = relu_in.iter().map(|t| t.numel()).max().unwrap_or(0) as i64;
    let codes = Tensor::empty([widest], (Kind::Float, device));
    let mut k = Tensor::zeros([b, b], (Kind::Double, device));
    let mut s = Tensor::zeros([b, b], (Kind::Float, device));
    let (mut n, mut in_s) = (0i64, 0i64);
    for t in relu_in {
        let cols = t.numel() as i64 / b;
        if in_s > 0 && in_s + cols > exact_columns {
            k += s.to_kind(Kind::Double);
            let _ = s.zero_();
            in_s = 0;
        }
        let c = codes.narrow(0, 0, b * cols).view([b, cols]);
        let _ = t.detach().reshape([b, cols]).gt_scalar_out(&c, 0.0);
        let _ = s.addmm_(&c, &c.transpose(0, 1));
        n += cols;
        in_s += cols;
    }
    k += s.to_kind(Kind::Double);
    let d = k.diagonal(0, 0, 1);
    &k * 2.0 - d.unsqueeze(1) - d.unsqueeze(0) + n as f64
}

/// `synflow`: a BN-free float64 copy with absolute parameters, an all-ones input, `Σ |g·w|`.
fn synflow_pass(ctx: &Pass<'_>) -> ProxyScore {
    let side = ctx.settings.side();
    let t = Instant::now();
    let copy = ctx
        .net
        .map_params(|p| p.detach().abs().to_kind(Kind::Double));
    let x = Tensor::ones([1, 3, side, side], (Kind::Double, ctx.settings.device));
    let (y, _) = copy.forward(&x, false, Trace::default());
    let r = y.sum(Kind::Double);
    let ws = copy.store.prunable_weights();
    let grads = Tensor::run_backward(&[&r], &ws[..], false, false);
    let _g = tch::no_grad_guard();
    let v: f64 = grads
        .iter()
        .zip(&ws)
        .filter(|(g, _)| g.defined())
        .map(|(g, w)| scalar(&(g * *w).abs().sum(Kind::Double)))
        .sum();
    ctx.score(Proxy::Synflow, v, t.elapsed().as_secs_f64())
}

/// `zen`: a Gaussian re-initialised copy ([`gaussian_copy`]) fed a Gaussian batch and a
/// slightly perturbed one; the log of the mean feature-map difference plus the log BN scales.
fn zen_pass(ctx: &Pass<'_>) -> ProxyScore {
    let (side, device) = (ctx.settings.side(), ctx.settings.device);
    let t = Instant::now();
    let _g = tch::no_grad_guard();
    let mut zrng = ChaCha8Rng::seed_from_u64(ctx.seed ^ 0x2545_F491_4F6C_DD1D);
    let znet = gaussian_copy(ctx.net, &mut zrng, device);
    let bsz = ctx.settings.batch_size as i64;
    let n = (bsz * 3 * side * side) as usize;
    let e1 = Tensor::from_slice(&naspred_nets::layers::gaussian(&mut zrng, n, 1.0))
        .reshape([bsz, 3, side, side])
        .to_device(device);
    let e2 = Tensor::from_slice(&naspred_nets::layers::gaussian(&mut zrng, n, 1.0))
        .reshape([bsz, 3, side, side])
        .to_device(device);
    let mix = &e1 + &e2 * 0.01;
    let (_, t1) = znet.forward(&e1, true, Trace::default());
    let (_, t2) = znet.forward(&mix, true, Trace::default());
    let value = match (t1.features, t2.features) {
        (Some(f1), Some(f2)) => {
            let d = (f1 - f2)
                .abs()
                .sum_dim_intlist(&[1i64, 2, 3][..], false, Kind::Double);
            let nas = scalar(&d.mean(Kind::Double));
            let mut log_bn = 0.0;
            for rv in znet.store.buffers.iter().skip(1).step_by(2) {
                log_bn += scalar(&rv.mean(Kind::Double)).sqrt().ln();
            }
            finite(Proxy::Zen, ctx.space, nas.ln() + log_bn)
        }
        _ => Err(ProxyFailure::NoFeatureMap),
    };
    ProxyScore {
        proxy: Proxy::Zen,
        value,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// Gaussian re-initialisation: conv / linear weights N(0, 1), their biases 0, BN weight 1 and
/// bias 0 (NASLib's `network_weight_gaussian_init`), fresh running statistics (mean 0,
/// variance 1), as on NASLib's fresh copy.
fn gaussian_copy(net: &Network, zrng: &mut ChaCha8Rng, device: Device) -> Network {
    let store = &net.store;
    let prunable: std::collections::HashSet<usize> = store.prunable.iter().copied().collect();
    let params: Vec<Tensor> = store
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if prunable.contains(&i) {
                let v = naspred_nets::layers::gaussian(zrng, p.numel(), 1.0);
                Tensor::from_slice(&v).reshape(p.size()).to_device(device)
            } else {
                // Read, never written (BN updates only the buffers): shared, not copied.
                p.detach()
            }
        })
        .collect();
    let zstore = naspred_nets::Store {
        params,
        buffers: store
            .buffers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if i % 2 == 0 {
                    b.zeros_like()
                } else {
                    b.ones_like()
                }
            })
            .collect(),
        prunable: store.prunable.clone(),
        prunable_out: store.prunable_out.clone(),
    };
    Network {
        kind: net.kind.clone(),
        store: zstore,
    }
}

/// jacov's reduction: `−Σ [ln(λ + k) + 1/(λ + k)]`, `k = 1e-5`, over the eigenvalues of the
/// correlation matrix of the Jacobian rows.
pub fn jacov_score(j: &Tensor) -> f64 {
    let c = j.corrcoef();
    if scalar(&c.isnan().any().to_kind(Kind::Double)) > 0.0 {
        return f64::NAN;
    }
    let v = c.linalg_eigvalsh("L") + 1e-5;
    -scalar(&(v.log() + v.reciprocal()).sum(Kind::Double))
}

/// epe_nas's reduction (per-class Jacobian correlations, NASLib's `eval_score_perclass`).
pub fn epe_score(j: &Tensor, labels: &[i64], device: Device) -> f64 {
    let k = 1e-5;
    let mut classes: Vec<i64> = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let n_classes = classes.len();
    let mut scores: Vec<f64> = Vec::with_capacity(n_classes);
    for &c in &classes {
        let idx: Vec<i64> = labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == c)
            .map(|(i, _)| i as i64)
            .collect();
        if idx.len() == 1 {
            // np.corrcoef of one row is 1.0: ln(1 + k); a scalar has no len() (skipped when
            // the sum is normalised).
            if n_classes <= 100 {
                scores.push((1.0f64 + k).ln());
            }
            continue;
        }
        let rows = j.index_select(0, &Tensor::from_slice(&idx).to_device(device));
        let corr = rows.corrcoef();
        let mut s = scalar(&(corr.abs() + k).log().sum(Kind::Double));
        if n_classes > 100 {
            s /= idx.len() as f64;
        }
        scores.push(s);
    }
    if n_classes <= 100 {
        scores.iter().map(|s| s.abs()).sum()
    } else {
        let mut total = 0.0;
        for a in &scores {
            for b in &scores {
                total += (a - b).abs();
            }
        }
        total / scores.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ReLU inputs of three layers of different widths, drawn from a seeded stream.
    fn relu_inputs(b: i64) -> Vec<Tensor> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        [(4i64, 5i64, 5i64), (8, 3, 3), (1, 7, 2)]
            .iter()
            .map(|&(c, h, w)| {
                let n = (b * c * h * w) as usize;
                Tensor::from_slice(&naspred_nets::layers::gaussian(&mut rng, n, 1.0))
                    .reshape([b, c, h, w])
            })
            .collect()
    }

    /// The kernel as NASLib writes it: two float32 products per layer, summed in float64.
    fn two_products(relu_in: &[Tensor], b: i64) -> Tensor {
        let mut k = Tensor::zeros([b, b], (Kind::Double, Device::Cpu));
        for r in relu_in {
            let c = r.reshape([b, -1]).gt(0.0).to_kind(Kind::Float);
            let nc = c.ones_like() - &c;
            k += (c.matmul(&c.transpose(0, 1)) + nc.matmul(&nc.transpose(0, 1)))
                .to_kind(Kind::Double);
        }
        k
    }

    #[test]
    fn one_product_kernel_equals_two_products_exactly() {
        let b = 6;
        let relu_in = relu_inputs(b);
        let expected = two_products(&relu_in, b);
        // Every layer in one float32 sum, and a flush to float64 before every layer.
        for cols in [EXACT_F32_COLUMNS, 40] {
            let k = hamming_kernel(&relu_in, b, Device::Cpu, cols);
            assert!(
                k.equal(&expected),
                "exact_columns {cols}: {k} vs {expected}"
            );
        }
        // The diagonal counts every code column once: 100 + 72 + 14 units.
        assert_eq!(expected.double_value(&[0, 0]), 186.0);
    }
}
