//! Subnormal floats flushed to zero while a network trains or is scored.
//!
//! Training drives some gradients, Adam moments and activations below the smallest normal
//! `f32` (about 1.2e-38). Many Intel cores take a microcode assist of about a hundred cycles for
//! every vector instruction that reads or writes such a subnormal value, in our own kernels and
//! in libtorch's (MKL's) alike; AMD's Zen cores handle them at nearly full speed. On an Intel
//! Xeon of this project's CI, one GCN fit at n = 1000 took 254 s with subnormals and 37.6 s
//! without (docs/measurements/denormals.md).
//!
//! [`FlushDenormals`] turns on the calling thread's flush-to-zero and denormals-are-zero modes
//! (the FTZ and DAZ bits of the x86-64 `MXCSR`) for its lifetime and restores the previous modes
//! when dropped, as PyTorch's `torch.set_flush_denormal(True)` does for a whole program. Every
//! result whose computation never meets a subnormal is bit-identical either way; the others
//! differ by less than the smallest normal `f32` at the place where a subnormal was replaced by
//! zero. The neural predictors' fits, network training (`naspred-train`) and the weight-sharing
//! predictors' queries hold one. The zero-cost proxies do not: one forward and backward of a
//! freshly initialised network meets too few subnormals to matter (NB201, all 13 proxies:
//! 5.13 CPU-s flushed against 5.23 kept), and their scores stay bit-identical to the
//! precomputed tables. [`keep_denormals`]`(true)` makes every guard of the process a no-op, so
//! that IEEE subnormals are kept everywhere (PyTorch's default, and NASLib's); the `naspred`
//! binary calls it when `NASPRED_KEEP_DENORMALS=1`. On other targets than x86-64 the guard does
//! nothing.
//!
//! ```
//! use naspred_eval::fpenv::FlushDenormals;
//!
//! let tiny = std::hint::black_box(1e-39_f32); // a subnormal
//! {
//!     let _flush = FlushDenormals::new();
//!     let product = std::hint::black_box(tiny) * std::hint::black_box(1.0_f32);
//!     if FlushDenormals::active() {
//!         assert_eq!(product, 0.0);
//!     }
//! }
//! // Dropped: subnormals are kept again.
//! assert_eq!(std::hint::black_box(tiny) * std::hint::black_box(1.0_f32), 1e-39);
//! ```

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

static KEEP: AtomicBool = AtomicBool::new(false);

/// Keeps IEEE subnormals (`true`: every [`FlushDenormals`] created afterwards changes nothing)
/// or flushes them (`false`, the default), for the whole process.
pub fn keep_denormals(keep: bool) {
    KEEP.store(keep, Ordering::Relaxed);
}

/// Whether [`keep_denormals`] asked to keep subnormals.
pub fn keeping_denormals() -> bool {
    KEEP.load(Ordering::Relaxed)
}

/// Flush-to-zero and denormals-are-zero on the calling thread while this guard lives (see the
/// module documentation). Not `Send`: the modes belong to the thread that set them.
#[must_use = "the modes are restored when the guard is dropped"]
pub struct FlushDenormals {
    /// The `MXCSR` value to restore, `None` when nothing was changed.
    saved: Option<u32>,
    _thread_bound: PhantomData<*const ()>,
}

impl FlushDenormals {
    /// Sets FTZ and DAZ on the calling thread (unless [`keep_denormals`] asked otherwise, or
    /// the target is not x86-64), remembering the previous modes.
    pub fn new() -> Self {
        let saved = if keeping_denormals() {
            None
        } else {
            mxcsr::set_flush()
        };
        FlushDenormals {
            saved,
            _thread_bound: PhantomData,
        }
    }

    /// Whether subnormals are flushed on the calling thread now.
    pub fn active() -> bool {
        mxcsr::flushing()
    }
}

impl Default for FlushDenormals {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        if let Some(saved) = self.saved {
            mxcsr::restore(saved);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod mxcsr {
    /// Flush to zero (results) and denormals are zero (operands).
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

    fn read() -> u32 {
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` stores the 32-bit MXCSR (present on every x86-64 CPU) into the
        // valid, writable, 4-byte location passed to it.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
        }
        csr
    }

    fn write(csr: u32) {
        // SAFETY: `ldmxcsr` loads MXCSR from the valid 4-byte location passed to it. Only values
        // read from MXCSR, with at most the FTZ and DAZ mode bits added, are ever written: no
        // reserved bit is set and no exception is unmasked.
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags, readonly));
        }
    }

    /// Sets FTZ and DAZ; the previous value, or `None` if both were already set.
    pub(super) fn set_flush() -> Option<u32> {
        let csr = read();
        if csr & FTZ_DAZ == FTZ_DAZ {
            return None;
        }
        write(csr | FTZ_DAZ);
        Some(csr)
    }

    /// Restores the FTZ and DAZ bits of `saved` (other modes as they are now).
    pub(super) fn restore(saved: u32) {
        write((read() & !FTZ_DAZ) | (saved & FTZ_DAZ));
    }

    pub(super) fn flushing() -> bool {
        read() & FTZ_DAZ == FTZ_DAZ
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod mxcsr {
    pub(super) fn set_flush() -> Option<u32> {
        None
    }

    pub(super) fn restore(_saved: u32) {}

    pub(super) fn flushing() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    #[test]
    fn subnormals_are_flushed_inside_the_guard_and_kept_after_it() {
        let tiny = black_box(f32::MIN_POSITIVE / 4.0);
        assert!(tiny > 0.0 && !tiny.is_normal());
        let before = FlushDenormals::active();
        {
            let _outer = FlushDenormals::new();
            {
                // Nested guards restore the modes of the guard outside them.
                let _inner = FlushDenormals::new();
            }
            if cfg!(target_arch = "x86_64") && !keeping_denormals() {
                assert!(FlushDenormals::active());
                // DAZ: the subnormal operand reads as zero; FTZ: a subnormal result is zero.
                assert_eq!(black_box(tiny) * black_box(1.0_f32), 0.0);
                assert_eq!(black_box(f32::MIN_POSITIVE) * black_box(0.5_f32), 0.0);
                // Normal arithmetic is untouched.
                assert_eq!(black_box(1.5_f32) * black_box(2.0_f32), 3.0);
            }
        }
        assert_eq!(FlushDenormals::active(), before);
        assert_eq!(black_box(tiny) * black_box(1.0_f32), tiny);
    }
}
