//! SemiNAS and NAO: NASLib's `SemiNASPredictor` (`naslib/predictors/seminas.py`), the NAO
//! encoder–predictor–decoder on the SemiNAS token sequence.
//!
//! * Encoder: embedding (vocab -> 64), dropout 0.1, 1-layer bidirectional LSTM (hidden 64),
//!   `Linear(128, 64)`, residual add of the embedding, L2-normalised per step; the mean over
//!   steps, L2-normalised, is the architecture embedding. Predictor head: `64 -> 16 -> 64` with
//!   ReLU and dropout after each layer, residual `(x + res) sqrt(0.5)`, `Linear(64, 1)`.
//! * Decoder: 1-layer LSTM (hidden 64) started from `(emb, emb)`, token embedding, dot-product
//!   attention over the encoder outputs (`input_proj`, `output_proj` + tanh), residuals
//!   `sqrt(0.5)`, `Linear(64, vocab)`, log-softmax; teacher forcing with `[0] + seq[..-1]`.
//! * Loss `0.8 MSE(pred, z-scored y) + 0.2 NLL(reconstruction)`; Adam (lr 1e-3, weight decay
//!   1e-4, a fresh optimiser per training phase), batch 100 (last partial batch kept), gradient
//!   norm clipped to 5.
//! * Extra tokens ([`ExtraTokens`], OMNI-SemiNAS): binned features appended to every sequence
//!   as symbols `base_vocab + s`, the vocabulary growing by the extra symbols.
//! * `nao`: 50 epochs on the labelled set. `seminas`: 50 epochs, then the encoder labels
//!   `n_train` unlabeled architectures (supplied by the evaluator through
//!   [`Context::unlabeled`]), then 50 more epochs on the labelled set repeated 10 times plus the
//!   pseudo-labelled ones. With fewer unlabeled architectures than asked for, those given are
//!   used (none: the second phase trains on the repeated labelled set alone).
//! * Implementation: the net is `nao_net`'s plain-Rust flat-buffer NAO (hand-written backward
//!   through time, checked against the libtorch module formulation in the tests below), with the
//!   fused [`FlatAdam`]; the initial weights, shuffles and dropout masks are drawn from the fit's
//!   stream in NASLib's order.
//! * QUIRK (token collision): in NASLib's sequence an op token `op + 2` of 2 (the input op, which
//!   DARTS's merged graph does emit) equals the "edge present" token 2. Faithful keeps the
//!   sequence; fixed (default) shifts every non-padding op token up by one (vocabulary + 1), so
//!   op and edge tokens never share a symbol.

use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorError, Requirements};
use naspred_spaces::{encoding_shape, Encoding, EncodingKind, EncodingShape, Quirks};

use super::nao_net::{Layout, Masks, Work};
use super::{
    batches, check_train, encode_all, fit_seed, mean_std, single_threaded, FitRng, FlatAdam,
    NeuralError,
};

const UP_SAMPLE: usize = 10;
const GRAD_BOUND: f64 = 5.0;
/// Sequences per forward pass when labelling or predicting.
const EVAL_BATCH: usize = 100;

/// Training configuration (NASLib's module constants).
#[derive(Clone, Debug, PartialEq)]
pub struct SeminasParams {
    /// Minibatch (100).
    pub batch_size: usize,
    /// Adam learning rate (1e-3).
    pub lr: f64,
    /// Adam weight decay (1e-4).
    pub wd: f64,
    /// Epochs of the first (labelled) phase (50).
    pub pretrain_epochs: usize,
    /// Epochs of the second, semi-supervised phase (50; SemiNAS only).
    pub epochs: usize,
}

impl Default for SeminasParams {
    fn default() -> Self {
        SeminasParams {
            batch_size: 100,
            lr: 1e-3,
            wd: 1e-4,
            pretrain_epochs: 50,
            epochs: 50,
        }
    }
}

/// Token sequences, row-major `n x len`.
#[derive(Clone, Debug)]
struct Tokens {
    data: Vec<usize>,
    len: usize,
}

