//! NAS-Bench-101 space on the real data (`data/nb101/nb101_multifidelity_20k.csv.gz`).

// Index loops over matrix coordinates read more clearly here.
#![allow(clippy::needless_range_loop)]

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use naspred_spaces::encoding::matches_shape;
use naspred_spaces::nb101::{Nb101Arch, Nb101Op};
use naspred_spaces::{
    ArchHash, Architecture, Encoding, EncodingKind, Quirks, Sampling, SpaceError, SpaceKind,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::open_data;

#[derive(Clone, Debug)]
struct Row {
    hash: String,
    n_vertices: usize,
    matrix: String,
    ops: String,
    source: String,
}

fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let mut rdr = csv::Reader::from_reader(open_data("nb101/nb101_multifidelity_20k.csv"));
        let headers = rdr.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (h, nv, m, o, s) = (
            col("nb101_hash"),
            col("n_vertices"),
            col("matrix"),
            col("ops"),
            col("matrix_source"),
        );
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                Row {
                    hash: r[h].to_string(),
                    n_vertices: r[nv].parse().unwrap(),
                    matrix: r[m].to_string(),
                    ops: r[o].to_string(),
                    source: r[s].to_string(),
                }
            })
            .collect()
    })
}

fn data_hashes() -> &'static HashSet<ArchHash> {
    static H: OnceLock<HashSet<ArchHash>> = OnceLock::new();
    H.get_or_init(|| rows().iter().map(|r| r.hash.parse().unwrap()).collect())
}

fn arch(matrix: &str, ops: &str) -> Nb101Arch {
    Nb101Arch::from_matrix_ops(matrix, ops).unwrap()
}

/// Row 0 of the data: 7 vertices, 9 edges.
const A_MATRIX: &str = "0100110001000000010010000010000001000000010000000";
const A_OPS: &str =
    "input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output";
const A_HASH: &str = "00005c142e6f48ac74fdcf73e3439874";
/// The first 6-vertex row of the data.
const B_MATRIX: &str = "010110001001000100000011000001000000";
const B_OPS: &str = "input,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,output";
const B_HASH: &str = "00040b38293651f17fb665401c671bbb";

fn cell_a() -> Nb101Arch {
    arch(A_MATRIX, A_OPS)
}
fn cell_b() -> Nb101Arch {
    arch(B_MATRIX, B_OPS)
}

fn dense(a: &Nb101Arch, kind: EncodingKind) -> Vec<f32> {
    a.encode(kind, Quirks::Faithful)
        .unwrap()
        .as_dense()
        .unwrap()
        .to_vec()
}

fn ones(v: &[f32]) -> Vec<usize> {
    v.iter()
        .enumerate()
        .filter(|(_, &x)| x != 0.0)
        .map(|(i, _)| i)
        .collect()
}

fn to_f32(v: &[u8]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

// ---------------------------------------------------------------------------------------------
// Real data: hashes, parsing, validity, encodings

#[test]
fn every_row_reproduces_the_official_hash_and_round_trips() {
    let rows = rows();
    assert_eq!(rows.len(), 20001);
    let mut sizes = HashMap::new();
    for r in rows {
        let a = Nb101Arch::from_matrix_ops(&r.matrix, &r.ops)
            .unwrap_or_else(|e| panic!("row {}: {e}", r.hash));
        let text = format!("{};{}", r.matrix, r.ops);
        assert_eq!(a.to_string(), text);
        let b: Nb101Arch = text.parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.n(), r.n_vertices);
        a.validate()
            .unwrap_or_else(|e| panic!("row {} ({}): {e}", r.hash, r.source));
        let h = a.arch_hash();
        assert_eq!(h.to_string(), r.hash, "row {text}");
        // The data holds pruned specs; padding to 7 vertices never changes the hash.
        assert_eq!(a.pruned().unwrap(), a);
        let p = a.padded();
        assert_eq!(p.n(), 7);
        assert_eq!(p.arch_hash(), h);
        assert!(p.is_valid());
        *sizes.entry(a.n()).or_insert(0) += 1;
    }
    assert_eq!(sizes[&7], 16947);
    assert_eq!(sizes[&6], 2917);
    assert_eq!(sizes[&2], 1);
}

#[test]
fn data_hashes_are_distinct_and_isomorphs_match() {
    assert_eq!(data_hashes().len(), 20001);
    // `enumerated_isomorph` rows are isomorphic representatives: their hash must still match,
    // which the test above checks; make sure both sources are present.
    let iso = rows()
        .iter()
        .filter(|r| r.source == "enumerated_isomorph")
        .count();
    assert_eq!(iso, 9751);
}

