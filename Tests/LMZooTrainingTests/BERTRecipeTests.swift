import Foundation
import LMZoo
import LMZooCore
import LMZooFormats
import LMZooBERT
import LMZooTestSupport
import LMZooTraining
import Testing

private typealias G = GradientCheck

/// The BERT masked-LM model's gradients, `lmzoo train bert` through the library, and the trained
/// directory read back by the BERT plugin.
@Suite struct BERTRecipeTests {
    static let text = GPTRecipeTests.text

    /// Log-softmax of row `row` of logits (rows, V).
    static func logSoftmax(_ logits: [Float], row: Int, vocabulary V: Int) -> [Float] {
        var out = [Float](repeating: 0, count: V)
        logits.withUnsafeBufferPointer { CrossEntropyKernel.logSoftmax($0.baseAddress! + row * V, rows: 1, vocabulary: V, into: &out) }
        return out
    }

    @Test func bertMaskedLMGradientMatchesFiniteDifferences() {
        let sizes = BERTTrainable.Sizes(vocabulary: 9, positions: 6, hidden: 8, layers: 2, heads: 2, intermediate: 12)
        let model = BERTTrainable(sizes: sizes, seed: 4)
        // Larger weights than BERT's 0.02 and nonzero biases / norms: every gradient well above f32 noise.
        // Query and key weights larger still, so attention is far from uniform and their gradients are too.
        model.parameters.initialize(seed: 4) { entry in
            entry.shape.count == 1 ? 0.5 : entry.name.hasSuffix("query.weight") || entry.name.hasSuffix("key.weight") ? 1 : 0.3
        }
        var masking = MaskedLanguageModeling(vocabulary: 9, clsID: 2, sepID: 3, maskID: 4, firstOrdinaryID: 5, seed: 11)
        masking.selectProbability = 0.6
        let (B, T) = (2, 6)
        let windows = [5, 6, 7, 8, 5, 6, 7, 8, 7, 6, 5, 8, 6, 7]  // (B, T+1)
        let (inputs, targets) = masking.corrupt(step: 0, windows: windows, steps: T)
        #expect(targets.contains { $0 >= 0 } && inputs.contains(4), "some positions selected and masked")
        func loss() -> Double {
            CrossEntropyKernel.hard(logits: model.forward(inputs: inputs, batch: B, steps: T), targets: targets, rows: B * T,
                                    vocabulary: 9, dlogits: nil).loss
        }
        model.parameters.zeroGrads()
        let logits = model.forward(inputs: inputs, batch: B, steps: T)
        var dlogits = [Float](repeating: 0, count: logits.count)
        CrossEntropyKernel.hard(logits: logits, targets: targets, rows: B * T, vocabulary: 9, dlogits: &dlogits)
        model.backward(dlogits: dlogits)
        let p = model.parameters
        for entry in p.entries {
            let analytic = Array(UnsafeBufferPointer(start: p.grads + entry.offset, count: entry.count))
            if entry.name.hasSuffix("attention.self.key.bias") {
                // A key bias adds q . b to a whole row of scores: softmax cancels it, its gradient is 0.
                #expect(analytic.allSatisfy { abs($0) < 1e-6 }, "\(entry.name): \(analytic)")
                continue
            }
            // Query and key gradients are one to two orders smaller than the rest (they act through the
            // softmax only), so the f32 rounding of the loss weighs more: a wider step and tolerance. (The
            // attention kernel's backward is checked coordinate by coordinate in KernelGradientTests.)
            let scores = entry.name.contains("attention.self.query") || entry.name.contains("attention.self.key")
            let error = G.directionalError(p.values + entry.offset, count: entry.count, analytic: analytic,
                                           epsilon: scores ? 3e-2 : 1e-2, seed: UInt64(entry.offset), loss: loss)
            #expect(error < (scores ? 3e-3 : 1e-3), "\(entry.name): \(error)")
        }
    }

    @Test func maskingIsBERTsAndDeterministic() {
        let masking = MaskedLanguageModeling(vocabulary: 50, clsID: 2, sepID: 3, maskID: 4, firstOrdinaryID: 5, seed: 3)
        let T = 64, B = 64
        let windows = (0..<(B * (T + 1))).map { 5 + $0 % 45 }
        let (inputs, targets) = masking.corrupt(step: 7, windows: windows, steps: T)
        #expect(masking.corrupt(step: 7, windows: windows, steps: T).inputs == inputs)
        #expect(masking.corrupt(step: 8, windows: windows, steps: T).inputs != inputs)
        let selected = targets.indices.filter { targets[$0] >= 0 }
        let body = B * (T - 2)
        #expect(abs(Double(selected.count) / Double(body) - 0.15) < 0.02, "\(selected.count) of \(body)")
        let masked = selected.filter { inputs[$0] == 4 }.count, kept = selected.filter { inputs[$0] == targets[$0] }.count
        #expect(abs(Double(masked) / Double(selected.count) - 0.8) < 0.05)
        #expect(abs(Double(kept) / Double(selected.count) - 0.1) < 0.05)  // (a random replacement may also hit the same token)
        for b in 0..<B {
            #expect(inputs[b * T] == 2 && inputs[b * T + T - 1] == 3 && targets[b * T] == -1 && targets[b * T + T - 1] == -1)
        }
    }

