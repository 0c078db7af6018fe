//! Seconds of each zero-cost proxy against the floor (one forward + backward of the same
//! network at batch 64), one thread, on one typical architecture per space; or the scores of
//! a few real architectures per space, to check that a speed-up leaves every value unchanged.
//!
//! `cargo run --release -p naspred-zerocost --example zc_floor -- timing [SPACES] [REPS]`
//! (SPACES comma-separated of nb201,nb101,darts, default all; REPS default 3: the median of
//! REPS runs after one warm-up run).
//! `cargo run --release -p naspred-zerocost --example zc_floor -- scores [N] [BATCH]`
//! (N architectures per space, default 3, batch default 16: every proxy's value with `{:?}`).
//! `cargo run --release -p naspred-zerocost --example zc_floor -- passes [SPACES] [REPS]`
//! (CPU seconds of the passes `compute` runs, rebuilt here one by one: the network's build, the
//! forward, the cross-entropy backward plain and with its graph kept for GraSP, GraSP's
//! Hessian-gradient backward, the Jacobian's input backward).

#[path = "../benches/common/mod.rs"]
mod common;

use std::time::Instant;

use naspred_data::root::open_data_file;
use naspred_data::DataRoot;
use naspred_nets::{NetConfig, Network, Trace};
use naspred_spaces::darts::DartsArch;
use naspred_spaces::nb201::Nb201Arch;
use naspred_spaces::{AnyArch, SpaceKind};
use naspred_zerocost::compute::{arch_seed, Minibatch};
use naspred_zerocost::{compute, Proxy, ZcSettings};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tch::{Kind, Tensor};

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Seconds this thread has run on a CPU (`/proc/thread-self/schedstat`, nanoseconds): with
/// libtorch on one thread, the computation's CPU time, which other processes on a loaded
/// machine inflate far less than the wall time.
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// Median (CPU seconds, wall seconds) of `reps` timed runs of `f` after one warm-up run.
fn time(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let (cpu, wall): (Vec<f64>, Vec<f64>) = (0..reps)
        .map(|_| {
            let (c, t) = (thread_cpu_s(), Instant::now());
            f();
            (thread_cpu_s() - c, t.elapsed().as_secs_f64())
        })
        .unzip();
    (median(cpu), median(wall))
}

fn timing(spaces: &[String], reps: usize) {
    let images = common::images();
    let settings = common::settings();
    for case in common::cases() {
        if !spaces.iter().any(|s| s == case.name) {
            continue;
        }
        let load0 = load_average();
        let floor = common::Floor::new(&case.arch, &images);
        let (floor_s, floor_w) = time(reps, || {
            floor.run();
        });
        let mut shares = vec![0.0; Proxy::ALL.len()];
        let (all_s, all_w) = time(reps, || {
            let s = compute(&case.arch, &Proxy::ALL, &settings, Some(&images)).expect("scores");
            for (acc, sc) in shares.iter_mut().zip(&s) {
                *acc += sc.seconds / (reps + 1) as f64;
            }
        });
        println!(
            "{}: CPU s (wall s): floor {floor_s:.3} ({floor_w:.3}), all 13 {all_s:.3} ({all_w:.3}) \
             = {:.2} floors CPU ({:.2} wall) (load {load0})",
            case.name,
            all_s / floor_s,
            all_w / floor_w
        );
        let no_grasp: Vec<Proxy> = Proxy::ALL
            .into_iter()
            .filter(|p| *p != Proxy::Grasp)
            .collect();
        let (rest, rest_w) = time(reps, || {
            compute(&case.arch, &no_grasp, &settings, Some(&images)).expect("scores");
        });
        println!(
            "  the 12 but grasp: {rest:.3} ({rest_w:.3}) = {:.2} floors CPU ({:.2} wall)",
            rest / floor_s,
            rest_w / floor_w
        );
        println!(
            "  proxy      alone_cpu_s alone/floor (wall) share_in_all_13_wall_s share/floor_wall"
        );
        for (p, share) in Proxy::ALL.iter().zip(&shares) {
            let (alone, alone_w) = time(reps, || {
                compute(&case.arch, &[*p], &settings, Some(&images)).expect("score");
            });
            println!(
                "  {:<10} {alone:>11.3} {:>11.2} ({:>5.2}) {share:>22.3} {:>16.2}",
                p.key(),
                alone / floor_s,
                alone_w / floor_w,
                share / floor_w
            );
        }
        println!("  (load at end {})", load_average());
    }
}

