import Foundation
import LMZooCore
import LMZooTraining
import LMZooTransformer
import Testing

/// The engine's description features that GPT-2 and BERT do not exercise (RMSNorm, rotary positions
/// with the rotate-half convention, grouped-query attention, the gated SiLU MLP, a separate head):
/// each kernel's backward against finite differences and an independent reference, a whole Llama-like
/// model's gradient, and inference (``TransformerNetwork``, KV-cache decode) against training's forward.
@Suite struct TransformerEngineTests {
    typealias G = GradientCheck
    static let tolerance = 1e-3

    @Test func rmsNormMatchesDefinitionAndFiniteDifferences() {
        let (N, C) = (4, 9)
        let v = Variables()
        v["x"] = G.random(N * C, seed: 21)
        v["w"] = G.random(C, seed: 22).map { 1 + 0.3 * $0 }
        let r = G.random(N * C, seed: 23)
        var rstd = [Float](repeating: 0, count: N)
        func forward() -> [Float] {
            withMutable([Float](repeating: 0, count: N * C)) {
                RMSNormKernel.forward(out: $0, rstd: &rstd, inp: v["x"], weight: v["w"], rows: N, width: C, epsilon: 1e-6)
            }
        }
        let out = forward()
        for n in 0..<N {  // x / sqrt(mean(x^2) + eps) * w, in f64
            let row = v["x"][(n * C)..<((n + 1) * C)].map(Double.init)
            let s = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(C) + 1e-6).squareRoot()
            for c in 0..<C { #expect(abs(Double(out[n * C + c]) - row[c] * s * Double(v["w"][c])) < 1e-5) }
        }
        var (dx, dw) = ([Float](repeating: 0, count: N * C), [Float](repeating: 0, count: C))
        RMSNormKernel.backward(dinp: &dx, dweight: &dw, dout: r, inp: v["x"], weight: v["w"], rstd: rstd, rows: N, width: C)
        #expect(G.relativeError(v, "x", analytic: dx, epsilon: 3e-3) { G.project(forward(), r) } < Self.tolerance)
        #expect(G.relativeError(v, "w", analytic: dw, epsilon: 3e-3) { G.project(forward(), r) } < Self.tolerance)
    }

    @Test func gatedSiLUMatchesDefinitionAndFiniteDifferences() {
        let (N, I) = (3, 7)
        let v = Variables()
        v["x"] = G.random(N * 2 * I, seed: 31, std: 2)
        let r = G.random(N * I, seed: 32)
        func forward() -> [Float] {
            Array(withMutable([Float](repeating: 0, count: N * 2 * I)) { GatedSiLUKernel.forward(out: $0, inp: v["x"], rows: N, width: I) }
                .prefix(N * I))
        }
        let out = forward()
        for n in 0..<N {
            for i in 0..<I {  // silu(gate) * up, llama's act_fn(gate_proj(x)) * up_proj(x)
                let g = Double(v["x"][n * 2 * I + i]), u = Double(v["x"][n * 2 * I + I + i])
                #expect(abs(Double(out[n * I + i]) - g / (1 + exp(-g)) * u) < 1e-5)
            }
        }
        var dx = [Float](repeating: 0, count: N * 2 * I)
        GatedSiLUKernel.backward(dinp: &dx, inp: v["x"], dout: r, rows: N, width: I)
        #expect(G.relativeError(v, "x", analytic: dx, epsilon: 3e-3) { G.project(forward(), r) } < Self.tolerance)
    }

