//! Tests of the neural predictors (`mlp`, `bananas`, `gcn`, `bonas`, `seminas`, `nao`, `dngo`,
//! `bohamiann`): ranking quality on NAS-Bench-201 CIFAR-10 at n = 100 with NASLib's default
//! epochs (the repository's `data/`, or `NASPRED_DATA`), determinism, and
//! degenerate inputs.

use std::time::Instant;

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::metrics::kendall_tau_b;
use naspred_eval::predictor::{ArchInput, Context, Predictor, PredictorError, PredictorRng};
use naspred_models::neural::bonas::BonasParams;
use naspred_models::neural::gcn::GcnParams;
use naspred_models::neural::mlp::MlpParams;
use naspred_models::{
    BananasPredictor, BohamiannPredictor, BonasPredictor, DngoPredictor, GcnPredictor,
    MlpPredictor, SeminasPredictor,
};
use naspred_spaces::{AnyArch, Quirks, SpaceKind};
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn ctx<'a>(rng: &'a mut PredictorRng, unlabeled: &'a [ArchInput]) -> Context<'a> {
    Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled,
        rng,
    }
}

struct Split {
    train: Vec<ArchInput>,
    y_train: Vec<f64>,
    test: Vec<ArchInput>,
    y_test: Vec<f64>,
    unlabeled: Vec<ArchInput>,
}

/// 100 training, 200 test and 100 unlabeled NB201 CIFAR-10 architectures (disjoint; data root:
/// `NASPRED_DATA`, else the repository's `data/`).
fn split(seed: u64) -> Split {
    let root = DataRoot::resolve(None);
    let bench = load_nb201(&root, Dataset::Cifar10).unwrap();
    let mut table: Vec<(AnyArch, f64)> = bench
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect();
    table.shuffle(&mut PredictorRng::seed_from_u64(seed));
    let inputs = |r: &[(AnyArch, f64)]| -> Vec<ArchInput> {
        r.iter().map(|(a, _)| ArchInput::bare(a.clone())).collect()
    };
    let ys = |r: &[(AnyArch, f64)]| -> Vec<f64> { r.iter().map(|(_, y)| *y).collect() };
    Split {
        test: inputs(&table[..200]),
        y_test: ys(&table[..200]),
        train: inputs(&table[200..300]),
        y_train: ys(&table[200..300]),
        unlabeled: inputs(&table[300..400]),
    }
}

/// Fits `p` on 100 architectures and returns the Kendall tau on the 200 test architectures.
fn tau_at_100(p: &mut dyn Predictor) -> f64 {
    let s = split(7);
    let mut rng = PredictorRng::seed_from_u64(3);
    let t = Instant::now();
    p.fit(&s.train, &s.y_train, &mut ctx(&mut rng, &s.unlabeled))
        .unwrap();
    let fit_s = t.elapsed().as_secs_f64();
    let pred = p.query(&s.test, &mut ctx(&mut rng, &[])).unwrap();
    assert_eq!(pred.len(), 200);
    assert!(pred.iter().all(|v| v.is_finite()));
    let tau = kendall_tau_b(&s.y_test, &pred);
    eprintln!(
        "{}: n = 100, Kendall tau {tau:.4}, fit {fit_s:.2} s",
        p.key()
    );
    tau
}

// Chance level: Kendall tau of random scores over 200 architectures has a standard deviation
// of about 0.05, so 0.2 is four standard deviations above chance. NASLib (n = 100, one trial):
// mlp 0.376, bananas 0.279, gcn 0.581, bonas 0.517, seminas 0.628, nao 0.605, dngo 0.530,
// bohamiann 0.470.
const BEATS_RANDOM: f64 = 0.2;

#[test]
fn mlp_beats_random_on_nb201() {
    let tau = tau_at_100(&mut MlpPredictor::default());
    assert!(tau > BEATS_RANDOM, "mlp tau {tau}");
}

