//! Throughput of the dense matrix product (`neural::dense::gemm`) on the shapes of a NAO
//! training step (batch 100, 35 steps, hidden 64), in GFLOP/s of the calling thread's CPU time
//! (and of wall time).
//!
//! `gemm_shapes`

use std::time::Instant;

use naspred_models::neural::dense::{gemm, MatA};

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`), in seconds.
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// A product's shape: name, `m`, `n`, `k`, `A` strides, `ldb`, `ldc`.
struct Shape {
    name: &'static str,
    m: usize,
    n: usize,
    k: usize,
    rs: usize,
    cs: usize,
    ldb: usize,
    ldc: usize,
}

fn main() {
    let lb = 3500;
    let a = vec![0.5f32; lb * 544];
    let b = vec![0.25f32; lb * 544];
    let mut c = vec![0f32; lb * 544];
    let s = |name, m, n, k, rs, cs, ldb, ldc| Shape {
        name,
        m,
        n,
        k,
        rs,
        cs,
        ldb,
        ldc,
    };
    let shapes = [
        s("input projection 3500x512x64", lb, 512, 64, 64, 1, 512, 512),
        s(
            "step input/recurrent 100x256x64",
            100,
            256,
            64,
            128,
            1,
            512,
            512,
        ),
        s(
            "weight gradient 256x64x3500 (Aᵀ)",
            256,
            64,
            lb,
            1,
            512,
            64,
            64,
        ),
        s(
            "weight gradient 256x64x100 (Aᵀ)",
            256,
            64,
            100,
            1,
            512,
            64,
            64,
        ),
        s("input gradient 100x64x256", 100, 64, 256, 256, 1, 64, 64),
        s("attention scores 35x35x64", 35, 35, 64, 6400, 1, 35, 35),
        s("attention mix 35x64x35", 35, 64, 35, 35, 1, 6400, 12800),
        s("projection 3500x64x128", lb, 64, 128, 128, 1, 64, 64),
    ];
    for sh in shapes {
        let am = MatA {
            data: &a,
            rs: sh.rs,
            cs: sh.cs,
        };
        let flop = 2.0 * (sh.m * sh.n * sh.k) as f64;
        let reps = (2e9 / flop).ceil() as usize;
        let (t0, w0) = (cpu(), Instant::now());
        for _ in 0..reps {
            gemm(sh.m, sh.n, sh.k, am, &b, sh.ldb, &mut c, sh.ldc, true).expect("shape fits");
        }
        let (t, w) = (cpu() - t0, w0.elapsed().as_secs_f64());
        let total = flop * reps as f64 / 1e9;
        println!(
            "{:36} {:6.1} GFLOP/s CPU ({:.1} wall)",
            sh.name,
            total / t,
            total / w
        );
    }
}
