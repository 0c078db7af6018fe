//! The NB201 workload shared by the model benches: 1000 training and 200 test architectures.
//!
//! Targets are NB201 CIFAR-10 validation accuracies when the shared data is present, otherwise a
//! synthetic function of the encoding (the timing hardly depends on the targets).

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::predictor::{ArchInput, PredictorRng};
use naspred_spaces::{AnyArch, EncodingKind, Quirks, SpaceKind};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Training inputs, their targets and test inputs, drawn with a fixed seed.
pub fn workload() -> (Vec<ArchInput>, Vec<f64>, Vec<ArchInput>) {
    let mut rng = PredictorRng::seed_from_u64(0);
    let root = DataRoot::resolve(None);
    let mut table: Vec<(AnyArch, f64)> = match load_nb201(&root, Dataset::Cifar10) {
        Ok(bench) => bench
            .records()
            .iter()
            .map(|r| (r.arch.clone(), r.mean_val_acc()))
            .collect(),
        Err(_) => (0..1200)
            .map(|_| {
                let a = AnyArch::sample(SpaceKind::Nb201, &mut rng).expect("sample");
                let e = a
                    .encode(EncodingKind::AdjacencyOneHot, Quirks::Faithful)
                    .expect("encode")
                    .flatten();
                let y = e
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| f64::from(v) * (i % 7) as f64)
                    .sum();
                (a, y)
            })
            .collect(),
    };
    table.shuffle(&mut rng);
    let train = table[..1000]
        .iter()
        .map(|(a, _)| ArchInput::bare(a.clone()))
        .collect();
    let y = table[..1000].iter().map(|(_, y)| *y).collect();
    let test = table[1000..1200]
        .iter()
        .map(|(a, _)| ArchInput::bare(a.clone()))
        .collect();
    (train, y, test)
}
