import LMZooCore
import LMZooTransformer

/// A GPT-2 model's hyper-parameters: `config.json` (`GPT2Config`'s keys) or GGUF's `gpt2.*` keys,
/// else inferred from the tensor shapes.
public struct GPTConfig: Equatable, Sendable {
    /// V
    public var vocabSize: Int
    /// P: largest context (rows of `wpe`).
    public var contextLength: Int
    /// C
    public var embeddingSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// Width of the MLP (`n_inner`, default 4C).
    public var innerSize: Int
    public var layerNormEpsilon: Float
    /// `gelu_new` / `gelu_pytorch_tanh` (tanh approximation) or `gelu` (exact erf).
    public var activation: String

    /// `config.json` keys (transformers' `GPT2Config`).
    enum Key {
        static let vocabSize = "vocab_size", positions = "n_positions", embedding = "n_embd", layers = "n_layer"
        static let heads = "n_head", inner = "n_inner", epsilon = "layer_norm_epsilon", activation = "activation_function"
    }

    /// From `config.json`; a missing or bad key is ``GPTError/badConfig(_:)``.
    static func decode(_ object: JSONObject) throws -> GPTConfig {
        func int(_ key: String) throws -> Int {
            guard let value = object[key]?.intValue, value > 0 else { throw GPTError.badConfig("'\(key)' is missing or not a positive integer") }
            return value
        }
        let embedding = try int(Key.embedding)
        let inner = object[Key.inner]?.intValue ?? 4 * embedding
        return GPTConfig(vocabSize: try int(Key.vocabSize), contextLength: try int(Key.positions), embeddingSize: embedding,
                         layerCount: try int(Key.layers), headCount: try int(Key.heads), innerSize: inner,
                         layerNormEpsilon: Float(object[Key.epsilon]?.doubleValue ?? 1e-5),
                         activation: object[Key.activation]?.stringValue ?? "gelu_new")
    }

    /// C / heads.
    public var headDim: Int { embeddingSize / headCount }

    /// GPT-2 as the transformer engine runs it (`GPT2LMHeadModel`): token + learned position embeddings,
    /// pre-LayerNorm blocks (fused `c_attn` with biases, causal attention, `gelu_new` or `gelu` MLP),
    /// a final LayerNorm and the head (tied to `wte` unless the checkpoint has `lm_head.weight`).
    public var transformerDescription: TransformerDescription {
        TransformerDescription(
            vocabulary: vocabSize, width: embeddingSize, layers: layerCount, inner: innerSize, contextLength: contextLength,
            normalization: .init(kind: .layerNorm, epsilon: layerNormEpsilon, placement: .pre),
            positions: .learned,
            attention: .init(heads: headCount, fusedQueryKeyValue: true, bias: true, causal: true),
            activation: .gelu(activation == "gelu" ? .erf : .tanh), mlpBias: true, head: .init(tied: true))
    }

    func validate() throws {
        guard embeddingSize % headCount == 0 else {
            throw GPTError.badConfig("n_embd \(embeddingSize) is not a multiple of n_head \(headCount)")
        }
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu"].contains(activation) else {
            throw GPTError.badConfig("activation_function '\(activation)' is not supported (gelu_new, gelu_pytorch_tanh, gelu)")
        }
    }
}

/// Why a GPT-2 model could not be loaded or run.
public enum GPTError: Error, Equatable, CustomStringConvertible {
    case badConfig(String)
    case missingTensor(String)
    case badTensor(name: String, shape: [Int], expected: [Int])
    case noTokenizer(String)

    public var description: String {
        switch self {
        case let .badConfig(what): "GPT-2 config: \(what)"
        case let .missingTensor(name): "GPT-2 checkpoint lacks tensor '\(name)' (also looked for transformer.\(name) and the GGUF name)"
        case let .badTensor(name, shape, expected):
            "tensor '\(name)' has shape \(Shape.describe(shape)), expected \(Shape.describe(expected))"
        case let .noTokenizer(what): "GPT-2 tokenizer: \(what)"
        }
    }
}
