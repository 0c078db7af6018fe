//! NAS-Bench-NLP space: conversion of the benchmark's real recepies, text forms, hashing and
//! NASLib's encodings (expected values worked out from NASLib's `nasbenchnlp/conversions.py`
//! and `encodings.py`, and cross-checked with a Python transcription of those functions).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};

use md5::{Digest, Md5};
use naspred_spaces::encoding::matches_shape;
use naspred_spaces::nlp::{NlpArch, Recepie, ADJACENCY_ONE_HOT_LEN, SEMINAS_LEN};
use naspred_spaces::{encoding_shape, Architecture, EncodingKind, Quirks, SpaceError, SpaceKind};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

mod common;
use common::open_data;

#[derive(Deserialize)]
struct Record {
    recepie_id: u64,
    status: String,
    recepie: Recepie,
}

fn records() -> Vec<Record> {
    BufReader::new(open_data("nlp/wikitext2_logs.jsonl.gz"))
        .lines()
        .map(|l| {
            // The logs hold bare NaN losses (not JSON); the recepies never contain "NaN".
            let line = l.expect("read line").replace("NaN", "null");
            serde_json::from_str(&line).expect("parse record")
        })
        .collect()
}

fn archs(recs: &[Record]) -> Vec<NlpArch> {
    recs.iter()
        .map(|r| {
            NlpArch::from_recepie(&r.recepie, Quirks::Faithful)
                .unwrap_or_else(|e| panic!("record {}: {e}", r.recepie_id))
        })
        .collect()
}

fn md5_hex(text: &str) -> String {
    let d: [u8; 16] = Md5::digest(text.as_bytes()).into();
    d.iter().map(|b| format!("{b:02x}")).collect()
}

const FIRST: &str = "(((0, 4), (1, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (5,))";

#[test]
fn all_records_convert() {
    let recs = records();
    assert_eq!(recs.len(), 345);
    assert_eq!(recs.iter().filter(|r| r.status == "OK").count(), 341);
    let a = archs(&recs);
    // Every benchmark cell fits NASLib's 25-node limit; sizes range from 6 to 19 nodes.
    assert_eq!(a.iter().filter(|x| x.fits_encoding()).count(), 345);
    assert_eq!(a.iter().map(|x| x.num_nodes()).min(), Some(6));
    assert_eq!(a.iter().map(|x| x.num_nodes()).max(), Some(19));
    let mut hist: HashMap<usize, usize> = HashMap::new();
    for x in &a {
        *hist.entry(x.num_nodes()).or_default() += 1;
    }
    assert_eq!(hist[&6], 12);
    assert_eq!(hist[&12], 52);
    assert_eq!(hist[&19], 1);
    // Every cell's last node is a hidden state (this is what triggers QUIRK
    // nlp-padding-hidden-flag for every benchmark cell).
    assert!(a.iter().all(|x| x.is_hidden(x.num_nodes() - 1)));
    // Digest of all compact triples, in file order, as Python's str() of NASLib's tuples
    // joined by newlines (computed with a transcription of convert_recipe_to_compact).
    let joined: Vec<String> = a.iter().map(|x| x.to_string()).collect();
    assert_eq!(
        md5_hex(&joined.join("\n")),
        "10f317bc0406c3d4eedb1d6b2a0667cb"
    );
}

#[test]
fn first_record_compact_and_hash() {
    let recs = records();
    assert_eq!(recs[0].recepie_id, 1000000);
    let a = NlpArch::from_recepie(&recs[0].recepie, Quirks::Faithful).unwrap();
    // f = linear(x, h_prev_0) -> node 4; h_new_0 = tanh(f) -> node 5.
    assert_eq!(a.edges(), &[(0, 4), (1, 4), (4, 5)]);
    assert_eq!(a.ops(), &[0, 0, 0, 0, 6, 2]);
    assert_eq!(a.hidden_nodes(), &[5]);
    assert_eq!(a.num_nodes(), 6);
    assert_eq!(a.num_edges(), 3);
    assert_eq!(a.to_string(), FIRST);
    // hashlib.md5(str(compact).encode()).hexdigest()
    assert_eq!(
        a.arch_hash().to_string(),
        "424a6ab892702d350bd018c929307b0e"
    );
    assert_eq!(FIRST.parse::<NlpArch>().unwrap(), a);
    let direct = NlpArch::from_recepie_json(
        r#"{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}"#,
    )
    .unwrap();
    assert_eq!(direct, a);
}

