/// Exact conversions between IEEE binary16 (`F16`), bfloat16 (`BF16`) and binary32/64.
///
/// Narrowing rounds to nearest, ties to even; infinities keep their sign; NaNs stay NaNs (payload
/// bits are kept where they fit, as NumPy's `npy_floatbits_to_halfbits` does). Widening is exact.
public enum HalfPrecision {
    // MARK: binary16

    /// The f32 value of an f16 bit pattern (exact; NaN payloads kept).
    @inlinable
    public static func float(fromF16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa x 2^-24, exact in f32.
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: magnitude.bitPattern | sign)
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// The f16 bit pattern nearest to `value` (ties to even; overflow to infinity).
    @inlinable
    public static func f16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude >= 0x7F80_0000 {  // Inf or NaN
            if magnitude == 0x7F80_0000 { return sign | 0x7C00 }
            var payload = UInt16(truncatingIfNeeded: (magnitude & 0x007F_FFFF) >> 13)
            if payload == 0 { payload = 1 }  // keep it a NaN
            return sign | 0x7C00 | payload
        }
        if magnitude >= 0x477F_F000 {  // >= 65520: rounds past the largest finite half
            return sign | 0x7C00
        }
        let exponent = magnitude >> 23
        if exponent < 113 {  // below 2^-14: a subnormal half (or zero)
            let shift = 126 - exponent  // value = significand x 2^-shift in units of 2^-24
            if shift > 24 { return sign }
            let significand = (magnitude & 0x007F_FFFF) | 0x0080_0000
            return sign | UInt16(truncatingIfNeeded: roundShiftEven(significand, by: shift))
        }
        let unrounded = ((exponent - 112) << 10) | ((magnitude & 0x007F_FFFF) >> 13)
        let remainder = magnitude & 0x1FFF
        let rounded = unrounded + roundingIncrement(remainder: remainder, half: 0x1000, lowBit: unrounded & 1)
        return sign | UInt16(truncatingIfNeeded: rounded)
    }

    // MARK: bfloat16

    /// The f32 value of a bf16 bit pattern (exact).
    @inlinable
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bf16 bit pattern nearest to `value` (ties to even; NaN stays NaN with its sign).
    @inlinable
    public static func bf16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN {
            return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040
        }
        let bias = ((bits >> 16) & 1) + 0x7FFF
        return UInt16(truncatingIfNeeded: (bits &+ bias) >> 16)
    }

    // MARK: from binary64

    /// `value` rounded to f32 with round-to-odd: narrowing that result again to f16 or bf16 then
    /// rounds exactly as a direct f64 -> f16/bf16 conversion would (no double rounding).
    @inlinable
    public static func floatRoundedToOdd(_ value: Double) -> Float {
        let nearest = Float(value)
        if value.isNaN || Double(nearest) == value { return nearest }
        if nearest.isInfinite { return nearest }  // beyond f32: beyond f16 and bf16 too
        // Truncate toward zero, then force the lowest bit on.
        var truncated = nearest
        if abs(Double(nearest)) > abs(value) { truncated = nearest.magnitude.nextDown * (nearest.sign == .minus ? -1 : 1) }
        return Float(bitPattern: truncated.bitPattern | 1)
    }

    /// The f16 bit pattern nearest to a f64 value.
    @inlinable
    public static func f16Bits(from value: Double) -> UInt16 { f16Bits(from: floatRoundedToOdd(value)) }

    /// The bf16 bit pattern nearest to a f64 value.
    @inlinable
    public static func bf16Bits(from value: Double) -> UInt16 { bf16Bits(from: floatRoundedToOdd(value)) }

    // MARK: helpers

    @usableFromInline
    static func roundingIncrement(remainder: UInt32, half: UInt32, lowBit: UInt32) -> UInt32 {
        (remainder > half || (remainder == half && lowBit == 1)) ? 1 : 0
    }

    @usableFromInline
    static func roundShiftEven(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let truncated = value >> shift
        let remainder = value & ((1 << shift) - 1)
        return truncated + roundingIncrement(remainder: remainder, half: 1 << (shift - 1), lowBit: truncated & 1)
    }
}
