//! Networks of the three spaces on real architectures from the repository's `data/`.

use std::io::BufRead;

use naspred_data::root::open_data_file;
use naspred_data::DataRoot;
use naspred_nets::{NetConfig, NetError, Network, Trace};
use naspred_spaces::darts::DartsArch;
use naspred_spaces::{AnyArch, SpaceKind};
use tch::{Device, Kind, Tensor};

/// A CSV of the data root (`NASPRED_DATA`, else the repository's `data/`; stored plain or
/// gzip-compressed).
fn data_csv(rel: &str) -> csv::Reader<Box<dyn BufRead + Send>> {
    let path = DataRoot::resolve(None).file(rel).unwrap();
    csv::Reader::from_reader(open_data_file(&path).unwrap())
}

fn cfg(classes: i64) -> NetConfig {
    NetConfig {
        classes,
        seed: 0,
        device: Device::Cpu,
    }
}

#[test]
fn nb101_parameter_counts_equal_the_benchmark() {
    let mut rdr = data_csv("nb101/nb101_multifidelity_20k.csv");
    let h = rdr.headers().unwrap().clone();
    let col = |c: &str| h.iter().position(|x| x == c).unwrap();
    let (m, o, p) = (col("matrix"), col("ops"), col("trainable_parameters"));
    let mut checked = 0;
    for rec in rdr.records().step_by(1300).take(15) {
        let rec = rec.unwrap();
        let arch = AnyArch::parse(SpaceKind::Nb101, &format!("{};{}", &rec[m], &rec[o])).unwrap();
        let net = Network::build(&arch, cfg(10)).unwrap();
        let expected: i64 = rec[p].parse().unwrap();
        assert_eq!(net.store.num_params(), expected, "{}", arch);
        checked += 1;
    }
    assert_eq!(checked, 15);
}

#[test]
fn darts_networks_build_and_run_for_shared_genotypes() {
    let mut rdr = data_csv("naslib_zc/sample_nb301_cifar10_accuracy.csv");
    let h = rdr.headers().unwrap().clone();
    let (n, r) = (
        h.iter().position(|x| x == "normal").unwrap(),
        h.iter().position(|x| x == "reduce").unwrap(),
    );
    let x = Tensor::randn([2, 3, 32, 32], (Kind::Float, Device::Cpu));
    for rec in rdr.records().step_by(50) {
        let rec = rec.unwrap();
        let arch = AnyArch::Darts(DartsArch::from_op_lists(&rec[n], &rec[r]).unwrap());
        let net = Network::build(&arch, cfg(10)).unwrap();
        let (y, _) = net.forward(&x, true, Trace::default());
        assert_eq!(y.size(), vec![2, 10]);
        assert_eq!(y.isfinite().all().int64_value(&[]), 1);
        // NetworkCIFAR(C=32, 8 layers) is roughly 1-4 M parameters.
        let p = net.store.num_params();
        assert!((500_000..6_000_000).contains(&p), "{p} params");
    }
}

#[test]
fn darts_networks_build_for_all_500_shared_genotypes() {
    // Every genotype of NASLib's NB301 sample: parse, build NetworkCIFAR (C=32, 8 layers) and
    // count its parameters (no forward: the forward is covered above on every 50th).
    let mut rdr = data_csv("naslib_zc/sample_nb301_cifar10_accuracy.csv");
    let h = rdr.headers().unwrap().clone();
    let (n, r) = (
        h.iter().position(|x| x == "normal").unwrap(),
        h.iter().position(|x| x == "reduce").unwrap(),
    );
    let mut counts = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let arch = AnyArch::Darts(DartsArch::from_op_lists(&rec[n], &rec[r]).unwrap());
        let net = Network::build(&arch, cfg(10))
            .unwrap_or_else(|e| panic!("genotype {i} ({arch}) does not build: {e}"));
        let p = net.store.num_params();
        assert!(
            (300_000..6_000_000).contains(&p),
            "genotype {i}: {p} params"
        );
        // The count is a function of the genotype only, not of the initialisation seed.
        if i % 100 == 0 {
            let again = Network::build(
                &arch,
                NetConfig {
                    seed: 17,
                    ..cfg(10)
                },
            )
            .unwrap();
            assert_eq!(again.store.num_params(), p);
        }
        counts.push(p);
    }
    assert_eq!(counts.len(), 500);
    // Different genotypes give different networks: many distinct sizes.
    counts.sort_unstable();
    counts.dedup();
    assert!(
        counts.len() > 400,
        "{} distinct parameter counts",
        counts.len()
    );
}

