//! NB101: official hashing and every encoding of all 20001 cells of the data file.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_spaces::nb101::Nb101Arch;
use naspred_spaces::{Architecture, EncodingKind, Quirks};

#[path = "../tests/common/mod.rs"]
mod common;
use common::open_data;

fn load() -> Vec<Nb101Arch> {
    let mut rdr = csv::Reader::from_reader(open_data("nb101/nb101_multifidelity_20k.csv"));
    let headers = rdr.headers().expect("csv header").clone();
    let m = headers
        .iter()
        .position(|h| h == "matrix")
        .expect("matrix column");
    let o = headers.iter().position(|h| h == "ops").expect("ops column");
    rdr.records()
        .map(|r| {
            let r = r.expect("csv row");
            Nb101Arch::from_matrix_ops(&r[m], &r[o]).expect("valid row")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let archs = load();
    let texts: Vec<String> = archs.iter().map(|a| a.to_string()).collect();
    let mut g = c.benchmark_group("nb101_20k");
    g.sample_size(10);
    g.bench_function("arch_hash", |b| {
        b.iter(|| {
            let mut acc = 0u128;
            for a in &archs {
                acc ^= black_box(a).arch_hash().0;
            }
            acc
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| t.parse::<Nb101Arch>().map(|a| a.n()).unwrap_or(0))
                .sum::<usize>()
        })
    });
    g.bench_function("validate", |b| {
        b.iter(|| archs.iter().filter(|a| a.validate().is_ok()).count())
    });
    for kind in EncodingKind::ALL {
        g.bench_function(format!("encode_{kind}"), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for a in &archs {
                    let e = a.encode(kind, Quirks::Faithful).expect("encodable");
                    black_box(e);
                    n += 1;
                }
                n
            })
        });
    }
    g.bench_function("encode_all_kinds", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for a in &archs {
                for kind in EncodingKind::ALL {
                    black_box(a.encode(kind, Quirks::Faithful).expect("encodable"));
                    n += 1;
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