#[test]
fn every_row_encodes_in_every_encoding_with_naslib_shapes() {
    for r in rows() {
        let a = arch(&r.matrix, &r.ops);
        for kind in EncodingKind::ALL {
            let e = a.encode(kind, Quirks::Faithful).unwrap();
            assert!(matches_shape(SpaceKind::Nb101, kind, &e), "{kind} of {a}");
            assert_eq!(e, a.encode(kind, Quirks::Fixed).unwrap());
        }
        // A valid cell has at least one input->output path.
        assert!(dense(&a, EncodingKind::Path).contains(&1.0));
    }
}

#[test]
fn naslib_sample_raw_specs_prune_to_data_archs() {
    // NASLib's zero-cost sample stores raw 7x7 (unpruned) matrices whose leading zeros were
    // lost to an integer conversion. Pruning + hashing them must find archs of the 20k file
    // with (nearly) the same 108-epoch accuracy (a different repeat may have been drawn).
    let mut rdr =
        csv::Reader::from_reader(open_data("naslib_zc/sample_nb101_cifar10_accuracy.csv"));
    let mut acc108 = HashMap::new();
    let mut rdr20k = csv::Reader::from_reader(open_data("nb101/nb101_multifidelity_20k.csv"));
    for r in rdr20k.records() {
        let r = r.unwrap();
        acc108.insert(r[0].to_string(), r[4].parse::<f64>().unwrap() * 100.0);
    }
    let (mut total, mut found, mut unpruned) = (0, 0, 0);
    for r in rdr.records() {
        let r = r.unwrap();
        let matrix = format!("{:0>49}", &r[2]);
        let a = arch(&matrix, &r[3]);
        a.validate().unwrap();
        total += 1;
        if a.pruned().unwrap() != a {
            unpruned += 1;
        }
        if let Some(acc) = acc108.get(&a.arch_hash().to_string()) {
            found += 1;
            let naslib: f64 = r[4].parse().unwrap();
            assert!((acc - naslib).abs() < 2.0, "{a}: {acc} vs {naslib}");
        }
    }
    assert_eq!(total, 500);
    assert!(unpruned > 400, "{unpruned}");
    assert_eq!(found, 94);
}

// ---------------------------------------------------------------------------------------------
// Hand-checked encodings

#[test]
fn hand_checked_encodings_of_cell_a() {
    // Edges: 0->1 0->4 0->5 1->2 2->3 2->6 3->5 4->5 5->6.
    // Ops:   in c3 mp c3 c3 c1 out.
    let a = cell_a();
    assert_eq!(a.arch_hash().to_string(), A_HASH);
    assert_eq!(a.num_edges(), 9);

    #[rustfmt::skip]
    let adj = to_f32(&[
        1, 0, 0, 1, 1, 0, // row 0: 0->1 .. 0->6
        1, 0, 0, 0, 0,    // row 1
        1, 0, 0, 1,       // row 2
        0, 1, 0,          // row 3
        1, 0,             // row 4
        1,                // row 5
        0, 1, 0, // v1 conv3x3
        1, 0, 0, // v2 maxpool
        0, 1, 0, // v3 conv3x3
        0, 1, 0, // v4 conv3x3
        0, 0, 1, // v5 conv1x1
    ]);
    assert_eq!(dense(&a, EncodingKind::AdjacencyOneHot), adj);

    // Paths: 0-5-6 [c1] = 2; 0-4-5-6 [c3,c1] = 1 + 3*2 = 7; 0-1-2-6 [c3,mp] = 1 + 3*3 = 10;
    // 0-1-2-3-5-6 [c3,mp,c3,c1] = 1 + 3*3 + 9*1 + 27*2 = 73.
    let path = dense(&a, EncodingKind::Path);
    assert_eq!(path.len(), 364);
    assert_eq!(ones(&path), vec![2, 7, 10, 73]);

    let gcn = a.encode(EncodingKind::Gcn, Quirks::Faithful).unwrap();
    let g = gcn.as_graph().unwrap();
    assert_eq!((g.nodes, g.features, g.num_vertices), (7, 5, 7));
    assert_eq!(g.adjacency, to_f32(&a.matrix().concat()));
    // one-hot over [output, input, conv3x3, conv1x1, maxpool]
    #[rustfmt::skip]
    let feats = to_f32(&[
        0, 1, 0, 0, 0,
        0, 0, 1, 0, 0,
        0, 0, 0, 0, 1,
        0, 0, 1, 0, 0,
        0, 0, 1, 0, 0,
        0, 0, 0, 1, 0,
        1, 0, 0, 0, 0,
    ]);
    assert_eq!(g.node_features, feats);

    let bonas = a.encode(EncodingKind::Bonas, Quirks::Faithful).unwrap();
    let b = bonas.as_graph().unwrap();
    assert_eq!((b.nodes, b.features), (8, 6));
    // NASLib's add_global_node: transposed (row = target), self loops, global row of ones.
    #[rustfmt::skip]
    let badj = to_f32(&[
        1, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0, 0, 0, 0, 0, 0,
        0, 1, 1, 0, 0, 0, 0, 0,
        0, 0, 1, 1, 0, 0, 0, 0,
        1, 0, 0, 0, 1, 0, 0, 0,
        1, 0, 0, 1, 1, 1, 0, 0,
        0, 0, 1, 0, 0, 1, 1, 0,
        1, 1, 1, 1, 1, 1, 1, 1,
    ]);
    assert_eq!(b.adjacency, badj);
    // one-hot over [input, conv3x3, conv1x1, maxpool, output] + global flag
    #[rustfmt::skip]
    let bfeats = to_f32(&[
        1, 0, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 0,
        0, 0, 0, 1, 0, 0,
        0, 1, 0, 0, 0, 0,
        0, 1, 0, 0, 0, 0,
        0, 0, 1, 0, 0, 0,
        0, 0, 0, 0, 1, 0,
        0, 0, 0, 0, 0, 1,
    ]);
    assert_eq!(b.node_features, bfeats);

    let sem = a.encode(EncodingKind::Seminas, Quirks::Faithful).unwrap();
    // per column: edges + 1, then op index over [in, out, c3, c1, mp] + 2
    #[rustfmt::skip]
    let seq: Vec<u32> = vec![
        2, 4,
        1, 2, 6,
        1, 1, 2, 4,
        2, 1, 1, 1, 4,
        2, 1, 1, 2, 2, 5,
        1, 1, 2, 1, 1, 2, 3,
    ];
    assert_eq!(sem.as_tokens().unwrap(), seq.as_slice());

    // NASLib tuple: flattened raw matrix, ops over [input, output, maxpool, conv1x1, conv3x3].
    let t = a.naslib_hash();
    let flat: Vec<u8> = A_MATRIX.bytes().map(|b| b - b'0').collect();
    assert_eq!(&t[..49], flat.as_slice());
    assert_eq!(&t[49..], &[0, 4, 2, 4, 4, 3, 1]);
}

