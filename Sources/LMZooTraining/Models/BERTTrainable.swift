import Foundation
import LMZooCore

/// BERT with its masked-LM head (Hugging Face `BertForMaskedLM`: word + position + token-type embeddings
/// and LayerNorm, post-LayerNorm encoder blocks with bidirectional attention and erf GELU, the
/// `cls.predictions` transform and a decoder tied to the word embedding plus its own bias) as a trainable
/// model over this engine's kernels, with the parameter names `BertForMaskedLM` writes.
///
/// Every input position is of token type 0. The query, key and value weights (and biases) are
/// consecutive in ``parameters``, so together they are one `(3C, C)` `[out, in]` layer giving the packed
/// `[q | k | v]` rows ``AttentionKernel`` takes.
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

    /// One LayerNorm's output and saved statistics.
    struct Norm {
        var out: [Float], mean: [Float], rstd: [Float]
        init(rows: Int, width: Int) { (out, mean, rstd) = (zeros(rows * width), zeros(rows), zeros(rows)) }
    }

    /// One block's saved activations.
    struct Block {
        var inp: [Float] = [], qkv: [Float] = [], att: [Float] = [], atty: [Float] = [], residual1: [Float] = []
        var norm1 = Norm(rows: 0, width: 0), fc: [Float] = [], fcGelu: [Float] = [], residual2: [Float] = []
        var norm2 = Norm(rows: 0, width: 0)
    }
    private var ids: [Int] = []
    private var embeddingSum: [Float] = []
    private var embeddingNorm = Norm(rows: 0, width: 0)
    private var blocks: [Block] = []
    private var head: (inp: [Float], dense: [Float], gelu: [Float], norm: Norm) = ([], [], [], Norm(rows: 0, width: 0))
    private var shape = (batch: 0, steps: 0)

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
    }

    private func p(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
    private func g(_ name: String) -> UnsafeMutablePointer<Float> { parameters.grad(name) }

    private func layerNorm(_ inp: [Float], _ name: String, rows N: Int) -> Norm {
        var norm = Norm(rows: N, width: sizes.hidden)
        LayerNormKernel.forward(out: &norm.out, mean: &norm.mean, rstd: &norm.rstd, inp: inp, weight: p(name + ".weight"),
                                bias: p(name + ".bias"), rows: N, width: sizes.hidden, epsilon: Self.epsilon)
        return norm
    }

    /// Accumulates dinp from dout through the LayerNorm `name` that made `norm` from `inp`.
    private func layerNormBackward(_ dinp: inout [Float], _ dout: [Float], _ inp: [Float], _ norm: Norm, _ name: String, rows N: Int) {
        LayerNormKernel.backward(dinp: &dinp, dweight: g(name + ".weight"), dbias: g(name + ".bias"), dout: dout, inp: inp,
                                 weight: p(name + ".weight"), mean: norm.mean, rstd: norm.rstd, rows: N, width: sizes.hidden)
    }

    private func linear(_ inp: [Float], _ name: String, rows N: Int, inputs: Int, outputs: Int) -> [Float] {
        var out = zeros(N * outputs)
        LinearKernel.forward(out: &out, inp: inp, weight: p(name + ".weight"), bias: p(name + ".bias"), rows: N, inputs: inputs, outputs: outputs)
        return out
    }

    private func linearBackward(_ dinp: inout [Float], _ dout: [Float], _ inp: [Float], _ name: String, rows N: Int, inputs: Int, outputs: Int) {
        LinearKernel.backward(dinp: &dinp, dweight: g(name + ".weight"), dbias: g(name + ".bias"), dout: dout, inp: inp,
                              weight: p(name + ".weight"), rows: N, inputs: inputs, outputs: outputs)
    }

    /// inputs (B, T) -> masked-LM logits (B*T, V) of every position.
    public func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float] {
        precondition(inputs.count == B * T && T <= sizes.positions, "inputs must be (B, T) with T <= max_position_embeddings")
        let (C, V, NH, I) = (sizes.hidden, sizes.vocabulary, sizes.heads, sizes.intermediate), N = B * T
        shape = (B, T)
        ids = inputs
        // x (B, T, C) = word[ids] + position[t] + token_type[0]
        var x = zeros(N * C)
        x.withUnsafeMutableBufferPointer { out in
            EmbeddingKernel.forward(out: out.baseAddress!, ids: inputs, count: N, weight: p("bert.embeddings.word_embeddings.weight"), width: C)
            let position = p("bert.embeddings.position_embeddings.weight"), type = p("bert.embeddings.token_type_embeddings.weight")
            for b in 0..<B { for t in 0..<T { for c in 0..<C { out[(b * T + t) * C + c] += position[t * C + c] + type[c] } } }
        }
        embeddingSum = x
        embeddingNorm = layerNorm(x, "bert.embeddings.LayerNorm", rows: N)
        var h = embeddingNorm.out
        blocks = []
        for l in 0..<sizes.layers {
            let n = "bert.encoder.layer.\(l)."
            var k = Block()
            k.inp = h
            // qkv (N, 3C) through the fused query/key/value layer
            k.qkv = zeros(N * 3 * C)
            LinearKernel.forward(out: &k.qkv, inp: k.inp, weight: p(n + "attention.self.query.weight"), bias: p(n + "attention.self.query.bias"),
                                 rows: N, inputs: C, outputs: 3 * C)
            k.atty = zeros(N * C); k.att = zeros(B * NH * T * T)
            AttentionKernel.forward(out: &k.atty, att: &k.att, qkv: k.qkv, batch: B, steps: T, channels: C, heads: NH, causal: false)
            let attention = linear(k.atty, n + "attention.output.dense", rows: N, inputs: C, outputs: C)
            k.residual1 = zip(k.inp, attention).map(+)
            k.norm1 = layerNorm(k.residual1, n + "attention.output.LayerNorm", rows: N)
            k.fc = linear(k.norm1.out, n + "intermediate.dense", rows: N, inputs: C, outputs: I)
            k.fcGelu = zeros(N * I)
            GELUKernel.forward(out: &k.fcGelu, inp: k.fc, count: N * I, form: .erf)
            let mlp = linear(k.fcGelu, n + "output.dense", rows: N, inputs: I, outputs: C)
            k.residual2 = zip(k.norm1.out, mlp).map(+)
            k.norm2 = layerNorm(k.residual2, n + "output.LayerNorm", rows: N)
            h = k.norm2.out
            blocks.append(k)
        }
        // cls.predictions: LayerNorm(gelu(dense(h))) . word^T + bias
        let dense = linear(h, "cls.predictions.transform.dense", rows: N, inputs: C, outputs: C)
        var gelu = zeros(N * C)
        GELUKernel.forward(out: &gelu, inp: dense, count: N * C, form: .erf)
        head = (h, dense, gelu, layerNorm(gelu, "cls.predictions.transform.LayerNorm", rows: N))
        var logits = zeros(N * V)
        LinearKernel.forward(out: &logits, inp: head.norm.out, weight: p("bert.embeddings.word_embeddings.weight"),
                             bias: p("cls.predictions.bias"), rows: N, inputs: C, outputs: V)
        return logits
    }

    public func backward(dlogits: [Float]) {
        let (B, T) = shape
        let (C, V, NH, I) = (sizes.hidden, sizes.vocabulary, sizes.heads, sizes.intermediate), N = B * T
        var dnorm = zeros(N * C)
        LinearKernel.backward(dinp: &dnorm, dweight: g("bert.embeddings.word_embeddings.weight"), dbias: g("cls.predictions.bias"),
                              dout: dlogits, inp: head.norm.out, weight: p("bert.embeddings.word_embeddings.weight"),
                              rows: N, inputs: C, outputs: V)
        var dgelu = zeros(N * C)
        layerNormBackward(&dgelu, dnorm, head.gelu, head.norm, "cls.predictions.transform.LayerNorm", rows: N)
        var ddense = zeros(N * C)
        GELUKernel.backward(dinp: &ddense, inp: head.dense, dout: dgelu, count: N * C, form: .erf)
        var dh = zeros(N * C)  // gradient of the current block output
        linearBackward(&dh, ddense, head.inp, "cls.predictions.transform.dense", rows: N, inputs: C, outputs: C)
        for l in stride(from: sizes.layers - 1, through: 0, by: -1) {
            let n = "bert.encoder.layer.\(l).", k = blocks[l]
            // h = LN2(residual2), residual2 = norm1 + output(gelu(intermediate(norm1)))
            var dresidual2 = zeros(N * C)
            layerNormBackward(&dresidual2, dh, k.residual2, k.norm2, n + "output.LayerNorm", rows: N)
            var dfcGelu = zeros(N * I)
            linearBackward(&dfcGelu, dresidual2, k.fcGelu, n + "output.dense", rows: N, inputs: I, outputs: C)
            var dfc = zeros(N * I)
            GELUKernel.backward(dinp: &dfc, inp: k.fc, dout: dfcGelu, count: N * I, form: .erf)
            var dnorm1 = dresidual2
            linearBackward(&dnorm1, dfc, k.norm1.out, n + "intermediate.dense", rows: N, inputs: C, outputs: I)
            // norm1 = LN1(residual1), residual1 = inp + dense(attention(qkv(inp)))
            var dresidual1 = zeros(N * C)
            layerNormBackward(&dresidual1, dnorm1, k.residual1, k.norm1, n + "attention.output.LayerNorm", rows: N)
            var datty = zeros(N * C)
            linearBackward(&datty, dresidual1, k.atty, n + "attention.output.dense", rows: N, inputs: C, outputs: C)
            var dqkv = zeros(N * 3 * C)
            AttentionKernel.backward(dqkv: &dqkv, dout: datty, qkv: k.qkv, att: k.att, batch: B, steps: T, channels: C, heads: NH)
            var dinp = dresidual1
            LinearKernel.backward(dinp: &dinp, dweight: g(n + "attention.self.query.weight"), dbias: g(n + "attention.self.query.bias"),
                                  dout: dqkv, inp: k.inp, weight: p(n + "attention.self.query.weight"), rows: N, inputs: C, outputs: 3 * C)
            dh = dinp
        }
        var dx = zeros(N * C)
        layerNormBackward(&dx, dh, embeddingSum, embeddingNorm, "bert.embeddings.LayerNorm", rows: N)
        let dposition = g("bert.embeddings.position_embeddings.weight"), dtype = g("bert.embeddings.token_type_embeddings.weight")
        for b in 0..<B {
            for t in 0..<T {
                for c in 0..<C {
                    let d = dx[(b * T + t) * C + c]
                    dposition[t * C + c] += d
                    dtype[c] += d
                }
            }
        }
        // The word embedding's `padding_idx` ([PAD]) row learns nothing from lookups, as in `nn.Embedding`.
        for n in 0..<N where ids[n] == Self.paddingID { for c in 0..<C { dx[n * C + c] = 0 } }
        EmbeddingKernel.backward(dweight: g("bert.embeddings.word_embeddings.weight"), dout: dx, ids: ids, count: N, width: C)
    }
}