#[test]
fn reordered_and_special_records() {
    let recs = records();
    let a = archs(&recs);
    // Record 164 reads h_new_0 before it is defined: NASLib moves nodes to the end.
    assert_eq!(recs[164].recepie_id, 1006170);
    assert_eq!(
        a[164].to_string(),
        "(((2, 4), (1, 4), (4, 5), (1, 6), (0, 6), (6, 7), (2, 8), (0, 8), (8, 9), (2, 10), \
         (7, 10), (10, 11), (11, 12), (9, 12), (5, 12), (12, 13)), \
         (0, 0, 0, 0, 6, 3, 6, 2, 6, 1, 6, 1, 6, 1), (11, 13))"
    );
    assert_eq!(recs[165].recepie_id, 1006268);
    assert_eq!(
        a[165].to_string(),
        "(((0, 4), (2, 4), (4, 5), (2, 6), (1, 6), (6, 7), (5, 8), (1, 8), (8, 9), (0, 10), \
         (7, 10), (10, 11), (11, 12), (9, 12)), (0, 0, 0, 0, 6, 3, 6, 1, 6, 2, 6, 3, 5), (10, 12))"
    );
    // The largest cell.
    assert_eq!(recs[338].recepie_id, 1013732);
    assert_eq!(
        a[338].to_string(),
        "(((0, 4), (3, 4), (4, 5), (3, 6), (1, 6), (6, 7), (2, 7), (5, 7), (1, 8), (4, 8), \
         (8, 9), (6, 9), (7, 9), (0, 10), (3, 10), (4, 11), (9, 11), (10, 12), (12, 13), (5, 13), \
         (13, 14), (5, 15), (12, 15), (15, 16), (16, 17), (14, 17), (17, 18)), \
         (0, 0, 0, 0, 6, 2, 4, 7, 4, 7, 6, 5, 3, 6, 1, 6, 2, 6, 1), (11, 12, 18))"
    );
    // The LSTM baseline: names containing "h_new" all count as hidden (QUIRK
    // nlp-hidden-substring); the fixed rule keeps only h_new_1 (14) and h_new_0 (16).
    assert_eq!(recs[1].recepie_id, 1000001);
    assert_eq!(
        a[1].to_string(),
        "(((0, 4), (1, 4), (4, 5), (0, 6), (1, 6), (6, 7), (0, 8), (1, 8), (8, 9), (0, 10), \
         (1, 10), (10, 11), (9, 12), (2, 12), (5, 13), (7, 13), (12, 14), (13, 14), (14, 15), \
         (15, 16), (11, 16)), (0, 0, 0, 0, 6, 2, 6, 1, 6, 1, 6, 2, 5, 5, 4, 2, 5), \
         (12, 13, 14, 15, 16))"
    );
    let fixed = NlpArch::from_recepie(&recs[1].recepie, Quirks::Fixed).unwrap();
    assert_eq!(fixed.hidden_nodes(), &[14, 16]);
    assert_eq!(fixed.edges(), a[1].edges());
    assert_eq!(fixed.ops(), a[1].ops());
}

#[test]
fn round_trips_on_data() {
    let recs = records();
    for (r, a) in recs.iter().zip(archs(&recs)) {
        // Compact text form.
        let text = a.to_string();
        assert_eq!(text.parse::<NlpArch>().unwrap(), a, "{text}");
        // NASLib's mutable list form and extra whitespace are accepted too.
        let listy = text
            .replace('(', "[")
            .replace(')', "]")
            .replace(", ", " ,  ");
        assert_eq!(listy.parse::<NlpArch>().unwrap(), a, "{listy}");
        // Original recepie written back as JSON (order kept) -> same triple, via both entries.
        let json = r.recepie.to_json();
        assert_eq!(NlpArch::from_recepie_json(&json).unwrap(), a);
        assert_eq!(json.parse::<NlpArch>().unwrap(), a);
        assert_eq!(
            serde_json::to_string(&r.recepie)
                .unwrap()
                .parse::<NlpArch>()
                .unwrap(),
            a
        );
        // Compact -> regenerated recepie -> compact.
        let back = a.to_recepie_json();
        assert_eq!(NlpArch::from_recepie_json(&back).unwrap(), a, "{back}");
        assert!(a.validate().is_ok());
    }
}

