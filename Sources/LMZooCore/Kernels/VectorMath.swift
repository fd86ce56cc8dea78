import CKernels

/// Eight-lane helpers for the kernels. The transcendental functions are CKernels' (activations.c, the
/// one SIMD home of exp and what is built on it): `exp` is Cephes's `expf` (about 2 ulp), `tanh`
/// follows from it, `erf` is Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). Whole rows should call
/// the row functions (``Kernels/exp(_:into:count:)``, ``Kernels/geluErf(_:count:)``, ...) rather than
/// these eight lanes at a time.
public enum VectorMath {
    public typealias V8 = SIMD8<Float>

    /// `f` (a CKernels row function, `y` may be `x`) on the eight lanes of `value`.
    @inline(__always)
    static func lanes(_ value: V8, _ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> V8 {
        var v = value
        withUnsafeMutableBytes(of: &v) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: Float.self)
            f(p, p, 8)
        }
        return v
    }

    /// `e^x` per lane (CKernels `lmz_exp`).
    public static func exp(_ value: V8) -> V8 { lanes(value) { lmz_exp($0, $1, $2) } }

    /// `1 - 2 / (e^{2x} + 1)` per lane (CKernels `lmz_tanh`; absolute error about 1e-7).
    public static func tanh(_ x: V8) -> V8 { lanes(x) { lmz_tanh($0, $1, $2) } }

    /// Abramowitz & Stegun 7.1.26 per lane (CKernels `lmz_erf`).
    public static func erf(_ x: V8) -> V8 { lanes(x) { lmz_erf($0, $1, $2) } }

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

    /// `Σ exp(x - shift)` (CKernels `lmz_sum_exp`).
    public static func sumOfExp(_ x: UnsafePointer<Float>, shift: Float, count: Int) -> Float {
        lmz_sum_exp(x, count, shift)
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
