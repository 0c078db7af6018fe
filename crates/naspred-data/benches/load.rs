//! Load times: the embedded NB201 table (one dataset per call, compiled in and from
//! `data/nb201.bin.gz`) and the data root's loaders (NB201 CIFAR-10 with its 12-epoch points,
//! the gzip-compressed NB101 20k sample).
//!
//! `cargo bench -p naspred-data --bench load`. The data root is `NASPRED_DATA`, else the
//! repository's `data/`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::{embedded, shared, DataRoot, Dataset};

fn bench_embedded(c: &mut Criterion) {
    let path = DataRoot::workspace().file(embedded::FILE_NAME).unwrap();
    let mut g = c.benchmark_group("embedded");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for ds in embedded::DATASETS {
        g.bench_function(format!("load {ds}"), |b| {
            b.iter(|| black_box(embedded::load(black_box(&path), ds).unwrap().len()))
        });
        g.bench_function(format!("load_bundled {ds}"), |b| {
            b.iter(|| black_box(embedded::load_bundled(ds).unwrap().len()))
        });
    }
    g.finish();
}

fn bench_shared(c: &mut Criterion) {
    let root = DataRoot::resolve(None);
    let mut g = c.benchmark_group("shared");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("load_nb201 cifar10", |b| {
        b.iter(|| black_box(shared::load_nb201(&root, Dataset::Cifar10).unwrap().len()))
    });
    g.bench_function("load_nb101", |b| {
        b.iter(|| black_box(shared::load_nb101(&root).unwrap().len()))
    });
    g.finish();
}

criterion_group!(benches, bench_embedded, bench_shared);
criterion_main!(benches);
