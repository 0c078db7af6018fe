//! The registry's entries: unique keys, every key builds for every (space, dataset) the study
//! uses and reports its key and its entry's requirements, unknown keys are typed errors, and
//! the zero-cost settings reach the predictors (bad settings are errors, not defaults).

use std::collections::HashSet;
use std::path::PathBuf;

use naspred_data::{embedded, DataRoot, Dataset};
use naspred_eval::protocol::inputs;
use naspred_eval::{
    error_chain, ArchInput, Context, Family, Predictor, PredictorError, PredictorFactory,
    PredictorRng,
};
use naspred_predictors::{Registry, RegistrySettings};
use naspred_spaces::SpaceKind;
use naspred_zerocost::{Proxy, ZeroCostPredictor, ZeroCostSettings};
use rand::SeedableRng;

/// The (space, dataset) pairs of the study (as `naspred reproduce` pairs them).
const PAIRS: [(SpaceKind, Dataset); 6] = [
    (SpaceKind::Nb201, Dataset::Cifar10),
    (SpaceKind::Nb201, Dataset::Cifar100),
    (SpaceKind::Nb201, Dataset::ImageNet16_120),
    (SpaceKind::Nb101, Dataset::Cifar10),
    (SpaceKind::Darts, Dataset::Cifar10),
    (SpaceKind::Nlp, Dataset::Wikitext2),
];

#[test]
fn keys_are_unique_and_the_list_is_complete() {
    let all = Registry::all();
    let keys: HashSet<&str> = all.iter().map(|p| p.key).collect();
    assert_eq!(keys.len(), all.len(), "duplicate keys");
    assert_eq!(all.len(), 61);
    // The listing order: model-based first, weight sharing last.
    assert_eq!(all[0].key, "xgb");
    assert_eq!(all[all.len() - 1].key, "rsws");
    for p in all {
        assert!(!p.description.is_empty(), "{}", p.key);
        assert_eq!(Registry::info(p.key).map(|i| i.key).ok(), Some(p.key));
    }
    let fam = |k: &str| Registry::info(k).map(|i| i.family()).ok();
    assert_eq!(fam("xgb"), Some(Family::ModelBased));
    assert_eq!(fam("valacc"), Some(Family::LearningCurve));
    assert_eq!(fam("lcsvr"), Some(Family::Hybrid));
    assert_eq!(fam("omni_ngb"), Some(Family::Hybrid));
    assert_eq!(fam("random"), Some(Family::Baseline));
    assert_eq!(fam("jacov"), Some(Family::ZeroCost));
    assert_eq!(fam("oneshot"), Some(Family::WeightSharing));
}

#[test]
fn every_key_builds_for_every_study_pair_with_its_key_and_requirements() {
    let registry = Registry::default();
    for info in Registry::all() {
        let want = (info.requirements)();
        assert_eq!(
            registry.requirements(info.key).expect("requirements"),
            want,
            "{}",
            info.key
        );
        for (space, dataset) in PAIRS {
            let p = registry
                .build(info.key, space, dataset)
                .unwrap_or_else(|e| panic!("{} on {space} {dataset}: {e}", info.key));
            assert_eq!(p.key(), info.key, "{space} {dataset}");
            assert_eq!(p.requirements(), want, "{} on {space} {dataset}", info.key);
        }
    }
}

#[test]
fn an_unknown_key_is_a_typed_error_listing_the_known_keys() {
    let registry = Registry::default();
    let err = match registry.build("no_such_predictor", SpaceKind::Nb201, Dataset::Cifar10) {
        Ok(_) => panic!("an unknown key built"),
        Err(e) => e,
    };
    match &err {
        PredictorError::UnknownKey { key, known } => {
            assert_eq!(key, "no_such_predictor");
            for p in Registry::all() {
                assert!(
                    known.split(", ").any(|k| k == p.key),
                    "{} not listed",
                    p.key
                );
            }
        }
        e => panic!("not UnknownKey: {e:?}"),
    }
    assert!(err.to_string().contains("omni_ngb"));
    assert!(matches!(
        registry.requirements("nope"),
        Err(PredictorError::UnknownKey { .. })
    ));
    assert!(Registry::info("nope").is_err());
}

/// Two NB201 CIFAR-10 architectures of the bundled table.
fn two_archs() -> Vec<ArchInput> {
    let bench = embedded::load_bundled(Dataset::Cifar10).expect("bundled NB201");
    inputs(
        &bench,
        &[0, 1],
        &naspred_eval::Requirements::zero_cost(),
        None,
    )
    .expect("inputs")
}

fn query(p: &mut dyn Predictor, archs: &[ArchInput]) -> Result<Vec<f64>, PredictorError> {
    let mut rng = PredictorRng::seed_from_u64(0);
    let mut ctx = Context {
        space: SpaceKind::Nb201,
        dataset: Dataset::Cifar10,
        fidelity: None,
        total_epochs: 200,
        unlabeled: &[],
        rng: &mut rng,
    };
    p.fit(&[], &[], &mut ctx)?;
    p.query(archs, &mut ctx)
}

