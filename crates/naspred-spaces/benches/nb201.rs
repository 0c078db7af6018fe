//! NAS-Bench-201 benchmarks: every encoding of all 15,625 architectures, plus hashing and
//! parsing of the whole space.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{Architecture, EncodingKind, Quirks};

fn encodings(c: &mut Criterion) {
    let archs: Vec<Nb201Arch> = Nb201Arch::all().collect();
    let mut g = c.benchmark_group("nb201_all_15625");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    g.bench_function("all_encodings", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for a in &archs {
                for kind in EncodingKind::ALL {
                    let e = a.encode(kind, Quirks::Faithful).unwrap();
                    n += black_box(&e).shape_len();
                }
            }
            n
        })
    });
    for kind in EncodingKind::ALL {
        g.bench_function(format!("encode_{}", kind.name()), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for a in &archs {
                    let e = a.encode(kind, Quirks::Faithful).unwrap();
                    n += black_box(&e).shape_len();
                }
                n
            })
        });
    }
    g.bench_function("arrays_no_alloc", |b| {
        b.iter(|| {
            let mut s = 0.0f32;
            for a in &archs {
                s += black_box(a.adjacency_one_hot())[0];
                s += black_box(a.path_encoding(Quirks::Faithful))[0];
                s += black_box(a.gcn_features())[0];
                s += black_box(a.bonas_features())[0];
                s += black_box(a.seminas_tokens())[0] as f32;
            }
            s
        })
    });
    g.bench_function("arch_hash", |b| {
        b.iter(|| {
            archs
                .iter()
                .map(|a| black_box(a.arch_hash()).0)
                .sum::<u128>()
        })
    });
    let strings: Vec<String> = archs.iter().map(|a| a.to_string()).collect();
    g.bench_function("parse_arch_str", |b| {
        b.iter(|| {
            strings
                .iter()
                .map(|s| black_box(s.parse::<Nb201Arch>().unwrap()).index())
                .sum::<u32>()
        })
    });
    g.bench_function("display_arch_str", |b| {
        b.iter(|| {
            archs
                .iter()
                .map(|a| black_box(a.to_string()).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

/// A cheap use of an encoding so the optimiser cannot drop it.
trait ShapeLen {
    fn shape_len(&self) -> usize;
}

impl ShapeLen for naspred_spaces::Encoding {
    fn shape_len(&self) -> usize {
        match self {
            naspred_spaces::Encoding::Dense(v) => v.len(),
            naspred_spaces::Encoding::Graph(g) => g.adjacency.len() + g.node_features.len(),
            naspred_spaces::Encoding::Tokens(t) => t.len(),
        }
    }
}

criterion_group!(benches, encodings);
criterion_main!(benches);