#[test]
fn regenerated_recepie_names() {
    let a: NlpArch = FIRST.parse().unwrap();
    assert_eq!(
        a.to_recepie_json(),
        r#"{"node_0": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}"#
    );
}

#[test]
fn hashes_and_duplicates() {
    let recs = records();
    let a = archs(&recs);
    let compact: HashSet<String> = a.iter().map(|x| x.to_string()).collect();
    let hashes: HashSet<_> = a.iter().map(|x| x.arch_hash()).collect();
    let recepies: HashSet<String> = recs.iter().map(|r| r.recepie.to_json()).collect();
    // 345 records: 291 distinct recepies, 277 distinct compact triples (14 recepies differ from
    // another only in intermediate node names), one hash per compact triple.
    assert_eq!(recepies.len(), 291);
    assert_eq!(compact.len(), 277);
    assert_eq!(hashes.len(), 277);
    for x in &a {
        assert_eq!(x.arch_hash().to_string(), md5_hex(&x.to_string()));
    }
    // 53 compact triples occur more than once (68 extra records).
    let mut count: HashMap<String, usize> = HashMap::new();
    for x in &a {
        *count.entry(x.to_string()).or_default() += 1;
    }
    assert_eq!(count.values().filter(|&&c| c > 1).count(), 53);
    assert_eq!(count.values().map(|c| c - 1).sum::<usize>(), 68);
    // Records 0, 86, 93: the first is named f/h_new_0, the others node_0/h_new_0.
    assert_ne!(recs[0].recepie.to_json(), recs[86].recepie.to_json());
    assert_eq!(a[0].arch_hash(), a[86].arch_hash());
    assert_eq!(a[0].arch_hash(), a[93].arch_hash());
}

fn ones(v: &[f32]) -> Vec<usize> {
    v.iter()
        .enumerate()
        .filter(|(_, &x)| x != 0.0)
        .map(|(i, &x)| {
            assert_eq!(x, 1.0);
            i
        })
        .collect()
}

#[test]
fn first_record_adjacency_one_hot() {
    let a: NlpArch = FIRST.parse().unwrap();
    let e = a
        .encode(EncodingKind::AdjacencyOneHot, Quirks::Faithful)
        .unwrap();
    let v = e.as_dense().unwrap();
    assert_eq!(v.len(), 910);
    // Adjacency: 0->4, 1->4, and 4->5 with the last node 5 moved to 25.
    let mut want = vec![4, 26 + 4, 4 * 26 + 25];
    // Ops: node i's block starts at 676 + 9 i: 8 op bits then the hidden flag.
    for i in 0..26 {
        let op = match i {
            4 => 6,  // linear
            25 => 2, // tanh (the moved last node)
            _ => 0,  // inputs and padding: op 0 'in'
        };
        want.push(676 + 9 * i + op);
        // Hidden flags: at 25 (moved h_new_0) and, faithfully, at the padding position 5.
        if i == 5 || i == 25 {
            want.push(676 + 9 * i + 8);
        }
    }
    want.sort();
    assert_eq!(ones(v), want);
    // Python transcription gave exactly these 31 positions.
    assert_eq!(want.len(), 31);
    assert_eq!(
        &want[..10],
        &[4, 30, 129, 676, 685, 694, 703, 718, 721, 729]
    );
    assert_eq!(&want[want.len() - 2..], &[903, 909]);

    let fixed = a
        .encode(EncodingKind::AdjacencyOneHot, Quirks::Fixed)
        .unwrap();
    let mut want_fixed = want.clone();
    want_fixed.retain(|&i| i != 676 + 9 * 5 + 8);
    assert_eq!(ones(fixed.as_dense().unwrap()), want_fixed);
}

