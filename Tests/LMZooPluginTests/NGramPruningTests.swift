import Foundation
import LMZoo
import LMZooNGram
import LMZooTestSupport
import Testing

/// `train ngram --prune`: count pruning as KenLM's `lmplz --prune` (issue 23, item 7). The
/// `*.lmplz.arpa.gz` fixtures are lmplz's own output on tiny.txt (see make_ngram_fixtures.py).
@Suite struct NGramPruningTests {
    static let corpus = Fixtures.path("ngram/tiny.txt")

    /// An ARPA file as `"n|w1 w2 ..." -> (log10 prob, log10 backoff)` (plain text, as lmzoo writes it).
    static func entries(_ path: String) throws -> [String: (Float, Float)] {
        var entries: [String: (Float, Float)] = [:]
        var order = 0
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("\\"), line.hasSuffix("-grams:") { order = Int(line.dropFirst().prefix { $0.isNumber }) ?? 0; continue }
            let fields = line.split(separator: "\t")
            guard order > 0, fields.count >= 2, let prob = Float(fields[0]) else { continue }
            entries["\(order)|\(fields[1])"] = (prob, fields.count > 2 ? Float(fields[2]) ?? .nan : 0)
        }
        return entries
    }

    /// Trains on tiny.txt with `prune` and returns the written ARPA's path.
    static func train(order: Int, prune: String?, in scratch: String) throws -> (path: String, result: JSONObject) {
        let out = scratch + "/o\(order)-\(prune ?? "none").arpa"
        var options = ["order": String(order), "discount-fallback": "true"]
        options["prune"] = prune
        let result = try NGramPlugin.train(TrainingRequest(corpus: corpus, out: out, options: options))
        return (out, result)
    }

    /// The same n-grams as lmplz keeps, with its probabilities and back-offs (to its 7 printed digits).
    @Test(arguments: [(3, "0,1", "tiny-o3-prune-0-1"), (4, "0,0,1", "tiny-o4-prune-0-0-1")])
    func prunedModelEqualsLmplz(order: Int, prune: String, fixture: String) throws {
        let scratch = try Fixtures.scratchDirectory("ngram-prune-lmplz")
        defer { Fixtures.removeScratch(scratch) }
        let ours = try Self.entries(try Self.train(order: order, prune: prune, in: scratch).path)
        let lmplzText = scratch + "/lmplz.arpa"
        try NGramModel(arpaPath: Fixtures.path("ngram/\(fixture).lmplz.arpa.gz")).writeARPA(to: lmplzText)
        let theirs = try Self.entries(lmplzText)
        #expect(Set(ours.keys) == Set(theirs.keys), "only ours: \(Set(ours.keys).subtracting(theirs.keys).prefix(5)), only lmplz: \(Set(theirs.keys).subtracting(ours.keys).prefix(5))")
        var worst: Float = 0
        for (key, (prob, backoff)) in theirs {
            guard let mine = ours[key] else { continue }
            worst = max(worst, abs(mine.0 - prob), abs(mine.1 - backoff))
        }
        #expect(worst < 2e-6, "max |difference| \(worst)")
    }

    /// The rule itself, counted here independently: with `0,1` an n-gram of order 2 or 3 stays iff it
    /// occurs at least twice in the sentences `<s> ... </s>`; unigrams all stay; the discounts are those
    /// of the unpruned model; and every context's next-word distribution still sums to 1.
    @Test func keepsExactlyTheNGramsSeenMoreThanTheThreshold() throws {
        let scratch = try Fixtures.scratchDirectory("ngram-prune-rule")
        defer { Fixtures.removeScratch(scratch) }
        let (path, result) = try Self.train(order: 3, prune: "0,1", in: scratch)
        let (unprunedPath, unpruned) = try Self.train(order: 3, prune: nil, in: scratch)
        var raw: [String: Int] = [:]
        for line in try String(contentsOfFile: Self.corpus, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let words = ["<s>"] + line.split(whereSeparator: \.isWhitespace).map(String.init) + ["</s>"]
            for n in 2...3 where words.count >= n {
                for start in 0...(words.count - n) { raw["\(n)|" + words[start..<(start + n)].joined(separator: " "), default: 0] += 1 }
            }
        }
        let kept = try Self.entries(path)
        let expected = Set(raw.filter { $0.value > 1 }.keys)
        #expect(Set(kept.keys.filter { !$0.hasPrefix("1|") }) == expected)
        #expect(kept.keys.filter { $0.hasPrefix("1|") }.count == (try Self.entries(unprunedPath)).keys.filter { $0.hasPrefix("1|") }.count)
        #expect(result["discounts"] == unpruned["discounts"])
        #expect(result["counts_before_pruning"] == unpruned["counts"])

        let model = try NGramModel(arpaPath: path)
        for context in ["", "the", "of the", "zzz unknown", "it is"] {
            let total = try model.nextTokenLogProbs(context: try model.tokenizer.encode(context)).reduce(0.0) { $0 + exp(Double($1)) }
            #expect(abs(total - 1) < 1e-3, "context '\(context)': sum \(total)")
        }
    }

    @Test func thresholdsAreCheckedAsLmplzChecksThem() throws {
        let scratch = try Fixtures.scratchDirectory("ngram-prune-bad")
        defer { Fixtures.removeScratch(scratch) }
        for bad in ["0,2,1", "1", "0,0,0,1", "0,-1", ""] {
            #expect(throws: EstimationError.self, "\(bad)") { try Self.train(order: 3, prune: bad, in: scratch) }
        }
        // All zeros is no pruning at all.
        let (_, zeros) = try Self.train(order: 3, prune: "0", in: scratch)
        #expect(zeros["counts_before_pruning"] == nil)
    }

    /// KenLM's own reader loads the pruned ARPA and scores as lmzoo does. Needs LMZOO_PYTHON with `kenlm`.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with kenlm"))
    func kenlmLoadsAPrunedModel() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("ngram-prune-kenlm")
        defer { Fixtures.removeScratch(scratch) }
        let out = try Self.train(order: 4, prune: "0,1,1", in: scratch).path
        let sentences = try String(contentsOfFile: Self.corpus, encoding: .utf8).split(separator: "\n").prefix(50).map(String.init)
            + ["zzz unknown words here", "the"]
        let text = scratch + "/sentences.txt"
        try (sentences.joined(separator: "\n") + "\n").write(toFile: text, atomically: true, encoding: .utf8)
        let kenlm = try runProcess(python, [Fixtures.path("check_ngram_interop.py"), out, text])
        #expect(kenlm.status == 0, "\(kenlm.stderr)")
        let theirs = try #require(try JSONParser.parse(kenlm.stdout)["log10"]?.arrayValue?.map { $0.doubleValue! })
        let model = try NGramModel(arpaPath: out)
        #expect(theirs.count == sentences.count)
        let worst = zip(sentences, theirs).map { abs(model.log10Score(sentence: $0) - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "max |diff| \(worst)")
    }
}
