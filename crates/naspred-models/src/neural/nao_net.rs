//! The NAO encoder–predictor–decoder of SemiNAS/NAO (see [`super::seminas`]) in plain Rust:
//! every parameter in one flat `f32` buffer, the forward pass and the hand-written backward
//! pass through time (attention included) as [`gemm`] calls and fused element-wise loops.
//!
//! Internally every `(batch x steps)` matrix is stored time-major (row `t * B + b`), so one
//! recurrent step reads and writes `B` consecutive rows; the dropout masks keep NASLib's
//! batch-major draw order `(b, t, k)`.

use super::dense::{exp, gemm, sigmoid, tanh, MatA};
use super::{FitRng, NeuralError};

/// Hidden width of every layer (NASLib's 64).
pub(crate) const H: usize = 64;
const G4: usize = 4 * H;
const G8: usize = 8 * H;
const H2: usize = 2 * H;
/// Width of the predictor's hidden layer (16).
const MLP: usize = 16;
/// Dropout probability (0.1).
pub(crate) const DROPOUT: f64 = 0.1;
/// Weight of the regression loss (0.8; the reconstruction loss has 0.2).
const TRADE_OFF: f32 = 0.8;
/// The residual scale `sqrt(0.5)`.
const RES: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// The smallest norm of the L2 normalisations.
const NORM_EPS: f32 = 1e-12;

/// Offsets of one LSTM's parameters: `w_ih (4H x in)`, `w_hh (4H x H)`, `b_ih`, `b_hh`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LstmAt {
    pub ih: usize,
    pub hh: usize,
    pub bih: usize,
    pub bhh: usize,
}

/// Offsets of every parameter in the flat buffer, in the order of NASLib's module creation
/// (the order of the initial draws).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Layout {
    pub vocab: usize,
    pub enc_emb: usize,
    pub enc: [LstmAt; 2],
    pub proj_w: usize,
    pub proj_b: usize,
    pub mlp1_w: usize,
    pub mlp1_b: usize,
    pub mlp2_w: usize,
    pub mlp2_b: usize,
    pub reg_w: usize,
    pub reg_b: usize,
    pub dec: LstmAt,
    pub dec_emb: usize,
    pub attn_in: usize,
    pub attn_out: usize,
    pub out_w: usize,
    pub out_b: usize,
    pub total: usize,
}

impl Layout {
    pub(crate) fn new(vocab: usize) -> Self {
        let mut off = 0;
        let mut take = |len: usize| {
            off += len;
            off - len
        };
        let enc_emb = take(vocab * H);
        let lstm = |take: &mut dyn FnMut(usize) -> usize| LstmAt {
            ih: take(G4 * H),
            hh: take(G4 * H),
            bih: take(G4),
            bhh: take(G4),
        };
        let enc = [lstm(&mut take), lstm(&mut take)];
        let (proj_w, proj_b) = (take(H * H2), take(H));
        let (mlp1_w, mlp1_b) = (take(MLP * H), take(MLP));
        let (mlp2_w, mlp2_b) = (take(H * MLP), take(H));
        let (reg_w, reg_b) = (take(H), take(1));
        let dec = lstm(&mut take);
        let dec_emb = take(vocab * H);
        let attn_in = take(H * H);
        let attn_out = take(H * H2);
        let (out_w, out_b) = (take(vocab * H), take(vocab));
        Layout {
            vocab,
            enc_emb,
            enc,
            proj_w,
            proj_b,
            mlp1_w,
            mlp1_b,
            mlp2_w,
            mlp2_b,
            reg_w,
            reg_b,
            dec,
            dec_emb,
            attn_in,
            attn_out,
            out_w,
            out_b,
            total: off,
        }
    }

    /// PyTorch's initialisation drawn from `rng` in module order: embeddings `N(0, 1)`,
    /// LSTM weights and biases `U(±1/sqrt(H))`, linear layers `U(±1/sqrt(fan_in))` (weight,
    /// then bias).
    pub(crate) fn init(&self, rng: &mut FitRng) -> Vec<f32> {
        let mut th = Vec::with_capacity(self.total);
        let bl = 1.0 / (H as f64).sqrt();
        let lstm = |th: &mut Vec<f32>, rng: &mut FitRng| {
            th.extend(rng.uniform_values(G4 * H, -bl, bl));
            th.extend(rng.uniform_values(G4 * H, -bl, bl));
            th.extend(rng.uniform_values(G4, -bl, bl));
            th.extend(rng.uniform_values(G4, -bl, bl));
        };
        let lin = |th: &mut Vec<f32>, rng: &mut FitRng, out: usize, inp: usize, bias: bool| {
            let b = 1.0 / (inp as f64).sqrt();
            th.extend(rng.uniform_values(out * inp, -b, b));
            if bias {
                th.extend(rng.uniform_values(out, -b, b));
            }
        };
        th.extend(rng.normal_values(self.vocab * H, 1.0));
        lstm(&mut th, rng);
        lstm(&mut th, rng);
        lin(&mut th, rng, H, H2, true);
        lin(&mut th, rng, MLP, H, true);
        lin(&mut th, rng, H, MLP, true);
        lin(&mut th, rng, 1, H, true);
        lstm(&mut th, rng);
        th.extend(rng.normal_values(self.vocab * H, 1.0));
        lin(&mut th, rng, H, H, false);
        lin(&mut th, rng, H, H2, false);
        lin(&mut th, rng, self.vocab, H, true);
        th
    }
}

/// `src (rows x cols)` transposed into `dst` at column offset `off` of leading dimension `ld`.
#[inline(always)]
fn transpose_into(src: &[f32], rows: usize, cols: usize, dst: &mut [f32], ld: usize, off: usize) {
    for (r, row) in src.chunks_exact(cols).take(rows).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            dst[c * ld + off + r] = v;
        }
    }
}

