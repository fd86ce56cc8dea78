import Foundation
import LMZoo
import LMZooNGram
import LMZooTestSupport
import Testing

/// The n-gram plugin: ARPA reading/writing, KenLM-exact scoring, the binary form, and the
/// Kneser-Ney estimator (fixtures: Tests/Fixtures/make_ngram_fixtures.py).
@Suite struct NGramTests {
    static let ln10 = 2.302585092994046

    /// `../shared/reference` beside the clone (CI has it; a user's clone may not).
    static let reference: String? = {
        let path = URL(fileURLWithPath: Fixtures.root + "/../../../shared/reference").standardized.path
        return FileManager.default.fileExists(atPath: path + "/fortunes-o3.arpa.gz") ? path : nil
    }()

    struct SmallScores {
        let sentences: [String]
        let log10: [Double]
        let noBosNoEos: [Double]
        let fullScores: [[Double]]
    }

    static func smallScores() throws -> SmallScores {
        let json = try JSONFile.read(path: Fixtures.path("ngram/small_scores.json"))
        return SmallScores(
            sentences: json["sentences"]!.arrayValue!.map { $0.stringValue! },
            log10: json["log10"]!.arrayValue!.map { $0.doubleValue! },
            noBosNoEos: json["log10_no_bos_no_eos"]!.arrayValue!.map { $0.doubleValue! },
            fullScores: json["full_scores"]!.arrayValue!.map { $0.arrayValue!.map { $0.doubleValue! } })
    }

    /// max |ours - kenlm| over the fixture's sentences.
    func maxDifference(_ model: NGramModel, _ expected: SmallScores) -> Double {
        zip(expected.sentences, expected.log10).map { abs(model.log10Score(sentence: $0) - $1) }.max() ?? .infinity
    }

    @Test func scoresMatchKenLMOnTheSmallModel() throws {
        let expected = try NGramTests.smallScores()
        for file in ["ngram/small.arpa", "ngram/small.arpa.gz"] {
            let model = try NGramModel(arpaPath: Fixtures.path(file))
            #expect(model.order == 3)
            #expect(model.counts == [53, 1371, 3175])
            #expect(maxDifference(model, expected) < 1e-4, "\(file)")
            for (sentence, score) in zip(expected.sentences, expected.noBosNoEos) {
                #expect(abs(model.log10Score(sentence: sentence, bos: false, eos: false) - score) < 1e-4)
            }
            // Per-token (natural log) through the LanguageModel interface, as `lmzoo score --per-token`.
            for (sentence, tokens) in zip(expected.sentences, expected.fullScores) {
                let result = try model.score(text: sentence, bos: false)
                #expect(result.perToken.count == tokens.count)
                for (ours, theirs) in zip(result.perToken, tokens) { #expect(abs(ours / NGramTests.ln10 - theirs) < 1e-5) }
            }
        }
    }

    @Test func aFileOfLinesScoresEachLineAsASentence() throws {
        let expected = try NGramTests.smallScores()
        let model = try NGramModel(arpaPath: Fixtures.path("ngram/small.arpa"))
        let lines = Array(expected.sentences.prefix(50))
        let result = try model.score(text: lines.joined(separator: "\n") + "\n", bos: false)
        let total = expected.log10.prefix(50).reduce(0, +)
        #expect(abs(result.log10Prob - total) < 1e-3)
        #expect(result.tokenCount == lines.map { $0.split(separator: " ").count + 1 }.reduce(0, +))
    }

    @Test func malformedFilesNameTheLine() throws {
        let cases = try JSONFile.read(path: Fixtures.path("ngram/malformed.json"))
        let entries = try #require(cases.objectValue?.entries)
        #expect(entries.count >= 14)
        for (name, info) in entries {
            let path = Fixtures.path("ngram/malformed/\(name).arpa")
            let line = info["line"]!.intValue!
            let fragment = info["message"]!.stringValue!
            do {
                _ = try NGramModel(arpaPath: path)
                Issue.record("\(name): no error")
            } catch let error as ARPAError {
                let text = error.description
                if line > 0 { #expect(text.hasPrefix("line \(line):"), "\(name): \(text)") }
                #expect(text.contains(fragment), "\(name): \(text)")
            }
        }
        // The valid file the cases are cut from loads.
        let valid = try NGramModel(arpaPath: Fixtures.path("ngram/malformed/valid.arpa"))
        #expect(valid.counts == [4, 2])
        // Truncated gzip.
        let scratch = try Fixtures.scratchDirectory("ngram-gz")
        defer { Fixtures.removeScratch(scratch) }
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("ngram/small.arpa.gz")))
        let cut = scratch + "/cut.arpa.gz"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect(throws: ARPAError.self) { try NGramModel(arpaPath: cut) }
    }