impl Tokens {
    fn n(&self) -> usize {
        self.data.len().checked_div(self.len).unwrap_or(0)
    }

    fn row(&self, i: usize) -> &[usize] {
        &self.data[i * self.len..(i + 1) * self.len]
    }

    /// Rows `idx` gathered into `out` (cleared first).
    fn gather(&self, idx: &[i64], out: &mut Vec<usize>) {
        out.clear();
        for &i in idx {
            out.extend_from_slice(self.row(i as usize));
        }
    }
}

/// Token sequences plus the vocabulary size, applying the token QUIRK.
fn token_rows(
    encs: &[Encoding],
    vocab: usize,
    quirks: Quirks,
) -> Result<(Tokens, usize), NeuralError> {
    let mut data: Vec<usize> = Vec::new();
    let mut len = 0;
    let mut max_tok = 0usize;
    for (index, e) in encs.iter().enumerate() {
        let t = match e {
            Encoding::Tokens(t) => t,
            _ => {
                return Err(NeuralError::BadEncoding {
                    index,
                    what: "expected a token sequence".into(),
                })
            }
        };
        if index == 0 {
            len = t.len();
            if len == 0 {
                return Err(NeuralError::BadEncoding {
                    index,
                    what: "empty token sequence".into(),
                });
            }
        } else if t.len() != len {
            return Err(NeuralError::BadEncoding {
                index,
                what: format!("{} tokens, expected {len}", t.len()),
            });
        }
        // Op positions: column j (1-based) starts after (j-1)(j+2)/2 tokens and ends with its op.
        let mut op_pos = usize::MAX;
        let mut j = 1usize;
        if quirks == Quirks::Fixed {
            op_pos = (j - 1) * (j + 2) / 2 + j;
        }
        for (p, &tok) in t.iter().enumerate() {
            let mut v = tok as usize;
            if p == op_pos {
                if v != 0 {
                    v += 1;
                }
                j += 1;
                op_pos = (j - 1) * (j + 2) / 2 + j;
            }
            max_tok = max_tok.max(v);
            data.push(v);
        }
    }
    let base = if quirks == Quirks::Fixed {
        vocab + 1
    } else {
        vocab
    };
    let vocab = base.max(max_tok + 1);
    Ok((Tokens { data, len }, vocab))
}

/// The fitted net: its layout and flat parameters.
struct Net {
    lay: Layout,
    theta: Vec<f32>,
}

impl Net {
    /// Predictions of the encoder's head (no dropout) for every row of `x`, in batches of
    /// [`EVAL_BATCH`].
    fn predict(&self, x: &Tokens) -> Result<Vec<f32>, NeuralError> {
        let n = x.n();
        let mut out = Vec::with_capacity(n);
        let mut work = Work::new(self.lay.vocab, EVAL_BATCH.min(n.max(1)), x.len);
        for start in (0..n).step_by(EVAL_BATCH) {
            let b = EVAL_BATCH.min(n - start);
            let tok = &x.data[start * x.len..(start + b) * x.len];
            work.encode(&self.lay, &self.theta, tok, b, None)?;
            out.extend_from_slice(work.pred());
        }
        Ok(out)
    }
}

/// Scales `grad` so that its L2 norm (summed in `f64`) is at most `max_norm`
/// (`clip_grad_norm_`: factor `max_norm / (norm + 1e-6)` when below 1).
fn clip_grad_norm(grad: &mut [f32], max_norm: f64) {
    let norm = grad
        .iter()
        .map(|&g| f64::from(g) * f64::from(g))
        .sum::<f64>()
        .sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        let c = coef as f32;
        grad.iter_mut().for_each(|g| *g *= c);
    }
}

