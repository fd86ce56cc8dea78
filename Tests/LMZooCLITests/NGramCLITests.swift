import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo` on n-gram models: score/predict/tokenize/generate on ARPA files, train, convert, inspect.
@Suite struct NGramCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    func json(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    static let small = Fixtures.path("ngram/small.arpa")

    @Test func scoreFollowsKenLMConventions() throws {
        let expected = try JSONFile.read(path: Fixtures.path("ngram/small_scores.json"))
        let sentences = expected["sentences"]!.arrayValue!.map { $0.stringValue! }
        let log10 = expected["log10"]!.arrayValue!.map { $0.doubleValue! }
        let result = try lmzoo("score", NGramCLITests.small, "--text", sentences[0], "--json", "--per-token")
        #expect(result.status == 0, "\(result.stderr)")
        let out = try #require(json(result))
        #expect(abs(out["log10prob"]!.doubleValue! - log10[0]) < 1e-4)
        #expect(abs(out["logprob"]!.doubleValue! - log10[0] * 2.302585092994046) < 1e-3)
        #expect(out["tokens"]?.intValue == sentences[0].split(separator: " ").count + 1)
        #expect(out["per_token"]?.arrayValue?.count == out["tokens"]?.intValue)

        let scratch = try Fixtures.scratchDirectory("ngram-cli-score")
        defer { Fixtures.removeScratch(scratch) }
        let file = scratch + "/lines.txt"
        try (sentences.prefix(20).joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let fileResult = try lmzoo("score", Fixtures.path("ngram/small.arpa.gz"), "--file", file, "--json")
        #expect(fileResult.status == 0, "\(fileResult.stderr)")
        #expect(abs(json(fileResult)!["log10prob"]!.doubleValue! - log10.prefix(20).reduce(0, +)) < 1e-3)
    }

    @Test func tokenizePredictAndGenerate() throws {
        let tokens = try lmzoo("tokenize", NGramCLITests.small, "--text", "the cat of", "--json")
        #expect(tokens.status == 0, "\(tokens.stderr)")
        #expect(json(tokens)?["tokens"]?.arrayValue?.compactMap(\.stringValue) == ["the", "<unk>", "of"])
        let predict = try lmzoo("predict", NGramCLITests.small, "--text", "of", "--top-k", "5", "--json")
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(json(predict)?["next"]?.arrayValue?.count == 5)
        let generate = try lmzoo("generate", NGramCLITests.small, "--prompt", "the", "--max-tokens", "4", "--greedy", "--json")
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(json(generate)?["text"]?.stringValue?.hasPrefix("the") == true)
    }

    @Test func trainConvertAndInspect() throws {
        let scratch = try Fixtures.scratchDirectory("ngram-cli-train")
        defer { Fixtures.removeScratch(scratch) }
        let arpa = scratch + "/tiny.arpa"
        let train = try lmzoo("train", "ngram", "--order", "3", "--corpus", Fixtures.path("ngram/tiny.txt"), "--out", arpa,
                              "--discount-fallback", "--json")
        #expect(train.status == 0, "\(train.stderr)")
        #expect(json(train)?["counts"]?.arrayValue?.count == 3)

        let binary = scratch + "/tiny.safetensors"
        let convert = try lmzoo("convert", arpa, binary, "--json")
        #expect(convert.status == 0, "\(convert.stderr)")
        let back = scratch + "/back.arpa"
        let convertBack = try lmzoo("convert", binary, back, "--json")
        #expect(convertBack.status == 0, "\(convertBack.stderr)")
        #expect(json(convertBack)?["format"]?.stringValue == "arpa")

        let sentence = "the cat is on the mat"
        let scores = try [arpa, binary, back].map { model -> Double in
            let result = try lmzoo("score", model, "--text", sentence, "--json")
            #expect(result.status == 0, "\(model): \(result.stderr)")
            return json(result)?["log10prob"]?.doubleValue ?? .nan
        }
        #expect(scores[0] == scores[1] && scores[1] == scores[2])

        let inspect = try lmzoo("inspect", arpa, "--json")
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(json(inspect)?["format"]?.stringValue == "arpa")
        #expect(json(inspect)?["architecture"]?.stringValue == "ngram")
    }

    @Test func arpaGzIsWrittenAsGzipOfTheSameText() throws {
        let scratch = try Fixtures.scratchDirectory("ngram-cli-gzip")
        defer { Fixtures.removeScratch(scratch) }
        let plain = scratch + "/model.arpa", packed = scratch + "/model.arpa.gz"
        #expect(try lmzoo("convert", Self.small, plain).status == 0)
        let convert = try lmzoo("convert", Self.small, packed)
        #expect(convert.status == 0, "\(convert.stderr)")
        let unpacked = try runProcess("/bin/gzip", ["-dc", packed])
        let text = try String(contentsOfFile: plain, encoding: .utf8)
        #expect(unpacked.status == 0 && unpacked.stdout == text)
        let scored = try [plain, packed].map { try json(lmzoo("score", $0, "--text", "the cat", "--json"))?["logprob"]?.doubleValue }
        #expect(scored[0] != nil && scored[0] == scored[1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).sorted() == ["model.arpa", "model.arpa.gz"])
    }

    @Test func malformedARPAIsOneLineNamingFileAndLine() throws {
        let path = Fixtures.path("ngram/malformed/count_too_high.arpa")
        let result = try lmzoo("score", path, "--text", "a")
        #expect(result.status == 1)
        #expect(result.stderr.contains(path) && result.stderr.contains("line 10:"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
