//! Patched: GF(2^4) and GF(2^8), the fields of the format information and of the codewords,
//! with logarithm and antilogarithm tables computed at compile time (768 bytes a field) in
//! place of the `g2p` crate, whose generated multiplication tables take 64 KiB a field in
//! the binary. The same fields (the moduli upstream passed to `g2p!`), the same generator
//! and the same results; the tests compare every product, quotient and power with `g2p`.

use std::ops::{Add, AddAssign, Div, Mul, MulAssign};

/// What the decoder needs of a field.
pub trait GaloisField:
    Add<Output = Self> + AddAssign + Mul<Output = Self> + MulAssign + Div<Output = Self> + Copy + Eq
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// `x`, whose powers are every non-zero element.
    const GENERATOR: Self;
    /// `self` to the power `p`.
    fn pow(self, p: usize) -> Self;
}

/// `exp[i]` = x^i for i < 510 (twice the group's order, so the sum of two logarithms needs no
/// reduction), `log[a]` = i with x^i = a for a ≠ 0.
struct Tables {
    exp: [u8; 512],
    log: [u8; 256],
}

const fn tables(bits: u32, modulus: u16) -> Tables {
    let order = (1usize << bits) - 1;
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < order {
        exp[i] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & (1 << bits) != 0 {
            x ^= modulus;
        }
        i += 1;
    }
    while i < 512 {
        exp[i] = exp[i - order];
        i += 1;
    }
    Tables { exp, log }
}

macro_rules! field {
    ($(#[$doc:meta])* $name:ident, $bits:expr, $modulus:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name(pub u8);

        impl $name {
            const ORDER: usize = (1 << $bits) - 1;
            const TABLES: Tables = tables($bits, $modulus);
        }

        // Addition in a field of characteristic 2 is XOR.
        #[allow(clippy::suspicious_arithmetic_impl)]
        impl Add for $name {
            type Output = Self;
            fn add(self, rhs: Self) -> Self {
                $name(self.0 ^ rhs.0)
            }
        }

        #[allow(clippy::suspicious_op_assign_impl)]
        impl AddAssign for $name {
            fn add_assign(&mut self, rhs: Self) {
                self.0 ^= rhs.0;
            }
        }

        impl Mul for $name {
            type Output = Self;
            fn mul(self, rhs: Self) -> Self {
                if self.0 == 0 || rhs.0 == 0 {
                    return $name(0);
                }
                let t = &Self::TABLES;
                $name(t.exp[usize::from(t.log[usize::from(self.0)]) + usize::from(t.log[usize::from(rhs.0)])])
            }
        }

        impl MulAssign for $name {
            fn mul_assign(&mut self, rhs: Self) {
                *self = *self * rhs;
            }
        }

        impl Div for $name {
            type Output = Self;
            /// Panics on division by zero, as `g2p`'s fields do.
            fn div(self, rhs: Self) -> Self {
                assert!(rhs.0 != 0, "division by zero in a Galois field");
                if self.0 == 0 {
                    return $name(0);
                }
                let t = &Self::TABLES;
                let log = usize::from(t.log[usize::from(self.0)]) + Self::ORDER
                    - usize::from(t.log[usize::from(rhs.0)]);
                $name(t.exp[log])
            }
        }

        impl GaloisField for $name {
            const ZERO: Self = $name(0);
            const ONE: Self = $name(1);
            const GENERATOR: Self = $name(2);

            fn pow(self, p: usize) -> Self {
                if p == 0 {
                    return Self::ONE;
                }
                if self.0 == 0 {
                    return Self::ZERO;
                }
                let t = &Self::TABLES;
                let log = usize::from(t.log[usize::from(self.0)]) * (p % Self::ORDER);
                $name(t.exp[log % Self::ORDER])
            }
        }
    };
}

field!(
    /// GF(2^4) modulo x^4 + x + 1: the format information's BCH code.
    GF16, 4, 0b1_0011
);
field!(
    /// GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1: the codewords' Reed-Solomon code.
    GF256, 8, 0b1_0001_1101
);

#[cfg(test)]
mod tests {
    use super::*;

    mod reference {
        g2p::g2p!(GF16, 4, modulus: 0b1_0011);
        g2p::g2p!(GF256, 8, modulus: 0b1_0001_1101);
    }

    macro_rules! same_as_g2p {
        ($test:ident, $ours:ident, $theirs:ty, $size:expr) => {
            #[test]
            fn $test() {
                use g2p::GaloisField as _;
                let theirs = |v: u8| <$theirs>::from(v);
                assert_eq!(theirs($ours::GENERATOR.0), <$theirs>::GENERATOR);
                for a in 0..$size {
                    let (x, tx) = ($ours(a as u8), theirs(a as u8));
                    for b in 0..$size {
                        let (y, ty) = ($ours(b as u8), theirs(b as u8));
                        assert_eq!((x + y).0, u8::from(tx + ty), "{a} + {b}");
                        assert_eq!((x * y).0, u8::from(tx * ty), "{a} * {b}");
                        if b != 0 {
                            assert_eq!((x / y).0, u8::from(tx / ty), "{a} / {b}");
                        }
                    }
                    for p in 0..(3 * $size) {
                        assert_eq!(x.pow(p).0, u8::from(tx.pow(p)), "{a} ^ {p}");
                    }
                }
            }
        };
    }

    same_as_g2p!(gf16_is_g2ps_field, GF16, reference::GF16, 16usize);
    same_as_g2p!(gf256_is_g2ps_field, GF256, reference::GF256, 256usize);

    #[test]
    #[should_panic(expected = "division by zero")]
    fn dividing_by_zero_panics() {
        let _ = GF256(7) / GF256(0);
    }
}
