import Foundation
import LMZooCore
import Testing

/// CKernels' elementwise math (activations.c, reached through ``Kernels`` and ``VectorMath``) against
/// Foundation in Double, over lengths with and without a ragged tail, so both the 8-lane body and
/// the padded tail are checked.
@Suite struct ElementwiseKernelTests {
    static let values: [Float] = (0..<203).map { Float($0 - 101) * 0.09 }  // -9.09 ... 9.09

    static func check(_ name: String, tolerance: Double, _ reference: (Double) -> Double,
                      _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) {
        for count in [values.count, 8, 3] {
            let x = Array(values.prefix(count))
            var y = [Float](repeating: .nan, count: count)
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { kernel(xp.baseAddress!, $0.baseAddress!, count) } }
            let worst = zip(x, y).map { abs(Double($1) - reference(Double($0))) / max(1, abs(reference(Double($0)))) }.max()!
            #expect(worst < tolerance, "\(name) over \(count): \(worst)")
        }
    }

    @Test func transcendentalsMatchFoundation() {
        Self.check("exp", tolerance: 1e-6, Foundation.exp) { Kernels.exp($0, into: $1, count: $2) }
        Self.check("sigmoid", tolerance: 1e-6, { 1 / (1 + Foundation.exp(-$0)) }) { Kernels.sigmoid($0, into: $1, count: $2) }
        Self.check("tanh", tolerance: 1e-6, Foundation.tanh) { Kernels.tanh($0, into: $1, count: $2) }
        Self.check("gelu (erf)", tolerance: 1e-6, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }) { x, y, n in
            y.update(from: x, count: n)
            Kernels.geluErf(y, count: n)
        }
        Self.check("gelu (tanh)", tolerance: 1e-6, { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }) { x, y, n in
            y.update(from: x, count: n)
            Kernels.geluTanh(y, count: n)
        }
        // The eight-lane forms are the same functions.
        let lane = VectorMath.V8((0..<8).map { Float($0) - 3.5 })
        for i in 0..<8 {
            #expect(abs(Double(VectorMath.exp(lane)[i]) - Foundation.exp(Double(lane[i]))) < 1e-6 * Foundation.exp(Double(lane[i])))
            #expect(abs(Double(VectorMath.tanh(lane)[i]) - Foundation.tanh(Double(lane[i]))) < 1e-6)
            #expect(abs(Double(VectorMath.erf(lane)[i]) - Foundation.erf(Double(lane[i]))) < 5e-7)  // A&S 1.5e-7 plus float rounding
        }
    }

    @Test func softmaxAndLogSoftmaxNormalise() {
        for count in [Self.values.count, 5] {
            let x = Array(Self.values.prefix(count).map { $0 * 3 })
            let top = Double(x.max()!)
            let total = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) }
            var soft = x, logSoft = x
            soft.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: count) }
            logSoft.withUnsafeMutableBufferPointer { Kernels.logSoftmax($0.baseAddress!, count: count) }
            for i in 0..<count {
                let want = Double(x[i]) - top - Foundation.log(total)
                #expect(abs(Double(soft[i]) - Foundation.exp(want)) < 1e-6, "softmax[\(i)] of \(count)")
                #expect(abs(Double(logSoft[i]) - want) < 1e-5, "logSoftmax[\(i)] of \(count)")
            }
        }
    }
}
