import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo embed`, `fill-mask`, `score` and `predict` on the BERT fixture (Tests/Fixtures/bert/fillmask,
/// a random-initialised `BertForMaskedLM` with transformers' outputs), and a GGUF round trip.
@Suite struct BERTCLITests {
    static let model = Fixtures.path("bert/fillmask")
    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("bert/fillmask/expected.json"))

    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    func parseJSON(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    @Test func fillMaskPrintsTransformersTopFive() throws {
        let entry = try #require(Self.expected["masks"]?.arrayValue?[1])
        let result = try lmzoo("fill-mask", Self.model, "--text", entry["text"]!.stringValue!, "--top-k", "5", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let masks = try #require(parseJSON(result)?["masks"]?.arrayValue)
        let want = entry["masks"]!.arrayValue!
        #expect(masks.map { $0["position"]?.intValue } == want.map { $0["position"]?.intValue })
        for (got, reference) in zip(masks, want) {
            let ids = got["candidates"]?.arrayValue?.map { $0["id"]?.intValue ?? -1 }
            #expect(ids == reference["ids"]?.arrayValue?.map { $0.intValue ?? -2 })
            #expect(got["candidates"]?.arrayValue?.allSatisfy { $0["token"]?.stringValue != nil && $0["logprob"]?.doubleValue != nil } == true)
        }
    }

    @Test func embedPrintsUnitVectorsAndThroughput() throws {
        let result = try lmzoo("embed", Self.model, "--text", "The quick brown fox.", "--text", "Hello, world!", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        let vectors = try #require(json["embeddings"]?.arrayValue).map { $0.arrayValue!.map { $0.doubleValue! } }
        #expect(vectors.count == 2 && vectors.allSatisfy { $0.count == 48 && abs($0.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5 })
        #expect((json["timings"]?["sentences_per_s"]?.doubleValue ?? 0) > 0)
    }

    @Test func scoreIsPseudoLogLikelihood() throws {
        let pll = try #require(Self.expected["pll"])
        let result = try lmzoo("score", Self.model, "--text", pll["text"]!.stringValue!, "--per-token", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(parseJSON(result))
        let reference = pll["per_token"]!.arrayValue!.map { $0.doubleValue! }
        let perToken = json["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(perToken.count == reference.count && zip(perToken, reference).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func inputErrorsAreOneLineAndExitOne() throws {
        let noMask = try lmzoo("fill-mask", Self.model, "--text", "no mask here", "--json")
        #expect(noMask.status == 1 && noMask.stderr.contains("[MASK]") && noMask.stdout.isEmpty)
        #expect(noMask.stderr.split(separator: "\n").count == 1)
        let notAnEncoder = try lmzoo("embed", Fixtures.path("lstm/tied"), "--text", "x")
        #expect(notAnEncoder.status == 1 && notAnEncoder.stderr.contains("lstm"))
        let usage = try lmzoo("embed", Self.model)
        #expect(usage.status == 2)
    }

    /// `convert` to GGUF (llama.cpp names, the masked-LM head dropped) and back gives the same embeddings.
    @Test func ggufConversionEmbedsTheSame() throws {
        let scratch = try Fixtures.scratchDirectory("bert-gguf")
        defer { Fixtures.removeScratch(scratch) }
        let gguf = scratch + "/model.gguf"
        let refused = try lmzoo("convert", Self.model, gguf)
        #expect(refused.status == 1 && refused.stderr.contains("--drop-head") && !Paths.exists(gguf), "\(refused.stderr)")
        let convert = try lmzoo("convert", Self.model, gguf, "--drop-head", "--json")
        #expect(convert.status == 0, "\(convert.stderr)")
        let texts = ["The quick brown fox.", "Café au lait, s'il vous plaît!"]
        let a = try lmzoo("embed", Self.model, "--text", texts[0], "--text", texts[1], "--json")
        let b = try lmzoo("embed", gguf, "--text", texts[0], "--text", texts[1], "--json")
        #expect(b.status == 0, "\(b.stderr)")
        let va = parseJSON(a)?["embeddings"]?.arrayValue?.flatMap { $0.arrayValue!.map { $0.doubleValue! } } ?? []
        let vb = parseJSON(b)?["embeddings"]?.arrayValue?.flatMap { $0.arrayValue!.map { $0.doubleValue! } } ?? []
        #expect(va.count == 96 && vb.count == 96 && zip(va, vb).allSatisfy { abs($0 - $1) < 1e-5 })
        let tokens = try lmzoo("tokenize", gguf, "--text", texts[1], "--json")
        let direct = try lmzoo("tokenize", Self.model, "--text", texts[1], "--json")
        #expect(parseJSON(tokens)?["ids"] == parseJSON(direct)?["ids"])
    }
}
