import Foundation
import LMZooCore

/// The gate nonlinearity of i, f and o (`recurrent_activation` in Keras).
public enum LSTMGateActivation: String, Codable, Sendable {
    /// `1 / (1 + e^-x)`: torch.nn.LSTM and Keras 3's default.
    case sigmoid
    /// Keras 3's `hard_sigmoid`: `clip(x / 6 + 0.5, 0, 1)` (torch's `hardsigmoid`).
    case hardSigmoid = "hard_sigmoid"
    /// Keras 2's (legacy `.h5`) `hard_sigmoid`: `clip(0.2 x + 0.5, 0, 1)`.
    case hardSigmoidKeras2 = "hard_sigmoid_keras2"
}

/// `config.json` of an LSTM language model (CLI.md):
/// `{"model_type":"lstm","vocab_size","embedding_size","hidden_size","num_layers","tie_weights"?}`,
/// plus lmzoo's optional `recurrent_activation`, `vocab_file` and `tokenization`.
public struct LSTMConfig: Codable, Equatable, Sendable {
    public var modelType: String = "lstm"
    /// V: rows of the embedding and of the decoder.
    public var vocabSize: Int
    /// E: width of the embedding (the first layer's input).
    public var embeddingSize: Int
    /// H: width of every LSTM layer's state.
    public var hiddenSize: Int
    /// Stacked LSTM layers.
    public var numLayers: Int
    /// Decoder weight = embedding (requires E == H).
    public var tieWeights: Bool?
    /// Gate activation of i, f, o (default sigmoid).
    public var recurrentActivation: LSTMGateActivation?
    /// Vocabulary file in the model directory (default `vocab.json`: a JSON list of symbols).
    public var vocabFile: String?
    /// `characters` or `words` (default: characters when every symbol is one character).
    public var tokenization: String?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabSize = "vocab_size"
        case embeddingSize = "embedding_size"
        case hiddenSize = "hidden_size"
        case numLayers = "num_layers"
        case tieWeights = "tie_weights"
        case recurrentActivation = "recurrent_activation"
        case vocabFile = "vocab_file"
        case tokenization
    }

    public init(vocabSize: Int, embeddingSize: Int, hiddenSize: Int, numLayers: Int, tieWeights: Bool? = nil,
                recurrentActivation: LSTMGateActivation? = nil) {
        self.vocabSize = vocabSize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.tieWeights = tieWeights
        self.recurrentActivation = recurrentActivation
    }

    /// Decodes `object` (a parsed `config.json`); a bad or missing key is ``LSTMError/badConfig(_:)``.
    public static func decode(_ object: JSONObject) throws -> LSTMConfig {
        try object.decode(LSTMConfig.self, problem: LSTMError.badConfig)
    }

    /// The config as JSON (what `lmzoo convert` writes beside converted weights).
    public var json: JSONObject {
        var pairs: [(String, JSONValue)] = [
            ("model_type", .string("lstm")), ("vocab_size", .int(vocabSize)), ("embedding_size", .int(embeddingSize)),
            ("hidden_size", .int(hiddenSize)), ("num_layers", .int(numLayers)), ("tie_weights", .bool(tieWeights ?? false)),
        ]
        if let recurrentActivation, recurrentActivation != .sigmoid {
            pairs.append(("recurrent_activation", .string(recurrentActivation.rawValue)))
        }
        return JSONObject(pairs)
    }

    /// Throws ``LSTMError/badConfig(_:)`` unless every size is positive and tying is possible.
    func validate() throws {
        for (key, value) in [("vocab_size", vocabSize), ("embedding_size", embeddingSize),
                             ("hidden_size", hiddenSize), ("num_layers", numLayers)] where value <= 0 {
            throw LSTMError.badConfig("\(key) = \(value), expected a positive integer")
        }
        if modelType != "lstm" { throw LSTMError.badConfig("model_type is \"\(modelType)\", expected \"lstm\"") }
        if tieWeights == true, embeddingSize != hiddenSize {
            throw LSTMError.badConfig("tie_weights needs embedding_size == hidden_size (\(embeddingSize) != \(hiddenSize))")
        }
    }
}