    @Test func arpaAndBinaryFormsRoundTrip() throws {
        let expected = try NGramTests.smallScores()
        let model = try NGramModel(arpaPath: Fixtures.path("ngram/small.arpa"))
        let scratch = try Fixtures.scratchDirectory("ngram-roundtrip")
        defer { Fixtures.removeScratch(scratch) }

        let arpa = scratch + "/again.arpa"
        try model.writeARPA(to: arpa)
        let reread = try NGramModel(arpaPath: arpa)
        #expect(reread.counts == model.counts)
        for sentence in expected.sentences { #expect(reread.log10Score(sentence: sentence) == model.log10Score(sentence: sentence)) }

        let binary = scratch + "/small.safetensors"
        try NGramPlugin.writeBinary(model, to: binary)
        LMZoo.registerBuiltins()
        let loaded = try ModelLoader.load(binary)
        let fromBinary = try #require(loaded as? NGramModel)
        #expect(fromBinary.counts == model.counts)
        for sentence in expected.sentences { #expect(fromBinary.log10Score(sentence: sentence) == model.log10Score(sentence: sentence)) }

        // The binary form without its stored hash tables (e.g. written by another tool) still loads.
        var store = try SafetensorsReader.read(path: binary)
        var stripped = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries where !name.hasSuffix(".table") { try stripped.add(name, tensor) }
        store = stripped
        let rebuilt = try NGramPlugin.load(ModelSource(path: binary, directory: nil, config: nil, tensors: store))
        #expect(maxDifference(rebuilt, expected) < 1e-4)

        // The ARPA format as `lmzoo convert` uses it: ARPA -> tensors -> ARPA.
        let format = ARPAFormat()
        let tensors = try format.read(path: Fixtures.path("ngram/small.arpa.gz"))
        #expect(tensors.metadata["model_type"] == "ngram")
        let back = scratch + "/back.arpa"
        _ = try format.write(tensors, to: back, options: WriteOptions())
        #expect(maxDifference(try NGramModel(arpaPath: back), expected) < 1e-4)
    }

    @Test func binaryFormRefusesInconsistentTables() throws {
        let model = try NGramModel(arpaPath: Fixtures.path("ngram/malformed/valid.arpa"))
        let scratch = try Fixtures.scratchDirectory("ngram-badbin")
        defer { Fixtures.removeScratch(scratch) }
        let binary = scratch + "/m.safetensors"
        try NGramPlugin.writeBinary(model, to: binary)
        let store = try SafetensorsReader.read(path: binary)
        for dropped in ["vocab.offsets", "ngram.1.prob", "ngram.2.words"] {
            var broken = TensorStore(metadata: store.metadata)
            for (name, tensor) in store.entries where name != dropped { try broken.add(name, tensor) }
            #expect(throws: ARPAError.self) {
                try NGramPlugin.load(ModelSource(path: binary, directory: nil, config: nil, tensors: broken))
            }
        }
        var wrongShape = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries {
            try wrongShape.add(name, name == "ngram.1.prob" ? try Tensor(shape: [2], floats: [0, 0]) : tensor)
        }
        #expect(throws: ARPAError.self) {
            try NGramPlugin.load(ModelSource(path: binary, directory: nil, config: nil, tensors: wrongShape))
        }
    }

