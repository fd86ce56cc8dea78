import Foundation
import LMZooCore

/// One `torch.nn.LSTM` layer over a window, from the zero state (gates i, f, g, o; `c' = f c + i g`,
/// `h' = o tanh(c')`), forward and backward through time.
public enum LSTMLayerKernel {
    /// What the backward needs from the forward. Time-major: row `t * B + b`.
    public struct Activations {
        /// Post-activation gates (T, B, 4H): sigmoid(i), sigmoid(f), tanh(g), sigmoid(o).
        public var gates: [Float]
        /// Cell states (T + 1, B, H); row block 0 is the zero initial state.
        public var cells: [Float]
        /// Hidden states (T + 1, B, H); block 0 is the zero initial state, blocks 1... are the output.
        public var hidden: [Float]
        /// tanh of each new cell state (T, B, H).
        public var cellTanh: [Float]

        public init(steps T: Int, batch B: Int, hidden H: Int) {
            gates = [Float](repeating: 0, count: T * B * 4 * H)
            cells = [Float](repeating: 0, count: (T + 1) * B * H)
            hidden = [Float](repeating: 0, count: (T + 1) * B * H)
            cellTanh = [Float](repeating: 0, count: T * B * H)
        }
    }

    /// The sizes of one layer.
    public struct Shape: Sendable {
        public var steps: Int, batch: Int, inputs: Int, hidden: Int
        public init(steps: Int, batch: Int, inputs: Int, hidden: Int) {
            (self.steps, self.batch, self.inputs, self.hidden) = (steps, batch, inputs, hidden)
        }
    }

    /// inp (T, B, I), weightIH (4H, I), weightHH (4H, H), biasIH, biasHH (4H) -> acts (output:
    /// `acts.hidden` from offset B*H).
    public static func forward(_ acts: inout Activations, inp: UnsafePointer<Float>, weightIH: UnsafePointer<Float>,
                               weightHH: UnsafePointer<Float>, biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
                               shape s: Shape) {
        let (T, B, I, H) = (s.steps, s.batch, s.inputs, s.hidden), G = 4 * H
        var bias = [Float](repeating: 0, count: G)
        for j in 0..<G { bias[j] = biasIH[j] + biasHH[j] }
        acts.gates.withUnsafeMutableBufferPointer { gatesBuffer in
            let gates = gatesBuffer.baseAddress!
            // pre-gates (T*B, 4H) = inp (T*B, I) . W_ih^T + b_ih + b_hh
            bias.withUnsafeBufferPointer { LinearKernel.forward(out: gates, inp: inp, weight: weightIH, bias: $0.baseAddress!, rows: T * B, inputs: I, outputs: G) }
            acts.cells.withUnsafeMutableBufferPointer { cells in
                acts.hidden.withUnsafeMutableBufferPointer { hidden in
                    acts.cellTanh.withUnsafeMutableBufferPointer { cellTanh in
                        for t in 0..<T {
                            let g = gates + t * B * G
                            // g (B, 4H) += h_{t-1} (B, H) . W_hh^T (H, 4H)
                            GEMM.multiply(hidden.baseAddress! + t * B * H, lda: H, weightHH, transposeB: true, ldb: H,
                                          into: g, ldc: G, m: B, n: G, k: H, beta: 1)
                            for b in 0..<B {
                                let row = g + b * G
                                let cPrev = cells.baseAddress! + (t * B + b) * H
                                let c = cells.baseAddress! + ((t + 1) * B + b) * H
                                let h = hidden.baseAddress! + ((t + 1) * B + b) * H
                                let tc = cellTanh.baseAddress! + (t * B + b) * H
                                for j in 0..<H {
                                    let i = sigmoid(row[j]), f = sigmoid(row[H + j])
                                    let gg = Foundation.tanh(row[2 * H + j]), o = sigmoid(row[3 * H + j])
                                    row[j] = i; row[H + j] = f; row[2 * H + j] = gg; row[3 * H + j] = o
                                    c[j] = f * cPrev[j] + i * gg
                                    tc[j] = Foundation.tanh(c[j])
                                    h[j] = o * tc[j]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Accumulates dinp (T, B, I) (when non-nil) and the weight gradients from dout (T, B, H), the
    /// gradient of the layer's outputs.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweightIH: UnsafeMutablePointer<Float>,
                                dweightHH: UnsafeMutablePointer<Float>, dbiasIH: UnsafeMutablePointer<Float>,
                                dbiasHH: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                acts: Activations, inp: UnsafePointer<Float>, weightIH: UnsafePointer<Float>,
                                weightHH: UnsafePointer<Float>, shape s: Shape) {
        let (T, B, I, H) = (s.steps, s.batch, s.inputs, s.hidden), G = 4 * H
        var dgates = [Float](repeating: 0, count: T * B * G)
        var dh = [Float](repeating: 0, count: B * H)  // carried from t+1: dL/dh_t through h_{t+1}
        var dc = [Float](repeating: 0, count: B * H)
        acts.gates.withUnsafeBufferPointer { gates in
        acts.cells.withUnsafeBufferPointer { cells in
        acts.hidden.withUnsafeBufferPointer { hidden in
        acts.cellTanh.withUnsafeBufferPointer { cellTanh in
        dgates.withUnsafeMutableBufferPointer { dgatesBuffer in
        dh.withUnsafeMutableBufferPointer { dhBuffer in
        dc.withUnsafeMutableBufferPointer { dcBuffer in
            let dG = dgatesBuffer.baseAddress!, dH = dhBuffer.baseAddress!, dC = dcBuffer.baseAddress!
            for t in stride(from: T - 1, through: 0, by: -1) {
                for b in 0..<B {
                    let row = gates.baseAddress! + (t * B + b) * G
                    let drow = dG + (t * B + b) * G
                    let cPrev = cells.baseAddress! + (t * B + b) * H
                    let tc = cellTanh.baseAddress! + (t * B + b) * H
                    let d = dout + (t * B + b) * H
                    for j in 0..<H {
                        let i = row[j], f = row[H + j], g = row[2 * H + j], o = row[3 * H + j]
                        let dhj = d[j] + dH[b * H + j]
                        let dcj = dC[b * H + j] + dhj * o * (1 - tc[j] * tc[j])
                        drow[j] = dcj * g * i * (1 - i)
                        drow[H + j] = dcj * cPrev[j] * f * (1 - f)
                        drow[2 * H + j] = dcj * i * (1 - g * g)
                        drow[3 * H + j] = dhj * tc[j] * o * (1 - o)
                        dC[b * H + j] = dcj * f
                    }
                }
                let dGt = dG + t * B * G
                // dh_{t-1} (B, H) = dG_t (B, 4H) . W_hh (4H, H);  dW_hh (4H, H) += dG_t^T . h_{t-1}
                GEMM.multiply(dGt, lda: G, weightHH, ldb: H, into: dH, ldc: H, m: B, n: H, k: G)
                GEMM.multiply(dGt, transposeA: true, lda: G, hidden.baseAddress! + t * B * H, ldb: H,
                              into: dweightHH, ldc: H, m: G, n: H, k: B, beta: 1)
            }
            // dinp, dW_ih, db_ih over all steps at once: the input projection is one linear layer.
            LinearKernel.backward(dinp: dinp, dweight: dweightIH, dbias: dbiasIH, dout: dG, inp: inp, weight: weightIH,
                                  rows: T * B, inputs: I, outputs: G)
            for n in 0..<(T * B) {
                let r = dG + n * G
                for j in 0..<G { dbiasHH[j] += r[j] }
            }
        }}}}}}}
    }

    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
}
