//! Fast f32 kernels for the compression engine: RNE encode, round-trip rounding and decode.
//!
//! [`FastFloat`] precomputes the bit-twiddling constants of a [`FloatSpec`] once; its
//! per-value functions are branch-free selects over integer and f32 operations so loops over
//! slices vectorise (no allocation, no table lookups on the encode side).
//!
//! Encode, for |x| with f32 bits `a`:
//! - at or above the target's min normal: RNE on the bits (`a + 0x7FF… + lsb`, shift), then
//!   subtract the rebias; a carry ripples into the exponent by itself;
//! - below it: `|x| + C` with C = 2^(emin − m + 23) rounds |x| to the subnormal grid in f32
//!   arithmetic (RNE), and `bits(|x| + C) − bits(C)` is the code;
//! - then overflow (decided after rounding), NaN and sign rules by select.
//!
//! Formats the kernel cannot express exactly (unsigned floats other than E8M0, ranges beyond
//! binary32, more than 22 mantissa bits) fall back to the exact encoder.

use super::{FloatSpec, Format, Overflow, Rounding, SpecialRule};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kernel {
    /// Signed float within binary32's range, man_bits ≤ 22.
    Bits,
    /// binary32 itself: identity.
    Identity,
    /// E8M0 (8 exponent bits, bias 127).
    E8m0,
    /// Anything else: the exact encoder.
    Exact,
}

/// Precomputed constants for fast f32 ↔ format conversion.
#[derive(Clone, Copy, Debug)]
pub struct FastFloat {
    spec: FloatSpec,
    kernel: Kernel,
    shift: u32,
    round_bias: u32,
    rebias: u32,
    min_normal_bits: u32,
    magic: f32,
    magic_bits: u32,
    max_code: u32,
    sign_shift: u32,
    all_ones: u32,
    zero_sign: u32,
    // Results (with sign) for NaN / overflow / ±Inf inputs: [positive, negative].
    nan_out: [u32; 2],
    ovf_out: [u32; 2],
    inf_out: [u32; 2],
    sat_ovf_out: [u32; 2],
    sat_inf_out: [u32; 2],
    // Round trip in the f32 domain: the same results as f32 bit patterns.
    low_mask: u32,
    max_val_bits: u32,
    ovf_val: [u32; 2],
    inf_val: [u32; 2],
    nan_val: [u32; 2],
    sat_ovf_val: [u32; 2],
    sat_inf_val: [u32; 2],
    // Decode.
    scale: f32,
    nan_lo: u32,
    inf_code: u32,
    fnuz: bool,
}

impl Kernel {
    /// The kernel that encodes `spec` exactly.
    fn for_spec(spec: &FloatSpec) -> Kernel {
        let m = spec.man_bits;
        let emin = 1 - spec.bias;
        let top = (spec.max_mag_code() >> m) as i32 - spec.bias;
        if spec.sign
            && spec.exp_bits == 8
            && m == 23
            && spec.bias == 127
            && spec.special == SpecialRule::Ieee
        {
            Kernel::Identity
        } else if spec.special == SpecialRule::E8m0 && spec.exp_bits == 8 && spec.bias == 127 {
            Kernel::E8m0
        } else if spec.sign && m <= 22 && emin >= -126 && top <= 127 && spec.exp_bits <= 8 {
            Kernel::Bits
        } else {
            Kernel::Exact
        }
    }
}

/// The codes (positive, negative) an overflowing finite input and an infinite input encode
/// to by default, and an infinite input when saturating. `sb`: the sign bit as a u32.
#[allow(clippy::type_complexity)]
fn special_codes(spec: &FloatSpec, sb: u32, max_code: u32) -> ([u32; 2], [u32; 2], [u32; 2]) {
    let nan = |neg: bool| spec.nan_bits(neg) as u32;
    let (ovf_out, inf_out) = match spec.special {
        SpecialRule::Ieee => (
            [max_code.wrapping_add(1), sb | (max_code.wrapping_add(1))],
            [max_code.wrapping_add(1), sb | (max_code.wrapping_add(1))],
        ),
        SpecialRule::Finite => ([max_code, sb | max_code], [max_code, sb | max_code]),
        _ => ([nan(false), nan(true)], [nan(false), nan(true)]),
    };
    let sat_inf_out = if spec.special == SpecialRule::Fnuz {
        [nan(false), nan(true)]
    } else {
        [max_code, sb | max_code]
    };
    (ovf_out, inf_out, sat_inf_out)
}

