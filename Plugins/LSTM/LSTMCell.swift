import COpenBLAS
import LMZooCore

/// One LSTM layer over a window of T steps for B sequences, forward and backward through time
/// (llm.c style): gates i, f, g, o; `c' = f c + i g`, `h' = o tanh(c')` (`torch.nn.LSTM`; Keras's
/// `LSTMCell` is the same with one bias and a configurable recurrent activation, the gate activation
/// of i, f and o). The one cell of lmzoo: inference (`LSTMNetwork`) and training (``LSTMTrainable``)
/// both run it.
///
/// Everything is time-major: row `t * B + b` is sequence b at step t. The input projection of the
/// whole window is one sgemm; the recurrence one sgemv (B = 1) or sgemm per step; the elementwise
/// part goes through CKernels' SIMD sigmoid / tanh (``Kernels/sigmoid(_:into:count:)``).
public enum LSTMCell {
    /// The sizes of one layer.
    public struct Shape: Sendable {
        public var steps: Int, batch: Int, inputs: Int, hidden: Int
        public init(steps: Int, batch: Int, inputs: Int, hidden: Int) {
            (self.steps, self.batch, self.inputs, self.hidden) = (steps, batch, inputs, hidden)
        }
    }

    /// The state a forward pass starts from and everything it computes (what the backward needs).
    public struct Activations {
        /// Post-activation gates (T, B, 4H): gate(i), gate(f), tanh(g), gate(o).
        public var gates: [Float]
        /// Cell states (T + 1, B, H); block 0 is the initial state (zeros unless set). Without
        /// `keepingCells`, one block (B, H): the initial state, updated in place to the last one.
        public var cells: [Float]
        /// Hidden states (T + 1, B, H); block 0 is the initial state, blocks 1... are the output.
        public var hidden: [Float]
        /// tanh of each new cell state (T, B, H); without `keepingCells`, the last step's (B, H).
        public var cellTanh: [Float]
        /// Whether every step's cell state is kept (what ``backward`` needs) or only the last.
        public let keepsCells: Bool

        /// Zeros: the zero initial state (`torch.nn.LSTM`'s and Keras's). Inference, which never runs
        /// the backward, passes `keepingCells: false` and keeps one cell block instead of T + 1.
        public init(steps T: Int, batch B: Int, hidden H: Int, keepingCells: Bool = true) {
            keepsCells = keepingCells
            gates = [Float](repeating: 0, count: T * B * 4 * H)
            cells = [Float](repeating: 0, count: (keepingCells ? T + 1 : 1) * B * H)
            hidden = [Float](repeating: 0, count: (T + 1) * B * H)
            cellTanh = [Float](repeating: 0, count: (keepingCells ? T : 1) * B * H)
        }
    }

