import Foundation
import LMZooCore
import LMZooTraining
import LMZooTransformer

/// BERT with its masked-LM head (Hugging Face `BertForMaskedLM`: word + position + token-type embeddings
/// and LayerNorm, post-LayerNorm encoder blocks with bidirectional attention and erf GELU, the
/// `cls.predictions` transform and a decoder tied to the word embedding plus its own bias) as a trainable
/// model on the transformer engine (``TrainableTransformer``), with the parameter names `BertForMaskedLM` writes.
///
/// Every input position is of token type 0. The query, key and value weights (and biases) are
/// consecutive in ``parameters``, so together they are one `(3C, C)` `[out, in]` layer giving the packed
/// `[q | k | v]` rows the engine's attention takes.
public final class BERTTrainable: TrainableLanguageModel {
    /// `config.json` sizes.
    public struct Sizes: Sendable, Equatable {
        public var vocabulary: Int, positions: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int
        public init(vocabulary: Int, positions: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int) {
            (self.vocabulary, self.positions, self.hidden, self.layers, self.heads, self.intermediate)
                = (vocabulary, positions, hidden, layers, heads, intermediate)
        }

        /// Hugging Face `BertConfig` JSON.
        public var config: JSONObject {
            JSONObject([("model_type", .string("bert")), ("architectures", .array([.string("BertForMaskedLM")])),
                        ("vocab_size", .int(vocabulary)), ("hidden_size", .int(hidden)), ("num_hidden_layers", .int(layers)),
                        ("num_attention_heads", .int(heads)), ("intermediate_size", .int(intermediate)),
                        ("max_position_embeddings", .int(positions)), ("type_vocab_size", .int(2)),
                        ("layer_norm_eps", .double(1e-12)), ("hidden_act", .string("gelu")),
                        ("position_embedding_type", .string("absolute")), ("pad_token_id", .int(BERTTrainable.paddingID)),
                        ("tie_word_embeddings", .bool(true))])
        }
    }

    /// `pad_token_id`: the `[PAD]` id (``WordPieceVocabularyBuilder/specialTokens`` puts it first).
    public static let paddingID = 0
    /// BERT's LayerNorm epsilon.
    public static let epsilon: Float = 1e-12
    public let sizes: Sizes
    public let parameters: ParameterSet
    public var vocabularySize: Int { sizes.vocabulary }

    /// The engine running the forward and backward passes over ``parameters``.
    let engine: TrainableTransformer

    static let prefix = "bert."
    static func layerNames(_ l: Int, _ s: Sizes) -> [(String, [Int])] {
        let p = "bert.encoder.layer.\(l).", C = s.hidden, I = s.intermediate
        return [(p + "attention.self.query.weight", [C, C]), (p + "attention.self.key.weight", [C, C]),
                (p + "attention.self.value.weight", [C, C]),
                (p + "attention.self.query.bias", [C]), (p + "attention.self.key.bias", [C]), (p + "attention.self.value.bias", [C]),
                (p + "attention.output.dense.weight", [C, C]), (p + "attention.output.dense.bias", [C]),
                (p + "attention.output.LayerNorm.weight", [C]), (p + "attention.output.LayerNorm.bias", [C]),
                (p + "intermediate.dense.weight", [I, C]), (p + "intermediate.dense.bias", [I]),
                (p + "output.dense.weight", [C, I]), (p + "output.dense.bias", [C]),
                (p + "output.LayerNorm.weight", [C]), (p + "output.LayerNorm.bias", [C])]
    }

