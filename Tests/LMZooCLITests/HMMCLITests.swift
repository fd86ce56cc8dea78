import Foundation
import LMZooCore
import LMZooFormats
import LMZooTestSupport
import Testing

/// `lmzoo score / predict / decode / generate / tokenize / train / convert` on HMMs, run as a user
/// would (fixtures: Tests/Fixtures/hmm, made by Tests/Fixtures/make_hmm_fixtures.py).
@Suite struct HMMCLITests {
    func lmzoo(_ arguments: String...) throws -> ProcessResult { try runProcess(CLITests.executable, arguments) }
    func json(_ result: ProcessResult) -> JSONValue? { try? JSONParser.parse(result.stdout) }

    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("hmm/expected.json"))
    static var first: JSONValue { expected["sequences"]!.arrayValue![0] }
    static var firstIDs: String { first["ids"]!.arrayValue!.map { $0.compactText }.joined(separator: ",") }
    let small = Fixtures.path("hmm/small.npz")

    @Test func scoreDecodePredictAnNPZWithArch() throws {
        let score = try lmzoo("score", small, "--arch", "hmm", "--ids", Self.firstIDs, "--json")
        #expect(score.status == 0, "\(score.stderr)")
        let scored = try #require(json(score))
        let want = Self.first["score"]!.doubleValue!
        #expect(abs(scored["logprob"]!.doubleValue! - want) <= 1e-9 * abs(want))
        #expect(scored["tokens"]?.intValue == Self.first["ids"]!.arrayValue!.count)
        #expect(scored["timings"]?["compute_s"]?.doubleValue != nil)

        let decode = try lmzoo("decode", small, "--arch", "hmm", "--ids", Self.firstIDs, "--json")
        #expect(decode.status == 0, "\(decode.stderr)")
        let decoded = try #require(json(decode))
        #expect(decoded["states"] == Self.first["viterbi_states"])
        #expect(abs(decoded["logprob"]!.doubleValue! - Self.first["viterbi_logprob"]!.doubleValue!) < 1e-9)

        let prefix = Self.expected["next_after_prefix"]!["prefix"]!.arrayValue!.map { $0.compactText }.joined(separator: ",")
        let predict = try lmzoo("predict", small, "--arch", "hmm", "--ids", prefix, "--top-k", "10", "--json")
        #expect(predict.status == 0, "\(predict.stderr)")
        let next = try #require(json(predict)?["next"]?.arrayValue)
        let want10 = Self.expected["next_after_prefix"]!["logprobs"]!.arrayValue!.map { $0.doubleValue! }
        #expect(next.count == 10)
        for entry in next {
            let id = entry["id"]!.intValue!
            #expect(abs(entry["logprob"]!.doubleValue! - want10[id]) < 1e-5)
            #expect(entry["token"]?.stringValue == String(UnicodeScalar(UInt8(ascii: "a") + UInt8(id))))
        }
    }

    @Test func textGoesThroughTheVocabularyBesideTheNPZ() throws {
        let tokenize = try lmzoo("tokenize", small, "--arch", "hmm", "--text", "jab", "--json")
        #expect(tokenize.status == 0, "\(tokenize.stderr)")
        #expect(json(tokenize)?["ids"] == [9, 0, 1] && json(tokenize)?["tokens"] == ["j", "a", "b"])
        let score = try lmzoo("score", small, "--arch", "hmm", "--text", "jab", "--json")
        #expect(json(score)?["tokens"]?.intValue == 3 && json(score)?["bits_per_byte"]?.doubleValue != nil)
        let generate = try lmzoo("generate", small, "--arch", "hmm", "--prompt", "ab", "--max-tokens", "20", "--seed", "3", "--json")
        #expect(generate.status == 0, "\(generate.stderr)")
        let text = try #require(json(generate)?["text"]?.stringValue)
        #expect(text.hasPrefix("ab") && text.count == 22 && text.allSatisfy { "abcdefghij".contains($0) })
        let unknown = try lmzoo("score", small, "--arch", "hmm", "--text", "abz")
        #expect(unknown.status == 1 && unknown.stderr.contains("\"z\"") && unknown.stderr.contains("not in the model's vocabulary"))
    }

    @Test func badModelsAndIdsAreOneLineErrors() throws {
        let rowSum = try lmzoo("score", Fixtures.path("hmm/bad_transmat_row_sum.npz"), "--arch", "hmm", "--ids", "1,2")
        #expect(rowSum.status == 1)
        #expect(rowSum.stderr.contains("bad_transmat_row_sum.npz") && rowSum.stderr.contains("transmat row 2 sums to"))
        let negative = try lmzoo("decode", Fixtures.path("hmm/bad_negative_emission.npz"), "--arch", "hmm", "--ids", "1")
        #expect(negative.status == 1 && negative.stderr.contains("emissionprob[1, 0] is negative"))
        let shape = try lmzoo("score", Fixtures.path("hmm/bad_emission_states.npz"), "--arch", "hmm", "--ids", "1")
        #expect(shape.status == 1 && shape.stderr.contains("emissionprob has shape"))
        let outside = try lmzoo("decode", small, "--arch", "hmm", "--ids", "1,10")
        #expect(outside.status == 1 && outside.stderr.contains("token id 10 is outside the vocabulary (0..<10)"))
        for result in [rowSum, negative, shape, outside] {
            #expect(result.stderr.split(separator: "\n").count == 1 && result.stdout.isEmpty)
        }
    }

    @Test func trainWritesLMZooFormThatScoresAndConvertsToHMMLearnNames() throws {
        let scratch = try Fixtures.scratchDirectory("hmm-train")
        defer { Fixtures.removeScratch(scratch) }
        let corpus = scratch + "/corpus.txt"
        try String(repeating: "the cat sat on the mat.\nthe dog ate the hat!\n", count: 20).write(toFile: corpus, atomically: true, encoding: .utf8)
        let out = scratch + "/hmm"
        let train = try lmzoo("train", "hmm", "--states", "4", "--iterations", "6", "--corpus", corpus, "--out", out, "--seed", "1", "--json")
        #expect(train.status == 0, "\(train.stderr)")
        let report = try #require(json(train))
        let curve = report["log_likelihood"]?.arrayValue?.compactMap { $0.doubleValue } ?? []
        #expect(curve.count == report["iterations"]?.intValue && (1...6).contains(curve.count))
        #expect(zip(curve, curve.dropFirst()).allSatisfy { $1 >= $0 - 1e-6 })
        // 15 distinct characters plus <unk>.
        #expect(report["vocab_size"]?.intValue == 16 && report["tokens"]?.intValue == 900 && report["out"]?.stringValue == out)
        for file in ["config.json", "model.safetensors", "vocab.json"] { #expect(FileManager.default.fileExists(atPath: out + "/" + file)) }

        // The directory loads by its config.json and scores the corpus to the reported likelihood.
        let score = try lmzoo("score", out, "--file", corpus, "--json")
        #expect(score.status == 0, "\(score.stderr)")
        let final = try #require(report["final_log_likelihood"]?.doubleValue)
        #expect(abs(json(score)!["logprob"]!.doubleValue! - final) <= 1e-9 * abs(final))

        // A character the corpus never had maps to <unk> and costs about log(1e-6), not -inf.
        let unseen = try json(lmzoo("score", out, "--text", "the zebra", "--per-token", "--json"))
        let perToken = unseen?["per_token"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(perToken.count == 9 && perToken.allSatisfy(\.isFinite))
        #expect(perToken[4] < log(2e-6) && perToken[4] > log(1e-7), "z -> <unk>: \(perToken)")

        // Directory form -> hmmlearn's .npz names, which load back with --arch hmm to the same score.
        let npz = scratch + "/exported.npz"
        let convert = try lmzoo("convert", out, npz, "--json")
        #expect(convert.status == 0, "\(convert.stderr)")
        #expect(Set(try NumPyReader.readNPZ(path: npz).names) == ["startprob", "transmat", "emissionprob"])
        let ids = "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,3,3,2"
        let a = try lmzoo("score", out, "--ids", ids, "--json"), b = try lmzoo("score", npz, "--arch", "hmm", "--ids", ids, "--json")
        #expect(json(a)?["logprob"] == json(b)?["logprob"] && json(a)?["logprob"] != nil)

        // Bad options are clear errors.
        let bad = try lmzoo("train", "hmm", "--states", "0", "--corpus", corpus, "--out", scratch + "/x")
        #expect(bad.status == 2 && bad.stderr.contains("--states 0"))  // a usage mistake
    }

    /// hmmlearn loads the `.npz` lmzoo converts to and scores as lmzoo does. Needs LMZOO_PYTHON with
    /// hmmlearn (scripts/test.sh installs it); in CI this never skips.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with hmmlearn"))
    func hmmlearnReadsTheConvertedNPZ() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("hmm-interop")
        defer { Fixtures.removeScratch(scratch) }
        let corpus = scratch + "/corpus.txt"
        try String(repeating: "abracadabra, said the hmm\n", count: 10).write(toFile: corpus, atomically: true, encoding: .utf8)
        let train = try lmzoo("train", "hmm", "--states", "5", "--iterations", "3", "--corpus", corpus, "--out", scratch + "/m", "--json")
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try lmzoo("convert", scratch + "/m", scratch + "/m.npz").status == 0)
        let ids = "1,2,3,4,5,0,0,1"
        let mine = try #require(json(try lmzoo("score", scratch + "/m.npz", "--arch", "hmm", "--ids", ids, "--json"))?["logprob"]?.doubleValue)
        let script = """
        import sys, numpy as np
        from hmmlearn import hmm
        z = np.load(sys.argv[1])
        m = hmm.CategoricalHMM(n_components=z["startprob"].shape[0], n_features=z["emissionprob"].shape[1], init_params="")
        m.startprob_, m.transmat_, m.emissionprob_ = z["startprob"], z["transmat"], z["emissionprob"]
        print(repr(m.score(np.array([int(v) for v in sys.argv[2].split(",")])[:, None])))
        """
        let result = try runProcess(python, ["-c", script, scratch + "/m.npz", ids])
        #expect(result.status == 0, "\(result.stderr)")
        let theirs = try #require(Double(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(abs(mine - theirs) <= 1e-9 * abs(theirs))
    }
}
