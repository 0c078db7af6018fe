//! What several test files of naspred-data check alike.

#![allow(dead_code)] // each test file uses its own subset

use naspred_data::embedded::Nb201Table;
use naspred_data::Dataset;

/// The official NB201 index-0 architecture's reference values per dataset, from the reference
/// CSVs (6 decimals): (dataset, validation accuracy of its three seeds, train time s, latency s,
/// parameters M, 12-epoch validation accuracy).
pub const NB201_ARCH0: [(Dataset, [f64; 3], f64, f64, f64, f64); 3] = [
    (
        Dataset::Cifar10,
        [82.092, 81.616, 82.24],
        1444.2186,
        0.013936,
        0.129306,
        63.364,
    ),
    (
        Dataset::Cifar100,
        [51.88, 53.08, 53.14],
        2888.4372,
        0.013183,
        0.135156,
        31.84,
    ),
    (
        Dataset::ImageNet16_120,
        [28.333333, 27.366667, 28.933333],
        8763.518464,
        0.012977,
        0.136456,
        18.466667,
    ),
];

/// Asserts that two NB201 tables hold the same values, bit for bit.
pub fn assert_tables_identical(a: &Nb201Table, b: &Nb201Table) {
    assert_eq!(a.dataset, b.dataset);
    assert_eq!(a.n_seeds, b.n_seeds);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for s in 0..3 {
        assert_eq!(bits(&a.val_acc[s]), bits(&b.val_acc[s]));
    }
    assert_eq!(bits(&a.train_time_s), bits(&b.train_time_s));
    assert_eq!(bits(&a.latency_s), bits(&b.latency_s));
    assert_eq!(bits(&a.params_mb), bits(&b.params_mb));
    assert_eq!(
        a.val_acc_12ep.as_deref().map(bits),
        b.val_acc_12ep.as_deref().map(bits)
    );
}