    @Test func predictTokenizeAndGenerate() throws {
        let model = try NGramModel(arpaPath: Fixtures.path("ngram/small.arpa"))
        let ids = try model.tokenizer.encode("the  cat\tof nosuchword")
        #expect(ids.count == 4)
        #expect(model.tokenizer.token(for: ids[3]) == "<unk>")
        #expect(model.tokenizer.decode(ids) == "the <unk> of <unk>" || model.tokenizer.decode(ids).hasPrefix("the"))
        let logProbs = try model.nextTokenLogProbs(context: try model.tokenizer.encode("of"))
        #expect(logProbs.count == model.tokenizer.vocabularySize)
        // Each entry is the KenLM score of that continuation.
        let the = try #require(try model.tokenizer.encode("the").first)
        let direct = model.log10Score(sentence: "of the", eos: false) - model.log10Score(sentence: "of", eos: false)
        #expect(abs(Double(logProbs[the]) / NGramTests.ln10 - direct) < 1e-5)
        #expect(logProbs[try #require(model.tokenizer.bosID)] == -.infinity)
        let top = try model.predict(context: try model.tokenizer.encode("of"), topK: 3)
        #expect(top.count == 3 && top[0].logProb >= top[1].logProb)

        let generated = try model.generate(prompt: try model.tokenizer.encode("the"), options: GenerationOptions(maxTokens: 5, greedy: true))
        #expect(generated.count >= 2 && generated.count <= 6)
        let again = try model.generate(prompt: try model.tokenizer.encode("the"), options: GenerationOptions(maxTokens: 5, seed: 7))
        #expect(again == (try model.generate(prompt: try model.tokenizer.encode("the"), options: GenerationOptions(maxTokens: 5, seed: 7))))
        #expect(throws: ModelError.self) { try model.nextTokenLogProbs(context: [model.tokenizer.vocabularySize]) }
    }

    @Test func estimatedModelIsNormalisedAndConsistent() throws {
        let scratch = try Fixtures.scratchDirectory("ngram-train")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/tiny.arpa"
        let result = try NGramPlugin.train(TrainingRequest(corpus: Fixtures.path("ngram/tiny.txt"), out: out,
                                                           options: ["order": "3", "discount-fallback": "true"]))
        #expect(result["order"]?.intValue == 3)
        #expect(result["sentences"]?.intValue == 400)
        let model = try NGramModel(arpaPath: out)
        #expect(model.order == 3)
        // Interpolated Kneser-Ney is a proper distribution over the vocabulary (without <s>) after any context.
        for context in ["", "the", "you are", "zzz unknown", "it is not"] {
            let logProbs = try model.nextTokenLogProbs(context: try model.tokenizer.encode(context))
            let total = logProbs.reduce(0.0) { $0 + exp(Double($1)) }
            #expect(abs(total - 1) < 1e-3, "context '\(context)': sum \(total)")
        }
        // The binary form straight from the trainer.
        let binaryOut = scratch + "/tiny.safetensors"
        _ = try NGramPlugin.train(TrainingRequest(corpus: Fixtures.path("ngram/tiny.txt"), out: binaryOut,
                                                  options: ["order": "3", "discount-fallback": "true"]))
        LMZoo.registerBuiltins()
        let binary = try #require(try ModelLoader.load(binaryOut) as? NGramModel)
        #expect(binary.log10Score(sentence: "the cat is on the mat") == model.log10Score(sentence: "the cat is on the mat"))
    }

    @Test func estimatorRefusesUndefinedDiscountsWithoutFallback() throws {
        let scratch = try Fixtures.scratchDirectory("ngram-fallback")
        defer { Fixtures.removeScratch(scratch) }
        let corpus = scratch + "/two.txt"
        try "a b c\na b d\n".write(toFile: corpus, atomically: true, encoding: .utf8)
        do {
            _ = try NGramPlugin.train(TrainingRequest(corpus: corpus, out: scratch + "/x.arpa", options: ["order": "3"]))
            Issue.record("undefined discounts were accepted")
        } catch {
            #expect("\(error)".contains("--discount-fallback"), "\(error)")
        }
        let result = try NGramPlugin.train(TrainingRequest(corpus: corpus, out: scratch + "/x.arpa",
                                                           options: ["order": "3", "discount-fallback": "true"]))
        #expect(result["discount_fallback_orders"]?.arrayValue?.isEmpty == false)
        #expect(try NGramModel(arpaPath: scratch + "/x.arpa").counts[0] == 7)
        try "a <s> b\n".write(toFile: corpus, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) {
            try NGramPlugin.train(TrainingRequest(corpus: corpus, out: scratch + "/y.arpa", options: ["discount-fallback": "true"]))
        }
    }

    // MARK: - Against ../shared/reference (skipped where it is absent)

