//! A minimal unsigned big integer: just enough for exact decimal text in and out
//! (multiply by small numbers, shifts, compare, subtract, bounded division).

use std::cmp::Ordering;

/// Little-endian base-2^32 limbs, no trailing zero limbs (zero is the empty vector).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Big {
    limbs: Vec<u32>,
}

impl Big {
    pub fn zero() -> Big {
        Big { limbs: Vec::new() }
    }

    pub fn from_u128(mut v: u128) -> Big {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    /// Number of significant bits (0 for zero).
    pub fn bit_len(&self) -> i64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => (self.limbs.len() as i64) * 32 - i64::from(top.leading_zeros()),
        }
    }

    pub fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    pub fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            if carry == 0 {
                break;
            }
            let t = u64::from(*limb) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    pub fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        self.mul_small(10u32.pow(n));
    }

    pub fn mul_pow5(&mut self, mut n: u32) {
        while n >= 13 {
            self.mul_small(1_220_703_125); // 5^13
            n -= 13;
        }
        self.mul_small(5u32.pow(n));
    }

    pub fn mul(&self, other: &Big) -> Big {
        if self.is_zero() || other.is_zero() {
            return Big::zero();
        }
        let mut out = vec![0u32; self.limbs.len() + other.limbs.len()];
        for (i, &a) in self.limbs.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.limbs.iter().enumerate() {
                let t = u64::from(out[i + j]) + u64::from(a) * u64::from(b) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            let mut k = i + other.limbs.len();
            while carry != 0 {
                let t = u64::from(out[k]) + carry;
                out[k] = t as u32;
                carry = t >> 32;
                k += 1;
            }
        }
        let mut big = Big { limbs: out };
        big.trim();
        big
    }

    /// self · 2^n.
    pub fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let words = (n / 32) as usize;
        let bits = (n % 32) as u32;
        let mut limbs = vec![0u32; words];
        if bits == 0 {
            limbs.extend_from_slice(&self.limbs);
        } else {
            let mut carry = 0u32;
            for &limb in &self.limbs {
                limbs.push((limb << bits) | carry);
                carry = limb >> (32 - bits);
            }
            if carry != 0 {
                limbs.push(carry);
            }
        }
        Big { limbs }
    }

    /// self >>= 1.
    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.limbs.iter_mut().rev() {
            let next = *limb & 1;
            *limb = (*limb >> 1) | (carry << 31);
            carry = next;
        }
        self.trim();
    }

    pub fn cmp_big(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// self −= other; requires self ≥ other.
    pub fn sub_assign(&mut self, other: &Big) {
        debug_assert!(self.cmp_big(other) != Ordering::Less);
        let mut borrow = 0i64;
        for i in 0..self.limbs.len() {
            let b = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut t = i64::from(self.limbs[i]) - b - borrow;
            borrow = 0;
            if t < 0 {
                t += 1 << 32;
                borrow = 1;
            }
            self.limbs[i] = t as u32;
        }
        self.trim();
    }

    /// |self − other|.
    pub fn abs_diff(&self, other: &Big) -> Big {
        if self.cmp_big(other) == Ordering::Less {
            let mut d = other.clone();
            d.sub_assign(self);
            d
        } else {
            let mut d = self.clone();
            d.sub_assign(other);
            d
        }
    }

    /// (floor(self / div), self mod div) when the quotient is known to be below 2^k (k ≤ 127).
    pub fn div_rem_bounded(&self, div: &Big, k: u32) -> (u128, Big) {
        debug_assert!(k <= 127 && !div.is_zero());
        let mut rem = self.clone();
        let mut quot = 0u128;
        if k == 0 {
            return (0, rem);
        }
        let mut shifted = div.shl(u64::from(k - 1));
        for i in (0..k).rev() {
            if rem.cmp_big(&shifted) != Ordering::Less {
                rem.sub_assign(&shifted);
                quot |= 1u128 << i;
            }
            shifted.shr1();
        }
        (quot, rem)
    }

    fn div_rem_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// Decimal digits, "0" for zero.
    pub fn to_decimal(&self) -> String {
        if self.is_zero() {
            return "0".into();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_rem_small(1_000_000_000));
        }
        let mut s = chunks.pop().map(|c| c.to_string()).unwrap_or_default();
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }

    /// The top 64 bits as (mantissa, shift): self ≈ mantissa · 2^shift.
    pub fn top_u64(&self) -> (u64, i64) {
        let len = self.bit_len();
        if len <= 64 {
            let mut v = 0u64;
            for (i, &l) in self.limbs.iter().enumerate() {
                v |= u64::from(l) << (32 * i);
            }
            return (v, 0);
        }
        let shift = len - 64;
        let mut v = 0u64;
        for bit in (0..64).rev() {
            let pos = shift + bit;
            let limb = self.limbs[(pos / 32) as usize];
            v |= u64::from((limb >> (pos % 32)) & 1) << bit;
        }
        (v, shift)
    }

    /// self / other as f64 (relative error about 2^−62 before the final rounding).
    pub fn ratio_f64(&self, other: &Big) -> f64 {
        if self.is_zero() {
            return 0.0;
        }
        let (a, sa) = self.top_u64();
        let (b, sb) = other.top_u64();
        let q = a as f64 / b as f64;
        let k = sa - sb;
        // Apply 2^k in steps so that neither factor overflows or underflows early.
        let mut r = q;
        let mut k = k;
        while k > 1000 {
            r *= super::pow2(1000);
            k -= 1000;
        }
        while k < -1000 {
            r *= super::pow2(-1000);
            k += 1000;
        }
        r * super::pow2(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip_of_powers() {
        let mut b = Big::from_u128(1);
        b.mul_pow10(30);
        assert_eq!(b.to_decimal(), format!("1{}", "0".repeat(30)));
        let mut f = Big::from_u128(1);
        f.mul_pow5(27);
        assert_eq!(f.to_decimal(), 5u128.pow(27).to_string());
        assert_eq!(
            Big::from_u128(1).shl(100).to_decimal(),
            (1u128 << 100).to_string()
        );
    }

    #[test]
    fn bounded_division() {
        let a = Big::from_u128(1_000_000_007 * 977 + 55);
        let (q, r) = a.div_rem_bounded(&Big::from_u128(977), 40);
        assert_eq!(q, 1_000_000_007);
        assert_eq!(r, Big::from_u128(55));
        let x = Big::from_u128((1u128 << 64) + 1);
        let sq = x.mul(&x);
        let mut expect = Big::from_u128(1).shl(128);
        let low = Big::from_u128((1u128 << 65) + 1);
        expect = Big {
            limbs: {
                let mut l = expect.limbs.clone();
                for (i, v) in low.limbs.iter().enumerate() {
                    l[i] += v;
                }
                l
            },
        };
        assert_eq!(sq, expect);
        let mut s = Big::from_u128(10);
        s.sub_assign(&Big::from_u128(3));
        assert_eq!(s, Big::from_u128(7));
        assert!((Big::from_u128(1).ratio_f64(&Big::from_u128(3)) - 1.0 / 3.0).abs() < 1e-16);
    }
}
