import LMZooCore

/// The inference weights of a transformer by role, as a plugin's binder builds them from its tensor
/// names. Matrices are ``Linear`` layers (kept in their stored precision: f32, f16, bf16, Q8_0).
public struct TransformerWeights: @unchecked Sendable {
    /// A norm's weight (C) and bias (C; nil for RMSNorm).
    public struct Norm: @unchecked Sendable {
        public let weight: ParameterVector
        public let bias: ParameterVector?

        public init(weight: [Float], bias: [Float]?) {
            self.weight = ParameterVector(weight)
            self.bias = bias.map(ParameterVector.init)
        }
    }

    /// One block.
    public struct Layer: @unchecked Sendable {
        /// Before attention (pre-norm) or after its residual (post-norm).
        public let attentionNorm: Norm
        /// (C) -> (queryKeyValueWidth), rows `[q | k | v]` (``stacked(name:_:precision:)`` joins separate ones).
        public let queryKeyValue: Linear
        /// (C) -> (C)
        public let attentionOutput: Linear
        /// Before the MLP (pre-norm) or after its residual (post-norm).
        public let mlpNorm: Norm
        /// (C) -> (upWidth): `[gate | up]` when gated.
        public let up: Linear
        /// (I) -> (C)
        public let down: Linear

        public init(attentionNorm: Norm, queryKeyValue: Linear, attentionOutput: Linear, mlpNorm: Norm, up: Linear, down: Linear) {
            (self.attentionNorm, self.queryKeyValue, self.attentionOutput) = (attentionNorm, queryKeyValue, attentionOutput)
            (self.mlpNorm, self.up, self.down) = (mlpNorm, up, down)
        }
    }

    /// (V, C) as a layer: rows are looked up; when tied it is also the head.
    public let tokenEmbedding: Linear
    /// (P, C), learned positions only.
    public let positionEmbedding: ParameterVector?
    /// (tokenTypes, C), when the family has token types.
    public let tokenTypeEmbedding: ParameterVector?
    public let embeddingNorm: Norm?
    public let layers: [Layer]
    /// Pre-norm families only.
    public let finalNorm: Norm?
    /// The head's dense transform and its norm (BERT's `cls.predictions.transform`).
    public let headTransform: (dense: Linear, norm: Norm)?
    /// (C) -> (V) (with its bias when the family has one); nil for an encoder loaded without its head.
    public let head: Linear?

    public init(tokenEmbedding: Linear, positionEmbedding: [Float]?, tokenTypeEmbedding: [Float]?, embeddingNorm: Norm?,
                layers: [Layer], finalNorm: Norm?, headTransform: (dense: Linear, norm: Norm)?, head: Linear?) {
        self.tokenEmbedding = tokenEmbedding
        self.positionEmbedding = positionEmbedding.map(ParameterVector.init)
        self.tokenTypeEmbedding = tokenTypeEmbedding.map(ParameterVector.init)
        (self.embeddingNorm, self.layers, self.finalNorm, self.headTransform, self.head) = (embeddingNorm, layers, finalNorm, headTransform, head)
    }

    /// Bytes of the matrices as kept in memory (a tied head counted once).
    public var matrixByteCount: Int {
        var total = tokenEmbedding.weightByteCount + (headTransform?.dense.weightByteCount ?? 0)
        if let head, head !== tokenEmbedding { total += head.weightByteCount }
        for l in layers { total += [l.queryKeyValue, l.attentionOutput, l.up, l.down].reduce(0) { $0 + $1.weightByteCount } }
        return total
    }

    /// Output-major `(out, in)` weights (and biases, zero where a part has none) stacked along the
    /// output into one layer: separate query/key/value (or gate/up) projections run as one sgemm.
    /// Kept in `precision`, else in the first part's dtype.
    public static func stacked(name: String, _ parts: [(weight: Tensor, bias: Tensor?)], precision: DType?) throws -> Linear {
        var weight: [Float] = [], bias: [Float] = []
        let hasBias = parts.contains { $0.bias != nil }
        for part in parts {
            guard part.weight.shape.count == 2, part.weight.shape[1] == parts[0].weight.shape[1] else {
                throw KernelError.badShape(name: name, shape: part.weight.shape, expected: "(out, \(parts[0].weight.shape.last ?? 0)) parts")
            }
            weight += part.weight.floats()
            if hasBias { bias += part.bias?.floats() ?? [Float](repeating: 0, count: part.weight.shape[0]) }
        }
        let rows = parts.reduce(0) { $0 + $1.weight.shape[0] }
        return try Linear(name: name, weight: try Tensor(shape: [rows, parts[0].weight.shape[1]], floats: weight),
                          bias: hasBias ? try Tensor(shape: [rows], floats: bias) : nil,
                          precision: precision ?? parts[0].weight.dtype)
    }
}
