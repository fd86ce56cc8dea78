import COpenBLAS
import Foundation
import LMZooCore

/// The recurrent state of every layer for a batch of B sequences: `h`, `c` `(B, H)` per layer.
struct LSTMState: Sendable {
    var h: [[Float]]
    var c: [[Float]]

    /// Zeros (`torch.nn.LSTM`'s and Keras's initial state).
    init(layers: Int, batch: Int, hidden: Int) {
        h = Array(repeating: [Float](repeating: 0, count: batch * hidden), count: layers)
        c = h
    }
}

/// The forward pass of embedding -> stacked LSTM -> linear decoder, matching `torch.nn.LSTM`
/// (gates i, f, g, o; `c' = f*c + i*g`, `h' = o*tanh(c')`) and Keras's `LSTMCell` (the same with one
/// bias and a configurable `recurrent_activation`).
///
/// Batches are time-major: row `t * B + b` is sequence b at step t. Per layer the input projection of
/// the whole batch is one sgemm; the recurrence is one sgemv (B = 1) or sgemm per step.
struct LSTMNetwork: Sendable {
    let weights: LSTMWeights

    var vocabularySize: Int { weights.config.vocabSize }
    var hiddenSize: Int { weights.config.hiddenSize }

    /// The top layer's outputs `(T*B, H)` for `ids` `(T*B)` (time-major), updating `state` in place.
    func hiddenStates(ids: [Int], steps T: Int, batch B: Int, state: inout LSTMState) -> [Float] {
        let E = weights.config.embeddingSize, H = hiddenSize, rows = T * B
        // Embedding lookup: (T*B) ids -> (T*B, E).
        var input = [Float](repeating: 0, count: rows * E)
        input.withUnsafeMutableBufferPointer { x in
            weights.embedding.withUnsafeBufferPointer { table in
                for (row, id) in ids.enumerated() {
                    (x.baseAddress! + row * E).update(from: table.baseAddress! + id * E, count: E)
                }
            }
        }
        var gates = [Float](repeating: 0, count: rows * 4 * H)
        for (k, layer) in weights.layers.enumerated() {
            var output = [Float](repeating: 0, count: rows * H)
            input.withUnsafeBufferPointer { x in
                gates.withUnsafeMutableBufferPointer { g in
                    output.withUnsafeMutableBufferPointer { out in
                        state.h[k].withUnsafeMutableBufferPointer { h in
                            state.c[k].withUnsafeMutableBufferPointer { c in
                                runLayer(layer, input: x.baseAddress!, output: out.baseAddress!, gates: g.baseAddress!,
                                         steps: T, batch: B, h: h.baseAddress!, c: c.baseAddress!)
                            }
                        }
                    }
                }
            }
            input = output
        }
        return input
    }

    /// One layer over the whole batch: input `(T*B, in)` -> output `(T*B, H)`; `gates` is scratch `(T*B, 4H)`.
    private func runLayer(_ layer: LSTMLayerWeights, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                          gates g: UnsafeMutablePointer<Float>, steps T: Int, batch B: Int,
                          h: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>) {
        let H = hiddenSize, G = 4 * H, rows = T * B, inputSize = layer.inputSize
        let activation = weights.config.recurrentActivation ?? .sigmoid
        layer.bias.withUnsafeBufferPointer { bias in
            for row in 0..<rows { (g + row * G).update(from: bias.baseAddress!, count: G) }
        }
        // The whole sequence's input projection: (T*B, in) x (in, 4H) -> (T*B, 4H), added to the bias rows.
        layer.weightIH.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(G), Int32(inputSize),
                        1, input, Int32(inputSize), w.baseAddress, Int32(inputSize), 1, g, Int32(G))
        }
        layer.weightHH.withUnsafeBufferPointer { whh in
            for t in 0..<T {
                let step = g + t * B * G
                if B == 1 {
                    // (4H, H) x (H) -> (4H)
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(G), Int32(H), 1, whh.baseAddress, Int32(H), h, 1, 1, step, 1)
                } else {
                    // (B, H) x (H, 4H) -> (B, 4H)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(B), Int32(G), Int32(H),
                                1, h, Int32(H), whh.baseAddress, Int32(H), 1, step, Int32(G))
                }
                LSTMCellMath.update(gates: step, batch: B, hidden: H, activation: activation, h: h, c: c,
                                    out: output + t * B * H)
            }
        }
    }

    /// Decoder logits for `rows` rows of `hidden` `(R, H)` -> `(R, V)`, into `logits`, and each row's
    /// log-sum-exp into `logSumExps` `(R)`. The sgemm writes `x Wᵀ` alone; the bias is added in the
    /// same pass over each row that computes its log-sum-exp (no separate bias fill of the logits).
    func logits(_ hidden: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>,
                logSumExps: UnsafeMutablePointer<Float>) {
        let V = vocabularySize, H = hiddenSize
        // (R, H) x (H, V) -> (R, V)
        weights.decoderWeight.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(V), Int32(H),
                        1, hidden, Int32(H), w.baseAddress, Int32(H), 0, logits, Int32(V))
        }
        weights.decoderBias.withUnsafeBufferPointer { bias in
            Kernels.logSumExpRows(logits, rows: rows, count: V, adding: bias.baseAddress!, into: logSumExps)
        }
    }
}