fn temp_cache(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("naspred-predictors-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("zc.jsonl")
}

#[test]
fn bad_zero_cost_settings_are_errors_not_defaults() {
    let archs = two_archs();
    let bad = [
        (
            ZeroCostSettings {
                batch_size: 0,
                ..ZeroCostSettings::default()
            },
            "batch",
        ),
        (
            ZeroCostSettings {
                device: "tpu".into(),
                ..ZeroCostSettings::default()
            },
            "tpu",
        ),
    ];
    for (settings, word) in bad {
        // Directly ...
        let mut p =
            ZeroCostPredictor::new("zc_params", Proxy::Params).with_settings(ZeroCostSettings {
                cache: Some(temp_cache(word)),
                ..settings.clone()
            });
        let e = query(&mut p, &archs).expect_err("bad setting accepted");
        assert!(
            matches!(e, PredictorError::Query { .. }) && error_chain(&e).contains(word),
            "{}",
            error_chain(&e)
        );
        // ... and through the registry, for the zero-cost predictors and OMNI's jacov alike.
        let registry = Registry::new(RegistrySettings {
            zero_cost: ZeroCostSettings {
                cache: Some(temp_cache(word)),
                ..settings
            },
            data_root: DataRoot::workspace(),
        });
        let mut p = registry
            .build("zc_params", SpaceKind::Nb201, Dataset::Cifar10)
            .expect("build");
        let e = query(p.as_mut(), &archs).expect_err("bad setting accepted");
        assert!(error_chain(&e).contains(word), "{}", error_chain(&e));
    }
}

#[test]
fn the_registry_hands_its_zero_cost_settings_to_the_predictors() {
    let archs = two_archs();
    let cache = temp_cache("good");
    let registry = Registry::new(RegistrySettings {
        zero_cost: ZeroCostSettings {
            device: "cpu".into(),
            cache: Some(cache.clone()),
            // The data root's precomputed NB201 table holds zc_params; without this the scores
            // would be read from it and never reach the cache.
            tables: false,
            ..ZeroCostSettings::default()
        },
        data_root: DataRoot::workspace(),
    });
    assert_eq!(registry.settings().zero_cost.device, "cpu");
    assert!(!registry.settings().zero_cost.tables);
    let mut p = registry
        .build("zc_params", SpaceKind::Nb201, Dataset::Cifar10)
        .expect("build");
    let scores = query(p.as_mut(), &archs).expect("zc_params on the CPU");
    assert_eq!(scores.len(), 2);
    assert!(
        scores.iter().all(|s| s.is_finite() && *s > 0.0),
        "{scores:?}"
    );
    // The scores went to the cache file of the settings, not to the default one.
    let text = std::fs::read_to_string(&cache).expect("the settings' cache file");
    assert_eq!(text.lines().count(), 2, "{text}");
    let _ = std::fs::remove_dir_all(cache.parent().expect("cache folder"));

    // With tables allowed (the default), the same scores come from the data root's table and
    // nothing is computed, so nothing reaches the cache.
    let cache = temp_cache("table");
    let registry = Registry::new(RegistrySettings {
        zero_cost: ZeroCostSettings {
            device: "cpu".into(),
            cache: Some(cache.clone()),
            ..ZeroCostSettings::default()
        },
        data_root: DataRoot::workspace(),
    });
    let mut p = registry
        .build("zc_params", SpaceKind::Nb201, Dataset::Cifar10)
        .expect("build");
    let from_table = query(p.as_mut(), &archs).expect("zc_params from the table");
    assert_eq!(from_table, scores);
    assert!(!cache.exists(), "a table read wrote the cache");
    let _ = std::fs::remove_dir_all(cache.parent().expect("cache folder"));
}

#[test]
fn an_evaluation_s_zero_cost_predictors_are_each_other_s_companions() {
    let keys = [
        "snip",
        "xgb",
        "params",
        "zc_params",
        "grasp",
        "snip",
        "jacov_faithful",
        "rsws",
    ];
    let reg = Registry::default().for_predictors(&keys);
    assert_eq!(
        reg.settings().zero_cost.companions,
        vec![
            Proxy::Snip,
            Proxy::Params,
            Proxy::Grasp,
            Proxy::JacovFaithful
        ]
    );
    // Everything else is unchanged.
    let mut back = reg.settings().clone();
    back.zero_cost.companions.clear();
    assert_eq!(&back, Registry::default().settings());
    // One zero-cost predictor (or none) has no companions.
    for keys in [&["snip", "xgb"][..], &["params", "gcn"][..]] {
        let reg = Registry::default().for_predictors(keys);
        assert!(reg.settings().zero_cost.companions.is_empty(), "{keys:?}");
    }
    assert_eq!(Registry::zero_cost_proxy("params"), None);
    assert_eq!(Registry::zero_cost_proxy("zc_params"), Some(Proxy::Params));
    assert_eq!(Registry::zero_cost_proxy("oneshot"), None);
}
