//! Fixed-width element types found in model files and their exact decoding to `f32`.

/// A fixed-width element type. Names follow safetensors (`F32`, `BF16`, `F8_E4M3`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F64,
    F32,
    F16,
    BF16,
    /// fp8 E4M3 "fn": finite only, S.1111.111 is NaN, bias 7.
    F8E4M3,
    /// fp8 E5M2: IEEE-like, bias 15, with ±Inf and NaN.
    F8E5M2,
    /// fp8 E4M3 "fnuz": bias 8, no −0, 0x80 is NaN, no Inf.
    F8E4M3Fnuz,
    /// fp8 E5M2 "fnuz": bias 16, no −0, 0x80 is NaN, no Inf.
    F8E5M2Fnuz,
    I64,
    I32,
    I16,
    I8,
    U64,
    U32,
    U16,
    U8,
    Bool,
}

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            Self::F64 => "F64",
            Self::F32 => "F32",
            Self::F16 => "F16",
            Self::BF16 => "BF16",
            Self::F8E4M3 => "F8_E4M3",
            Self::F8E5M2 => "F8_E5M2",
            Self::F8E4M3Fnuz => "F8_E4M3FNUZ",
            Self::F8E5M2Fnuz => "F8_E5M2FNUZ",
            Self::I64 => "I64",
            Self::I32 => "I32",
            Self::I16 => "I16",
            Self::I8 => "I8",
            Self::U64 => "U64",
            Self::U32 => "U32",
            Self::U16 => "U16",
            Self::U8 => "U8",
            Self::Bool => "BOOL",
        }
    }

    /// Parse a safetensors dtype name.
    pub fn from_safetensors(s: &str) -> Option<Self> {
        Some(match s {
            "F64" => Self::F64,
            "F32" => Self::F32,
            "F16" => Self::F16,
            "BF16" => Self::BF16,
            "F8_E4M3" => Self::F8E4M3,
            "F8_E5M2" => Self::F8E5M2,
            "F8_E4M3FNUZ" => Self::F8E4M3Fnuz,
            "F8_E5M2FNUZ" => Self::F8E5M2Fnuz,
            "I64" => Self::I64,
            "I32" => Self::I32,
            "I16" => Self::I16,
            "I8" => Self::I8,
            "U64" => Self::U64,
            "U32" => Self::U32,
            "U16" => Self::U16,
            "U8" => Self::U8,
            "BOOL" => Self::Bool,
            _ => return None,
        })
    }

    pub fn size_bytes(self) -> usize {
        match self {
            Self::F64 | Self::I64 | Self::U64 => 8,
            Self::F32 | Self::I32 | Self::U32 => 4,
            Self::F16 | Self::BF16 | Self::I16 | Self::U16 => 2,
            _ => 1,
        }
    }

    /// Floating-point types are offered for compression; integers and booleans are not.
    /// The value of a 16-bit pattern of a 2-byte float type (bf16, f16); NaN for other types.
    pub fn decode_bits(self, bits: u16) -> f32 {
        match self {
            Self::BF16 => f32::from_bits(u32::from(bits) << 16),
            Self::F16 => half::f16::from_bits(bits).to_f32(),
            _ => f32::NAN,
        }
    }

    pub fn is_float(self) -> bool {
        matches!(
            self,
            Self::F64
                | Self::F32
                | Self::F16
                | Self::BF16
                | Self::F8E4M3
                | Self::F8E5M2
                | Self::F8E4M3Fnuz
                | Self::F8E5M2Fnuz
        )
    }
}

/// Decode an 8-bit minifloat with `e` exponent bits and `m` mantissa bits.
/// `fnuz`: 0x80 is the only NaN and there is no −0 and no Inf. Otherwise, with `ieee_inf`, an
/// all-ones exponent means Inf/NaN (E5M2); without it only S.1111.111 is NaN (E4M3 "fn").
fn minifloat(bits: u8, e: u32, m: u32, bias: i32, ieee_inf: bool, fnuz: bool) -> f32 {
    if fnuz && bits == 0x80 {
        return f32::NAN;
    }
    let sign = if bits & 0x80 != 0 { -1.0f32 } else { 1.0 };
    let exp = u32::from(bits >> m) & ((1 << e) - 1);
    let man = u32::from(bits) & ((1 << m) - 1);
    let exp_max = (1 << e) - 1;
    if !fnuz {
        if ieee_inf && exp == exp_max {
            return if man == 0 {
                sign * f32::INFINITY
            } else {
                f32::NAN
            };
        }
        if !ieee_inf && exp == exp_max && man == (1 << m) - 1 {
            return f32::NAN;
        }
    }
    let scale = (1u32 << m) as f32;
    if exp == 0 {
        sign * (man as f32 / scale) * 2f32.powi(1 - bias)
    } else {
        sign * (1.0 + man as f32 / scale) * 2f32.powi(exp as i32 - bias)
    }
}

