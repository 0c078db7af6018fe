//! NAS-Bench-101's official graph hash (`graph_util.hash_module`) and NASLib's tuple key.
//!
//! The official hash works on hex strings: every vertex starts from `md5(str((out_degree,
//! in_degree, label)))`, then `V` times each vertex becomes `md5(sorted in-neighbour hashes
//! concatenated + "|" + sorted out-neighbour hashes concatenated + "|" + own hash)`, and the
//! fingerprint is `md5(str(sorted(hashes)))`, i.e. of `['h1', 'h2', ...]`. Here every MD5 input
//! is assembled in a stack buffer; hashes are kept both as raw digests (whose big-endian order
//! equals the order of their lowercase hex strings) and as hex.

use std::sync::OnceLock;

use md5::{Digest, Md5};

use super::{md5x, Nb101Arch, Nb101Op, MAX_VERTICES};
use crate::ArchHash;

/// NASLib's de-duplication key for NB101 (`convert_spec_to_tuple` of the padded 7x7 spec): the
/// 49 entries of the flattened raw matrix, then the 7 op indices over
/// `[input, output, maxpool3x3, conv1x1-bn-relu, conv3x3-bn-relu]`. Not
/// isomorphism-invariant; equal tuples mean equal raw (padded) specs.
pub type NaslibTuple = [u8; 56];

const HEX: &[u8; 16] = b"0123456789abcdef";

#[inline]
fn to_hex(d: &[u8; 16]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (k, &b) in d.iter().enumerate() {
        out[2 * k] = HEX[(b >> 4) as usize];
        out[2 * k + 1] = HEX[(b & 15) as usize];
    }
    out
}

#[inline]
fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// Label of a vertex as `hash_spec` assigns it: -1 for the first vertex, -2 for the last, the
/// `available_ops` index otherwise (an interior `input`/`output`, which nasbench cannot hash,
/// gets -1/-2).
#[inline]
fn label(op: Nb101Op, v: usize, n: usize) -> i8 {
    if v == 0 {
        -1
    } else if v == n - 1 {
        -2
    } else {
        match op {
            Nb101Op::Conv3x3 => 0,
            Nb101Op::Conv1x1 => 1,
            Nb101Op::MaxPool3x3 => 2,
            Nb101Op::Input => -1,
            Nb101Op::Output => -2,
        }
    }
}

/// Initial vertex hashes `md5(str((out, in, label)))` for degrees 0..=7 and labels -2..=2.
type InitialTable = [[[[u8; 16]; 5]; 8]; 8];

fn initial_table() -> &'static InitialTable {
    static TABLE: OnceLock<Box<InitialTable>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Box<InitialTable> = Box::new([[[[0u8; 16]; 5]; 8]; 8]);
        for (out, plane) in t.iter_mut().enumerate() {
            for (inn, row) in plane.iter_mut().enumerate() {
                for (l, slot) in row.iter_mut().enumerate() {
                    let lab = l as i32 - 2;
                    *slot = md5(format!("({out}, {inn}, {lab})").as_bytes());
                }
            }
        }
        t
    })
}