/// Transposed weights (`in x out`, the `B` operand of `X Wᵀ`) and summed LSTM biases,
/// refreshed from the flat buffer before each forward pass.
struct Transposed {
    /// Both encoder directions' `w_ih`: `H x 8H`.
    enc_ih: Vec<f32>,
    enc_bias: Vec<f32>,
    enc_hh: [Vec<f32>; 2],
    proj: Vec<f32>,
    mlp1: Vec<f32>,
    mlp2: Vec<f32>,
    dec_ih: Vec<f32>,
    dec_bias: Vec<f32>,
    dec_hh: Vec<f32>,
    attn_in: Vec<f32>,
    attn_out: Vec<f32>,
    out: Vec<f32>,
}

impl Transposed {
    fn new(vocab: usize) -> Self {
        let z = |n: usize| vec![0f32; n];
        Transposed {
            enc_ih: z(H * G8),
            enc_bias: z(G8),
            enc_hh: [z(H * G4), z(H * G4)],
            proj: z(H2 * H),
            mlp1: z(H * MLP),
            mlp2: z(MLP * H),
            dec_ih: z(H * G4),
            dec_bias: z(G4),
            dec_hh: z(H * G4),
            attn_in: z(H * H),
            attn_out: z(H2 * H),
            out: z(H * vocab),
        }
    }

    #[inline(always)]
    fn refresh(&mut self, lay: &Layout, th: &[f32]) {
        let w = |at: usize, len: usize| &th[at..at + len];
        for (d, e) in lay.enc.iter().enumerate() {
            transpose_into(w(e.ih, G4 * H), G4, H, &mut self.enc_ih, G8, d * G4);
            transpose_into(w(e.hh, G4 * H), G4, H, &mut self.enc_hh[d], G4, 0);
            let bias = &mut self.enc_bias[d * G4..(d + 1) * G4];
            for ((o, &a), &b) in bias.iter_mut().zip(w(e.bih, G4)).zip(w(e.bhh, G4)) {
                *o = a + b;
            }
        }
        transpose_into(w(lay.proj_w, H * H2), H, H2, &mut self.proj, H, 0);
        transpose_into(w(lay.mlp1_w, MLP * H), MLP, H, &mut self.mlp1, MLP, 0);
        transpose_into(w(lay.mlp2_w, H * MLP), H, MLP, &mut self.mlp2, H, 0);
        let d = lay.dec;
        transpose_into(w(d.ih, G4 * H), G4, H, &mut self.dec_ih, G4, 0);
        transpose_into(w(d.hh, G4 * H), G4, H, &mut self.dec_hh, G4, 0);
        for ((o, &a), &b) in self.dec_bias.iter_mut().zip(w(d.bih, G4)).zip(w(d.bhh, G4)) {
            *o = a + b;
        }
        transpose_into(w(lay.attn_in, H * H), H, H, &mut self.attn_in, H, 0);
        transpose_into(w(lay.attn_out, H * H2), H, H2, &mut self.attn_out, H, 0);
        let v = lay.vocab;
        transpose_into(w(lay.out_w, v * H), v, H, &mut self.out, v, 0);
    }
}

/// The dropout masks of one training step, in NASLib's draw order (encoder embedding
/// `(B, L, H)`, the predictor's two hidden layers `(B, 16)` and `(B, H)`, decoder embedding
/// `(B, L, H)`).
pub(crate) struct Masks {
    pub enc: Vec<f32>,
    pub mlp1: Vec<f32>,
    pub mlp2: Vec<f32>,
    pub dec: Vec<f32>,
}

impl Masks {
    /// Draws the masks of a batch of `b` sequences of `l` tokens.
    pub(crate) fn draw(rng: &mut FitRng, b: usize, l: usize) -> Self {
        Masks {
            enc: rng.dropout_values(b * l * H, DROPOUT, 1.0),
            mlp1: rng.dropout_values(b * MLP, DROPOUT, 1.0),
            mlp2: rng.dropout_values(b * H, DROPOUT, 1.0),
            dec: rng.dropout_values(b * l * H, DROPOUT, 1.0),
        }
    }
}

/// Activations of one batch (time-major rows `t * B + b`) and the scratch of its backward
/// pass, allocated once per training phase for the largest batch.
pub(crate) struct Work {
    wt: Transposed,
    b: usize,
    l: usize,
    /// Encoder input (embedding after dropout), `LB x H`.
    xe: Vec<f32>,
    /// Encoder gates of both directions (pre-activation, then activated), `LB x 8H`.
    gin: Vec<f32>,
    /// Encoder hidden states `[forward, backward]`, cells, tanh of cells: `LB x 2H`.
    hcat: Vec<f32>,
    cell: Vec<f32>,
    tcell: Vec<f32>,
    /// Encoder outputs (normalised) and their norms before normalisation.
    eo: Vec<f32>,
    enorm: Vec<f32>,
    /// Architecture embedding `B x H` and the norm of the mean it normalises.
    emb: Vec<f32>,
    mnorm: Vec<f32>,
    z1: Vec<f32>,
    a1: Vec<f32>,
    z2: Vec<f32>,
    hh: Vec<f32>,
    pred: Vec<f32>,
    xd: Vec<f32>,
    gd: Vec<f32>,
    yd: Vec<f32>,
    cd: Vec<f32>,
    tcd: Vec<f32>,
    /// `[attention mix, decoder state x1]`, `LB x 2H`.
    comb: Vec<f32>,
    q: Vec<f32>,
    /// Per-sequence transposed encoder outputs, `B x H x L`.
    eot: Vec<f32>,
    /// Attention weights, `B x L x L`.
    att: Vec<f32>,
    aa: Vec<f32>,
    x2: Vec<f32>,
    logp: Vec<f32>,
    // Backward scratch.
    d_lb_v: Vec<f32>,
    d_x2: Vec<f32>,
    d_comb: Vec<f32>,
    d_x1: Vec<f32>,
    d_eo: Vec<f32>,
    d_q: Vec<f32>,
    d_att: Vec<f32>,
    d_g4: Vec<f32>,
    d_g8: Vec<f32>,
    d_xe: Vec<f32>,
    d_hcat: Vec<f32>,
    d_emb: Vec<f32>,
    d_h: Vec<f32>,
    d_c: Vec<f32>,
}