#[test]
fn bananas_beats_random_on_nb201() {
    let tau = tau_at_100(&mut BananasPredictor::default());
    assert!(tau > BEATS_RANDOM, "bananas tau {tau}");
}

#[test]
fn gcn_beats_random_on_nb201() {
    let tau = tau_at_100(&mut GcnPredictor::default());
    assert!(tau > BEATS_RANDOM, "gcn tau {tau}");
}

#[test]
fn bonas_beats_random_on_nb201() {
    let tau = tau_at_100(&mut BonasPredictor::default());
    assert!(tau > BEATS_RANDOM, "bonas tau {tau}");
}

#[test]
fn seminas_beats_random_on_nb201() {
    let tau = tau_at_100(&mut SeminasPredictor::seminas());
    assert!(tau > BEATS_RANDOM, "seminas tau {tau}");
}

#[test]
fn nao_beats_random_on_nb201() {
    let tau = tau_at_100(&mut SeminasPredictor::nao());
    assert!(tau > BEATS_RANDOM, "nao tau {tau}");
}

#[test]
fn dngo_beats_random_on_nb201() {
    let tau = tau_at_100(&mut DngoPredictor::default());
    assert!(tau > BEATS_RANDOM, "dngo tau {tau}");
}

#[test]
fn bohamiann_beats_random_on_nb201() {
    let tau = tau_at_100(&mut BohamiannPredictor::default());
    assert!(tau > BEATS_RANDOM, "bohamiann tau {tau}");
}

fn nb201(s: &str) -> ArchInput {
    ArchInput::bare(AnyArch::parse(SpaceKind::Nb201, s).unwrap())
}

fn tiny() -> Vec<ArchInput> {
    [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|",
        "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|nor_conv_1x1~0|+|nor_conv_3x3~0|skip_connect~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|",
    ]
    .iter()
    .map(|s| nb201(s))
    .collect()
}

/// Every predictor with few epochs, for the interface tests.
fn quick_predictors(quirks: Quirks) -> Vec<Box<dyn Predictor>> {
    let mlp5 = MlpParams {
        epochs: 5,
        ..MlpParams::default()
    };
    let mlp = MlpPredictor::new(quirks).with_params(mlp5.clone()).unwrap();
    let ban = BananasPredictor::new(quirks).with_params(mlp5).unwrap();
    let gcn = GcnPredictor::new(quirks)
        .with_params(GcnParams {
            epochs: 3,
            ..GcnParams::default()
        })
        .unwrap();
    let bonas = BonasPredictor::new(quirks)
        .with_params(BonasParams {
            epochs: 3,
            ..BonasParams::default()
        })
        .unwrap();
    let mut semi = SeminasPredictor::new(true, quirks);
    semi.params.pretrain_epochs = 2;
    semi.params.epochs = 2;
    let mut nao = SeminasPredictor::new(false, quirks);
    nao.params.pretrain_epochs = 2;
    let mut dngo = DngoPredictor::new(quirks);
    dngo.params.epochs = 5;
    dngo.params.burn_in = 20;
    dngo.params.chain_length = 20;
    let boh = BohamiannPredictor::new(quirks);
    vec![
        Box::new(mlp),
        Box::new(ban),
        Box::new(gcn),
        Box::new(bonas),
        Box::new(semi),
        Box::new(nao),
        Box::new(dngo),
        Box::new(boh),
    ]
}