/// The smallest magnitude code that decodes to NaN (`u32::MAX`: none).
fn nan_lo(spec: &FloatSpec, max_code: u32) -> u32 {
    match spec.special {
        SpecialRule::Ieee => max_code.wrapping_add(2),
        SpecialRule::FiniteNanAllOnes | SpecialRule::E8m0 => spec.all_ones_mag() as u32,
        _ => u32::MAX,
    }
}

impl FastFloat {
    pub fn new(spec: &FloatSpec) -> FastFloat {
        let m = spec.man_bits;
        let emin = 1 - spec.bias;
        let kernel = Kernel::for_spec(spec);
        let bits_kernel = kernel == Kernel::Bits;
        let shift = 23 - m.min(23);
        let sign_shift = spec.exp_bits + m;
        // Codes are u32: formats wider than 32 bits go through the exact encoder, truncated.
        let sb = if spec.sign && sign_shift < 32 {
            1u32 << sign_shift
        } else {
            0
        };
        let max_code = spec.max_mag_code() as u32;
        let nan = |neg: bool| spec.nan_bits(neg) as u32;
        let (ovf_out, inf_out, sat_inf_out) = special_codes(spec, sb, max_code);
        let magic_exp = emin - m as i32 + 23;
        let magic = if bits_kernel {
            super::pow2(i64::from(magic_exp)) as f32
        } else {
            1.0
        };
        let mut f = FastFloat {
            spec: *spec,
            kernel,
            shift,
            round_bias: if shift > 0 {
                (1u32 << (shift - 1)) - 1
            } else {
                0
            },
            rebias: if bits_kernel {
                ((127 - spec.bias).max(0) as u32) << m
            } else {
                0
            },
            min_normal_bits: if bits_kernel {
                ((emin + 127) as u32) << 23
            } else {
                0
            },
            magic,
            magic_bits: magic.to_bits(),
            max_code,
            sign_shift,
            all_ones: spec.all_ones_mag() as u32,
            zero_sign: u32::from(spec.special != SpecialRule::Fnuz),
            nan_out: [nan(false), nan(true)],
            ovf_out,
            inf_out,
            sat_ovf_out: [max_code, sb | max_code],
            sat_inf_out,
            scale: if bits_kernel {
                super::pow2(i64::from(127 - spec.bias)) as f32
            } else {
                1.0
            },
            nan_lo: nan_lo(spec, max_code),
            inf_code: if spec.special == SpecialRule::Ieee {
                max_code.wrapping_add(1)
            } else {
                u32::MAX
            },
            fnuz: spec.special == SpecialRule::Fnuz,
            low_mask: if shift >= 32 {
                u32::MAX
            } else {
                (1u32 << shift) - 1
            },
            max_val_bits: 0,
            ovf_val: [0; 2],
            inf_val: [0; 2],
            nan_val: [0; 2],
            sat_ovf_val: [0; 2],
            sat_inf_val: [0; 2],
        };
        f.set_round_trip_values();
        f
    }

    /// The round trip's results as f32 bits: the decoded special codes (needs the decode
    /// constants set).
    fn set_round_trip_values(&mut self) {
        let val = |f: &FastFloat, pair: [u32; 2]| pair.map(|c| f.decode_f32(c).to_bits());
        self.max_val_bits = self.decode_f32(self.max_code).to_bits();
        self.ovf_val = val(self, self.ovf_out);
        self.inf_val = val(self, self.inf_out);
        self.nan_val = val(self, self.nan_out);
        self.sat_ovf_val = val(self, self.sat_ovf_out);
        self.sat_inf_val = val(self, self.sat_inf_out);
    }