impl Work {
    /// Buffers for batches of up to `bmax` sequences of `l` tokens over `vocab` symbols.
    pub(crate) fn new(vocab: usize, bmax: usize, l: usize) -> Self {
        let lb = l * bmax;
        let z = |n: usize| vec![0f32; n];
        Work {
            wt: Transposed::new(vocab),
            b: 0,
            l,
            xe: z(lb * H),
            gin: z(lb * G8),
            hcat: z(lb * H2),
            cell: z(lb * H2),
            tcell: z(lb * H2),
            eo: z(lb * H),
            enorm: z(lb),
            emb: z(bmax * H),
            mnorm: z(bmax),
            z1: z(bmax * MLP),
            a1: z(bmax * MLP),
            z2: z(bmax * H),
            hh: z(bmax * H),
            pred: z(bmax),
            xd: z(lb * H),
            gd: z(lb * G4),
            yd: z(lb * H),
            cd: z(lb * H),
            tcd: z(lb * H),
            comb: z(lb * H2),
            q: z(lb * H),
            eot: z(lb * H),
            att: z(bmax * l * l),
            aa: z(lb * H),
            x2: z(lb * H),
            logp: z(lb * vocab),
            d_lb_v: z(lb * vocab),
            d_x2: z(lb * H),
            d_comb: z(lb * H2),
            d_x1: z(lb * H),
            d_eo: z(lb * H),
            d_q: z(lb * H),
            d_att: z(l * l),
            d_g4: z(lb * G4),
            d_g8: z(lb * G8),
            d_xe: z(lb * H),
            d_hcat: z(lb * H2),
            d_emb: z(bmax * H),
            d_h: z(bmax * H),
            d_c: z(bmax * H),
        }
    }

    /// Predictions of the last forward pass (`B`).
    pub(crate) fn pred(&self) -> &[f32] {
        &self.pred[..self.b]
    }

    #[inline(always)]
    fn check(&self, tok: &[usize], b: usize, vocab: usize) -> Result<(), NeuralError> {
        if b == 0 || b * self.l > self.enorm.len() || tok.len() != b * self.l {
            return Err(NeuralError::BadBuffer(
                "batch does not fit the work buffers",
            ));
        }
        if tok.iter().any(|&t| t >= vocab) {
            return Err(NeuralError::BadBuffer("token outside the vocabulary"));
        }
        Ok(())
    }