#[test]
fn bad_inputs_are_typed_errors_and_degenerate_ones_stay_finite() {
    let train = tiny();
    let unl = tiny();
    for quirks in [Quirks::Fixed, Quirks::Faithful] {
        for mut p in quick_predictors(quirks) {
            let key = p.key().to_string();
            let mut rng = PredictorRng::seed_from_u64(1);
            assert!(
                matches!(
                    p.query(&train, &mut ctx(&mut rng, &[])),
                    Err(PredictorError::NotFitted { .. })
                ),
                "{key}"
            );
            for (x, y) in [
                (&train[..], &[90.0, 80.0][..]),
                (&[][..], &[][..]),
                (&train[..], &[90.0, f64::NAN, 80.0][..]),
            ] {
                assert!(
                    matches!(
                        p.fit(x, y, &mut ctx(&mut rng, &unl)),
                        Err(PredictorError::Fit { .. })
                    ),
                    "{key}"
                );
            }
            // Fewer samples than one batch, and constant targets: finite predictions.
            for y in [[91.0, 60.0, 85.0], [90.0, 90.0, 90.0]] {
                p.fit(&train, &y, &mut ctx(&mut rng, &unl))
                    .unwrap_or_else(|e| panic!("{key}: {e}"));
                let pred = p.query(&train, &mut ctx(&mut rng, &[])).unwrap();
                assert_eq!(pred.len(), 3, "{key}");
                assert!(pred.iter().all(|v| v.is_finite()), "{key}: {pred:?}");
                let d = p.query_dist(&train, &mut ctx(&mut rng, &[])).unwrap();
                if let Some(s) = d.std {
                    assert!(s.iter().all(|v| v.is_finite() && *v >= 0.0), "{key}");
                }
            }
            // One architecture.
            p.fit(&train[..1], &[90.0], &mut ctx(&mut rng, &unl))
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            assert!(p
                .query(&train, &mut ctx(&mut rng, &[]))
                .unwrap()
                .iter()
                .all(|v| v.is_finite()));
            assert!(p.query(&[], &mut ctx(&mut rng, &[])).unwrap().is_empty());
        }
    }
}

#[test]
fn fits_are_deterministic_per_seed() {
    let train = tiny();
    let y = [91.0, 60.0, 85.0];
    let run = |seed: u64| -> Vec<Vec<f64>> {
        quick_predictors(Quirks::Fixed)
            .into_iter()
            .map(|mut p| {
                let mut rng = PredictorRng::seed_from_u64(seed);
                p.fit(&train, &y, &mut ctx(&mut rng, &train)).unwrap();
                p.query(&train, &mut ctx(&mut rng, &[])).unwrap()
            })
            .collect()
    };
    let a = run(5);
    // Run in parallel threads too: no shared libtorch random state is involved.
    let b = std::thread::scope(|s| {
        let h = s.spawn(|| run(5));
        let _ = run(6);
        h.join().unwrap()
    });
    assert_eq!(a, b);
    let c = run(6);
    let differ = a.iter().zip(&c).filter(|(x, y)| x != y).count();
    assert!(differ >= 6, "only {differ} predictors depend on the seed");
}

#[test]
fn bananas_reports_member_spread_and_hpo_sampler_starts_at_defaults() {
    let train = tiny();
    let y = [91.0, 60.0, 85.0];
    let mut p = BananasPredictor::default()
        .with_params(MlpParams {
            epochs: 20,
            ..MlpParams::default()
        })
        .unwrap();
    let mut rng = PredictorRng::seed_from_u64(2);
    p.fit(&train, &y, &mut ctx(&mut rng, &[])).unwrap();
    let d = p.query_dist(&train, &mut ctx(&mut rng, &[])).unwrap();
    let s = d.std.unwrap();
    assert!(s.iter().all(|v| *v > 0.0), "{s:?}");

    let mut m = MlpPredictor::default();
    assert!(m.requirements().hpo);
    let defaults = m.hyperparams();
    let t = m.tuning().unwrap();
    t.reset();
    t.draw(&mut rng);
    assert_eq!(t.hyperparams(), defaults);
    t.draw(&mut rng);
    let h = m.hyperparams();
    assert!((5.0..25.0).contains(&h["num_layers"]));
    let mut g = GcnPredictor::default();
    let t = g.tuning().unwrap();
    t.reset();
    t.draw(&mut rng);
    t.draw(&mut rng);
    assert!((5.0..=32.0).contains(&g.hyperparams()["batch_size"]));
    assert_eq!(
        SeminasPredictor::seminas().requirements().unlabeled_factor,
        1
    );
    assert_eq!(SeminasPredictor::nao().requirements().unlabeled_factor, 0);
}