#[test]
fn hand_checked_encodings_of_padded_six_vertex_cell_b() {
    // 6 vertices: 0->1 0->3 0->4 1->2 1->5 2->3 3->4 3->5 4->5; ops in c3 c3 mp c3 out.
    // Padded as NASLib's convert_to_cell: output moves to 6, vertex 5 is an isolated conv3x3.
    let b = cell_b();
    assert_eq!(b.n(), 6);
    assert_eq!(b.arch_hash().to_string(), B_HASH);
    let p = b.padded();
    assert_eq!(
        p.to_string(),
        "0101100001000100010000000101000000100000000000000;\
         input,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,output"
    );
    #[rustfmt::skip]
    let pm: Vec<Vec<u8>> = vec![
        vec![0, 1, 0, 1, 1, 0, 0],
        vec![0, 0, 1, 0, 0, 0, 1],
        vec![0, 0, 0, 1, 0, 0, 0],
        vec![0, 0, 0, 0, 1, 0, 1],
        vec![0, 0, 0, 0, 0, 0, 1],
        vec![0, 0, 0, 0, 0, 0, 0],
        vec![0, 0, 0, 0, 0, 0, 0],
    ];
    assert_eq!(p.matrix(), pm);

    #[rustfmt::skip]
    let adj = to_f32(&[
        1, 0, 1, 1, 0, 0,
        1, 0, 0, 0, 1,
        1, 0, 0, 0,
        1, 0, 1,
        0, 1,
        0,
        0, 1, 0, // c3
        0, 1, 0, // c3
        1, 0, 0, // mp
        0, 1, 0, // c3
        0, 1, 0, // padding vertex: conv3x3
    ]);
    assert_eq!(dense(&b, EncodingKind::AdjacencyOneHot), adj);
    // Paths: 0-1-6 [c3] = 1; 0-4-6 [c3] = 1; 0-3-6 [mp] = 3; 0-3-4-6 [mp,c3] = 3 + 3 = 6;
    // 0-1-2-3-6 [c3,c3,mp] = 1 + 3 + 27 = 31; 0-1-2-3-4-6 [c3,c3,mp,c3] = 31 + 27 = 58.
    assert_eq!(ones(&dense(&b, EncodingKind::Path)), vec![1, 3, 6, 31, 58]);
    let sem = b.encode(EncodingKind::Seminas, Quirks::Faithful).unwrap();
    assert_eq!(
        sem.as_tokens().unwrap(),
        &[2, 4, 1, 2, 4, 2, 1, 2, 6, 2, 1, 1, 2, 4, 1, 1, 1, 1, 1, 4, 1, 2, 1, 2, 2, 1, 3]
    );
    let g = b.encode(EncodingKind::Gcn, Quirks::Faithful).unwrap();
    let g = g.as_graph().unwrap();
    assert_eq!(g.num_vertices, 7);
    assert_eq!(g.adjacency, to_f32(&pm.concat()));
    let feat_rows: Vec<usize> = (0..7)
        .map(|v| (0..5).find(|&f| g.feature(v, f) == 1.0).unwrap())
        .collect();
    assert_eq!(feat_rows, vec![1, 2, 2, 4, 2, 2, 0]);
    let bo = b.encode(EncodingKind::Bonas, Quirks::Faithful).unwrap();
    let bo = bo.as_graph().unwrap();
    #[rustfmt::skip]
    let badj = to_f32(&[
        1, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0, 0, 0, 0, 0, 0,
        0, 1, 1, 0, 0, 0, 0, 0,
        1, 0, 1, 1, 0, 0, 0, 0,
        1, 0, 0, 1, 1, 0, 0, 0,
        0, 0, 0, 0, 0, 1, 0, 0,
        0, 1, 0, 1, 1, 0, 1, 0,
        1, 1, 1, 1, 1, 1, 1, 1,
    ]);
    assert_eq!(bo.adjacency, badj);
    let t = b.naslib_hash();
    assert_eq!(&t[..49], pm.concat().as_slice());
    assert_eq!(&t[49..], &[0, 4, 4, 2, 4, 4, 1]);
}

