//! Tests of the DARTS / NB301 space on NASLib's 500-architecture NB301 reference sample.

// Index loops over fixed-size count tables read more clearly here.
#![allow(clippy::needless_range_loop)]

use std::collections::HashSet;

use naspred_spaces::darts::{
    DartsArch, DartsCell, DartsOp, DartsPair, NUM_NEIGHBOURS, PATHS_PER_BLOCK,
};
use naspred_spaces::encoding::matches_shape;
use naspred_spaces::{
    encoding_shape, ArchHash, Architecture, Encoding, EncodingKind, EncodingShape, Quirks,
    Sampling, SpaceError, SpaceKind,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::open_data;

/// One row of `sample_nb301_cifar10_accuracy.csv`.
struct Row {
    compact: String,
    normal: String,
    reduce: String,
}

fn rows() -> Vec<Row> {
    let mut rdr =
        csv::Reader::from_reader(open_data("naslib_zc/sample_nb301_cifar10_accuracy.csv"));
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (c, n, r) = (col("compact"), col("normal"), col("reduce"));
    let out: Vec<Row> = rdr
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            Row {
                compact: rec[c].to_string(),
                normal: rec[n].to_string(),
                reduce: rec[r].to_string(),
            }
        })
        .collect();
    assert_eq!(out.len(), 500, "the NB301 sample has 500 rows");
    out
}

fn archs() -> Vec<DartsArch> {
    rows()
        .iter()
        .map(|r| DartsArch::from_compact_str(&r.compact).unwrap())
        .collect()
}

/// The first row of the sample:
/// normal ((0,4),(1,3),(0,2),(2,3),(2,3),(0,3),(2,6),(3,5)),
/// reduce ((0,3),(1,3),(1,1),(0,5),(2,3),(0,2),(4,4),(3,1)).
const ROW0: &str = "(((0, 4), (1, 3), (0, 2), (2, 3), (2, 3), (0, 3), (2, 6), (3, 5)), \
                    ((0, 3), (1, 3), (1, 1), (0, 5), (2, 3), (0, 2), (4, 4), (3, 1)))";

fn row0() -> DartsArch {
    DartsArch::from_compact_str(ROW0).unwrap()
}

fn ones(v: &[f32]) -> Vec<usize> {
    v.iter()
        .enumerate()
        .filter(|(_, &x)| x == 1.0)
        .map(|(i, _)| i)
        .collect()
}

/// Which single field (cell, pair, is_op) differs between two architectures, if exactly one.
fn single_difference(a: &DartsArch, b: &DartsArch) -> Option<(usize, usize, bool)> {
    let (ca, cb) = (a.to_compact(), b.to_compact());
    let mut diffs = vec![];
    for c in 0..2 {
        for j in 0..8 {
            if ca[c][j].0 != cb[c][j].0 {
                diffs.push((c, j, false));
            }
            if ca[c][j].1 != cb[c][j].1 {
                diffs.push((c, j, true));
            }
        }
    }
    (diffs.len() == 1).then(|| diffs[0])
}

// ---------------------------------------------------------------------------------------------
// Real data: parsing and text forms
// ---------------------------------------------------------------------------------------------

