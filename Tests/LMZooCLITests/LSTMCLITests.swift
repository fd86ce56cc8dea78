import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo` on LSTM models (Tests/Fixtures/lstm): score, predict, and Keras -> torch conversion that
/// scores the same.
@Suite struct LSTMCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    func parseJSON(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("lstm/expected.json"))
    static func ids(_ name: String) -> [Int] { expected[name]?["ids"]?.arrayValue?.compactMap(\.intValue) ?? [] }
    static func reference(_ name: String) -> [Double] {
        let ids = ids(name)
        let rows = expected[name]?["logprobs"]?.arrayValue ?? []
        return (1..<ids.count).compactMap { rows[$0 - 1].arrayValue?[ids[$0]].doubleValue }
    }
    static func idList(_ name: String) -> String { ids(name).map(String.init).joined(separator: ",") }

    @Test func scoreMatchesTorch() throws {
        let result = try lmzoo("score", Fixtures.path("lstm/untied"), "--ids", Self.idList("untied"), "--per-token", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        let perToken = json["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let reference = Self.reference("untied")
        #expect(json["tokens"]?.intValue == reference.count)
        #expect(perToken.count == reference.count && zip(perToken, reference).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(abs((json["logprob"]?.doubleValue ?? 0) - reference.reduce(0, +)) < 1e-4)
    }

    @Test func predictGivesTheMostLikelyNextToken() throws {
        let ids = Self.ids("tied")
        let result = try lmzoo("predict", Fixtures.path("lstm/tied"), "--ids", Self.idList("tied"), "--top-k", "3", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let next = try #require(parseJSON(result)?["next"]?.arrayValue)
        let last = Self.expected["tied"]?["logprobs"]?.arrayValue?[ids.count - 1].arrayValue?.compactMap(\.doubleValue) ?? []
        let best = last.indices.max { last[$0] < last[$1] }
        #expect(next.count == 3 && next.first?["id"]?.intValue == best)
        #expect(abs((next.first?["logprob"]?.doubleValue ?? 0) - (best.map { last[$0] } ?? 1)) < 1e-5)
    }

    @Test func tokenizeUsesTheVocabulary() throws {
        let result = try lmzoo("tokenize", Fixtures.path("lstm/tied"), "--text", "abc", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(parseJSON(result)?["ids"] == [0, 1, 2])
    }

    @Test func kerasConvertedToTorchScoresTheSame() throws {
        let scratch = try Fixtures.scratchDirectory("cli-lstm")
        defer { Fixtures.removeScratch(scratch) }
        let keras = Fixtures.path("lstm/model.keras"), out = scratch + "/torch.safetensors"
        let converted = try lmzoo("convert", keras, out, "--layout", "torch", "--json")
        #expect(converted.status == 0, "\(converted.stderr)")
        let names = try SafetensorsReader.read(path: out).names
        #expect(names.contains("rnn.weight_hh_l1") && names.contains("decoder.bias"))
        let original = try lmzoo("score", keras, "--ids", Self.idList("keras"), "--per-token", "--json")
        let again = try lmzoo("score", out, "--ids", Self.idList("keras"), "--per-token", "--json")
        #expect(original.status == 0 && again.status == 0, "\(original.stderr) \(again.stderr)")
        let a = parseJSON(original)?["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let b = parseJSON(again)?["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        let reference = Self.reference("keras")
        #expect(a.count == reference.count && zip(a, reference).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func badCheckpointIsAOneLineError() throws {
        let scratch = try Fixtures.scratchDirectory("cli-lstm-bad")
        defer { Fixtures.removeScratch(scratch) }
        let source = Fixtures.path("lstm/untied")
        for file in ["model.safetensors", "vocab.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: scratch + "/" + file)
        }
        let config = #"{"model_type":"lstm","vocab_size":50,"embedding_size":16,"hidden_size":32,"num_layers":2}"#
        try config.write(toFile: scratch + "/config.json", atomically: true, encoding: .utf8)
        let result = try lmzoo("score", scratch, "--ids", "1,2,3")
        #expect(result.status == 1)
        #expect(result.stderr.contains("hidden_size") && result.stderr.contains("rnn.weight_hh_l0"), "\(result.stderr)")
    }
}
