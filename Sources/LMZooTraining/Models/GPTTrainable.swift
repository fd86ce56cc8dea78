import Foundation
import LMZooCore

/// GPT-2 (pre-LayerNorm transformer, learned positions, tanh GELU, LM head tied to `wte`) as a
/// trainable model, llm.c's `gpt2_forward` / `gpt2_backward` over this engine's kernels, with the
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

    /// One block's saved activations (llm.c `ActivationTensors`, per layer).
    struct Block {
        var inp: [Float] = [], ln1: [Float] = [], ln1Mean: [Float] = [], ln1Rstd: [Float] = []
        var qkv: [Float] = [], att: [Float] = [], atty: [Float] = [], residual2: [Float] = []
        var ln2: [Float] = [], ln2Mean: [Float] = [], ln2Rstd: [Float] = [], fch: [Float] = [], fchGelu: [Float] = []
    }
    private var blocks: [Block] = []
    private var ids: [Int] = []
    private var final: (inp: [Float], out: [Float], mean: [Float], rstd: [Float]) = ([], [], [], [])
    private var shape = (batch: 0, steps: 0)

    static func layerNames(_ l: Int) -> [(String, (Int) -> [Int])] {
        let p = "transformer.h.\(l)."
        return [(p + "ln_1.weight", { [$0] }), (p + "ln_1.bias", { [$0] }),
                (p + "attn.c_attn.weight", { [$0, 3 * $0] }), (p + "attn.c_attn.bias", { [3 * $0] }),
                (p + "attn.c_proj.weight", { [$0, $0] }), (p + "attn.c_proj.bias", { [$0] }),
                (p + "ln_2.weight", { [$0] }), (p + "ln_2.bias", { [$0] }),
                (p + "mlp.c_fc.weight", { [$0, 4 * $0] }), (p + "mlp.c_fc.bias", { [4 * $0] }),
                (p + "mlp.c_proj.weight", { [4 * $0, $0] }), (p + "mlp.c_proj.bias", { [$0] })]
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
    }

    private func p(_ name: String) -> UnsafeMutablePointer<Float> { parameters.value(name) }
    private func g(_ name: String) -> UnsafeMutablePointer<Float> { parameters.grad(name) }

    public func forward(inputs: [Int], batch B: Int, steps T: Int) -> [Float] {
        precondition(inputs.count == B * T && T <= sizes.positions, "inputs must be (B, T) with T <= n_positions")
        let (C, V, NH) = (sizes.channels, sizes.vocabulary, sizes.heads), N = B * T
        shape = (B, T)
        ids = inputs
        // x (B, T, C) = wte[ids] + wpe[t]
        var x = [Float](repeating: 0, count: N * C)
        x.withUnsafeMutableBufferPointer { out in
            EmbeddingKernel.forward(out: out.baseAddress!, ids: inputs, count: N, weight: p("transformer.wte.weight"), width: C)
            let wpe = p("transformer.wpe.weight")
            for b in 0..<B { for t in 0..<T { for c in 0..<C { out[(b * T + t) * C + c] += wpe[t * C + c] } } }
        }
        blocks = []
        for l in 0..<sizes.layers {
            let n = "transformer.h.\(l)."
            var k = Block()
            k.inp = x
            k.ln1 = zeros(N * C); k.ln1Mean = zeros(N); k.ln1Rstd = zeros(N)
            LayerNormKernel.forward(out: &k.ln1, mean: &k.ln1Mean, rstd: &k.ln1Rstd, inp: k.inp, weight: p(n + "ln_1.weight"), bias: p(n + "ln_1.bias"), rows: N, width: C)
            k.qkv = zeros(N * 3 * C)
            LinearKernel.forward(out: &k.qkv, inp: k.ln1, weight: p(n + "attn.c_attn.weight"), bias: p(n + "attn.c_attn.bias"), rows: N, inputs: C, outputs: 3 * C, layout: .inOut)
            k.atty = zeros(N * C); k.att = zeros(B * NH * T * T)
            AttentionKernel.forward(out: &k.atty, att: &k.att, qkv: k.qkv, batch: B, steps: T, channels: C, heads: NH, causal: true)
            var proj = zeros(N * C)
            LinearKernel.forward(out: &proj, inp: k.atty, weight: p(n + "attn.c_proj.weight"), bias: p(n + "attn.c_proj.bias"), rows: N, inputs: C, outputs: C, layout: .inOut)
            k.residual2 = zip(k.inp, proj).map(+)
            k.ln2 = zeros(N * C); k.ln2Mean = zeros(N); k.ln2Rstd = zeros(N)
            LayerNormKernel.forward(out: &k.ln2, mean: &k.ln2Mean, rstd: &k.ln2Rstd, inp: k.residual2, weight: p(n + "ln_2.weight"), bias: p(n + "ln_2.bias"), rows: N, width: C)
            k.fch = zeros(N * 4 * C)
            LinearKernel.forward(out: &k.fch, inp: k.ln2, weight: p(n + "mlp.c_fc.weight"), bias: p(n + "mlp.c_fc.bias"), rows: N, inputs: C, outputs: 4 * C, layout: .inOut)
            k.fchGelu = zeros(N * 4 * C)
            GELUKernel.forward(out: &k.fchGelu, inp: k.fch, count: N * 4 * C, form: .tanh)
            var mlp = zeros(N * C)
            LinearKernel.forward(out: &mlp, inp: k.fchGelu, weight: p(n + "mlp.c_proj.weight"), bias: p(n + "mlp.c_proj.bias"), rows: N, inputs: 4 * C, outputs: C, layout: .inOut)
            x = zip(k.residual2, mlp).map(+)
            blocks.append(k)
        }
        var (out, mean, rstd) = (zeros(N * C), zeros(N), zeros(N))
        LayerNormKernel.forward(out: &out, mean: &mean, rstd: &rstd, inp: x,
                                weight: p("transformer.ln_f.weight"), bias: p("transformer.ln_f.bias"), rows: N, width: C)
        final = (x, out, mean, rstd)
        var logits = zeros(N * V)
        LinearKernel.forward(out: &logits, inp: final.out, weight: p("transformer.wte.weight"), bias: nil, rows: N, inputs: C, outputs: V)
        return logits
    }

    public func backward(dlogits: [Float]) {
        let (B, T) = shape
        let (C, V, NH) = (sizes.channels, sizes.vocabulary, sizes.heads), N = B * T
        var dln = zeros(N * C)
        LinearKernel.backward(dinp: &dln, dweight: g("transformer.wte.weight"), dbias: nil, dout: dlogits, inp: final.out,
                              weight: p("transformer.wte.weight"), rows: N, inputs: C, outputs: V)
        var dx = zeros(N * C)  // gradient of the residual stream
        LayerNormKernel.backward(dinp: &dx, dweight: g("transformer.ln_f.weight"), dbias: g("transformer.ln_f.bias"), dout: dln,
                                 inp: final.inp, weight: p("transformer.ln_f.weight"), mean: final.mean, rstd: final.rstd, rows: N, width: C)
        for l in stride(from: sizes.layers - 1, through: 0, by: -1) {
            let n = "transformer.h.\(l).", k = blocks[l]
            // x = residual2 + mlp(ln2(residual2)): dresidual2 = dx + (MLP path)
            var dfchGelu = zeros(N * 4 * C)
            LinearKernel.backward(dinp: &dfchGelu, dweight: g(n + "mlp.c_proj.weight"), dbias: g(n + "mlp.c_proj.bias"), dout: dx,
                                  inp: k.fchGelu, weight: p(n + "mlp.c_proj.weight"), rows: N, inputs: 4 * C, outputs: C, layout: .inOut)
            var dfch = zeros(N * 4 * C)
            GELUKernel.backward(dinp: &dfch, inp: k.fch, dout: dfchGelu, count: N * 4 * C, form: .tanh)
            var dln2 = zeros(N * C)
            LinearKernel.backward(dinp: &dln2, dweight: g(n + "mlp.c_fc.weight"), dbias: g(n + "mlp.c_fc.bias"), dout: dfch,
                                  inp: k.ln2, weight: p(n + "mlp.c_fc.weight"), rows: N, inputs: C, outputs: 4 * C, layout: .inOut)
            var dresidual2 = dx
            LayerNormKernel.backward(dinp: &dresidual2, dweight: g(n + "ln_2.weight"), dbias: g(n + "ln_2.bias"), dout: dln2,
                                     inp: k.residual2, weight: p(n + "ln_2.weight"), mean: k.ln2Mean, rstd: k.ln2Rstd, rows: N, width: C)
            // residual2 = inp + proj(attn(ln1(inp)))
            var datty = zeros(N * C)
            LinearKernel.backward(dinp: &datty, dweight: g(n + "attn.c_proj.weight"), dbias: g(n + "attn.c_proj.bias"), dout: dresidual2,
                                  inp: k.atty, weight: p(n + "attn.c_proj.weight"), rows: N, inputs: C, outputs: C, layout: .inOut)
            var dqkv = zeros(N * 3 * C)
            AttentionKernel.backward(dqkv: &dqkv, dout: datty, qkv: k.qkv, att: k.att, batch: B, steps: T, channels: C, heads: NH)
            var dln1 = zeros(N * C)
            LinearKernel.backward(dinp: &dln1, dweight: g(n + "attn.c_attn.weight"), dbias: g(n + "attn.c_attn.bias"), dout: dqkv,
                                  inp: k.ln1, weight: p(n + "attn.c_attn.weight"), rows: N, inputs: C, outputs: 3 * C, layout: .inOut)
            var dinp = dresidual2
            LayerNormKernel.backward(dinp: &dinp, dweight: g(n + "ln_1.weight"), dbias: g(n + "ln_1.bias"), dout: dln1,
                                     inp: k.inp, weight: p(n + "ln_1.weight"), mean: k.ln1Mean, rstd: k.ln1Rstd, rows: N, width: C)
            dx = dinp
        }
        EmbeddingKernel.backward(dweight: g("transformer.wte.weight"), dout: dx, ids: ids, count: N, width: C)
        let dwpe = g("transformer.wpe.weight")
        for b in 0..<B { for t in 0..<T { for c in 0..<C { dwpe[t * C + c] += dx[(b * T + t) * C + c] } } }
    }
}

@inline(__always)
func zeros(_ count: Int) -> [Float] { [Float](repeating: 0, count: count) }
