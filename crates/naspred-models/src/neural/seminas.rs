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
//! * QUIRK (token collision): in NASLib's sequence an op token `op + 2` of 2 (the input op, which
//!   DARTS's merged graph does emit) equals the "edge present" token 2. Faithful keeps the
//!   sequence; fixed (default) shifts every non-padding op token up by one (vocabulary + 1), so
//!   op and edge tokens never share a symbol.

use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorError, Requirements};
use naspred_spaces::{encoding_shape, Encoding, EncodingKind, EncodingShape, Quirks};
use tch::{Device, Kind, Tensor};

use super::{
    batches, check_train, encode_all, fit_seed, mean_std, param, single_threaded, to_vec_finite,
    Adam, FitRng, NeuralError,
};

const HIDDEN: i64 = 64;
const MLP_HIDDEN: i64 = 16;
const DROPOUT: f64 = 0.1;
const TRADE_OFF: f64 = 0.8;
const UP_SAMPLE: usize = 10;
const GRAD_BOUND: f64 = 5.0;

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

fn lin_init(rng: &mut FitRng, out: i64, inp: i64, bias: bool) -> (Tensor, Option<Tensor>) {
    let b = 1.0 / (inp as f64).sqrt();
    let w = param(rng.uniform(&[out, inp], -b, b));
    let bias = bias.then(|| param(rng.uniform(&[out], -b, b)));
    (w, bias)
}

fn lstm_params(rng: &mut FitRng, inp: i64, hidden: i64, dirs: usize) -> Vec<Tensor> {
    let b = 1.0 / (hidden as f64).sqrt();
    let mut v = Vec::new();
    for _ in 0..dirs {
        v.push(param(rng.uniform(&[4 * hidden, inp], -b, b)));
        v.push(param(rng.uniform(&[4 * hidden, hidden], -b, b)));
        v.push(param(rng.uniform(&[4 * hidden], -b, b)));
        v.push(param(rng.uniform(&[4 * hidden], -b, b)));
    }
    v
}

fn l2norm(x: &Tensor) -> Tensor {
    let n = x
        .norm_scalaropt_dim(2, [-1i64].as_slice(), true)
        .clamp_min(1e-12);
    x / n
}

struct Nao {
    enc_emb: Tensor,
    enc_lstm: Vec<Tensor>,
    out_proj: (Tensor, Option<Tensor>),
    mlp: Vec<(Tensor, Option<Tensor>)>,
    regressor: (Tensor, Option<Tensor>),
    dec_lstm: Vec<Tensor>,
    dec_emb: Tensor,
    attn_in: Tensor,
    attn_out: Tensor,
    dec_out: (Tensor, Option<Tensor>),
}

fn maybe_dropout(x: Tensor, rng: &mut Option<&mut FitRng>) -> Tensor {
    match rng {
        Some(r) => r.dropout(&x, DROPOUT),
        None => x,
    }
}

impl Nao {
    fn new(vocab: i64, rng: &mut FitRng) -> Self {
        let enc_emb = param(rng.normal(&[vocab, HIDDEN], 1.0));
        let enc_lstm = lstm_params(rng, HIDDEN, HIDDEN, 2);
        let out_proj = lin_init(rng, HIDDEN, 2 * HIDDEN, true);
        let mlp = vec![
            lin_init(rng, MLP_HIDDEN, HIDDEN, true),
            lin_init(rng, HIDDEN, MLP_HIDDEN, true),
        ];
        let regressor = lin_init(rng, 1, HIDDEN, true);
        let dec_lstm = lstm_params(rng, HIDDEN, HIDDEN, 1);
        let dec_emb = param(rng.normal(&[vocab, HIDDEN], 1.0));
        let attn_in = lin_init(rng, HIDDEN, HIDDEN, false).0;
        let attn_out = lin_init(rng, HIDDEN, 2 * HIDDEN, false).0;
        let dec_out = lin_init(rng, vocab, HIDDEN, true);
        Nao {
            enc_emb,
            enc_lstm,
            out_proj,
            mlp,
            regressor,
            dec_lstm,
            dec_emb,
            attn_in,
            attn_out,
            dec_out,
        }
    }

