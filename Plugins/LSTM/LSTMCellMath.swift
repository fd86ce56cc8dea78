import Foundation

/// The element-wise part of an LSTM step, eight lanes at a time (log-softmax normalisers: `Kernels.logSumExpRows`).
///
/// `exp` is Cephes's `expf` (range reduction by ln 2 in two parts, degree-5 polynomial; within about
/// 2 ulp of the true value), so sigmoid, tanh and log-sum-exp stay well inside the 1e-5 parity budget.
enum LSTMCellMath {
    typealias V8 = SIMD8<Float>

    @inline(__always)
    static func exp(_ value: V8) -> V8 {
        let x = clamp(value, -87.3, 88.3)
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

    @inline(__always)
    static func clamp(_ x: V8, _ low: Float, _ high: Float) -> V8 {
        let lowered = x.replacing(with: low, where: x .< low)
        return lowered.replacing(with: high, where: lowered .> high)
    }

    @inline(__always)
    static func sigmoid(_ x: V8) -> V8 { 1 / (1 + exp(-x)) }

    /// `1 - 2 / (e^{2x} + 1)`.
    @inline(__always)
    static func tanh(_ x: V8) -> V8 { 1 - 2 / (exp(x + x) + 1) }

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
}
