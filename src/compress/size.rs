//! Exact storage size of a compressed tensor: bits of codes, scales, zero points, block metadata
//! and sparsity masks. `bytes = ⌈total_bits / 8⌉`, `bits_per_weight = total_bits / n`.
//!
//! Formulas (n = elements, G = number of scale groups):
//!
//! | scheme | total bits |
//! |---|---|
//! | none (f32) | 32·n |
//! | int b, symmetric | b·n + G·s (s = 32 for f32 scales, 16 for f16) |
//! | int b, asymmetric | b·n + G·(s + b) (the zero point is stored in the code width) |
//! | float, unscaled | w·n (w = format width: bf16/fp16 16, fp8 8, fp6 6, fp4 4) |
//! | float, scaled | w·n + G·s |
//! | NF4, block B | 4·n + ⌈n/B⌉·32 (B = 64: 4.5 bpw) |
//! | NF4 + double quant | 4·n + ⌈n/B⌉·8 + ⌈⌈n/B⌉/256⌉·32 + 32 (B = 64: 4 + 8/64 + 32/16384 ≈ 4.127) |
//! | MX (MXFP8/MXINT8, MXFP6, MXFP4) | e·n + 8·(number of 32-blocks) (8.25 / 6.25 / 4.25 bpw) |
//! | NVFP4 | 4·n + 8·(number of 16-blocks) + 32 (4.5 bpw + 32 bits per tensor) |
//! | GGUF type T | (n / block_T)·bytes_T·8 (Q4_0 4.5, Q8_0 8.5, Q4_K 4.5, Q6_K 6.5625 bpw) |
//!
//! Sparsity (element-wise targets only; block formats stay dense since their blocks keep every
//! slot). The smallest of the dense layout and the layout that matches the pruning is reported:
//! - unstructured (magnitude, global, random): a 1-bit mask per weight + codes of kept weights:
//!   `n + c·nnz + meta` (c = bits per code);
//! - N:M: kept values plus a ⌈log2 M⌉-bit position per kept value: `nnz·(c + ⌈log2 M⌉) + meta`
//!   (2:4 at 16 bits: (2·16 + 2·2)/4 = 9 bpw);
//! - rows / cols: a 1-bit mask per row (column) + codes of the kept slices.

use serde::{Deserialize, Serialize};

/// Size breakdown of one tensor (or a sum over a model).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SizeReport {
    pub n: u64,
    pub code_bits: u64,
    pub scale_bits: u64,
    pub zero_point_bits: u64,
    /// Block metadata (second-level scales, offsets, tensor scales).
    pub meta_bits: u64,
    pub mask_bits: u64,
    pub total_bits: u64,
    pub bytes: u64,
    pub bits_per_weight: f64,
    /// `dense`, `bitmask`, `n:m` or `structured`.
    pub layout: String,
}

impl SizeReport {
    /// A dense report from its parts.
    pub fn dense(
        n: u64,
        code_bits: u64,
        scale_bits: u64,
        zero_point_bits: u64,
        meta_bits: u64,
    ) -> Self {
        let mut r = Self {
            n,
            code_bits,
            scale_bits,
            zero_point_bits,
            meta_bits,
            layout: "dense".into(),
            ..Default::default()
        };
        r.finish();
        r
    }

    fn finish(&mut self) {
        self.total_bits = self.code_bits
            + self.scale_bits
            + self.zero_point_bits
            + self.meta_bits
            + self.mask_bits;
        self.bytes = self.total_bits.div_ceil(8);
        self.bits_per_weight = if self.n == 0 {
            0.0
        } else {
            self.total_bits as f64 / self.n as f64
        };
    }