#[test]
fn smallest_data_cells_pad_and_encode() {
    // The 2-vertex cell (input -> output) of the data.
    let a = arch("0100", "input,output");
    assert_eq!(
        a.arch_hash().to_string(),
        "043721b9c7fe8c5fad811d47d83132ec"
    );
    let p = a.padded();
    assert!(p.edge(0, 6));
    assert_eq!(p.num_edges(), 1);
    assert_eq!(ones(&dense(&a, EncodingKind::Path)), vec![0]);
    assert!(a.neighbours().iter().all(|n| n.is_valid()));
    // Its only neighbours are additions of edges that end on a path: none exist without an
    // interior vertex on a path, and the single edge may not be removed (disconnected).
    assert!(a.neighbours().is_empty());
    let c = arch("011001000", "input,conv1x1-bn-relu,output");
    assert_eq!(
        c.arch_hash().to_string(),
        "09fc2d10bdd6225e167a6f81a22a3f06"
    );
}

// ---------------------------------------------------------------------------------------------
// Pruning and validity (nasbench's model_spec_test / api rules)

fn spec(m: &[&[u8]], ops: &[Nb101Op]) -> Nb101Arch {
    Nb101Arch::new(m, ops).unwrap()
}

use Nb101Op::{Conv1x1 as C1, Conv3x3 as C3, Input as IN, MaxPool3x3 as MP, Output as OUT};

#[test]
fn pruning_matches_nasbench_model_spec_tests() {
    // prune_noop
    let m1 = spec(&[&[0, 1, 0], &[0, 0, 1], &[0, 0, 0]], &[IN, C3, OUT]);
    assert_eq!(m1.pruned().unwrap(), m1);
    let m3 = spec(
        &[&[0, 1, 1, 0], &[0, 0, 0, 1], &[0, 0, 0, 1], &[0, 0, 0, 0]],
        &[IN, C3, C1, OUT],
    );
    assert_eq!(m3.pruned().unwrap(), m3);
    // prune_islands
    let i1 = spec(
        &[&[0, 1, 0, 0], &[0, 0, 0, 1], &[0, 0, 0, 0], &[0, 0, 0, 0]],
        &[IN, C3, C1, OUT],
    );
    let p = i1.pruned().unwrap();
    assert_eq!(
        p.matrix(),
        vec![vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]]
    );
    assert_eq!(p.ops(), &[IN, C3, OUT]);
    let i2 = spec(
        &[
            &[0, 1, 0, 0, 0],
            &[0, 0, 0, 0, 1],
            &[0, 0, 0, 1, 0],
            &[0, 0, 0, 0, 0],
            &[0, 0, 0, 0, 0],
        ],
        &[IN, C3, C1, MP, OUT],
    );
    let p = i2.pruned().unwrap();
    assert_eq!(
        p.matrix(),
        vec![vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]]
    );
    assert_eq!(p.ops(), &[IN, C3, OUT]);
    // prune_dangling
    let d1 = spec(
        &[&[0, 1, 1, 0], &[0, 0, 0, 0], &[0, 0, 0, 1], &[0, 0, 0, 0]],
        &[IN, C3, C1, OUT],
    );
    let p = d1.pruned().unwrap();
    assert_eq!(
        p.matrix(),
        vec![vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]]
    );
    assert_eq!(p.ops(), &[IN, C1, OUT]);
    let d2 = spec(
        &[&[0, 0, 1, 0], &[0, 0, 0, 1], &[0, 0, 0, 1], &[0, 0, 0, 0]],
        &[IN, C3, C1, OUT],
    );
    assert_eq!(d2.pruned().unwrap().ops(), &[IN, C1, OUT]);
    // prune_disconnected
    for bad in [
        spec(&[&[0, 0], &[0, 0]], &[IN, OUT]),
        spec(
            &[&[0, 1, 0, 0], &[0, 0, 0, 0], &[0, 0, 0, 1], &[0, 0, 0, 0]],
            &[IN, C3, C1, OUT],
        ),
        spec(
            &[&[0, 0, 0, 0], &[0, 0, 1, 0], &[0, 0, 0, 0], &[0, 0, 0, 0]],
            &[IN, C3, C1, OUT],
        ),
        spec(&[&[0]], &[IN]),
    ] {
        let err = bad.pruned().unwrap_err();
        assert!(err.to_string().contains("not connected"), "{err}");
        assert!(bad.validate().is_err());
    }
}

