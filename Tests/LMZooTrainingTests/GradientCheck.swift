import Foundation
import LMZooCore

/// Central finite differences against an analytic gradient.
///
/// The tensors a loss reads live in ``Variables`` so the check can perturb them in place; the loss is
/// a fixed random projection `sum(out * R)` accumulated in f64, so its backward seeds `dout = R`.
final class Variables {
    var values: [String: [Float]] = [:]
    subscript(name: String) -> [Float] {
        get { values[name]! }
        set { values[name] = newValue }
    }
}

enum GradientCheck {
    /// `count` floats from N(0, std) (seeded).
    static func random(_ count: Int, seed: UInt64, std: Float = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let u1 = max(rng.nextUnitDouble(), 1e-300), u2 = rng.nextUnitDouble()
            return std * Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }

    /// sum(out * r) in f64.
    static func project(_ out: [Float], _ r: [Float]) -> Double {
        zip(out, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Norm-wise relative error `|g - g_fd| / max(|g|, |g_fd|)` of `analytic` (the gradient of
    /// `variables[name]`) against central differences of `loss`, over up to `samples` coordinates.
    static func relativeError(_ variables: Variables, _ name: String, analytic: [Float], epsilon: Float = 1e-2,
                              samples: Int = 160, loss: () -> Double) -> Double {
        let count = variables[name].count
        precondition(analytic.count == count, "\(name): gradient of \(analytic.count) for \(count) values")
        var rng = SplitMix64(seed: 99)
        let indices = count <= samples ? Array(0..<count) : (0..<samples).map { _ in Int(rng.next() % UInt64(count)) }
        var difference = 0.0, analyticNorm = 0.0, numericNorm = 0.0
        for i in indices {
            let saved = variables[name][i]
            variables.values[name]![i] = saved + epsilon
            let plus = loss()
            variables.values[name]![i] = saved - epsilon
            let minus = loss()
            variables.values[name]![i] = saved
            let numeric = (plus - minus) / (2 * Double(epsilon))
            difference += (numeric - Double(analytic[i])) * (numeric - Double(analytic[i]))
            analyticNorm += Double(analytic[i]) * Double(analytic[i])
            numericNorm += numeric * numeric
        }
        let scale = max(analyticNorm.squareRoot(), numericNorm.squareRoot(), 1e-12)
        return difference.squareRoot() / scale
    }
}

extension GradientCheck {
    /// Relative error of the analytic directional derivative along `u = g / |g|` (plus a seeded random
    /// part, so a gradient that is wrong in direction cannot agree by accident) against central
    /// differences of `loss` moving `values` (`count` floats) along u. For whole models, where a
    /// per-coordinate check drowns in f32 rounding, this has a signal of |g| in every coordinate at once.
    static func directionalError(_ values: UnsafeMutablePointer<Float>, count: Int, analytic: [Float],
                                 epsilon: Float = 1e-2, seed: UInt64, loss: () -> Double) -> Double {
        let noise = random(count, seed: seed)
        let norm = analytic.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let noiseNorm = noise.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        var u = (0..<count).map { Double(analytic[$0]) / max(norm, 1e-30) + 0.5 * Double(noise[$0]) / noiseNorm }
        let uNorm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / uNorm }
        let saved = Array(UnsafeBufferPointer(start: values, count: count))
        func shifted(_ step: Double) -> Double {
            for i in 0..<count { values[i] = Float(Double(saved[i]) + step * u[i]) }
            defer { for i in 0..<count { values[i] = saved[i] } }
            return loss()
        }
        let numeric = (shifted(Double(epsilon)) - shifted(-Double(epsilon))) / (2 * Double(epsilon))
        let exact = (0..<count).reduce(0.0) { $0 + Double(analytic[$1]) * u[$1] }
        return abs(numeric - exact) / max(abs(numeric), abs(exact), 1e-12)
    }
}

/// `body` with a mutable pointer to a copy of `array`, returning the copy after.
func withMutable(_ array: [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
    var copy = array
    copy.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    return copy
}