/// `hash_module(matrix, labeling)` for an `n`-vertex upper-triangular matrix given as row bit
/// masks.
pub(crate) fn hash_module(n: usize, adj: &[u8; MAX_VERTICES], labels: &[i8; MAX_VERTICES]) -> u128 {
    let table = initial_table();
    let mut in_mask = [0u8; MAX_VERTICES];
    for (i, &row) in adj.iter().enumerate().take(n) {
        let mut r = row;
        while r != 0 {
            let j = r.trailing_zeros() as usize;
            r &= r - 1;
            in_mask[j] |= 1 << i;
        }
    }
    let mut digest = [[0u8; 16]; MAX_VERTICES];
    for v in 0..n {
        let out = adj[v].count_ones() as usize;
        let inn = in_mask[v].count_ones() as usize;
        digest[v] = table[out][inn][(labels[v] + 2) as usize];
    }
    let mut hex = [[0u8; 32]; MAX_VERTICES];
    // One padded message per vertex, 256 bytes apart (at most 6 * 32 + 2 + 32 = 226 bytes of
    // text, 4 MD5 blocks once padded).
    let mut msgs = [0u8; MAX_VERTICES * 256];
    let start: [usize; MAX_VERTICES] = std::array::from_fn(|v| v * 256);
    let mut blocks = [0usize; MAX_VERTICES];
    for _ in 0..n {
        for v in 0..n {
            hex[v] = to_hex(&digest[v]);
        }
        // One ordering of all vertices by hash serves every vertex's sorted neighbour lists.
        let mut order = [0usize; MAX_VERTICES];
        for (k, o) in order.iter_mut().enumerate().take(n) {
            *o = k;
        }
        let keys: [u128; MAX_VERTICES] = std::array::from_fn(|k| u128::from_be_bytes(digest[k]));
        order[..n].sort_unstable_by_key(|&k| keys[k]);
        for v in 0..n {
            let buf = &mut msgs[v * 256..(v + 1) * 256];
            let mut len = 0usize;
            for &w in &order[..n] {
                if in_mask[v] >> w & 1 == 1 {
                    buf[len..len + 32].copy_from_slice(&hex[w]);
                    len += 32;
                }
            }
            buf[len] = b'|';
            len += 1;
            for &w in &order[..n] {
                if adj[v] >> w & 1 == 1 {
                    buf[len..len + 32].copy_from_slice(&hex[w]);
                    len += 32;
                }
            }
            buf[len] = b'|';
            len += 1;
            buf[len..len + 32].copy_from_slice(&hex[v]);
            len += 32;
            blocks[v] = md5x::pad(buf, len) / 64;
        }
        md5x::md5_padded(&msgs, &start[..n], &blocks[..n], &mut digest[..n]);
    }
    let mut buf = [0u8; 256];
    // str(sorted(hashes)) == "['h1', 'h2', ...]"
    let mut sorted: [u128; MAX_VERTICES] = [0; MAX_VERTICES];
    for (v, s) in sorted.iter_mut().enumerate().take(n) {
        *s = u128::from_be_bytes(digest[v]);
    }
    sorted[..n].sort_unstable();
    let mut len = 0usize;
    buf[len] = b'[';
    len += 1;
    for (k, &h) in sorted[..n].iter().enumerate() {
        if k > 0 {
            buf[len..len + 2].copy_from_slice(b", ");
            len += 2;
        }
        buf[len] = b'\'';
        buf[len + 1..len + 33].copy_from_slice(&to_hex(&h.to_be_bytes()));
        buf[len + 33] = b'\'';
        len += 34;
    }
    buf[len] = b']';
    len += 1;
    u128::from_be_bytes(md5(&buf[..len]))
}

/// The official hash of the pruned spec (of the raw spec when pruning fails).
pub(crate) fn official_hash(arch: &Nb101Arch) -> ArchHash {
    let spec = arch.pruned().unwrap_or(*arch);
    let n = spec.n();
    let mut labels = [0i8; MAX_VERTICES];
    for (v, l) in labels.iter_mut().enumerate().take(n) {
        *l = label(spec.ops[v], v, n);
    }
    ArchHash(hash_module(n, &spec.adj, &labels))
}

/// NASLib's `convert_spec_to_tuple` of a 7-vertex spec.
pub(crate) fn naslib_tuple(arch: &Nb101Arch) -> NaslibTuple {
    let mut t = [0u8; 56];
    for i in 0..MAX_VERTICES {
        for j in 0..MAX_VERTICES {
            t[i * MAX_VERTICES + j] = arch.adj[i] >> j & 1;
        }
    }
    for (v, slot) in t[49..].iter_mut().enumerate() {
        *slot = match arch.ops[v] {
            Nb101Op::Input => 0,
            Nb101Op::Output => 1,
            Nb101Op::MaxPool3x3 => 2,
            Nb101Op::Conv1x1 => 3,
            Nb101Op::Conv3x3 => 4,
        };
    }
    t
}