    fn params(&self) -> Vec<Tensor> {
        let mut v = vec![self.enc_emb.shallow_clone()];
        v.extend(self.enc_lstm.iter().map(|t| t.shallow_clone()));
        let mut lin = |l: &(Tensor, Option<Tensor>)| {
            v.push(l.0.shallow_clone());
            if let Some(b) = &l.1 {
                v.push(b.shallow_clone());
            }
        };
        lin(&self.out_proj);
        for l in &self.mlp {
            lin(l);
        }
        lin(&self.regressor);
        lin(&self.dec_out);
        v.extend(self.dec_lstm.iter().map(|t| t.shallow_clone()));
        v.push(self.dec_emb.shallow_clone());
        v.push(self.attn_in.shallow_clone());
        v.push(self.attn_out.shallow_clone());
        v
    }

    /// Encoder: (per-step outputs, architecture embedding, prediction (B)).
    fn encode(&self, x: &Tensor, mut rng: Option<&mut FitRng>) -> (Tensor, Tensor, Tensor) {
        let train = rng.is_some();
        let bsz = x.size()[0];
        let e = Tensor::embedding(&self.enc_emb, x, -1, false, false);
        let e = maybe_dropout(e, &mut rng);
        let h0 = Tensor::zeros([2, bsz, HIDDEN], (Kind::Float, Device::Cpu));
        let (out, _, _) = e.lstm(
            &[h0.shallow_clone(), h0.shallow_clone()],
            &self.enc_lstm,
            true,
            1,
            0.0,
            train,
            true,
            true,
        );
        let out = out.linear(&self.out_proj.0, self.out_proj.1.as_ref());
        let enc_out = l2norm(&(&e + out));
        let emb = l2norm(&enc_out.mean_dim([1i64].as_slice(), false, Kind::Float));
        let mut h = emb.shallow_clone();
        for (w, b) in &self.mlp {
            h = maybe_dropout(h.linear(w, b.as_ref()).relu(), &mut rng);
        }
        let h = (&emb + h) * 0.5f64.sqrt();
        let pred = h
            .linear(&self.regressor.0, self.regressor.1.as_ref())
            .view([-1]);
        (enc_out, emb, pred)
    }

    /// Decoder log-probabilities `(B, L, vocab)` under teacher forcing.
    fn decode(
        &self,
        dec_in: &Tensor,
        emb: &Tensor,
        enc_out: &Tensor,
        mut rng: Option<&mut FitRng>,
    ) -> Tensor {
        let train = rng.is_some();
        let s = 0.5f64.sqrt();
        let x = Tensor::embedding(&self.dec_emb, dec_in, -1, false, false);
        let x = maybe_dropout(x, &mut rng);
        let h0 = emb.unsqueeze(0);
        let (y, _, _) = x.lstm(
            &[h0.shallow_clone(), h0.shallow_clone()],
            &self.dec_lstm,
            true,
            1,
            0.0,
            train,
            false,
            true,
        );
        let x = (&x + y) * s;
        let q = x.linear::<Tensor>(&self.attn_in, None);
        let attn = q.bmm(&enc_out.transpose(1, 2)).softmax(-1, Kind::Float);
        let mix = attn.bmm(enc_out);
        let comb = Tensor::cat(&[&mix, &x], 2);
        let a = comb.linear::<Tensor>(&self.attn_out, None).tanh();
        let x = (&x + a) * s;
        x.linear(&self.dec_out.0, self.dec_out.1.as_ref())
            .log_softmax(-1, Kind::Float)
    }
}