    pub fn spec(&self) -> &FloatSpec {
        &self.spec
    }

    /// RNE encode with the format's default overflow rule.
    #[inline]
    pub fn encode_f32(&self, x: f32) -> u32 {
        self.encode_mode(x, false)
    }

    /// RNE encode; `saturate` selects bitlens' saturate mode (formats.md §4.1).
    #[inline]
    pub fn encode_mode(&self, x: f32, saturate: bool) -> u32 {
        match self.kernel {
            Kernel::Bits => self.encode_bits(x, saturate),
            Kernel::Identity if saturate && x.is_infinite() => f32::MAX.copysign(x).to_bits(),
            Kernel::Identity => x.to_bits(),
            Kernel::E8m0 => encode_e8m0(x, saturate),
            Kernel::Exact => {
                let ovf = if saturate {
                    Overflow::Saturate
                } else {
                    Overflow::Default
                };
                Format::Float(self.spec)
                    .encode_f64(f64::from(x), Rounding::NearestEven, ovf)
                    .bits as u32
            }
        }
    }

    #[inline(always)]
    fn encode_bits(&self, x: f32, saturate: bool) -> u32 {
        let u = x.to_bits();
        // All ones for a negative input: selects between the [positive, negative] results
        // without indexing, so the loop stays a chain of vector selects.
        let negm = 0u32.wrapping_sub(u >> 31);
        let pick = |pair: [u32; 2]| pair[0] ^ ((pair[0] ^ pair[1]) & negm);
        let a = u & 0x7FFF_FFFF;
        let code_n = ((a + self.round_bias + ((a >> self.shift) & 1)) >> self.shift)
            .wrapping_sub(self.rebias);
        let code_s = (f32::from_bits(a) + self.magic)
            .to_bits()
            .wrapping_sub(self.magic_bits);
        let code = if a < self.min_normal_bits {
            code_s
        } else {
            code_n
        };
        let sbit = (u >> 31) << self.sign_shift;
        let keep = if code == 0 {
            self.zero_sign.wrapping_neg()
        } else {
            u32::MAX
        };
        let normal = code | (sbit & keep);
        let (ovf, inf) = if saturate {
            (self.sat_ovf_out, self.sat_inf_out)
        } else {
            (self.ovf_out, self.inf_out)
        };
        let r = if code > self.max_code {
            pick(ovf)
        } else {
            normal
        };
        let r = if a == 0x7F80_0000 { pick(inf) } else { r };
        if a > 0x7F80_0000 {
            pick(self.nan_out)
        } else {
            r
        }
    }

    /// The value after an RNE round trip through the format (saturating to ±max when asked).
    #[inline]
    pub fn round_f32(&self, x: f32, saturate: bool) -> f32 {
        if self.kernel == Kernel::Bits {
            self.round_bits(x, saturate)
        } else {
            self.decode_f32(self.encode_mode(x, saturate))
        }
    }

    /// RNE to the format's grid directly in the f32 domain (no encode / decode).
    #[inline(always)]
    fn round_bits(&self, x: f32, saturate: bool) -> f32 {
        let u = x.to_bits();
        let negm = 0u32.wrapping_sub(u >> 31);
        let pick = |pair: [u32; 2]| pair[0] ^ ((pair[0] ^ pair[1]) & negm);
        let a = u & 0x7FFF_FFFF;
        let rn = (a + self.round_bias + ((a >> self.shift) & 1)) & !self.low_mask;
        let rs = ((f32::from_bits(a) + self.magic) - self.magic).to_bits();
        let rabs = if a < self.min_normal_bits { rs } else { rn };
        let keep = if rabs == 0 {
            self.zero_sign.wrapping_neg()
        } else {
            u32::MAX
        };
        let normal = rabs | (u & 0x8000_0000 & keep);
        let (ovf, inf) = if saturate {
            (self.sat_ovf_val, self.sat_inf_val)
        } else {
            (self.ovf_val, self.inf_val)
        };
        let r = if rabs > self.max_val_bits {
            pick(ovf)
        } else {
            normal
        };
        let r = if a == 0x7F80_0000 { pick(inf) } else { r };
        f32::from_bits(if a > 0x7F80_0000 {
            pick(self.nan_val)
        } else {
            r
        })
    }

