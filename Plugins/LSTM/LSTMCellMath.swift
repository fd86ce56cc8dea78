import Foundation
import LMZooCore

/// The element-wise part of an LSTM step and the log-softmax normaliser, eight lanes at a time.
///
/// `exp` and `tanh` are the kernels' ``VectorMath`` (Cephes's `expf`, within about 2 ulp), so sigmoid,
/// tanh and log-sum-exp stay well inside the 1e-5 parity budget.
enum LSTMCellMath {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func clamp(_ x: V8, _ low: Float, _ high: Float) -> V8 {
        let lowered = x.replacing(with: low, where: x .< low)
        return lowered.replacing(with: high, where: lowered .> high)
    }

    @inline(__always)
    static func exp(_ x: V8) -> V8 { VectorMath.exp(x) }

    @inline(__always)
    static func sigmoid(_ x: V8) -> V8 { 1 / (1 + VectorMath.exp(-x)) }

    @inline(__always)
    static func tanh(_ x: V8) -> V8 { VectorMath.tanh(x) }

    @inline(__always)
    static func gate(_ x: V8, _ activation: LSTMGateActivation) -> V8 {
        switch activation {
        case .sigmoid: sigmoid(x)
        case .hardSigmoid: clamp(x * (1 / 6) + 0.5, 0, 1)
        case .hardSigmoidKeras2: clamp(x * 0.2 + 0.5, 0, 1)
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(pointer).loadUnaligned(as: V8.self) }

    @inline(__always)
    static func store(_ value: V8, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: V8.self)
    }

    /// Gates `(B, 4H)` (pre-activations i, f, g, o) -> new `c`, `h` `(B, H)`; `h` is also written to `out`.
    /// `c' = f*c + i*g`, `h' = o*tanh(c')` (torch.nn.LSTM, Keras LSTMCell).
    static func update(gates: UnsafeMutablePointer<Float>, batch B: Int, hidden H: Int, activation: LSTMGateActivation,
                       h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        for b in 0..<B {
            let g = gates + b * 4 * H, cell = c + b * H, hidden = h + b * H, output = out + b * H
            var j = 0
            while j + 8 <= H {
                let i = gate(load(g + j), activation), f = gate(load(g + H + j), activation)
                let candidate = tanh(load(g + 2 * H + j)), o = gate(load(g + 3 * H + j), activation)
                let newCell = f * load(cell + j) + i * candidate
                let newHidden = o * tanh(newCell)
                store(newCell, cell + j)
                store(newHidden, hidden + j)
                store(newHidden, output + j)
                j += 8
            }
            while j < H {  // the tail, one lane at a time
                let lane = { (x: Float) -> V8 in V8(repeating: x) }
                let i = gate(lane(g[j]), activation)[0], f = gate(lane(g[H + j]), activation)[0]
                let candidate = tanh(lane(g[2 * H + j]))[0], o = gate(lane(g[3 * H + j]), activation)[0]
                let newCell = f * cell[j] + i * candidate
                cell[j] = newCell
                hidden[j] = o * tanh(lane(newCell))[0]
                output[j] = hidden[j]
                j += 1
            }
        }
    }

    /// Adds `bias` to `row` in place (the decoder's bias, fused into this pass so that the logits are
    /// read and written once more rather than twice) and returns `log(sum(exp(row)))`, max-shifted.
    /// (V) + (V) -> (V), logsumexp
    static func addBiasLogSumExp(_ row: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Float {
        var top = -Float.infinity
        var j = 0
        var wide = V8(repeating: -.infinity)
        while j + 8 <= count {
            let next = load(row + j) + load(bias + j)
            store(next, row + j)
            wide = wide.replacing(with: next, where: next .> wide)
            j += 8
        }
        for lane in 0..<8 { top = max(top, wide[lane]) }
        while j < count {
            row[j] += bias[j]
            top = max(top, row[j])
            j += 1
        }
        guard top.isFinite else { return top }
        let shift = V8(repeating: top)
        var sums = V8(repeating: 0)
        j = 0
        while j + 8 <= count { sums += exp(load(row + j) - shift); j += 8 }
        var sum: Float = 0
        for lane in 0..<8 { sum += sums[lane] }
        while j < count { sum += exp(V8(repeating: row[j] - top))[0]; j += 1 }
        return top + logf(sum)
    }
}
