//! Load times: the embedded NB201 file (one dataset per call) and the shared reference CSVs
//! (NB201 CIFAR-10 with its 12-epoch table, the NB101 20k sample).
//!
//! `cargo bench -p naspred-data --bench load`. The shared-data benches are skipped when the
//! data root (`NASPRED_DATA`, default `../shared/data`) is absent.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::{embedded, shared, DataRoot, Dataset};

fn data_root() -> DataRoot {
    DataRoot::new(
        std::env::var_os("NASPRED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
            }),
    )
}

fn bench_embedded(c: &mut Criterion) {
    let path = embedded::default_path();
    if !path.exists() {
        eprintln!(
            "{} not found; skipping the embedded benches",
            path.display()
        );
        return;
    }
    let mut g = c.benchmark_group("embedded");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for ds in embedded::DATASETS {
        g.bench_function(format!("load {ds}"), |b| {
            b.iter(|| black_box(embedded::load(black_box(&path), ds).unwrap().len()))
        });
    }
    g.finish();
}

fn bench_shared(c: &mut Criterion) {
    let root = data_root();
    let mut g = c.benchmark_group("shared");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    if root.file("nb201/cifar10.csv").is_ok() {
        g.bench_function("load_nb201 cifar10", |b| {
            b.iter(|| black_box(shared::load_nb201(&root, Dataset::Cifar10).unwrap().len()))
        });
    } else {
        eprintln!(
            "no shared NB201 data under {}; skipping",
            root.path().display()
        );
    }
    if root.file(shared::NB101_FILE).is_ok() {
        g.bench_function("load_nb101", |b| {
            b.iter(|| black_box(shared::load_nb101(&root).unwrap().len()))
        });
    } else {
        eprintln!(
            "no shared NB101 data under {}; skipping",
            root.path().display()
        );
    }
    g.finish();
}

criterion_group!(benches, bench_embedded, bench_shared);
criterion_main!(benches);