/// `epochs` of NASLib's `train_controller` on `(x, y)`: shuffled batches (last partial one
/// kept), dropout masks drawn per batch, the joint loss's gradient clipped to norm 5, a fresh
/// Adam for the phase.
fn train_phase(
    net: &mut Net,
    x: &Tokens,
    y: &[f32],
    p: &SeminasParams,
    epochs: usize,
    rng: &mut FitRng,
) -> Result<(), NeuralError> {
    let (n, l) = (x.n(), x.len);
    // Decoder input: [0] + seq[..-1].
    let mut dec = Vec::with_capacity(n * l);
    for i in 0..n {
        dec.push(0);
        dec.extend_from_slice(&x.row(i)[..l - 1]);
    }
    let dec = Tokens { data: dec, len: l };
    let bmax = p.batch_size.min(n);
    let mut work = Work::new(net.lay.vocab, bmax, l);
    let mut opt = FlatAdam::new(net.lay.total, p.lr, (0.9, 0.999), p.wd);
    let mut grad = vec![0f32; net.lay.total];
    let (mut tok, mut dec_in, mut yb) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..epochs {
        let perm = rng.permutation(n);
        for idx in batches(&perm, p.batch_size, false) {
            x.gather(idx, &mut tok);
            dec.gather(idx, &mut dec_in);
            yb.clear();
            yb.extend(idx.iter().map(|&i| y[i as usize]));
            let masks = Masks::draw(rng, idx.len(), l);
            work.train_step(&net.lay, &net.theta, &tok, &dec_in, &yb, &masks, &mut grad)?;
            clip_grad_norm(&mut grad, GRAD_BOUND);
            opt.step_slices(&mut net.theta, &grad)?;
        }
    }
    Ok(())
}

/// Extra symbols appended to the token sequences (OMNI-SemiNAS's binned zero-cost and
/// learning-curve features): each architecture gets the same number of symbols, each in
/// `0..vocab`; the model sees symbol `s` as token `base_vocab + s`, where `base_vocab` is the
/// architecture vocabulary (after the token QUIRK setting).
#[derive(Clone, Copy, Debug)]
pub struct ExtraTokens<'a> {
    /// Symbols of each training architecture.
    pub train: &'a [Vec<i64>],
    /// Symbols of each unlabeled architecture (at least as many as are pseudo-labelled).
    pub unlabeled: &'a [Vec<i64>],
    /// Number of extra symbols.
    pub vocab: usize,
}

/// Appends `extra` symbols (offset by `base`) to the token rows `x`.
fn append_extra(
    x: Tokens,
    extra: &[Vec<i64>],
    base: usize,
    vocab: usize,
) -> Result<Tokens, NeuralError> {
    let n = x.n();
    if extra.len() < n {
        return Err(NeuralError::BadEncoding {
            index: extra.len(),
            what: format!("{} extra-token rows for {n} architectures", extra.len()),
        });
    }
    let width = extra.first().map_or(0, Vec::len);
    if width == 0 {
        return Ok(x);
    }
    let mut data = Vec::with_capacity(n * (x.len + width));
    for (index, row) in extra[..n].iter().enumerate() {
        if row.len() != width {
            return Err(NeuralError::BadEncoding {
                index,
                what: format!("{} extra tokens, expected {width}", row.len()),
            });
        }
        if let Some(&bad) = row.iter().find(|&&t| t < 0 || t as usize >= vocab) {
            return Err(NeuralError::BadEncoding {
                index,
                what: format!("extra symbol {bad} outside 0..{vocab}"),
            });
        }
        data.extend_from_slice(x.row(index));
        data.extend(row.iter().map(|&t| t as usize + base));
    }
    Ok(Tokens {
        data,
        len: x.len + width,
    })
}

struct FittedSeminas {
    net: Net,
    /// Vocabulary of the space's sequence (before the QUIRK shift), for re-encoding.
    vocab0: usize,
    /// Vocabulary after the QUIRK shift: the offset of extra symbols.
    base: usize,
    /// Extra symbols the model was trained with (0: none).
    extra_vocab: usize,
    mean: f64,
    std: f64,
}

/// NASLib's `seminas` (semi-supervised) and `nao` (supervised only) predictors.
pub struct SeminasPredictor {
    semi: bool,
    quirks: Quirks,
    /// Training configuration.
    pub params: SeminasParams,
    fitted: Option<FittedSeminas>,
}

