import Foundation
import LMZoo
import LMZooGPT
import LMZooTestSupport
import Testing

/// The GPT-2 plugin against transformers' `GPT2LMHeadModel` (Tests/Fixtures/gpt2, made by
/// Tests/Fixtures/make_gpt2_fixtures.py): every position's log-distribution within 1e-4 from
/// safetensors, `pytorch_model.bin` and an F32 GGUF written by gguf-py; greedy continuations
/// identical; a Q8_0 GGUF's top-1 agreeing on >= 99% of positions; f16/bf16 kept compressed.
@Suite struct GPTParityTests {
    static let expected = try! Checkpoint.open(Fixtures.path("gpt2/expected.safetensors")).tensors
    static let textCount = 3

    static func ints(_ name: String) -> [Int] {
        try! expected.tensor(name).withUnsafeBytes { Array($0.bindMemory(to: Int64.self)).map(Int.init) }
    }

    static func load(_ relative: String, precision: DType? = nil) throws -> GPTModel {
        LMZoo.registerBuiltins()
        if let precision {
            return try GPTPlugin.load(try Checkpoint.open(Fixtures.path(relative)).modelSource, precision: precision)
        }
        return try #require(try ModelLoader.load(Fixtures.path(relative)) as? GPTModel)
    }

    /// Largest |Δ log p| over every position and id, and the fraction of positions whose argmax agrees.
    static func compare(_ model: GPTModel) throws -> (maxDifference: Float, top1: Double) {
        var worst: Float = 0
        var agree = 0, total = 0
        for i in 0..<textCount {
            let ids = ints("ids_\(i)")
            let reference = try expected.tensor("logprobs_\(i)").floats()
            let mine = try model.logProbRows(ids)
            #expect(mine.count == reference.count)
            worst = max(worst, zip(mine, reference).map { abs($0 - $1) }.max() ?? .infinity)
            let V = model.config.vocabSize
            for t in 0..<ids.count {
                let a = TopK.indices(of: Array(mine[t * V..<(t + 1) * V]), k: 1)[0]
                let b = TopK.indices(of: Array(reference[t * V..<(t + 1) * V]), k: 1)[0]
                agree += a == b ? 1 : 0
                total += 1
            }
        }
        return (worst, Double(agree) / Double(total))
    }

    @Test(arguments: ["gpt2/hf", "gpt2/torch", "gpt2/tiny-f32.gguf"])
    func logitsMatchTransformers(path: String) throws {
        let model = try Self.load(path)
        let (difference, top1) = try Self.compare(model)
        #expect(difference < 1e-4, "\(path): max |dlogprob| \(difference)")
        #expect(top1 == 1)
    }

    @Test(arguments: ["gpt2/hf", "gpt2/torch", "gpt2/tiny-f32.gguf"])
    func greedyContinuationMatches(path: String) throws {
        let model = try Self.load(path)
        for i in 0..<Self.textCount {
            let expected = Self.ints("greedy_\(i)")
            let generated = try model.generate(prompt: Array(expected.prefix(8)), options: GenerationOptions(maxTokens: 20, greedy: true))
            #expect(generated == expected, "\(path) text \(i)")
        }
    }

    @Test func incrementalDecodingMatchesOnePass() throws {
        let model = try Self.load("gpt2/hf")
        let ids = Self.ints("ids_0")
        let rows = try model.logProbRows(ids)
        let V = model.config.vocabSize
        for t in 0..<ids.count {  // each call extends the cached context by one token
            let step = try model.nextTokenLogProbs(context: Array(ids[...t]))
            let difference = zip(step, rows[t * V..<(t + 1) * V]).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-5, "position \(t)")
        }
        let scored = try model.tokenLogProbs(ids)
        #expect(scored.count == ids.count - 1)
        for (p, value) in scored.enumerated() { #expect(abs(value - Double(rows[p * V + ids[p + 1]])) < 1e-5) }
    }

    @Test func q8_0GGUFAgreesOnTopToken() throws {
        let model = try Self.load("gpt2/tiny-q8_0.gguf")
        #expect(model.weightByteCount < 60_000)  // kept as Q8_0 blocks, not widened
        let (difference, top1) = try Self.compare(model)
        #expect(top1 >= 0.99, "top-1 agreement \(top1), max |dlogprob| \(difference)")
    }

    @Test(arguments: [DType.f16, .bf16, .q8_0])
    func compressedWeightsStayClose(precision: DType) throws {
        let model = try Self.load("gpt2/hf", precision: precision)
        let (difference, top1) = try Self.compare(model)
        #expect(top1 >= 0.95, "\(precision): top-1 agreement \(top1)")
        #expect(difference < (precision == .f16 ? 0.05 : 0.5), "\(precision): max |dlogprob| \(difference)")
    }

    @Test func longTextsAreScoredInWindows() throws {
        let model = try Self.load("gpt2/hf")
        let ids = (0..<150).map { ($0 * 37) % 300 }  // longer than the 64-position context
        let scores = try model.tokenLogProbs(ids)
        #expect(scores.count == 149)
        #expect(scores.allSatisfy { $0.isFinite && $0 <= 0 })
        let firstWindow = try model.logProbRows(Array(ids[..<64]))
        #expect(abs(scores[10] - Double(firstWindow[10 * 300 + ids[11]])) < 1e-5)
    }

    @Test func badCheckpointsAreTypedErrors() throws {
        var store = try Checkpoint.open(Fixtures.path("gpt2/hf")).tensors
        let config = try Checkpoint.open(Fixtures.path("gpt2/hf")).config
        var broken = TensorStore()
        for (name, tensor) in store.entries where name != "transformer.h.1.mlp.c_fc.weight" && name != "h.1.mlp.c_fc.weight" {
            try broken.add(name, tensor)
        }
        let source = ModelSource(path: "x", directory: Fixtures.path("gpt2/hf"), config: config, tensors: broken)
        #expect(throws: GPTError.self) { try GPTPlugin.load(source) }
        store = TensorStore()
        let badConfig = JSONObject([("n_embd", .int(30)), ("n_head", .int(4)), ("n_layer", .int(1)), ("n_positions", .int(8)), ("vocab_size", .int(300))])
        #expect(throws: GPTError.self) {
            try GPTPlugin.load(ModelSource(path: "x", directory: Fixtures.path("gpt2/hf"), config: badConfig, tensors: store))
        }
    }
}