    /// Encoder and predictor head for `b` batch-major token rows `tok` (`b x L`); `masks`
    /// applies training dropout. Fills the predictions ([`Work::pred`]).
    pub(crate) fn encode(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        b: usize,
        masks: Option<&Masks>,
    ) -> Result<(), NeuralError> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was just detected.
            return unsafe { self.encode_avx512(lay, th, tok, b, masks) };
        }
        self.encode_body(lay, th, tok, b, masks)
    }

    /// [`Work::encode`] compiled with AVX-512 (the element-wise loops vectorise 16 wide).
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn encode_avx512(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        b: usize,
        masks: Option<&Masks>,
    ) -> Result<(), NeuralError> {
        self.encode_body(lay, th, tok, b, masks)
    }

    #[inline(always)]
    fn encode_body(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        b: usize,
        masks: Option<&Masks>,
    ) -> Result<(), NeuralError> {
        self.check(tok, b, lay.vocab)?;
        self.b = b;
        self.wt.refresh(lay, th);
        self.embed(th, lay.enc_emb, tok, masks.map(|m| m.enc.as_slice()), true);
        self.encoder_lstm()?;
        self.encoder_outputs(lay, th)?;
        self.head(lay, th, masks)
    }

    /// Embedding rows of `tok` (times the dropout mask) into `xe` (`enc`) or `xd`, time-major.
    #[inline(always)]
    fn embed(&mut self, th: &[f32], at: usize, tok: &[usize], mask: Option<&[f32]>, enc: bool) {
        let (b, l) = (self.b, self.l);
        let x = if enc { &mut self.xe } else { &mut self.xd };
        for bi in 0..b {
            for t in 0..l {
                let s = bi * l + t;
                let e = &th[at + tok[s] * H..at + (tok[s] + 1) * H];
                let row = &mut x[(t * b + bi) * H..(t * b + bi + 1) * H];
                match mask {
                    Some(m) => {
                        for ((o, &v), &k) in row.iter_mut().zip(e).zip(&m[s * H..(s + 1) * H]) {
                            *o = v * k;
                        }
                    }
                    None => row.copy_from_slice(e),
                }
            }
        }
    }

    /// Both directions of the encoder LSTM (from zero states) into `gin`, `hcat`, `cell`,
    /// `tcell`.
    #[inline(always)]
    fn encoder_lstm(&mut self) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        // Step by step, the input projection of a step just before its recurrent product:
        // the step's gate rows stay in cache (one product over all steps streams them to
        // memory and back).
        for d in 0..2 {
            let bias = &self.wt.enc_bias[d * G4..(d + 1) * G4];
            for s in 0..l {
                let t = if d == 0 { s } else { l - 1 - s };
                let prev = (s > 0).then(|| if d == 0 { t - 1 } else { t + 1 });
                for bi in 0..b {
                    let at = (t * b + bi) * G8 + d * G4;
                    self.gin[at..at + G4].copy_from_slice(bias);
                }
                let x = MatA::rows(&self.xe[t * b * H..], H);
                let w = &self.wt.enc_ih[d * G4..];
                gemm(
                    b,
                    G4,
                    H,
                    x,
                    w,
                    G8,
                    &mut self.gin[t * b * G8 + d * G4..],
                    G8,
                    true,
                )?;
                if let Some(p) = prev {
                    let a = MatA::rows(&self.hcat[p * b * H2 + d * H..], H2);
                    let c = &mut self.gin[t * b * G8 + d * G4..];
                    gemm(b, G4, H, a, &self.wt.enc_hh[d], G4, c, G8, true)?;
                }
                for bi in 0..b {
                    let r = t * b + bi;
                    let at = r * H2 + d * H;
                    let g = &mut self.gin[r * G8 + d * G4..r * G8 + (d + 1) * G4];
                    let (tc, h) = (&mut self.tcell[at..at + H], &mut self.hcat[at..at + H]);
                    match prev {
                        Some(p) => {
                            let pat = (p * b + bi) * H2 + d * H;
                            let (c, cp) = cur_prev(&mut self.cell, at, pat, H);
                            cell_forward(g, Some(cp), c, tc, h);
                        }
                        None => cell_forward(g, None, &mut self.cell[at..at + H], tc, h),
                    }
                }
            }
        }
        Ok(())
    }

    /// Projection, residual and L2 normalisation of the encoder outputs; the normalised mean
    /// over steps is the embedding.
    #[inline(always)]
    fn encoder_outputs(&mut self, lay: &Layout, th: &[f32]) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        let lb = l * b;
        let bias = &th[lay.proj_b..lay.proj_b + H];
        for r in 0..lb {
            self.eo[r * H..(r + 1) * H].copy_from_slice(bias);
        }
        gemm(
            lb,
            H,
            H2,
            MatA::rows(&self.hcat, H2),
            &self.wt.proj,
            H,
            &mut self.eo,
            H,
            true,
        )?;
        for r in 0..lb {
            let row = &mut self.eo[r * H..(r + 1) * H];
            for (o, &x) in row.iter_mut().zip(&self.xe[r * H..(r + 1) * H]) {
                *o += x;
            }
            self.enorm[r] = normalise(row);
        }
        let emb = &mut self.emb[..b * H];
        emb.fill(0.0);
        for t in 0..l {
            for (o, &v) in emb.iter_mut().zip(&self.eo[t * b * H..(t + 1) * b * H]) {
                *o += v;
            }
        }
        let inv = 1.0 / l as f32;
        for (bi, row) in emb.chunks_exact_mut(H).enumerate() {
            row.iter_mut().for_each(|v| *v *= inv);
            self.mnorm[bi] = normalise(row);
        }
        Ok(())
    }

    /// The predictor head `emb -> 16 -> H` (ReLU, dropout), residual, `Linear(H, 1)`.
    #[inline(always)]
    fn head(&mut self, lay: &Layout, th: &[f32], masks: Option<&Masks>) -> Result<(), NeuralError> {
        let b = self.b;
        dense_relu(
            b,
            MLP,
            H,
            &self.emb,
            &self.wt.mlp1,
            &th[lay.mlp1_b..lay.mlp1_b + MLP],
            &mut self.z1,
            &mut self.a1,
            masks.map(|m| m.mlp1.as_slice()),
        )?;
        dense_relu(
            b,
            H,
            MLP,
            &self.a1,
            &self.wt.mlp2,
            &th[lay.mlp2_b..lay.mlp2_b + H],
            &mut self.z2,
            &mut self.hh,
            masks.map(|m| m.mlp2.as_slice()),
        )?;
        let w = &th[lay.reg_w..lay.reg_w + H];
        for bi in 0..b {
            let row = &mut self.hh[bi * H..(bi + 1) * H];
            let mut s = 0f32;
            for ((o, &e), &wk) in row.iter_mut().zip(&self.emb[bi * H..(bi + 1) * H]).zip(w) {
                *o = (e + *o) * RES;
                s += *o * wk;
            }
            self.pred[bi] = s + th[lay.reg_b];
        }
        Ok(())
    }

    /// Decoder under teacher forcing (`dec_in`, batch-major `b x L`) from the encoder pass
    /// just run: log-probabilities in `logp` (`LB x vocab`).
    #[inline(always)]
    fn decode(
        &mut self,
        lay: &Layout,
        th: &[f32],
        dec_in: &[usize],
        masks: &Masks,
    ) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        let lb = l * b;
        self.embed(th, lay.dec_emb, dec_in, Some(&masks.dec), false);
        for t in 0..l {
            for r in t * b..(t + 1) * b {
                self.gd[r * G4..(r + 1) * G4].copy_from_slice(&self.wt.dec_bias);
            }
            let x = MatA::rows(&self.xd[t * b * H..], H);
            let gd = &mut self.gd[t * b * G4..];
            gemm(b, G4, H, x, &self.wt.dec_ih, G4, gd, G4, true)?;
            let a = if t == 0 {
                MatA::rows(&self.emb, H)
            } else {
                MatA::rows(&self.yd[(t - 1) * b * H..], H)
            };
            gemm(
                b,
                G4,
                H,
                a,
                &self.wt.dec_hh,
                G4,
                &mut self.gd[t * b * G4..],
                G4,
                true,
            )?;
            for bi in 0..b {
                let r = t * b + bi;
                let g = &mut self.gd[r * G4..(r + 1) * G4];
                let (tc, h) = (
                    &mut self.tcd[r * H..(r + 1) * H],
                    &mut self.yd[r * H..(r + 1) * H],
                );
                if t == 0 {
                    let cp = &self.emb[bi * H..(bi + 1) * H];
                    cell_forward(g, Some(cp), &mut self.cd[r * H..(r + 1) * H], tc, h);
                } else {
                    let (c, cp) = cur_prev(&mut self.cd, r * H, (r - b) * H, H);
                    cell_forward(g, Some(cp), c, tc, h);
                }
            }
        }
        for r in 0..lb {
            let x1 = &mut self.comb[r * H2 + H..(r + 1) * H2];
            for ((o, &x), &y) in x1.iter_mut().zip(&self.xd[r * H..]).zip(&self.yd[r * H..]) {
                *o = (x + y) * RES;
            }
        }
        let x1 = MatA::rows(&self.comb[H..], H2);
        gemm(lb, H, H, x1, &self.wt.attn_in, H, &mut self.q, H, false)?;
        self.attention()?;
        gemm(
            lb,
            H,
            H2,
            MatA::rows(&self.comb, H2),
            &self.wt.attn_out,
            H,
            &mut self.aa,
            H,
            false,
        )?;
        for r in 0..lb {
            let x1 = &self.comb[r * H2 + H..(r + 1) * H2];
            let (aa, x2) = (
                &mut self.aa[r * H..(r + 1) * H],
                &mut self.x2[r * H..(r + 1) * H],
            );
            for ((o, a), &x) in x2.iter_mut().zip(aa.iter_mut()).zip(x1) {
                *a = tanh(*a);
                *o = (x + *a) * RES;
            }
        }
        let v = lay.vocab;
        for r in 0..lb {
            self.logp[r * v..(r + 1) * v].copy_from_slice(&th[lay.out_b..lay.out_b + v]);
        }
        gemm(
            lb,
            v,
            H,
            MatA::rows(&self.x2, H),
            &self.wt.out,
            v,
            &mut self.logp,
            v,
            true,
        )?;
        for row in self.logp[..lb * v].chunks_exact_mut(v) {
            log_softmax(row);
        }
        Ok(())
    }

    /// Dot-product attention of each decoder state over its sequence's encoder outputs:
    /// weights in `att`, the mix in the first half of `comb`.
    #[inline(always)]
    fn attention(&mut self) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        for bi in 0..b {
            let eot = &mut self.eot[bi * H * l..(bi + 1) * H * l];
            for t in 0..l {
                for (k, &v) in self.eo[(t * b + bi) * H..(t * b + bi + 1) * H]
                    .iter()
                    .enumerate()
                {
                    eot[k * l + t] = v;
                }
            }
            let att = &mut self.att[bi * l * l..(bi + 1) * l * l];
            let q = MatA {
                data: &self.q[bi * H..],
                rs: b * H,
                cs: 1,
            };
            gemm(l, l, H, q, eot, l, att, l, false)?;
            for row in att.chunks_exact_mut(l) {
                softmax(row);
            }
            let eo = &self.eo[bi * H..];
            gemm(
                l,
                H,
                l,
                MatA::rows(att, l),
                eo,
                b * H,
                &mut self.comb[bi * H2..],
                b * H2,
                false,
            )?;
        }
        Ok(())
    }

    /// One training step: forward pass and the gradient of
    /// `0.8 MSE(pred, y) + 0.2 NLL(reconstruction)` written into `grad` (overwritten).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn train_step(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        dec_in: &[usize],
        y: &[f32],
        masks: &Masks,
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was just detected.
            return unsafe { self.train_step_avx512(lay, th, tok, dec_in, y, masks, grad) };
        }
        self.train_step_body(lay, th, tok, dec_in, y, masks, grad)
    }

    /// [`Work::train_step`] compiled with AVX-512 (the element-wise loops vectorise 16 wide).
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn train_step_avx512(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        dec_in: &[usize],
        y: &[f32],
        masks: &Masks,
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        self.train_step_body(lay, th, tok, dec_in, y, masks, grad)
    }

    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn train_step_body(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        dec_in: &[usize],
        y: &[f32],
        masks: &Masks,
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let b = y.len();
        self.check(dec_in, b, lay.vocab)?;
        if grad.len() != lay.total || th.len() != lay.total {
            return Err(NeuralError::BadBuffer(
                "parameter or gradient buffer length",
            ));
        }
        self.encode_body(lay, th, tok, b, Some(masks))?;
        self.decode(lay, th, dec_in, masks)?;
        grad.fill(0.0);
        self.d_emb[..b * H].fill(0.0);
        self.back_output(lay, th, tok, grad)?;
        self.back_attention(lay, th, grad)?;
        self.back_decoder_lstm(lay, th, dec_in, &masks.dec, grad)?;
        self.back_head(lay, th, y, masks, grad)?;
        self.back_encoder_outputs(lay, th, grad)?;
        self.back_encoder_lstm(lay, th, tok, &masks.enc, grad)
    }

    /// Output layer and attention combination: `d_x1` (decoder state) and `d_comb` (mix,
    /// first half) from the reconstruction loss.
    #[inline(always)]
    fn back_output(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let (b, l, v) = (self.b, self.l, lay.vocab);
        let lb = l * b;
        let scale = (1.0 - TRADE_OFF) / lb as f32;
        let dl = &mut self.d_lb_v;
        for t in 0..l {
            for bi in 0..b {
                let r = t * b + bi;
                let row = &mut dl[r * v..(r + 1) * v];
                for (o, &lp) in row.iter_mut().zip(&self.logp[r * v..(r + 1) * v]) {
                    *o = exp(lp) * scale;
                }
                row[tok[bi * l + t]] -= scale;
            }
        }
        let g = &mut grad[lay.out_w..lay.out_w + v * H];
        gemm(v, H, lb, MatA::trans(dl, v), &self.x2, H, g, H, true)?;
        col_sums(&dl[..lb * v], v, &mut grad[lay.out_b..lay.out_b + v]);
        let w_out = &th[lay.out_w..lay.out_w + v * H];
        gemm(
            lb,
            H,
            v,
            MatA::rows(dl, v),
            w_out,
            H,
            &mut self.d_x2,
            H,
            false,
        )?;
        // x2 = (x1 + tanh(z)) RES
        for r in 0..lb {
            let (dz, a) = (
                &mut self.d_x2[r * H..(r + 1) * H],
                &self.aa[r * H..(r + 1) * H],
            );
            let dx1 = &mut self.d_x1[r * H..(r + 1) * H];
            for ((d, o), &av) in dz.iter_mut().zip(dx1.iter_mut()).zip(a) {
                *o = *d * RES;
                *d = *o * (1.0 - av * av);
            }
        }
        let dz = &self.d_x2;
        let g = &mut grad[lay.attn_out..lay.attn_out + H * H2];
        gemm(H, H2, lb, MatA::trans(dz, H), &self.comb, H2, g, H2, true)?;
        let w = &th[lay.attn_out..lay.attn_out + H * H2];
        gemm(
            lb,
            H2,
            H,
            MatA::rows(dz, H),
            w,
            H2,
            &mut self.d_comb,
            H2,
            false,
        )?;
        for r in 0..lb {
            let src = &self.d_comb[r * H2 + H..(r + 1) * H2];
            for (o, &d) in self.d_x1[r * H..(r + 1) * H].iter_mut().zip(src) {
                *o += d;
            }
        }
        Ok(())
    }

    /// Attention backward: `d_eo` (encoder outputs, overwritten) and `d_x1` (through the
    /// query).
    #[inline(always)]
    fn back_attention(
        &mut self,
        lay: &Layout,
        th: &[f32],
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        let lb = l * b;
        self.d_eo[..lb * H].fill(0.0);
        for bi in 0..b {
            let att = &self.att[bi * l * l..(bi + 1) * l * l];
            let dmix = MatA {
                data: &self.d_comb[bi * H2..],
                rs: b * H2,
                cs: 1,
            };
            let eot = &self.eot[bi * H * l..(bi + 1) * H * l];
            gemm(l, l, H, dmix, eot, l, &mut self.d_att, l, false)?;
            let deo = &mut self.d_eo[bi * H..];
            gemm(
                l,
                H,
                l,
                MatA::trans(att, l),
                &self.d_comb[bi * H2..],
                b * H2,
                deo,
                b * H,
                true,
            )?;
            for (drow, arow) in self.d_att.chunks_exact_mut(l).zip(att.chunks_exact(l)) {
                let s: f32 = drow.iter().zip(arow).map(|(d, a)| d * a).sum();
                for (d, &a) in drow.iter_mut().zip(arow) {
                    *d = a * (*d - s);
                }
            }
            let ds = &self.d_att;
            let eo = &self.eo[bi * H..];
            gemm(
                l,
                H,
                l,
                MatA::rows(ds, l),
                eo,
                b * H,
                &mut self.d_q[bi * H..],
                b * H,
                false,
            )?;
            let q = &self.q[bi * H..];
            gemm(
                l,
                H,
                l,
                MatA::trans(ds, l),
                q,
                b * H,
                &mut self.d_eo[bi * H..],
                b * H,
                true,
            )?;
        }
        let g = &mut grad[lay.attn_in..lay.attn_in + H * H];
        gemm(
            H,
            H,
            lb,
            MatA::trans(&self.d_q, H),
            &self.comb[H..],
            H2,
            g,
            H,
            true,
        )?;
        let w = &th[lay.attn_in..lay.attn_in + H * H];
        gemm(
            lb,
            H,
            H,
            MatA::rows(&self.d_q, H),
            w,
            H,
            &mut self.d_x1,
            H,
            true,
        )
    }

    /// Decoder LSTM backward through time from `d_x1`; adds the initial state's gradient to
    /// `d_emb` and scatters the input gradient into the decoder embedding.
    #[inline(always)]
    fn back_decoder_lstm(
        &mut self,
        lay: &Layout,
        th: &[f32],
        dec_in: &[usize],
        mask: &[f32],
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        let lb = l * b;
        // x1 = (xd + yd) RES: both receive d_x1 RES (kept in d_x1, also the input gradient).
        self.d_x1[..lb * H].iter_mut().for_each(|v| *v *= RES);
        self.d_h[..b * H].fill(0.0);
        self.d_c[..b * H].fill(0.0);
        let at = lay.dec;
        let w_hh = &th[at.hh..at.hh + G4 * H];
        let w_ih = &th[at.ih..at.ih + G4 * H];
        // Each step's weight and input gradients right after its gate gradients, while they
        // are in cache.
        for t in (0..l).rev() {
            for bi in 0..b {
                let r = t * b + bi;
                let c_prev = if t == 0 {
                    &self.emb[bi * H..(bi + 1) * H]
                } else {
                    &self.cd[(r - b) * H..(r - b + 1) * H]
                };
                cell_backward(
                    &self.gd[r * G4..(r + 1) * G4],
                    c_prev,
                    &self.tcd[r * H..(r + 1) * H],
                    &self.d_x1[r * H..(r + 1) * H],
                    &mut self.d_h[bi * H..(bi + 1) * H],
                    &mut self.d_c[bi * H..(bi + 1) * H],
                    &mut self.d_g4[r * G4..(r + 1) * G4],
                );
            }
            let dg = &self.d_g4[t * b * G4..(t + 1) * b * G4];
            let h_prev = if t == 0 {
                &self.emb[..b * H]
            } else {
                &self.yd[(t - 1) * b * H..t * b * H]
            };
            let g = &mut grad[at.hh..at.hh + G4 * H];
            gemm(G4, H, b, MatA::trans(dg, G4), h_prev, H, g, H, true)?;
            let g = &mut grad[at.ih..at.ih + G4 * H];
            gemm(
                G4,
                H,
                b,
                MatA::trans(dg, G4),
                &self.xd[t * b * H..],
                H,
                g,
                H,
                true,
            )?;
            col_sums(dg, G4, &mut grad[at.bih..at.bih + G4]);
            let dx = &mut self.d_x1[t * b * H..];
            gemm(b, H, G4, MatA::rows(dg, G4), w_ih, H, dx, H, true)?;
            gemm(
                b,
                H,
                G4,
                MatA::rows(dg, G4),
                w_hh,
                H,
                &mut self.d_h,
                H,
                false,
            )?;
        }
        for ((o, &h), &c) in self.d_emb[..b * H].iter_mut().zip(&self.d_h).zip(&self.d_c) {
            *o += h + c;
        }
        grad.copy_within(at.bih..at.bih + G4, at.bhh);
        scatter_embedding(&self.d_x1, dec_in, mask, b, l, &mut grad[lay.dec_emb..]);
        Ok(())
    }

    /// Predictor head backward from the regression loss; adds to `d_emb`.
    #[inline(always)]
    fn back_head(
        &mut self,
        lay: &Layout,
        th: &[f32],
        y: &[f32],
        masks: &Masks,
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let b = self.b;
        let w = &th[lay.reg_w..lay.reg_w + H];
        // d_hh (reusing d_h): dpred w; the regression weights' gradient.
        for (bi, &yb) in y.iter().enumerate().take(b) {
            let dp = TRADE_OFF * 2.0 * (self.pred[bi] - yb) / b as f32;
            grad[lay.reg_b] += dp;
            let hh = &self.hh[bi * H..(bi + 1) * H];
            for (k, (&h, &wk)) in hh.iter().zip(w).enumerate() {
                grad[lay.reg_w + k] += dp * h;
                let d = dp * wk * RES;
                self.d_emb[bi * H + k] += d;
                self.d_h[bi * H + k] = d * masks.mlp2[bi * H + k] * relu_gate(self.z2[bi * H + k]);
            }
        }
        let dz2 = &self.d_h[..b * H];
        let g = &mut grad[lay.mlp2_w..lay.mlp2_w + H * MLP];
        gemm(H, MLP, b, MatA::trans(dz2, H), &self.a1, MLP, g, MLP, true)?;
        col_sums(dz2, H, &mut grad[lay.mlp2_b..lay.mlp2_b + H]);
        let w2 = &th[lay.mlp2_w..lay.mlp2_w + H * MLP];
        let dz1 = &mut self.d_c;
        gemm(b, MLP, H, MatA::rows(dz2, H), w2, MLP, dz1, MLP, false)?;
        for (i, d) in dz1[..b * MLP].iter_mut().enumerate() {
            *d *= masks.mlp1[i] * relu_gate(self.z1[i]);
        }
        let dz1 = &self.d_c[..b * MLP];
        let g = &mut grad[lay.mlp1_w..lay.mlp1_w + MLP * H];
        gemm(MLP, H, b, MatA::trans(dz1, MLP), &self.emb, H, g, H, true)?;
        col_sums(dz1, MLP, &mut grad[lay.mlp1_b..lay.mlp1_b + MLP]);
        let w1 = &th[lay.mlp1_w..lay.mlp1_w + MLP * H];
        gemm(
            b,
            H,
            MLP,
            MatA::rows(dz1, MLP),
            w1,
            H,
            &mut self.d_emb,
            H,
            true,
        )
    }

    /// Through the embedding's normalisation and mean, the encoder outputs' normalisation,
    /// residual and projection: `d_xe` (residual part) and `d_hcat`.
    #[inline(always)]
    fn back_encoder_outputs(
        &mut self,
        lay: &Layout,
        th: &[f32],
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        let lb = l * b;
        let inv = 1.0 / l as f32;
        for bi in 0..b {
            let (e, d) = (
                &self.emb[bi * H..(bi + 1) * H],
                &mut self.d_emb[bi * H..(bi + 1) * H],
            );
            normalise_backward(e, self.mnorm[bi], d);
            d.iter_mut().for_each(|v| *v *= inv);
        }
        for t in 0..l {
            let rows = &mut self.d_eo[t * b * H..(t + 1) * b * H];
            for (o, &dm) in rows.iter_mut().zip(&self.d_emb[..b * H]) {
                *o += dm;
            }
        }
        for r in 0..lb {
            let d = &mut self.d_eo[r * H..(r + 1) * H];
            normalise_backward(&self.eo[r * H..(r + 1) * H], self.enorm[r], d);
        }
        let dr = &self.d_eo;
        self.d_xe[..lb * H].copy_from_slice(&dr[..lb * H]);
        let g = &mut grad[lay.proj_w..lay.proj_w + H * H2];
        gemm(H, H2, lb, MatA::trans(dr, H), &self.hcat, H2, g, H2, true)?;
        col_sums(&dr[..lb * H], H, &mut grad[lay.proj_b..lay.proj_b + H]);
        let w = &th[lay.proj_w..lay.proj_w + H * H2];
        gemm(
            lb,
            H2,
            H,
            MatA::rows(dr, H),
            w,
            H2,
            &mut self.d_hcat,
            H2,
            false,
        )
    }

    /// Both encoder directions backward through time; scatters the input gradient into the
    /// encoder embedding.
    #[inline(always)]
    fn back_encoder_lstm(
        &mut self,
        lay: &Layout,
        th: &[f32],
        tok: &[usize],
        mask: &[f32],
        grad: &mut [f32],
    ) -> Result<(), NeuralError> {
        let (b, l) = (self.b, self.l);
        for d in 0..2 {
            let at = lay.enc[d];
            self.d_h[..b * H].fill(0.0);
            self.d_c[..b * H].fill(0.0);
            let w_hh = &th[at.hh..at.hh + G4 * H];
            let w_ih = &th[at.ih..at.ih + G4 * H];
            for s in 0..l {
                // Reverse of the forward order.
                let t = if d == 0 { l - 1 - s } else { s };
                let prev = (s + 1 < l).then(|| if d == 0 { t - 1 } else { t + 1 });
                for bi in 0..b {
                    let r = t * b + bi;
                    let cp = prev.map(|p| &self.cell[(p * b + bi) * H2 + d * H..][..H]);
                    let zero = [0f32; H];
                    cell_backward(
                        &self.gin[r * G8 + d * G4..r * G8 + (d + 1) * G4],
                        cp.unwrap_or(&zero),
                        &self.tcell[r * H2 + d * H..r * H2 + (d + 1) * H],
                        &self.d_hcat[r * H2 + d * H..r * H2 + (d + 1) * H],
                        &mut self.d_h[bi * H..(bi + 1) * H],
                        &mut self.d_c[bi * H..(bi + 1) * H],
                        &mut self.d_g8[r * G8 + d * G4..r * G8 + (d + 1) * G4],
                    );
                }
                // The step's weight and input gradients while its gate gradients are in cache.
                let dg = &self.d_g8[t * b * G8 + d * G4..(t + 1) * b * G8];
                let dgt = MatA {
                    data: dg,
                    rs: 1,
                    cs: G8,
                };
                let g = &mut grad[at.ih..at.ih + G4 * H];
                gemm(G4, H, b, dgt, &self.xe[t * b * H..], H, g, H, true)?;
                let bias = &mut grad[at.bih..at.bih + G4];
                for row in dg.chunks(G8) {
                    for (o, &v) in bias.iter_mut().zip(&row[..G4]) {
                        *o += v;
                    }
                }
                let dx = &mut self.d_xe[t * b * H..];
                gemm(b, H, G4, MatA::rows(dg, G8), w_ih, H, dx, H, true)?;
                if let Some(p) = prev {
                    let h = &self.hcat[p * b * H2 + d * H..];
                    let g = &mut grad[at.hh..at.hh + G4 * H];
                    gemm(G4, H, b, dgt, h, H2, g, H, true)?;
                    gemm(
                        b,
                        H,
                        G4,
                        MatA::rows(dg, G8),
                        w_hh,
                        H,
                        &mut self.d_h,
                        H,
                        false,
                    )?;
                }
            }
            grad.copy_within(at.bih..at.bih + G4, at.bhh);
        }
        scatter_embedding(&self.d_xe, tok, mask, b, l, &mut grad[lay.enc_emb..]);
        Ok(())
    }
}

