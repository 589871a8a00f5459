//! Run-time CPU dispatch for the hot loops of the compression core.
//!
//! The crate is built for baseline x86-64 (SSE2), so the release binary runs on any x86-64 CPU.
//! The hottest loops also exist as AVX2 functions (`compress::avx2`); callers take them when
//! [`wide`] says the CPU has AVX2 and FMA. Both paths compute the same operations in the same
//! order, so results are bit-identical; tests force the baseline to check that.

use std::sync::atomic::{AtomicBool, Ordering};

static FORCE_BASELINE: AtomicBool = AtomicBool::new(false);

/// Whether the wide (AVX2 + FMA) versions may run: the CPU has both and the baseline is not forced
/// (`BITLENS_SIMD=baseline` or [`force_baseline`]).
#[inline]
pub fn wide() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        !FORCE_BASELINE.load(Ordering::Relaxed)
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && !env_forces_baseline()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn env_forces_baseline() -> bool {
    static ENV: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENV.get_or_init(|| std::env::var("BITLENS_SIMD").is_ok_and(|v| v == "baseline"))
}

/// Force (or release) the baseline path for the whole process (tests, benchmarks).
pub fn force_baseline(on: bool) {
    FORCE_BASELINE.store(on, Ordering::Relaxed);
}

/// Name of the instruction set the kernels use on this machine.
pub fn level() -> &'static str {
    if wide() {
        "avx2+fma"
    } else if cfg!(target_arch = "x86_64") {
        "sse2 (baseline)"
    } else {
        "portable (baseline)"
    }
}

/// Evaluate an AVX2 kernel call (an expression calling `compress::avx2` functions) and return
/// from the enclosing function when [`wide`] holds; otherwise fall through to the baseline code
/// that follows. Compiled only on x86-64.
macro_rules! dispatch_avx2 {
    ($call:expr) => {
        #[cfg(target_arch = "x86_64")]
        if $crate::simd::wide() {
            // SAFETY: `wide()` checked that the CPU has AVX2 and FMA, the only requirement of the
            // `#[target_feature(enable = "avx2,fma")]` functions of `compress::avx2`.
            #[allow(unsafe_code, reason = "AVX2 kernel after run-time detection")]
            unsafe {
                $call
            };
            return;
        }
    };
}
pub(crate) use dispatch_avx2;