/// CPU seconds of the passes of `compute` on each chosen case.
fn passes(spaces: &[String], reps: usize) {
    let images = common::images();
    let s = common::settings();
    for case in common::cases() {
        if !spaces.iter().any(|n| n == case.name) {
            continue;
        }
        let load0 = load_average();
        let cfg = NetConfig {
            classes: s.classes(),
            seed: arch_seed(&case.arch, s.seed),
            device: s.device,
        };
        let (build, _) = time(reps, || {
            Network::build(&case.arch, cfg).expect("network");
        });
        let net = Network::build(&case.arch, cfg).expect("network");
        let w = net.store.prunable_weights();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mb = Minibatch::draw(&images, common::BATCH, &mut rng, s.device).expect("batch");
        let x = mb.x.detach().set_requires_grad(true);
        let fwd = || net.forward(&x, true, Trace::default()).0;
        let ce = |y: &Tensor| y.cross_entropy_for_logits(&mb.y);
        let (f, _) = time(reps, || {
            let _g = tch::no_grad_guard();
            let _ = fwd();
        });
        let (fb, _) = time(reps, || {
            Tensor::run_backward(&[&ce(&fwd())], &w, false, false);
        });
        let (fbg, _) = time(reps, || {
            Tensor::run_backward(&[&ce(&fwd())], &w, true, true);
        });
        let (hvp, _) = time(reps, || {
            let g = Tensor::run_backward(&[&ce(&fwd())], &w, true, true);
            let z = g
                .iter()
                .fold(Tensor::zeros([], (Kind::Float, s.device)), |a, g| {
                    a + (g.detach() * g).sum(Kind::Float)
                });
            Tensor::run_backward(&[&z], &w, false, false);
        });
        let (jac, _) = time(reps, || {
            Tensor::run_backward(&[&fwd().sum(Kind::Float)], &[&x], false, false);
        });
        println!(
            "{}: CPU s: build {build:.3}, forward {f:.3} (no grad), forward+backward {fb:.3}, \
             with graph kept {fbg:.3}, + GraSP's Hessian backward {hvp:.3}, forward+input \
             backward {jac:.3} (load {load0})",
            case.name
        );
    }
}

/// `n` architectures of each space from the repository's data.
fn sample_archs(n: usize) -> Result<Vec<AnyArch>, Box<dyn std::error::Error>> {
    let root = DataRoot::resolve(None);
    let read = |rel: &str| -> Result<Vec<csv::StringRecord>, Box<dyn std::error::Error>> {
        let mut r = csv::Reader::from_reader(open_data_file(&root.file(rel)?)?);
        let h = r.headers()?.clone();
        let mut rows: Vec<csv::StringRecord> = vec![h];
        for rec in r.records().step_by(97).take(n) {
            rows.push(rec?);
        }
        Ok(rows)
    };
    let col = |h: &csv::StringRecord, c: &str| h.iter().position(|x| x == c).expect("column");
    let mut out = Vec::new();
    let r = read("naslib_zc/suite_zero_sample_nb201_cifar10.csv")?;
    for rec in &r[1..] {
        let t = &rec[col(&r[0], "naslib_op_indices")];
        out.push(AnyArch::Nb201(Nb201Arch::parse_naslib_tuple(t)?));
    }
    let r = read("nb101/nb101_multifidelity_20k.csv")?;
    for rec in &r[1..] {
        let (m, o) = (&rec[col(&r[0], "matrix")], &rec[col(&r[0], "ops")]);
        out.push(AnyArch::parse(SpaceKind::Nb101, &format!("{m};{o}"))?);
    }
    let r = read("naslib_zc/sample_nb301_cifar10_accuracy.csv")?;
    for rec in &r[1..] {
        let (nn, rr) = (&rec[col(&r[0], "normal")], &rec[col(&r[0], "reduce")]);
        out.push(AnyArch::Darts(DartsArch::from_op_lists(nn, rr)?));
    }
    Ok(out)
}

fn scores(n: usize, batch: usize) -> Result<(), Box<dyn std::error::Error>> {
    let images = naspred_zerocost::load_image_pool(
        &DataRoot::resolve(None),
        naspred_data::Dataset::Cifar10,
        None,
        batch,
    )?;
    let settings = ZcSettings {
        batch_size: batch,
        ..common::settings()
    };
    for arch in sample_archs(n)? {
        println!("{arch}");
        for s in compute(&arch, &Proxy::ALL, &settings, Some(&images))? {
            println!("  {:<10} {:?}", s.proxy.key(), s.value);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tch::set_num_threads(1);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("passes") => {
            let spaces = args.get(1).map_or("nb201,nb101,darts", |s| s.as_str());
            let spaces: Vec<String> = spaces.split(',').map(str::to_string).collect();
            passes(
                &spaces,
                args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3),
            );
            Ok(())
        }
        Some("scores") => scores(
            args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3),
            args.get(2).and_then(|s| s.parse().ok()).unwrap_or(16),
        ),
        _ => {
            let spaces: Vec<String> = args
                .get(1)
                .map_or("nb201,nb101,darts", |s| s.as_str())
                .split(',')
                .map(str::to_string)
                .collect();
            timing(
                &spaces,
                args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3),
            );
            Ok(())
        }
    }
}