    /// Decode a pattern to f32 (exact for every format the bit kernel covers).
    #[inline]
    pub fn decode_f32(&self, code: u32) -> f32 {
        match self.kernel {
            Kernel::Bits => self.decode_bits(code),
            Kernel::Identity => f32::from_bits(code),
            Kernel::E8m0 => {
                let e = code & 0xFF;
                let v = f32::from_bits(if e == 0 { 0x0040_0000 } else { e << 23 });
                if e == 0xFF { f32::NAN } else { v }
            }
            Kernel::Exact => Format::Float(self.spec).decode(u64::from(code)).value as f32,
        }
    }

    #[inline(always)]
    fn decode_bits(&self, code: u32) -> f32 {
        let mag = code & self.all_ones;
        let neg = (code >> self.sign_shift) & 1;
        let v = f32::from_bits(mag << self.shift) * self.scale;
        let nan = (mag >= self.nan_lo) | (self.fnuz & (neg == 1) & (mag == 0));
        let v = if mag == self.inf_code {
            f32::INFINITY
        } else {
            v
        };
        let v = f32::from_bits(v.to_bits() | (neg << 31));
        if nan { f32::NAN } else { v }
    }

    /// Encode a slice to one byte per value (formats of at most 8 bits).
    pub fn encode_slice_u8(&self, xs: &[f32], out: &mut [u8]) {
        // Dispatch once so the inner loop is a straight select chain that vectorises.
        if self.kernel == Kernel::Bits {
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = self.encode_bits(x, false) as u8;
            }
        } else {
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = self.encode_f32(x) as u8;
            }
        }
    }

    /// Encode a slice to u16 codes (formats of at most 16 bits).
    pub fn encode_slice_u16(&self, xs: &[f32], out: &mut [u16]) {
        if self.kernel == Kernel::Bits {
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = self.encode_bits(x, false) as u16;
            }
        } else {
            for (o, &x) in out.iter_mut().zip(xs) {
                *o = self.encode_f32(x) as u16;
            }
        }
    }

    /// Round every value in place (fake quantization).
    pub fn round_slice(&self, xs: &mut [f32], saturate: bool) {
        if self.kernel == Kernel::Bits {
            for x in xs.iter_mut() {
                *x = self.round_bits(*x, saturate);
            }
        } else {
            for x in xs.iter_mut() {
                *x = self.round_f32(*x, saturate);
            }
        }
    }

    /// Decode u16 codes to f32.
    pub fn decode_slice_u16(&self, codes: &[u16], out: &mut [f32]) {
        if self.kernel == Kernel::Bits {
            for (o, &c) in out.iter_mut().zip(codes) {
                *o = self.decode_bits(u32::from(c));
            }
        } else {
            for (o, &c) in out.iter_mut().zip(codes) {
                *o = self.decode_f32(u32::from(c));
            }
        }
    }

    /// Decode bytes to f32 (formats of at most 8 bits).
    pub fn decode_slice_u8(&self, codes: &[u8], out: &mut [f32]) {
        let lut = self.lut8();
        for (o, &c) in out.iter_mut().zip(codes) {
            *o = lut[usize::from(c)];
        }
    }

    /// A 256-entry decode table (formats of at most 8 bits; higher codes wrap).
    pub fn lut8(&self) -> [f32; 256] {
        let mut t = [0.0f32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            *v = self.decode_f32(i as u32 & super::width_mask(self.spec.width()) as u32);
        }
        t
    }
}

/// E8M0 from f32: nearest power of two, ties up (formats.md §4.2).
#[inline]
fn encode_e8m0(x: f32, saturate: bool) -> u32 {
    let u = x.to_bits();
    let e = (u >> 23) & 0xFF;
    let mant = u & 0x7F_FFFF;
    let code = if e == 0 {
        u32::from(mant >= 0x60_0000)
    } else {
        e + u32::from(mant >= 0x40_0000)
    };
    let nonpos = (u >> 31) == 1 || (u & 0x7FFF_FFFF) == 0;
    if x.is_nan() {
        0xFF
    } else if nonpos {
        if saturate { 0x00 } else { 0xFF }
    } else if code >= 0xFF {
        if saturate { 0xFE } else { 0xFF }
    } else {
        code
    }
}

