/// Eight-lane elementwise math for the kernels: `exp` is Cephes's `expf` (about 2 ulp), `tanh`
/// follows from it, `erf` is Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
public enum VectorMath {
    public typealias V8 = SIMD8<Float>

    @inlinable @inline(__always)
    public static func exp(_ value: V8) -> V8 {
        let x = value.clamped(lowerBound: V8(repeating: -87.3), upperBound: V8(repeating: 88.3))
        // n = round(x / ln 2) by the 1.5 * 2^23 trick; its bits minus the constant's are n as an integer.
        let shifted = x * 1.442_695_040_888_963_4 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_40e-4
        var p = V8(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: V8.self)
    }

    /// `1 - 2 / (e^{2x} + 1)` (absolute error about 1e-7).
    @inlinable @inline(__always)
    public static func tanh(_ x: V8) -> V8 { 1 - 2 / (exp(x + x) + 1) }

    /// Abramowitz & Stegun 7.1.26: `1 - (a1 t + ... + a5 t^5) e^{-x^2}`, `t = 1 / (1 + p|x|)`, odd.
    @inlinable @inline(__always)
    public static func erf(_ x: V8) -> V8 {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.327_591_1 * a)
        var poly = V8(repeating: 1.061_405_429)
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        let y = 1 - poly * t * exp(-a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// Applies `f` to `count` values in place, eight at a time (the tail padded with zeros).
    @inlinable @inline(__always)
    public static func map(_ x: UnsafeMutablePointer<Float>, count: Int, _ f: (V8) -> V8) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(x + i)
            raw.storeBytes(of: f(raw.loadUnaligned(as: V8.self)), as: V8.self)
            i += 8
        }
        if i < count {
            var tail = V8()
            for j in 0..<(count - i) { tail[j] = x[i + j] }
            let mapped = f(tail)
            for j in 0..<(count - i) { x[i + j] = mapped[j] }
        }
    }

    /// Sum of `count` values.
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, count: count, padding: 0, V8()) { $0 + $1 }.sum()
    }

    /// `Σ (x - mean)^2`.
    public static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, from mean: Float, count: Int) -> Float {
        var acc = V8()
        var i = 0
        while i + 8 <= count {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: V8.self) - mean
            acc += d * d
            i += 8
        }
        var total = acc.sum()
        while i < count { total += (x[i] - mean) * (x[i] - mean); i += 1 }
        return total
    }

    /// `Σ exp(x - shift)`.
    public static func sumOfExp(_ x: UnsafePointer<Float>, shift: Float, count: Int) -> Float {
        var acc = V8()
        var i = 0
        while i + 8 <= count {
            acc += exp(UnsafeRawPointer(x + i).loadUnaligned(as: V8.self) - shift)
            i += 8
        }
        var total = acc.sum()
        if i < count {
            var tail = V8(repeating: -.infinity)
            for j in 0..<(count - i) { tail[j] = x[i + j] - shift }
            let e = exp(tail)
            for j in 0..<(count - i) { total += e[j] }
        }
        return total
    }

    /// Largest of `count > 0` values.
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reduce(x, count: count, padding: -.infinity, V8(repeating: -.infinity)) { pointwiseMax($0, $1) }.max()
    }

    @inline(__always)
    private static func reduce(_ x: UnsafePointer<Float>, count: Int, padding: Float, _ initial: V8,
                               _ combine: (V8, V8) -> V8) -> V8 {
        var acc = initial
        var i = 0
        while i + 8 <= count {
            acc = combine(acc, UnsafeRawPointer(x + i).loadUnaligned(as: V8.self))
            i += 8
        }
        if i < count {
            var tail = V8(repeating: padding)
            for j in 0..<(count - i) { tail[j] = x[i + j] }
            acc = combine(acc, tail)
        }
        return acc
    }
}