#[test]
fn all_rows_parse_from_both_forms_and_round_trip_exactly() {
    let mut seen = HashSet::new();
    for row in rows() {
        let a = DartsArch::from_compact_str(&row.compact).unwrap();
        let b = DartsArch::from_op_lists(&row.normal, &row.reduce).unwrap();
        assert_eq!(
            a, b,
            "compact and op~input forms disagree for {}",
            row.compact
        );
        a.validate().unwrap();
        // Exact NASLib compact string.
        assert_eq!(a.to_compact_string(), row.compact);
        // Standard form: normal;reduce.
        let standard = format!("{};{}", row.normal, row.reduce);
        assert_eq!(a.to_string(), standard);
        assert_eq!(a.normal().to_op_list_string(), row.normal);
        assert_eq!(a.reduce().to_op_list_string(), row.reduce);
        // FromStr reads both forms.
        assert_eq!(standard.parse::<DartsArch>().unwrap(), a);
        assert_eq!(row.compact.parse::<DartsArch>().unwrap(), a);
        // The fixed genotype names ops as the data's op~input lists do.
        let g = a.to_genotype(Quirks::Fixed);
        let list = |cell: &[(DartsOp, u8); 8]| {
            cell.iter()
                .map(|(op, i)| format!("{op}~{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(list(&g.normal), row.normal);
        assert_eq!(list(&g.reduce), row.reduce);
        assert_eq!(DartsArch::from_genotype(&g).unwrap(), a);
        seen.insert(a);
    }
    assert_eq!(seen.len(), 500, "the 500 sample architectures are distinct");
}

#[test]
fn every_sample_row_has_distinct_inputs_per_node() {
    for a in archs() {
        for cell in a.cells() {
            for node in 0..4 {
                assert_ne!(
                    cell.pairs()[2 * node].input,
                    cell.pairs()[2 * node + 1].input
                );
            }
        }
    }
}

#[test]
fn hash_is_injective_invertible_and_order_preserving() {
    let mut archs = archs();
    let hashes: HashSet<ArchHash> = archs.iter().map(|a| a.arch_hash()).collect();
    assert_eq!(hashes.len(), 500);
    for a in &archs {
        assert_eq!(DartsArch::from_arch_hash(a.arch_hash()).unwrap(), *a);
        // The hex form round-trips through ArchHash's FromStr.
        let h: ArchHash = a.arch_hash().to_string().parse().unwrap();
        assert_eq!(h, a.arch_hash());
    }
    archs.sort();
    for w in archs.windows(2) {
        assert!(w[0].arch_hash() < w[1].arch_hash());
        assert!(w[0].to_compact() < w[1].to_compact());
    }
    // Row 0 packed by hand: normal pairs (0,4)=0o04 ... 6 bits each.
    let groups: [u128; 16] = [
        4,
        8 + 3,
        2,
        16 + 3,
        16 + 3,
        3,
        16 + 6,
        24 + 5,
        3,
        8 + 3,
        8 + 1,
        5,
        16 + 3,
        2,
        32 + 4,
        24 + 1,
    ];
    let expected = groups.iter().fold(0u128, |h, &g| (h << 6) | g);
    assert_eq!(row0().arch_hash(), ArchHash(expected));
}

#[test]
fn compact_parser_is_tolerant_of_layout() {
    let a = row0();
    let variants = [
        ROW0.replace(' ', ""),
        ROW0.replace(", ", " ,\n\t"),
        ROW0.replace('(', "[").replace(')', "]"),
        ROW0.replace("))", "),)"),
        format!("  {ROW0}\n"),
    ];
    for v in &variants {
        assert_eq!(DartsArch::from_compact_str(v).unwrap(), a, "{v}");
        assert_eq!(v.parse::<DartsArch>().unwrap(), a, "{v}");
    }
}

#[test]
fn parsers_reject_bad_input_with_reasons() {
    fn reason(r: Result<DartsArch, SpaceError>) -> String {
        match r.unwrap_err() {
            SpaceError::Parse { space, reason, .. } => {
                assert_eq!(space, SpaceKind::Darts);
                reason
            }
            e => panic!("expected a parse error, got {e:?}"),
        }
    }
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "expected `normal;reduce`"),
        ("garbage".into(), "expected `normal;reduce`"),
        (
            ROW0.replacen("(0, 4)", "(0, 7)", 1),
            "op index 7 out of range",
        ),
        (
            ROW0.replacen("(0, 4)", "(2, 4)", 1),
            "input 2 out of range 0..=1",
        ),
        (
            ROW0.replacen("(1, 3)", "(0, 3)", 1),
            "both pairs read node 0",
        ),
        (
            ROW0.replacen("(2, 6), (3, 5))", "(2, 6))", 1),
            "has 7 elements, expected 8",
        ),
        (format!("{ROW0})"), "unexpected text after the tuple"),
        (
            ROW0.replacen("(0, 4)", "(0, 4, 1)", 1),
            "expected ')' closing",
        ),
        (
            ROW0.replacen("(0, 4)", "(0, x)", 1),
            "expected a number for an op",
        ),
        (ROW0.replacen("(0, 4)", "(999, 4)", 1), "out of range"),
        (ROW0[..40].to_string(), "found end of input"),
        (
            "sep_conv_5x5~0 sep_conv_3x3~1;sep_conv_3x3~0".into(),
            "expected 8 op~input tokens, found 2",
        ),
        (
            format!("{};{};x", rows()[0].normal, rows()[0].reduce),
            "more than one ';'",
        ),
        (
            format!(
                "{};{}",
                rows()[0].normal.replace("sep_conv_5x5", "conv_9x9"),
                rows()[0].reduce
            ),
            "unknown op \"conv_9x9\"",
        ),
        (
            format!(
                "{};{}",
                rows()[0].normal.replacen("~0", "~7", 1),
                rows()[0].reduce
            ),
            "input 7 out of range",
        ),
        (
            format!(
                "{};{}",
                rows()[0].normal.replacen("~0", "", 1),
                rows()[0].reduce
            ),
            "not of the form op~input",
        ),
        (
            format!(
                "{};{}",
                rows()[0].normal.replacen("~0", "~-1", 1),
                rows()[0].reduce
            ),
            "is not a node number",
        ),
        (
            format!("{} skip_connect~0;{}", rows()[0].normal, rows()[0].reduce),
            "more than 8 op~input tokens",
        ),
    ];
    for (input, want) in cases {
        let got = reason(input.parse::<DartsArch>());
        assert!(
            got.contains(want),
            "input {input:?}: reason {got:?} lacks {want:?}"
        );
    }
    assert!(DartsArch::from_arch_hash(ArchHash(1 << 100)).is_err());
    assert!("none".parse::<DartsOp>().is_err());
    assert_eq!(
        "dil_conv_5x5".parse::<DartsOp>().unwrap(),
        DartsOp::DilConv5x5
    );
    assert_eq!("3".parse::<DartsOp>().unwrap(), DartsOp::SepConv3x3);
}

#[test]
fn cell_constructors_check_validity() {
    let ok = [
        (0, 0),
        (1, 1),
        (0, 2),
        (2, 3),
        (3, 4),
        (1, 5),
        (4, 6),
        (0, 0),
    ];
    let cell = DartsCell::from_tuples(ok).unwrap();
    assert_eq!(cell.to_tuples(), ok);
    assert!(cell.validate().is_ok());
    let mut bad = ok;
    bad[7] = (5, 0);
    assert!(DartsCell::from_tuples(bad).is_err());
    let mut pairs = *cell.pairs();
    pairs[3] = DartsPair::new(pairs[2].input, DartsOp::SkipConnect);
    assert!(DartsCell::new(pairs).is_err());
}

#[test]
fn serde_uses_the_standard_form() {
    let a = row0();
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, format!("\"{a}\""));
    assert_eq!(serde_json::from_str::<DartsArch>(&json).unwrap(), a);
    assert!(serde_json::from_str::<DartsArch>("\"bogus\"").is_err());
    assert_eq!(
        serde_json::to_string(&DartsOp::SepConv5x5).unwrap(),
        "\"sep_conv_5x5\""
    );
}

