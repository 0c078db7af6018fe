//! Small dense `f32` kernels in plain Rust for the hand-written nets: a strided matrix product
//! (AVX-512 register tiles where the CPU has them, a portable tile loop elsewhere) and
//! branch-free `exp`, `sigmoid` and `tanh` that the compiler vectorises.
//!
//! The matrix product takes `A` with arbitrary row and column strides (so `A` or `Aᵀ` of a
//! row-major buffer) and a row-major `B` whose rows may be strided, and writes or adds into a
//! row-major `C`: every product of the nets (`X Wᵀ`, `dY W`, `dYᵀ X`) is one call.

use super::NeuralError;

/// A read-only operand `A` of [`gemm`]: element `(i, k)` at `data[i * rs + k * cs]`.
#[derive(Clone, Copy)]
pub struct MatA<'a> {
    /// The buffer.
    pub data: &'a [f32],
    /// Row stride.
    pub rs: usize,
    /// Column stride.
    pub cs: usize,
}

impl<'a> MatA<'a> {
    /// Row-major `A` with leading dimension `ld`, starting at `data[0]`.
    pub fn rows(data: &'a [f32], ld: usize) -> Self {
        MatA {
            data,
            rs: ld,
            cs: 1,
        }
    }

    /// `Aᵀ` of a row-major buffer with leading dimension `ld`: element `(i, k)` is `data[k * ld + i]`.
    pub fn trans(data: &'a [f32], ld: usize) -> Self {
        MatA {
            data,
            rs: 1,
            cs: ld,
        }
    }
}

/// Rows of a register tile (and of the portable tile).
const MR: usize = 8;
/// Columns of a tile (two 16-lane vectors).
const NR: usize = 32;
/// Rows of a cache block of the AVX-512 product (a multiple of both tile heights, 6 and 8).
#[cfg(target_arch = "x86_64")]
const MB: usize = 96;

/// `C[m x n] (+)= A[m x k] B[k x n]`, `B(k, j) = b[k * ldb + j]`, `C(i, j) = c[i * ldc + j]`;
/// `accumulate` adds to `C`, else overwrites it.
///
/// # Errors
/// [`NeuralError::BadBuffer`] when an operand is too short for the shape and strides (nothing
/// is written).
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    n: usize,
    k: usize,
    a: MatA<'_>,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) -> Result<(), NeuralError> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    let last = |rows: usize, rs: usize, cols: usize, cs: usize| (rows - 1) * rs + (cols - 1) * cs;
    if ldc < n || last(m, ldc, n, 1) >= c.len() {
        return Err(NeuralError::BadBuffer("matrix product: C too short"));
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * ldc..i * ldc + n].fill(0.0);
            }
        }
        return Ok(());
    }
    if last(m, a.rs, k, a.cs) >= a.data.len() {
        return Err(NeuralError::BadBuffer("matrix product: A too short"));
    }
    if last(k, ldb, n, 1) >= b.len() {
        return Err(NeuralError::BadBuffer("matrix product: B too short"));
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is present; the bounds of every operand were checked above and the
        // kernel reads and writes only inside them (masked lanes are never touched).
        unsafe { avx512::gemm(m, n, k, a, b, ldb, c, ldc, accumulate) };
        return Ok(());
    }
    gemm_portable(m, n, k, a, b, ldb, c, ldc, accumulate);
    Ok(())
}

