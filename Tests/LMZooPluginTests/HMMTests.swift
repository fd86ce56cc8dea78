import Foundation
import LMZoo
import LMZooHMM
import LMZooTestSupport
import Testing

/// The HMM plugin against hmmlearn's answers (Tests/Fixtures/hmm, made by
/// Tests/Fixtures/make_hmm_fixtures.py): score, Viterbi, posteriors, next-symbol distributions and
/// 5 Baum-Welch iterations, all within 1e-6 relative; plus every validation rule of the loader.
@Suite struct HMMTests {
    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("hmm/expected.json"))
    static let relativeTolerance = 1e-6

    static func doubles(_ value: JSONValue?) -> [Double] { value?.arrayValue?.compactMap(\.doubleValue) ?? [] }
    static func ints(_ value: JSONValue?) -> [Int] { value?.arrayValue?.compactMap(\.intValue) ?? [] }
    static func matrix(_ value: JSONValue?) -> [Double] { value?.arrayValue?.flatMap { doubles($0) } ?? [] }

    /// |a - b| / |b| (absolute below 1e-300, where both are zero).
    static func relativeDifference(_ a: Double, _ b: Double) -> Double {
        if a == b { return 0 }
        return abs(a - b) / max(abs(b), 1e-300)
    }

    static func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "\(a.count) vs \(b.count)")
        return zip(a, b).map(relativeDifference).max() ?? 0
    }

    static func load(_ relative: String) throws -> HMMModel {
        LMZoo.registerBuiltins()
        let model = try ModelLoader.load(Fixtures.path(relative), architecture: "hmm")
        return try #require(model as? HMMModel)
    }

    /// The loader's own error for a fixture (without the path wrapper the CLI adds).
    static func loadError(_ relative: String) -> (any Error)? {
        do {
            _ = try HMMCheckpoint.load(try Checkpoint.open(Fixtures.path(relative)).modelSource)
            return nil
        } catch { return error }
    }

    static var sequences: [JSONValue] { expected["sequences"]?.arrayValue ?? [] }

    // MARK: parity with hmmlearn

    @Test func scoreMatchesHMMLearn() throws {
        let model = try Self.load("hmm/small.npz")
        #expect(model.numStates == 6 && model.vocabularySize == 10 && model.scoresFirstToken)
        var worst = 0.0
        for sequence in Self.sequences {
            let ids = Self.ints(sequence["ids"])
            let result = try model.score(ids: ids, bos: false)
            #expect(result.tokenCount == ids.count)
            worst = max(worst, Self.relativeDifference(result.logProb, sequence["score"]!.doubleValue!))
        }
        let all = Self.sequences.map { Self.ints($0["ids"]) }
        worst = max(worst, Self.relativeDifference(try model.logLikelihood(all), Self.expected["total_score"]!.doubleValue!))
        #expect(worst < Self.relativeTolerance, "max relative difference \(worst)")
        #expect(worst < 1e-12, "scaled forward in float64 should agree with hmmlearn to rounding (\(worst))")
    }

    @Test func viterbiPathAndLogProbMatchHMMLearn() throws {
        let model = try Self.load("hmm/small.npz")
        for sequence in Self.sequences {
            let (states, logProb) = try model.decodeStates(Self.ints(sequence["ids"]))
            #expect(states == Self.ints(sequence["viterbi_states"]))
            let difference = Self.relativeDifference(logProb, sequence["viterbi_logprob"]!.doubleValue!)
            #expect(difference < 1e-12, "relative difference \(difference)")
        }
        #expect(try model.decodeStates([]) == ([], 0))
    }

    /// The long-sequence path (SIMD, four-row passes, pruning) against a plain transcription of
    /// hmmlearn's `_hmmc.cpp` viterbi, on a 40-state model and 5,000 symbols (with zero entries).
    @Test func viterbiOnLongSequencesMatchesThePlainAlgorithm() throws {
        let n = 40, v = 7, count = 5000
        var random = SplitMix64(seed: 11)
        func rows(_ r: Int, _ c: Int, zeros: Bool) -> [Double] {
            var values = (0..<(r * c)).map { _ in zeros && random.nextUnitDouble() < 0.2 ? 0 : random.nextUnitDouble() + 0.01 }
            for row in 0..<r {
                let sum = values[(row * c)..<((row + 1) * c)].reduce(0, +)
                for k in 0..<c { values[row * c + k] /= sum }
            }
            return values
        }
        let parameters = try HMMParameters(startProb: rows(1, n, zeros: false), transitions: rows(n, n, zeros: true),
                                           emissions: rows(n, v, zeros: false), numStates: n, vocabularySize: v)
        let model = try HMMModel(parameters: parameters)
        let ids = try model.generate(prompt: [], options: GenerationOptions(maxTokens: count, seed: 5))
        let (states, logProb) = try model.decodeStates(ids)
        // Plain log-space Viterbi, hmmlearn's loop order and tie rules.
        let logA = parameters.transitions.map { log($0) }
        var lattice = [[Double]](repeating: [Double](repeating: 0, count: n), count: ids.count)
        for i in 0..<n { lattice[0][i] = log(parameters.startProb[i]) + log(parameters.emissions[i * v + ids[0]]) }
        for t in 1..<ids.count {
            for i in 0..<n {
                var best = -Double.infinity
                for j in 0..<n { best = max(best, lattice[t - 1][j] + logA[j * n + i]) }
                lattice[t][i] = best + log(parameters.emissions[i * v + ids[t]])
            }
        }
        var path = [Int](repeating: 0, count: ids.count)
        let last = lattice[ids.count - 1]
        path[ids.count - 1] = last.indices.first { last[$0] == last.max()! }!
        for t in stride(from: ids.count - 2, through: 0, by: -1) {
            var best = (-Double.infinity, 0)
            for i in 0..<n where lattice[t][i] + logA[i * n + path[t + 1]] >= best.0 { best = (lattice[t][i] + logA[i * n + path[t + 1]], i) }
            path[t] = best.1
        }
        #expect(states == path)
        #expect(logProb == last[path[ids.count - 1]])
    }

    @Test func posteriorsMatchHMMLearn() throws {
        let model = try Self.load("hmm/small.npz")
        var worst = 0.0
        for sequence in Self.sequences {
            let rows = try model.posteriors(Self.ints(sequence["ids"]))
            worst = max(worst, Self.maxRelativeDifference(rows.flatMap { $0 }, Self.matrix(sequence["posteriors"])))
        }
        #expect(worst < Self.relativeTolerance, "max relative difference \(worst)")
    }

    @Test func nextSymbolDistributionIsBeliefTimesEmissions() throws {
        let model = try Self.load("hmm/small.npz")
        let prefix = Self.ints(Self.expected["next_after_prefix"]?["prefix"])
        let want = Self.doubles(Self.expected["next_after_prefix"]?["logprobs"])
        let got = try model.nextSymbolProbabilities(context: prefix).map { log($0) }
        #expect(Self.maxRelativeDifference(got, want) < 1e-9)
        let first = try model.nextSymbolProbabilities(context: []).map { log($0) }
        #expect(Self.maxRelativeDifference(first, Self.doubles(Self.expected["next_after_empty"])) < 1e-9)
        // The distribution sums to 1; the per-token scores are these conditionals.
        #expect(abs(try model.nextSymbolProbabilities(context: prefix).reduce(0, +) - 1) < 1e-12)
        let perToken = try model.tokenLogProbs(prefix + [4])
        #expect(Self.relativeDifference(perToken.last!, want[4]) < 1e-9)
        // predict (Float log-probs, top-k) agrees.
        let top = try model.predict(context: prefix, topK: 3)
        let order = want.indices.sorted { want[$0] > want[$1] }
        #expect(top.map(\.id) == Array(order.prefix(3)))
    }

    @Test func baumWelchMatchesHMMLearnAfterFiveIterations() throws {
        let fit = try #require(Self.expected["baum_welch"])
        let initial = try HMMParameters(startProb: Self.doubles(fit["init"]?["startprob"]), transitions: Self.matrix(fit["init"]?["transmat"]),
                                        emissions: Self.matrix(fit["init"]?["emissionprob"]), numStates: 6, vocabularySize: 10)
        let model = try HMMModel(parameters: initial)
        let sequences = Self.sequences.map { Self.ints($0["ids"]) }
        let report = try model.fit(sequences, iterations: 5, tolerance: 1e-300)
        #expect(report.iterations == 5 && !report.converged)
        let history = Self.maxRelativeDifference(report.logLikelihoods, Self.doubles(fit["log_likelihoods"]))
        let start = Self.maxRelativeDifference(model.parameters.startProb, Self.doubles(fit["startprob"]))
        let transitions = Self.maxRelativeDifference(model.parameters.transitions, Self.matrix(fit["transmat"]))
        let emissions = Self.maxRelativeDifference(model.parameters.emissions, Self.matrix(fit["emissionprob"]))
        #expect(history < Self.relativeTolerance, "log-likelihoods: \(history)")
        #expect(start < Self.relativeTolerance, "startprob: \(start)")
        #expect(transitions < Self.relativeTolerance, "transmat: \(transitions)")
        #expect(emissions < Self.relativeTolerance, "emissionprob: \(emissions)")
        // Through the Trainable protocol: log-likelihood never decreases.
        let again = try HMMModel(parameters: initial)
        let curve = try again.train(on: sequences, options: TrainingOptions(steps: 5))
        #expect(curve == report.logLikelihoods)
        #expect(zip(curve, curve.dropFirst()).allSatisfy { $1 >= $0 - 1e-9 })
    }

    @Test func toleranceStopsBaumWelchAsHMMLearnDoes() throws {
        let model = try Self.load("hmm/small.npz")
        let sequences = Self.sequences.map { Self.ints($0["ids"]) }
        let report = try model.fit(sequences, iterations: 100, tolerance: 1e3)
        #expect(report.iterations == 2 && report.converged)
        #expect(throws: HMMError.noTrainingData) { try model.fit([[], []], iterations: 1, tolerance: 0) }
    }

    // MARK: tokenizer and files

    @Test func vocabularyBesideTheNPZGivesACharacterTokenizer() throws {
        let model = try Self.load("hmm/small.npz")
        #expect(model.symbols.mode == .characters)
        let ids = Self.ints(Self.sequences[0]["ids"])
        let text = model.tokenizer.decode(ids)
        #expect(try model.tokenizer.encode(text) == ids)
        let byText = try model.score(text: text, bos: false)
        #expect(byText.logProb == (try model.score(ids: ids, bos: false)).logProb)
        #expect(byText.utf8Bytes == ids.count)
        #expect(throws: HMMError.unknownSymbol("z", position: 2)) { try model.tokenizer.encode("abz") }
        #expect(throws: ModelError.noBOSToken(architecture: "hmm")) { try model.score(ids: [1], bos: true) }
    }

    @Test func tokenizerModes() throws {
        let words = try HMMTokenizer(symbols: ["the", "cat", "sat"])
        #expect(try words.mode == .words && words.encode(" the cat  sat ") == [0, 1, 2] && words.decode([2, 0]) == "sat the")
        // Canonically equivalent scalars stay distinct symbols (Python compares code points).
        let angstrom = try HMMTokenizer(symbols: ["\u{212B}", "\u{C5}"])
        #expect(try angstrom.encode("\u{C5}\u{212B}") == [1, 0])
        #expect(throws: HMMError.badVocabulary(path: "vocab.json", reason: "symbol \"a\" appears twice")) { try HMMTokenizer(symbols: ["a", "b", "a"]) }
        let idsOnly = HMMTokenizer(idsOnly: 4)
        #expect(throws: HMMError.noVocabulary) { try idsOnly.encode("a") }
        #expect(idsOnly.token(for: 3) == "3" && idsOnly.token(for: 4) == nil)
        #expect(try HMMTokenizer.characters(of: "ba\nab").symbols == ["\n", "a", "b"])
    }

    @Test func float32AndWithinToleranceFilesLoad() throws {
        let f32 = try Self.load("hmm/f32.npz")
        let ids = Self.ints(Self.sequences[2]["ids"])
        #expect(Self.relativeDifference(try f32.score(ids: ids, bos: false).logProb, Self.sequences[2]["score"]!.doubleValue!) < 1e-5)
        _ = try Self.load("hmm/within_tolerance.npz")
    }

    @Test func lmzooFormRoundTripsAndConvertsToHMMLearnNames() throws {
        let scratch = try Fixtures.scratchDirectory("hmm-form")
        defer { Fixtures.removeScratch(scratch) }
        let model = try Self.load("hmm/small.npz")
        let directory = scratch + "/model"
        try HMMCheckpoint.save(model, directory: directory)
        let config = try JSONFile.read(path: directory + "/config.json")
        #expect(config["model_type"] == "hmm" && config["num_states"]?.intValue == 6 && config["vocab_size"]?.intValue == 10)
        // Detected by config.json, no --arch needed.
        let reloaded = try #require(try ModelLoader.load(directory) as? HMMModel)
        #expect(reloaded.parameters == model.parameters)
        #expect(reloaded.symbols.symbols == model.symbols.symbols)
        // float64 tensors with hmmlearn's names; the file alone names its architecture.
        let stored = try SafetensorsReader.read(path: directory + "/model.safetensors")
        #expect(Set(stored.names) == ["startprob", "transmat", "emissionprob"] && stored.entries.allSatisfy { $0.tensor.dtype == .f64 })
        #expect(try Checkpoint.open(directory + "/model.safetensors").architecture == "hmm")
        // hmmlearn's .npz (+ vocab beside it).
        try HMMCheckpoint.exportNPZ(reloaded, to: scratch + "/export.npz")
        let exported = try #require(try ModelLoader.load(scratch + "/export.npz", architecture: "hmm") as? HMMModel)
        #expect(exported.parameters == model.parameters && exported.symbols.mode == .characters)
    }

    @Test func configMustAgreeWithTheArrays() throws {
        let scratch = try Fixtures.scratchDirectory("hmm-config")
        defer { Fixtures.removeScratch(scratch) }
        try HMMCheckpoint.save(try Self.load("hmm/small.npz"), directory: scratch)
        try #"{"model_type":"hmm","num_states":7,"vocab_size":10}"#.write(toFile: scratch + "/config.json", atomically: true, encoding: .utf8)
        #expect(throws: HMMError.badConfig("num_states is 7 but the arrays have 6")) {
            try HMMCheckpoint.load(try Checkpoint.open(scratch).modelSource)
        }
        try #"["a","b"]"#.write(toFile: scratch + "/vocab.json", atomically: true, encoding: .utf8)
        try #"{"model_type":"hmm"}"#.write(toFile: scratch + "/config.json", atomically: true, encoding: .utf8)
        #expect(throws: HMMError.vocabularySizeMismatch(path: scratch + "/vocab.json", symbols: 2, vocabularySize: 10)) {
            try HMMCheckpoint.load(try Checkpoint.open(scratch).modelSource)
        }
    }

    // MARK: bad input

    static let malformed: [(String, HMMError)] = [
        ("bad_transmat_row_sum.npz", .notStochastic(array: "transmat", row: 2, sum: 0)),
        ("bad_startprob_sum.npz", .notStochastic(array: "startprob", row: nil, sum: 0)),
        ("bad_negative_emission.npz", .negative(array: "emissionprob", row: 1, column: 0, value: 0)),
        ("bad_nan.npz", .notFinite(array: "emissionprob", row: 4, column: 4)),
        ("bad_transmat_shape.npz", .shapeMismatch(array: "transmat", shape: [6, 5], expected: [6, 6])),
        ("bad_emission_states.npz", .shapeMismatch(array: "emissionprob", shape: [5, 10], expected: [6, 10])),
        ("bad_startprob_rank.npz", .wrongRank(array: "startprob", shape: [1, 6], expected: 1)),
        ("bad_missing_transmat.npz", .missingArray("transmat")),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedModelsAreRefusedWithTheRule(_ index: Int) throws {
        let (file, want) = Self.malformed[index]
        let error = try #require(Self.loadError("hmm/" + file) as? HMMError, "\(file) loaded")
        switch (error, want) {
        // Sums and values are data: compare the rule and the place.
        case let (.notStochastic(a, r, sum), .notStochastic(b, s, _)): #expect(a == b && r == s && abs(sum - 1) > 1e-6)
        case let (.negative(a, r, c, value), .negative(b, s, d, _)): #expect(a == b && r == s && c == d && value < 0)
        default: #expect(error == want)
        }
        #expect(!error.description.isEmpty)
        // Through the loader the message names the file.
        #expect(throws: (any Error).self) { try ModelLoader.load(Fixtures.path("hmm/" + file), architecture: "hmm") }
    }

    @Test func idsOutsideTheVocabularyAreRefused() throws {
        let model = try Self.load("hmm/small.npz")
        let bad = ModelError.idOutOfRange(10, vocabularySize: 10)
        #expect(throws: bad) { try model.score(ids: [1, 10], bos: false) }
        #expect(throws: bad) { try model.decodeStates([10]) }
        #expect(throws: bad) { try model.posteriors([0, 10]) }
        #expect(throws: bad) { try model.predict(context: [10], topK: 1) }
        #expect(throws: bad) { try model.generate(prompt: [10], options: GenerationOptions()) }
        #expect(throws: bad) { try model.fit([[0, 10]], iterations: 1, tolerance: 0) }
        #expect(throws: ModelError.idOutOfRange(-1, vocabularySize: 10)) { try model.tokenLogProbs([-1]) }
    }

    @Test func parametersAreValidated() throws {
        #expect(throws: HMMError.shapeMismatch(array: "startprob", shape: [1], expected: [2])) {
            try HMMParameters(startProb: [1], transitions: [1, 0, 0, 1], emissions: [1, 1], numStates: 2, vocabularySize: 1)
        }
        #expect(throws: HMMError.empty(array: "startprob")) {
            try HMMParameters(startProb: [], transitions: [], emissions: [], numStates: 0, vocabularySize: 1)
        }
    }

    @Test func impossibleObservationsScoreMinusInfinity() throws {
        // emissionprob[2, 7] = 0 in the fixture; a one-state model that cannot emit symbol 1:
        let model = try HMMModel(parameters: try HMMParameters(startProb: [1], transitions: [1], emissions: [1, 0], numStates: 1, vocabularySize: 2))
        #expect(try model.tokenLogProbs([0, 1, 0]) == [0, -.infinity, -.infinity])
        #expect(throws: HMMError.impossibleContext(position: 1)) { try model.predict(context: [0, 1], topK: 1) }
        #expect(try model.decodeStates([0, 1]).logProb == -.infinity)
    }

    // MARK: generation

    @Test func generationIsSeededAndGreedyFollowsThePrediction() throws {
        let model = try Self.load("hmm/small.npz")
        let options = GenerationOptions(maxTokens: 50, seed: 7)
        let a = try model.generate(prompt: [3, 9], options: options), b = try model.generate(prompt: [3, 9], options: options)
        #expect(a == b && a.count == 52 && Array(a.prefix(2)) == [3, 9] && a.allSatisfy { (0..<10).contains($0) })
        let greedy = try model.generate(prompt: [], options: GenerationOptions(maxTokens: 4, greedy: true))
        let first = try model.nextSymbolProbabilities(context: [])
        #expect(greedy[0] == first.indices.max { first[$0] < first[$1] })
        let second = try model.nextSymbolProbabilities(context: [greedy[0]])
        #expect(greedy[1] == second.indices.max { second[$0] < second[$1] })
        // Sampling follows the model: the first symbol's frequencies over many seeds.
        var counts = [Int](repeating: 0, count: 10)
        for seed in 0..<4000 { counts[try model.generate(prompt: [], options: GenerationOptions(maxTokens: 1, seed: UInt64(seed)))[0]] += 1 }
        for k in 0..<10 { #expect(abs(Double(counts[k]) / 4000 - first[k]) < 0.03) }
    }
}
