import Foundation
import LMZoo
import LMZooLSTM
import LMZooTestSupport
import Testing

/// The LSTM plugin against torch.nn.LSTM and Keras 3 (Tests/Fixtures/lstm, made by
/// Tests/Fixtures/make_lstm_fixtures.py): every next-token log-distribution within 1e-5, the Keras ->
/// torch -> Keras round trip within 1e-6, the incremental state, and the loader's errors.
@Suite struct LSTMTests {
    /// Layout conversion asks the registry for the LSTM's names: registered before any test of the suite runs.
    init() { LMZoo.registerBuiltins() }

    static let expected: JSONValue = try! JSONFile.read(path: Fixtures.path("lstm/expected.json"))
    static let tolerance: Float = 1e-5

    static func ids(_ name: String) -> [Int] { expected[name]?["ids"]?.arrayValue?.compactMap(\.intValue) ?? [] }
    static func logProbs(_ name: String) -> [[Double]] {
        expected[name]?["logprobs"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] } ?? []
    }

    static func load(_ relative: String) throws -> LSTMModel {
        LMZoo.registerBuiltins()
        return try #require(try ModelLoader.load(Fixtures.path(relative)) as? LSTMModel)
    }

    static func maxDifference(_ a: [[Float]], _ b: [[Double]]) -> Double {
        precondition(a.count == b.count && zip(a, b).allSatisfy { $0.count == $1.count }, "shape mismatch")
        return zip(a, b).flatMap { zip($0, $1).map { abs(Double($0) - $1) } }.max() ?? 0
    }

    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }

    @Test(arguments: [("lstm/tied", "tied"), ("lstm/untied", "untied"), ("lstm/prefixed.pt", "untied"),
                      ("lstm/model.keras", "keras"), ("lstm/hard.keras", "keras_hard")])
    func matchesReference(path: String, name: String) throws {
        let model = try Self.load(path)
        let ids = Self.ids(name)
        let difference = Self.maxDifference(try model.logProbs(ids: ids), Self.logProbs(name))
        #expect(difference < Double(Self.tolerance), "\(path): max |diff| \(difference)")
        // Scoring gathers the same numbers (positions 2..n).
        let scored = try model.tokenLogProbs(ids)
        let reference = (1..<ids.count).map { Self.logProbs(name)[$0 - 1][ids[$0]] }
        #expect(zip(scored, reference).allSatisfy { abs($0 - $1) < Double(Self.tolerance) })
    }

    @Test func configAndActivationAreRead() throws {
        let untied = try Self.load("lstm/untied")
        #expect(untied.config.embeddingSize == 16 && untied.config.hiddenSize == 24 && untied.config.numLayers == 2)
        let hard = try Self.load("lstm/hard.keras")
        #expect(hard.config.recurrentActivation == .hardSigmoid && hard.config.hiddenSize == 12)
        #expect(try Self.load("lstm/prefixed.pt").config.vocabSize == 50)
    }

    @Test func kerasToTorchToKerasKeepsOutputs() throws {
        let original = try Checkpoint.open(Fixtures.path("lstm/model.keras"))
        var notes: [String] = []
        let torch = try LayoutConverter.convert(original.tensors, architecture: "lstm", to: .torch, notes: &notes)
        #expect(torch["rnn.weight_ih_l1"]?.shape == [96, 24])
        let back = try LayoutConverter.convert(torch, architecture: "lstm", to: .keras, notes: &notes)
        func model(_ store: TensorStore) throws -> LSTMModel {
            try LSTMPlugin.load(ModelSource(path: "memory", directory: nil, config: nil, tensors: store))
        }
        let ids = Self.ids("keras")
        let reference = try model(original.tensors).logProbs(ids: ids)
        #expect(Self.maxDifference(try model(torch).logProbs(ids: ids), reference) <= 1e-6)
        #expect(Self.maxDifference(try model(back).logProbs(ids: ids), reference) <= 1e-6)
    }

    @Test func incrementalPredictionEqualsScoring() throws {
        let model = try Self.load("lstm/untied")
        let ids = Self.ids("untied")
        let full = try model.logProbs(ids: ids)
        for length in 1...ids.count {  // growing contexts reuse the carried state
            let next = try model.nextTokenLogProbs(context: Array(ids[..<length]))
            #expect(Self.maxDifference([next], [full[length - 1]]) < 1e-6, "length \(length)")
        }
        // A context that is not an extension starts afresh.
        let other = try model.nextTokenLogProbs(context: [ids[1], ids[0]])
        let fresh = try model.logProbs(ids: [ids[1], ids[0]])
        #expect(Self.maxDifference([other], [fresh[1]]) < 1e-6)
        #expect(throws: ModelError.emptyContext) { try model.nextTokenLogProbs(context: []) }
        #expect(throws: ModelError.idOutOfRange(50, vocabularySize: 50)) { try model.nextTokenLogProbs(context: [50]) }
    }

    @Test func batchedScoringEqualsSingleSequences() throws {
        let model = try Self.load("lstm/tied")
        let a = Self.ids("tied"), b = Array(Self.ids("untied").prefix(7))
        let batched = try model.tokenLogProbs(batch: [a, b, [3]])
        #expect(batched[2].isEmpty)
        for (sequence, result) in zip([a, b], batched) {
            let single = try model.tokenLogProbs(sequence)
            #expect(single.count == result.count && zip(single, result).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test func tokenizerAndGeneration() throws {
        let chars = try Self.load("lstm/tied")
        #expect(try chars.tokenizer.encode("abc ") == [0, 1, 2, 49])
        #expect(chars.tokenizer.decode([7, 4, 11, 11, 14]) == "hello")
        let words = try Self.load("lstm/untied")
        #expect(try words.tokenizer.encode("w0 w1 zzz") == [2, 3, 0])
        #expect(words.tokenizer.eosID == 1)
        let generating = try #require(words as any LanguageModel as? any Generating)
        let out = try generating.generate(prompt: [2, 3], options: GenerationOptions(maxTokens: 5, greedy: true))
        #expect(out.count >= 3 && out.count <= 7 && Array(out.prefix(2)) == [2, 3])
        let keras = try Self.load("lstm/model.keras")
        #expect(throws: LSTMError.noVocabulary) { try keras.tokenizer.encode("a") }
    }

    // MARK: errors naming the tensor

    static func untiedTensors(editing edit: (String, Tensor) throws -> Tensor?) throws -> TensorStore {
        let store = try Checkpoint.open(Fixtures.path("lstm/untied")).tensors
        var out = TensorStore(metadata: store.metadata)
        for (name, tensor) in store.entries {
            if let kept = try edit(name, tensor) { try out.add(name, kept) }
        }
        return out
    }

    static func loadError(_ store: TensorStore, config: JSONObject? = nil) -> LSTMError? {
        do {
            _ = try LSTMPlugin.load(ModelSource(path: "memory", directory: nil, config: config, tensors: store))
            return nil
        } catch { return error as? LSTMError }
    }

    @Test func missingGateTensorIsNamed() throws {
        let store = try Self.untiedTensors { name, tensor in name == "rnn.weight_hh_l1" ? nil : tensor }
        let error = Self.loadError(store)
        #expect(error == .missingTensor("rnn.weight_hh_l1", expected: "[4H, H]"))
        #expect(error?.description.contains("rnn.weight_hh_l1") == true)
    }

    @Test func misShapedGateTensorIsNamed() throws {
        let store = try Self.untiedTensors { name, tensor in
            name == "rnn.weight_ih_l1" ? try Tensor(zeros: .f32, shape: [95, 24]) : tensor
        }
        #expect(Self.loadError(store) == .badShape("rnn.weight_ih_l1", expected: [96, 24], actual: [95, 24]))
        let bias = try Self.untiedTensors { name, tensor in
            name == "rnn.bias_hh_l0" ? try Tensor(zeros: .f32, shape: [96, 1]) : tensor
        }
        #expect(Self.loadError(bias) == .badShape("rnn.bias_hh_l0", expected: [96], actual: [96, 1]))
    }

    @Test func inconsistentConfigIsNamed() throws {
        let store = try Self.untiedTensors { _, tensor in tensor }
        func config(hidden: Int = 24, layers: Int = 2) -> JSONObject {
            JSONObject([("model_type", "lstm"), ("vocab_size", 50), ("embedding_size", 16),
                        ("hidden_size", .int(hidden)), ("num_layers", .int(layers))])
        }
        #expect(Self.loadError(store, config: config()) == nil)
        #expect(Self.loadError(store, config: config(hidden: 32))
            == .inconsistentConfig(key: "hidden_size", value: 32, tensor: "rnn.weight_hh_l0", shape: [96, 24]))
        #expect(Self.loadError(store, config: config(layers: 3))
            == .inconsistentConfig(key: "num_layers", value: 3, tensor: "rnn.weight_ih_l2", shape: []))
        var tied = config()
        tied["tie_weights"] = true
        #expect(Self.loadError(store, config: tied)?.description.contains("tie_weights") == true)
        var missing = config()
        missing["vocab_size"] = nil
        #expect(Self.loadError(store, config: missing) == .badConfig("missing key vocab_size"))
    }
}

extension LSTMTests {
    /// A sequence long enough for the layer pipeline (several blocks) gives what step-by-step
    /// prediction (one token at a time from the carried state) gives.
    @Test func longSequencePipelineEqualsStepByStep() throws {
        let model = try Self.load("lstm/untied")
        var generator = SplitMix64(seed: 5)
        let ids = (0..<150).map { _ in Int(generator.next() % 50) }
        let full = try model.logProbs(ids: ids)
        var worst: Float = 0
        for length in 1...ids.count {
            let next = try model.nextTokenLogProbs(context: Array(ids[..<length]))
            worst = max(worst, Self.maxDifference([next], [full[length - 1]]))
        }
        #expect(worst < 1e-5, "max |diff| \(worst)")
        let batched = try model.tokenLogProbs(batch: [ids, Array(ids.prefix(70))])
        #expect(zip(batched[0], try model.tokenLogProbs(ids)).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(zip(batched[1], try model.tokenLogProbs(Array(ids.prefix(70)))).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