    /// This report of a sample scaled to `n` values of the same layout (every part in
    /// proportion: an estimate where a part does not grow with the values).
    pub fn scaled_to(&self, n: u64) -> Self {
        let w = n as f64 / self.n.max(1) as f64;
        let s = |bits: u64| (bits as f64 * w).round() as u64;
        let mut r = Self {
            n,
            code_bits: s(self.code_bits),
            scale_bits: s(self.scale_bits),
            zero_point_bits: s(self.zero_point_bits),
            meta_bits: s(self.meta_bits),
            mask_bits: s(self.mask_bits),
            layout: self.layout.clone(),
            ..Self::default()
        };
        r.finish();
        r
    }

    /// Sum of several reports (a whole model).
    pub fn sum<'a>(it: impl IntoIterator<Item = &'a SizeReport>) -> Self {
        let mut r = Self {
            layout: "model".into(),
            ..Default::default()
        };
        let mut bytes = 0;
        for s in it {
            r.n += s.n;
            r.code_bits += s.code_bits;
            r.scale_bits += s.scale_bits;
            r.zero_point_bits += s.zero_point_bits;
            r.meta_bits += s.meta_bits;
            r.mask_bits += s.mask_bits;
            bytes += s.bytes;
        }
        r.finish();
        // Each tensor is stored on whole bytes.
        r.bytes = bytes;
        r
    }

    /// The sparse alternative for an element-wise code of `code_width` bits, if smaller.
    ///
    /// `kind`: the pruning layout; `nnz`: kept weights; `slices`: rows or columns for
    /// structured pruning; `m`: the M of N:M.
    pub fn with_sparsity(self, kind: SparseKind, code_width: u64, nnz: u64) -> Self {
        let meta = self.scale_bits + self.zero_point_bits + self.meta_bits;
        let (layout, codes, mask) = match kind {
            SparseKind::Bitmask => ("bitmask", code_width * nnz, self.n),
            SparseKind::NM { m } => {
                let idx = u64::from(usize::BITS - (m.max(2) - 1).leading_zeros());
                ("n:m", code_width * nnz, idx * nnz)
            }
            SparseKind::Structured { slices } => ("structured", code_width * nnz, slices),
        };
        if codes + mask + meta >= self.total_bits {
            return self;
        }
        let mut r = Self {
            code_bits: codes,
            mask_bits: mask,
            layout: layout.into(),
            ..self
        };
        r.finish();
        r
    }
}

/// Pruning layouts that a sparse storage format can exploit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SparseKind {
    Bitmask,
    NM { m: usize },
    Structured { slices: u64 },
}

/// NF4 size (see the table above).
pub fn nf4_size(n: u64, block: u64, double_quant: bool) -> SizeReport {
    let blocks = n.div_ceil(block.max(1));
    if double_quant {
        SizeReport::dense(n, 4 * n, 8 * blocks, 0, 32 * blocks.div_ceil(256) + 32)
    } else {
        SizeReport::dense(n, 4 * n, 32 * blocks, 0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_bpw() {
        let n = 64 * 256 * 64;
        assert_eq!(nf4_size(n, 64, false).bits_per_weight, 4.5);
        let dq = nf4_size(n, 64, true).bits_per_weight;
        assert!((dq - (4.0 + 8.0 / 64.0 + 32.0 / 16384.0 + 32.0 / n as f64)).abs() < 1e-12);
        assert!((dq - 4.127).abs() < 0.001);
        // INT4 g=128 with f16 scale only / + 4-bit zero
        let n = 1 << 20;
        assert_eq!(
            SizeReport::dense(n, 4 * n, 16 * n / 128, 0, 0).bits_per_weight,
            4.125
        );
        assert_eq!(
            SizeReport::dense(n, 4 * n, 16 * n / 128, 4 * n / 128, 0).bits_per_weight,
            4.15625
        );
        // 2:4 at fp16: 9 bpw
        let s = SizeReport::dense(4, 64, 0, 0, 0).with_sparsity(SparseKind::NM { m: 4 }, 16, 2);
        assert_eq!(s.bits_per_weight, 9.0);
        assert_eq!(s.layout, "n:m");
    }
}