#[test]
fn first_record_gcn() {
    let a: NlpArch = FIRST.parse().unwrap();
    let e = a.encode(EncodingKind::Gcn, Quirks::Faithful).unwrap();
    let g = e.as_graph().unwrap();
    assert_eq!((g.nodes, g.features, g.num_vertices), (26, 8, 25));
    let mut edges = Vec::new();
    for i in 0..26 {
        for j in 0..26 {
            if g.adj(i, j) != 0.0 {
                assert_eq!(g.adj(i, j), 1.0);
                edges.push((i, j));
            }
        }
    }
    assert_eq!(edges, vec![(0, 4), (1, 4), (4, 25)]);
    for i in 0..26 {
        let want = match i {
            4 => 6,
            25 => 2,
            _ => 0,
        };
        for f in 0..8 {
            assert_eq!(
                g.feature(i, f),
                (f == want) as u8 as f32,
                "node {i} feature {f}"
            );
        }
    }
    assert_eq!(e, a.encode(EncodingKind::Gcn, Quirks::Fixed).unwrap());
}

#[test]
fn first_record_seminas() {
    let a: NlpArch = FIRST.parse().unwrap();
    let e = a.encode(EncodingKind::Seminas, Quirks::Faithful).unwrap();
    let t = e.as_tokens().unwrap();
    // Column j = 1..=24: A[i][j] + 1 for i < j, then (op + 1) + 2. Column 4 (the linear node)
    // has inputs 0 and 1 and op 6; every other column is unconnected padding/input with op 0.
    // Column 25 (the moved tanh node) is not part of NASLib's sequence.
    let mut want: Vec<u32> = Vec::new();
    for col in 1..25 {
        for row in 0..col {
            want.push(if col == 4 && row < 2 { 2 } else { 1 });
        }
        want.push(if col == 4 { 9 } else { 3 });
    }
    assert_eq!(want.len(), 324);
    assert_eq!(&want[..14], &[1, 3, 1, 1, 3, 1, 1, 1, 3, 2, 2, 1, 1, 9]);
    assert_eq!(t, &want[..]);
    assert_eq!(t.len(), SEMINAS_LEN);
}

