import Foundation
import LMZooCore
import LMZooTransformer

/// `config.json` of a Hugging Face BERT model (`BertConfig`), or the same sizes read from GGUF metadata
/// (`bert.*` keys, as llama.cpp's converter writes them).
public struct BERTConfig: Codable, Equatable, Sendable {
    /// V: rows of the word embedding (and of the masked-LM decoder).
    public var vocabSize: Int
    /// C: width of every hidden state.
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    /// Width of the feed-forward layer.
    public var intermediateSize: Int
    /// `gelu` (exact, erf), `gelu_new` / `gelu_pytorch_tanh` (tanh approximation) or `relu`.
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double
    /// Only `absolute` is supported.
    public var positionEmbeddingType: String

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
    }

    public init(vocabSize: Int, hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                hiddenAct: String = "gelu", maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
                layerNormEps: Double = 1e-12, positionEmbeddingType: String = "absolute") {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.positionEmbeddingType = positionEmbeddingType
    }

    /// `BertConfig`'s defaults where a key is absent (`hidden_act` gelu, 512 positions, 2 token types, eps 1e-12).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? 768
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? 12
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? 12
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 3072
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? 1e-12
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
    }

    /// Decodes a parsed `config.json`; a bad or missing key is ``BERTError/badConfig(_:)``.
    public static func decode(_ object: JSONObject) throws -> BERTConfig {
        try object.decode(BERTConfig.self) { BERTError.badConfig($0) }
    }

    /// Throws ``BERTError/badConfig(_:)`` unless the sizes are positive and consistent.
    func validate() throws {
        for (key, value) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
                             ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
                             ("max_position_embeddings", maxPositionEmbeddings), ("type_vocab_size", typeVocabSize)]
        where value <= 0 || value > 1 << 24 {
            throw BERTError.badConfig("\(key) = \(value), expected a positive integer below 2^24")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw BERTError.badConfig("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard positionEmbeddingType == "absolute" else {
            throw BERTError.unsupported("position_embedding_type \(positionEmbeddingType) (only absolute)")
        }
        _ = try activation
    }

    /// The feed-forward activation `hidden_act` names (also the masked-LM transform's).
    var activation: TransformerDescription.Activation {
        get throws {
            switch hiddenAct {
            case "gelu": return .gelu(.erf)
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": return .gelu(.tanh)
            case "relu": return .relu
            default: throw BERTError.unsupported("hidden_act \(hiddenAct) (gelu, gelu_new, gelu_pytorch_tanh, relu)")
            }
        }
    }

    /// BERT as the transformer engine runs it (`modeling_bert.py`): word + learned position + token-type
    /// embeddings and their LayerNorm, post-LayerNorm blocks (separate query/key/value with biases,
    /// bidirectional attention), the masked-LM head's dense + activation + LayerNorm transform and its
    /// decoder tied to the word embedding with a bias of its own.
    var transformerDescription: TransformerDescription {
        get throws { transformerDescription(activation: try activation) }
    }

    /// ``transformerDescription`` with a given activation.
    func transformerDescription(activation: TransformerDescription.Activation) -> TransformerDescription {
        TransformerDescription(
            vocabulary: vocabSize, width: hiddenSize, layers: numHiddenLayers, inner: intermediateSize,
            contextLength: maxPositionEmbeddings,
            normalization: .init(kind: .layerNorm, epsilon: Float(layerNormEps), placement: .post, normalizesEmbeddings: true),
            positions: .learned,
            attention: .init(heads: numAttentionHeads, fusedQueryKeyValue: false, bias: true, causal: false),
            activation: activation, mlpBias: true, head: .init(tied: true, bias: true, transform: true),
            tokenTypes: typeVocabSize)
    }
}