// ---------------------------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------------------------

#[test]
fn encodings_of_all_rows_have_naslib_shapes() {
    for a in archs() {
        for kind in EncodingKind::ALL {
            for quirks in [Quirks::Faithful, Quirks::Fixed] {
                let e = a.encode(kind, quirks).unwrap();
                assert!(
                    matches_shape(SpaceKind::Darts, kind, &e),
                    "{kind} {quirks}: shape {:?} vs {:?}",
                    e.shape(),
                    encoding_shape(SpaceKind::Darts, kind)
                );
            }
        }
        assert_eq!(a.encode_gcn(Quirks::Faithful).num_vertices, 22);
        assert_eq!(a.encode_bonas(Quirks::Faithful).num_vertices, 25);
    }
    assert_eq!(
        encoding_shape(SpaceKind::Darts, EncodingKind::Path),
        Some(EncodingShape::Dense(4 * PATHS_PER_BLOCK))
    );
}

#[test]
fn adjacency_one_hot_of_row0_by_hand() {
    let v = row0().encode_adjacency();
    assert_eq!(v.len(), 114);
    // Normal cell: edges input->node (row*7+col) and n2..n5 -> out (col 6).
    let normal_edges = [2, 9, 3, 17, 18, 4, 19, 26, 20, 27, 34, 41];
    // Reduction cell: (0->2), (1->2), (1->3), (0->3), (2->4), (0->4), (4->5), (3->5) + outputs.
    let reduce_edges = [2, 9, 10, 3, 18, 4, 33, 26, 20, 27, 34, 41];
    let mut want: Vec<usize> = normal_edges
        .iter()
        .copied()
        .chain(reduce_edges.iter().map(|i| i + 57))
        .collect();
    want.sort_unstable();
    let got: Vec<usize> = ones(&v).into_iter().filter(|&i| i % 57 < 49).collect();
    assert_eq!(got, want);
    // Categorical ops, not one-hot.
    assert_eq!(&v[49..57], &[4.0, 3.0, 2.0, 3.0, 3.0, 3.0, 6.0, 5.0]);
    assert_eq!(&v[106..114], &[3.0, 3.0, 1.0, 5.0, 3.0, 2.0, 4.0, 1.0]);
}

#[test]
fn path_encoding_of_row0_by_hand() {
    let a = row0();
    // Normal cell, pairs 0..=6 (faithful): from c_{k-2}: [sep5]=5, [skip]=3, [sep5,sep3]=5+7*4,
    // [sep3]=4, [sep5,dil5]=5+7*7; from c_{k-1} (+2801): [sep3]=4, [sep3,sep3]=4+28,
    // [sep3,dil5]=4+49. Reduction cell (+5602 / +8403): [sep3]=4, [dil3]=6, [sep3,sep3]=32,
    // [skip]=3, [sep3,sep3,sep5]=32+49*5, [skip,sep5]=3+7*5; c_{k-1}: [sep3]=4, [avg]=2,
    // [sep3,sep3]=32, [sep3,sep3,sep5]=277.
    let faithful = vec![
        3, 4, 5, 33, 54, 2805, 2833, 2854, 5605, 5606, 5608, 5634, 5640, 5879, 8405, 8407, 8435,
        8680,
    ];
    assert_eq!(a.path_indices(Quirks::Faithful), faithful);
    assert_eq!(ones(&a.encode_path(Quirks::Faithful)), faithful);
    // The 8th pairs: normal (3, dil3) extends node 3's paths [skip], [sep5,sep3], c_{k-1}
    // [sep3,sep3] with op 5 (+1 = 6): 3+42, 33+294, 2801+32+294; reduce (3, avg) extends
    // [dil3], c_{k-1} [avg] with op 1 (+1 = 2): 5602+6+14, 8403+2+14.
    let mut fixed = faithful.clone();
    fixed.extend([45, 327, 3127, 5622, 8419]);
    fixed.sort_unstable();
    assert_eq!(a.path_indices(Quirks::Fixed), fixed);
    assert_eq!(ones(&a.encode_path(Quirks::Fixed)), fixed);
}