impl SeminasPredictor {
    /// `seminas` (`semi = true`) or `nao` (`semi = false`).
    pub fn new(semi: bool, quirks: Quirks) -> Self {
        SeminasPredictor {
            semi,
            quirks,
            params: SeminasParams::default(),
            fitted: None,
        }
    }

    /// `seminas` with the default (fixed) QUIRK setting.
    pub fn seminas() -> Self {
        SeminasPredictor::new(true, Quirks::Fixed)
    }

    /// `nao` with the default (fixed) QUIRK setting.
    pub fn nao() -> Self {
        SeminasPredictor::new(false, Quirks::Fixed)
    }

    fn vocab_of(&self, train: &[ArchInput]) -> usize {
        match encoding_shape(train[0].arch.space(), EncodingKind::Seminas) {
            Some(EncodingShape::Tokens { vocab, .. }) => vocab,
            _ => 0,
        }
    }

    /// Fits with an explicit seed; `unlabeled` feeds SemiNAS's pseudo-labelling.
    pub fn fit_seeded(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        unlabeled: &[ArchInput],
        seed: u64,
    ) -> Result<(), NeuralError> {
        self.fit_seeded_extra(train, y, unlabeled, seed, None)
    }

    /// [`SeminasPredictor::fit_seeded`] with extra symbols appended to every sequence (query
    /// with [`SeminasPredictor::predict_extra`]).
    pub fn fit_seeded_extra(
        &mut self,
        train: &[ArchInput],
        y: &[f64],
        unlabeled: &[ArchInput],
        seed: u64,
        extra: Option<ExtraTokens<'_>>,
    ) -> Result<(), NeuralError> {
        check_train(train.len(), y)?;
        let p = self.params.clone();
        if p.batch_size == 0 || !(p.lr > 0.0 && p.lr.is_finite()) {
            return Err(NeuralError::InvalidParam {
                name: "batch_size/lr",
                value: p.lr,
                reason: "batch must be >= 1, lr positive",
            });
        }
        let _flush = single_threaded();
        self.fitted = None;
        let vocab0 = self.vocab_of(train);
        let (x, base) = token_rows(
            &encode_all(train, EncodingKind::Seminas, self.quirks)?,
            vocab0,
            self.quirks,
        )?;
        let extra_vocab = extra.map_or(0, |e| e.vocab);
        let x = match extra {
            Some(e) => append_extra(x, e.train, base, e.vocab)?,
            None => x,
        };
        let vocab = base + extra_vocab;
        let (mean, std) = mean_std(y);
        let yz: Vec<f32> = y.iter().map(|&v| ((v - mean) / std) as f32).collect();
        let mut rng = FitRng::new(seed);
        let lay = Layout::new(vocab);
        let mut net = Net {
            lay,
            theta: lay.init(&mut rng),
        };
        train_phase(&mut net, &x, &yz, &p, p.pretrain_epochs, &mut rng)?;
        if self.semi {
            let k = unlabeled.len().min(train.len());
            let mut xa = x.data.repeat(UP_SAMPLE);
            let mut ya = yz.repeat(UP_SAMPLE);
            if k > 0 {
                let (xu, vu) = token_rows(
                    &encode_all(&unlabeled[..k], EncodingKind::Seminas, self.quirks)?,
                    vocab0,
                    self.quirks,
                )?;
                if vu > base {
                    return Err(NeuralError::BadEncoding {
                        index: 0,
                        what: "unlabeled architectures use tokens outside the vocabulary".into(),
                    });
                }
                let xu = match extra {
                    Some(e) => append_extra(xu, e.unlabeled, base, e.vocab)?,
                    None => xu,
                };
                if xu.len != x.len {
                    return Err(NeuralError::BadEncoding {
                        index: 0,
                        what: "unlabeled sequences differ in length from the training ones".into(),
                    });
                }
                ya.extend(net.predict(&xu)?);
                xa.extend_from_slice(&xu.data);
            }
            let xa = Tokens {
                data: xa,
                len: x.len,
            };
            train_phase(&mut net, &xa, &ya, &p, p.epochs, &mut rng)?;
        }
        self.fitted = Some(FittedSeminas {
            net,
            vocab0,
            base,
            extra_vocab,
            mean,
            std,
        });
        Ok(())
    }

