import Foundation
import Testing
@testable import LMZooCore

/// Exhaustive checks of f16/bf16 <-> f32 conversion against independent references: Swift's
/// `Float16` (compiler-rt / F16C, correctly rounded) and a Double-based formula.
@Suite struct HalfPrecisionTests {
    /// The value of an f16 pattern computed from the IEEE formula in Double.
    static func referenceF16Value(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * pow(2, -24)
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * pow(2, Double(exponent - 15))
        }
    }

    @Test func f16ToF32IsExactForAll65536Patterns() {
        for raw in 0...0xFFFF {
            let bits = UInt16(raw)
            let ours = HalfPrecision.float(fromF16: bits)
            let swift = Float(Float16(bitPattern: bits))
            let formula = HalfPrecisionTests.referenceF16Value(bits)
            if formula.isNaN {
                #expect(ours.isNaN && swift.isNaN, "pattern \(raw)")
                #expect(ours.sign == swift.sign)
                // Payload kept (NumPy's rule): the 10 mantissa bits land in the top of f32's 23.
                #expect(ours.bitPattern & 0x007F_FFFF == UInt32(bits & 0x3FF) << 13)
            } else {
                #expect(ours.bitPattern == swift.bitPattern, "pattern \(raw)")
                #expect(Double(ours) == formula, "pattern \(raw)")
            }
        }
    }

    @Test func f32ToF16RoundTripsAndRoundsMidpointsToEven() {
        for raw in 0...0xFFFF {
            let bits = UInt16(raw)
            let value = HalfPrecision.float(fromF16: bits)
            if value.isNaN {
                let back = HalfPrecision.f16Bits(from: value)
                #expect(back & 0x7C00 == 0x7C00 && back & 0x3FF != 0 && back & 0x8000 == bits & 0x8000)
                continue
            }
            #expect(HalfPrecision.f16Bits(from: value) == bits, "round trip \(raw)")
            // Midpoint to the next pattern of larger magnitude (exact in f32), and its neighbours.
            let next = bits &+ 1
            guard next & 0x7FFF <= 0x7C00 else { continue }
            let upper = HalfPrecision.float(fromF16: next)
            let midpoint = value.isInfinite ? value : (value + upper) / 2
            guard midpoint.isFinite, Double(midpoint) == (Double(value) + Double(upper)) / 2 else { continue }
            for probe in [midpoint.nextDown, midpoint, midpoint.nextUp] {
                #expect(HalfPrecision.f16Bits(from: probe) == Float16(probe).bitPattern, "probe near \(raw)")
            }
            let even = bits & 1 == 0 ? bits : next
            #expect(HalfPrecision.f16Bits(from: midpoint) == even, "tie at \(raw)")
        }
    }

    @Test func f32ToF16MatchesSwiftOnRandomPatterns() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<500_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            let ours = HalfPrecision.f16Bits(from: value)
            if value.isNaN {
                #expect(Float16(bitPattern: ours).isNaN)
            } else {
                #expect(ours == Float16(value).bitPattern, "value \(value)")
            }
        }
        #expect(HalfPrecision.f16Bits(from: Float(65519.996)) == 0x7BFF)
        #expect(HalfPrecision.f16Bits(from: Float(65520)) == 0x7C00)
        #expect(HalfPrecision.f16Bits(from: -Float.infinity) == 0xFC00)
        #expect(HalfPrecision.f16Bits(from: Float(-0.0)) == 0x8000)
    }

    /// bf16 rounding computed in Double: the nearer of the two finite bf16 neighbours, ties to even.
    static func referenceBF16(_ value: Float) -> UInt16 {
        let low = UInt16(truncatingIfNeeded: value.bitPattern >> 16)
        let high = low &+ 1
        let lowValue = Double(Float(bitPattern: UInt32(low) << 16))
        let highValue = Double(Float(bitPattern: UInt32(high) << 16))
        let x = Double(value)
        let (dLow, dHigh) = (abs(x - lowValue), abs(highValue - x))
        if dLow < dHigh { return low }
        if dHigh < dLow { return high }
        return low & 1 == 0 ? low : high
    }

    @Test func bf16RoundTripsAndRoundsAllMidpoints() {
        for raw in 0...0xFFFF {
            let bits = UInt16(raw)
            let value = HalfPrecision.float(fromBF16: bits)
            #expect(value.bitPattern == UInt32(bits) << 16)
            if value.isNaN {
                #expect(HalfPrecision.float(fromBF16: HalfPrecision.bf16Bits(from: value)).isNaN)
                continue
            }
            #expect(HalfPrecision.bf16Bits(from: value) == bits, "round trip \(raw)")
            guard value.isFinite, bits & 0x7FFF < 0x7F7F else { continue }
            // Every f32 strictly between two bf16 values: the midpoint and its neighbours.
            let midpoint = Float(bitPattern: (UInt32(bits) << 16) | 0x8000)
            for probe in [midpoint.nextDown, midpoint, midpoint.nextUp] {
                #expect(HalfPrecision.bf16Bits(from: probe) == HalfPrecisionTests.referenceBF16(probe), "probe near \(raw)")
            }
        }
        #expect(HalfPrecision.bf16Bits(from: Float.greatestFiniteMagnitude) == 0x7F80)  // rounds past bf16's max
        #expect(HalfPrecision.bf16Bits(from: -Float.infinity) == 0xFF80)
    }

    @Test func doubleNarrowingHasNoDoubleRounding() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<200_000 {
            // Doubles near f16's range, with bits below f32 precision set.
            let value = Double(bitPattern: (random.next() & 0x800F_FFFF_FFFF_FFFF) | (UInt64(1000 + random.next() % 60) << 52))
            #expect(HalfPrecision.f16Bits(from: value) == Float16(value).bitPattern, "value \(value)")
        }
        // 1 + 2^-11 + 2^-40: just above an f16 tie; naive f64 -> f32 -> f16 rounds it down to 1.
        let justAboveTie = 1 + 0x1p-11 + 0x1p-40
        #expect(HalfPrecision.f16Bits(from: justAboveTie) == 0x3C01)
        // 1 + 2^-8 + 2^-40: just above a bf16 tie.
        #expect(HalfPrecision.bf16Bits(from: 1 + 0x1p-8 + 0x1p-40) == 0x3F81)
    }
}
