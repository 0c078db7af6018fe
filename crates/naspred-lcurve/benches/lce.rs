//! LCE and LCE-m query time per architecture at fidelity 20 on NAS-Bench-NLP validation
//! accuracy curves (final epoch 50, NASLib's settings: 1000 Metropolis-Hastings steps, `lce`
//! fixed and `lce_faithful`; 50
//! walkers x 800 steps). One architecture per iteration, single-threaded (the predictors run
//! architectures in parallel). The data root is `NASPRED_DATA`, else the repository's `data/`.

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::shared::load_nlp;
use naspred_data::{CurveMetric, DataRoot};
use naspred_lcurve::{lce_extrapolate, lcem_extrapolate, LcemConfig};
use naspred_spaces::Quirks;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

const FIDELITY: usize = 20;

fn curves() -> Vec<Vec<f64>> {
    load_nlp(&DataRoot::resolve(None))
        .expect("NAS-Bench-NLP data (data/nlp, or NASPRED_DATA)")
        .records()
        .iter()
        .take(8)
        .filter_map(|r| r.partial_curve(CurveMetric::ValAcc, FIDELITY as u32))
        .map(|c| c.iter().map(|v| v / 100.0).collect())
        .collect()
}

fn bench(c: &mut Criterion) {
    let curves = curves();
    let mut g = c.benchmark_group("lc_extrapolation_nlp_f20");
    g.sample_size(10);
    let mut i = 0;
    for (name, quirks) in [
        ("lce_per_arch", Quirks::Fixed),
        ("lce_faithful_per_arch", Quirks::Faithful),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % curves.len();
                let mut rng = ChaCha8Rng::seed_from_u64(i as u64);
                lce_extrapolate(black_box(&curves[i]), 50, 1000, quirks, &mut rng)
            })
        });
    }
    g.bench_function("lce_m_per_arch", |b| {
        b.iter(|| {
            i = (i + 1) % curves.len();
            lcem_extrapolate(black_box(&curves[i]), 50, LcemConfig::default())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
