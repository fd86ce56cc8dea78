import Foundation
import Testing
@testable import LMZooCore

/// A bigram model over 3 symbols with a known table, to check the protocol's default
/// implementations (score, predict, generate) against hand-computed numbers.
final class ToyBigram: LanguageModel, Generating {
    struct Letters: Tokenizer {
        let symbols = ["a", "b", "c"]
        var vocabularySize: Int { 3 }
        func encode(_ text: String) throws -> [Int] { text.map { symbols.firstIndex(of: String($0))! } }
        func decode(_ ids: [Int]) -> String { ids.map { symbols[$0] }.joined() }
        func token(for id: Int) -> String? { symbols.indices.contains(id) ? symbols[id] : nil }
        var bosID: Int? { 0 }
    }

    /// P(next | previous); rows: previous a, b, c.
    static let table: [[Double]] = [[0.5, 0.25, 0.25], [0.1, 0.1, 0.8], [1.0 / 3, 1.0 / 3, 1.0 / 3]]
    let architecture = "toy"
    let tokenizer: any Tokenizer = Letters()
    var parameterCount: Int { 9 }
    var calls = 0

    func nextTokenLogProbs(context: [Int]) throws -> [Float] {
        calls += 1
        guard let last = context.last else { throw ModelError.emptyContext }
        return ToyBigram.table[last].map { Float(log($0)) }
    }
}

@Suite struct LanguageModelTests {
    @Test func scoreSumsPerTokenLogProbsFromTheSecondToken() throws {
        let model = ToyBigram()
        let result = try model.score(text: "abc", bos: false)
        let expected = [log(0.25), log(0.8)]
        #expect(result.tokenCount == 2)
        for (got, want) in zip(result.perToken, expected) { #expect(abs(got - want) < 1e-6) }
        #expect(abs(result.logProb - (log(0.25) + log(0.8))) < 1e-6)
        #expect(abs(result.log10Prob - result.logProb / log(10)) < 1e-12)
        #expect(abs(result.perplexity! - exp(-result.logProb / 2)) < 1e-12)
        // Without BOS the first token ("a") is context only: its byte is not counted.
        #expect(result.utf8Bytes == 2)
        #expect(abs(result.bitsPerByte! - (-result.logProb / log(2) / 2)) < 1e-12)
        // --bos prepends the BOS id ("a"), scoring the first token too.
        let withBOS = try model.score(ids: [1, 2], bos: true)
        #expect(withBOS.tokenCount == 2 && abs(withBOS.logProb - (log(0.25) + log(0.8))) < 1e-6)
        #expect(withBOS.bitsPerByte == nil)
    }

    @Test func predictReturnsTopKSortedByLogProb() throws {
        let predictions = try ToyBigram().predict(context: [1], topK: 2)
        #expect(predictions.map(\.id) == [2, 0])
        #expect(predictions.map(\.token) == ["c", "a"])
        #expect(abs(predictions[0].logProb - log(0.8)) < 1e-6)
    }

    @Test func outOfVocabularyIdsAreRefused() {
        #expect(throws: ModelError.idOutOfRange(7, vocabularySize: 3)) { try ToyBigram().score(ids: [0, 7], bos: false) }
        #expect(throws: ModelError.idOutOfRange(-1, vocabularySize: 3)) { try ToyBigram().predict(context: [-1], topK: 1) }
    }

    @Test func generationIsGreedyOrSeededSampling() throws {
        let model = ToyBigram()
        #expect(try model.generate(prompt: [1], options: GenerationOptions(maxTokens: 3, greedy: true)) == [1, 2, 0, 0])
        let sampled = GenerationOptions(maxTokens: 50, seed: 5)
        let first = try model.generate(prompt: [0], options: sampled)
        #expect(first == (try model.generate(prompt: [0], options: sampled)))
        #expect(first.count == 51)
        #expect(Set(first).count == 3)  // sampling visits every symbol over 50 draws
        // top-k 1 is greedy whatever the temperature.
        #expect(try model.generate(prompt: [1], options: GenerationOptions(maxTokens: 2, temperature: 5, topK: 1, seed: 9)) == [1, 2, 0])
    }

    @Test func samplerFollowsTheDistribution() {
        var sampler = Sampler(options: GenerationOptions(seed: 11))
        let logProbs = [0.7, 0.2, 0.1].map { Float(log($0)) }
        var counts = [0, 0, 0]
        for _ in 0..<20_000 { counts[sampler.sample(logProbs: logProbs)] += 1 }
        #expect(abs(Double(counts[0]) / 20_000 - 0.7) < 0.02)
        #expect(abs(Double(counts[2]) / 20_000 - 0.1) < 0.01)
        var nucleus = Sampler(options: GenerationOptions(topP: 0.6, seed: 3))
        #expect((0..<200).allSatisfy { _ in nucleus.sample(logProbs: logProbs) == 0 })  // 0.7 alone covers 0.6
    }
}

@Suite struct RegistryTests {
    @Test func lookupsByNameAndModelTypeAndTheirErrors() throws {
        let registry = ArchitectureRegistry()
        registry.register(.notImplemented(name: "gpt2", summary: "GPT-2"))
        registry.register(ArchitectureDescriptor(name: "toy", modelTypes: ["toy", "toy-v2"], summary: "toy", capabilities: [.score]) { _ in ToyBigram() })
        #expect(try registry.descriptor(named: "toy").isImplemented)
        #expect(try registry.descriptor(forModelType: "toy-v2").name == "toy")
        #expect(throws: RegistryError.unknownArchitecture("llama", known: ["gpt2", "toy"])) { try registry.descriptor(named: "llama") }
        let source = ModelSource(path: "m", directory: nil, config: JSONObject([("model_type", "gpt2")]), tensors: TensorStore())
        #expect(throws: RegistryError.notImplemented("gpt2")) { try registry.load(source) }
        #expect(try registry.load(source, architecture: "toy").architecture == "toy")
        let anonymous = ModelSource(path: "m.safetensors", directory: nil, config: nil, tensors: TensorStore())
        #expect(throws: RegistryError.architectureUnknown(path: "m.safetensors", known: ["gpt2", "toy"])) { try registry.load(anonymous) }
        // Registering a name again replaces the entry instead of adding a second one.
        registry.register(.notImplemented(name: "toy", summary: "again"))
        #expect(registry.all.map(\.name) == ["gpt2", "toy"])
        #expect(!(try registry.descriptor(named: "toy").isImplemented))
    }
}