#[test]
fn construction_rejects_what_model_spec_rejects() {
    let lower = Nb101Arch::new(&[[0u8, 1, 1], [0, 0, 1], [1, 0, 0]], &[IN, C3, OUT]);
    assert!(lower.unwrap_err().to_string().contains("upper triangular"));
    let diag = Nb101Arch::new(&[[1u8]], &[IN]);
    assert!(diag.is_err());
    let ragged: Vec<Vec<u8>> = vec![vec![0, 1], vec![0]];
    assert!(Nb101Arch::new(&ragged, &[IN, OUT])
        .unwrap_err()
        .to_string()
        .contains("square"));
    assert!(Nb101Arch::new(&[[0u8, 1], [0, 0]], &[IN])
        .unwrap_err()
        .to_string()
        .contains("ops"));
    let big = vec![vec![0u8; 8]; 8];
    assert!(Nb101Arch::new(&big, &[IN; 8]).is_err());
    assert!(Nb101Arch::new(&[[0u8, 2], [0, 0]], &[IN, OUT]).is_err());
    let empty: Vec<Vec<u8>> = vec![];
    assert!(Nb101Arch::new(&empty, &[]).is_err());
    assert!(Nb101Arch::from_bits(3, [0b110, 0b100, 0b001, 0, 0, 0, 0], &[IN, C3, OUT]).is_err());
    let ok = Nb101Arch::from_bits(3, [0b110, 0b100, 0, 0, 0, 0, 0], &[IN, C3, OUT]).unwrap();
    assert_eq!(ok.to_string(), "011001000;input,conv3x3-bn-relu,output");
}

#[test]
fn validity_follows_the_nasbench_api() {
    // 7 vertices, every vertex used, 10 edges: too many.
    let ten = arch(
        "0110000001100000011000000110000001000000010000000",
        "input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,output",
    );
    assert_eq!(ten.num_edges(), 10);
    let err = ten.validate().unwrap_err();
    assert!(matches!(err, SpaceError::Invalid { .. }));
    assert!(err.to_string().contains("too many edges"), "{err}");
    // 10 raw edges but only 9 after pruning (vertex 5 dangles): valid.
    let dangling = arch(
        "0110010001100000011000000101000000100000000000000",
        "input,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output",
    );
    assert!(dangling.validate().is_ok(), "{:?}", dangling.validate());
    assert_eq!(dangling.pruned().unwrap().n(), 6);
    // The ops of pruned vertices are not checked; those of kept vertices are.
    let pruned_input_op = arch(
        "0110000000000100000010000000000000000000000000000",
        "input,conv3x3-bn-relu,conv3x3-bn-relu,input,output,output,output",
    );
    // 0->1, 0->2, 1->6, 2->6 kept; 3..5 isolated.
    assert!(pruned_input_op.validate().is_ok());
    let kept_output_op = arch(
        "0110000000000100000010000000000000000000000000000",
        "input,output,conv3x3-bn-relu,maxpool3x3,maxpool3x3,maxpool3x3,output",
    );
    assert!(kept_output_op
        .validate()
        .unwrap_err()
        .to_string()
        .contains("unsupported op"));
    // NASLib cannot encode an interior `output` in the adjacency encoding either.
    assert!(kept_output_op
        .encode(EncodingKind::AdjacencyOneHot, Quirks::Faithful)
        .is_err());
    let first = arch("010001000", "conv3x3-bn-relu,conv3x3-bn-relu,output");
    assert!(first
        .validate()
        .unwrap_err()
        .to_string()
        .contains("'input'"));
    let last = arch("010001000", "input,conv3x3-bn-relu,maxpool3x3");
    assert!(last
        .validate()
        .unwrap_err()
        .to_string()
        .contains("'output'"));
}