    /// `BertPreTrainedModel._init_weights`: N(0, 0.02) matrices and embeddings, zero biases, LayerNorm weights 1.
    public init(sizes: Sizes, seed: UInt64) {
        self.sizes = sizes
        let C = sizes.hidden
        var specs: [(name: String, shape: [Int])] = [
            ("bert.embeddings.word_embeddings.weight", [sizes.vocabulary, C]),
            ("bert.embeddings.position_embeddings.weight", [sizes.positions, C]),
            ("bert.embeddings.token_type_embeddings.weight", [2, C]),
            ("bert.embeddings.LayerNorm.weight", [C]), ("bert.embeddings.LayerNorm.bias", [C]),
        ]
        for l in 0..<sizes.layers { specs += Self.layerNames(l, sizes).map { (name: $0.0, shape: $0.1) } }
        specs += [("cls.predictions.transform.dense.weight", [C, C]), ("cls.predictions.transform.dense.bias", [C]),
                  ("cls.predictions.transform.LayerNorm.weight", [C]), ("cls.predictions.transform.LayerNorm.bias", [C]),
                  ("cls.predictions.bias", [sizes.vocabulary])]
        parameters = ParameterSet(specs)
        parameters.initialize(seed: seed) { $0.shape.count == 1 ? 0 : 0.02 }
        for entry in parameters.entries where entry.name.hasSuffix("LayerNorm.weight") {
            parameters.values.advanced(by: entry.offset).update(repeating: 1, count: entry.count)
        }
        engine = TrainableTransformer(description: Self.description(sizes), weights: Self.bind(parameters, sizes))
    }

    /// BERT as the engine runs it (``BERTConfig/transformerDescription(activation:)`` of these sizes: erf
    /// GELU, eps 1e-12, two token types), with `[PAD]` as the word embedding's `padding_idx`.
    static func description(_ sizes: Sizes) -> TransformerDescription {
        var description = BERTConfig(vocabSize: sizes.vocabulary, hiddenSize: sizes.hidden, numHiddenLayers: sizes.layers,
                                     numAttentionHeads: sizes.heads, intermediateSize: sizes.intermediate,
                                     maxPositionEmbeddings: sizes.positions, typeVocabSize: 2, layerNormEps: Double(epsilon))
            .transformerDescription(activation: .gelu(.erf))
        description.paddingIndex = paddingID
        return description
    }

    /// The weight binder: `BertForMaskedLM` names -> the engine's roles. The query, key and value
    /// weights (and biases) are consecutive in ``parameters``: together one `(3C, C)` layer.
    static func bind(_ p: ParameterSet, _ sizes: Sizes) -> TrainableTransformerWeights {
        func linear(_ name: String, bias: String? = nil) -> TrainableLinear {
            TrainableLinear(weight: p.trainable(name + ".weight"), bias: p.trainable((bias ?? name) + ".bias"), layout: .outIn)
        }
        func norm(_ name: String) -> TrainableNorm { TrainableNorm(weight: p.trainable(name + ".weight"), bias: p.trainable(name + ".bias")) }
        let layers = (0..<sizes.layers).map { l in
            let n = "bert.encoder.layer.\(l)."
            return TrainableTransformerWeights.Layer(
                attentionNorm: norm(n + "attention.output.LayerNorm"), queryKeyValue: linear(n + "attention.self.query"),
                attentionOutput: linear(n + "attention.output.dense"), mlpNorm: norm(n + "output.LayerNorm"),
                up: linear(n + "intermediate.dense"), down: linear(n + "output.dense"))
        }
        let word = p.trainable("bert.embeddings.word_embeddings.weight")
        return TrainableTransformerWeights(
            tokenEmbedding: word, positionEmbedding: p.trainable("bert.embeddings.position_embeddings.weight"),
            tokenTypeEmbedding: p.trainable("bert.embeddings.token_type_embeddings.weight"),
            embeddingNorm: norm("bert.embeddings.LayerNorm"), layers: layers, finalNorm: nil,
            headTransform: (linear("cls.predictions.transform.dense"), norm("cls.predictions.transform.LayerNorm")),
            head: TrainableLinear(weight: word, bias: p.trainable("cls.predictions.bias"), layout: .outIn))
    }

    /// inputs (B, T) -> masked-LM logits (B*T, V) of every position (every position of token type 0).
    public func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float] {
        precondition(inputs.count == B * T && T <= sizes.positions, "inputs must be (B, T) with T <= max_position_embeddings")
        return engine.forward(inputs: inputs, batch: B, steps: T)
    }

    public func backward(dlogits: [Float]) { engine.backward(dlogits: dlogits) }
}