    /// Every held-out sentence scored by lmzoo and by the `kenlm` module on lmplz's models.
    @Test(.enabled(if: NGramTests.reference != nil && (Fixtures.python != nil || Fixtures.isCI), "needs ../shared/reference and LMZOO_PYTHON with kenlm"),
          arguments: [3, 4])
    func heldOutScoresMatchKenLM(order: Int) throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let reference = try #require(NGramTests.reference)
        let arpa = reference + "/fortunes-o\(order).arpa.gz"
        let test = reference + "/fortunes-test.txt"
        let kenlm = try runProcess(python, [Fixtures.path("check_ngram_interop.py"), arpa, test])
        #expect(kenlm.status == 0, "\(kenlm.stderr)")
        let theirs = try #require(try JSONParser.parse(kenlm.stdout)["log10"]?.arrayValue?.map { $0.doubleValue! })
        let model = try NGramModel(arpaPath: arpa)
        let lines = try String(contentsOfFile: test, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == theirs.count)
        let worst = zip(lines, theirs).map { abs(model.log10Score(sentence: String($0)) - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "max |diff| \(worst)")
        print("ngram kenlm parity order \(order): \(lines.count) held-out sentences, max |diff| \(worst) log10")
    }

    /// lmzoo's estimator against lmplz: held-out total log10 within 0.5%.
    @Test(.enabled(if: NGramTests.reference != nil, "needs ../shared/reference"), arguments: [3, 4])
    func estimatorMatchesLmplzOnHeldOutText(order: Int) throws {
        let reference = try #require(NGramTests.reference)
        let scratch = try Fixtures.scratchDirectory("ngram-lmplz")
        defer { Fixtures.removeScratch(scratch) }
        let ours = scratch + "/fortunes-o\(order).arpa"
        _ = try NGramPlugin.train(TrainingRequest(corpus: reference + "/fortunes-train.txt", out: ours,
                                                  options: ["order": String(order), "discount-fallback": "true"]))
        let test = try String(contentsOfFile: reference + "/fortunes-test.txt", encoding: .utf8)
        let ourTotal = try NGramModel(arpaPath: ours).score(text: test, bos: false).log10Prob
        let lmplzModel = try NGramModel(arpaPath: reference + "/fortunes-o\(order).arpa.gz")
        let lmplzTotal = try lmplzModel.score(text: test, bos: false).log10Prob
        let relative = abs(ourTotal - lmplzTotal) / abs(lmplzTotal)
        #expect(relative < 0.005, "order \(order): lmzoo \(ourTotal) vs lmplz \(lmplzTotal) (\(relative * 100)%)")
        print("ngram estimator order \(order): lmzoo \(ourTotal), lmplz \(lmplzTotal), difference \(relative * 100)%")
    }

    /// ARPA written by lmzoo loads in the `kenlm` module and scores as lmzoo does.
    @Test(.enabled(if: Fixtures.python != nil || Fixtures.isCI, "set LMZOO_PYTHON to a Python with kenlm"))
    func kenlmLoadsWhatLMZooWrites() throws {
        let python = try #require(Fixtures.python, "CI must set LMZOO_PYTHON")
        let scratch = try Fixtures.scratchDirectory("ngram-interop")
        defer { Fixtures.removeScratch(scratch) }
        let out = scratch + "/tiny.arpa"
        _ = try NGramPlugin.train(TrainingRequest(corpus: Fixtures.path("ngram/tiny.txt"), out: out,
                                                  options: ["order": "4", "discount-fallback": "true"]))
        let expected = try NGramTests.smallScores()
        let text = scratch + "/sentences.txt"
        try (expected.sentences.joined(separator: "\n") + "\n").write(toFile: text, atomically: true, encoding: .utf8)
        let kenlm = try runProcess(python, [Fixtures.path("check_ngram_interop.py"), out, text])
        #expect(kenlm.status == 0, "\(kenlm.stderr)")
        let theirs = try #require(try JSONParser.parse(kenlm.stdout)["log10"]?.arrayValue?.map { $0.doubleValue! })
        #expect(theirs.count == expected.sentences.count)
        let model = try NGramModel(arpaPath: out)
        let worst = zip(expected.sentences, theirs).map { abs(model.log10Score(sentence: $0) - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "max |diff| \(worst)")
    }
}