#[test]
fn hash_of_isomorphic_specs() {
    // input -> {1: conv3x3, 2: maxpool} -> output, then the branches swapped.
    let x = arch(
        "0110000100010000",
        "input,conv3x3-bn-relu,maxpool3x3,output",
    );
    let y = arch(
        "0110000100010000",
        "input,maxpool3x3,conv3x3-bn-relu,output",
    );
    assert_eq!(x.arch_hash(), y.arch_hash());
    assert_ne!(x.naslib_hash(), y.naslib_hash());
    let z = arch(
        "0110000100010000",
        "input,conv3x3-bn-relu,conv3x3-bn-relu,output",
    );
    assert_ne!(x.arch_hash(), z.arch_hash());
    // Hashing ignores pruned vertices: the same graph with a dangling vertex.
    let w = arch(
        "0111000001000010000000000",
        "input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,output",
    );
    assert_eq!(w.pruned().unwrap().n(), 4);
    assert_eq!(w.arch_hash(), x.arch_hash());
}

// ---------------------------------------------------------------------------------------------
// Parsing errors

#[test]
fn parse_errors_say_what_is_wrong() {
    let cases: &[(&str, &str)] = &[
        ("0100;input,output", ""),
        ("0100", "matrix;ops"),
        ("01x0;input,output", "not 0 or 1"),
        ("010;input,output", "n*n"),
        ("0100;input", "1 ops"),
        ("0100;input,foo", "unknown op"),
        ("0110;input,output", "upper triangular"),
        (";input", "empty"),
        ("0100;input,output,output", "3 ops"),
    ];
    for (input, needle) in cases {
        let r: Result<Nb101Arch, _> = input.parse();
        if needle.is_empty() {
            assert!(r.is_ok(), "{input}: {r:?}");
        } else {
            let e = r.unwrap_err();
            assert!(matches!(e, SpaceError::Parse { .. }), "{input}: {e:?}");
            assert!(e.to_string().contains(needle), "{input}: {e}");
        }
    }
    assert!("conv3x3-bn-relu".parse::<Nb101Op>().is_ok());
    assert!("conv3x3".parse::<Nb101Op>().is_err());
    for op in Nb101Op::ALL {
        assert_eq!(op.name().parse::<Nb101Op>().unwrap(), op);
    }
    // serde uses the text form
    let a = cell_a();
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, format!("\"{A_MATRIX};{A_OPS}\""));
    assert_eq!(serde_json::from_str::<Nb101Arch>(&json).unwrap(), a);
    assert!(serde_json::from_str::<Nb101Arch>("\"01;x\"").is_err());
}

// ---------------------------------------------------------------------------------------------
// Sampling, mutation, neighbourhoods

#[test]
fn sampling_covers_the_space_and_hits_the_benchmark() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = 20_000;
    let mut op_counts = [[0usize; 3]; 7];
    let mut edge_counts = [[0usize; 7]; 7];
    let mut distinct = HashSet::new();
    let mut in_data = 0usize;
    for _ in 0..n {
        let a = Nb101Arch::sample(&mut rng);
        assert_eq!(a.n(), 7);
        assert!(a.is_valid());
        for v in 1..6 {
            op_counts[v][a.op(v).unwrap().interior_index().unwrap()] += 1;
        }
        for i in 0..7 {
            for j in i + 1..7 {
                edge_counts[i][j] += a.edge(i, j) as usize;
            }
        }
        let h = a.arch_hash();
        distinct.insert(h);
        in_data += data_hashes().contains(&h) as usize;
    }
    for v in 1..6 {
        for k in 0..3 {
            // interior ops are uniform
            let f = op_counts[v][k] as f64 / n as f64;
            assert!((f - 1.0 / 3.0).abs() < 0.03, "vertex {v} op {k}: {f}");
        }
    }
    for i in 0..7 {
        for j in i + 1..7 {
            let c = edge_counts[i][j];
            assert!(c > 0 && c < n, "edge {i}->{j} always {c}");
        }
    }
    // Uniform over valid *raw* specs is far from uniform over graphs: many raw specs prune to
    // the same small graph. NASLib's sampler (transcribed to Python, 20000 draws) gives 4625
    // distinct graphs.
    assert!((4000..5300).contains(&distinct.len()), "{}", distinct.len());
    // The data file is a hash-random 20001 / 423624 = 4.72% of NB101: every sampled valid cell
    // is an NB101 graph, so about that share of the distinct sampled graphs is found there.
    let distinct_in = distinct
        .iter()
        .filter(|h| data_hashes().contains(h))
        .count();
    let share = distinct_in as f64 / distinct.len() as f64;
    assert!((0.03..0.075).contains(&share), "share in data {share}");
    // Per draw the share is higher: the most frequent small graphs are in the file.
    assert!(in_data > distinct_in);
}