#[test]
fn path_counts_follow_the_cell_structure() {
    // Every pair reading an input adds one path; one reading node m adds node m's paths.
    for a in archs() {
        for (quirks, used) in [(Quirks::Faithful, 7), (Quirks::Fixed, 8)] {
            let mut expected = 0usize;
            for cell in a.cells() {
                let mut per_node = [0usize; 4];
                for (j, p) in cell.pairs().iter().enumerate().take(used) {
                    let n = if p.input < 2 {
                        1
                    } else {
                        per_node[p.input as usize - 2]
                    };
                    per_node[j / 2] += n;
                }
                expected += per_node.iter().sum::<usize>();
            }
            let mut count = 0;
            a.for_each_path_index(quirks, |i| {
                assert!(i < 4 * PATHS_PER_BLOCK);
                count += 1;
            });
            assert_eq!(count, expected);
        }
    }
}

#[test]
fn gcn_of_row0_by_hand() {
    let g = row0().encode_gcn(Quirks::Faithful);
    assert_eq!((g.nodes, g.features, g.num_vertices), (22, 9, 22));
    let edges: Vec<(usize, usize)> = (0..22)
        .flat_map(|i| (0..22).map(move |j| (i, j)))
        .filter(|&(i, j)| g.adj(i, j) == 1.0)
        .collect();
    // Normal cell (nodes 0..=10): op node j+2 per pair j; pairs reading node m read both op
    // nodes of m; op nodes feed the output 10.
    let mut want = vec![
        (0, 2),
        (1, 3),
        (0, 4),
        (2, 5),
        (3, 5),
        (2, 6),
        (3, 6),
        (0, 7),
        (2, 8),
        (3, 8),
        (4, 9),
        (5, 9),
    ];
    want.extend((2..10).map(|n| (n, 10)));
    // Reduction cell (nodes 11..=21): pairs (0,3),(1,3),(1,1),(0,5),(2,3),(0,2),(4,4),(3,1).
    let reduce = [
        (0, 2),
        (1, 3),
        (1, 4),
        (0, 5),
        (2, 6),
        (3, 6),
        (0, 7),
        (6, 8),
        (7, 8),
        (4, 9),
        (5, 9),
    ];
    want.extend(reduce.iter().map(|&(i, j)| (i + 11, j + 11)));
    want.extend((2..10).map(|n| (n + 11, 21)));
    want.sort_unstable();
    assert_eq!(edges, want);
    let feature_col = |n: usize| (0..9).find(|&f| g.feature(n, f) == 1.0).unwrap();
    for n in 0..22 {
        assert_eq!((0..9).filter(|&f| g.feature(n, f) == 1.0).count(), 1);
    }
    let cols: Vec<usize> = (0..22).map(feature_col).collect();
    assert_eq!(
        cols,
        vec![0, 0, 4, 3, 2, 3, 3, 3, 6, 5, 8, 0, 0, 3, 3, 1, 5, 3, 2, 4, 1, 8]
    );
    // Fixed flags the inputs in the unused column 7 instead of max_pool's column 0.
    let f = row0().encode_gcn(Quirks::Fixed);
    assert_eq!(f.adjacency, g.adjacency);
    for n in [0, 1, 11, 12] {
        assert_eq!((f.feature(n, 0), f.feature(n, 7)), (0.0, 1.0));
    }
}