    /// Predictions (in target units) for `test`.
    pub fn predict(&self, test: &[ArchInput]) -> Result<Vec<f64>, NeuralError> {
        self.predict_extra(test, None)
    }

    /// Predictions for `test` with its extra symbols (required, and only allowed, when the
    /// model was fitted with them).
    pub fn predict_extra(
        &self,
        test: &[ArchInput],
        extra: Option<&[Vec<i64>]>,
    ) -> Result<Vec<f64>, NeuralError> {
        let f = self.fitted.as_ref().ok_or(NeuralError::NotFitted)?;
        let (net, mean, std) = (&f.net, &f.mean, &f.std);
        if test.is_empty() {
            return Ok(Vec::new());
        }
        let (x, _) = token_rows(
            &encode_all(test, EncodingKind::Seminas, self.quirks)?,
            f.vocab0,
            self.quirks,
        )?;
        let x = match (extra, f.extra_vocab) {
            (None, 0) => x,
            (Some(e), v) if v > 0 => append_extra(x, e, f.base, v)?,
            _ => {
                return Err(NeuralError::BadEncoding {
                    index: 0,
                    what: "extra tokens must be given exactly when the model was fitted with them"
                        .into(),
                })
            }
        };
        if x.data.iter().any(|&t| t >= net.lay.vocab) {
            return Err(NeuralError::BadEncoding {
                index: 0,
                what: "test architectures use tokens outside the vocabulary".into(),
            });
        }
        let p = net.predict(&x)?;
        if let Some(i) = p.iter().position(|v| !v.is_finite()) {
            return Err(NeuralError::Diverged(format!(
                "prediction {i} is not finite ({})",
                p[i]
            )));
        }
        Ok(p.iter().map(|&v| f64::from(v) * std + mean).collect())
    }

    fn key_str(&self) -> &'static str {
        if self.semi {
            "seminas"
        } else {
            "nao"
        }
    }
}

impl Predictor for SeminasPredictor {
    fn key(&self) -> &str {
        self.key_str()
    }

