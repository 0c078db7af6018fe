//! Multi-buffer MD5: several independent messages hashed side by side.
//!
//! NB101's graph hash needs about 130 MD5 blocks per cell, in rounds of up to 7 independent
//! messages (one per vertex). A scalar MD5 is latency bound, so here `LANES` messages run in
//! parallel lanes of plain `u32` arrays, written so that the compiler vectorises every step
//! across lanes (safe code, no intrinsics). A lane that finishes its message is refilled with the
//! next one at once, so lanes stay busy whatever the message lengths.

/// Number of messages hashed side by side.
pub(crate) const LANES: usize = 4;

type Lanes = [u32; LANES];

const IV: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

#[rustfmt::skip]
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

#[inline(always)]
fn f(b: u32, c: u32, d: u32) -> u32 {
    d ^ (b & (c ^ d))
}
#[inline(always)]
fn g(b: u32, c: u32, d: u32) -> u32 {
    c ^ (d & (b ^ c))
}
#[inline(always)]
fn h(b: u32, c: u32, d: u32) -> u32 {
    b ^ c ^ d
}
#[inline(always)]
fn i(b: u32, c: u32, d: u32) -> u32 {
    c ^ (b | !d)
}

macro_rules! step {
    ($fun:ident, $a:ident, $b:ident, $c:ident, $d:ident, $m:ident, $idx:expr, $s:expr, $k:expr) => {
        for l in 0..LANES {
            let t = $a[l]
                .wrapping_add($fun($b[l], $c[l], $d[l]))
                .wrapping_add(K[$k])
                .wrapping_add($m[$idx][l]);
            $a[l] = $b[l].wrapping_add(t.rotate_left($s));
        }
    };
}

/// One MD5 compression of a block per lane; `m[w][lane]` is word `w` of that lane's block.
#[inline(always)]
fn compress(state: &mut [Lanes; 4], m: &[Lanes; 16]) {
    let [mut a, mut b, mut c, mut d] = *state;
    // round 1
    step!(f, a, b, c, d, m, 0, 7, 0);
    step!(f, d, a, b, c, m, 1, 12, 1);
    step!(f, c, d, a, b, m, 2, 17, 2);
    step!(f, b, c, d, a, m, 3, 22, 3);
    step!(f, a, b, c, d, m, 4, 7, 4);
    step!(f, d, a, b, c, m, 5, 12, 5);
    step!(f, c, d, a, b, m, 6, 17, 6);
    step!(f, b, c, d, a, m, 7, 22, 7);
    step!(f, a, b, c, d, m, 8, 7, 8);
    step!(f, d, a, b, c, m, 9, 12, 9);
    step!(f, c, d, a, b, m, 10, 17, 10);
    step!(f, b, c, d, a, m, 11, 22, 11);
    step!(f, a, b, c, d, m, 12, 7, 12);
    step!(f, d, a, b, c, m, 13, 12, 13);
    step!(f, c, d, a, b, m, 14, 17, 14);
    step!(f, b, c, d, a, m, 15, 22, 15);
    // round 2
    step!(g, a, b, c, d, m, 1, 5, 16);
    step!(g, d, a, b, c, m, 6, 9, 17);
    step!(g, c, d, a, b, m, 11, 14, 18);
    step!(g, b, c, d, a, m, 0, 20, 19);
    step!(g, a, b, c, d, m, 5, 5, 20);
    step!(g, d, a, b, c, m, 10, 9, 21);
    step!(g, c, d, a, b, m, 15, 14, 22);
    step!(g, b, c, d, a, m, 4, 20, 23);
    step!(g, a, b, c, d, m, 9, 5, 24);
    step!(g, d, a, b, c, m, 14, 9, 25);
    step!(g, c, d, a, b, m, 3, 14, 26);
    step!(g, b, c, d, a, m, 8, 20, 27);
    step!(g, a, b, c, d, m, 13, 5, 28);
    step!(g, d, a, b, c, m, 2, 9, 29);
    step!(g, c, d, a, b, m, 7, 14, 30);
    step!(g, b, c, d, a, m, 12, 20, 31);
    // round 3
    step!(h, a, b, c, d, m, 5, 4, 32);
    step!(h, d, a, b, c, m, 8, 11, 33);
    step!(h, c, d, a, b, m, 11, 16, 34);
    step!(h, b, c, d, a, m, 14, 23, 35);
    step!(h, a, b, c, d, m, 1, 4, 36);
    step!(h, d, a, b, c, m, 4, 11, 37);
    step!(h, c, d, a, b, m, 7, 16, 38);
    step!(h, b, c, d, a, m, 10, 23, 39);
    step!(h, a, b, c, d, m, 13, 4, 40);
    step!(h, d, a, b, c, m, 0, 11, 41);
    step!(h, c, d, a, b, m, 3, 16, 42);
    step!(h, b, c, d, a, m, 6, 23, 43);
    step!(h, a, b, c, d, m, 9, 4, 44);
    step!(h, d, a, b, c, m, 12, 11, 45);
    step!(h, c, d, a, b, m, 15, 16, 46);
    step!(h, b, c, d, a, m, 2, 23, 47);
    // round 4
    step!(i, a, b, c, d, m, 0, 6, 48);
    step!(i, d, a, b, c, m, 7, 10, 49);
    step!(i, c, d, a, b, m, 14, 15, 50);
    step!(i, b, c, d, a, m, 5, 21, 51);
    step!(i, a, b, c, d, m, 12, 6, 52);
    step!(i, d, a, b, c, m, 3, 10, 53);
    step!(i, c, d, a, b, m, 10, 15, 54);
    step!(i, b, c, d, a, m, 1, 21, 55);
    step!(i, a, b, c, d, m, 8, 6, 56);
    step!(i, d, a, b, c, m, 15, 10, 57);
    step!(i, c, d, a, b, m, 6, 15, 58);
    step!(i, b, c, d, a, m, 13, 21, 59);
    step!(i, a, b, c, d, m, 4, 6, 60);
    step!(i, d, a, b, c, m, 11, 10, 61);
    step!(i, c, d, a, b, m, 2, 15, 62);
    step!(i, b, c, d, a, m, 9, 21, 63);
    for l in 0..LANES {
        state[0][l] = state[0][l].wrapping_add(a[l]);
        state[1][l] = state[1][l].wrapping_add(b[l]);
        state[2][l] = state[2][l].wrapping_add(c[l]);
        state[3][l] = state[3][l].wrapping_add(d[l]);
    }
}