#[test]
fn bad_architectures_are_typed_errors() {
    // An NB101 cell whose input does not reach the output.
    let bad = AnyArch::parse(
        SpaceKind::Nb101,
        "0100000010000000000000000;input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output",
    );
    match bad {
        Err(_) => {}
        Ok(a) => assert!(matches!(
            Network::build(&a, cfg(10)),
            Err(NetError::InvalidArch { .. })
        )),
    }
    // A DARTS cell whose node reads an input that does not exist yet.
    assert!(DartsArch::from_op_lists(
        "sep_conv_3x3~0 sep_conv_3x3~1 skip_connect~0 sep_conv_3x3~3 sep_conv_3x3~2 sep_conv_3x3~0 dil_conv_5x5~2 dil_conv_3x3~3",
        "sep_conv_3x3~0 sep_conv_3x3~1 avg_pool_3x3~1 dil_conv_3x3~0 sep_conv_3x3~2 skip_connect~0 sep_conv_5x5~4 avg_pool_3x3~3",
    )
    .is_err());
    // NAS-Bench-NLP has no convolutional network.
    let nlp = AnyArch::sample(SpaceKind::Nlp, &mut rand::rng());
    if let Ok(a) = nlp {
        assert!(matches!(
            Network::build(&a, cfg(10)),
            Err(NetError::Unsupported(_))
        ));
    }
}

/// NASLib's published parameters (M) and FLOPs (M) of the first ten genotypes of its
/// NAS-Bench-Suite-Zero DARTS file (`naslib/data/zc_nasbench301.json`, github automl/NASLib,
/// Apache-2.0), with their compact tuples: the first ten rows of
/// `naslib_zc/sample_nb301_cifar10_accuracy.csv`.
const NASLIB_DARTS_STATS: [(f64, f64); 10] = [
    (1.204906, 202.774016),
    (0.920618, 162.428416),
    (0.84945, 157.185536),
    (1.080682, 185.087488),
    (1.094442, 188.036608),
    (0.728554, 134.010368),
    (1.156714, 201.758208),
    (0.910378, 157.660672),
    (1.16945, 201.152),
    (0.802858, 149.329408),
];

#[test]
fn darts_params_and_flops_equal_naslib() {
    let mut rdr = data_csv("naslib_zc/sample_nb301_cifar10_accuracy.csv");
    let c = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|x| x == "compact")
        .unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().take(10).map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), NASLIB_DARTS_STATS.len());
    for (rec, (params, flops)) in rows.iter().zip(NASLIB_DARTS_STATS) {
        let arch = AnyArch::Darts(DartsArch::from_compact_str(&rec[c]).unwrap());
        let net = Network::build(&arch, cfg(10)).unwrap();
        let (f, p) = net.model_stats(32);
        let (f, p) = (f / 1e6, p / 1e6);
        assert!(
            ((p - params) / params).abs() < 1e-4,
            "{arch}: params {p} M, NASLib {params} M"
        );
        assert!(
            ((f - flops) / flops).abs() < 1e-4,
            "{arch}: flops {f} M, NASLib {flops} M"
        );
        // Every parameter is counted by the batch-1 pass (no auxiliary head, no unused op).
        assert_eq!(net.store.num_params() as f64, p * 1e6, "{arch}");
    }
}