#[test]
fn encodings_on_data() {
    let recs = records();
    let a = archs(&recs);
    let mut adj_text = String::new();
    let mut seq_text: Vec<String> = Vec::new();
    let mut adj_sum = 0.0f64;
    for x in &a {
        for kind in EncodingKind::ALL {
            for q in [Quirks::Faithful, Quirks::Fixed] {
                match encoding_shape(SpaceKind::Nlp, kind) {
                    Some(_) => {
                        let e = x.encode(kind, q).unwrap();
                        assert!(matches_shape(SpaceKind::Nlp, kind, &e), "{kind} {x}");
                    }
                    None => assert!(matches!(
                        x.encode(kind, q),
                        Err(SpaceError::UnsupportedEncoding { .. })
                    )),
                }
            }
        }
        let adj = x
            .encode(EncodingKind::AdjacencyOneHot, Quirks::Faithful)
            .unwrap();
        let adj = adj.as_dense().unwrap();
        assert_eq!(adj.len(), ADJACENCY_ONE_HOT_LEN);
        adj_sum += adj.iter().map(|&v| v as f64).sum::<f64>();
        for &v in adj {
            adj_text.push(if v == 1.0 { '1' } else { '0' });
        }
        // Faithful and fixed differ only in the padding node's hidden flag.
        let fixed = x
            .encode(EncodingKind::AdjacencyOneHot, Quirks::Fixed)
            .unwrap();
        let diff: Vec<usize> = adj
            .iter()
            .zip(fixed.as_dense().unwrap())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(diff, vec![676 + 9 * (x.num_nodes() - 1) + 8]);
        let seq = x.encode(EncodingKind::Seminas, Quirks::Faithful).unwrap();
        seq_text.push(
            seq.as_tokens()
                .unwrap()
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    // Digests of NASLib's encodings of all 345 cells (Python transcription of encode_adj with
    // one_hot=True and of convert_arch_to_seq(encode_seminas(...), max_n=25)).
    assert_eq!(adj_sum, 13962.0);
    assert_eq!(md5_hex(&adj_text), "1f396c4671521e4a39e27a9cd51bda62");
    assert_eq!(
        md5_hex(&seq_text.join(",")),
        "f5c946bf5e25d352425021434d0a2ad4"
    );
}

/// A chain x -> 4 -> 5 -> ... -> n-1 of linear/tanh nodes; the last node is the hidden state.
fn chain(n: usize) -> NlpArch {
    let mut edges = vec![(0, 4), (1, 4)];
    edges.extend((5..n).map(|c| (c - 1, c)));
    let mut ops = vec![0u8; 4];
    ops.extend((4..n).map(|i| if i == 4 { 6 } else { 2 }));
    NlpArch::from_compact(&edges, &ops, &[n - 1]).unwrap()
}

#[test]
fn node_limit() {
    let ok = chain(25);
    assert!(ok.fits_encoding());
    for kind in [
        EncodingKind::AdjacencyOneHot,
        EncodingKind::Gcn,
        EncodingKind::Seminas,
    ] {
        assert!(matches_shape(
            SpaceKind::Nlp,
            kind,
            &ok.encode(kind, Quirks::Faithful).unwrap()
        ));
    }
    // With 25 nodes the last node is 24; nothing is padding except position 24 itself.
    let g = ok.encode(EncodingKind::Gcn, Quirks::Faithful).unwrap();
    assert_eq!(g.as_graph().unwrap().adj(23, 25), 1.0);
    let big = chain(26);
    assert_eq!(big.num_nodes(), 26);
    assert!(!big.fits_encoding());
    for kind in [
        EncodingKind::AdjacencyOneHot,
        EncodingKind::Gcn,
        EncodingKind::Seminas,
    ] {
        match big.encode(kind, Quirks::Faithful) {
            Err(SpaceError::Invalid { space, reason }) => {
                assert_eq!(space, SpaceKind::Nlp);
                assert!(reason.contains("26 nodes"), "{reason}");
            }
            other => panic!("expected an error, got {other:?}"),
        }
    }
    // Large cells still have text forms, hashes and recepies.
    assert_eq!(big.to_string().parse::<NlpArch>().unwrap(), big);
    assert_eq!(
        NlpArch::from_recepie_json(&big.to_recepie_json()).unwrap(),
        big
    );
}

#[test]
fn invalid_compacts() {
    let cases = [
        ("((), (0, 0, 0, 0), ())", "at least one more node"),
        ("(((0, 4),), (0, 0, 0, 0, 6), ())", "no hidden"),
        ("(((0, 4),), (0, 0, 0, 0, 9), (4,))", "op 9"),
        ("(((0, 4),), (0, 0, 0, 0, 0), (4,))", "op 0"),
        ("(((0, 4),), (1, 0, 0, 0, 6), (4,))", "input node 0"),
        ("(((0, 5),), (0, 0, 0, 0, 6), (4,))", "the cell has 5 nodes"),
        ("(((4, 4),), (0, 0, 0, 0, 6), (4,))", "earlier"),
        ("(((0, 3), (0, 4)), (0, 0, 0, 0, 6), (4,))", "into input"),
        (
            "(((0, 5), (0, 4)), (0, 0, 0, 0, 6, 2), (5,))",
            "out of order",
        ),
        ("(((0, 4),), (0, 0, 0, 0, 6, 2), (5,))", "no input"),
        (
            "(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (3,))",
            "hidden state 3",
        ),
        (
            "(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (5, 4))",
            "increasing",
        ),
        ("(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (6,))", "node 6"),
        ("(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 2))", "three parts"),
        ("(((0, 4, 1), (4, 5)), (0, 0, 0, 0, 6, 2), (5,))", "pair"),
        ("(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 300), (5,))", "op 300"),
        ("(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (5,)) x", "trailing"),
        ("(((0, 4), (4, 5)), (0, 0, 0, 0, 6, -2), (5,))", "negative"),
        ("(((0, 4), (4, 5)), (0, 0, 0, 0, 6, 2), (5,)", "unclosed"),
        ("(((0, 4], (4, 5)), (0, 0, 0, 0, 6, 2), (5,))", "expected"),
        ("((((0,),), (4, 5)), (0, 0, 0, 0, 6, 2), (5,))", "too deep"),
        (
            "(((0, 99999999999999999999),), (0, 0, 0, 0, 6), (4,))",
            "too large",
        ),
        ("linear", "expected a compact triple"),
        ("", "expected a compact triple"),
    ];
    for (text, want) in cases {
        match text.parse::<NlpArch>() {
            Err(e @ SpaceError::Parse { .. }) => {
                assert!(e.to_string().contains(want), "{text:?}: {e}")
            }
            other => panic!("{text:?}: expected a parse error, got {other:?}"),
        }
    }
    // from_compact reports validity errors as such.
    assert!(matches!(
        NlpArch::from_compact(&[(0, 4)], &[0, 0, 0, 0, 6], &[9]),
        Err(SpaceError::Invalid { .. })
    ));
}

#[test]
fn invalid_recepies() {
    let cases = [
        (r#"{}"#, "no nodes"),
        (
            r#"{"h_new_0": {"op": "conv", "input": ["x"]}}"#,
            "unknown op",
        ),
        (r#"{"h_new_0": {"op": "in", "input": ["x"]}}"#, "op 0"),
        (
            r#"{"h_new_0": {"op": "linear", "input": ["y"]}}"#,
            "neither",
        ),
        (r#"{"h_new_0": {"op": "linear", "input": []}}"#, "no input"),
        (r#"{"a": {"op": "linear", "input": ["x"]}}"#, "no hidden"),
        (
            r#"{"x": {"op": "linear", "input": ["h_prev_0"]}}"#,
            "reserved",
        ),
        (
            r#"{"h_new_0": {"op": "linear", "input": ["x"]}, "h_new_0": {"op": "linear", "input": ["x"]}}"#,
            "duplicate",
        ),
        (
            r#"{"h_new_0": {"op": "linear", "input": ["h_new_0"]}}"#,
            "earlier",
        ),
        (
            r#"{"a": {"op": "linear", "input": ["b"]}, "b": {"op": "linear", "input": ["a"]}, "h_new_0": {"op": "linear", "input": ["x"]}}"#,
            "cycle",
        ),
        (
            r#"{"h_new_0": {"op": "linear", "inputs": ["x"]}}"#,
            "unknown field",
        ),
        (
            r#"{"h_new_0": {"op": "linear", "input": "x"}}"#,
            "invalid type",
        ),
        (r#"{"h_new_0": [1, 2]}"#, "invalid type"),
        (r#"{"h_new_0": {"op": "linear", "input": ["x"]}"#, "EOF"),
        (r#"[1, 2]"#, "invalid type"),
    ];
    for (text, want) in cases {
        match NlpArch::from_recepie_json(text) {
            Err(e @ SpaceError::Parse { .. }) => {
                assert!(e.to_string().contains(want), "{text}: {e}")
            }
            other => panic!("{text}: expected a parse error, got {other:?}"),
        }
    }
    // A self-loop is rejected even though NASLib's conversion would accept it.
    assert!(
        r#"{"h_new_0": {"op": "linear", "input": ["x", "h_new_0"]}}"#
            .parse::<NlpArch>()
            .is_err()
    );
    // The ordering does not depend on names, only on the key order.
    let a = NlpArch::from_recepie_json(
        r#"{"h_new_0": {"op": "elementwise_sum", "input": ["b", "a"]}, "a": {"op": "linear", "input": ["x"]}, "b": {"op": "activation_sigm", "input": ["a"]}}"#,
    )
    .unwrap();
    // Walk: h_new_0 (needs b) -> end; a -> 4; b -> 5; h_new_0 -> 6.
    assert_eq!(
        a.to_string(),
        "(((0, 4), (4, 5), (5, 6), (4, 6)), (0, 0, 0, 0, 6, 1, 4), (6,))"
    );
}

/// A random valid cell of `5..=30` nodes built from a seed.
fn random_arch(seed: u64) -> NlpArch {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rng.random_range(5..=30usize);
    let mut edges = Vec::new();
    let mut ops = vec![0u8; 4];
    for c in 4..n {
        ops.push(rng.random_range(1..=7u8));
        let k = rng.random_range(1..=3usize);
        for _ in 0..k {
            edges.push((rng.random_range(0..c), c));
        }
    }
    let mut hiddens: Vec<usize> = (4..n - 1).filter(|_| rng.random_bool(0.2)).collect();
    if rng.random_bool(0.8) || hiddens.is_empty() {
        hiddens.push(n - 1);
    }
    NlpArch::from_compact(&edges, &ops, &hiddens).expect("random cell is valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic(s in ".{0,200}") {
        let _ = s.parse::<NlpArch>();
        let _ = NlpArch::from_recepie_json(&s);
        let _ = NlpArch::from_recepie_json_with(&s, Quirks::Fixed);
        let _ = Recepie::from_json(&s);
    }

    #[test]
    fn structured_garbage_never_panics(s in r"[\(\)\[\],0-9 \-{}]{0,120}") {
        let _ = s.parse::<NlpArch>();
    }

    #[test]
    fn edited_text_never_panics(seed in any::<u64>(), pos in any::<usize>(), c in any::<char>(), cut in any::<bool>()) {
        let a = random_arch(seed);
        for text in [a.to_string(), a.to_recepie_json()] {
            let mut chars: Vec<char> = text.chars().collect();
            let p = pos % (chars.len() + 1);
            if cut && p < chars.len() { chars.remove(p); } else { chars.insert(p, c); }
            let edited: String = chars.into_iter().collect();
            let _ = edited.parse::<NlpArch>();
        }
    }

    #[test]
    fn compact_text_round_trip(seed in any::<u64>()) {
        let a = random_arch(seed);
        let text = a.to_string();
        prop_assert_eq!(text.parse::<NlpArch>().unwrap(), a.clone());
        prop_assert_eq!(a.arch_hash().to_string(), md5_hex(&text));
        let back = NlpArch::from_recepie_json(&a.to_recepie_json()).unwrap();
        prop_assert_eq!(&back, &a);
        prop_assert!(a.validate().is_ok());
        for kind in EncodingKind::ALL {
            let e = a.encode(kind, Quirks::Faithful);
            match (encoding_shape(SpaceKind::Nlp, kind), a.fits_encoding()) {
                (Some(_), true) => prop_assert!(matches_shape(SpaceKind::Nlp, kind, &e.unwrap())),
                (Some(_), false) => {
                    let ok = matches!(e, Err(SpaceError::Invalid { .. }));
                    prop_assert!(ok)
                }
                (None, _) => {
                    let ok = matches!(e, Err(SpaceError::UnsupportedEncoding { .. }));
                    prop_assert!(ok)
                }
            }
        }
    }

    #[test]
    fn distinct_compacts_distinct_hashes(s1 in any::<u64>(), s2 in any::<u64>()) {
        let (a, b) = (random_arch(s1), random_arch(s2));
        prop_assert_eq!(a == b, a.arch_hash() == b.arch_hash());
    }
}

/// Timing of conversion, hashing and encoding (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn speed() {
    use std::hint::black_box;
    use std::time::Instant;
    let recs = records();
    let jsons: Vec<String> = recs.iter().map(|r| r.recepie.to_json()).collect();
    let a = archs(&recs);
    let reps = 200;
    let time = |name: &str, per: usize, f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        let ns = t.elapsed().as_nanos() as f64 / (reps * per) as f64;
        println!("{name}: {ns:.0} ns/arch");
    };
    time("from_recepie_json", jsons.len(), &mut || {
        for j in &jsons {
            black_box(NlpArch::from_recepie_json(j).unwrap());
        }
    });
    let texts: Vec<String> = a.iter().map(|x| x.to_string()).collect();
    time("parse compact", texts.len(), &mut || {
        for t in &texts {
            black_box(t.parse::<NlpArch>().unwrap());
        }
    });
    time("arch_hash", a.len(), &mut || {
        for x in &a {
            black_box(x.arch_hash());
        }
    });
    for kind in [
        EncodingKind::AdjacencyOneHot,
        EncodingKind::Gcn,
        EncodingKind::Seminas,
    ] {
        time(kind.name(), a.len(), &mut || {
            for x in &a {
                black_box(x.encode(kind, Quirks::Faithful).unwrap());
            }
        });
    }
}