/// One LSTM cell step: pre-activation gates `g` (`[i, f, g, o]`, replaced by their
/// activations), previous cell `c_prev` (zero when `None`); writes the cell, its tanh and the
/// hidden state.
#[inline(always)]
fn cell_forward(
    g: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
) {
    let (sig, rest) = g.split_at_mut(2 * H);
    let (gg, o) = rest.split_at_mut(H);
    sig.iter_mut().for_each(|v| *v = sigmoid(*v));
    o.iter_mut().for_each(|v| *v = sigmoid(*v));
    gg.iter_mut().for_each(|v| *v = tanh(*v));
    let (i, f) = sig.split_at(H);
    for k in 0..H {
        let cp = c_prev.map_or(0.0, |p| p[k]);
        c[k] = f[k] * cp + i[k] * gg[k];
    }
    for k in 0..H {
        tc[k] = tanh(c[k]);
        h[k] = o[k] * tc[k];
    }
}

/// Backward of [`cell_forward`]: `dh_out` (the output's gradient) plus the recurrent `dh`,
/// the recurrent `dc`; writes the pre-activation gate gradient `dg` and leaves in `dc` the
/// previous cell's gradient (`dh` is overwritten by the caller's recurrent product).
#[inline(always)]
fn cell_backward(
    a: &[f32],
    c_prev: &[f32],
    tc: &[f32],
    dh_out: &[f32],
    dh: &mut [f32],
    dc: &mut [f32],
    dg: &mut [f32],
) {
    let (i, rest) = a.split_at(H);
    let (f, rest) = rest.split_at(H);
    let (g, o) = rest.split_at(H);
    let (di, rest) = dg.split_at_mut(H);
    let (df, rest) = rest.split_at_mut(H);
    let (dgg, d_o) = rest.split_at_mut(H);
    for k in 0..H {
        let dhk = dh_out[k] + dh[k];
        let t = tc[k];
        let dck = dc[k] + dhk * o[k] * (1.0 - t * t);
        d_o[k] = dhk * t * o[k] * (1.0 - o[k]);
        di[k] = dck * g[k] * i[k] * (1.0 - i[k]);
        dgg[k] = dck * i[k] * (1.0 - g[k] * g[k]);
        df[k] = dck * c_prev[k] * f[k] * (1.0 - f[k]);
        dc[k] = dck * f[k];
    }
}

