import LMZooCore

/// What a transformer family is, declaratively: the engine (``TransformerNetwork`` for inference,
/// ``TrainableTransformer`` for training) runs any model this describes. A plugin supplies one of
/// these (from its `config.json` / GGUF keys) plus a weight binder mapping its tensor names to the
/// engine's roles (``TransformerWeights``, ``TrainableTransformerWeights``).
public struct TransformerDescription: Sendable, Equatable {
    /// Which normalisation, where.
    public struct Normalization: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// `torch.nn.LayerNorm` (weight and bias).
            case layerNorm
            /// `LlamaRMSNorm` (weight only).
            case rmsNorm
        }

        /// Where each block normalises.
        public enum Placement: Sendable, Equatable {
            /// `x + f(norm(x))`, and a final norm before the head (GPT-2, Llama).
            case pre
            /// `norm(x + f(x))`, no final norm (BERT).
            case post
        }

        public var kind: Kind
        public var epsilon: Float
        public var placement: Placement
        /// A norm over the summed embeddings before the first block (BERT's `embeddings.LayerNorm`).
        public var normalizesEmbeddings: Bool

        public init(kind: Kind, epsilon: Float, placement: Placement, normalizesEmbeddings: Bool = false) {
            (self.kind, self.epsilon, self.placement, self.normalizesEmbeddings) = (kind, epsilon, placement, normalizesEmbeddings)
        }
    }

    /// The rotary scaling variants (`rope_scaling`: linear, dynamic NTK, Llama 3, YaRN) arrive with the
    /// Llama family; plain RoPE is `.none`.
    public enum RotaryScaling: Sendable, Equatable {
        case none
    }

    /// How positions enter.
    public enum Positions: Sendable, Equatable {
        /// A learned `(P, C)` table added to the token embeddings (GPT-2's `wpe`, BERT's `position_embeddings`).
        case learned
        /// Rotary embedding of queries and keys, Hugging Face `rotate_half` convention (``RotaryTable``).
        case rotary(theta: Double, scaling: RotaryScaling)
    }

    /// Self-attention.
    public struct Attention: Sendable, Equatable {
        public var heads: Int
        /// Key/value heads: `heads` for multi-head attention, fewer for grouped-query attention.
        public var keyValueHeads: Int
        /// The checkpoint stores one `[q | k | v]` projection (GPT-2's `c_attn`) rather than three;
        /// the engine always runs them as one layer, the binder stacks separate ones.
        public var fusedQueryKeyValue: Bool
        /// Bias on the query, key, value and output projections.
        public var queryBias, keyBias, valueBias, outputBias: Bool
        /// Decoder (each position sees the ones before it; KV cache) or encoder (bidirectional).
        public var causal: Bool

        public init(heads: Int, keyValueHeads: Int? = nil, fusedQueryKeyValue: Bool, bias: Bool, causal: Bool) {
            self.heads = heads
            self.keyValueHeads = keyValueHeads ?? heads
            self.fusedQueryKeyValue = fusedQueryKeyValue
            (queryBias, keyBias, valueBias, outputBias) = (bias, bias, bias, bias)
            self.causal = causal
        }

        /// Whether the stacked `[q | k | v]` layer has a bias (absent parts are zero).
        public var queryKeyValueBias: Bool { queryBias || keyBias || valueBias }
    }

    /// The feed-forward activation.
    public enum Activation: Sendable, Equatable {
        case gelu(GELUKernel.Form)
        case relu
        /// `down(silu(gate(x)) * up(x))` (Llama's "SwiGLU"): the up layer is `[gate | up]`, `(2I, C)`.
        case gatedSiLU

        /// Columns of the up projection for an inner size `I`.
        func upWidth(_ inner: Int) -> Int { self == .gatedSiLU ? 2 * inner : inner }
    }

    /// The language-model head.
    public struct Head: Sendable, Equatable {
        /// Tied to the token embedding (GPT-2, BERT) or a matrix of its own (`lm_head.weight`).
        public var tied: Bool
        /// A bias of its own (BERT's `cls.predictions.bias`).
        public var bias: Bool
        /// A dense + activation + norm transform before the projection (BERT's `cls.predictions.transform`).
        public var transform: Bool

        public init(tied: Bool, bias: Bool = false, transform: Bool = false) {
            (self.tied, self.bias, self.transform) = (tied, bias, transform)
        }
    }

    /// V
    public var vocabulary: Int
    /// C
    public var width: Int
    public var layers: Int
    /// I: the MLP's inner width.
    public var inner: Int
    /// P: most positions (rows of a learned table; the KV cache's capacity).
    public var contextLength: Int
    public var normalization: Normalization
    public var positions: Positions
    public var attention: Attention
    public var activation: Activation
    /// Bias on the MLP's projections.
    public var mlpBias: Bool
    public var head: Head
    /// Rows of a token-type (segment) embedding (BERT's `token_type_embeddings`); 0 for none.
    public var tokenTypes: Int
    /// `nn.Embedding`'s `padding_idx`: the token row that learns nothing from lookups (BERT's `[PAD]`).
    public var paddingIndex: Int?

    public init(vocabulary: Int, width: Int, layers: Int, inner: Int, contextLength: Int, normalization: Normalization,
                positions: Positions, attention: Attention, activation: Activation, mlpBias: Bool, head: Head,
                tokenTypes: Int = 0, paddingIndex: Int? = nil) {
        (self.vocabulary, self.width, self.layers, self.inner, self.contextLength) = (vocabulary, width, layers, inner, contextLength)
        (self.normalization, self.positions, self.attention, self.activation) = (normalization, positions, attention, activation)
        (self.mlpBias, self.head, self.tokenTypes, self.paddingIndex) = (mlpBias, head, tokenTypes, paddingIndex)
    }

    /// hs = C / heads.
    public var headDim: Int { width / attention.heads }
    /// Width of a key or value row: KVH hs.
    public var keyValueWidth: Int { attention.keyValueHeads * headDim }
    /// Width of the stacked `[q | k | v]` projection: (heads + 2 KVH) hs.
    public var queryKeyValueWidth: Int { width + 2 * keyValueWidth }
    /// Columns of the MLP's up projection (`2I` when gated).
    public var upWidth: Int { activation.upWidth(inner) }
    /// Pre-norm models normalise once more before the head.
    public var hasFinalNorm: Bool { normalization.placement == .pre }

    /// Whether the sizes are consistent (a message naming the problem otherwise).
    public func validate() throws {
        guard width > 0, layers >= 0, inner > 0, vocabulary > 0, contextLength > 0, attention.heads > 0 else {
            throw TransformerError.badDescription("sizes must be positive")
        }
        guard width % attention.heads == 0 else {
            throw TransformerError.badDescription("width \(width) is not a multiple of \(attention.heads) heads")
        }
        guard attention.keyValueHeads > 0, attention.heads % attention.keyValueHeads == 0 else {
            throw TransformerError.badDescription("\(attention.heads) heads are not a multiple of \(attention.keyValueHeads) key/value heads")
        }
        if case .rotary = positions, headDim % 2 != 0 {
            throw TransformerError.badDescription("rotary positions need an even head size, not \(headDim)")
        }
    }
}

/// Why the engine refused a description or weights.
public enum TransformerError: Error, Equatable, CustomStringConvertible {
    case badDescription(String)

    public var description: String {
        switch self {
        case let .badDescription(what): "transformer description: \(what)"
        }
    }
}