#[test]
fn bonas_of_row0_by_hand() {
    let a = row0();
    let b = a.encode_bonas(Quirks::Faithful);
    let g = a.encode_gcn(Quirks::Faithful);
    assert_eq!((b.nodes, b.features, b.num_vertices), (25, 11, 25));
    // A bonas cell node (not a global node) as a gcn node: two blocks of 12 vs 11.
    let gcn_node = |n: usize| match n {
        0..=10 => Some(n),
        12..=22 => Some(n - 1),
        _ => None,
    };
    for i in 0..25 {
        for j in 0..25 {
            // NASLib returns the transposed matrix: entry (target, source), plus self-loops.
            let want = i == j
                || i == 24 // every node feeds the final global node
                || (i == 11 && j < 11) // normal cell nodes feed the normal global node
                || (i == 23 && (12..23).contains(&j))
                || match (gcn_node(i), gcn_node(j)) {
                    (Some(t), Some(s)) => g.adj(s, t) == 1.0,
                    _ => false,
                };
            assert_eq!(b.adj(i, j) == 1.0, want, "bonas adjacency ({i}, {j})");
        }
    }
    let cols: Vec<usize> = (0..25)
        .map(|n| (0..11).find(|&f| b.feature(n, f) == 1.0).unwrap())
        .collect();
    assert_eq!(
        cols,
        vec![0, 0, 4, 3, 2, 3, 3, 3, 6, 5, 8, 9, 0, 0, 3, 3, 1, 5, 3, 2, 4, 1, 8, 9, 10]
    );
    assert_eq!(b.node_features.iter().sum::<f32>(), 25.0);
}

#[test]
fn seminas_of_row0_by_hand() {
    let a = row0();
    let s = a.encode_seminas(Quirks::Faithful);
    assert_eq!(s.len(), 629);
    // Column c (1..35) starts at (c-1)(c+2)/2 and holds c adjacency tokens then the op token.
    let start = |c: usize| (c - 1) * (c + 2) / 2;
    let op_tokens: Vec<u32> = (1..25).map(|c| s[start(c) + c]).collect();
    // ops + 2: input 0, ops 4 3 2 3 3 3 6 5, output 8, global 9, then the reduction cell, 10.
    assert_eq!(
        op_tokens,
        vec![2, 6, 5, 4, 5, 5, 5, 8, 7, 10, 11, 2, 2, 5, 5, 3, 7, 5, 4, 6, 3, 10, 11, 12]
    );
    // QUIRK: the matrix is transposed, so every adjacency token is 1.
    for c in 1..25 {
        assert!(
            s[start(c)..start(c) + c].iter().all(|&t| t == 1),
            "column {c}"
        );
    }
    // Columns 25..35 are padding zeros.
    assert!(s[start(25)..].iter().all(|&t| t == 0));
    assert_eq!(start(25), 324);
    assert_eq!(*s.iter().max().unwrap(), 12);
    // Fixed reads edges: column 2 (op node of pair 0) has 0 -> 2, column 3 has 1 -> 3,
    // column 11 (normal global node) has all of 0..11, column 24 has all of 0..24.
    let f = a.encode_seminas(Quirks::Fixed);
    assert_eq!(&f[start(2)..start(2) + 2], &[2, 1]);
    assert_eq!(&f[start(3)..start(3) + 3], &[1, 2, 1]);
    assert!(f[start(11)..start(11) + 11].iter().all(|&t| t == 2));
    assert!(f[start(24)..start(24) + 24].iter().all(|&t| t == 2));
    // Fixed input token: column 7 + 2 = 9; node 1 is an input.
    assert_eq!(f[start(1) + 1], 9);
    let edge_tokens = (1..25)
        .flat_map(|c| f[start(c)..start(c) + c].to_vec())
        .filter(|&t| t == 2)
        .count();
    // gcn edges (20 + 19) + 11 + 11 cell-global edges + 24 final-global edges.
    assert_eq!(edge_tokens, 39 + 22 + 24);
}

#[test]
fn genotype_op_minus_one_quirk() {
    let a = row0();
    let faithful = a.to_genotype(Quirks::Faithful);
    let fixed = a.to_genotype(Quirks::Fixed);
    // normal pair 0 is (0, 4): OPS[3] = sep_conv_3x3 (faithful) vs OPS[4] = sep_conv_5x5.
    assert_eq!(faithful.normal[0], (DartsOp::SepConv3x3, 0));
    assert_eq!(fixed.normal[0], (DartsOp::SepConv5x5, 0));
    // Op 0 (max_pool) wraps to OPS[-1] = dil_conv_5x5 in the faithful mapping.
    let b: DartsArch = "(((0, 0), (1, 1), (0, 2), (1, 3), (0, 4), (1, 5), (0, 6), (1, 0)), \
                        ((0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0)))"
        .parse()
        .unwrap();
    let g = b.to_genotype(Quirks::Faithful);
    assert_eq!(g.normal[0].0, DartsOp::DilConv5x5);
    assert_eq!(g.normal[1].0, DartsOp::MaxPool3x3);
    assert_eq!(g.normal[6].0, DartsOp::DilConv3x3);
    assert_eq!(g.normal_concat, [2, 3, 4, 5]);
    assert_eq!(
        a.to_genotype(Quirks::Fixed).to_string(),
        "Genotype(normal=[('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), \
         ('sep_conv_3x3', 2), ('sep_conv_3x3', 2), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), \
         ('dil_conv_3x3', 3)], normal_concat=[2, 3, 4, 5], reduce=[('sep_conv_3x3', 0), \
         ('sep_conv_3x3', 1), ('avg_pool_3x3', 1), ('dil_conv_3x3', 0), ('sep_conv_3x3', 2), \
         ('skip_connect', 0), ('sep_conv_5x5', 4), ('avg_pool_3x3', 3)], \
         reduce_concat=[2, 3, 4, 5])"
    );
}