    /// Hugging Face's `apply_rotary_pos_emb`: `q * cos + rotate_half(q) * sin`, `rotate_half(x) =
    /// cat(-x2, x1)`, `cos = cat(cos(p f), cos(p f))`, `f_i = theta^(-2i/d)` — computed here in f64.
    @Test func rotaryFollowsRotateHalfAndItsTransposeIsTheBackward() {
        let (rows, heads, hd, theta) = (5, 3, 8, 10_000.0)
        let table = RotaryTable(headDim: hd, positions: 16, theta: theta)
        let x = G.random(rows * heads * hd, seed: 41)
        let position = { (r: Int) in 2 * r + 1 }
        let rotated = withMutable(x) { table.apply($0, rows: rows, stride: heads * hd, heads: heads, position: position) }
        for r in 0..<rows {
            for h in 0..<heads {
                let q = (0..<hd).map { Double(x[r * heads * hd + h * hd + $0]) }
                let half = hd / 2
                let rotateHalf = (0..<half).map { -q[half + $0] } + (0..<half).map { q[$0] }
                for i in 0..<hd {
                    let angle = Double(position(r)) * pow(theta, -2 * Double(i % half) / Double(hd))
                    let expected = q[i] * cos(angle) + rotateHalf[i] * sin(angle)
                    #expect(abs(Double(rotated[r * heads * hd + h * hd + i]) - expected) < 1e-5)
                }
            }
        }
        // A rotation: the backward (inverse = transpose) undoes it, and is the gradient of <R x, g>.
        let back = withMutable(rotated) { table.apply($0, rows: rows, stride: heads * hd, heads: heads, inverse: true, position: position) }
        for (a, b) in zip(back, x) { #expect(abs(a - b) < 1e-5) }
        let v = Variables()
        v["x"] = x
        let g = G.random(x.count, seed: 42)
        let dx = withMutable(g) { table.apply($0, rows: rows, stride: heads * hd, heads: heads, inverse: true, position: position) }
        #expect(G.relativeError(v, "x", analytic: dx, epsilon: 3e-3) {
            G.project(withMutable(v["x"]) { table.apply($0, rows: rows, stride: heads * hd, heads: heads, position: position) }, g)
        } < Self.tolerance)
    }

    /// Grouped-query attention equals multi-head attention with each key/value head repeated for its
    /// group (`repeat_kv`), and its backward matches finite differences.
    @Test(arguments: [true, false])
    func groupedQueryAttention(causal: Bool) {
        let (B, T, C, NH, KVH) = (2, 5, 8, 4, 2)
        let hs = C / NH, W = AttentionKernel.rowWidth(channels: C, heads: NH, keyValueHeads: KVH)
        #expect(W == C + 2 * KVH * hs)
        let v = Variables()
        v["qkv"] = G.random(B * T * W, seed: 51)
        let r = G.random(B * T * C, seed: 52)
        var att = [Float](repeating: 0, count: B * NH * T * T)
        func forward() -> [Float] {
            withMutable([Float](repeating: 0, count: B * T * C)) {
                AttentionKernel.forward(out: $0, att: &att, qkv: v["qkv"], batch: B, steps: T, channels: C, heads: NH,
                                        keyValueHeads: KVH, causal: causal)
            }
        }
        let grouped = forward()
        // the reference: (B, T, 3C) rows with k/v head j copied to heads j*group ..< (j+1)*group
        var repeated: [Float] = []
        for row in 0..<(B * T) {
            let source = Array(v["qkv"][(row * W)..<((row + 1) * W)])
            repeated += source.prefix(C)
            for part in 0..<2 {
                for h in 0..<NH {
                    let j = h / (NH / KVH), start = C + part * KVH * hs + j * hs
                    repeated += source[start..<(start + hs)]
                }
            }
        }
        var mhaAtt = [Float](repeating: 0, count: B * NH * T * T)
        let reference = withMutable([Float](repeating: 0, count: B * T * C)) {
            AttentionKernel.forward(out: $0, att: &mhaAtt, qkv: repeated, batch: B, steps: T, channels: C, heads: NH, causal: causal)
        }
        for (a, b) in zip(grouped, reference) { #expect(abs(a - b) < 1e-5) }
        _ = forward()
        var dqkv = [Float](repeating: 0, count: B * T * W)
        AttentionKernel.backward(dqkv: &dqkv, dout: r, qkv: v["qkv"], att: att, batch: B, steps: T, channels: C, heads: NH, keyValueHeads: KVH)
        #expect(G.relativeError(v, "qkv", analytic: dqkv, epsilon: 3e-3, samples: 400) { G.project(forward(), r) } < Self.tolerance)
    }

    @Test(arguments: [TinyTransformer.llamaLike, TinyTransformer.llamaLikeEncoder])
    func modelGradientMatchesFiniteDifferences(description: TransformerDescription) {
        let model = TinyTransformer(description, seed: 5)
        TrainerTests.checkModelGradient(model, windows: [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1], batch: 2, steps: 5)
    }

    /// The inference network over the same weights gives training's logits, whole and token by token
    /// through the KV cache (rotary positions continue from the cache, grouped keys/values cached).
    @Test func inferenceMatchesTrainingForwardAndCachedDecode() throws {
        let model = TinyTransformer(TinyTransformer.llamaLike, seed: 6)
        let d = model.description
        let ids = [3, 1, 4, 1, 5, 0, 2, 6]
        let expected = model.forward(inputs: ids, batch: 1, steps: ids.count)
        let network = try TransformerNetwork(description: d, weights: try model.inferenceWeights())
        let T = ids.count, C = d.width, V = d.vocabulary
        var hidden = [Float](repeating: 0, count: T * C), logits = [Float](repeating: 0, count: T * V)
        hidden.withUnsafeMutableBufferPointer { network.hiddenStates(PackedSequences(ids), into: $0.baseAddress!) }
        hidden.withUnsafeBufferPointer { h in logits.withUnsafeMutableBufferPointer { network.logits(h.baseAddress!, rows: T, into: $0.baseAddress!) } }
        for (a, b) in zip(logits, expected) { #expect(abs(a - b) < 1e-4) }
        let cache = network.makeCache()
        for t in 0..<T {
            var h = [Float](repeating: 0, count: C), row = [Float](repeating: 0, count: V)
            h.withUnsafeMutableBufferPointer { network.hiddenStates(PackedSequences([ids[t]]), cache: cache, into: $0.baseAddress!) }
            h.withUnsafeBufferPointer { hp in row.withUnsafeMutableBufferPointer { network.logits(hp.baseAddress!, rows: 1, into: $0.baseAddress!) } }
            for v in 0..<V { #expect(abs(row[v] - expected[t * V + v]) < 1e-4, "position \(t)") }
        }
        #expect(cache.count == T)
    }
}

/// A small model of a given description with Llama-style parameter names, for the tests above.
final class TinyTransformer: TrainableLanguageModel {
    /// Llama's shape: RMSNorm pre-norm, rotary positions, 4 query heads over 2 key/value heads, the gated
    /// SiLU MLP, no biases, a separate head.
    static let llamaLike = TransformerDescription(
        vocabulary: 7, width: 16, layers: 2, inner: 12, contextLength: 8,
        normalization: .init(kind: .rmsNorm, epsilon: 1e-6, placement: .pre),
        positions: .rotary(theta: 10_000, scaling: .none),
        attention: .init(heads: 4, keyValueHeads: 2, fusedQueryKeyValue: false, bias: false, causal: true),
        activation: .gatedSiLU, mlpBias: false, head: .init(tied: false))
    /// The same blocks bidirectional and post-norm, with biases and a tied head.
    static let llamaLikeEncoder: TransformerDescription = {
        var d = llamaLike
        d.normalization.placement = .post
        d.attention = .init(heads: 4, keyValueHeads: 2, fusedQueryKeyValue: false, bias: true, causal: false)
        d.mlpBias = true
        d.head = .init(tied: true, bias: true)
        return d
    }()

    let description: TransformerDescription
    let parameters: ParameterSet
    let engine: TrainableTransformer
    var vocabularySize: Int { description.vocabulary }

    init(_ d: TransformerDescription, seed: UInt64) {
        description = d
        let (C, V, W, U, I) = (d.width, d.vocabulary, d.queryKeyValueWidth, d.upWidth, d.inner)
        let bias = d.attention.queryKeyValueBias
        var specs: [(name: String, shape: [Int])] = [("embed_tokens.weight", [V, C])]
        for l in 0..<d.layers {
            let p = "layers.\(l)."
            specs += [(p + "input_layernorm.weight", [C]), (p + "qkv_proj.weight", [W, C]), (p + "o_proj.weight", [C, C]),
                      (p + "post_attention_layernorm.weight", [C]), (p + "gate_up_proj.weight", [U, C]), (p + "down_proj.weight", [C, I])]
            if bias { specs += [(p + "qkv_proj.bias", [W]), (p + "o_proj.bias", [C]), (p + "gate_up_proj.bias", [U]), (p + "down_proj.bias", [C])] }
        }
        if d.hasFinalNorm { specs.append(("norm.weight", [C])) }
        if !d.head.tied { specs.append(("lm_head.weight", [V, C])) }
        if d.head.bias { specs.append(("lm_head.bias", [V])) }
        parameters = ParameterSet(specs)
        // Larger than training's init, norms near 1: every gradient well above f32 noise.
        parameters.initialize(seed: seed) { $0.shape.count == 2 ? 0.3 : 0.2 }
        for entry in parameters.entries where entry.name.hasSuffix("norm.weight") {
            for i in 0..<entry.count { parameters.values[entry.offset + i] += 1 }
        }
        let p = parameters
        func linear(_ name: String, hasBias: Bool) -> TrainableLinear {
            TrainableLinear(weight: p.trainable(name + ".weight"), bias: hasBias ? p.trainable(name + ".bias") : nil, layout: .outIn)
        }
        func norm(_ name: String) -> TrainableNorm { TrainableNorm(weight: p.trainable(name + ".weight"), bias: nil) }
        let layers = (0..<d.layers).map { l in
            let n = "layers.\(l)."
            return TrainableTransformerWeights.Layer(
                attentionNorm: norm(n + "input_layernorm"), queryKeyValue: linear(n + "qkv_proj", hasBias: bias),
                attentionOutput: linear(n + "o_proj", hasBias: bias), mlpNorm: norm(n + "post_attention_layernorm"),
                up: linear(n + "gate_up_proj", hasBias: bias), down: linear(n + "down_proj", hasBias: bias))
        }
        let tokens = p.trainable("embed_tokens.weight")
        let head = d.head.tied ? TrainableLinear(weight: tokens, bias: d.head.bias ? p.trainable("lm_head.bias") : nil, layout: .outIn)
            : linear("lm_head", hasBias: d.head.bias)
        engine = TrainableTransformer(description: d, weights: TrainableTransformerWeights(
            tokenEmbedding: tokens, positionEmbedding: nil, tokenTypeEmbedding: nil, embeddingNorm: nil, layers: layers,
            finalNorm: d.hasFinalNorm ? norm("norm") : nil, headTransform: nil, head: head))
    }

    func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float] { engine.forward(inputs: inputs, batch: B, steps: T) }
    func backward(dlogits: [Float]) { engine.backward(dlogits: dlogits) }

    /// The same values as inference weights (f32 ``Linear`` layers).
    func inferenceWeights() throws -> TransformerWeights {
        let store = try parameters.tensorStore()
        func linear(_ name: String) throws -> Linear {
            try Linear(name: name, weight: try store.tensor(name + ".weight"), bias: store[name + ".bias"])
        }
        func norm(_ name: String) throws -> TransformerWeights.Norm {
            TransformerWeights.Norm(weight: try store.tensor(name + ".weight").floats(), bias: nil)
        }
        let d = description
        let layers = try (0..<d.layers).map { l in
            let n = "layers.\(l)."
            return TransformerWeights.Layer(
                attentionNorm: try norm(n + "input_layernorm"), queryKeyValue: try linear(n + "qkv_proj"), attentionOutput: try linear(n + "o_proj"),
                mlpNorm: try norm(n + "post_attention_layernorm"), up: try linear(n + "gate_up_proj"), down: try linear(n + "down_proj"))
        }
        let tokens = try Linear(name: "embed_tokens.weight", weight: try store.tensor("embed_tokens.weight"),
                                bias: d.head.tied ? store["lm_head.bias"] : nil)
        return TransformerWeights(tokenEmbedding: tokens, positionEmbedding: nil, tokenTypeEmbedding: nil, embeddingNorm: nil,
                                  layers: layers, finalNorm: d.hasFinalNorm ? try norm("norm") : nil, headTransform: nil,
                                  head: d.head.tied ? tokens : try linear("lm_head"))
    }
}
