import Foundation
import LMZooCore
import LMZooTraining
import LMZooTransformer

/// GPT-2 (pre-LayerNorm transformer, learned positions, tanh GELU, LM head tied to `wte`) as a
/// trainable model on the transformer engine (``TrainableTransformer``), with the
/// Hugging Face parameter names and `Conv1D` `[in, out]` layouts the GPT-2 plugin loads.
public final class GPTTrainable: TrainableLanguageModel {
    /// `config.json` sizes (`n_embd`, `n_layer`, `n_head`, `n_positions`, `vocab_size`).
    public struct Sizes: Sendable, Equatable {
        public var vocabulary: Int, positions: Int, channels: Int, layers: Int, heads: Int
        public init(vocabulary: Int, positions: Int, channels: Int, layers: Int, heads: Int) {
            (self.vocabulary, self.positions, self.channels, self.layers, self.heads) = (vocabulary, positions, channels, layers, heads)
        }

        /// Hugging Face `GPT2Config` JSON.
        public func config(bos: Int?, eos: Int?) -> JSONObject {
            JSONObject([("model_type", .string("gpt2")), ("architectures", .array([.string("GPT2LMHeadModel")])),
                        ("vocab_size", .int(vocabulary)), ("n_positions", .int(positions)), ("n_ctx", .int(positions)),
                        ("n_embd", .int(channels)), ("n_layer", .int(layers)), ("n_head", .int(heads)),
                        ("layer_norm_epsilon", .double(1e-5)), ("activation_function", .string("gelu_new")),
                        ("tie_word_embeddings", .bool(true)), ("bos_token_id", bos.map(JSONValue.int) ?? .null),
                        ("eos_token_id", eos.map(JSONValue.int) ?? .null)])
        }
    }

    public let sizes: Sizes
    public let parameters: ParameterSet
    public var vocabularySize: Int { sizes.vocabulary }
    /// The engine running the forward and backward passes over ``parameters``.
    let engine: TrainableTransformer

    static func layerNames(_ l: Int) -> [(String, (Int) -> [Int])] {
        let p = "transformer.h.\(l)."
        return [(p + "ln_1.weight", { [$0] }), (p + "ln_1.bias", { [$0] }),
                (p + "attn.c_attn.weight", { [$0, 3 * $0] }), (p + "attn.c_attn.bias", { [3 * $0] }),
                (p + "attn.c_proj.weight", { [$0, $0] }), (p + "attn.c_proj.bias", { [$0] }),
                (p + "ln_2.weight", { [$0] }), (p + "ln_2.bias", { [$0] }),
                (p + "mlp.c_fc.weight", { [$0, 4 * $0] }), (p + "mlp.c_fc.bias", { [4 * $0] }),
                (p + "mlp.c_proj.weight", { [4 * $0, $0] }), (p + "mlp.c_proj.bias", { [$0] })]
    }

    /// The trainable model's hyper-parameters as the plugin's config (``GPTConfig/transformerDescription``
    /// is what the engine runs, for inference and training alike).
    static func config(_ sizes: Sizes) -> GPTConfig {
        GPTConfig(vocabSize: sizes.vocabulary, contextLength: sizes.positions, embeddingSize: sizes.channels,
                  layerCount: sizes.layers, headCount: sizes.heads, innerSize: 4 * sizes.channels,
                  layerNormEpsilon: LayerNormKernel.epsilon, activation: "gelu_new")
    }

    /// GPT-2's initialisation: N(0, 0.02) weights, residual projections N(0, 0.02/sqrt(2L)), zero biases,
    /// LayerNorm weights 1.
    public init(sizes: Sizes, seed: UInt64) {
        self.sizes = sizes
        let C = sizes.channels
        var specs: [(name: String, shape: [Int])] = [("transformer.wte.weight", [sizes.vocabulary, C]),
                                                     ("transformer.wpe.weight", [sizes.positions, C])]
        for l in 0..<sizes.layers { specs += Self.layerNames(l).map { ($0.0, $0.1(C)) } }
        specs += [("transformer.ln_f.weight", [C]), ("transformer.ln_f.bias", [C])]
        parameters = ParameterSet(specs)
        let residualStd = 0.02 / Float(2 * sizes.layers).squareRoot()
        parameters.initialize(seed: seed) { entry in
            if entry.shape.count == 1 { return 0 }
            return entry.name.hasSuffix("c_proj.weight") ? residualStd : 0.02
        }
        for entry in parameters.entries where entry.name.hasSuffix("ln_1.weight") || entry.name.hasSuffix("ln_2.weight") || entry.name == "transformer.ln_f.weight" {
            parameters.values.advanced(by: entry.offset).update(repeating: 1, count: entry.count)
        }
        // The weight binder: Hugging Face names -> the engine's roles (Conv1D weights are [in, out]).
        let p = parameters
        func norm(_ name: String) -> TrainableNorm { TrainableNorm(weight: p.trainable(name + ".weight"), bias: p.trainable(name + ".bias")) }
        func conv1D(_ name: String) -> TrainableLinear {
            TrainableLinear(weight: p.trainable(name + ".weight"), bias: p.trainable(name + ".bias"), layout: .inOut)
        }
        let layers = (0..<sizes.layers).map { l in
            let n = "transformer.h.\(l)."
            return TrainableTransformerWeights.Layer(
                attentionNorm: norm(n + "ln_1"), queryKeyValue: conv1D(n + "attn.c_attn"), attentionOutput: conv1D(n + "attn.c_proj"),
                mlpNorm: norm(n + "ln_2"), up: conv1D(n + "mlp.c_fc"), down: conv1D(n + "mlp.c_proj"))
        }
        let wte = p.trainable("transformer.wte.weight")
        let weights = TrainableTransformerWeights(
            tokenEmbedding: wte, positionEmbedding: p.trainable("transformer.wpe.weight"), tokenTypeEmbedding: nil,
            embeddingNorm: nil, layers: layers, finalNorm: norm("transformer.ln_f"), headTransform: nil,
            head: TrainableLinear(weight: wte, bias: nil, layout: .outIn))
        engine = TrainableTransformer(description: Self.config(sizes).transformerDescription, weights: weights)
    }

    public func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float] {
        precondition(inputs.count == B * T && T <= sizes.positions, "inputs must be (B, T) with T <= n_positions")
        return engine.forward(inputs: inputs, batch: B, steps: T)
    }

    public func backward(dlogits: [Float]) { engine.backward(dlogits: dlogits) }
}
