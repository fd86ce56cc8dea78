import LMZoo
import Testing
@testable import LMZooCore

@Suite struct LayoutTests {
    /// The layouts are the plugins' (``ArchitectureDescriptor/layouts``): registered as the CLI does.
    init() { LMZoo.registerBuiltins() }

    /// A tensor whose values are its flat indices offset by `seed` (so every tensor differs).
    static func ramp(_ shape: [Int], seed: Float) throws -> Tensor {
        try Tensor(shape: shape, floats: (0..<Shape.elementCount(shape)!).map { Float($0) + seed })
    }

    static func gpt2(layers: Int = 2, d: Int = 4, vocab: Int = 10) throws -> TensorStore {
        var store = TensorStore()
        var seed: Float = 0
        func add(_ name: String, _ shape: [Int]) throws { seed += 1000; try store.add(name, try ramp(shape, seed: seed)) }
        try add("wte.weight", [vocab, d])
        try add("wpe.weight", [8, d])
        for n in 0..<layers {
            for norm in ["ln_1", "ln_2"] { try add("h.\(n).\(norm).weight", [d]); try add("h.\(n).\(norm).bias", [d]) }
            try add("h.\(n).attn.c_attn.weight", [d, 3 * d]); try add("h.\(n).attn.c_attn.bias", [3 * d])
            try add("h.\(n).attn.c_proj.weight", [d, d]); try add("h.\(n).attn.c_proj.bias", [d])
            try add("h.\(n).mlp.c_fc.weight", [d, 4 * d]); try add("h.\(n).mlp.c_fc.bias", [4 * d])
            try add("h.\(n).mlp.c_proj.weight", [4 * d, d]); try add("h.\(n).mlp.c_proj.bias", [d])
            try add("h.\(n).attn.bias", [1, 1, 8, 8])
        }
        try add("ln_f.weight", [d]); try add("ln_f.bias", [d])
        return store
    }

    @Test func patternsMatchLayerIndicesExactly() {
        let pattern = NamePattern("h.{n}.attn.c_attn.weight")
        #expect(pattern.match("h.11.attn.c_attn.weight") == 11)
        #expect(pattern.match("h.x.attn.c_attn.weight") == nil)
        #expect(pattern.match("h.01.attn.c_attn.weight") == nil)
        #expect(pattern.match("h..attn.c_attn.weight") == nil)
        #expect(pattern.name(layer: 3) == "h.3.attn.c_attn.weight")
        #expect(NamePattern("wte.weight").match("wte.weight") == -1)
    }

    @Test func gpt2HuggingFaceToGGUFAndBack() throws {
        let hf = try LayoutTests.gpt2()
        #expect(LayoutConverter.detectArchitecture(hf) == "gpt2")
        var notes: [String] = []
        let gguf = try LayoutConverter.convert(hf, architecture: nil, to: .gguf, notes: &notes)
        #expect(gguf["blk.1.attn_qkv.weight"]?.shape == [12, 4])  // Conv1D [in, out] -> Linear [out, in]
        #expect(gguf["blk.1.attn_qkv.weight"]?.isDeferred == true)  // computed when written, not held
        let qkv = try #require(gguf["blk.1.attn_qkv.weight"]).floats()
        let conv = try hf.tensor("h.1.attn.c_attn.weight").floats()
        #expect(qkv[1 * 4 + 2] == conv[2 * 12 + 1])  // out=1, in=2
        #expect(gguf["blk.0.attn_norm.bias"] != nil && gguf["output_norm.weight"] != nil)
        #expect(try #require(gguf["output.weight"]).isBitwiseEqual(to: try hf.tensor("wte.weight")))
        #expect(gguf["blk.0.attn.bias"] == nil && notes.contains { $0.contains("h.0.attn.bias") })

        var back = try LayoutConverter.convert(gguf, architecture: "gpt2", to: .hf, notes: &notes)
        #expect(try back.tensor("lm_head.weight").isBitwiseEqual(to: try hf.tensor("wte.weight")))
        for (name, tensor) in hf.entries where !name.hasSuffix("attn.bias") {
            #expect(try back.tensor(name).isBitwiseEqual(to: tensor), "\(name)")
        }
        back = try LayoutConverter.convert(hf, architecture: "gpt2", to: .torch, notes: &notes)
        #expect(back["transformer.h.0.mlp.c_fc.weight"] != nil && back["transformer.wte.weight"] != nil)
        #expect(LayoutConverter.detectLayout(back, architecture: "gpt2") == .torch)
    }