/// Appends MD5 padding to the message `buf[..len]` and returns the padded length (a multiple
/// of 64). `buf` must have room for `len + 72` bytes.
#[inline]
pub(crate) fn pad(buf: &mut [u8], len: usize) -> usize {
    let total = (len + 8) / 64 * 64 + 64;
    buf[len] = 0x80;
    buf[len + 1..total - 8].fill(0);
    buf[total - 8..total].copy_from_slice(&((len as u64) * 8).to_le_bytes());
    total
}

/// MD5 digests of already padded messages: message `k` is `data[start[k]..start[k] +
/// 64 * blocks[k]]`; its digest goes to `out[k]`.
pub(crate) fn md5_padded(data: &[u8], start: &[usize], blocks: &[usize], out: &mut [[u8; 16]]) {
    let count = start.len();
    debug_assert!(blocks.len() == count && out.len() >= count);
    let mut state = [[0u32; LANES]; 4];
    // per lane: message index (usize::MAX = idle) and next block
    let mut msg = [usize::MAX; LANES];
    let mut blk = [0usize; LANES];
    let mut next = 0usize;
    let mut active = 0usize;
    for l in 0..LANES {
        if next < count {
            msg[l] = next;
            next += 1;
            active += 1;
            for (w, iv) in IV.iter().enumerate() {
                state[w][l] = *iv;
            }
        }
    }
    let mut m = [[0u32; LANES]; 16];
    while active > 0 {
        for l in 0..LANES {
            if msg[l] == usize::MAX {
                continue;
            }
            let base = start[msg[l]] + 64 * blk[l];
            let block = &data[base..base + 64];
            for (w, row) in m.iter_mut().enumerate() {
                let bytes = [
                    block[4 * w],
                    block[4 * w + 1],
                    block[4 * w + 2],
                    block[4 * w + 3],
                ];
                row[l] = u32::from_le_bytes(bytes);
            }
        }
        compress(&mut state, &m);
        for l in 0..LANES {
            let k = msg[l];
            if k == usize::MAX {
                continue;
            }
            blk[l] += 1;
            if blk[l] == blocks[k] {
                for w in 0..4 {
                    out[k][4 * w..4 * w + 4].copy_from_slice(&state[w][l].to_le_bytes());
                }
                blk[l] = 0;
                if next < count {
                    msg[l] = next;
                    next += 1;
                    for (w, iv) in IV.iter().enumerate() {
                        state[w][l] = *iv;
                    }
                } else {
                    msg[l] = usize::MAX;
                    active -= 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    #[test]
    fn lanes_match_the_reference_md5() {
        // messages of every length 0..=300, hashed in groups of 9
        let msgs: Vec<Vec<u8>> = (0..=300usize)
            .map(|n| (0..n).map(|k| (k * 31 + n * 7) as u8).collect())
            .collect();
        for group in msgs.chunks(9) {
            let mut data = Vec::new();
            let mut start = Vec::new();
            let mut blocks = Vec::new();
            for msg in group {
                let s = data.len();
                data.extend_from_slice(msg);
                data.resize(s + msg.len() + 72, 0);
                let total = pad(&mut data[s..], msg.len());
                data.truncate(s + total);
                start.push(s);
                blocks.push(total / 64);
            }
            let mut out = vec![[0u8; 16]; group.len()];
            md5_padded(&data, &start, &blocks, &mut out);
            for (msg, d) in group.iter().zip(&out) {
                let want: [u8; 16] = Md5::digest(msg).into();
                assert_eq!(*d, want, "length {}", msg.len());
            }
        }
    }
}