// ---------------------------------------------------------------------------------------------
// Sampling, mutation, neighbourhood
// ---------------------------------------------------------------------------------------------

#[test]
fn sampling_covers_every_op_and_input_uniformly() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = 20_000;
    let mut op_counts = [[[0usize; 7]; 8]; 2];
    let mut input_pair_counts = [[[[0usize; 5]; 5]; 4]; 2];
    let mut distinct = HashSet::new();
    for _ in 0..n {
        let a = DartsArch::sample(&mut rng);
        a.validate().unwrap();
        distinct.insert(a.arch_hash());
        for (c, cell) in a.cells().into_iter().enumerate() {
            for (j, p) in cell.pairs().iter().enumerate() {
                op_counts[c][j][p.op.index()] += 1;
            }
            for node in 0..4 {
                let (x, y) = (
                    cell.pairs()[2 * node].input,
                    cell.pairs()[2 * node + 1].input,
                );
                input_pair_counts[c][node][x as usize][y as usize] += 1;
            }
        }
    }
    assert!(distinct.len() > n - 5, "the space has ~10^18 members");
    for c in 0..2 {
        for j in 0..8 {
            for op in 0..7 {
                let f = op_counts[c][j][op] as f64 / n as f64;
                assert!(
                    (f - 1.0 / 7.0).abs() < 0.015,
                    "cell {c} pair {j} op {op}: {f}"
                );
            }
        }
        for node in 0..4 {
            let k = node + 2;
            let p = 1.0 / (k * (k - 1)) as f64; // ordered pairs of distinct inputs
            for x in 0..5 {
                for y in 0..5 {
                    let f = input_pair_counts[c][node][x][y] as f64 / n as f64;
                    if x < k && y < k && x != y {
                        assert!((f - p).abs() < 0.02, "node {}: ({x},{y}) {f}", node + 2);
                    } else {
                        assert_eq!(f, 0.0);
                    }
                }
            }
        }
    }
}

#[test]
fn neighbourhood_matches_naslib_get_nbhd() {
    for a in archs().into_iter().take(100) {
        let nbrs = a.neighbours();
        assert_eq!(nbrs.len(), NUM_NEIGHBOURS);
        let set: HashSet<DartsArch> = nbrs.iter().copied().collect();
        assert_eq!(set.len(), NUM_NEIGHBOURS);
        assert!(!set.contains(&a));
        let mut op_changes = 0;
        for n in &nbrs {
            n.validate().unwrap();
            let (_, _, is_op) = single_difference(&a, n).expect("one field differs");
            op_changes += usize::from(is_op);
            assert!(
                n.neighbours().contains(&a),
                "the neighbourhood is symmetric"
            );
        }
        assert_eq!(op_changes, 2 * 8 * 6);
    }
    // The first neighbours of row 0: normal pair 0's other ops (0, 0), (0, 1), (0, 2), ...
    let a = row0();
    let first: Vec<(u8, u8)> = a.neighbours()[..7]
        .iter()
        .map(|n| n.to_compact()[0][0])
        .collect();
    assert_eq!(
        first,
        vec![(0, 0), (0, 1), (0, 2), (0, 3), (0, 5), (0, 6), (0, 4)]
    );
    // The 7th is pair 1's first op change (pair 0 has no free input: both of 0, 1 are used).
    assert_eq!(a.neighbours()[6].to_compact()[0][1], (1, 0));
}

#[test]
fn faithful_mutation_is_a_noop_at_naslibs_rate() {
    // P(no change) = 1/2 * 1/7 (same op) + 1/2 * mean_j 2 / (j/2 + 2) (own or sibling input)
    //             = 1/14 + 77/240.
    let expected = 1.0 / 14.0 + 77.0 / 240.0;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let archs = archs();
    let trials = 40_000;
    let mut same = 0usize;
    for t in 0..trials {
        let a = archs[t % archs.len()];
        let child = a.mutate(&mut rng, Quirks::Faithful);
        child.validate().unwrap();
        if child == a {
            same += 1;
        } else {
            assert!(single_difference(&a, &child).is_some());
            assert!(a.neighbours().contains(&child));
        }
    }
    let rate = same as f64 / trials as f64;
    assert!(
        (rate - expected).abs() < 0.01,
        "no-op rate {rate}, expected {expected}"
    );
}