/// Token sequences as an `(n, L)` i64 tensor plus the vocabulary size, applying the token QUIRK.
fn token_tensor(
    encs: &[Encoding],
    vocab: usize,
    quirks: Quirks,
) -> Result<(Tensor, usize), NeuralError> {
    let mut data: Vec<i64> = Vec::new();
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
            data.push(v as i64);
        }
    }
    let base = if quirks == Quirks::Fixed {
        vocab + 1
    } else {
        vocab
    };
    let vocab = base.max(max_tok + 1);
    Ok((
        Tensor::from_slice(&data).view([encs.len() as i64, len as i64]),
        vocab,
    ))
}

fn train_phase(
    net: &Nao,
    x: &Tensor,
    y: &Tensor,
    p: &SeminasParams,
    epochs: usize,
    rng: &mut FitRng,
) -> Result<(), NeuralError> {
    let n = x.size()[0] as usize;
    // decoder input: [0] + seq[..-1]
    let l = x.size()[1];
    let dec_in = Tensor::cat(
        &[
            &Tensor::zeros([n as i64, 1], (Kind::Int64, Device::Cpu)),
            &x.narrow(1, 0, l - 1),
        ],
        1,
    );
    let mut opt = Adam::new(net.params(), p.lr, (0.9, 0.999), p.wd);
    for _ in 0..epochs {
        let perm = rng.permutation(n);
        for idx in batches(&perm, p.batch_size, false) {
            let idx = Tensor::from_slice(idx);
            let xb = x.index_select(0, &idx);
            opt.zero_grad();
            let (enc_out, emb, pred) = net.encode(&xb, Some(&mut *rng));
            let logp = net.decode(
                &dec_in.index_select(0, &idx),
                &emb,
                &enc_out,
                Some(&mut *rng),
            );
            let mse = (pred - y.index_select(0, &idx)).square().mean(Kind::Float);
            let vocab = logp.size()[2];
            let nll = logp.view([-1, vocab]).nll_loss(&xb.view([-1]));
            let loss = mse * TRADE_OFF + nll * (1.0 - TRADE_OFF);
            loss.backward();
            opt.clip_grad_norm(GRAD_BOUND);
            opt.step();
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

/// Appends `extra` symbols (offset by `base`) to the `(n, L)` token tensor `x`.
fn append_extra(
    x: Tensor,
    extra: &[Vec<i64>],
    base: usize,
    vocab: usize,
) -> Result<Tensor, NeuralError> {
    let n = x.size()[0] as usize;
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
    let mut data = Vec::with_capacity(n * width);
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
        data.extend(row.iter().map(|&t| t + base as i64));
    }
    let e = Tensor::from_slice(&data).view([n as i64, width as i64]);
    Ok(Tensor::cat(&[&x, &e], 1))
}

struct FittedSeminas {
    net: Nao,
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
        single_threaded();
        self.fitted = None;
        let vocab0 = self.vocab_of(train);
        let (x, base) = token_tensor(
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
        let yt = Tensor::from_slice(&yz);
        let mut rng = FitRng::new(seed);
        let net = Nao::new(vocab as i64, &mut rng);
        train_phase(&net, &x, &yt, &p, p.pretrain_epochs, &mut rng)?;
        if self.semi {
            let k = unlabeled.len().min(train.len());
            let mut xs = vec![x.repeat([UP_SAMPLE as i64, 1])];
            let mut ys = vec![yt.repeat([UP_SAMPLE as i64])];
            if k > 0 {
                let (xu, vu) = token_tensor(
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
                let yu = tch::no_grad(|| net.encode(&xu, None).2);
                xs.push(xu);
                ys.push(yu.detach());
            }
            let xa = Tensor::cat(&xs, 0);
            let ya = Tensor::cat(&ys, 0);
            train_phase(&net, &xa, &ya, &p, p.epochs, &mut rng)?;
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
        let (x, _) = token_tensor(
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
        let n = test.len() as i64;
        let mut out = Vec::with_capacity(test.len());
        let mut start = 0;
        while start < n {
            let len = (n - start).min(100);
            let p = tch::no_grad(|| net.encode(&x.narrow(0, start, len), None).2);
            out.extend(to_vec_finite(&p)?.into_iter().map(|v| v * std + mean));
            start += len;
        }
        Ok(out)
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
