import Foundation
import LMZooCore
import LMZooTraining

/// The `word_language_model` LSTM (embedding -> stacked LSTM -> linear decoder) as a trainable model,
/// with PyTorch's parameter names (`encoder.weight`, `rnn.weight_ih_l0`, ..., `decoder.weight`,
/// `decoder.bias`): what the LSTM plugin loads. Its layers are ``LSTMCell``, the cell inference runs.
public final class LSTMTrainable: TrainableLanguageModel {
    /// Sizes (CLI.md `config.json` of `lstm`).
    public struct Sizes: Sendable, Equatable {
        public var vocabulary: Int, embedding: Int, hidden: Int, layers: Int
        public init(vocabulary: Int, embedding: Int, hidden: Int, layers: Int) {
            (self.vocabulary, self.embedding, self.hidden, self.layers) = (vocabulary, embedding, hidden, layers)
        }

        /// `{"model_type":"lstm","vocab_size","embedding_size","hidden_size","num_layers","tie_weights":false}`.
        public var config: JSONObject {
            JSONObject([("model_type", .string("lstm")), ("vocab_size", .int(vocabulary)), ("embedding_size", .int(embedding)),
                        ("hidden_size", .int(hidden)), ("num_layers", .int(layers)), ("tie_weights", .bool(false))])
        }
    }

    public let sizes: Sizes
    public let parameters: ParameterSet
    public var vocabularySize: Int { sizes.vocabulary }

    // The last forward pass.
    private var ids: [Int] = []           // (T, B) time-major
    private var embedded: [Float] = []    // (T, B, E)
    private var layerActs: [LSTMCell.Activations] = []
    private var top: [Float] = []         // (B, T, H) batch-major
    private var shape = (batch: 0, steps: 0)

    /// Parameters drawn from N(0, 0.1) (embedding, decoder) and N(0, 1/sqrt(3H)) (LSTM, the variance of
    /// torch's U(-1/sqrt H, 1/sqrt H)), decoder bias 0, from `seed`.
    public init(sizes: Sizes, seed: UInt64) {
        self.sizes = sizes
        let (V, E, H) = (sizes.vocabulary, sizes.embedding, sizes.hidden)
        var specs: [(name: String, shape: [Int])] = [("encoder.weight", [V, E])]
        for k in 0..<sizes.layers {
            specs += [("rnn.weight_ih_l\(k)", [4 * H, k == 0 ? E : H]), ("rnn.weight_hh_l\(k)", [4 * H, H]),
                      ("rnn.bias_ih_l\(k)", [4 * H]), ("rnn.bias_hh_l\(k)", [4 * H])]
        }
        specs += [("decoder.weight", [V, H]), ("decoder.bias", [V])]
        parameters = ParameterSet(specs)
        parameters.initialize(seed: seed) { entry in
            if entry.name.hasPrefix("rnn.") { return 1 / Float(3 * H).squareRoot() }
            return entry.name == "decoder.bias" ? 0 : 0.1
        }
    }

    func shapeOf(layer k: Int) -> LSTMCell.Shape {
        LSTMCell.Shape(steps: shape.steps, batch: shape.batch, inputs: k == 0 ? sizes.embedding : sizes.hidden, hidden: sizes.hidden)
    }

