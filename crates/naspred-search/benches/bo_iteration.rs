//! One BO iteration as NASLib runs it: fit an ensemble of 3 XGBoost predictors on 100 queried
//! NB201 architectures and score 200 fresh random candidates with ITS.

use criterion::{criterion_group, criterion_main, Criterion};
use naspred_data::{shared, DataRoot, Dataset};
use naspred_eval::{Predictor, PredictorError, PredictorFactory, Requirements};
use naspred_models::XgbPredictor;
use naspred_search::{History, OptimizerKind, SearchConfig, Searcher};
use naspred_spaces::SpaceKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

struct Xgb;

impl PredictorFactory for Xgb {
    fn build(
        &self,
        _: &str,
        _: SpaceKind,
        _: Dataset,
    ) -> Result<Box<dyn Predictor>, PredictorError> {
        Ok(Box::new(XgbPredictor::default()))
    }
    fn requirements(&self, _: &str) -> Result<Requirements, PredictorError> {
        Ok(Requirements::model_based())
    }
}

fn bench_bo(c: &mut Criterion) {
    let root = DataRoot::resolve(None);
    let bench = shared::load_nb201(&root, Dataset::Cifar10).expect("NB201 cifar10 data");
    let cfg = SearchConfig::naslib(OptimizerKind::Bo, Some("xgb".into()));
    let s = Searcher::new(&bench, &Xgb, &cfg).expect("searcher");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut hist = History::new(bench.len());
    while hist.len() < 100 {
        let p = s.random_position(&mut rng).expect("sample");
        if !hist.contains(p) {
            hist.push(p, bench.records()[p].mean_val_acc());
        }
    }
    let mut g = c.benchmark_group("bo");
    g.sample_size(10);
    g.bench_function("iteration_3xgb_100pts_200cands", |b| {
        b.iter(|| s.propose(&hist, 0, 0, &mut rng).expect("propose"))
    });
    g.finish();
}

criterion_group!(benches, bench_bo);
criterion_main!(benches);