/// [`gemm`] in portable tiles of `MR x NR` (bounds already checked).
#[allow(clippy::too_many_arguments)]
fn gemm_portable(
    m: usize,
    n: usize,
    k: usize,
    a: MatA<'_>,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    accumulate: bool,
) {
    for j0 in (0..n).step_by(NR) {
        let nc = NR.min(n - j0);
        for i0 in (0..m).step_by(MR) {
            let mr = MR.min(m - i0);
            let mut acc = [[0f32; NR]; MR];
            for kk in 0..k {
                let brow = &b[kk * ldb + j0..kk * ldb + j0 + nc];
                for (r, accr) in acc.iter_mut().enumerate().take(mr) {
                    let av = a.data[(i0 + r) * a.rs + kk * a.cs];
                    for (x, &bv) in accr.iter_mut().zip(brow) {
                        *x += av * bv;
                    }
                }
            }
            for (r, accr) in acc.iter().enumerate().take(mr) {
                let row = &mut c[(i0 + r) * ldc + j0..(i0 + r) * ldc + j0 + nc];
                for (x, &v) in row.iter_mut().zip(accr) {
                    *x = if accumulate { *x + v } else { v };
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{MatA, MB, MR, NR};
    use std::arch::x86_64::*;

    /// Lane mask of the first `cols` (clamped to 0..=16) lanes.
    #[inline(always)]
    fn lanes(cols: usize) -> __mmask16 {
        if cols >= 16 {
            0xffff
        } else {
            ((1u32 << cols) - 1) as __mmask16
        }
    }

    /// One `R x 32` tile (`R <= MR`) of `C`: columns beyond `nc` are masked off.
    ///
    /// # Safety
    /// AVX-512F; `a`, `b`, `c` point at the tile's first elements and every unmasked element
    /// of the tile's rows (`R` rows of A over `k`, `k` rows of B, `R` rows of C) is in bounds.
    #[inline]
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize>(
        k: usize,
        a: *const f32,
        ars: usize,
        acs: usize,
        b: *const f32,
        ldb: usize,
        c: *mut f32,
        ldc: usize,
        nc: usize,
        accumulate: bool,
    ) {
        let (m0, m1) = (lanes(nc), lanes(nc.saturating_sub(16)));
        let mut acc0 = [_mm512_setzero_ps(); R];
        let mut acc1 = [_mm512_setzero_ps(); R];
        for kk in 0..k {
            let bp = b.wrapping_add(kk * ldb);
            let b0 = _mm512_maskz_loadu_ps(m0, bp);
            let b1 = _mm512_maskz_loadu_ps(m1, bp.wrapping_add(16));
            let ap = a.wrapping_add(kk * acs);
            for r in 0..R {
                let av = _mm512_set1_ps(*ap.wrapping_add(r * ars));
                acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
                acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
            }
        }
        for r in 0..R {
            let cp = c.wrapping_add(r * ldc);
            let (mut v0, mut v1) = (acc0[r], acc1[r]);
            if accumulate {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cp));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cp.wrapping_add(16)));
            }
            _mm512_mask_storeu_ps(cp, m0, v0);
            _mm512_mask_storeu_ps(cp.wrapping_add(16), m1, v1);
        }
    }

    /// One `R x 64` tile (`R <= 6`): four vectors per row, columns beyond `nc` masked off.
    ///
    /// # Safety
    /// As [`tile`].
    #[inline]
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile64<const R: usize>(
        k: usize,
        a: *const f32,
        ars: usize,
        acs: usize,
        b: *const f32,
        ldb: usize,
        c: *mut f32,
        ldc: usize,
        nc: usize,
        accumulate: bool,
    ) {
        let m = [
            lanes(nc),
            lanes(nc.saturating_sub(16)),
            lanes(nc.saturating_sub(32)),
            lanes(nc.saturating_sub(48)),
        ];
        let mut acc = [[_mm512_setzero_ps(); 4]; R];
        for kk in 0..k {
            let bp = b.wrapping_add(kk * ldb);
            let bv = [
                _mm512_maskz_loadu_ps(m[0], bp),
                _mm512_maskz_loadu_ps(m[1], bp.wrapping_add(16)),
                _mm512_maskz_loadu_ps(m[2], bp.wrapping_add(32)),
                _mm512_maskz_loadu_ps(m[3], bp.wrapping_add(48)),
            ];
            let ap = a.wrapping_add(kk * acs);
            for (r, accr) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.wrapping_add(r * ars));
                for (x, &bq) in accr.iter_mut().zip(&bv) {
                    *x = _mm512_fmadd_ps(av, bq, *x);
                }
            }
        }
        for (r, accr) in acc.iter().enumerate() {
            let cp = c.wrapping_add(r * ldc);
            for (q, (&v, &mq)) in accr.iter().zip(&m).enumerate() {
                let p = cp.wrapping_add(16 * q);
                let v = if accumulate {
                    _mm512_add_ps(v, _mm512_maskz_loadu_ps(mq, p))
                } else {
                    v
                };
                _mm512_mask_storeu_ps(p, mq, v);
            }
        }
    }

    /// [`super::gemm`] in AVX-512 register tiles (`6 x 64` while more than 32 columns
    /// remain, else `8 x 32`), over blocks of [`MB`] rows so that a block's rows of `A` and
    /// `C` stay in cache while every column tile passes over them.
    ///
    /// # Safety
    /// AVX-512F; the operands' bounds were checked by [`super::gemm`].
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn gemm(
        m: usize,
        n: usize,
        k: usize,
        a: MatA<'_>,
        b: &[f32],
        ldb: usize,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        let (ap, bp, cp) = (a.data.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        for i_blk in (0..m).step_by(MB) {
            let i_end = m.min(i_blk + MB);
            let mut j0 = 0;
            while n - j0 > NR {
                let nc = (2 * NR).min(n - j0);
                for i0 in (i_blk..i_end).step_by(6) {
                    let at = ap.wrapping_add(i0 * a.rs);
                    let bt = bp.wrapping_add(j0);
                    let ct = cp.wrapping_add(i0 * ldc + j0);
                    let (rs, cs) = (a.rs, a.cs);
                    match 6.min(i_end - i0) {
                        6 => tile64::<6>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        5 => tile64::<5>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        4 => tile64::<4>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        3 => tile64::<3>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        2 => tile64::<2>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        _ => tile64::<1>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                    }
                }
                j0 += nc;
            }
            if j0 < n {
                let nc = n - j0;
                for i0 in (i_blk..i_end).step_by(MR) {
                    let at = ap.wrapping_add(i0 * a.rs);
                    let bt = bp.wrapping_add(j0);
                    let ct = cp.wrapping_add(i0 * ldc + j0);
                    let (rs, cs) = (a.rs, a.cs);
                    match MR.min(i_end - i0) {
                        8 => tile::<8>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        7 => tile::<7>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        6 => tile::<6>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        5 => tile::<5>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        4 => tile::<4>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        3 => tile::<3>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        2 => tile::<2>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                        _ => tile::<1>(k, at, rs, cs, bt, ldb, ct, ldc, nc, accumulate),
                    }
                }
            }
        }
    }
}