impl FloatSpec {
    /// RNE encode of an f32 with the format's default overflow rule. For loops, build a
    /// [`FastFloat`] once with [`FloatSpec::fast`] (this recomputes its constants).
    #[inline]
    pub fn encode_f32(&self, x: f32) -> u32 {
        FastFloat::new(self).encode_f32(x)
    }

    /// The value of `x` after an RNE round trip (saturating to ±max when asked).
    #[inline]
    pub fn round_f32(&self, x: f32, saturate: bool) -> f32 {
        FastFloat::new(self).round_f32(x, saturate)
    }

    /// Precompute the fast kernel constants.
    pub fn fast(&self) -> FastFloat {
        FastFloat::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_layouts_do_not_panic() {
        // The GUI's custom editor builds specs without `validate()`: nothing here may panic.
        for (sign, e, m) in [
            (true, 11, 52),
            (false, 12, 52),
            (true, 1, 0),
            (false, 63, 1),
            (true, 2, 61),
        ] {
            for special in [
                SpecialRule::Ieee,
                SpecialRule::FiniteNanAllOnes,
                SpecialRule::Fnuz,
                SpecialRule::Finite,
                SpecialRule::E8m0,
            ] {
                let spec = FloatSpec {
                    sign,
                    exp_bits: e,
                    man_bits: m,
                    bias: 3,
                    special,
                };
                let fast = spec.fast();
                let _ = (
                    fast.encode_f32(1.5),
                    fast.round_f32(-2.0, true),
                    fast.decode_f32(7),
                );
                let f = Format::Float(spec);
                for b in [0u64, 1, 7, u64::MAX] {
                    let _ = (
                        f.decode(b),
                        f.exact_decimal(b),
                        f.formula(b),
                        f.next_up(b),
                        f.gaps(b),
                    );
                }
                let _ = f.encode_f64(0.1, Rounding::NearestEven, Overflow::Default);
            }
        }
        for f in [
            Format::Int(crate::numfmt::IntSpec {
                width: 0,
                encoding: crate::numfmt::IntEncoding::SignMagnitude,
            }),
            Format::Fixed(crate::numfmt::FixedSpec {
                total_bits: 0,
                frac_bits: 70,
                signed: true,
            }),
        ] {
            let _ = (
                f.decode(1),
                f.exact_decimal(1),
                f.formula(1),
                f.next_up(0),
                f.range(),
            );
            let _ = f.encode_f64(-3.5, Rounding::NearestEven, Overflow::Default);
        }
    }

    #[test]
    fn matches_exact_encoder_on_edges() {
        // Every named float but f64 (the fast kernels take f32 inputs).
        for name in crate::numfmt::names::NAMED
            .iter()
            .map(|n| n.0)
            .filter(|&id| id != "f64")
        {
            let Ok(Format::Float(spec)) = Format::parse(name) else {
                panic!()
            };
            let fast = spec.fast();
            let fmt = Format::Float(spec);
            let xs = [
                0.0f32,
                -0.0,
                1.0,
                -1.5,
                464.0,
                465.0,
                448.5,
                65520.0,
                1e-30,
                -1e-45,
                3.0e38,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NAN,
                -f32::NAN,
                0.1,
                7.75,
                30.0,
                248.0,
                2.0e-3,
                6.1e-5,
            ];
            for &x in &xs {
                for sat in [false, true] {
                    let ovf = if sat {
                        Overflow::Saturate
                    } else {
                        Overflow::Default
                    };
                    let want = fmt
                        .encode_f64(f64::from(x), Rounding::NearestEven, ovf)
                        .bits as u32;
                    assert_eq!(fast.encode_mode(x, sat), want, "{name} {x} sat={sat}");
                }
            }
        }
    }
}