    fn requirements(&self) -> Requirements {
        Requirements {
            unlabeled_factor: usize::from(self.semi),
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
        let unlabeled = if self.semi { ctx.unlabeled } else { &[] };
        self.fit_seeded(train, y, unlabeled, seed)
            .map_err(|e| e.into_fit(self.key_str()))
    }

    fn query(
        &mut self,
        test: &[ArchInput],
        _ctx: &mut Context<'_>,
    ) -> Result<Vec<f64>, PredictorError> {
        self.predict(test).map_err(|e| e.into_query(self.key_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::nao_net::{Layout, Masks, Work, H};
    use super::super::{assert_same_gradient, Adam, FitRng};
    use super::clip_grad_norm;
    use tch::{Device, Kind, Tensor};

    /// NASLib's module formulation on libtorch (the implementation this crate used before the
    /// plain-Rust net): the parameters are views into one flat leaf tensor laid out as
    /// [`Layout`], so autograd's gradient lands in one buffer.
    struct Reference {
        enc_emb: Tensor,
        enc_lstm: Vec<Tensor>,
        proj: (Tensor, Tensor),
        mlp: Vec<(Tensor, Tensor)>,
        reg: (Tensor, Tensor),
        dec_lstm: Vec<Tensor>,
        dec_emb: Tensor,
        attn_in: Tensor,
        attn_out: Tensor,
        out: (Tensor, Tensor),
    }

    impl Reference {
        fn new(theta: &Tensor, lay: &Layout) -> Self {
            let h = H as i64;
            let v = |at: usize, shape: &[i64]| {
                let n: i64 = shape.iter().product();
                theta.narrow(0, at as i64, n).view(shape)
            };
            let lstm = |a: &super::super::nao_net::LstmAt| {
                vec![
                    v(a.ih, &[4 * h, h]),
                    v(a.hh, &[4 * h, h]),
                    v(a.bih, &[4 * h]),
                    v(a.bhh, &[4 * h]),
                ]
            };
            let voc = lay.vocab as i64;
            let mut enc_lstm = lstm(&lay.enc[0]);
            enc_lstm.extend(lstm(&lay.enc[1]));
            Reference {
                enc_emb: v(lay.enc_emb, &[voc, h]),
                enc_lstm,
                proj: (v(lay.proj_w, &[h, 2 * h]), v(lay.proj_b, &[h])),
                mlp: vec![
                    (v(lay.mlp1_w, &[16, h]), v(lay.mlp1_b, &[16])),
                    (v(lay.mlp2_w, &[h, 16]), v(lay.mlp2_b, &[h])),
                ],
                reg: (v(lay.reg_w, &[1, h]), v(lay.reg_b, &[1])),
                dec_lstm: lstm(&lay.dec),
                dec_emb: v(lay.dec_emb, &[voc, h]),
                attn_in: v(lay.attn_in, &[h, h]),
                attn_out: v(lay.attn_out, &[h, 2 * h]),
                out: (v(lay.out_w, &[voc, h]), v(lay.out_b, &[voc])),
            }
        }

        /// Encoder outputs, embedding and predictions; `masks` for training dropout.
        fn encode(&self, x: &Tensor, masks: Option<&Masks>) -> (Tensor, Tensor, Tensor) {
            let (b, l) = (x.size()[0], x.size()[1]);
            let h = H as i64;
            let e = Tensor::embedding(&self.enc_emb, x, -1, false, false);
            let e = match masks {
                Some(m) => e * Tensor::from_slice(&m.enc).view([b, l, h]),
                None => e,
            };
            let h0 = Tensor::zeros([2, b, h], (Kind::Float, Device::Cpu));
            let (out, _, _) = e.lstm(
                &[h0.shallow_clone(), h0.shallow_clone()],
                &self.enc_lstm,
                true,
                1,
                0.0,
                masks.is_some(),
                true,
                true,
            );
            let l2 = |t: &Tensor| {
                t / t
                    .norm_scalaropt_dim(2, [-1i64].as_slice(), true)
                    .clamp_min(1e-12)
            };
            let enc_out = l2(&(&e + out.linear(&self.proj.0, Some(&self.proj.1))));
            let emb = l2(&enc_out.mean_dim([1i64].as_slice(), false, Kind::Float));
            let mut hh = emb.shallow_clone();
            for (k, (w, bias)) in self.mlp.iter().enumerate() {
                let z = hh.linear(w, Some(bias)).relu();
                hh = match masks {
                    Some(m) => {
                        let mk = if k == 0 { &m.mlp1 } else { &m.mlp2 };
                        z * Tensor::from_slice(mk).view([b, -1])
                    }
                    None => z,
                };
            }
            let hh = (&emb + hh) * 0.5f64.sqrt();
            let pred = hh.linear(&self.reg.0, Some(&self.reg.1)).view([-1]);
            (enc_out, emb, pred)
        }

        /// NASLib's joint training loss.
        fn loss(&self, x: &Tensor, dec_in: &Tensor, y: &Tensor, m: &Masks) -> Tensor {
            let (b, l) = (x.size()[0], x.size()[1]);
            let h = H as i64;
            let s = 0.5f64.sqrt();
            let (enc_out, emb, pred) = self.encode(x, Some(m));
            let xd = Tensor::embedding(&self.dec_emb, dec_in, -1, false, false)
                * Tensor::from_slice(&m.dec).view([b, l, h]);
            let h0 = emb.unsqueeze(0);
            let (yd, _, _) = xd.lstm(
                &[h0.shallow_clone(), h0.shallow_clone()],
                &self.dec_lstm,
                true,
                1,
                0.0,
                true,
                false,
                true,
            );
            let x1 = (&xd + yd) * s;
            let q = x1.linear::<Tensor>(&self.attn_in, None);
            let attn = q.bmm(&enc_out.transpose(1, 2)).softmax(-1, Kind::Float);
            let comb = Tensor::cat(&[&attn.bmm(&enc_out), &x1], 2);
            let a = comb.linear::<Tensor>(&self.attn_out, None).tanh();
            let x2 = (&x1 + a) * s;
            let logp = x2
                .linear(&self.out.0, Some(&self.out.1))
                .log_softmax(-1, Kind::Float);
            let mse = (pred - y).square().mean(Kind::Float);
            let nll = logp.view([b * l, -1]).nll_loss(&x.view([-1]));
            mse * 0.8 + nll * 0.2
        }
    }

    /// A batch: random tokens in `0..vocab`, their decoder input, targets, masks.
    fn batch(
        rng: &mut FitRng,
        b: usize,
        l: usize,
        vocab: usize,
    ) -> (Vec<usize>, Vec<usize>, Vec<f32>, Masks) {
        let tok: Vec<usize> = rng
            .uniform_values(b * l, 0.0, vocab as f64)
            .into_iter()
            .map(|v| (v as usize).min(vocab - 1))
            .collect();
        let mut dec = Vec::with_capacity(b * l);
        for row in tok.chunks(l) {
            dec.push(0);
            dec.extend_from_slice(&row[..l - 1]);
        }
        let y = rng.normal_values(b, 1.0);
        let masks = Masks::draw(rng, b, l);
        (tok, dec, y, masks)
    }

    fn long(v: &[usize], b: usize, l: usize) -> Tensor {
        let d: Vec<i64> = v.iter().map(|&t| t as i64).collect();
        Tensor::from_slice(&d).view([b as i64, l as i64])
    }

    /// Every parameter block of the flat layout, as (offset, length).
    fn blocks(lay: &Layout) -> Vec<(usize, usize)> {
        let mut starts = vec![
            lay.enc_emb,
            lay.proj_w,
            lay.proj_b,
            lay.mlp1_w,
            lay.mlp1_b,
            lay.mlp2_w,
            lay.mlp2_b,
            lay.reg_w,
            lay.reg_b,
            lay.dec_emb,
            lay.attn_in,
            lay.attn_out,
            lay.out_w,
            lay.out_b,
        ];
        for a in lay.enc.iter().chain([&lay.dec]) {
            starts.extend([a.ih, a.hh, a.bih, a.bhh]);
        }
        starts.sort_unstable();
        let ends = starts[1..].iter().copied().chain([lay.total]);
        starts.iter().zip(ends).map(|(&s, e)| (s, e - s)).collect()
    }

    /// The hand-written gradient of the joint loss equals autograd's on the libtorch module
    /// formulation, block by block (same weights, batch and dropout masks), and the
    /// predictions agree in training and evaluation mode.
    #[test]
    fn manual_gradient_matches_autograd() {
        let (vocab, b, l) = (10, 6, 9);
        let mut rng = FitRng::new(11);
        let lay = Layout::new(vocab);
        let theta = lay.init(&mut rng);
        assert_eq!(theta.len(), lay.total);
        let (tok, dec, y, masks) = batch(&mut rng, b, l, vocab);
        let mut work = Work::new(vocab, 8, l);
        let mut grad = vec![0f32; lay.total];
        work.train_step(&lay, &theta, &tok, &dec, &y, &masks, &mut grad)
            .unwrap();
        let pred_train = work.pred().to_vec();

        let th = Tensor::from_slice(&theta).set_requires_grad(true);
        let reference = Reference::new(&th, &lay);
        let (x, d) = (long(&tok, b, l), long(&dec, b, l));
        let (_, _, rp) = reference.encode(&x, Some(&masks));
        let rp: Vec<f32> = Vec::try_from(&rp.detach()).unwrap();
        for (a, r) in pred_train.iter().zip(&rp) {
            assert!((a - r).abs() < 1e-5 * (1.0 + r.abs()), "{a} vs {r}");
        }
        reference
            .loss(&x, &d, &Tensor::from_slice(&y), &masks)
            .backward();
        let ours = Tensor::from_slice(&grad);
        let want = th.grad();
        for (s, n) in blocks(&lay) {
            let (s, n) = (s as i64, n as i64);
            assert_same_gradient(&want.narrow(0, s, n), &ours.narrow(0, s, n));
        }

        work.encode(&lay, &theta, &tok, b, None).unwrap();
        let (_, _, rp) = tch::no_grad(|| reference.encode(&x, None));
        let rp: Vec<f32> = Vec::try_from(&rp).unwrap();
        for (a, r) in work.pred().iter().zip(&rp) {
            assert!((a - r).abs() < 1e-5 * (1.0 + r.abs()), "{a} vs {r}");
        }
    }

    /// Five training steps (gradient, clipping to norm 5 with far-off targets so that
    /// clipping acts, fused Adam with weight decay) move the flat parameters as autograd,
    /// `clip_grad_norm` and the tensor Adam move the libtorch formulation's.
    #[test]
    fn training_steps_match_the_libtorch_formulation() {
        let (vocab, b, l) = (9, 5, 6);
        let mut rng = FitRng::new(3);
        let lay = Layout::new(vocab);
        let mut theta = lay.init(&mut rng);
        let th = Tensor::from_slice(&theta).set_requires_grad(true);
        let reference = Reference::new(&th, &lay);
        let mut adam = Adam::new(vec![th.shallow_clone()], 0.01, (0.9, 0.999), 1e-4);
        let mut flat = super::FlatAdam::new(lay.total, 0.01, (0.9, 0.999), 1e-4);
        let mut work = Work::new(vocab, b, l);
        let mut grad = vec![0f32; lay.total];
        let mut clipped = false;
        for _ in 0..5 {
            let (tok, dec, y, masks) = batch(&mut rng, b, l, vocab);
            // Far-off targets: gradients above the clipping bound.
            let y: Vec<f32> = y.iter().map(|v| 30.0 * v).collect();
            work.train_step(&lay, &theta, &tok, &dec, &y, &masks, &mut grad)
                .unwrap();
            let norm: f64 = grad
                .iter()
                .map(|&g| f64::from(g).powi(2))
                .sum::<f64>()
                .sqrt();
            clipped |= norm > 5.0;
            clip_grad_norm(&mut grad, 5.0);
            flat.step_slices(&mut theta, &grad).unwrap();

            adam.zero_grad();
            let (x, d) = (long(&tok, b, l), long(&dec, b, l));
            reference
                .loss(&x, &d, &Tensor::from_slice(&y), &masks)
                .backward();
            adam.clip_grad_norm(5.0);
            adam.step();
        }
        assert!(clipped, "the check should exercise clipping");
        let ours = Tensor::from_slice(&theta);
        let moved = (&ours - Tensor::from_slice(&lay.init(&mut FitRng::new(3))))
            .abs()
            .max()
            .double_value(&[]);
        let diff = (&ours - th.detach()).abs().max().double_value(&[]);
        assert!(moved > 0.01, "moved {moved}");
        // Adam turns the rounding differences of near-zero gradient entries into steps of up
        // to the learning rate, so the bound is relative to the largest move (0.08 % seen).
        assert!(
            diff < 2e-3 * moved,
            "difference {diff} after moving {moved}"
        );
    }

    /// Clipping: a norm above the bound is scaled to it, one below is left alone.
    #[test]
    fn clip_grad_norm_scales_only_above_the_bound() {
        let mut g = vec![3.0f32, 4.0];
        clip_grad_norm(&mut g, 1.0);
        assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
        let mut g = vec![0.3f32, 0.4];
        clip_grad_norm(&mut g, 1.0);
        assert_eq!(g, vec![0.3, 0.4]);
    }
}