#[test]
fn mutation_yields_valid_new_architectures() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for quirks in [Quirks::Faithful, Quirks::Fixed] {
        let (mut changed_hash, mut same_raw, mut isomorph, mut total) = (0, 0, 0, 0);
        for r in rows().iter().take(2000) {
            let parent = arch(&r.matrix, &r.ops);
            let child = parent.mutate(&mut rng, quirks);
            assert_eq!(child.n(), 7);
            child.validate().unwrap();
            total += 1;
            if child.arch_hash() != parent.arch_hash() {
                changed_hash += 1;
            } else if child == parent.padded() {
                same_raw += 1; // NASLib's own no-op outcome (e.g. flip, flip)
            } else {
                isomorph += 1; // a different raw spec of the same graph
            }
        }
        let frac = changed_hash as f64 / total as f64;
        assert!(
            frac > 0.95,
            "{quirks}: only {frac} of mutants change the hash"
        );
        assert!(
            same_raw + isomorph < total / 20,
            "{quirks}: {same_raw} {isomorph}"
        );
        assert_eq!(changed_hash + same_raw + isomorph, total);
    }
}

#[test]
fn faithful_mutation_keeps_matrix_or_its_complement() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut complements = 0;
    for r in rows().iter().take(500) {
        let p = arch(&r.matrix, &r.ops).padded();
        let c = p.mutate(&mut rng, Quirks::Faithful);
        let pm = p.row_bits();
        let cm = c.row_bits();
        let is_same = pm == cm;
        let is_complement = (0..6).all(|i| {
            let upper = (0x7fu8 >> (i + 1)) << (i + 1);
            cm[i] == pm[i] ^ upper
        });
        assert!(is_same || is_complement, "{p} -> {c}");
        complements += is_complement as usize;
        if is_same {
            // only op changes happened: every interior op is a conv/pool op
            assert!(c.ops()[1..6].iter().all(|o| o.is_interior()));
        }
    }
    // The complement of a data cell is usually valid, so about half the mutants are it.
    assert!((150..350).contains(&complements), "{complements}");
}

#[test]
fn fixed_mutation_changes_little() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut flips = 0usize;
    let n = 1000;
    for r in rows().iter().take(n) {
        let p = arch(&r.matrix, &r.ops).padded();
        let c = p.mutate(&mut rng, Quirks::Fixed);
        let d: u32 = (0..7)
            .map(|i| (p.row_bits()[i] ^ c.row_bits()[i]).count_ones())
            .sum();
        flips += d as usize;
        assert_eq!(c.op(0), Some(IN));
        assert_eq!(c.op(6), Some(OUT));
    }
    // 21 * 1/7 = 3 flips expected before the validity filter.
    let mean = flips as f64 / n as f64;
    assert!((1.0..4.0).contains(&mean), "{mean}");
}

#[test]
fn mutating_an_invalid_parent_samples() {
    let bad = arch("0000", "input,output");
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for q in [Quirks::Faithful, Quirks::Fixed] {
        assert!(bad.mutate(&mut rng, q).is_valid());
    }
}

fn single_difference(p: &Nb101Arch, c: &Nb101Arch) -> bool {
    let edge_diff: u32 = (0..7)
        .map(|i| (p.row_bits()[i] ^ c.row_bits()[i]).count_ones())
        .sum();
    let op_diff = (0..7).filter(|&v| p.op(v) != c.op(v)).count() as u32;
    edge_diff + op_diff == 1
}