    public func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float] {
        precondition(inputs.count == B * T, "inputs must be (B, T)")
        let (V, E, H) = (sizes.vocabulary, sizes.embedding, sizes.hidden)
        shape = (B, T)
        ids = [Int](repeating: 0, count: T * B)
        for b in 0..<B { for t in 0..<T { ids[t * B + b] = inputs[b * T + t] } }
        embedded = [Float](repeating: 0, count: T * B * E)
        ids.withUnsafeBufferPointer { idp in
            embedded.withUnsafeMutableBufferPointer {
                EmbeddingKernel.forward(out: $0.baseAddress!, ids: idp.baseAddress!, count: T * B, weight: parameters.value("encoder.weight"), width: E)
            }
        }
        layerActs = []
        for k in 0..<sizes.layers {
            var acts = LSTMCell.Activations(steps: T, batch: B, hidden: H)
            let input: [Float] = k == 0 ? embedded : Array(layerActs[k - 1].hidden[(B * H)...])
            input.withUnsafeBufferPointer { x in
                LSTMCell.forward(&acts, inp: x.baseAddress!, weightIH: parameters.value("rnn.weight_ih_l\(k)"),
                                        weightHH: parameters.value("rnn.weight_hh_l\(k)"), biasIH: parameters.value("rnn.bias_ih_l\(k)"),
                                        biasHH: parameters.value("rnn.bias_hh_l\(k)"), shape: shapeOf(layer: k))
            }
            layerActs.append(acts)
        }
        // top (B, T, H) from the last layer's (T, B, H)
        let last = layerActs[sizes.layers - 1].hidden
        top = [Float](repeating: 0, count: B * T * H)
        for t in 0..<T { for b in 0..<B { for j in 0..<H { top[(b * T + t) * H + j] = last[((t + 1) * B + b) * H + j] } } }
        var logits = [Float](repeating: 0, count: B * T * V)
        top.withUnsafeBufferPointer { h in
            logits.withUnsafeMutableBufferPointer {
                LinearKernel.forward(out: $0.baseAddress!, inp: h.baseAddress!, weight: parameters.value("decoder.weight"),
                                     bias: parameters.value("decoder.bias"), rows: B * T, inputs: H, outputs: V)
            }
        }
        return logits
    }

    public func backward(dlogits: [Float]) {
        let (B, T) = shape
        let (V, E, H) = (sizes.vocabulary, sizes.embedding, sizes.hidden)
        var dtop = [Float](repeating: 0, count: B * T * H)
        dlogits.withUnsafeBufferPointer { d in
            top.withUnsafeBufferPointer { h in
                dtop.withUnsafeMutableBufferPointer {
                    LinearKernel.backward(dinp: $0.baseAddress!, dweight: parameters.grad("decoder.weight"), dbias: parameters.grad("decoder.bias"),
                                          dout: d.baseAddress!, inp: h.baseAddress!, weight: parameters.value("decoder.weight"),
                                          rows: B * T, inputs: H, outputs: V)
                }
            }
        }
        // dout of the top layer, time-major (T, B, H)
        var dout = [Float](repeating: 0, count: T * B * H)
        for t in 0..<T { for b in 0..<B { for j in 0..<H { dout[(t * B + b) * H + j] = dtop[(b * T + t) * H + j] } } }
        for k in stride(from: sizes.layers - 1, through: 0, by: -1) {
            let width = k == 0 ? E : H
            var dinp = [Float](repeating: 0, count: T * B * width)
            let input: [Float] = k == 0 ? embedded : Array(layerActs[k - 1].hidden[(B * H)...])
            input.withUnsafeBufferPointer { x in
                dout.withUnsafeBufferPointer { d in
                    dinp.withUnsafeMutableBufferPointer { dx in
                        LSTMCell.backward(dinp: dx.baseAddress!, dweightIH: parameters.grad("rnn.weight_ih_l\(k)"),
                                                 dweightHH: parameters.grad("rnn.weight_hh_l\(k)"), dbiasIH: parameters.grad("rnn.bias_ih_l\(k)"),
                                                 dbiasHH: parameters.grad("rnn.bias_hh_l\(k)"), dout: d.baseAddress!, acts: layerActs[k],
                                                 inp: x.baseAddress!, weightIH: parameters.value("rnn.weight_ih_l\(k)"),
                                                 weightHH: parameters.value("rnn.weight_hh_l\(k)"), shape: shapeOf(layer: k))
                    }
                }
            }
            dout = dinp
        }
        ids.withUnsafeBufferPointer { idp in
            dout.withUnsafeBufferPointer {
                EmbeddingKernel.backward(dweight: parameters.grad("encoder.weight"), dout: $0.baseAddress!, ids: idp.baseAddress!, count: T * B, width: E)
            }
        }
    }
}