#[test]
fn fixed_mutation_always_changes_and_reaches_every_neighbour() {
    let a = row0();
    let nbrs: HashSet<DartsArch> = a.neighbours().into_iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut reached = HashSet::new();
    for _ in 0..20_000 {
        let child = a.mutate(&mut rng, Quirks::Fixed);
        assert_ne!(child.arch_hash(), a.arch_hash());
        assert!(nbrs.contains(&child));
        reached.insert(child);
    }
    assert_eq!(reached.len(), NUM_NEIGHBOURS);
}

#[test]
fn same_seed_same_samples() {
    let mut r1 = ChaCha8Rng::seed_from_u64(99);
    let mut r2 = ChaCha8Rng::seed_from_u64(99);
    for _ in 0..100 {
        let a = DartsArch::sample(&mut r1);
        assert_eq!(a, DartsArch::sample(&mut r2));
        assert_eq!(
            a.mutate(&mut r1, Quirks::Faithful),
            a.mutate(&mut r2, Quirks::Faithful)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// Any valid architecture, built directly (not through the sampler).
fn arb_arch() -> impl Strategy<Value = DartsArch> {
    proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 16).prop_map(|raw| {
        let mut compact = [[(0u8, 0u8); 8]; 2];
        for (k, &(x, y, op)) in raw.iter().enumerate() {
            let (c, j) = (k / 8, k % 8);
            let kk = (j / 2 + 2) as u8;
            let input = if j % 2 == 0 {
                x % kk
            } else {
                let first = compact[c][j - 1].0;
                let second = y % (kk - 1);
                if second >= first {
                    second + 1
                } else {
                    second
                }
            };
            compact[c][j] = (input, op % 7);
        }
        DartsArch::from_compact(compact).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_forms_round_trip(a in arb_arch()) {
        let standard = a.to_string();
        prop_assert_eq!(standard.parse::<DartsArch>().unwrap(), a);
        let compact = a.to_compact_string();
        prop_assert_eq!(DartsArch::from_compact_str(&compact).unwrap(), a);
        prop_assert_eq!(compact.parse::<DartsArch>().unwrap(), a);
        let (n, r) = standard.split_once(';').unwrap();
        prop_assert_eq!(DartsArch::from_op_lists(n, r).unwrap(), a);
        prop_assert_eq!(DartsArch::from_compact(a.to_compact()).unwrap(), a);
        prop_assert_eq!(DartsArch::from_arch_hash(a.arch_hash()).unwrap(), a);
        prop_assert_eq!(DartsArch::from_genotype(&a.to_genotype(Quirks::Fixed)).unwrap(), a);
    }

    #[test]
    fn hash_order_is_compact_order(a in arb_arch(), b in arb_arch()) {
        prop_assert_eq!(a.arch_hash().cmp(&b.arch_hash()), a.to_compact().cmp(&b.to_compact()));
        prop_assert_eq!(a.arch_hash() == b.arch_hash(), a == b);
    }

    #[test]
    fn mutation_keeps_validity_and_fixed_changes_the_hash(a in arb_arch(), seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let fixed = a.mutate(&mut rng, Quirks::Fixed);
        prop_assert!(fixed.validate().is_ok());
        prop_assert_ne!(fixed.arch_hash(), a.arch_hash());
        prop_assert!(single_difference(&a, &fixed).is_some());
        let faithful = a.mutate(&mut rng, Quirks::Faithful);
        prop_assert!(faithful.validate().is_ok());
        prop_assert!(faithful == a || single_difference(&a, &faithful).is_some());
    }

    #[test]
    fn sampling_covers_the_space(seed in any::<u64>()) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut ops = [[[false; 7]; 8]; 2];
        let mut inputs = [[[false; 5]; 8]; 2];
        for _ in 0..600 {
            let a = DartsArch::sample(&mut rng);
            prop_assert!(a.validate().is_ok());
            for (c, cell) in a.cells().into_iter().enumerate() {
                for (j, p) in cell.pairs().iter().enumerate() {
                    ops[c][j][p.op.index()] = true;
                    inputs[c][j][p.input as usize] = true;
                }
            }
        }
        for c in 0..2 {
            for j in 0..8 {
                prop_assert!(ops[c][j].iter().all(|&x| x));
                for (i, &seen) in inputs[c][j].iter().enumerate() {
                    prop_assert_eq!(seen, i <= j / 2 + 1);
                }
            }
        }
    }

    #[test]
    fn encodings_have_shapes_and_consistent_content(a in arb_arch()) {
        for kind in EncodingKind::ALL {
            for quirks in [Quirks::Faithful, Quirks::Fixed] {
                let e = a.encode(kind, quirks).unwrap();
                prop_assert!(matches_shape(SpaceKind::Darts, kind, &e));
            }
        }
        let adj = a.encode_adjacency();
        let compact = a.to_compact();
        for c in 0..2 {
            for j in 0..8 {
                prop_assert_eq!(adj[c * 57 + 49 + j], compact[c][j].1 as f32);
            }
        }
        // Faithful paths are a subset of the fixed paths.
        let faithful: HashSet<usize> = a.path_indices(Quirks::Faithful).into_iter().collect();
        let fixed: HashSet<usize> = a.path_indices(Quirks::Fixed).into_iter().collect();
        prop_assert!(faithful.is_subset(&fixed));
        if let Encoding::Graph(g) = a.encode(EncodingKind::Gcn, Quirks::Faithful).unwrap() {
            // Each cell: 8 op nodes -> output, plus one or two edges per pair.
            let edges = g.adjacency.iter().filter(|&&x| x == 1.0).count();
            let expected: usize = a.cells().iter()
                .map(|cell| 8 + cell.pairs().iter().map(|p| if p.input < 2 { 1 } else { 2 }).sum::<usize>())
                .sum();
            prop_assert_eq!(edges, expected);
        } else {
            prop_assert!(false, "gcn is a graph");
        }
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in ".{0,300}") {
        let _ = s.parse::<DartsArch>();
        let _ = DartsArch::from_compact_str(&s);
        let _ = DartsArch::from_op_lists(&s, &s);
        let _ = DartsCell::from_op_list(&s);
        let _ = s.parse::<DartsOp>();
        if let Ok(h) = s.parse::<ArchHash>() {
            let _ = DartsArch::from_arch_hash(h);
        }
    }

    #[test]
    fn parsers_never_panic_on_near_miss_strings(
        s in "[\\(\\)\\[\\], 0-9]{0,200}",
        t in "([a-z_0-9]{0,14}~[0-9]{0,3}[ ;]){0,20}",
    ) {
        let _ = s.parse::<DartsArch>();
        let _ = DartsArch::from_compact_str(&s);
        let _ = t.parse::<DartsArch>();
        let _ = DartsCell::from_op_list(&t);
    }

    #[test]
    fn mangled_compact_strings_parse_or_fail_cleanly(a in arb_arch(), cut in 0usize..140, junk in "[ ,()\\[\\]0-9]") {
        let s = a.to_compact_string();
        let cut = cut.min(s.len());
        let mangled = format!("{}{}{}", &s[..cut], junk, &s[cut..]);
        if let Ok(b) = mangled.parse::<DartsArch>() {
            prop_assert!(b.validate().is_ok());
        }
        let truncated = &s[..cut];
        prop_assert!(truncated.parse::<DartsArch>().is_err() || cut == s.len());
    }

    #[test]
    fn arbitrary_hashes_never_panic(h in any::<u128>()) {
        if let Ok(a) = DartsArch::from_arch_hash(ArchHash(h)) {
            prop_assert_eq!(a.arch_hash(), ArchHash(h));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Speed (run with --ignored --nocapture)
// ---------------------------------------------------------------------------------------------

#[test]
#[ignore]
fn speed_report() {
    use std::hint::black_box;
    use std::time::Instant;
    let archs = archs();
    let reps = 200;
    let n = (archs.len() * reps) as f64;
    let time = |name: &str, f: &dyn Fn(&DartsArch)| {
        let t = Instant::now();
        for _ in 0..reps {
            for a in &archs {
                f(a);
            }
        }
        println!(
            "{name:>20}: {:8.1} ns/arch",
            t.elapsed().as_nanos() as f64 / n
        );
    };
    time("arch_hash", &|a| {
        black_box(a.arch_hash());
    });
    time("to_compact_string", &|a| {
        black_box(a.to_compact_string());
    });
    let strings: Vec<String> = archs.iter().map(|a| a.to_compact_string()).collect();
    let t = Instant::now();
    for _ in 0..reps {
        for s in &strings {
            black_box(DartsArch::from_compact_str(s).unwrap());
        }
    }
    println!(
        "{:>20}: {:8.1} ns/arch",
        "from_compact_str",
        t.elapsed().as_nanos() as f64 / n
    );
    for kind in EncodingKind::ALL {
        time(kind.name(), &|a| {
            black_box(a.encode(kind, Quirks::Faithful).unwrap());
        });
    }
    time("path indices only", &|a| {
        let mut s = 0;
        a.for_each_path_index(Quirks::Faithful, |i| s += i);
        black_box(s);
    });
    time("neighbours", &|a| {
        black_box(a.neighbours());
    });
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let t = Instant::now();
    for _ in 0..(archs.len() * reps) {
        black_box(DartsArch::sample(&mut rng));
    }
    println!(
        "{:>20}: {:8.1} ns/arch",
        "sample",
        t.elapsed().as_nanos() as f64 / n
    );
    let t = Instant::now();
    for _ in 0..reps {
        for a in &archs {
            black_box(a.mutate(&mut rng, Quirks::Fixed));
        }
    }
    println!(
        "{:>20}: {:8.1} ns/arch",
        "mutate (fixed)",
        t.elapsed().as_nanos() as f64 / n
    );
}