#[test]
fn neighbourhoods_match_naslib_get_nbhd() {
    let a = cell_a();
    let nb = a.neighbours();
    // 5 used interior vertices x 2 ops + 9 removable edges; no addition stays <= 9 edges.
    assert_eq!(nb.len(), 19);
    let b = cell_b();
    // 4 used interior vertices x 2 + 9 removals; edges to/from the padding vertex are unused.
    assert_eq!(b.neighbours().len(), 17);
    // Totals over the first 300 data rows, from NASLib's get_nbhd (transcribed).
    let total: usize = rows()
        .iter()
        .take(300)
        .map(|r| arch(&r.matrix, &r.ops).neighbours().len())
        .sum();
    assert_eq!(total, 6182);
    for r in rows().iter().take(300) {
        let p = arch(&r.matrix, &r.ops);
        let h = p.arch_hash();
        let nbs = p.neighbours();
        let set: HashSet<_> = nbs.iter().collect();
        assert_eq!(set.len(), nbs.len());
        for c in &nbs {
            assert!(c.is_valid());
            assert!(single_difference(&p.padded(), c), "{p} -> {c}");
            assert_ne!(c.arch_hash(), h, "{p} -> {c}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests

fn arb_arch() -> impl Strategy<Value = Nb101Arch> {
    (
        2usize..=7,
        any::<u32>(),
        prop::collection::vec(0usize..5, 7),
    )
        .prop_map(|(n, bits, ops)| {
            let mut rows = [0u8; 7];
            let mut k = 0;
            for (i, row) in rows.iter_mut().enumerate().take(n) {
                for j in i + 1..n {
                    if bits >> (k % 32) & 1 == 1 {
                        *row |= 1 << j;
                    }
                    k += 1;
                }
            }
            let mut o: Vec<Nb101Op> = ops[..n].iter().map(|&i| Nb101Op::ALL[i]).collect();
            o[0] = IN;
            o[n - 1] = OUT;
            Nb101Arch::from_bits(n, rows, &o).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_form_round_trips(a in arb_arch()) {
        let s = a.to_string();
        let b: Nb101Arch = s.parse().unwrap();
        prop_assert_eq!(a, b);
        let (m, o) = s.split_once(';').unwrap();
        prop_assert_eq!(Nb101Arch::from_matrix_ops(m, o).unwrap(), a);
        prop_assert_eq!(b.arch_hash(), a.arch_hash());
        let h: ArchHash = a.arch_hash().to_string().parse().unwrap();
        prop_assert_eq!(h, a.arch_hash());
    }

    #[test]
    fn pruning_and_padding_keep_the_hash(a in arb_arch()) {
        if let Ok(p) = a.pruned() {
            prop_assert_eq!(p.arch_hash(), a.arch_hash());
            prop_assert_eq!(p.pruned().unwrap(), p);
            prop_assert_eq!(a.padded().arch_hash(), a.arch_hash());
            prop_assert_eq!(a.padded().is_valid(), a.is_valid());
        } else {
            prop_assert!(a.validate().is_err());
        }
        for kind in EncodingKind::ALL {
            if let Ok(e) = a.encode(kind, Quirks::Faithful) {
                prop_assert!(matches_shape(SpaceKind::Nb101, kind, &e));
            } else {
                prop_assert!(matches!(kind, EncodingKind::AdjacencyOneHot | EncodingKind::Path));
            }
        }
    }

    #[test]
    fn relabelling_interior_vertices_keeps_the_hash(a in arb_arch(), perm_seed in any::<u64>()) {
        // Apply a random permutation of the interior vertices; when the result is still upper
        // triangular it is an isomorphic spec and must hash the same.
        let n = a.n();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut s = perm_seed;
        for i in (2..n.saturating_sub(1)).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = 1 + (s >> 33) as usize % i;
            perm.swap(i, j);
        }
        let mut m = vec![vec![0u8; n]; n];
        let mut upper = true;
        for i in 0..n {
            for j in 0..n {
                if a.edge(i, j) {
                    let (pi, pj) = (perm[i], perm[j]);
                    upper &= pi < pj;
                    m[pi][pj] = 1;
                }
            }
        }
        let mut ops = vec![IN; n];
        for v in 0..n { ops[perm[v]] = a.op(v).unwrap(); }
        if upper {
            let b = Nb101Arch::new(&m, &ops).unwrap();
            prop_assert_eq!(b.arch_hash(), a.arch_hash());
        }
    }

    #[test]
    fn mutation_keeps_validity(seed in any::<u64>(), faithful in any::<bool>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let parent = Nb101Arch::sample(&mut rng);
        let q = if faithful { Quirks::Faithful } else { Quirks::Fixed };
        let child = parent.mutate(&mut rng, q);
        prop_assert!(child.validate().is_ok());
        prop_assert_eq!(child.n(), 7);
        for nb in parent.neighbours() {
            prop_assert!(nb.is_valid());
            prop_assert_ne!(nb.arch_hash(), parent.arch_hash());
        }
    }

    #[test]
    fn parsers_never_panic(s in ".{0,80}") {
        let _ = s.parse::<Nb101Arch>();
        let _ = s.parse::<Nb101Op>();
        let _ = s.parse::<ArchHash>();
        if let Some((m, o)) = s.split_once(';') {
            let _ = Nb101Arch::from_matrix_ops(m, o);
        }
        let _ = Nb101Arch::from_matrix_ops(&s, &s);
    }

    #[test]
    fn near_miss_strings_never_panic(
        digits in "[01]{0,50}",
        ops in prop::collection::vec(
            prop::sample::select(vec!["input", "output", "conv3x3-bn-relu", "conv1x1-bn-relu",
                                      "maxpool3x3", "", "conv"]), 0..9),
        sep in prop::sample::select(vec![";", ",", ";;", " ; "]),
    ) {
        let text = format!("{digits}{sep}{}", ops.join(","));
        if let Ok(a) = text.parse::<Nb101Arch>() {
            prop_assert_eq!(a.to_string().parse::<Nb101Arch>().unwrap(), a);
            let _ = a.validate();
            let _ = a.arch_hash();
            let _ = a.neighbours();
            for kind in EncodingKind::ALL {
                let _ = a.encode(kind, Quirks::Faithful);
            }
        }
    }
}

#[test]
fn encodings_expose_their_kind() {
    let a = cell_a();
    assert!(matches!(
        a.encode(EncodingKind::Gcn, Quirks::Faithful).unwrap(),
        Encoding::Graph(_)
    ));
    assert!(matches!(
        a.encode(EncodingKind::Seminas, Quirks::Faithful).unwrap(),
        Encoding::Tokens(_)
    ));
}
