import Foundation
import LMZooCore

/// One LSTM layer's parameters as `torch.nn.LSTM` keeps them (row-major, gates i, f, g, o).
struct LSTMLayerWeights: Sendable {
    /// Width of the layer's input (E for the first layer, H above).
    let inputSize: Int
    /// `W_ih` `(4H, in)`.
    let weightIH: [Float]
    /// `W_hh` `(4H, H)`.
    let weightHH: [Float]
    /// `b_ih + b_hh` `(4H)` (Keras's single bias).
    let bias: [Float]
}

/// The validated weights of an LSTM language model, in Float.
struct LSTMWeights: Sendable {
    let config: LSTMConfig
    /// `(V, E)`.
    let embedding: [Float]
    let layers: [LSTMLayerWeights]
    /// `(V, H)` (the embedding when tied).
    let decoderWeight: [Float]
    /// `(V)` (zeros when absent).
    let decoderBias: [Float]
    /// The decoder is the embedding (no `decoder.weight` stored).
    let tied: Bool

    /// Sizes read off canonical tensors: V, E from `encoder.weight`, H from `rnn.weight_hh_l0`, layers
    /// from the `rnn.weight_ih_l{k}` present.
    static func inferConfig(_ store: TensorStore) throws -> LSTMConfig {
        guard let encoder = store["encoder.weight"] else { throw LSTMError.missingTensor("encoder.weight", expected: "[V, E]") }
        guard encoder.shape.count == 2 else { throw LSTMError.badShape("encoder.weight", expected: [-1, -1], actual: encoder.shape) }
        guard let recurrent = store["rnn.weight_hh_l0"] else { throw LSTMError.missingTensor("rnn.weight_hh_l0", expected: "[4H, H]") }
        guard recurrent.shape.count == 2, recurrent.shape[1] > 0 else {
            throw LSTMError.badShape("rnn.weight_hh_l0", expected: [-1, -1], actual: recurrent.shape)
        }
        var layers = 0
        while store["rnn.weight_ih_l\(layers)"] != nil { layers += 1 }
        let tied = store["decoder.weight"].map { $0.isSameView(as: encoder) } ?? true
        return LSTMConfig(vocabSize: encoder.shape[0], embeddingSize: encoder.shape[1], hiddenSize: recurrent.shape[1],
                          numLayers: layers, tieWeights: tied)
    }

    /// Throws ``LSTMError/inconsistentConfig(key:value:tensor:shape:)`` where `declared` (config.json)
    /// disagrees with the sizes the tensors have.
    static func checkConsistency(_ declared: LSTMConfig, _ store: TensorStore) throws {
        let inferred = try inferConfig(store)
        let encoder = store["encoder.weight"]!.shape, recurrent = store["rnn.weight_hh_l0"]!.shape
        if declared.vocabSize != inferred.vocabSize {
            throw LSTMError.inconsistentConfig(key: "vocab_size", value: declared.vocabSize, tensor: "encoder.weight", shape: encoder)
        }
        if declared.embeddingSize != inferred.embeddingSize {
            throw LSTMError.inconsistentConfig(key: "embedding_size", value: declared.embeddingSize, tensor: "encoder.weight", shape: encoder)
        }
        if declared.hiddenSize != inferred.hiddenSize {
            throw LSTMError.inconsistentConfig(key: "hidden_size", value: declared.hiddenSize, tensor: "rnn.weight_hh_l0", shape: recurrent)
        }
        if declared.numLayers != inferred.numLayers {
            let name = "rnn.weight_ih_l\(min(declared.numLayers, inferred.numLayers))"
            throw LSTMError.inconsistentConfig(key: "num_layers", value: declared.numLayers, tensor: name,
                                               shape: store[name]?.shape ?? [])
        }
    }

    /// Reads and validates every tensor of `store` (canonical names) against `config`.
    init(_ store: TensorStore, config: LSTMConfig) throws {
        try config.validate()
        let (V, E, H) = (config.vocabSize, config.embeddingSize, config.hiddenSize)
        func floats(_ name: String, _ shape: [Int], _ describe: String) throws -> [Float] {
            guard let tensor = store[name] else { throw LSTMError.missingTensor(name, expected: describe) }
            guard tensor.shape == shape else { throw LSTMError.badShape(name, expected: shape, actual: tensor.shape) }
            guard tensor.dtype.isFloatingPoint else { throw LSTMError.badDType(name, tensor.dtype) }
            return tensor.floats()
        }
        self.config = config
        embedding = try floats("encoder.weight", [V, E], "[V, E]")
        layers = try (0..<config.numLayers).map { k in
            let input = k == 0 ? E : H
            let inputText = k == 0 ? "E" : "H"
            let biasIH = try floats("rnn.bias_ih_l\(k)", [4 * H], "[4H]")
            let biasHH = try floats("rnn.bias_hh_l\(k)", [4 * H], "[4H]")
            return LSTMLayerWeights(
                inputSize: input,
                weightIH: try floats("rnn.weight_ih_l\(k)", [4 * H, input], "[4H, \(inputText)]"),
                weightHH: try floats("rnn.weight_hh_l\(k)", [4 * H, H], "[4H, H]"),
                bias: zip(biasIH, biasHH).map { $0 + $1 })
        }
        if let extra = store.names.first(where: { $0.hasPrefix("rnn.") && !(0..<config.numLayers).contains(Self.layerIndex($0) ?? -1) }) {
            throw LSTMError.inconsistentConfig(key: "num_layers", value: config.numLayers, tensor: extra, shape: store[extra]?.shape ?? [])
        }
        if store["decoder.weight"] == nil, config.tieWeights == true || E == H {
            decoderWeight = embedding
            tied = true
        } else {
            decoderWeight = try floats("decoder.weight", [V, H], "[V, H]")
            tied = false
        }
        decoderBias = store["decoder.bias"] == nil ? [Float](repeating: 0, count: V) : try floats("decoder.bias", [V], "[V]")
    }

    /// `k` of `rnn.*_l{k}`.
    static func layerIndex(_ name: String) -> Int? {
        guard let range = name.range(of: "_l", options: .backwards) else { return nil }
        return Int(name[range.upperBound...])
    }

    /// Parameters counted once (a tied decoder shares the embedding's).
    var parameterCount: Int {
        return embedding.count + layers.reduce(0) { $0 + $1.weightIH.count + $1.weightHH.count + 2 * $1.bias.count }
            + (tied ? 0 : decoderWeight.count) + decoderBias.count
    }
}