/// L2-normalises `row` in place (norm clamped below at 1e-12); returns the clamped norm.
#[inline(always)]
fn normalise(row: &mut [f32]) -> f32 {
    let n = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(NORM_EPS);
    row.iter_mut().for_each(|v| *v /= n);
    n
}

/// Backward of [`normalise`] given its output `e` and clamped norm `n`: `d` becomes the
/// input's gradient.
#[inline(always)]
fn normalise_backward(e: &[f32], n: f32, d: &mut [f32]) {
    if n > NORM_EPS {
        let dot: f32 = e.iter().zip(d.iter()).map(|(a, b)| a * b).sum();
        for (o, &ek) in d.iter_mut().zip(e) {
            *o = (*o - ek * dot) / n;
        }
    } else {
        d.iter_mut().for_each(|v| *v /= n);
    }
}

#[inline(always)]
fn relu_gate(z: f32) -> f32 {
    if z > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// `z = x W + bias` (`W` given transposed, `inp x out`), `a = relu(z) * mask`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn dense_relu(
    b: usize,
    out: usize,
    inp: usize,
    x: &[f32],
    wt: &[f32],
    bias: &[f32],
    z: &mut [f32],
    a: &mut [f32],
    mask: Option<&[f32]>,
) -> Result<(), NeuralError> {
    for row in z[..b * out].chunks_exact_mut(out) {
        row.copy_from_slice(bias);
    }
    gemm(b, out, inp, MatA::rows(x, inp), wt, out, z, out, true)?;
    for (i, (o, &zv)) in a[..b * out].iter_mut().zip(z.iter()).enumerate() {
        *o = zv.max(0.0) * mask.map_or(1.0, |m| m[i]);
    }
    Ok(())
}