    /// inp (T, B, I), weightIH (4H, I), weightHH (4H, H), biasIH (4H), biasHH (4H) or nil (Keras's one
    /// bias) -> `acts` (output: `acts.hidden` from offset B*H), from the state in block 0 of
    /// `acts.hidden` and `acts.cells`.
    public static func forward(_ acts: inout Activations, inp: UnsafePointer<Float>, weightIH: UnsafePointer<Float>,
                               weightHH: UnsafePointer<Float>, biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>?,
                               gate: LSTMGateActivation = .sigmoid, shape s: Shape) {
        let (T, B, I, H) = (s.steps, s.batch, s.inputs, s.hidden), G = 4 * H, rows = T * B
        guard rows > 0 else { return }
        let keeps = acts.keepsCells
        acts.gates.withUnsafeMutableBufferPointer { gatesBuffer in
            let gates = gatesBuffer.baseAddress!
            // pre-gates (T*B, 4H) = b_ih + b_hh, then += inp (T*B, I) . W_ih^T (I, 4H)
            for row in 0..<rows {
                let g = gates + row * G
                g.update(from: biasIH, count: G)
                if let biasHH { for j in 0..<G { g[j] += biasHH[j] } }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(G), Int32(I),
                        1, inp, Int32(I), weightIH, Int32(I), 1, gates, Int32(G))
            acts.cells.withUnsafeMutableBufferPointer { cells in
                acts.hidden.withUnsafeMutableBufferPointer { hidden in
                    acts.cellTanh.withUnsafeMutableBufferPointer { cellTanh in
                        for t in 0..<T {
                            let g = gates + t * B * G, hPrev = hidden.baseAddress! + t * B * H
                            if B == 1 {
                                // g (4H) += W_hh (4H, H) . h_{t-1} (H)
                                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(G), Int32(H), 1, weightHH, Int32(H), hPrev, 1, 1, g, 1)
                            } else {
                                // g (B, 4H) += h_{t-1} (B, H) . W_hh^T (H, 4H)
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(B), Int32(G), Int32(H),
                                            1, hPrev, Int32(H), weightHH, Int32(H), 1, g, Int32(G))
                            }
                            for b in 0..<B {
                                let n = t * B + b
                                // Without kept cells, c is updated in place (step reads cPrev[j] before writing c[j]).
                                let cPrev = cells.baseAddress! + (keeps ? n : b) * H
                                step(gates: g + b * G, cPrev: cPrev, c: cells.baseAddress! + (keeps ? n + B : b) * H,
                                     h: hidden.baseAddress! + (n + B) * H, cellTanh: cellTanh.baseAddress! + (keeps ? n : b) * H,
                                     hidden: H, gate: gate)
                            }
                        }
                    }
                }
            }
        }
    }

    /// One sequence's step, elementwise: pre-activation gates (4H) -> activated in place; c (H) =
    /// f cPrev + i g; cellTanh (H) = tanh(c); h (H) = o tanh(c).
    @inline(__always)
    static func step(gates g: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                     h: UnsafeMutablePointer<Float>, cellTanh tc: UnsafeMutablePointer<Float>, hidden H: Int, gate: LSTMGateActivation) {
        switch gate {
        case .sigmoid:
            Kernels.sigmoid(g, into: g, count: 2 * H)  // i, f
            Kernels.sigmoid(g + 3 * H, into: g + 3 * H, count: H)  // o
        case .hardSigmoid, .hardSigmoidKeras2:
            let slope: Float = gate == .hardSigmoid ? 1 / 6 : 0.2  // clip(slope x + 0.5, 0, 1)
            for j in 0..<H { g[j] = hardSigmoid(g[j], slope); g[H + j] = hardSigmoid(g[H + j], slope); g[3 * H + j] = hardSigmoid(g[3 * H + j], slope) }
        }
        Kernels.tanh(g + 2 * H, into: g + 2 * H, count: H)  // g
        for j in 0..<H { c[j] = g[H + j] * cPrev[j] + g[j] * g[2 * H + j] }
        Kernels.tanh(c, into: tc, count: H)
        for j in 0..<H { h[j] = g[3 * H + j] * tc[j] }
    }

    @inline(__always)
    static func hardSigmoid(_ x: Float, _ slope: Float) -> Float { min(max(slope * x + 0.5, 0), 1) }

    /// Accumulates (+=) dinp (T, B, I) (when non-nil), dweightIH (4H, I), dweightHH (4H, H), dbiasIH and
    /// dbiasHH (4H; nil when the forward had one bias) from dout (T, B, H), the gradient of the
    /// layer's outputs, through a forward run with `.sigmoid` gates from the zero state.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweightIH: UnsafeMutablePointer<Float>,
                                dweightHH: UnsafeMutablePointer<Float>, dbiasIH: UnsafeMutablePointer<Float>,
                                dbiasHH: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                acts: Activations, inp: UnsafePointer<Float>, weightIH: UnsafePointer<Float>,
                                weightHH: UnsafePointer<Float>, shape s: Shape) {
        let (T, B, I, H) = (s.steps, s.batch, s.inputs, s.hidden), G = 4 * H
        precondition(acts.keepsCells, "the backward needs every step's cell state")
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
                // dh_{t-1} (B, H) = dG_t (B, 4H) . W_hh (4H, H)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(B), Int32(H), Int32(G),
                            1, dGt, Int32(G), weightHH, Int32(H), 0, dH, Int32(H))
                // dW_hh (4H, H) += dG_t^T (4H, B) . h_{t-1} (B, H)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(G), Int32(H), Int32(B),
                            1, dGt, Int32(G), hidden.baseAddress! + t * B * H, Int32(H), 1, dweightHH, Int32(H))
            }
            // The input projection over all steps at once: dinp (T*B, I) += dG (T*B, 4H) . W_ih (4H, I);
            // dW_ih (4H, I) += dG^T (4H, T*B) . inp (T*B, I); db += Σ_rows dG.
            let rows = T * B
            if let dinp {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(I), Int32(G),
                            1, dG, Int32(G), weightIH, Int32(I), 1, dinp, Int32(I))
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(G), Int32(I), Int32(rows),
                        1, dG, Int32(G), inp, Int32(I), 1, dweightIH, Int32(I))
            for n in 0..<rows {
                let r = dG + n * G
                for j in 0..<G { dbiasIH[j] += r[j] }
                if let dbiasHH { for j in 0..<G { dbiasHH[j] += r[j] } }
            }
        }}}}}}}
    }
}
