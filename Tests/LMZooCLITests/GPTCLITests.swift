import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo` on GPT-2 models (Tests/Fixtures/gpt2): tokenize, predict, score against transformers'
/// numbers, generation (JSON and streamed text), seeded sampling, and a Q8_0 conversion.
@Suite struct GPTCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    func parseJSON(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    static let expected = try! Checkpoint.open(Fixtures.path("gpt2/expected.safetensors")).tensors
    static func ints(_ name: String) -> [Int] {
        try! expected.tensor(name).withUnsafeBytes { Array($0.bindMemory(to: Int64.self)).map(Int.init) }
    }
    static func idList(_ ids: [Int]) -> String { ids.map(String.init).joined(separator: ",") }

    @Test func tokenizeGivesIDsAndTokens() throws {
        let result = try lmzoo("tokenize", Fixtures.path("gpt2/hf"), "--text", "The quick brown fox", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        let ids = json["ids"]?.arrayValue?.compactMap(\.intValue) ?? []
        let tokens = json["tokens"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!ids.isEmpty && ids.count == tokens.count)
        #expect(tokens.joined().replacingOccurrences(of: "Ġ", with: " ") == "The quick brown fox")
    }

    @Test func scoreMatchesTransformers() throws {
        let ids = Self.ints("ids_1")
        let rows = try Self.expected.tensor("logprobs_1").floats()
        let reference = (1..<ids.count).map { Double(rows[($0 - 1) * 300 + ids[$0]]) }
        for model in ["gpt2/hf", "gpt2/torch", "gpt2/tiny-f32.gguf"] {
            let result = try lmzoo("score", Fixtures.path(model), "--ids", Self.idList(ids), "--per-token", "--json")
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(parseJSON(result))
            let perToken = json["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            #expect(perToken.count == reference.count && zip(perToken, reference).allSatisfy { abs($0 - $1) < 1e-4 }, "\(model)")
        }
    }

    @Test func predictGivesTheMostLikelyNextToken() throws {
        let ids = Self.ints("ids_0")
        let rows = try Self.expected.tensor("logprobs_0").floats()
        let last = Array(rows[(ids.count - 1) * 300..<ids.count * 300])
        let best = last.indices.max { last[$0] < last[$1] }!
        let result = try lmzoo("predict", Fixtures.path("gpt2/tiny-f32.gguf"), "--ids", Self.idList(ids), "--top-k", "3", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let next = try #require(parseJSON(result)?["next"]?.arrayValue)
        #expect(next.count == 3 && next.first?["id"]?.intValue == best)
        #expect(abs((next.first?["logprob"]?.doubleValue ?? 0) - Double(last[best])) < 1e-4)
    }

    @Test func greedyGenerationStreamsItsText() throws {
        let decodeResult = try lmzoo("generate", Fixtures.path("gpt2/hf"), "--prompt", "However little known", "--max-tokens", "12",
                                     "--greedy", "--json")
        #expect(decodeResult.status == 0, "\(decodeResult.stderr)")
        let json = try #require(parseJSON(decodeResult))
        let ids = json["ids"]?.arrayValue?.compactMap(\.intValue) ?? []
        let text = json["text"]?.stringValue ?? ""
        #expect(text.hasPrefix("However little known") && ids.count > 3)
        #expect(json["timings"]?["decode_ms_per_token"]?.doubleValue != nil)
        // Without --json the same text is streamed to stdout.
        let streamed = try lmzoo("generate", Fixtures.path("gpt2/hf"), "--prompt", "However little known", "--max-tokens", "12", "--greedy")
        #expect(streamed.status == 0, "\(streamed.stderr)")
        #expect(streamed.stdout == text + "\n")
    }

    @Test func seededSamplingIsReproducible() throws {
        let args = ["generate", Fixtures.path("gpt2/tiny-q8_0.gguf"), "--prompt", "The quick", "--max-tokens", "10",
                    "--temperature", "0.9", "--top-k", "20", "--top-p", "0.9", "--seed", "7", "--json"]
        let first = try runProcess(CLITests.executable, args), second = try runProcess(CLITests.executable, args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(parseJSON(first)?["ids"] == parseJSON(second)?["ids"])
    }

    @Test func q8_0ConversionKeepsTheTopToken() throws {
        let directory = try Fixtures.scratchDirectory("gpt2-q8")
        defer { Fixtures.removeScratch(directory) }
        let out = directory + "/tiny-q8_0.gguf"
        let convert = try lmzoo("convert", Fixtures.path("gpt2/hf"), out, "--dtype", "q8_0")
        #expect(convert.status == 0, "\(convert.stderr)")
        let ids = Self.ints("ids_0")
        let a = try lmzoo("predict", out, "--ids", Self.idList(ids), "--top-k", "1", "--json")
        let b = try lmzoo("predict", Fixtures.path("gpt2/hf"), "--ids", Self.idList(ids), "--top-k", "1", "--json")
        #expect(a.status == 0, "\(a.stderr)")
        #expect(parseJSON(a)?["next"]?.arrayValue?.first?["id"] == parseJSON(b)?["next"]?.arrayValue?.first?["id"])
    }

    @Test func badInputIsOneLineAndExitOne() throws {
        let result = try lmzoo("predict", Fixtures.path("gpt2/hf"), "--ids", "1,99999", "--json")
        #expect(result.status == 1)
        #expect(result.stderr.contains("99999"))
    }
}