/// Adds the column sums of the row-major `m` (`cols` wide) to `out`.
#[inline(always)]
fn col_sums(m: &[f32], cols: usize, out: &mut [f32]) {
    for row in m.chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
}

/// Scatters the time-major input gradient `dx` (times the dropout mask) into the embedding
/// gradient rows of the batch-major tokens `tok`.
#[inline(always)]
fn scatter_embedding(dx: &[f32], tok: &[usize], mask: &[f32], b: usize, l: usize, g: &mut [f32]) {
    for bi in 0..b {
        for t in 0..l {
            let s = bi * l + t;
            let row = &mut g[tok[s] * H..(tok[s] + 1) * H];
            let d = &dx[(t * b + bi) * H..(t * b + bi + 1) * H];
            for ((o, &dv), &m) in row.iter_mut().zip(d).zip(&mask[s * H..(s + 1) * H]) {
                *o += dv * m;
            }
        }
    }
}

/// Row `cur` (mutable) and row `prev` (shared) of one buffer, `len` long each, at distinct
/// non-overlapping offsets.
#[inline(always)]
fn cur_prev(buf: &mut [f32], cur: usize, prev: usize, len: usize) -> (&mut [f32], &[f32]) {
    if prev < cur {
        let (a, b) = buf.split_at_mut(cur);
        (&mut b[..len], &a[prev..prev + len])
    } else {
        let (a, b) = buf.split_at_mut(prev);
        (&mut a[cur..cur + len], &b[..len])
    }
}

#[inline(always)]
fn softmax(row: &mut [f32]) {
    let mx = row.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
    row.iter_mut().for_each(|v| *v = exp(*v - mx));
    let s: f32 = row.iter().sum();
    let inv = 1.0 / s;
    row.iter_mut().for_each(|v| *v *= inv);
}

#[inline(always)]
fn log_softmax(row: &mut [f32]) {
    let mx = row.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
    let s: f32 = row.iter().map(|&v| (v - mx).exp()).sum();
    let lse = mx + s.ln();
    row.iter_mut().for_each(|v| *v -= lse);
}
