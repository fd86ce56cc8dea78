import Foundation
import LMZooCore
import LMZooFormats
import LMZooLSTM
import LMZooTestSupport
import LMZooTraining
import Testing

/// `lmzoo train lstm` through the library: the directory it writes loads in the LSTM plugin and the
/// plugin's distributions are the trained network's.
@Suite struct LSTMRecipeTests {
    static let text = String(repeating: "to be or not to be, that is the question. ", count: 30)

    static func loadPlugin(_ directory: String) throws -> LSTMModel {
        let config = try JSONFile.read(path: directory + "/config.json").objectValue
        let tensors = try SafetensorsReader.read(path: directory + "/model.safetensors")
        return try LSTMPlugin.load(ModelSource(path: directory, directory: directory, config: config, tensors: tensors))
    }

    @Test func trainsAndWritesADirectoryThePluginLoads() throws {
        let directory = try Fixtures.scratchDirectory("train-lstm")
        defer { Fixtures.removeScratch(directory) }
        let corpus = directory + "/corpus.txt"
        try Self.text.write(toFile: corpus, atomically: true, encoding: .utf8)
        let out = directory + "/model"
        let result = try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: out, options: [
            "embedding-size": "8", "hidden-size": "16", "steps": "80", "batch-size": "8", "context": "24",
            "learning-rate": "0.02", "seed": "3", "command": "lmzoo train lstm test",
        ]))
        let loss = try #require(result["final_loss"]?.doubleValue)
        #expect(loss < 1.5, "a repetitive text is learnt: loss \(loss) vs ln(V) = \(log(Double(Set(Self.text).count)))")

        let model = try Self.loadPlugin(out)
        #expect(model.config.hiddenSize == 16 && model.config.embeddingSize == 8)
        let ids = try model.tokenizer.encode("to be or not")
        #expect(model.tokenizer.decode(ids) == "to be or not")
        // The plugin and the trainer's own forward give the same distributions.
        let trained = LSTMTrainable(sizes: .init(vocabulary: model.config.vocabSize, embedding: 8, hidden: 16, layers: 1), seed: 0)
        try trained.parameters.load(try SafetensorsReader.read(path: out + "/model.safetensors"), path: out)
        let logits = trained.forward(inputs: ids, batch: 1, steps: ids.count)
        var logProbs = [Float](repeating: 0, count: logits.count)
        CrossEntropyKernel.logSoftmax(logits, rows: ids.count, vocabulary: model.config.vocabSize, into: &logProbs)
        let plugin = try model.logProbs(ids: ids).flatMap { $0 }
        #expect(zip(plugin, logProbs).map { abs($0 - $1) }.max()! < 1e-4)

        // A catalog card (lmzoo verify checks it), the trainer's record under training.trainer.
        let card = try JSONFile.read(path: out + "/model.json")
        #expect(card["name"]?.stringValue == Paths.fileName(of: out) && card["architecture"]?.stringValue == "lstm")
        #expect(card["files"]?.arrayValue?.compactMap { $0["path"]?.stringValue } == ["checkpoint.safetensors", "config.json", "model.safetensors", "vocab.json"])
        let trainer = card["training"]?["trainer"]
        #expect(trainer?["command"]?.stringValue == "lmzoo train lstm test")
        #expect(trainer?["corpus_sha256"]?.stringValue == SHA256.hexDigest(of: Array(Self.text.utf8)))
        #expect(trainer?["final_loss"]?.doubleValue == loss)
    }

    @Test func resumeFromTheCheckpointEndsWhereAWholeRunEnds() throws {
        let directory = try Fixtures.scratchDirectory("train-lstm-resume")
        defer { Fixtures.removeScratch(directory) }
        let corpus = directory + "/corpus.txt"
        try Self.text.write(toFile: corpus, atomically: true, encoding: .utf8)
        let common = ["embedding-size": "6", "hidden-size": "8", "batch-size": "4", "context": "12", "seed": "5"]
        _ = try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: directory + "/whole", options: common.merging(["steps": "10"]) { $1 }))
        // A run interrupted after 7 of 10 updates (checkpoints at 3 and 6), then resumed to 10.
        let parts = directory + "/parts"
        _ = try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: parts,
                                                 options: common.merging(["steps": "10", "checkpoint-every": "3", "stop-after": "7"]) { $1 }))
        _ = try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: parts,
                                                 options: common.merging(["steps": "10", "checkpoint-every": "3", "resume": "true"]) { $1 }))
        let whole = try SafetensorsReader.read(path: directory + "/whole/model.safetensors")
        let resumed = try SafetensorsReader.read(path: parts + "/model.safetensors")
        #expect(whole.count == 7)
        for name in whole.names { #expect(try whole.tensor(name).isBitwiseEqual(to: resumed.tensor(name)), "\(name)") }
        #expect(throws: TrainingError.self) {
            try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: directory + "/none", options: common.merging(["resume": "true"]) { $1 }))
        }
    }

    @Test func badInputsAreTypedErrors() throws {
        let directory = try Fixtures.scratchDirectory("train-lstm-bad")
        defer { Fixtures.removeScratch(directory) }
        #expect(throws: TrainingError.badCorpus(path: directory + "/missing.txt", reason: "cannot be read")) {
            try LSTMRecipe.train(TrainingRequest(corpus: directory + "/missing.txt", out: directory + "/m", options: [:]))
        }
        let corpus = directory + "/c.txt"
        try "abc".write(toFile: corpus, atomically: true, encoding: .utf8)
        #expect(throws: TrainingError.self) { try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: directory + "/m", options: [:])) }
        #expect(throws: TrainingError.self) {
            try LSTMRecipe.train(TrainingRequest(corpus: corpus, out: directory + "/m", options: ["hidden-size": "0"]))
        }
    }
}