    @Test func trainsABERTDirectoryThePluginLoadsAndAgreesWith() throws {
        let directory = try Fixtures.scratchDirectory("train-bert")
        defer { Fixtures.removeScratch(directory) }
        let corpus = directory + "/corpus.txt"
        try Self.text.write(toFile: corpus, atomically: true, encoding: .utf8)
        let out = directory + "/model"
        let result = try BERTRecipe.train(TrainingRequest(corpus: corpus, out: out, options: [
            "vocab-size": "200", "hidden-size": "32", "layers": "1", "heads": "2", "steps": "300",
            "batch-size": "8", "context": "24", "learning-rate": "0.005", "seed": "1",
        ]))
        let V = try #require(result["vocab_size"]?.intValue)
        let loss = try #require(result["final_loss"]?.doubleValue)
        #expect(V <= 200 && V > 150 && result["unknown_tokens"]?.intValue == 0)
        #expect(loss < log(Double(V)) * 0.75, "masked-LM loss \(loss) (uniform: ln \(V) = \(log(Double(V))))")
        let config = try JSONFile.read(path: out + "/config.json")
        #expect(config["model_type"]?.stringValue == "bert" && config["hidden_size"]?.intValue == 32
                && config["layer_norm_eps"]?.doubleValue == 1e-12 && config["max_position_embeddings"]?.intValue == 24)
        let tensors = try SafetensorsReader.read(path: out + "/model.safetensors")
        #expect(tensors["bert.encoder.layer.0.attention.self.key.weight"]?.shape == [32, 32])
        #expect(tensors["cls.predictions.transform.LayerNorm.bias"]?.shape == [32])
        #expect(tensors["cls.predictions.decoder.weight"] == nil)  // tied to the word embedding
        #expect(Paths.exists(out + "/model.json") && Paths.exists(out + "/vocab.txt") && Paths.exists(out + "/tokenizer_config.json"))

        // The plugin reads the directory; its masked-LM outputs are the trainer's forward.
        LMZoo.registerBuiltins()
        let loaded = try ModelLoader.load(out)
        let maskedLM = try #require(loaded as? any MaskedLM)
        #expect(loaded.architecture == "bert" && loaded.scoreKind == .pseudoLogLikelihood)
        let trained = BERTTrainable(sizes: .init(vocabulary: V, positions: 24, hidden: 32, layers: 1, heads: 2, intermediate: 128), seed: 0)
        try trained.parameters.load(tensors, path: out)
        let corpusIDs = try loaded.tokenizer.encode(Self.text)
        #expect(!corpusIDs.contains(1), "no [UNK] in the corpus")

        let sentence = "the quick brown [MASK] jumps over the lazy dog"
        let ids = try loaded.tokenizer.encode(sentence)
        let predictions = try maskedLM.fillMask(sentence, topK: 3)
        let prediction = try #require(predictions.first)
        let logProbs = Self.logSoftmax(trained.forward(inputs: ids, batch: 1, steps: ids.count), row: prediction.position, vocabulary: V)
        for candidate in prediction.candidates { #expect(abs(candidate.logProb - Double(logProbs[candidate.id])) < 1e-4) }
        #expect(prediction.candidates.first?.id == logProbs.indices.max { logProbs[$0] < logProbs[$1] })

        // Pseudo-log-likelihood: each word piece masked in turn.
        let plain = try loaded.tokenizer.encode("the five boxing wizards jump quickly")
        let pll = try loaded.tokenLogProbs(plain)
        #expect(pll.count == plain.count - 2)
        for (i, position) in (1..<(plain.count - 1)).enumerated() {
            var masked = plain
            masked[position] = 4
            let row = Self.logSoftmax(trained.forward(inputs: masked, batch: 1, steps: masked.count), row: position, vocabulary: V)
            #expect(abs(pll[i] - Double(row[plain[position]])) < 1e-4, "position \(position)")
        }
    }

    @Test func resumeFromTheCheckpointEndsWhereAWholeRunEnds() throws {
        let directory = try Fixtures.scratchDirectory("train-bert-resume")
        defer { Fixtures.removeScratch(directory) }
        let corpus = directory + "/corpus.txt"
        try Self.text.write(toFile: corpus, atomically: true, encoding: .utf8)
        let common = ["vocab-size": "100", "hidden-size": "16", "layers": "2", "heads": "2", "batch-size": "4", "context": "12", "seed": "5"]
        _ = try BERTRecipe.train(TrainingRequest(corpus: corpus, out: directory + "/whole", options: common.merging(["steps": "10"]) { $1 }))
        let parts = directory + "/parts"
        _ = try BERTRecipe.train(TrainingRequest(corpus: corpus, out: parts,
                                                 options: common.merging(["steps": "10", "checkpoint-every": "3", "stop-after": "7"]) { $1 }))
        _ = try BERTRecipe.train(TrainingRequest(corpus: corpus, out: parts,
                                                 options: common.merging(["steps": "10", "checkpoint-every": "3", "resume": "true"]) { $1 }))
        let whole = try SafetensorsReader.read(path: directory + "/whole/model.safetensors")
        let resumed = try SafetensorsReader.read(path: parts + "/model.safetensors")
        #expect(whole.count == 5 + 2 * 16 + 5)
        for name in whole.names { #expect(try whole.tensor(name).isBitwiseEqual(to: resumed.tensor(name)), "\(name)") }
    }

    @Test func badOptionsAreTypedErrors() throws {
        let directory = try Fixtures.scratchDirectory("train-bert-bad")
        defer { Fixtures.removeScratch(directory) }
        let corpus = directory + "/corpus.txt"
        try Self.text.write(toFile: corpus, atomically: true, encoding: .utf8)
        for options in [["vocab-size": "20"], ["hidden-size": "10", "heads": "3"], ["context": "2"]] {
            #expect(throws: TrainingError.self) { try BERTRecipe.train(TrainingRequest(corpus: corpus, out: directory + "/m", options: options)) }
        }
    }
}
