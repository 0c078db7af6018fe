//! Time accounting on the real benchmark tables of `data/`: what a training architecture and a
//! partial training cost under NASLib's accounting and under full-training accounting.

use naspred_data::{embedded, shared, DataError, DataRoot, Dataset, TimeAccounting};
use naspred_spaces::{AnyArch, SpaceKind};

const ARCH0: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

#[test]
fn nb201_architecture_0_costs_one_epoch_under_naslib_and_200_under_full_training() {
    let b = embedded::load_bundled(Dataset::Cifar10).unwrap();
    let r = b
        .lookup(&AnyArch::parse(SpaceKind::Nb201, ARCH0).unwrap())
        .unwrap();
    // NASLib's cost_info["train_time"] for this architecture (its own test fixture).
    assert_eq!(
        TimeAccounting::Naslib.train_cost_s(&b, r),
        Some(7.221092998981476)
    );
    assert_eq!(
        TimeAccounting::FullTraining.train_cost_s(&b, r),
        Some(1444.2185997962952)
    );
    for a in TimeAccounting::ALL {
        assert_eq!(
            a.partial_cost_s(&b, r, 12),
            Some(7.221092998981476 * 12.0),
            "{a}: a partial training is fidelity x the per-epoch time"
        );
    }
}

#[test]
fn nb201_naslib_costs_are_the_full_costs_over_200_on_every_dataset() {
    for ds in [Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120] {
        let b = embedded::load_bundled(ds).unwrap();
        let (mut naslib, mut full) = (0.0, 0.0);
        for r in b.records() {
            let n = TimeAccounting::Naslib.train_cost_s(&b, r).unwrap();
            let f = TimeAccounting::FullTraining.train_cost_s(&b, r).unwrap();
            assert!((f / n - 200.0).abs() < 1e-9, "{ds} {}: {f} / {n}", r.arch);
            naslib += n;
            full += f;
        }
        let len = b.len() as f64;
        eprintln!(
            "{ds}: mean per training architecture {:.3} s (naslib), {:.1} s (full training)",
            naslib / len,
            full / len
        );
    }
}

#[test]
fn other_spaces_cost_the_full_run_under_both_accountings() {
    let root = DataRoot::resolve(None);
    for (space, ds) in [
        (SpaceKind::Nlp, Dataset::Wikitext2),
        (SpaceKind::Nb101, Dataset::Cifar10),
    ] {
        let b = shared::load(&root, space, ds).unwrap();
        let mut seen = 0;
        for r in b.records() {
            let Some(t) = r.train_time_s else { continue };
            for a in TimeAccounting::ALL {
                assert_eq!(a.train_cost_s(&b, r), Some(t), "{space} {a} {}", r.arch);
            }
            seen += 1;
        }
        assert!(seen > 250, "{space}: {seen} records with a training time");
    }
    // NLP: the full run is the sum of the per-epoch wall times NASLib sums.
    let nlp = shared::load(&root, SpaceKind::Nlp, Dataset::Wikitext2).unwrap();
    let r = &nlp.records()[0];
    let wall: f64 = r.curves.as_ref().unwrap().epoch_times_s.iter().sum();
    assert_eq!(TimeAccounting::Naslib.train_cost_s(&nlp, r), Some(wall));
}

#[test]
fn names_parse_print_and_serialise() {
    for a in TimeAccounting::ALL {
        assert_eq!(a.name().parse::<TimeAccounting>().unwrap(), a);
        assert_eq!(a.to_string(), a.name());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{}\"", a.name()));
        assert_eq!(serde_json::from_str::<TimeAccounting>(&json).unwrap(), a);
    }
    assert_eq!(
        "full-training".parse::<TimeAccounting>().unwrap(),
        TimeAccounting::FullTraining
    );
    assert_eq!(TimeAccounting::default(), TimeAccounting::Naslib);
    assert_eq!(TimeAccounting::legacy(), TimeAccounting::FullTraining);
    match "per-epoch".parse::<TimeAccounting>() {
        Err(DataError::UnknownTimeAccounting(s)) => assert_eq!(s, "per-epoch"),
        other => panic!("expected UnknownTimeAccounting, got {other:?}"),
    }
}
