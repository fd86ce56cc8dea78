import Foundation
import LMZoo
import LMZooTestSupport
import Testing

/// The shared transformer kernels (Sources/LMZooCore/Kernels) against plain reference loops:
/// ``Linear`` in every storage and row count, ``Attention`` causal with an offset and bidirectional,
/// GELU, layer norm and softmax.
@Suite struct GPTKernelTests {
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(rng.nextUnitDouble() * 2 - 1) }
    }

    /// y = x Wᵀ + b with W (out, in), in Double.
    static func reference(_ x: [Float], _ w: [Float], _ b: [Float], rows: Int, inF: Int, outF: Int) -> [Float] {
        (0..<rows * outF).map { i in
            let (r, o) = (i / outF, i % outF)
            return Float((0..<inF).reduce(Double(b[o])) { $0 + Double(x[r * inF + $1]) * Double(w[o * inF + $1]) })
        }
    }

    /// Compressed weights are compared with the reference on the same decoded values: the kernels
    /// must compute exactly what the stored bytes say.
    @Test(arguments: [DType?.none, .f16, .bf16, .q8_0])
    func linearMatchesReference(precision: DType?) throws {
        let (inF, outF) = (64, 40)
        let tolerance: Float = 1e-5
        let original = try Tensor(shape: [outF, inF], floats: Self.random(outF * inF, seed: 1))
        let w = try precision.map { try original.converted(to: $0).floats() } ?? original.floats()
        let b = Self.random(outF, seed: 2)
        var transposed = [Float](repeating: 0, count: w.count)
        for o in 0..<outF { for i in 0..<inF { transposed[i * outF + o] = w[o * inF + i] } }
        let bias = try Tensor(shape: [outF], floats: b)
        let layers = [try Linear(name: "w", weight: try Tensor(shape: [outF, inF], floats: w), bias: bias, precision: precision),
                      try Linear(name: "w", weight: try Tensor(shape: [inF, outF], floats: transposed), bias: bias,
                                 inputMajor: true, precision: precision)]
        for layer in layers {
            for rows in [1, 2, 5, 33] {
                let x = Self.random(rows * inF, seed: UInt64(rows))
                var y = [Float](repeating: 0, count: rows * outF)
                x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { layer.apply(xp.baseAddress!, rows: rows, into: $0.baseAddress!) } }
                let expected = Self.reference(x, w, b, rows: rows, inF: inF, outF: outF)
                let worst = zip(y, expected).map { abs($0 - $1) }.max()!
                #expect(worst < tolerance, "\(String(describing: precision)) \(layer.storage) rows \(rows): \(worst)")
            }
            var row = [Float](repeating: 0, count: inF)
            row.withUnsafeMutableBufferPointer { layer.copyRow(3, into: $0.baseAddress!) }
            #expect(zip(row, w[3 * inF..<4 * inF]).allSatisfy { abs($0 - $1) < tolerance })
        }
    }

    @Test(arguments: [Attention.Mask.causal(offset: 0), .causal(offset: 5), .none])
    func attentionMatchesReference(mask: Attention.Mask) {
        let (heads, headDim, T) = (3, 8, 4)
        let offset: Int = if case let .causal(o) = mask { o } else { 0 }
        let S = offset + T, C = heads * headDim
        let q = Self.random(T * C, seed: 3), k = Self.random(S * C, seed: 4), v = Self.random(S * C, seed: 5)
        var out = [Float](repeating: 0, count: T * C)
        var scratch = [Float](repeating: 0, count: Attention.scratchCount(queryCount: T, keyCount: S))
        for queries in [T, 1] {  // sgemm path and sgemv path (the last query alone)
            let first = T - queries
            let causal: Attention.Mask = if case .causal = mask { .causal(offset: offset + first) } else { .none }
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                out.withUnsafeMutableBufferPointer { op in scratch.withUnsafeMutableBufferPointer { sp in
                    Attention.multiHead(queries: qp.baseAddress! + first * C, queryStride: C, queryCount: queries, keys: kp.baseAddress!,
                                        values: vp.baseAddress!, keyValueStride: C, keyCount: S, heads: heads, headDim: headDim,
                                        mask: causal, into: op.baseAddress! + first * C, outStride: C, scratch: sp.baseAddress!)
                } }
            } } }
            for t in first..<T {
                for h in 0..<heads {
                    let visible = mask == .none ? S : offset + t + 1
                    let scores = (0..<visible).map { j in
                        (0..<headDim).reduce(0.0) { $0 + Double(q[t * C + h * headDim + $1] * k[j * C + h * headDim + $1]) } / sqrt(Double(headDim))
                    }
                    let top = scores.max()!
                    let weights = scores.map { exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for d in 0..<headDim {
                        let expected = (0..<visible).reduce(0.0) { $0 + weights[$1] / total * Double(v[$1 * C + h * headDim + d]) }
                        #expect(abs(Double(out[t * C + h * headDim + d]) - expected) < 1e-5)
                    }
                }
            }
        }
    }

    @Test func elementwiseKernelsMatchFoundation() {
        var x = (0..<203).map { Float($0 - 101) / 17 }
        let original = x
        x.withUnsafeMutableBufferPointer { Kernels.geluTanh($0.baseAddress!, count: $0.count) }
        for (y, v) in zip(x, original) {
            let expected = 0.5 * Double(v) * (1 + tanh(0.7978845608028654 * (Double(v) + 0.044715 * pow(Double(v), 3))))
            #expect(abs(Double(y) - expected) < 2e-6)
        }
        x = original
        x.withUnsafeMutableBufferPointer { Kernels.geluErf($0.baseAddress!, count: $0.count) }
        for (y, v) in zip(x, original) { #expect(abs(Double(y) - 0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))) < 2e-6) }
        x = original
        x.withUnsafeMutableBufferPointer { Kernels.logSoftmax($0.baseAddress!, count: $0.count) }
        let total = original.reduce(0.0) { $0 + exp(Double($1)) }
        for (y, v) in zip(x, original) { #expect(abs(Double(y) - (Double(v) - log(total))) < 1e-5) }
        x = original
        x.withUnsafeMutableBufferPointer {
            Kernels.layerNorm($0.baseAddress!, rows: 1, dim: 203, gamma: [Float](repeating: 2, count: 203),
                              beta: [Float](repeating: 1, count: 203), epsilon: 1e-5, into: $0.baseAddress!)
        }
        let mean = original.reduce(0.0) { $0 + Double($1) } / 203
        let variance = original.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 203
        for (y, v) in zip(x, original) { #expect(abs(Double(y) - ((Double(v) - mean) / (variance + 1e-5).squareRoot() * 2 + 1)) < 1e-5) }
    }
}
