//! The NB201 workload shared by the model benches: 1000 training and 200 test architectures.
//!
//! Targets are NB201 CIFAR-10 validation accuracies (the data root: `NASPRED_DATA`, else the
//! repository's `data/`).

use naspred_data::shared::load_nb201;
use naspred_data::{DataRoot, Dataset};
use naspred_eval::predictor::{ArchInput, PredictorRng};
use naspred_spaces::AnyArch;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Training inputs, their targets and test inputs, drawn with a fixed seed.
pub fn workload() -> (Vec<ArchInput>, Vec<f64>, Vec<ArchInput>) {
    let mut rng = PredictorRng::seed_from_u64(0);
    let root = DataRoot::resolve(None);
    let mut table: Vec<(AnyArch, f64)> = load_nb201(&root, Dataset::Cifar10)
        .expect("NB201 CIFAR-10 (data/, or NASPRED_DATA)")
        .records()
        .iter()
        .map(|r| (r.arch.clone(), r.mean_val_acc()))
        .collect();
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
