import COpenBLAS
import Foundation
import LMZooCore
import LMZooTraining

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
/// bias and a configurable `recurrent_activation`). Each layer is ``LSTMCell``, the cell training
/// runs too.
///
/// Batches are time-major: row `t * B + b` is sequence b at step t.
struct LSTMNetwork: Sendable {
    let weights: LSTMWeights

    var vocabularySize: Int { weights.config.vocabSize }
    var hiddenSize: Int { weights.config.hiddenSize }

    /// The top layer's hidden states `(T+1, B, H)` for `ids` `(T*B)` (time-major): block 0 is its
    /// state before, blocks 1... its outputs (row `B + t * B + b`). Updates `state` in place.
    func hiddenStates(ids: [Int], steps T: Int, batch B: Int, state: inout LSTMState) -> [Float] {
        let E = weights.config.embeddingSize, H = hiddenSize, rows = T * B, gate = weights.config.recurrentActivation ?? .sigmoid
        // Embedding lookup: (T*B) ids -> (T*B, E).
        var input = [Float](repeating: 0, count: rows * E)
        input.withUnsafeMutableBufferPointer { x in
            weights.embedding.withUnsafeBufferPointer { table in
                for (row, id) in ids.enumerated() {
                    (x.baseAddress! + row * E).update(from: table.baseAddress! + id * E, count: E)
                }
            }
        }
        var inputOffset = 0  // the embeddings, then the layer below's outputs from row B
        for (k, layer) in weights.layers.enumerated() {
            // (T*B, in) -> (T*B, H), from and back into the layer's state (B, H).
            var acts = LSTMCell.Activations(steps: T, batch: B, hidden: H, keepingCells: false)
            acts.hidden.replaceSubrange(0..<B * H, with: state.h[k])
            acts.cells.replaceSubrange(0..<B * H, with: state.c[k])
            let shape = LSTMCell.Shape(steps: T, batch: B, inputs: layer.inputSize, hidden: H)
            input.withUnsafeBufferPointer { x in
                layer.weightIH.withUnsafeBufferPointer { wih in
                    layer.weightHH.withUnsafeBufferPointer { whh in
                        layer.bias.withUnsafeBufferPointer { bias in
                            LSTMCell.forward(&acts, inp: x.baseAddress! + inputOffset, weightIH: wih.baseAddress!, weightHH: whh.baseAddress!,
                                             biasIH: bias.baseAddress!, biasHH: nil, gate: gate, shape: shape)
                        }
                    }
                }
            }
            state.h[k] = Array(acts.hidden[(rows * H)...])
            state.c[k] = acts.cells
            input = acts.hidden
            inputOffset = B * H
        }
        return input
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