/// `e^x` for `x` clamped to `[-87, 88]` (Cephes' `expf` polynomial after reducing by `ln 2`
/// with round-to-nearest through the `1.5 * 2^23` shift; about 2 ulp), branch-free so that
/// loops over it vectorise.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut p = 1.987_569_1e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let bits = (t.to_bits() as i32 - SHIFT.to_bits() as i32 + 127) << 23;
    e * f32::from_bits(bits as u32)
}

/// The logistic function `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x = 1 - 2 / (e^{2x} + 1)` (absolute error about 1e-7).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(m: usize, n: usize, k: usize, a: MatA<'_>, b: &[f32], ldb: usize) -> Vec<f64> {
        let mut c = vec![0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                for kk in 0..k {
                    c[i * n + j] +=
                        f64::from(a.data[i * a.rs + kk * a.cs]) * f64::from(b[kk * ldb + j]);
                }
            }
        }
        c
    }

    /// Every remainder of rows and columns, transposed and strided operands, overwrite and
    /// accumulate agree with a double-precision triple loop (the dispatched product and the
    /// portable tiles); short buffers are refused.
    #[test]
    fn gemm_matches_the_triple_loop() {
        let mut s = 1u32;
        let mut next = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        for &(m, n, k) in &[(1, 1, 1), (9, 33, 5), (17, 70, 64), (8, 10, 3), (3, 16, 40)] {
            let a: Vec<f32> = (0..m * k + 3).map(|_| next()).collect();
            let b: Vec<f32> = (0..k * (n + 2)).map(|_| next()).collect();
            for &trans in &[false, true] {
                let am = if trans {
                    MatA::trans(&a, m)
                } else {
                    MatA::rows(&a, k)
                };
                let want = reference(m, n, k, am, &b, n + 2);
                let mut c = vec![1f32; m * (n + 1)];
                gemm(m, n, k, am, &b, n + 2, &mut c, n + 1, true).unwrap();
                for i in 0..m {
                    for j in 0..n {
                        let got = f64::from(c[i * (n + 1) + j]) - 1.0;
                        assert!((got - want[i * n + j]).abs() < 1e-4, "{m}x{n}x{k} {i},{j}");
                    }
                    assert_eq!(c[i * (n + 1) + n], 1.0, "column past n untouched");
                }
                gemm(m, n, k, am, &b, n + 2, &mut c, n + 1, false).unwrap();
                let got = f64::from(c[(m - 1) * (n + 1) + n - 1]);
                assert!((got - want[m * n - 1]).abs() < 1e-4);
                // The portable tiles (what runs without AVX-512), whatever this CPU has.
                let mut p = vec![1f32; m * (n + 1)];
                gemm_portable(m, n, k, am, &b, n + 2, &mut p, n + 1, true);
                for i in 0..m {
                    for j in 0..n {
                        let got = f64::from(p[i * (n + 1) + j]) - 1.0;
                        assert!((got - want[i * n + j]).abs() < 1e-4, "portable {i},{j}");
                    }
                    assert_eq!(p[i * (n + 1) + n], 1.0);
                }
            }
        }
        let mut c = vec![0f32; 4];
        assert!(gemm(
            2,
            2,
            2,
            MatA::rows(&[0.0; 3], 2),
            &[0.0; 4],
            2,
            &mut c,
            2,
            false
        )
        .is_err());
    }

    #[test]
    fn exp_sigmoid_tanh_match_std() {
        for i in -2000..=2000 {
            let x = i as f32 * 0.02;
            let e = f64::from(x).exp();
            assert!(((f64::from(exp(x)) - e) / e).abs() < 1e-6, "exp {x}");
            let t = f64::from(x).tanh();
            assert!((f64::from(tanh(x)) - t).abs() < 3e-7, "tanh {x}");
            let s = 1.0 / (1.0 + (-f64::from(x)).exp());
            assert!((f64::from(sigmoid(x)) - s).abs() < 3e-7, "sigmoid {x}");
        }
        assert!(exp(-200.0) > 0.0 && exp(200.0).is_finite());
    }
}
