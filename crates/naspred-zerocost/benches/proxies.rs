//! All 13 proxies on one typical architecture of each space (NB201, NB101, DARTS) on CPU at
//! batch 64, one thread, against the floor: one forward + backward (cross-entropy) of the
//! same network on a minibatch of the same size. Each proxy alone too.
//!
//! `cargo bench -p naspred-zerocost --bench proxies -- nb201/` (a space), `-- /floor` (the
//! floors), `-- all_13`.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_zerocost::{compute, Proxy};

fn bench(c: &mut Criterion) {
    tch::set_num_threads(1);
    let images = common::images();
    let settings = common::settings();
    for case in common::cases() {
        let mut g = c.benchmark_group(case.name);
        g.sample_size(10);
        let floor = common::Floor::new(&case.arch, &images);
        g.bench_function("floor", |b| b.iter(|| floor.run()));
        g.bench_function("all_13", |b| {
            b.iter(|| compute(&case.arch, &Proxy::ALL, &settings, Some(&images)).expect("scores"))
        });
        for p in Proxy::ALL {
            g.bench_function(p.key(), |b| {
                b.iter(|| compute(&case.arch, &[p], &settings, Some(&images)).expect("scores"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