/// Decode one element from exactly `size_bytes()` bytes.
#[allow(
    clippy::cast_lossless,
    reason = "one macro casts every integer width; the wide ones have no From<_> for f32"
)]
fn decode_one(dtype: DType, be: bool, b: &[u8]) -> f32 {
    macro_rules! int {
        ($t:ty, $n:expr) => {{
            let mut a = [0u8; $n];
            a.copy_from_slice(b);
            (if be {
                <$t>::from_be_bytes(a)
            } else {
                <$t>::from_le_bytes(a)
            }) as f32
        }};
    }
    match dtype {
        DType::F64 => int!(f64, 8),
        DType::F32 => int!(f32, 4),
        DType::F16 => {
            let bits = if be {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            };
            half::f16::from_bits(bits).to_f32()
        }
        DType::BF16 => {
            let bits = if be {
                u16::from_be_bytes([b[0], b[1]])
            } else {
                u16::from_le_bytes([b[0], b[1]])
            };
            half::bf16::from_bits(bits).to_f32()
        }
        DType::F8E4M3 => minifloat(b[0], 4, 3, 7, false, false),
        DType::F8E5M2 => minifloat(b[0], 5, 2, 15, true, false),
        DType::F8E4M3Fnuz => minifloat(b[0], 4, 3, 8, false, true),
        DType::F8E5M2Fnuz => minifloat(b[0], 5, 2, 16, false, true),
        DType::I64 => int!(i64, 8),
        DType::I32 => int!(i32, 4),
        DType::I16 => int!(i16, 2),
        DType::I8 => f32::from(b[0] as i8),
        DType::U64 => int!(u64, 8),
        DType::U32 => int!(u32, 4),
        DType::U16 => int!(u16, 2),
        DType::U8 => f32::from(b[0]),
        DType::Bool => f32::from(u8::from(b[0] != 0)),
    }
}

/// Decode contiguous elements (`bytes.len()` a multiple of the element size).
pub(crate) fn decode_contiguous(dtype: DType, be: bool, bytes: &[u8]) -> Vec<f32> {
    let mut out = vec![0.0f32; bytes.len() / dtype.size_bytes()];
    decode_into(dtype, be, bytes, &mut out);
    out
}

/// Decode `out.len()` contiguous elements from the start of `bytes` into `out` (the streaming
/// path: callers pass cache-sized chunks). Little-endian f32, bf16 and f16 and the fp8 types
/// take fast paths; the values are the same as [`decode_one`]'s.
pub(crate) fn decode_into(dtype: DType, be: bool, bytes: &[u8], out: &mut [f32]) {
    let size = dtype.size_bytes();
    let bytes = &bytes[..out.len() * size];
    match (dtype, be) {
        (DType::F32, false) => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            }
        }
        (DType::BF16, false) => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = f32::from_bits(u32::from(u16::from_le_bytes([c[0], c[1]])) << 16);
            }
        }
        (DType::F16, false) => {
            use half::slice::HalfFloatSliceExt;
            let mut bits = [half::f16::ZERO; 256];
            for (o, c) in out.chunks_mut(256).zip(bytes.chunks(512)) {
                for (h, b) in bits.iter_mut().zip(c.chunks_exact(2)) {
                    *h = half::f16::from_bits(u16::from_le_bytes([b[0], b[1]]));
                }
                bits[..o.len()].convert_to_f32_slice(o);
            }
        }
        (DType::F8E4M3 | DType::F8E5M2 | DType::F8E4M3Fnuz | DType::F8E5M2Fnuz, _) => {
            let lut: Vec<f32> = (0..=255u8)
                .map(|b| decode_one(dtype, false, &[b]))
                .collect();
            for (o, &b) in out.iter_mut().zip(bytes) {
                *o = lut[usize::from(b)];
            }
        }
        _ => {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(size)) {
                *o = decode_one(dtype, be, c);
            }
        }
    }
}

/// Gather elements at `elem_offset + Σ idx[d]·strides[d]` in C order of `shape`. The caller has
/// checked (with [`super::source::RawLoc::validate`]) that every reached element is inside `storage`.
pub(crate) fn decode_strided(
    dtype: DType,
    be: bool,
    storage: &[u8],
    elem_offset: usize,
    shape: &[usize],
    strides: &[usize],
) -> Vec<f32> {
    let n: usize = shape.iter().product();
    let size = dtype.size_bytes();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut idx = vec![0usize; shape.len()];
    let mut pos = elem_offset;
    for _ in 0..n {
        out.push(decode_one(
            dtype,
            be,
            &storage[pos * size..(pos + 1) * size],
        ));
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            pos += strides[d];
            if idx[d] < shape[d] {
                break;
            }
            pos -= strides[d] * shape[d];
            idx[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fp8_e4m3fn_reference_values() {
        let d = |b| minifloat(b, 4, 3, 7, false, false);
        assert_eq!(d(0x7e), 448.0);
        assert!(d(0x7f).is_nan());
        assert_eq!(d(0x01), 2f32.powi(-9));
        assert_eq!(d(0x38), 1.0);
        assert_eq!(d(0xb8), -1.0);
    }

    #[test]
    fn fp8_e5m2_reference_values() {
        let d = |b| minifloat(b, 5, 2, 15, true, false);
        assert_eq!(d(0x7b), 57344.0);
        assert_eq!(d(0x7c), f32::INFINITY);
        assert!(d(0x7d).is_nan());
        assert_eq!(d(0x3c), 1.0);
        assert_eq!(d(0x01), 2f32.powi(-16));
    }

    #[test]
    fn fp8_fnuz_reference_values() {
        assert!(minifloat(0x80, 4, 3, 8, false, true).is_nan());
        assert_eq!(minifloat(0x7f, 4, 3, 8, false, true), 240.0);
        assert_eq!(minifloat(0x7f, 5, 2, 16, false, true), 57344.0);
    }

    #[test]
    fn strided_gather_transposes() {
        // storage 0..6 as f32, read as the transpose of a 2x3 C array
        let bytes: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let out = decode_strided(DType::F32, false, &bytes, 0, &[3, 2], &[1, 3]);
        assert_eq!(out, vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    }

    #[test]
    fn big_endian_decodes() {
        assert_eq!(
            decode_contiguous(DType::I16, true, &[0xff, 0xfe]),
            vec![-2.0]
        );
        assert_eq!(
            decode_contiguous(DType::F32, true, &1.5f32.to_be_bytes()),
            vec![1.5]
        );
    }
}