    @Test func bertHuggingFaceToGGUFAndBackDropsTheMLMHead() throws {
        var hf = TensorStore()
        var seed: Float = 0
        func add(_ name: String, _ shape: [Int]) throws { seed += 100; try hf.add("bert." + name, try LayoutTests.ramp(shape, seed: seed)) }
        for name in ["word_embeddings", "position_embeddings", "token_type_embeddings"] { try add("embeddings.\(name).weight", [6, 4]) }
        try add("embeddings.LayerNorm.weight", [4]); try add("embeddings.LayerNorm.bias", [4])
        for part in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                     "intermediate.dense", "output.dense"] {
            try add("encoder.layer.0.\(part).weight", [4, 4]); try add("encoder.layer.0.\(part).bias", [4])
        }
        for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
            try add("encoder.layer.0.\(norm).weight", [4]); try add("encoder.layer.0.\(norm).bias", [4])
        }
        try hf.add("cls.predictions.bias", try LayoutTests.ramp([6], seed: 1))
        var notes: [String] = []
        // GGUF has no names for the masked-LM head: refused unless it is dropped on purpose.
        #expect(throws: LayoutError.self) { try LayoutConverter.convert(hf, architecture: "bert", to: .gguf, notes: &notes) }
        let gguf = try LayoutConverter.convert(hf, architecture: "bert", to: .gguf, dropHead: true, notes: &notes)
        #expect(gguf.count == hf.count - 1)
        #expect(try gguf.tensor("blk.0.attn_q.weight").isBitwiseEqual(to: try hf.tensor("bert.encoder.layer.0.attention.self.query.weight")))
        #expect(gguf["token_types.weight"] != nil && gguf["blk.0.layer_output_norm.bias"] != nil)
        let back = try LayoutConverter.convert(gguf, architecture: "bert", to: .hf, notes: &notes)
        for (name, tensor) in hf.entries where name.hasPrefix("bert.") {
            #expect(try back.tensor(String(name.dropFirst(5))).isBitwiseEqual(to: tensor), "\(name)")
        }
    }

    @Test func lstmTorchToKerasAndBackPreservesEveryValue() throws {
        var torch = TensorStore()
        let (v, e, h) = (7, 3, 5)
        try torch.add("encoder.weight", try LayoutTests.ramp([v, e], seed: 0))
        for k in 0..<2 {
            try torch.add("rnn.weight_ih_l\(k)", try LayoutTests.ramp([4 * h, k == 0 ? e : h], seed: Float(100 * k + 10)))
            try torch.add("rnn.weight_hh_l\(k)", try LayoutTests.ramp([4 * h, h], seed: Float(100 * k + 20)))
            try torch.add("rnn.bias_ih_l\(k)", try LayoutTests.ramp([4 * h], seed: Float(100 * k + 30)))
            try torch.add("rnn.bias_hh_l\(k)", try LayoutTests.ramp([4 * h], seed: Float(100 * k + 40)))
        }
        try torch.add("decoder.weight", try LayoutTests.ramp([v, h], seed: 500))
        try torch.add("decoder.bias", try LayoutTests.ramp([v], seed: 600))
        var notes: [String] = []
        let keras = try LayoutConverter.convert(torch, architecture: "lstm", to: .keras, notes: &notes)
        #expect(keras["layers.lstm_1.cell.vars.0"]?.shape == [h, 4 * h])
        #expect(keras["layers.embedding.vars.0"]?.shape == [v, e] && keras["layers.dense.vars.0"]?.shape == [h, v])
        let bias = try keras.tensor("layers.lstm.cell.vars.2").floats()
        #expect(bias == zip(try torch.tensor("rnn.bias_ih_l0").floats(), try torch.tensor("rnn.bias_hh_l0").floats()).map { $0 + $1 })

        let back = try LayoutConverter.convert(keras, architecture: nil, to: .torch, notes: &notes)
        #expect(try back.tensor("rnn.weight_ih_l1").isBitwiseEqual(to: try torch.tensor("rnn.weight_ih_l1")))
        #expect(try back.tensor("rnn.bias_hh_l0").floats().allSatisfy { $0 == 0 })
        #expect(try back.tensor("decoder.weight").isBitwiseEqual(to: try torch.tensor("decoder.weight")))
        // Keras -> torch -> Keras is exact.
        let again = try LayoutConverter.convert(back, architecture: "lstm", to: .keras, notes: &notes)
        for (name, tensor) in keras.entries { #expect(try again.tensor(name).isBitwiseEqual(to: tensor), "\(name)") }
    }

    @Test func unmappedTensorsAndUnknownConventionsAreErrors() throws {
        var store = try LayoutTests.gpt2(layers: 1)
        try store.add("h.0.extra.weight", try LayoutTests.ramp([2], seed: 0))
        var notes: [String] = []
        #expect(throws: LayoutError.unmappedTensor("h.0.extra.weight")) {
            try LayoutConverter.convert(store, architecture: "gpt2", to: .gguf, notes: &notes)
        }
        #expect(throws: LayoutError.unsupported(architecture: "gpt2", layout: .keras)) {
            try LayoutConverter.convert(try LayoutTests.gpt2(), architecture: "gpt2", to: .keras, notes: &notes)
        }
        #expect(throws: LayoutError.cannotDetect("the architecture")) {
            try LayoutConverter.convert(TensorStore(), architecture: nil, to: .gguf, notes: &notes)
        }
    }
}
