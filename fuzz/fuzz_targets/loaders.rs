//! Any bytes given to a data loader give a benchmark (or image batch, table) or a typed error
//! naming the file, never a panic. The first byte picks the loader; the rest is the file.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use naspred_data::cifar::{load_cifar100_file, load_cifar_bin, CifarFormat, Normalisation};
use naspred_data::embedded::EmbeddedNb201;
use naspred_data::{naslib, shared, DataRoot, Dataset};
use naspred_spaces::SpaceKind;

/// A data root of this fuzzing process (in memory where /dev/shm exists).
fn root() -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!("naspred-fuzz-{}", std::process::id()))
}

/// Writes `bytes` as the file `rel` below the fuzzing root.
fn put(rel: &str, bytes: &[u8]) -> PathBuf {
    let p = root().join(rel);
    std::fs::create_dir_all(p.parent().expect("a parent")).expect("a folder for the file");
    std::fs::write(&p, bytes).expect("the file is written");
    p
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let r = DataRoot::new(root());
    match which % 10 {
        0 => {
            put(shared::NB101_FILE, rest);
            let _ = shared::load_nb101(&r);
        }
        1 => {
            put(shared::NLP_FILE, rest);
            let _ = shared::load_nlp(&r);
        }
        2 => {
            put("naslib_zc/sample_nb301_cifar10_accuracy.csv", rest);
            let _ = shared::load_naslib_sample(&r, SpaceKind::Darts, Dataset::Cifar10);
        }
        3 => {
            put("naslib_zc/sample_nb101_cifar10_accuracy.csv", rest);
            let _ = shared::load_naslib_sample(&r, SpaceKind::Nb101, Dataset::Cifar10);
        }
        4 => {
            put(shared::NB201_LOW_FIDELITY, rest);
            let _ = shared::read_nb201_low_fidelity(&root().join(shared::NB201_LOW_FIDELITY));
        }
        5 => {
            let _ = EmbeddedNb201::from_bytes(rest);
        }
        6 => {
            let p = put("cifar/x.bin", rest);
            let _ = load_cifar_bin(&p, CifarFormat::CIFAR10, Normalisation::CIFAR10);
            let _ = load_cifar100_file(&p, Normalisation::CIFAR100);
        }
        7 => {
            let p = put("naslib/nb201.pickle", rest);
            let _ = naslib::load_nb201_pickle(&p, Dataset::Cifar10);
            let _ = naslib::load_nlp_pickle(&p);
        }
        8 => {
            let p = put("naslib/nb101.pickle", rest);
            let _ = naslib::load_nb101_pickle(&p);
            let _ = naslib::load_nb301_pickle(&p);
        }
        _ => {
            let p = put("naslib/zc.json", rest);
            let _ = naslib::load_zc_json(&p);
        }
    }
});
